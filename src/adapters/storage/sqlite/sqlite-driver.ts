import Database from 'better-sqlite3';
import type { Row, SqlDialect, SqlDriver, SqlExecutor } from '../sql/sql-driver.js';
import { WalCheckpointer } from './wal-checkpointer.js';

export const SQLITE_DIALECT: SqlDialect = Object.freeze({
  name: 'sqlite',
  autoIdColumn: 'INTEGER PRIMARY KEY AUTOINCREMENT',
  forUpdate: '',
  eventAppendLock: null,
  migrationLock: null,
  indexedBy: (index: string) => ` INDEXED BY ${index}`,
});

export interface SqliteOptions {
  /** A file path, or `:memory:` for a throw-away database. */
  readonly path: string;
  /** `NORMAL` survives a process crash (WAL is written before commit returns); `FULL` also a power cut. */
  readonly synchronous: 'NORMAL' | 'FULL';
  /**
   * Who copies the WAL into the database file: `background` (the default for a file) a worker
   * thread with its own connection (see WalCheckpointer), started once the database has seen
   * some writes; `inline` SQLite's automatic checkpoint inside the COMMIT that crosses 1,000 pages.
   */
  readonly checkpoint?: 'background' | 'inline' | undefined;
}

/** Commits before the background checkpointer starts: a database that is barely written (most tests) never needs the thread. */
const COMMITS_BEFORE_CHECKPOINTER = 200;
/** SQLite's default automatic checkpoint, restored if the checkpointer's thread dies. */
const DEFAULT_AUTOCHECKPOINT_PAGES = 1000;

interface Unit {
  readonly work: (executor: SqlExecutor) => Promise<unknown>;
  readonly resolve: (value: unknown) => void;
  readonly reject: (error: unknown) => void;
}

type Outcome = { ok: true; value: unknown } | { ok: false; error: unknown };

/** Most units a group commit takes at once; the rest wait for the next batch. */
const MAX_BATCH = 256;

/**
 * better-sqlite3 is synchronous, and one connection does all the work.
 *
 * Group commit: transactions are queued and run in batches inside one `BEGIN IMMEDIATE ...
 * COMMIT`, each unit in its own SAVEPOINT when there are several, so a unit that fails rolls
 * back alone while the others commit. A unit's promise settles only after the shared COMMIT, so
 * nothing is acknowledged (or published) before it is durable. A batch starts on `setImmediate`:
 * when the server is idle that is one loop turn of latency, and under load every request that
 * arrived in the same loop turn shares one commit and rewrites the same WAL pages once instead of
 * once per request.
 *
 * A plain read that arrives while a batch is open waits for it instead of seeing uncommitted rows.
 * A unit of work must only talk to the database: one that awaited other I/O would hold the write
 * lock meanwhile, and one that opened a nested transaction would wait for its own batch forever.
 */
export class SqliteDriver implements SqlDriver {
  readonly dialect = SQLITE_DIALECT;
  private readonly db: Database.Database;
  private readonly statements = new Map<string, Database.Statement>();
  private readonly queue: Unit[] = [];
  private scheduled = false;
  private open = false;
  private idle: Promise<void> = Promise.resolve();
  private readonly inside: SqlExecutor;
  private checkpointer: WalCheckpointer | null = null;
  /** Commits until the checkpointer starts; -1 once started or when it never will. */
  private commitsBeforeCheckpointer: number;

  constructor(private readonly options: SqliteOptions) {
    this.commitsBeforeCheckpointer = options.path === ':memory:' || options.checkpoint === 'inline' ? -1 : COMMITS_BEFORE_CHECKPOINTER;
    this.db = new Database(options.path);
    this.db.pragma('journal_mode = WAL');
    this.db.pragma(`synchronous = ${options.synchronous}`);
    this.db.pragma('foreign_keys = ON');
    this.db.pragma('busy_timeout = 5000');
    // Every unit of a group commit runs in its own SAVEPOINT, so SQLite keeps a statement journal
    // (the pages' contents before the unit) for each. Above 64 KiB one spills to a temporary file:
    // an open, writes and an unlink per commit, which made the routing engine's inserts 2-3x
    // slower (B2). In memory it never touches the disk; it only ever holds the pages of one
    // transaction, and losing it in a crash is harmless (the WAL makes the commit atomic). The
    // pragma also keeps temporary tables and sort indexes in memory; no query here builds a big one.
    this.db.pragma('temp_store = MEMORY');
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
    if (this.open) await this.idle;
    return this.inside.all<T>(sql, params);
  }
  async get<T = Row>(sql: string, params?: readonly unknown[]): Promise<T | undefined> {
    if (this.open) await this.idle;
    return this.inside.get<T>(sql, params);
  }
  async run(sql: string, params?: readonly unknown[]): Promise<number> {
    if (this.open) await this.idle;
    return this.inside.run(sql, params);
  }

