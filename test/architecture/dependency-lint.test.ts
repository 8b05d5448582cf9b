import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { checkFiles, readSources, type SourceFile } from './dependency-rules.js';

const root = new URL('../..', import.meta.url).pathname;

describe('dependency lint', () => {
  it('finds no import that points outward in src/', () => {
    const files = readSources(root);
    assert.ok(files.length > 30, 'the lint must actually see the sources');
    const violations = checkFiles(files);
    assert.deepEqual(violations, [], violations.map((v) => `${v.file} imports ${v.imports}: ${v.rule}`).join('\n'));
  });

  const cases: ReadonlyArray<[string, SourceFile, RegExp | null]> = [
    ['core importing app', { path: 'src/core/x.ts', text: "import { a } from '../app/deps.js';" }, /core may not import app/],
    ['core importing an adapter', { path: 'src/core/x.ts', text: "export * from '../adapters/system/system-clock.js';" }, /core may not import adapters/],
    ['core using node:fs', { path: 'src/core/x.ts', text: "import { readFileSync } from 'node:fs';" }, /core is pure/],
    ['core using a package', { path: 'src/core/x.ts', text: "import pg from 'pg';" }, /core may not use package pg/],
    ['app importing the server', { path: 'src/app/x.ts', text: "import type { Config } from '../server/config.js';" }, /app may not import server/],
    ['app importing an adapter', { path: 'src/app/x.ts', text: "import { SqlStore } from '../adapters/storage/sql/sql-store.js';" }, /app may not import adapters/],
    ['an adapter importing another adapter', { path: 'src/adapters/storage/sqlite/x.ts', text: "import { PostgresDriver } from '../postgres/postgres-driver.js';" }, /adapter storage\/sqlite may not import adapter storage\/postgres/],
    ['an adapter importing another kind of adapter', { path: 'src/adapters/bus/in-process/x.ts', text: "import { SqlStore } from '../../storage/sql/sql-store.js';" }, /adapter bus\/in-process may not import adapter storage\/sql/],
    ['an adapter importing the server', { path: 'src/adapters/system/x.ts', text: "import { loadConfig } from '../../server/config.js';" }, /adapters may not import server/],
    ['a dynamic import outward', { path: 'src/core/x.ts', text: "const m = await import('../server/config.js');" }, /core may not import server/],
    ['a storage adapter building on the shared SQL store', { path: 'src/adapters/storage/postgres/x.ts', text: "import { SqlStorage } from '../sql/sql-storage.js';" }, null],
    ['the server importing anything inward', { path: 'src/server/x.ts', text: "import { a } from '../adapters/storage/sqlite/sqlite-storage.js';\nimport pg from 'pg';" }, null],
  ];
  for (const [name, file, expected] of cases) {
    it(expected ? `flags ${name}` : `allows ${name}`, () => {
      const violations = checkFiles([file]);
      if (expected) {
        assert.equal(violations.length, 1, JSON.stringify(violations));
        assert.match(violations[0]!.rule, expected);
      } else {
        assert.deepEqual(violations, []);
      }
    });
  }
});
