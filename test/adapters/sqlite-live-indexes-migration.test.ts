import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import Database from 'better-sqlite3';
import { MIGRATIONS } from '../../src/adapters/storage/sql/migrations.js';
import { SQLITE_DIALECT } from '../../src/adapters/storage/sqlite/sqlite-driver.js';
import { openSqliteStorage } from '../../src/adapters/storage/sqlite/sqlite-storage.js';

// Conversation i has STATES[i % 5]; routing item i has ITEM_STATUSES[i % 4].
const STATES = ['queued', 'active', 'closed', 'offered', 'abandoned'] as const;
const ITEM_STATUSES = ['waiting', 'offered', 'assigned', 'ended'] as const;
const ids = Array.from({ length: 20 }, (_, i) => `conv_${String(i).padStart(2, '0')}`);

/** A database as a server before migration 13 left it: migrations 1-12 applied, conversations and items in every state. */
function databaseBeforeMigration13(path: string): void {
  const db = new Database(path);
  try {
    db.pragma('journal_mode = WAL');
    db.exec('CREATE TABLE schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at BIGINT NOT NULL)');
    for (const m of MIGRATIONS.filter((m) => m.version < 13)) {
      for (const statement of m.statements(SQLITE_DIALECT)) db.exec(statement);
      db.prepare('INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)').run(m.version, m.name, 0);
    }
    db.prepare("INSERT INTO tenants (id, name, created_at) VALUES ('ten_1', 'T', 0)").run();
    db.prepare("INSERT INTO channels (id, tenant_id, type, name, config, created_at) VALUES ('chn_1', 'ten_1', 'webchat', 'Chat', '{}', 0)").run();
    db.prepare("INSERT INTO contacts (id, tenant_id, attributes, created_at) VALUES ('con_1', 'ten_1', '{}', 0)").run();
    const conversation = db.prepare(`INSERT INTO conversations (id, tenant_id, channel_id, contact_id, state, priority, last_seq, created_at, updated_at)
      VALUES (?, 'ten_1', 'chn_1', 'con_1', ?, 0, 0, 0, 0)`);
    const item = db.prepare(`INSERT INTO routing_items (conversation_id, tenant_id, workstream_id, queue_id, status, priority, required_skills, cost,
      entered_at, order_at, excluded, overflow_applied, skills_dropped, updated_at) VALUES (?, 'ten_1', 'wks_1', 'que_1', ?, 0, '[]', 1, 0, 0, '[]', '[]', 0, 0)`);
    ids.forEach((id, i) => {
      conversation.run(id, STATES[i % STATES.length]);
      item.run(id, ITEM_STATUSES[i % ITEM_STATUSES.length]);
    });
  } finally {
    db.close();
  }
}

const withState = (states: readonly string[]) => ids.filter((_, i) => states.includes(STATES[i % STATES.length]!));
const withStatus = (statuses: readonly string[]) => ids.filter((_, i) => statuses.includes(ITEM_STATUSES[i % ITEM_STATUSES.length]!));

test('migration 13 replaces the state indexes with indexes of live rows, and every listing by state still finds the same rows', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'sb-migration-'));
  const path = join(dir, 'switchboard.db');
  try {
    databaseBeforeMigration13(path);
    const storage = openSqliteStorage({ path, synchronous: 'NORMAL' });
    const report = await storage.migrate();
    assert.deepEqual(report.applied, ['13 conversations and routing items: state indexes over live rows only']);

    const list = async (state: readonly (typeof STATES)[number][] | undefined, beforeId?: string) =>
      (await storage.read.listConversations('ten_1', state ? { state } : {}, { limit: 100, beforeId })).map((c) => c.id);
    const newestFirst = (xs: string[]) => [...xs].reverse();
    assert.deepEqual(await list(['queued', 'active']), newestFirst(withState(['queued', 'active'])), 'live states: through the live index');
    assert.deepEqual(await list(['offered'], 'conv_13'), newestFirst(withState(['offered']).filter((id) => id < 'conv_13')), 'with a cursor');
    assert.deepEqual(await list(['closed']), newestFirst(withState(['closed'])), 'a finished state: through the tenant index');
    assert.deepEqual(await list(['closed', 'queued']), newestFirst(withState(['closed', 'queued'])), 'mixed');
    assert.deepEqual(await list(undefined), newestFirst(ids));

    const items = async (statuses: readonly (typeof ITEM_STATUSES)[number][]) => (await storage.read.routing.listRoutingItems('ten_1', statuses)).map((i) => i.conversationId);
    assert.deepEqual(await items(['waiting', 'offered', 'assigned']), withStatus(['waiting', 'offered', 'assigned']));
    assert.deepEqual(await items(['offered']), withStatus(['offered']));
    assert.deepEqual(await items(['ended']), withStatus(['ended']));

    // A conversation that finishes leaves the live index; one still routed keeps its entry with the new state.
    await storage.transaction(async (tx) => {
      assert.equal(await tx.updateConversationState('ten_1', 'conv_00', 'queued', 'closed', new Date(1).toISOString()), true);
      assert.equal(await tx.updateConversationState('ten_1', 'conv_01', 'active', 'queued', new Date(1).toISOString()), true);
    });
    assert.deepEqual(await list(['queued']), ['conv_15', 'conv_10', 'conv_05', 'conv_01']);
    assert.deepEqual(await list(['closed']), ['conv_17', 'conv_12', 'conv_07', 'conv_02', 'conv_00']);
    await storage.close();

    const db = new Database(path, { readonly: true });
    try {
      const indexes = (db.prepare("SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name IN ('conversations', 'routing_items') AND name NOT LIKE 'sqlite_autoindex%' ORDER BY name").all() as Array<{ name: string }>).map((r) => r.name);
      assert.deepEqual(indexes, ['conversations_live', 'conversations_tenant', 'conversations_tenant_contact', 'routing_items_live']);
      const entries = (sql: string) => (db.prepare(sql).get() as { n: number }).n;
      // Only live rows are in the indexes: of 20 conversations 9 are closed or abandoned after the changes above; of 20 items 5 ended.
      assert.equal(entries("SELECT COUNT(*) AS n FROM conversations INDEXED BY conversations_live WHERE tenant_id = 'ten_1' AND state NOT IN ('closed', 'abandoned')"), 11);
      assert.equal(entries("SELECT COUNT(*) AS n FROM routing_items INDEXED BY routing_items_live WHERE tenant_id = 'ten_1' AND status <> 'ended'"), 15);
      assert.equal((db.prepare('PRAGMA integrity_check').get() as { integrity_check: string }).integrity_check, 'ok');
    } finally {
      db.close();
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
