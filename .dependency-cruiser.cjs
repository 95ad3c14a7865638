// Architecture import rules, machine-checked by dependency-cruiser (`npm run lint`, part of `npm test`).
// Formatting and code lint are Biome's (biome.json); this file holds only what crosses files: which
// project folder may import which, import cycles, and the browser code's isolation. See docs/lint.md.

/**
 * ARCHITECTURE.md, "Folders": the project folders each folder may import. A folder may always import
 * its own files. `null` = may import every project folder (cli, tests, benches, deploy, scripts, bin).
 * "A service never reaches into another service's folder" follows: no service lists another service,
 * except dashboard -> analytics (read-only functions, as the table says).
 * To add a folder: add it here with its allowed list (and to `lint:deps` in package.json if it is a
 * new top-level folder); a rule `<folder>-imports` is generated for it.
 */
const MAY_IMPORT = {
  core: [], // ARCHITECTURE.md: core/ imports nothing from other project folders
  profiles: [], // ARCHITECTURE.md: profiles/ is data (YAML), imports nothing
  store: ['core'], // ARCHITECTURE.md: store/ -> core
  broker: ['core', 'store'], // ARCHITECTURE.md: broker/ -> core, store
  gateway: ['core', 'profiles'], // ARCHITECTURE.md: gateway/ -> core, profiles
  ingest: ['core', 'store'], // ARCHITECTURE.md: ingest/ -> core, store
  analytics: ['core', 'store'], // ARCHITECTURE.md: analytics/ -> core, store
  dashboard: ['core', 'store', 'analytics'], // ARCHITECTURE.md: dashboard/ -> core, store, analytics (read-only functions)
  simulators: ['core', 'profiles'], // ARCHITECTURE.md: simulators/ -> core, profiles
  cli: null, // ARCHITECTURE.md: cli/ -> all
  test: null, // ARCHITECTURE.md: test/, bench/, deploy/, scripts/ -> all
  bench: null,
  deploy: null,
  scripts: null,
  bin: null, // the `metronet` launcher: loads cli/ (or its build)
};

const FOLDERS = Object.keys(MAY_IMPORT);

/** Server-side code of a folder; dashboard/web/ is browser code with its own rule below. */
const fromPath = (folder) => (folder === 'dashboard' ? '^dashboard/(?!web/)' : `^${folder}/`);

const folderRules = FOLDERS.filter((folder) => MAY_IMPORT[folder] !== null).map((folder) => {
  const forbidden = FOLDERS.filter((other) => other !== folder && !MAY_IMPORT[folder].includes(other));
  const allowed = MAY_IMPORT[folder].length ? MAY_IMPORT[folder].map((f) => `${f}/`).join(', ') : 'no other project folder';
  return {
    name: `${folder}-imports`,
    severity: 'error',
    comment: `ARCHITECTURE.md "Folders": ${folder}/ may import ${allowed}.`,
    from: { path: fromPath(folder) },
    to: { path: `^(${forbidden.join('|')})/` },
  };
});

/** @type {import('dependency-cruiser').IConfiguration} */
module.exports = {
  forbidden: [
    {
      name: 'no-circular',
      severity: 'error',
      comment:
        'An import cycle: modules that load each other at run time (initialisation order, tangled layers). Break it by moving ' +
        'the shared part into a module both import. Cycles that pass through an `import type` are erased by the compiler and ' +
        'not flagged (route modules take `type App` from app.ts, engine helpers `type Engine` from engine.ts).',
      from: {},
      to: { circular: true, viaOnly: { dependencyTypesNot: ['type-only'] } },
    },
    ...folderRules,
    {
      name: 'web-is-browser-code',
      severity: 'error',
      comment:
        'ARCHITECTURE.md: dashboard/web/ is plain browser ES modules served as they are: it imports only its own files and ' +
        'URLs the server serves (/vendor/uplot/…, generated modules such as /alert-texts.js); no Node built-ins, no npm ' +
        'packages, no server code.',
      from: { path: '^dashboard/web/' },
      // A URL the server serves is no file in the tree, so it does not resolve; everything that does resolve must be web/.
      to: { pathNot: '^dashboard/web/', couldNotResolve: false },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    exclude: { path: '^(dist|data|coverage)/' },
    // Type-only imports count: a layer that needs another layer's types depends on it.
    tsPreCompilationDeps: true,
    // The code imports './x.js' for './x.ts' (NodeNext); the tsconfig makes the resolver map them.
    tsConfig: { fileName: 'tsconfig.json' },
    enhancedResolveOptions: {
      exportsFields: ['exports'],
      conditionNames: ['import', 'require', 'node', 'default', 'types'],
      extensions: ['.ts', '.js', '.mjs', '.cjs', '.json'],
      mainFields: ['module', 'main', 'types'],
    },
    skipAnalysisNotInRules: true,
    // The code is ES modules only; not looking for require/define saves time.
    moduleSystems: ['es6'],
  },
};
