#!/usr/bin/env node
// Runs every test/**/*.test.ts with node's own test runner (TypeScript through tsx).
// Node 20's runner does not expand globs, so the files are listed here.
import { spawnSync } from 'node:child_process';
import { readdirSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';

const root = new URL('..', import.meta.url).pathname;
const filter = process.argv.slice(2);

function collect(dir) {
  const found = [];
  for (const name of readdirSync(dir).sort()) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) found.push(...collect(path));
    else if (name.endsWith('.test.ts')) found.push(relative(root, path));
  }
  return found;
}

const files = collect(join(root, 'test')).filter((f) => filter.length === 0 || filter.some((x) => f.includes(x)));
if (files.length === 0) {
  console.error('no test files matched');
  process.exit(1);
}
// The browser journeys serve the built web app from dist/web and the widget from dist/widget (the
// size budget reads dist/web). They are built once here: suites running side by side and each building it would empty the folder under
// one another's server.
const env = { ...process.env };
if (files.some((f) => f.startsWith('test/browser/') || f.endsWith('web-app-size.test.ts'))) {
  // The widget too: the demo journey and the widget suite load /webchat/widget.js.
  for (const config of ['vite.web.config.ts', 'vite.widget.config.ts']) {
    const built = spawnSync(process.execPath, [join(root, 'node_modules/vite/bin/vite.js'), 'build', '--config', config, '--logLevel', 'warn'], { cwd: root, stdio: 'inherit' });
    if (built.status !== 0) process.exit(built.status ?? 1);
  }
  env.SWITCHBOARD_WEB_BUILT = '1';
}
const result = spawnSync(
  process.execPath,
  ['--import', 'tsx', '--test', '--test-reporter=spec', '--test-concurrency=2', ...files],
  { cwd: root, stdio: 'inherit', env },
);
process.exit(result.status ?? 1);
