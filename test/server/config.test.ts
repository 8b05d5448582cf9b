import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { ConfigError, loadConfig, SETTINGS } from '../../src/server/config.js';

const dir = mkdtempSync(join(tmpdir(), 'sb-config-'));
after(() => rmSync(dir, { recursive: true, force: true }));

describe('configuration', () => {
  it('defaults to SQLite under ./data, port 3000, loopback, the in-process bus', () => {
    const c = loadConfig({}, dir);
    assert.deepEqual(c.database, { kind: 'sqlite', path: join(dir, 'data', 'switchboard.db'), synchronous: 'NORMAL', checkpoint: 'background' });
    assert.equal(c.port, 3000);
    assert.equal(c.host, '127.0.0.1');
    assert.equal(c.bus, 'in-process');
    assert.equal(c.bodyLimit, 1048576);
  });

  it('uses PORT when SWITCHBOARD_PORT is unset, and prefers SWITCHBOARD_PORT', () => {
    assert.equal(loadConfig({ PORT: '8080' }, dir).port, 8080);
    assert.equal(loadConfig({ PORT: '8080', SWITCHBOARD_PORT: '9090' }, dir).port, 9090);
  });

  it('puts the SQLite file in SWITCHBOARD_DATA_DIR', () => {
    const c = loadConfig({ SWITCHBOARD_DATA_DIR: '/var/lib/sb' }, dir);
    assert.equal(c.database.kind === 'sqlite' && c.database.path, '/var/lib/sb/switchboard.db');
  });

  it('selects PostgreSQL for a postgres:// DATABASE_URL', () => {
    const c = loadConfig({ DATABASE_URL: 'postgres://u@db:5432/sb', SWITCHBOARD_PG_SCHEMA: 'tenant_a' }, dir);
    assert.deepEqual(c.database, { kind: 'postgres', url: 'postgres://u@db:5432/sb', schema: 'tenant_a', maxConnections: 10 });
  });

  it('lists every problem at once', () => {
    try {
      loadConfig({ SWITCHBOARD_PORT: 'eighty', DATABASE_URL: 'mysql://x', SWITCHBOARD_LOG_LEVEL: 'loud', SWITCHBOARD_SQLITE_SYNCHRONOUS: 'OFF', SWITCHBOARD_SQLITE_CHECKPOINT: 'sometimes', SWITCHBOARD_BUS: 'kafka' }, dir);
      assert.fail('expected a ConfigError');
    } catch (error) {
      assert.ok(error instanceof ConfigError);
      assert.equal(error.problems.length, 6, error.message);
      for (const word of ['port', 'DATABASE_URL', 'logLevel', 'sqliteSynchronous', 'sqliteCheckpoint', 'bus']) assert.match(error.message, new RegExp(word));
    }
  });

  it('signs tokens RS256 unless SWITCHBOARD_TOKEN_ALG says ES256', () => {
    assert.equal(loadConfig({}, dir).identity.tokenAlgorithm, 'RS256');
    assert.equal(loadConfig({ SWITCHBOARD_TOKEN_ALG: 'es256' }, dir).identity.tokenAlgorithm, 'ES256');
    assert.throws(() => loadConfig({ SWITCHBOARD_TOKEN_ALG: 'HS256' }, dir), /tokenAlgorithm \(SWITCHBOARD_TOKEN_ALG\) must be RS256 or ES256/);
  });

  it('reads an optional JSON file, with the environment taking precedence', () => {
    const file = join(dir, 'custom.json');
    writeFileSync(file, JSON.stringify({ port: 4000, logLevel: 'debug', host: '0.0.0.0' }));
    const c = loadConfig({ SWITCHBOARD_CONFIG: file, SWITCHBOARD_LOG_LEVEL: 'warn' }, dir);
    assert.equal(c.port, 4000);
    assert.equal(c.host, '0.0.0.0');
    assert.equal(c.logLevel, 'warn');
    assert.ok(c.sources.includes(file));
  });

  it('picks up ./switchboard.config.json without being told', () => {
    const own = mkdtempSync(join(tmpdir(), 'sb-config-own-'));
    try {
      writeFileSync(join(own, 'switchboard.config.json'), JSON.stringify({ port: 4100 }));
      assert.equal(loadConfig({}, own).port, 4100);
    } finally {
      rmSync(own, { recursive: true, force: true });
    }
  });

  it('rejects unknown keys and broken JSON in the file, and a missing explicit file', () => {
    const bad = join(dir, 'bad.json');
    writeFileSync(bad, JSON.stringify({ prot: 1 }));
    assert.throws(() => loadConfig({ SWITCHBOARD_CONFIG: bad }, dir), /unknown setting "prot"/);
    writeFileSync(bad, '{ nope');
    assert.throws(() => loadConfig({ SWITCHBOARD_CONFIG: bad }, dir), /not valid JSON/);
    assert.throws(() => loadConfig({ SWITCHBOARD_CONFIG: join(dir, 'missing.json') }, dir), /does not exist/);
  });

  it('paces the wallboard feed at 250 ms with a 5 s refresh, and refuses a refresh shorter than the interval', () => {
    assert.deepEqual(loadConfig({}, dir).wallboard, { intervalMs: 250, refreshMs: 5000 });
    assert.deepEqual(loadConfig({ SWITCHBOARD_WALLBOARD_INTERVAL_MS: '1000', SWITCHBOARD_WALLBOARD_REFRESH_MS: '2000' }, dir).wallboard, { intervalMs: 1000, refreshMs: 2000 });
    assert.throws(() => loadConfig({ SWITCHBOARD_WALLBOARD_INTERVAL_MS: '10' }, dir), /wallboardIntervalMs \(SWITCHBOARD_WALLBOARD_INTERVAL_MS\) must be an integer from 50/);
    assert.throws(() => loadConfig({ SWITCHBOARD_WALLBOARD_INTERVAL_MS: '1000', SWITCHBOARD_WALLBOARD_REFRESH_MS: '500' }, dir), /wallboardRefreshMs .* must be at least wallboardIntervalMs/);
  });

  it('has one row in the README configuration table per setting, with the same file key and default', () => {
    const readme = readFileSync(new URL('../../README.md', import.meta.url), 'utf8');
    const rows = new Map<string, { file: string; default: string }>();
    for (const line of readme.split('\n')) {
      const cells = /^\| `([A-Z_]+)` \|\s*(`([A-Za-z]+)`)?\s*\| ([^|]*) \|/.exec(line);
      if (cells) rows.set(cells[1]!, { file: cells[3] ?? '', default: cells[4]!.replaceAll('`', '').trim() });
    }
    assert.deepEqual([...rows.keys()], SETTINGS.map((s) => s.env), 'the same settings, in the same order');
    for (const setting of SETTINGS) {
      const row = rows.get(setting.env)!;
      assert.equal(row.file, setting.file ?? '', `${setting.env}: file key`);
      // The README words some defaults differently ("unset: SQLite"); the numbers and names must match.
      const leading = /^[\w.\/-]+/.exec(setting.default)?.[0];
      if (leading && !setting.default.startsWith('(')) assert.ok(row.default.startsWith(leading), `${setting.env}: default "${row.default}" vs "${setting.default}"`);
    }
  });

  it('is frozen', () => {
    const c = loadConfig({}, dir);
    assert.ok(Object.isFrozen(c) && Object.isFrozen(c.database));
    assert.throws(() => {
      (c as { port: number }).port = 1;
    }, TypeError);
  });
});

describe('process.env is read only by the configuration loader and the CLI', () => {
  it('appears nowhere else in src/', async () => {
    const { readSources } = await import('../architecture/dependency-rules.js');
    const offenders = readSources(new URL('../..', import.meta.url).pathname)
      .filter((f) => /process\.env/.test(f.text.replace(/\/\/.*$|\/\*[\s\S]*?\*\//gm, '')))
      .map((f) => f.path)
      .filter((p) => p !== 'src/server/config.ts' && p !== 'src/cli/main.ts');
    assert.deepEqual(offenders, []);
  });
});
