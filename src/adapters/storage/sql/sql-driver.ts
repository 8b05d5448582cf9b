/**
 * The little that differs between the embedded and the scale-out database. The store and the
 * migrations are written once against this interface, with `?` placeholders; each driver turns
 * them into its own form. Keeping the SQL in one place is what keeps the two adapters equal.
 */
export type Row = Record<string, unknown>;

export interface SqlExecutor {
  all<T = Row>(sql: string, params?: readonly unknown[]): Promise<T[]>;
  get<T = Row>(sql: string, params?: readonly unknown[]): Promise<T | undefined>;
  /** Runs a write and returns the number of rows it changed. */
  run(sql: string, params?: readonly unknown[]): Promise<number>;
}

export interface SqlDialect {
  readonly name: 'sqlite' | 'postgres';
  /** Column definition of an auto-incrementing 64-bit primary key. */
  readonly autoIdColumn: string;
  /** Appended to a SELECT that must hold its rows until commit. */
  readonly forUpdate: string;
  /**
   * Statement run before appending an event, with the tenant id as parameter, or null. On
   * PostgreSQL, concurrent transactions would otherwise take event ids in one order and commit in
   * another, and a reader resuming "after id N" could skip an event that commits late. A
   * per-tenant transaction lock taken just before the insert makes id order equal commit order.
   */
  readonly eventAppendLock: string | null;
  /** Statement that serialises concurrent migrators, or null when the driver already does. */
  readonly migrationLock: string | null;
  /**
   * Put after a table name to make the planner use that index (SQLite's `INDEXED BY`), or ''
   * where the planner needs no telling. SQLite without statistics rates a partial index no better
   * than a full one and may scan a tenant's whole history where the live rows would do.
   */
  indexedBy(index: string): string;
}

export interface SqlDriver extends SqlExecutor {
  readonly dialect: SqlDialect;
  /** Runs `work` in one transaction: committed when it resolves, rolled back when it rejects. */
  transaction<T>(work: (executor: SqlExecutor) => Promise<T>): Promise<T>;
  close(): Promise<void>;
}
