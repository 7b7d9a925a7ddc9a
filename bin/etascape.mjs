#!/usr/bin/env node
// The `etascape` command: runs the bundled CLI (built by `npm install` via `prepare`).
import { existsSync } from 'node:fs';

const cli = new URL('../dist/cli.mjs', import.meta.url);
if (!existsSync(cli)) {
  console.error('etascape: dist/cli.mjs is missing: run `npm install` (or `npm run build:cli`) in the etascape checkout');
  process.exit(1);
}
await import(cli.href);