  transaction<T>(work: (executor: SqlExecutor) => Promise<T>): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      this.queue.push({ work, resolve: resolve as (value: unknown) => void, reject });
      this.schedule();
    });
  }

  private schedule(): void {
    if (this.scheduled || this.open || this.queue.length === 0) return;
    this.scheduled = true;
    setImmediate(() => void this.runBatch());
  }

  private async runBatch(): Promise<void> {
    this.scheduled = false;
    const units = this.queue.splice(0, MAX_BATCH);
    const outcomes: Outcome[] = [];
    let release!: () => void;
    this.idle = new Promise<void>((resolve) => (release = resolve));
    this.open = true;
    try {
      // IMMEDIATE takes the write lock up front, so a batch never fails half-way on upgrade.
      this.control('BEGIN IMMEDIATE');
      // A unit alone in its batch needs no savepoint: if it fails, the whole transaction rolls
      // back, which undoes exactly that unit. It saves three statements and the statement
      // journal's copy of every page the unit touches, in the commit of every quiet moment.
      if (units.length === 1) {
        const outcome = await this.alone(units[0]!);
        outcomes.push(outcome);
        if (!outcome.ok) {
          // Some errors (a full disk, say) have already rolled SQLite's transaction back.
          if (this.db.inTransaction) this.control('ROLLBACK');
          return;
        }
      } else for (const unit of units) {
        this.control('SAVEPOINT unit');
        try {
          const value = await unit.work(this.inside);
          this.control('RELEASE unit');
          outcomes.push({ ok: true, value });
        } catch (error) {
          this.control('ROLLBACK TO unit');
          this.control('RELEASE unit');
          outcomes.push({ ok: false, error });
        }
      }
      this.control('COMMIT');
      this.committed();
    } catch (error) {
      // BEGIN, a savepoint or the COMMIT itself failed: nothing of this batch is durable.
      if (this.db.inTransaction) this.control('ROLLBACK');
      outcomes.splice(0, outcomes.length, ...units.map(() => ({ ok: false as const, error })));
    } finally {
      this.open = false;
      release();
      this.schedule();
      this.settle(units, outcomes);
    }
  }

  /** A unit run straight inside the batch's transaction (no savepoint); its error is its outcome. */
  private async alone(unit: Unit): Promise<Outcome> {
    try {
      return { ok: true, value: await unit.work(this.inside) };
    } catch (error) {
      return { ok: false, error };
    }
  }

  private settle(units: readonly Unit[], outcomes: readonly Outcome[]): void {
    units.forEach((unit, i) => {
      const outcome = outcomes[i]!;
      if (outcome.ok) unit.resolve(outcome.value);
      else unit.reject(outcome.error);
    });
  }

  /** Background checkpoint passes so far (0 before the thread starts, or with `inline`). */
  get backgroundCheckpoints(): number {
    return this.checkpointer?.checkpoints ?? 0;
  }

  private committed(): void {
    if (this.checkpointer) return this.checkpointer.committed();
    if (this.commitsBeforeCheckpointer < 0 || --this.commitsBeforeCheckpointer > 0) return;
    this.commitsBeforeCheckpointer = -1;
    const checkpointer = new WalCheckpointer(this.options.path, this.options.synchronous, () => {
      // The thread ended: on close that is expected; otherwise SQLite checkpoints inline again.
      if (this.checkpointer === checkpointer && this.db.open) this.db.pragma(`wal_autocheckpoint = ${DEFAULT_AUTOCHECKPOINT_PAGES}`);
      if (this.checkpointer === checkpointer) this.checkpointer = null;
    });
    this.checkpointer = checkpointer;
    this.db.pragma(`wal_autocheckpoint = ${WalCheckpointer.BACKSTOP_PAGES}`);
  }

  async close(): Promise<void> {
    while (this.open || this.scheduled || this.queue.length > 0) {
      await this.idle;
      await new Promise((resolve) => setImmediate(resolve));
    }
    // The worker's connection closes first, so this one is the last and checkpoints the WAL away.
    const checkpointer = this.checkpointer;
    this.checkpointer = null;
    await checkpointer?.close();
    this.statements.clear();
    if (this.db.open) this.db.close();
  }

  /** Transaction control through cached statements: `db.exec` would parse the SQL every time. */
  private control(sql: string): void {
    this.statement(sql).run();
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
