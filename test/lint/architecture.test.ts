import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { cruise, type ICruiseResult } from 'dependency-cruiser';
import extractDepcruiseOptions from 'dependency-cruiser/config-utl/extract-depcruise-options';
import extractTSConfig from 'dependency-cruiser/config-utl/extract-ts-config';
import { afterAll, describe, expect, it } from 'vitest';

/**
 * The project's import rules (.dependency-cruiser.cjs, run by `npm run lint`) against throwaway
 * source trees under the OS temp folder: each case writes a few files in the project's layout
 * (core/, store/, gateway/, …), cruises them with the project's configuration and compares the
 * violations. Removing or loosening a rule makes a case fail.
 */
const ROOT = join(import.meta.dirname, '..', '..');
const CONFIG = join(ROOT, '.dependency-cruiser.cjs');
const TSCONFIG = { compilerOptions: { module: 'NodeNext', moduleResolution: 'NodeNext', target: 'ES2022', strict: true } };

const trees: string[] = [];
afterAll(() => {
  for (const dir of trees) rmSync(dir, { recursive: true, force: true });
});

interface Violation {
  rule: string;
  from: string;
  to: string;
}

/** Writes `files` (path relative to the tree root -> source) into a fresh tree and cruises it with the project's rules. */
async function violationsOf(files: Record<string, string>): Promise<Violation[]> {
  const dir = mkdtempSync(join(tmpdir(), 'metronet-lint-'));
  trees.push(dir);
  writeFileSync(join(dir, 'tsconfig.json'), JSON.stringify(TSCONFIG));
  for (const [path, source] of Object.entries(files)) {
    mkdirSync(dirname(join(dir, path)), { recursive: true });
    writeFileSync(join(dir, path), source);
  }
  const options = await extractDepcruiseOptions(CONFIG);
  const folders = [...new Set(Object.keys(files).map((p) => p.split('/')[0]!))].filter((f) => f !== 'node_modules');
  const { output } = await cruise(folders, { ...options, baseDir: dir, tsConfig: { fileName: join(dir, 'tsconfig.json') }, outputType: 'json' }, undefined, {
    tsConfig: extractTSConfig(join(dir, 'tsconfig.json')),
  });
  const result = (typeof output === 'string' ? JSON.parse(output) : output) as ICruiseResult;
  expect(result.summary.totalCruised).toBeGreaterThanOrEqual(Object.keys(files).length);
  return result.summary.violations.map((v) => ({ rule: v.rule.name, from: v.from, to: v.to }));
}

