import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { SqlStorage } from '../sql/sql-storage.js';
import { SqliteDriver, type SqliteOptions } from './sqlite-driver.js';

/** The embedded default: one SQLite file (WAL) under the data directory. */
export function openSqliteStorage(options: SqliteOptions, now?: () => number): SqlStorage {
  if (options.path !== ':memory:') mkdirSync(dirname(options.path), { recursive: true });
  return new SqlStorage(new SqliteDriver(options), now);
}
