import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import Database from 'better-sqlite3';
import { SqliteDriver } from '../../src/adapters/storage/sqlite/sqlite-driver.js';
import { WalCheckpointer } from '../../src/adapters/storage/sqlite/wal-checkpointer.js';

const BLOB = 'x'.repeat(4000);

async function writeRows(driver: SqliteDriver, from: number, count: number): Promise<void> {
  const writes: Promise<unknown>[] = [];
  for (let i = from; i < from + count; i += 1) {
    writes.push(driver.transaction((tx) => tx.run('INSERT INTO t (id, body) VALUES (?, ?)', [i, BLOB])));
    // Four units per loop turn, which group commit merges: a commit of four rows, as a server under light load commits.
    if (i % 4 === 0) await Promise.all(writes.splice(0));
  }
  await Promise.all(writes);
}

/** Rows in the file as a fresh connection reads them once the driver has closed. */
function rowsIn(path: string): number {
  const check = new Database(path, { readonly: true });
  try {
    return (check.prepare('SELECT COUNT(*) AS n FROM t').get() as { n: number }).n;
  } finally {
    check.close();
  }
}

const walPages = (path: string): number => (existsSync(`${path}-wal`) ? statSync(`${path}-wal`).size / 4096 : 0);

test('a written database is checkpointed by the background thread, not inside the COMMITs, and nothing is lost', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'sb-wal-'));
  const path = join(dir, 'db.sqlite');
  try {
    const driver = new SqliteDriver({ path, synchronous: 'NORMAL' });
    await driver.run('CREATE TABLE t (id INTEGER PRIMARY KEY, body TEXT NOT NULL)');
    assert.equal(await driver.get<{ wal_autocheckpoint: number }>('PRAGMA wal_autocheckpoint').then((r) => r?.wal_autocheckpoint), 1000, 'inline until the database sees writes');
    // ~3,000 pages of rows: three times what SQLite's own checkpoint would copy inside a COMMIT.
    await writeRows(driver, 0, 3000);
    const pragma = await driver.get<{ wal_autocheckpoint: number }>('PRAGMA wal_autocheckpoint');
    assert.equal(pragma?.wal_autocheckpoint, WalCheckpointer.BACKSTOP_PAGES, 'the serving connection checkpoints only as a backstop');
    for (let waited = 0; driver.backgroundCheckpoints === 0 && waited < 5000; waited += 50) await new Promise((r) => setTimeout(r, 50));
    assert.ok(driver.backgroundCheckpoints > 0, 'the worker ran checkpoints');
    // The database file itself holds rows now: the WAL was copied into it while the writer went on.
    assert.ok(statSync(path).size > 1_000_000, `database file holds the copied pages (${statSync(path).size} bytes)`);
    // Once the writer pauses, a pass copies everything, and the next transaction starts the WAL over
    // (a writer that never pauses meets the serving connection's backstop instead).
    const passes = driver.backgroundCheckpoints;
    for (let waited = 0; driver.backgroundCheckpoints === passes && waited < 5000; waited += 50) await new Promise((r) => setTimeout(r, 50));
    await writeRows(driver, 3000, 1);
    const probe = new Database(path);
    try {
      const [frames] = probe.pragma('wal_checkpoint(PASSIVE)') as Array<{ log: number }>;
      assert.ok(frames!.log < 100, `the WAL started over: ${frames!.log} frames in it after ~3,000 pages went through`);
    } finally {
      probe.close();
    }
    await writeRows(driver, 3001, 2999);
    await driver.close();
    assert.equal(existsSync(`${path}-wal`), false, 'the last connection to close checkpoints the WAL away');
    assert.equal(rowsIn(path), 6000);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('inline checkpointing and in-memory databases start no thread', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'sb-wal-'));
  try {
    for (const driver of [new SqliteDriver({ path: join(dir, 'inline.sqlite'), synchronous: 'NORMAL', checkpoint: 'inline' }), new SqliteDriver({ path: ':memory:', synchronous: 'NORMAL' })]) {
      await driver.run('CREATE TABLE t (id INTEGER PRIMARY KEY, body TEXT NOT NULL)');
      await writeRows(driver, 0, 1000); // past the 200 commits that start the thread for a file
      assert.equal(await driver.get<{ wal_autocheckpoint: number }>('PRAGMA wal_autocheckpoint').then((r) => r?.wal_autocheckpoint), 1000);
      assert.equal(driver.backgroundCheckpoints, 0);
      await driver.close();
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('a checkpointer thread that dies hands checkpointing back to SQLite, and writes go on', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'sb-wal-'));
  const path = join(dir, 'db.sqlite');
  try {
    const driver = new SqliteDriver({ path, synchronous: 'NORMAL' });
    await driver.run('CREATE TABLE t (id INTEGER PRIMARY KEY, body TEXT NOT NULL)');
    await writeRows(driver, 0, 1000); // 250 commits: four rows share each group commit
    const autocheckpoint = () => driver.get<{ wal_autocheckpoint: number }>('PRAGMA wal_autocheckpoint').then((r) => r?.wal_autocheckpoint);
    assert.equal(await autocheckpoint(), WalCheckpointer.BACKSTOP_PAGES);
    // What an uncaught error in the thread, or its isolate running out of memory, comes to.
    const worker = (driver as unknown as { checkpointer: { worker: { terminate(): Promise<number> } } }).checkpointer.worker;
    await worker.terminate();
    for (let waited = 0; (await autocheckpoint()) !== 1000 && waited < 2000; waited += 20) await new Promise((r) => setTimeout(r, 20));
    assert.equal(await autocheckpoint(), 1000, 'SQLite checkpoints inside commits again');
    await writeRows(driver, 1000, 1500);
    assert.ok(walPages(path) < 3000, `the WAL is copied by SQLite again (${walPages(path)} pages)`);
    await driver.close();
    assert.equal(rowsIn(path), 2500);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
