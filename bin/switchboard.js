#!/usr/bin/env node
// The installed command runs the compiled CLI; `npm run build` (run by `npm start`) produces it.
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const entry = new URL('../dist/cli/main.js', import.meta.url);
if (!existsSync(fileURLToPath(entry))) {
  process.stderr.write('switchboard: not built yet; run `npm run build` first (npm start does it).\n');
  process.exit(1);
}
await import(entry.href);