describe('architecture import rules (.dependency-cruiser.cjs)', () => {
  it('flags an import cycle', async () => {
    const found = await violationsOf({
      'gateway/index.ts': "import { run } from './dry-run.js';\nexport const start = () => run();\n",
      'gateway/dry-run.ts': "import { start } from './index.js';\nexport const run = () => 1;\nexport const again = () => start();\n",
    });
    expect(found.map((v) => v.rule)).toContain('no-circular');
    expect(found.every((v) => v.rule === 'no-circular')).toBe(true);
  });

  it('does not flag a cycle that only closes through `import type` (erased at compile time)', async () => {
    const found = await violationsOf({
      'dashboard/app.ts': "import { routes } from './routes/a.js';\nexport type App = { name: string };\nexport const app = routes;\n",
      'dashboard/routes/a.ts': "import type { App } from '../app.js';\nexport const routes = (a: App) => a.name;\n",
    });
    expect(found).toEqual([]);
  });

  it('flags core importing store (core imports no other project folder)', async () => {
    const found = await violationsOf({
      'core/config.ts': "import { openStore } from '../store/db.js';\nexport const x = openStore;\n",
      'store/db.ts': 'export const openStore = () => 1;\n',
    });
    expect(found).toEqual([{ rule: 'core-imports', from: 'core/config.ts', to: 'store/db.ts' }]);
  });

  it('flags gateway importing store, also by a type-only import', async () => {
    const found = await violationsOf({
      'gateway/spool.ts':
        "import { openStore } from '../store/db.js';\nimport type { Row } from '../store/types.js';\nexport const f = (r: Row) => openStore(r);\n",
      'store/db.ts': 'export const openStore = (r: unknown) => r;\n',
      'store/types.ts': 'export interface Row { id: string }\n',
    });
    expect(found).toEqual([
      { rule: 'gateway-imports', from: 'gateway/spool.ts', to: 'store/db.ts' },
      { rule: 'gateway-imports', from: 'gateway/spool.ts', to: 'store/types.ts' },
    ]);
  });

  it('flags one service reaching into another (ingest -> analytics)', async () => {
    const found = await violationsOf({
      'ingest/handlers.ts': "import { evaluate } from '../analytics/engine.js';\nexport const h = evaluate;\n",
      'analytics/engine.ts': 'export const evaluate = () => 1;\n',
    });
    expect(found).toEqual([{ rule: 'ingest-imports', from: 'ingest/handlers.ts', to: 'analytics/engine.ts' }]);
  });

  it('flags browser code importing a Node built-in, an npm package or server code', async () => {
    const found = await violationsOf({
      'dashboard/web/lib.js':
        "import { readFileSync } from 'node:fs';\nimport pad from 'leftpad';\nimport { ids } from '../../core/ids.js';\nexport const f = () => [readFileSync, pad, ids];\n",
      'core/ids.ts': 'export const ids = 1;\n',
      'node_modules/leftpad/package.json': '{ "name": "leftpad", "version": "1.0.0", "type": "module", "main": "index.js" }\n',
      'node_modules/leftpad/index.js': 'export default (s) => s;\n',
    });
    expect(found.map((v) => `${v.rule} ${v.to}`).sort()).toEqual([
      'web-is-browser-code core/ids.ts',
      'web-is-browser-code fs',
      'web-is-browser-code node_modules/leftpad/index.js',
    ]);
  });

  it('passes the imports the table allows', async () => {
    const found = await violationsOf({
      'core/ids.ts': "export const ids = 1;\nexport * from './errors.js';\n",
      'core/errors.ts': 'export class MetronetError extends Error {}\n',
      'store/db.ts': "import { ids } from '../core/ids.js';\nexport const openStore = () => ids;\n",
      'gateway/index.ts': "import { MetronetError } from '../core/ids.js';\nexport const e = MetronetError;\n",
      'analytics/engine.ts': "import { openStore } from '../store/db.js';\nexport const evaluate = () => openStore();\n",
      'dashboard/routes/drift.ts':
        "import { evaluate } from '../../analytics/engine.js';\nimport { openStore } from '../../store/db.js';\nexport const r = [evaluate, openStore];\n",
      // URLs the server serves (vendored uPlot, a generated module) are no files here: allowed.
      'dashboard/web/app.js':
        "import { t } from './lib.js';\nimport uPlot from '/vendor/uplot/uPlot.esm.js';\nimport texts from './alert-texts.js';\nexport const a = [t, uPlot, texts];\n",
      'dashboard/web/lib.js': 'export const t = 1;\n',
      'cli/main.ts': "import { e } from '../gateway/index.js';\nimport { r } from '../dashboard/routes/drift.js';\nexport const m = [e, r];\n",
      'test/x.test.ts': "import { m } from '../cli/main.js';\nexport const t = m;\n",
    });
    expect(found).toEqual([]);
  });

  it('has a folder rule for every top-level folder that holds code', () => {
    const config = readFileSync(CONFIG, 'utf8');
    const table = config.slice(config.indexOf('const MAY_IMPORT'), config.indexOf('};', config.indexOf('const MAY_IMPORT')));
    const skip = new Set(['node_modules', 'dist', 'data', 'coverage', 'docs']);
    const codeFolders = readdirSync(ROOT, { withFileTypes: true })
      .filter((d) => d.isDirectory() && !d.name.startsWith('.') && !skip.has(d.name))
      .map((d) => d.name)
      .filter((name) => readdirSync(join(ROOT, name), { recursive: true }).some((f) => /\.(ts|js|mjs|cjs)$/.test(String(f))));
    for (const folder of codeFolders)
      expect(table, `${folder}/ is missing from MAY_IMPORT in .dependency-cruiser.cjs`).toMatch(new RegExp(`\\n\\s*${folder}:`));
  });
});
