import pg from 'pg';
import { snapshotSqlite, type TestServer } from './test-server.js';

/**
 * Every row of every table of a PostgreSQL schema, read through a connection of its own: the
 * PostgreSQL twin of `snapshotSqlite`. PostgreSQL has no rowid, so the rows of each table are
 * sorted by their JSON text, which makes two snapshots of the same contents equal.
 */
export async function snapshotPostgres(url: string, schema: string): Promise<string> {
  const db = new pg.Client({ connectionString: url });
  await db.connect();
  try {
    const tables = await db.query<{ name: string }>(
      "SELECT table_name AS name FROM information_schema.tables WHERE table_schema = $1 AND table_type = 'BASE TABLE' ORDER BY table_name", [schema],
    );
    const dump: Record<string, string[]> = {};
    for (const { name } of tables.rows) {
      const rows = await db.query(`SELECT * FROM "${schema}"."${name}"`);
      dump[name] = rows.rows.map((row) => JSON.stringify(row)).sort();
    }
    return JSON.stringify(dump);
  } finally {
    await db.end();
  }
}

/** The whole database of a test server, whichever it runs on: compare two to prove a request changed nothing. */
export async function snapshotDatabase(sb: TestServer): Promise<string> {
  const database = sb.config.database;
  if (database.kind === 'postgres') return snapshotPostgres(database.url, database.schema!);
  return snapshotSqlite(database.path);
}
