import type { MigrationReport, Storage, StoreReads, StoreTx } from '../../../app/ports/storage.js';
import { applyMigrations } from './migrations.js';
import type { SqlDriver } from './sql-driver.js';
import type { Tenant } from '../../../core/model.js';
import { SqlStore, type KnownTenants } from './sql-store.js';

/** The Storage port over any SqlDriver: the SQLite and PostgreSQL adapters differ only in driver. */
export class SqlStorage implements Storage {
  readonly read: StoreReads;
  /** Tenants read so far, shared by the read store (which fills it) and every transaction's store. */
  private readonly tenants = new Map<string, Tenant>();
  private readonly tenantsInTransactions: KnownTenants = { tenants: this.tenants, fill: false };

  constructor(private readonly driver: SqlDriver, private readonly now: () => number = Date.now) {
    this.read = new SqlStore(driver, driver.dialect, { tenants: this.tenants, fill: true });
  }

  get kind(): 'sqlite' | 'postgres' {
    return this.driver.dialect.name;
  }

  transaction<T>(work: (tx: StoreTx) => Promise<T>): Promise<T> {
    return this.driver.transaction((executor) => work(new SqlStore(executor, this.driver.dialect, this.tenantsInTransactions)));
  }

  migrate(): Promise<MigrationReport> {
    return applyMigrations(this.driver, this.now);
  }

  async ping(): Promise<void> {
    await this.driver.get('SELECT 1 AS ok');
  }

  close(): Promise<void> {
    return this.driver.close();
  }
}
