#!/usr/bin/env node
// The `metronet` command: the compiled CLI when built (`npm run build`), else the TypeScript
// sources through tsx, so a fresh clone works without a build step.
import { existsSync } from 'node:fs';

const dist = new URL('../dist/cli/main.js', import.meta.url);
if (existsSync(dist)) {
  await import(dist.href);
} else {
  const { register } = await import('tsx/esm/api');
  register();
  await import(new URL('../cli/main.ts', import.meta.url).href);
}
