import { SqlStorage } from '../sql/sql-storage.js';
import { PostgresDriver, type PostgresOptions } from './postgres-driver.js';

/** The scale-out store: PostgreSQL, chosen by a `postgres://` DATABASE_URL. */
export function openPostgresStorage(options: PostgresOptions, now?: () => number): SqlStorage {
  return new SqlStorage(new PostgresDriver(options), now);
}
