import type { SqlDialect, SqlDriver } from './sql-driver.js';

export interface Migration {
  readonly version: number;
  readonly name: string;
  /** Statements, one per entry, valid on both SQLite and PostgreSQL for the given dialect. */
  readonly statements: (dialect: SqlDialect) => readonly string[];
}

/**
 * The one set of migrations. Times are epoch milliseconds (BIGINT), JSON is stored as text, and
 * ids are text: the common ground of both databases. Append new migrations; never edit old ones.
 */
export const MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    name: 'conversation model and event log',
    statements: (d) => [
      `CREATE TABLE tenants (
        id TEXT PRIMARY KEY, name TEXT NOT NULL, created_at BIGINT NOT NULL)`,
      `CREATE TABLE api_keys (
        id TEXT PRIMARY KEY, secret_hash TEXT NOT NULL, label TEXT NOT NULL,
        created_at BIGINT NOT NULL, revoked_at BIGINT)`,
      `CREATE TABLE channels (
        id TEXT PRIMARY KEY, tenant_id TEXT NOT NULL REFERENCES tenants(id), type TEXT NOT NULL,
        name TEXT NOT NULL, config TEXT NOT NULL, created_at BIGINT NOT NULL)`,
      `CREATE INDEX channels_tenant ON channels (tenant_id, id)`,
      `CREATE TABLE contacts (
        id TEXT PRIMARY KEY, tenant_id TEXT NOT NULL REFERENCES tenants(id), display_name TEXT,
        attributes TEXT NOT NULL, created_at BIGINT NOT NULL)`,
      `CREATE INDEX contacts_tenant ON contacts (tenant_id, id)`,
      `CREATE TABLE contact_identities (
        tenant_id TEXT NOT NULL, channel_type TEXT NOT NULL, address TEXT NOT NULL,
        contact_id TEXT NOT NULL REFERENCES contacts(id),
        PRIMARY KEY (tenant_id, channel_type, address))`,
      `CREATE INDEX contact_identities_contact ON contact_identities (contact_id)`,
      `CREATE TABLE agents (
        id TEXT PRIMARY KEY, tenant_id TEXT NOT NULL REFERENCES tenants(id), kind TEXT NOT NULL,
        display_name TEXT NOT NULL, email TEXT, capacity INTEGER NOT NULL, created_at BIGINT NOT NULL)`,
      `CREATE INDEX agents_tenant ON agents (tenant_id, id)`,
      `CREATE TABLE queues (
        id TEXT PRIMARY KEY, tenant_id TEXT NOT NULL REFERENCES tenants(id), name TEXT NOT NULL,
        priority INTEGER NOT NULL, created_at BIGINT NOT NULL)`,
      `CREATE INDEX queues_tenant ON queues (tenant_id, id)`,
      `CREATE TABLE queue_members (
        queue_id TEXT NOT NULL REFERENCES queues(id), agent_id TEXT NOT NULL REFERENCES agents(id),
        tenant_id TEXT NOT NULL, added_at BIGINT NOT NULL, PRIMARY KEY (queue_id, agent_id))`,
      `CREATE TABLE conversations (
        id TEXT PRIMARY KEY, tenant_id TEXT NOT NULL REFERENCES tenants(id),
        channel_id TEXT NOT NULL REFERENCES channels(id), contact_id TEXT NOT NULL REFERENCES contacts(id),
        state TEXT NOT NULL, queue_id TEXT REFERENCES queues(id), subject TEXT, priority INTEGER NOT NULL,
        last_seq INTEGER NOT NULL, created_at BIGINT NOT NULL, updated_at BIGINT NOT NULL, closed_at BIGINT)`,
      `CREATE INDEX conversations_tenant ON conversations (tenant_id, id)`,
      `CREATE INDEX conversations_tenant_state ON conversations (tenant_id, state, id)`,
      `CREATE INDEX conversations_tenant_contact ON conversations (tenant_id, contact_id, id)`,
      `CREATE TABLE participants (
        id TEXT PRIMARY KEY, tenant_id TEXT NOT NULL, conversation_id TEXT NOT NULL REFERENCES conversations(id),
        role TEXT NOT NULL, ref_id TEXT, display_name TEXT, audience TEXT NOT NULL,
        joined_at BIGINT NOT NULL, left_at BIGINT)`,
      `CREATE INDEX participants_conversation ON participants (conversation_id, joined_at)`,
      `CREATE TABLE messages (
        conversation_id TEXT NOT NULL REFERENCES conversations(id), seq INTEGER NOT NULL,
        id TEXT NOT NULL UNIQUE, tenant_id TEXT NOT NULL, sender_role TEXT NOT NULL, sender_id TEXT,
        visibility TEXT NOT NULL, text TEXT NOT NULL, attachments TEXT NOT NULL, idempotency_key TEXT,
        created_at BIGINT NOT NULL, PRIMARY KEY (conversation_id, seq))`,
      // Partial: most messages carry no key, and an index entry for each would cost every insert.
      `CREATE UNIQUE INDEX messages_idempotency ON messages (conversation_id, idempotency_key) WHERE idempotency_key IS NOT NULL`,
      `CREATE TABLE context_variables (
        conversation_id TEXT NOT NULL REFERENCES conversations(id), name TEXT NOT NULL,
        tenant_id TEXT NOT NULL, type TEXT NOT NULL, value TEXT NOT NULL, updated_at BIGINT NOT NULL,
        PRIMARY KEY (conversation_id, name))`,
      `CREATE TABLE events (
        id ${d.autoIdColumn}, tenant_id TEXT NOT NULL, type TEXT NOT NULL, conversation_id TEXT,
        actor TEXT NOT NULL, occurred_at BIGINT NOT NULL, payload TEXT NOT NULL)`,
      `CREATE INDEX events_tenant ON events (tenant_id, id)`,
      `CREATE INDEX events_conversation ON events (conversation_id, id)`,
    ],
  },
];

export const LATEST_VERSION = MIGRATIONS[MIGRATIONS.length - 1]!.version;

/** Applies pending migrations, each in its own transaction; safe to run from several nodes at once. */
export async function applyMigrations(driver: SqlDriver, now: () => number): Promise<{ applied: string[]; current: number }> {
  await driver.run(`CREATE TABLE IF NOT EXISTS schema_migrations (
    version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at BIGINT NOT NULL)`);
  const applied: string[] = [];
  for (const migration of MIGRATIONS) {
    const done = await driver.transaction(async (ex) => {
      if (driver.dialect.migrationLock) await ex.get(driver.dialect.migrationLock);
      const already = await ex.get('SELECT version FROM schema_migrations WHERE version = ?', [migration.version]);
      if (already) return false;
      for (const statement of migration.statements(driver.dialect)) await ex.run(statement);
      await ex.run('INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)', [migration.version, migration.name, now()]);
      return true;
    });
    if (done) applied.push(`${migration.version} ${migration.name}`);
  }
  const row = await driver.get<{ v: number | null }>('SELECT MAX(version) AS v FROM schema_migrations');
  return { applied, current: Number(row?.v ?? 0) };
}
