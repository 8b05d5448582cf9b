import pg from 'pg';
import type { Row, SqlDialect, SqlDriver, SqlExecutor } from '../sql/sql-driver.js';

export const POSTGRES_DIALECT: SqlDialect = Object.freeze({
  name: 'postgres',
  autoIdColumn: 'BIGSERIAL PRIMARY KEY',
  forUpdate: ' FOR UPDATE',
  // Two-key form: the first key namespaces Switchboard's locks, the second is the tenant.
  eventAppendLock: "SELECT pg_advisory_xact_lock(18061, hashtext(?)) AS locked",
  migrationLock: 'SELECT pg_advisory_xact_lock(18061, 0) AS locked',
  indexedBy: () => '',
});

export interface PostgresOptions {
  readonly connectionString: string;
  /** Optional schema to work in (tests use one per run); created if missing. */
  readonly schema?: string | undefined;
  readonly maxConnections?: number | undefined;
}

const INT8_OID = 20;

// Counts and ids come back as 64-bit integers; every value we store fits in a double.
const types = {
  getTypeParser: (oid: number, format?: 'text' | 'binary') =>
    oid === INT8_OID ? (value: string) => Number(value) : (pg.types.getTypeParser as (o: number, f?: string) => unknown)(oid, format),
} as unknown as pg.CustomTypesConfig;

/** PostgreSQL through a `pg` pool; each transaction holds one pooled client from BEGIN to COMMIT. */
export class PostgresDriver implements SqlDriver {
  readonly dialect = POSTGRES_DIALECT;
  private readonly pool: pg.Pool;
  private readonly texts = new Map<string, string>();
  private ready: Promise<void> | undefined;

  constructor(private readonly options: PostgresOptions) {
    if (options.schema !== undefined && !/^[a-z_][a-z0-9_]*$/.test(options.schema)) {
      throw new Error(`invalid PostgreSQL schema name: ${options.schema}`);
    }
    this.pool = new pg.Pool({
      connectionString: options.connectionString,
      max: options.maxConnections ?? 10,
      types,
      ...(options.schema ? { options: `-c search_path=${options.schema}` } : {}),
    });
    // An idle client that loses its server must not crash the process; the next query reconnects.
    this.pool.on('error', () => undefined);
  }

  async all<T = Row>(sql: string, params?: readonly unknown[]): Promise<T[]> {
    await this.prepare();
    return (await this.pool.query(this.text(sql), params as unknown[] | undefined)).rows as T[];
  }
  async get<T = Row>(sql: string, params?: readonly unknown[]): Promise<T | undefined> {
    return (await this.all<T>(sql, params))[0];
  }
  async run(sql: string, params?: readonly unknown[]): Promise<number> {
    await this.prepare();
    return (await this.pool.query(this.text(sql), params as unknown[] | undefined)).rowCount ?? 0;
  }

  async transaction<T>(work: (executor: SqlExecutor) => Promise<T>): Promise<T> {
    await this.prepare();
    const client = await this.pool.connect();
    const executor: SqlExecutor = {
      all: async <R>(sql: string, params?: readonly unknown[]) => (await client.query(this.text(sql), params as unknown[] | undefined)).rows as R[],
      get: async <R>(sql: string, params?: readonly unknown[]) => (await client.query(this.text(sql), params as unknown[] | undefined)).rows[0] as R | undefined,
      run: async (sql: string, params?: readonly unknown[]) => (await client.query(this.text(sql), params as unknown[] | undefined)).rowCount ?? 0,
    };
    let broken = false;
    try {
      await client.query('BEGIN');
      const result = await work(executor);
      await client.query('COMMIT');
      return result;
    } catch (error) {
      try {
        await client.query('ROLLBACK');
      } catch {
        broken = true; // the connection itself failed; do not return it to the pool
      }
      throw error;
    } finally {
      client.release(broken);
    }
  }

  async close(): Promise<void> {
    await this.pool.end();
  }

  private prepare(): Promise<void> {
    if (!this.ready) {
      const schema = this.options.schema;
      this.ready = schema ? this.pool.query(`CREATE SCHEMA IF NOT EXISTS ${schema}`).then(() => undefined) : Promise.resolve();
      this.ready.catch(() => (this.ready = undefined)); // retry after an outage
    }
    return this.ready;
  }

  /** `?` placeholders to `$1, $2, ...`; our SQL never has a literal `?`. */
  private text(sql: string): string {
    let converted = this.texts.get(sql);
    if (converted === undefined) {
      let n = 0;
      converted = sql.replace(/\?/g, () => `$${++n}`);
      this.texts.set(sql, converted);
    }
    return converted;
  }
}
