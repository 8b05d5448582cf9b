import { LIVE_CONVERSATION, LIVE_ROUTING_ITEM } from './live-rows.js';
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
  {
    version: 2,
    name: 'routing: skills, presence, workstreams, routing items, offers, decisions',
    statements: () => [
      `ALTER TABLE agents ADD COLUMN used_capacity INTEGER NOT NULL DEFAULT 0`,
      `ALTER TABLE agents ADD COLUMN presence TEXT NOT NULL DEFAULT 'offline'`,
      `ALTER TABLE agents ADD COLUMN presence_since BIGINT`,
      `ALTER TABLE agents ADD COLUMN attributes TEXT NOT NULL DEFAULT '{}'`,
      `ALTER TABLE agents ADD COLUMN last_assigned_at BIGINT`,
      `ALTER TABLE agents ADD COLUMN missed_offers INTEGER NOT NULL DEFAULT 0`,
      `ALTER TABLE queues ADD COLUMN routing TEXT NOT NULL DEFAULT '{}'`,
      `ALTER TABLE queues ADD COLUMN version INTEGER NOT NULL DEFAULT 1`,
      `ALTER TABLE queues ADD COLUMN rr_last_agent_id TEXT`,
      `CREATE TABLE skills (
        tenant_id TEXT NOT NULL REFERENCES tenants(id), name TEXT NOT NULL, description TEXT,
        created_at BIGINT NOT NULL, PRIMARY KEY (tenant_id, name))`,
      `CREATE TABLE agent_skills (
        agent_id TEXT NOT NULL REFERENCES agents(id), skill TEXT NOT NULL, tenant_id TEXT NOT NULL,
        proficiency INTEGER NOT NULL, PRIMARY KEY (agent_id, skill))`,
      `CREATE INDEX agent_skills_tenant ON agent_skills (tenant_id, skill)`,
      `CREATE TABLE workstreams (
        id TEXT PRIMARY KEY, tenant_id TEXT NOT NULL REFERENCES tenants(id), name TEXT NOT NULL,
        definition TEXT NOT NULL, fallback_queue_id TEXT NOT NULL REFERENCES queues(id),
        version INTEGER NOT NULL, created_at BIGINT NOT NULL, updated_at BIGINT NOT NULL)`,
      `CREATE INDEX workstreams_tenant ON workstreams (tenant_id, id)`,
      // Which queues a workstream's rules or another queue's overflow rules name (`referrer_id` is
      // the workstream or queue id): a queue still referenced cannot be deleted.
      `CREATE TABLE routing_queue_refs (
        referrer_id TEXT NOT NULL, queue_id TEXT NOT NULL REFERENCES queues(id), tenant_id TEXT NOT NULL,
        PRIMARY KEY (referrer_id, queue_id))`,
      `CREATE INDEX routing_queue_refs_queue ON routing_queue_refs (queue_id)`,
      `CREATE TABLE routing_items (
        conversation_id TEXT PRIMARY KEY REFERENCES conversations(id), tenant_id TEXT NOT NULL,
        workstream_id TEXT NOT NULL, queue_id TEXT NOT NULL, status TEXT NOT NULL, priority INTEGER NOT NULL,
        required_skills TEXT NOT NULL, cost INTEGER NOT NULL, entered_at BIGINT NOT NULL, order_at BIGINT NOT NULL,
        preferred_agent_id TEXT, preferred_until BIGINT, excluded TEXT NOT NULL, overflow_applied TEXT NOT NULL,
        skills_dropped INTEGER NOT NULL, callback_requested_at BIGINT, agent_id TEXT, offer_id TEXT,
        updated_at BIGINT NOT NULL)`,
      `CREATE INDEX routing_items_tenant_status ON routing_items (tenant_id, status)`,
      `CREATE TABLE offers (
        id TEXT PRIMARY KEY, tenant_id TEXT NOT NULL, conversation_id TEXT NOT NULL REFERENCES conversations(id),
        agent_id TEXT NOT NULL REFERENCES agents(id), queue_id TEXT NOT NULL, status TEXT NOT NULL,
        created_at BIGINT NOT NULL, expires_at BIGINT NOT NULL, resolved_at BIGINT)`,
      `CREATE INDEX offers_tenant_status ON offers (tenant_id, status, agent_id)`,
      `CREATE INDEX offers_conversation ON offers (conversation_id, created_at)`,
      `CREATE TABLE routing_decisions (
        id TEXT PRIMARY KEY, tenant_id TEXT NOT NULL, conversation_id TEXT NOT NULL REFERENCES conversations(id),
        kind TEXT NOT NULL, at BIGINT NOT NULL, explanation TEXT NOT NULL)`,
      `CREATE INDEX routing_decisions_conversation ON routing_decisions (conversation_id, id)`,
    ],
  },
  {
    version: 3,
    name: 'agent skills indexed by tenant and agent',
    // Every query on agent_skills names the tenant and the agent (or the whole tenant, in agent
    // order). SQLite served `agent_id = ? AND tenant_id = ?` from (tenant_id, skill), reading all of
    // the tenant's skill rows for one agent: ~6 ms per agent lookup at 5,000 agents (B2).
    statements: () => [
      `DROP INDEX agent_skills_tenant`,
      `CREATE INDEX agent_skills_tenant_agent ON agent_skills (tenant_id, agent_id, skill)`,
    ],
  },
  {
    version: 4,
    name: 'identity: users, groups, roles, apps, consent, tokens, sessions, audit',
    // Secrets are never stored: app secrets, codes, refresh tokens and session cookies only as
    // hashes. Apps, their secrets and certificates, codes, tokens and sessions are found by their
    // own unguessable keys, yet carry the tenant id too so that a tenant's rows can be told apart.
    statements: (d) => [
      `CREATE TABLE users (
        id TEXT PRIMARY KEY, tenant_id TEXT NOT NULL REFERENCES tenants(id), email TEXT NOT NULL,
        display_name TEXT NOT NULL, status TEXT NOT NULL, agent_id TEXT, external_id TEXT,
        created_at BIGINT NOT NULL, updated_at BIGINT NOT NULL)`,
      `CREATE UNIQUE INDEX users_email ON users (tenant_id, email)`,
      // Partial: only people who signed in by SSO have one, and NULLs must not collide.
      `CREATE UNIQUE INDEX users_external ON users (tenant_id, external_id) WHERE external_id IS NOT NULL`,
      `CREATE INDEX users_tenant ON users (tenant_id, id)`,
      // Not "groups": GROUPS is a keyword (window frames) in both databases.
      `CREATE TABLE user_groups (
        id TEXT PRIMARY KEY, tenant_id TEXT NOT NULL REFERENCES tenants(id), name TEXT NOT NULL,
        description TEXT, external_id TEXT, created_at BIGINT NOT NULL)`,
      `CREATE UNIQUE INDEX user_groups_name ON user_groups (tenant_id, name)`,
      `CREATE INDEX user_groups_external ON user_groups (tenant_id, external_id) WHERE external_id IS NOT NULL`,
      `CREATE TABLE group_members (
        group_id TEXT NOT NULL REFERENCES user_groups(id), user_id TEXT NOT NULL REFERENCES users(id),
        tenant_id TEXT NOT NULL, added_at BIGINT NOT NULL, PRIMARY KEY (group_id, user_id))`,
      `CREATE INDEX group_members_user ON group_members (tenant_id, user_id)`,
      `CREATE TABLE custom_roles (
        id TEXT PRIMARY KEY, tenant_id TEXT NOT NULL REFERENCES tenants(id), name TEXT NOT NULL,
        description TEXT, permissions TEXT NOT NULL, created_at BIGINT NOT NULL)`,
      `CREATE UNIQUE INDEX custom_roles_name ON custom_roles (tenant_id, name)`,
      // principal_id names a user, group or app by principal_type, so it has no foreign key.
      `CREATE TABLE role_assignments (
        id TEXT PRIMARY KEY, tenant_id TEXT NOT NULL REFERENCES tenants(id), principal_type TEXT NOT NULL,
        principal_id TEXT NOT NULL, role TEXT NOT NULL, queue_ids TEXT, created_at BIGINT NOT NULL)`,
      `CREATE INDEX role_assignments_principal ON role_assignments (tenant_id, principal_type, principal_id)`,
      `CREATE TABLE app_registrations (
        id TEXT PRIMARY KEY, tenant_id TEXT NOT NULL REFERENCES tenants(id), client_id TEXT NOT NULL UNIQUE,
        name TEXT NOT NULL, account_type TEXT NOT NULL, redirect_uris TEXT NOT NULL, public_client INTEGER NOT NULL,
        application_permissions TEXT NOT NULL, delegated_scopes TEXT NOT NULL,
        created_at BIGINT NOT NULL, updated_at BIGINT NOT NULL)`,
      `CREATE INDEX app_registrations_tenant ON app_registrations (tenant_id, id)`,
      `CREATE TABLE app_secrets (
        id TEXT PRIMARY KEY, app_id TEXT NOT NULL REFERENCES app_registrations(id), tenant_id TEXT NOT NULL,
        description TEXT NOT NULL, hint TEXT NOT NULL, secret_hash TEXT NOT NULL,
        expires_at BIGINT NOT NULL, created_at BIGINT NOT NULL, revoked_at BIGINT)`,
      `CREATE INDEX app_secrets_app ON app_secrets (app_id)`,
      `CREATE TABLE app_certificates (
        id TEXT PRIMARY KEY, app_id TEXT NOT NULL REFERENCES app_registrations(id), tenant_id TEXT NOT NULL,
        description TEXT NOT NULL, thumbprint TEXT NOT NULL, public_key TEXT NOT NULL,
        expires_at BIGINT, created_at BIGINT NOT NULL, revoked_at BIGINT)`,
      `CREATE UNIQUE INDEX app_certificates_thumbprint ON app_certificates (app_id, thumbprint)`,
      // One row per (consenting tenant, app): the app may belong to another tenant (multi-tenant apps).
      `CREATE TABLE app_consents (
        tenant_id TEXT NOT NULL REFERENCES tenants(id), app_id TEXT NOT NULL REFERENCES app_registrations(id),
        id TEXT NOT NULL, application_permissions TEXT NOT NULL, delegated_scopes TEXT NOT NULL,
        consented_by TEXT, consented_at BIGINT NOT NULL, revoked_at BIGINT, PRIMARY KEY (tenant_id, app_id))`,
      `CREATE TABLE password_credentials (
        tenant_id TEXT NOT NULL REFERENCES tenants(id), user_id TEXT NOT NULL REFERENCES users(id),
        hash TEXT NOT NULL, failed_attempts INTEGER NOT NULL, locked_until BIGINT, updated_at BIGINT NOT NULL,
        PRIMARY KEY (tenant_id, user_id))`,
      // Platform-wide: one key set signs tokens for every tenant.
      `CREATE TABLE signing_keys (
        id TEXT PRIMARY KEY, algorithm TEXT NOT NULL, public_key TEXT NOT NULL, private_key TEXT NOT NULL,
        created_at BIGINT NOT NULL, activates_at BIGINT NOT NULL, retires_at BIGINT NOT NULL, expires_at BIGINT NOT NULL)`,
      `CREATE TABLE authorization_codes (
        code_hash TEXT PRIMARY KEY, tenant_id TEXT NOT NULL REFERENCES tenants(id),
        app_id TEXT NOT NULL REFERENCES app_registrations(id), user_id TEXT NOT NULL REFERENCES users(id),
        redirect_uri TEXT NOT NULL, scopes TEXT NOT NULL, code_challenge TEXT, code_challenge_method TEXT,
        nonce TEXT, expires_at BIGINT NOT NULL, used_at BIGINT)`,
      `CREATE TABLE refresh_tokens (
        id TEXT PRIMARY KEY, family_id TEXT NOT NULL, token_hash TEXT NOT NULL UNIQUE,
        tenant_id TEXT NOT NULL REFERENCES tenants(id), app_id TEXT NOT NULL REFERENCES app_registrations(id),
        user_id TEXT NOT NULL REFERENCES users(id), scopes TEXT NOT NULL, expires_at BIGINT NOT NULL,
        created_at BIGINT NOT NULL, rotated_at BIGINT, revoked_at BIGINT)`,
      `CREATE INDEX refresh_tokens_family ON refresh_tokens (family_id)`,
      `CREATE INDEX refresh_tokens_app ON refresh_tokens (tenant_id, app_id)`,
      `CREATE INDEX refresh_tokens_user ON refresh_tokens (tenant_id, user_id)`,
      `CREATE TABLE sessions (
        id TEXT PRIMARY KEY, tenant_id TEXT NOT NULL REFERENCES tenants(id), user_id TEXT NOT NULL REFERENCES users(id),
        token_hash TEXT NOT NULL UNIQUE, csrf_hash TEXT NOT NULL, method TEXT NOT NULL,
        created_at BIGINT NOT NULL, expires_at BIGINT NOT NULL, revoked_at BIGINT)`,
      `CREATE INDEX sessions_user ON sessions (tenant_id, user_id)`,
      `CREATE TABLE oidc_connections (
        tenant_id TEXT PRIMARY KEY REFERENCES tenants(id), issuer TEXT NOT NULL, client_id TEXT NOT NULL,
        client_secret TEXT, scopes TEXT NOT NULL, claims TEXT NOT NULL, role_mapping TEXT NOT NULL,
        auto_provision INTEGER NOT NULL, enabled INTEGER NOT NULL, updated_at BIGINT NOT NULL)`,
      // tenant_id NULL: a platform-level entry. No foreign key: a denied request may name a tenant
      // that does not exist, and that attempt is worth recording too.
      `CREATE TABLE audit_log (
        id ${d.autoIdColumn}, tenant_id TEXT, occurred_at BIGINT NOT NULL, actor_kind TEXT NOT NULL,
        actor_id TEXT, action TEXT NOT NULL, target_type TEXT, target_id TEXT, outcome TEXT NOT NULL,
        ip TEXT, user_agent TEXT, details TEXT NOT NULL)`,
      `CREATE INDEX audit_log_tenant ON audit_log (tenant_id, id)`,
      `CREATE TABLE server_secrets (
        name TEXT PRIMARY KEY, value TEXT NOT NULL)`,
    ],
  },
  {
    version: 5,
    name: 'bot agents bound to their application user',
    // The index, not only a check in the use case, keeps two bots of a tenant from sharing an app
    // id when two nodes bind at once; NULLs (people, development bots) are distinct in both databases.
    statements: () => [
      `ALTER TABLE agents ADD COLUMN app_id TEXT`,
      `CREATE UNIQUE INDEX agents_app ON agents (tenant_id, app_id)`,
    ],
  },
  {
    version: 6,
    name: 'sign-in attempts and one-time keys shared by every node',
    // Held in one process's memory before: a sign-in had to finish on the node it started on, and
    // a client assertion could be replayed once per node.
    statements: () => [
      `CREATE TABLE sso_attempts (
        id_hash TEXT PRIMARY KEY, tenant_id TEXT NOT NULL REFERENCES tenants(id), state TEXT NOT NULL, nonce TEXT NOT NULL,
        code_verifier TEXT NOT NULL, return_to TEXT NOT NULL, redirect_uri TEXT NOT NULL,
        created_at BIGINT NOT NULL, expires_at BIGINT NOT NULL)`,
      `CREATE INDEX sso_attempts_expiry ON sso_attempts (expires_at)`,
      `CREATE TABLE one_time_keys (
        id TEXT PRIMARY KEY, expires_at BIGINT NOT NULL)`,
      `CREATE INDEX one_time_keys_expiry ON one_time_keys (expires_at)`,
    ],
  },
  {
    version: 7,
    name: 'web chat: channel data of messages, Direct Line secrets, satisfaction surveys',
    statements: () => [
      `ALTER TABLE messages ADD COLUMN channel_data TEXT`,
      // Found by the keyed hash of the value alone (the bearer names no channel), like app secrets.
      `CREATE TABLE directline_secrets (
        id TEXT PRIMARY KEY, tenant_id TEXT NOT NULL REFERENCES tenants(id), channel_id TEXT NOT NULL REFERENCES channels(id),
        secret_hash TEXT NOT NULL UNIQUE, hint TEXT NOT NULL, created_at BIGINT NOT NULL, revoked_at BIGINT)`,
      `CREATE INDEX directline_secrets_channel ON directline_secrets (tenant_id, channel_id, id)`,
      `CREATE TABLE satisfaction_surveys (
        conversation_id TEXT PRIMARY KEY REFERENCES conversations(id), tenant_id TEXT NOT NULL REFERENCES tenants(id),
        channel_id TEXT NOT NULL, rating INTEGER NOT NULL, comment TEXT, created_at BIGINT NOT NULL)`,
      `CREATE INDEX satisfaction_surveys_tenant ON satisfaction_surveys (tenant_id, created_at)`,
    ],
  },
  {
    version: 8,
    name: 'attachments: the files customers and agents send, kept with the conversation',
    // In the database, not on a node's disk: every node serves them, and a backup holds them.
    statements: (d) => [
      `CREATE TABLE attachments (
        id TEXT PRIMARY KEY, tenant_id TEXT NOT NULL REFERENCES tenants(id), conversation_id TEXT NOT NULL REFERENCES conversations(id),
        name TEXT NOT NULL, content_type TEXT NOT NULL, size INTEGER NOT NULL, content ${d.name === 'postgres' ? 'BYTEA' : 'BLOB'} NOT NULL,
        created_at BIGINT NOT NULL)`,
      `CREATE INDEX attachments_conversation ON attachments (tenant_id, conversation_id)`,
    ],
  },
  {
    version: 9,
    name: 'Bot Framework channel: bot registrations, bots in conversations, dispatch cursors, delivery outbox',
    // bot_conversations and bot_deliveries have no foreign keys to conversations (nor agents): the
    // dispatcher writes them from the event log alone, without joins. A delivery's id is its place
    // in the queue: a conversation's deliveries go out in id order.
    statements: (d) => [
      `CREATE TABLE bot_registrations (
        tenant_id TEXT NOT NULL REFERENCES tenants(id), id TEXT NOT NULL, messaging_endpoint TEXT NOT NULL,
        state TEXT NOT NULL, auth_mode TEXT NOT NULL, entra TEXT, role TEXT NOT NULL, escalate_phrases TEXT NOT NULL,
        bridged_only INTEGER NOT NULL, assist_queue_ids TEXT NOT NULL, health TEXT NOT NULL, created_at BIGINT NOT NULL,
        updated_at BIGINT NOT NULL, PRIMARY KEY (tenant_id, id))`,
      `CREATE TABLE bot_conversations (
        tenant_id TEXT NOT NULL REFERENCES tenants(id), conversation_id TEXT NOT NULL, bot_id TEXT NOT NULL,
        role TEXT NOT NULL, state TEXT NOT NULL, queue_id TEXT, bound_at BIGINT NOT NULL, escalated_at BIGINT,
        escalation_trigger TEXT, escalation_context TEXT, escalation_summary TEXT, transcript TEXT, handoff_state TEXT,
        accepted_at BIGINT, ended_at BIGINT, ended_by_bot INTEGER NOT NULL,
        PRIMARY KEY (tenant_id, conversation_id, bot_id))`,
      `CREATE INDEX bot_conversations_bot_state ON bot_conversations (tenant_id, bot_id, state)`,
      `CREATE INDEX bot_conversations_bound ON bot_conversations (tenant_id, bound_at)`,
      `CREATE TABLE bot_dispatch_cursors (
        tenant_id TEXT PRIMARY KEY REFERENCES tenants(id), last_event_id BIGINT NOT NULL)`,
      `CREATE TABLE bot_deliveries (
        id ${d.autoIdColumn}, tenant_id TEXT NOT NULL REFERENCES tenants(id), bot_id TEXT NOT NULL,
        conversation_id TEXT NOT NULL, dedupe_key TEXT NOT NULL, activity TEXT NOT NULL, status TEXT NOT NULL,
        attempts INTEGER NOT NULL, next_attempt_at BIGINT NOT NULL, last_error TEXT, created_at BIGINT NOT NULL,
        done_at BIGINT, UNIQUE (tenant_id, dedupe_key))`,
      `CREATE INDEX bot_deliveries_due ON bot_deliveries (status, next_attempt_at, id)`,
      `CREATE INDEX bot_deliveries_conversation ON bot_deliveries (tenant_id, conversation_id, id)`,
    ],
  },
  {
    version: 10,
    name: 'agent workspace: wrap-up records, quick replies, the CRM lookup',
    // wrap_ups has no foreign key to queues: it records where the work was, and a queue may go.
    // A conversation wraps up once at most (wrap_up -> closed is its only way out), hence the key.
    statements: () => [
      `CREATE TABLE wrap_ups (
        tenant_id TEXT NOT NULL REFERENCES tenants(id), conversation_id TEXT NOT NULL REFERENCES conversations(id),
        queue_id TEXT, agent_id TEXT, started_at BIGINT NOT NULL, due_at BIGINT, ended_at BIGINT, end_reason TEXT,
        code TEXT, label TEXT, notes TEXT, ended_by_kind TEXT, ended_by_id TEXT,
        PRIMARY KEY (tenant_id, conversation_id))`,
      `CREATE INDEX wrap_ups_pending ON wrap_ups (tenant_id, ended_at, started_at)`,
      `CREATE TABLE quick_replies (
        id TEXT PRIMARY KEY, tenant_id TEXT NOT NULL REFERENCES tenants(id), queue_id TEXT NOT NULL REFERENCES queues(id),
        title TEXT NOT NULL, text TEXT NOT NULL, created_at BIGINT NOT NULL, updated_at BIGINT NOT NULL)`,
      `CREATE INDEX quick_replies_queue ON quick_replies (tenant_id, queue_id, id)`,
      `CREATE TABLE crm_lookups (
        tenant_id TEXT PRIMARY KEY REFERENCES tenants(id), url TEXT NOT NULL, headers TEXT NOT NULL,
        timeout_ms INTEGER NOT NULL, updated_at BIGINT NOT NULL)`,
    ],
  },
  {
    version: 11,
    name: 'message revisions: edits and deletes of sent messages, kept for audit',
    // The message row keeps its current content (a tombstone once deleted); a revision keeps what
    // a change replaced. change_no numbers a conversation's changes in commit order (taken under
    // the conversation's row lock): the Direct Line stream resumes after one, as after a seq.
    statements: () => [
      `ALTER TABLE messages ADD COLUMN edited_at BIGINT`,
      `ALTER TABLE messages ADD COLUMN deleted_at BIGINT`,
      `CREATE TABLE message_revisions (
        tenant_id TEXT NOT NULL REFERENCES tenants(id), conversation_id TEXT NOT NULL REFERENCES conversations(id),
        change_no INTEGER NOT NULL, message_id TEXT NOT NULL, message_seq INTEGER NOT NULL, kind TEXT NOT NULL,
        text TEXT NOT NULL, attachments TEXT NOT NULL, channel_data TEXT, actor TEXT NOT NULL, created_at BIGINT NOT NULL,
        PRIMARY KEY (conversation_id, change_no))`,
      `CREATE INDEX message_revisions_message ON message_revisions (message_id, change_no)`,
    ],
  },
  {
    version: 12,
    name: 'SQLite: the append-only logs without AUTOINCREMENT',
    // AUTOINCREMENT only differs from a plain INTEGER PRIMARY KEY when the highest row is deleted
    // (it never reuses the id); nothing deletes from these three logs, so it bought nothing and cost
    // a write to sqlite_sequence in every transaction that appends (one more page per commit:
    // 148 vs 223 us per commit of two events in a micro-benchmark). SQLite cannot drop it in place,
    // so each table is copied, ids included, and its indexes made again. PostgreSQL's BIGSERIAL is
    // untouched.
    statements: (d) => d.name !== 'sqlite' ? [] : [
      ...rebuilt('events', `id INTEGER PRIMARY KEY, tenant_id TEXT NOT NULL, type TEXT NOT NULL, conversation_id TEXT,
        actor TEXT NOT NULL, occurred_at BIGINT NOT NULL, payload TEXT NOT NULL`,
      'id, tenant_id, type, conversation_id, actor, occurred_at, payload', [
        `CREATE INDEX events_tenant ON events (tenant_id, id)`,
        `CREATE INDEX events_conversation ON events (conversation_id, id)`,
      ]),
      ...rebuilt('audit_log', `id INTEGER PRIMARY KEY, tenant_id TEXT, occurred_at BIGINT NOT NULL, actor_kind TEXT NOT NULL,
        actor_id TEXT, action TEXT NOT NULL, target_type TEXT, target_id TEXT, outcome TEXT NOT NULL,
        ip TEXT, user_agent TEXT, details TEXT NOT NULL`,
      'id, tenant_id, occurred_at, actor_kind, actor_id, action, target_type, target_id, outcome, ip, user_agent, details', [
        `CREATE INDEX audit_log_tenant ON audit_log (tenant_id, id)`,
      ]),
      ...rebuilt('bot_deliveries', `id INTEGER PRIMARY KEY, tenant_id TEXT NOT NULL REFERENCES tenants(id), bot_id TEXT NOT NULL,
        conversation_id TEXT NOT NULL, dedupe_key TEXT NOT NULL, activity TEXT NOT NULL, status TEXT NOT NULL,
        attempts INTEGER NOT NULL, next_attempt_at BIGINT NOT NULL, last_error TEXT, created_at BIGINT NOT NULL,
        done_at BIGINT, UNIQUE (tenant_id, dedupe_key)`,
      'id, tenant_id, bot_id, conversation_id, dedupe_key, activity, status, attempts, next_attempt_at, last_error, created_at, done_at', [
        `CREATE INDEX bot_deliveries_due ON bot_deliveries (status, next_attempt_at, id)`,
        `CREATE INDEX bot_deliveries_conversation ON bot_deliveries (tenant_id, conversation_id, id)`,
      ]),
    ],
  },
  {
    version: 13,
    name: 'conversations and routing items: state indexes over live rows only',
    // See live-rows.ts: keyed by the id with the state last, so a state change rewrites its entry in
    // place (one leaf page instead of two), and only rows not yet finished are indexed. Listing
    // finished conversations reads conversations_tenant (tenant_id, id), as an unfiltered list does.
    statements: () => [
      `DROP INDEX conversations_tenant_state`,
      `CREATE INDEX conversations_live ON conversations (tenant_id, id, state) WHERE ${LIVE_CONVERSATION}`,
      `DROP INDEX routing_items_tenant_status`,
      `CREATE INDEX routing_items_live ON routing_items (tenant_id, conversation_id, status) WHERE ${LIVE_ROUTING_ITEM}`,
    ],
  },
];

/** SQLite's way to change a table's definition: a copy with every row, then the old one's name and indexes. */
function rebuilt(table: string, columns: string, names: string, indexes: readonly string[]): string[] {
  return [
    `CREATE TABLE ${table}_rebuilt (${columns})`,
    `INSERT INTO ${table}_rebuilt (${names}) SELECT ${names} FROM ${table}`,
    `DROP TABLE ${table}`,
    `ALTER TABLE ${table}_rebuilt RENAME TO ${table}`,
    ...indexes,
  ];
}

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
