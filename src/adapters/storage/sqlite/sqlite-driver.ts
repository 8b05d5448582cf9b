import Database from 'better-sqlite3';
import type { Row, SqlDialect, SqlDriver, SqlExecutor } from '../sql/sql-driver.js';

export const SQLITE_DIALECT: SqlDialect = Object.freeze({
  name: 'sqlite',
  autoIdColumn: 'INTEGER PRIMARY KEY AUTOINCREMENT',
  forUpdate: '',
  eventAppendLock: null,
  migrationLock: null,
});

export interface SqliteOptions {
  /** A file path, or `:memory:` for a throw-away database. */
  readonly path: string;
  /** `NORMAL` survives a process crash (WAL is written before commit returns); `FULL` also a power cut. */
  readonly synchronous: 'NORMAL' | 'FULL';
}

/**
 * better-sqlite3 is synchronous, and one connection does all the work. Write transactions take
 * turns through a promise chain, so the async store code can await inside a transaction without
 * another request's statements landing in the middle of it; a plain read that arrives while a
 * transaction is open waits for it instead of seeing uncommitted rows.
 */
export class SqliteDriver implements SqlDriver {
  readonly dialect = SQLITE_DIALECT;
  private readonly db: Database.Database;
  private readonly statements = new Map<string, Database.Statement>();
  private tail: Promise<void> = Promise.resolve();
  private open = false;
  private readonly inside: SqlExecutor;

  constructor(options: SqliteOptions) {
    this.db = new Database(options.path);
    this.db.pragma('journal_mode = WAL');
    this.db.pragma(`synchronous = ${options.synchronous}`);
    this.db.pragma('foreign_keys = ON');
    this.db.pragma('busy_timeout = 5000');
    this.inside = {
      all: async <T>(sql: string, params?: readonly unknown[]) => this.statement(sql).all(...bind(params)) as T[],
      get: async <T>(sql: string, params?: readonly unknown[]) => this.statement(sql).get(...bind(params)) as T | undefined,
      run: async (sql: string, params?: readonly unknown[]) => this.statement(sql).run(...bind(params)).changes,
    };
  }

  /** Pragmas as the benchmarks and docs report them. */
  settings(): { journalMode: string; synchronous: number } {
    return {
      journalMode: String(this.db.pragma('journal_mode', { simple: true })),
      synchronous: Number(this.db.pragma('synchronous', { simple: true })),
    };
  }

  async all<T = Row>(sql: string, params?: readonly unknown[]): Promise<T[]> {
    if (this.open) await this.tail;
    return this.inside.all<T>(sql, params);
  }
  async get<T = Row>(sql: string, params?: readonly unknown[]): Promise<T | undefined> {
    if (this.open) await this.tail;
    return this.inside.get<T>(sql, params);
  }
  async run(sql: string, params?: readonly unknown[]): Promise<number> {
    if (this.open) await this.tail;
    return this.inside.run(sql, params);
  }

  async transaction<T>(work: (executor: SqlExecutor) => Promise<T>): Promise<T> {
    const previous = this.tail;
    let release!: () => void;
    this.tail = new Promise<void>((resolve) => (release = resolve));
    await previous;
    this.open = true;
    try {
      // IMMEDIATE takes the write lock up front, so a transaction never fails half-way on upgrade.
      this.db.exec('BEGIN IMMEDIATE');
      const result = await work(this.inside);
      this.db.exec('COMMIT');
      return result;
    } catch (error) {
      if (this.db.inTransaction) this.db.exec('ROLLBACK');
      throw error;
    } finally {
      this.open = false;
      release();
    }
  }

  async close(): Promise<void> {
    await this.tail;
    this.statements.clear();
    if (this.db.open) this.db.close();
  }

  private statement(sql: string): Database.Statement {
    let statement = this.statements.get(sql);
    if (!statement) {
      statement = this.db.prepare(sql);
      this.statements.set(sql, statement);
    }
    return statement;
  }
}

function bind(params: readonly unknown[] | undefined): unknown[] {
  if (!params) return [];
  return params.map((p) => (p === undefined ? null : p));
}
