import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { createAdminApiKey } from '../../src/app/use-cases/create-api-key.js';
import { assemble, type AssembleOverrides, type Switchboard } from '../../src/server/composition-root.js';
import { loadConfig, type Config } from '../../src/server/config.js';
import { createLogger } from '../../src/server/logger.js';
import { dropSchema, freshSchema, POSTGRES_URL } from './postgres.js';

export interface TestServer extends Switchboard {
  readonly config: Config;
  /** Headers carrying a valid admin API key. */
  readonly auth: { authorization: string };
  readonly key: string;
  /** The SQLite file, for tests that inspect the raw store. */
  readonly dbPath: string | undefined;
  stop(): Promise<void>;
}

/** A real Switchboard (real database, real Fastify) in this process, with a fresh database. */
export async function startTestServer(
  options: { database?: 'sqlite' | 'postgres'; env?: Record<string, string>; overrides?: Omit<AssembleOverrides, 'logger'> } = {},
): Promise<TestServer> {
  const dir = mkdtempSync(join(tmpdir(), 'sb-test-'));
  const schema = options.database === 'postgres' ? freshSchema() : undefined;
  const env: Record<string, string> = {
    SWITCHBOARD_DATA_DIR: dir,
    SWITCHBOARD_LOG_LEVEL: 'silent',
    SWITCHBOARD_PORT: '0',
    ...(schema ? { DATABASE_URL: POSTGRES_URL, SWITCHBOARD_PG_SCHEMA: schema } : {}),
    ...options.env,
  };
  const config = loadConfig(env, dir);
  const sb = await assemble(config, { ...options.overrides, logger: createLogger('silent') });
  const issued = await createAdminApiKey(sb.deps, 'test');
  return {
    ...sb,
    config,
    key: issued.token,
    auth: { authorization: `Bearer ${issued.token}` },
    dbPath: config.database.kind === 'sqlite' ? config.database.path : undefined,
    async stop() {
      await sb.close();
      if (schema) await dropSchema(schema);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/**
 * Every row of every table of a SQLite file, read through a second connection: what a test
 * compares before and after a rejected request to prove the request changed nothing.
 */
export function snapshotSqlite(path: string): string {
  const db = new Database(path, { readonly: true });
  try {
    const tables = db.prepare("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name").all() as { name: string }[];
    const dump: Record<string, unknown[]> = {};
    for (const { name } of tables) dump[name] = db.prepare(`SELECT * FROM "${name}" ORDER BY rowid`).all();
    return JSON.stringify(dump);
  } finally {
    db.close();
  }
}
