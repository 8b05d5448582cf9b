import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import Database from 'better-sqlite3';
import { MIGRATIONS } from '../../src/adapters/storage/sql/migrations.js';
import { SQLITE_DIALECT } from '../../src/adapters/storage/sqlite/sqlite-driver.js';
import { openSqliteStorage } from '../../src/adapters/storage/sqlite/sqlite-storage.js';

const LOGS = ['events', 'audit_log', 'bot_deliveries'] as const;

/** A database as a server before migration 12 left it: migrations 1-11 applied, rows in every log. */
function databaseBeforeMigration12(path: string): void {
  const db = new Database(path);
  try {
    db.pragma('journal_mode = WAL');
    db.exec('CREATE TABLE schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at BIGINT NOT NULL)');
    for (const m of MIGRATIONS.filter((m) => m.version < 12)) {
      for (const statement of m.statements(SQLITE_DIALECT)) db.exec(statement);
      db.prepare('INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)').run(m.version, m.name, 0);
    }
    db.prepare("INSERT INTO tenants (id, name, created_at) VALUES ('ten_1', 'T', 0)").run();
    const event = db.prepare("INSERT INTO events (tenant_id, type, conversation_id, actor, occurred_at, payload) VALUES ('ten_1', ?, 'conv_1', '{}', 0, '{}')");
    for (let i = 0; i < 5; i += 1) event.run(`test.${i}`);
    db.prepare("INSERT INTO audit_log (tenant_id, occurred_at, actor_kind, action, outcome, details) VALUES ('ten_1', 0, 'system', 'x', 'success', '{}')").run();
    db.prepare(`INSERT INTO bot_deliveries (tenant_id, bot_id, conversation_id, dedupe_key, activity, status, attempts, next_attempt_at, created_at)
      VALUES ('ten_1', 'bot_1', 'conv_1', 'k1', '{}', 'pending', 0, 0, 0)`).run();
  } finally {
    db.close();
  }
}

test('migration 12 copies the three logs without AUTOINCREMENT, keeping every row, id and index, and ids go on growing', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'sb-migration-'));
  const path = join(dir, 'switchboard.db');
  try {
    databaseBeforeMigration12(path);
    const storage = openSqliteStorage({ path, synchronous: 'NORMAL' });
    const report = await storage.migrate();
    assert.equal(report.applied[0], '12 SQLite: the append-only logs without AUTOINCREMENT');
    const events = await storage.read.readEvents('ten_1', 0, 100);
    assert.deepEqual(events.map((e) => [e.id, e.type]), [1, 2, 3, 4, 5].map((id) => [id, `test.${id - 1}`]));
    const appended = await storage.transaction((tx) => tx.appendEvent({ tenantId: 'ten_1', type: 'message.created', conversationId: 'conv_1', actor: { kind: 'system', id: 't' }, occurredAt: new Date(0).toISOString(), payload: {} }));
    assert.equal(appended.id, 6, 'a new event comes after every old one');
    await storage.close();

    const db = new Database(path, { readonly: true });
    try {
      for (const table of LOGS) {
        const sql = (db.prepare("SELECT sql FROM sqlite_master WHERE type = 'table' AND name = ?").get(table) as { sql: string }).sql;
        assert.doesNotMatch(sql, /AUTOINCREMENT/i, table);
      }
      const indexes = (db.prepare("SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name IN ('events', 'audit_log', 'bot_deliveries') AND name NOT LIKE 'sqlite_autoindex%' ORDER BY name").all() as Array<{ name: string }>).map((r) => r.name);
      assert.deepEqual(indexes, ['audit_log_tenant', 'bot_deliveries_conversation', 'bot_deliveries_due', 'events_conversation', 'events_tenant']);
      assert.equal((db.prepare('SELECT COUNT(*) AS n FROM audit_log').get() as { n: number }).n, 1);
      assert.equal((db.prepare("SELECT dedupe_key FROM bot_deliveries WHERE id = 1").get() as { dedupe_key: string }).dedupe_key, 'k1');
      assert.equal((db.prepare('PRAGMA foreign_key_check').all() as unknown[]).length, 0);
      assert.equal((db.prepare('PRAGMA integrity_check').get() as { integrity_check: string }).integrity_check, 'ok');
    } finally {
      db.close();
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
