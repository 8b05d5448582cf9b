import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import type { DestinationStream } from 'pino';
import { createAdminApiKey } from '../../src/app/use-cases/create-api-key.js';
import { assemble, type AssembleOverrides, type Switchboard } from '../../src/server/composition-root.js';
import { loadConfig, type Config } from '../../src/server/config.js';
import { createLogger } from '../../src/server/logger.js';
import { dropSchema, freshSchema, POSTGRES_URL } from './postgres.js';

export type TestOverrides = Omit<AssembleOverrides, 'logger'>;

export interface TestServer extends Switchboard {
  readonly config: Config;
  /** Headers carrying a valid admin API key. */
  readonly auth: { authorization: string };
  readonly key: string;
  /** The SQLite file, for tests that inspect the raw store. */
  readonly dbPath: string | undefined;
  /**
   * Closes this server, keeping its database (SQLite file or PostgreSQL schema) with whatever was in
   * flight, and assembles a new one on it with the same config and key: a process restart. The new
   * server gets fresh `overrides` (a new clock or scheduler), none of the old one's in-memory state.
   */
  restart(overrides?: TestOverrides): Promise<TestServer>;
  /** Closes the newest server of a restart chain and removes the database; safe to call from any of them, twice. */
  stop(): Promise<void>;
}

/** A real Switchboard (real database, real Fastify) in this process, with a fresh database. */
export async function startTestServer(
  options: {
    database?: 'sqlite' | 'postgres'; env?: Record<string, string>; overrides?: TestOverrides;
    /** Receives every log line at trace level (tests that read the log); otherwise the log is silent. */
    logTo?: DestinationStream;
  } = {},
): Promise<TestServer> {
  const dir = mkdtempSync(join(tmpdir(), 'sb-test-'));
  const schema = options.database === 'postgres' ? freshSchema() : undefined;
  const env: Record<string, string> = {
    SWITCHBOARD_DATA_DIR: dir,
    SWITCHBOARD_LOG_LEVEL: 'silent',
    SWITCHBOARD_PORT: '0',
    // Statistics snapshots are events; tests that count events turn them on themselves.
    SWITCHBOARD_ROUTING_STATS_SECONDS: '0',
    ...(schema ? { DATABASE_URL: POSTGRES_URL, SWITCHBOARD_PG_SCHEMA: schema } : {}),
    ...options.env,
  };
  const config = loadConfig(env, dir);
  // Shared by every server of one restart chain: the database outlives each of them.
  type Member = { readonly sb: Switchboard; closed?: Promise<void> };
  const chain: { newest?: Member; removed?: Promise<void> } = {};
  const closeOnce = (member: Member): Promise<void> => (member.closed ??= member.sb.close());
  const removeData = async (): Promise<void> => {
    if (schema) await dropSchema(schema);
    rmSync(dir, { recursive: true, force: true });
  };

  /** Assembles a server on the chain's database; the first one issues the admin key, the others reuse it. */
  const open = async (overrides: TestOverrides | undefined, existingKey?: string): Promise<TestServer> => {
    const sb = await assemble(config, { ...overrides, logger: options.logTo ? createLogger('trace', options.logTo) : createLogger('silent') });
    const member: Member = { sb };
    chain.newest = member;
    const key = existingKey ?? (await createAdminApiKey(sb.deps, 'test')).token;
    return {
      ...sb,
      close: () => closeOnce(member),
      config,
      key,
      auth: { authorization: `Bearer ${key}` },
      dbPath: config.database.kind === 'sqlite' ? config.database.path : undefined,
      async restart(next) {
        if (chain.newest !== member) throw new Error('only the newest server of a restart chain can restart');
        if (chain.removed) throw new Error('the database was removed by stop()');
        await closeOnce(member);
        return open(next, key);
      },
      async stop() {
        if (chain.newest) await closeOnce(chain.newest);
        await (chain.removed ??= removeData());
      },
    };
  };
  return open(options.overrides);
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
