import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { SYSTEM_CALLER } from '../../src/app/caller.js';
import { listConversations } from '../../src/app/queries/conversation-queries.js';
import { createChannel } from '../../src/app/use-cases/create-channel.js';
import { createConversation } from '../../src/app/use-cases/create-conversation.js';
import { createTenant } from '../../src/app/use-cases/create-tenant.js';
import { postMessage } from '../../src/app/use-cases/post-message.js';
import { assemble } from '../../src/server/composition-root.js';
import { loadConfig } from '../../src/server/config.js';
import { createLogger } from '../../src/server/logger.js';

/**
 * Where B5's time goes below HTTP, measured in one process without the network: the use cases the
 * GET and POST call, then the SQL that postMessage runs, in raw better-sqlite3, under a few schema
 * and commit variants (what group commit or a leaner schema would buy). Used to explain B5 in
 * docs/BENCHMARKS.md; not a benchmark with a target.
 *
 * Usage: taskset -c 0 node --import tsx bench/tools/b5-cost-breakdown.ts [DATA_PARENT_DIR]
 * (default: the OS temp directory; compare a disk with /dev/shm to see the cost of the file system).
 */

const parent = process.argv[2] ?? tmpdir();
const TEXT = 'Hi, my order #4711 arrived damaged and I would like a replacement or a refund. Can you help me with that today?';
const caller = SYSTEM_CALLER;

async function time(label: string, n: number, work: (i: number) => unknown): Promise<number> {
  for (let i = 0; i < Math.min(n, 2000); i++) await work(i);
  const started = process.hrtime.bigint();
  for (let i = 0; i < n; i++) await work(i);
  const us = Number(process.hrtime.bigint() - started) / 1e3 / n;
  process.stdout.write(`  ${label.padEnd(62)} ${us.toFixed(1).padStart(7)} us\n`);
  return us;
}

/** A fresh store with one tenant, one web chat channel and 100 conversations. */
async function freshStore() {
  const dir = mkdtempSync(join(parent, 'sb-b5-costs-'));
  const sb = await assemble(loadConfig({ SWITCHBOARD_DATA_DIR: dir, SWITCHBOARD_LOG_LEVEL: 'silent' }, dir), { logger: createLogger('silent') });
  const tenant = await createTenant(sb.deps, caller, { name: 'costs' });
  const channel = await createChannel(sb.deps, caller, tenant.id, { type: 'webchat', name: 'web' });
  const conversations: string[] = [];
  for (let i = 0; i < 100; i++) {
    conversations.push((await createConversation(sb.deps, caller, tenant.id, { channelId: channel.id, customer: { address: `c${i}@example.com` } })).conversation.id);
  }
  return { dir, sb, tenantId: tenant.id, channelId: channel.id, conversations };
}

async function useCases(): Promise<void> {
  process.stdout.write(`use cases in process (data under ${parent})\n`);
  const { dir, sb, tenantId, channelId, conversations } = await freshStore();
  const deps = sb.deps;
  await time('listConversations, page of 20 (the GET minus HTTP)', 20_000, () => listConversations(deps, caller, tenantId, {}, 20));
  await time('  of which: the tenant check (getTenant)', 50_000, () => deps.storage.read.getTenant(tenantId));
  await time('postMessage, one at a time (the POST minus HTTP)', 20_000, (i) => postMessage(deps, caller, tenantId, conversations[i % 100]!, { senderRole: 'customer', text: TEXT }));
  const batch = await time('postMessage, 100 at once (per batch)', 200, () => Promise.all(conversations.map((id) => postMessage(deps, caller, tenantId, id, { senderRole: 'customer', text: TEXT }))));
  process.stdout.write(`  ${'  = per message'.padEnd(62)} ${(batch / 100).toFixed(1).padStart(7)} us\n`);
  await time('createConversation for a new customer', 10_000, (i) => createConversation(deps, caller, tenantId, { channelId, customer: { address: `new-${i}-${Math.random()}@example.com` } }));
  await sb.close();
  rmSync(dir, { recursive: true, force: true });
}

/** The GET's query, straight on better-sqlite3: what the rows cost to read and to turn into objects. */
async function readVariants(): Promise<void> {
  const { dir, sb, tenantId } = await freshStore();
  await sb.close();
  const db = new Database(join(dir, 'switchboard.db'), { readonly: true });
  const columns = 'id, tenant_id, channel_id, contact_id, state, queue_id, subject, priority, last_seq, created_at, updated_at, closed_at';
  const page = `FROM conversations WHERE tenant_id = ? ORDER BY id DESC LIMIT ?`;
  const objects = db.prepare(`SELECT ${columns} ${page}`);
  const arrays = db.prepare(`SELECT ${columns} ${page}`).raw(true);
  const ids = db.prepare(`SELECT id ${page}`);
  const count = db.prepare(`SELECT COUNT(*) FROM (SELECT ${columns} ${page})`).pluck();
  process.stdout.write(`\nthe GET's query in raw better-sqlite3 (21 rows x 12 columns, data under ${parent})\n`);
  await time('rows as objects (what the store does)', 20_000, () => objects.all(tenantId, 21));
  await time('rows as arrays (.raw())', 20_000, () => arrays.all(tenantId, 21));
  await time('ids only', 20_000, () => ids.all(tenantId, 21));
  await time('SQLite alone: COUNT(*) over the same 21 rows', 20_000, () => count.get(tenantId, 21));
  const rows = objects.all(tenantId, 21) as { created_at: number; updated_at: number }[];
  // toConversation turns created_at and updated_at (closed_at is null here) into ISO strings.
  await time('42 timestamps to ISO strings (new Date(ms).toISOString())', 20_000, () => {
    for (const r of rows) {
      new Date(r.created_at).toISOString();
      new Date(r.updated_at).toISOString();
    }
  });
  db.close();
  rmSync(dir, { recursive: true, force: true });
}

interface Variant {
  readonly label: string;
  /** Unique index on (conversation_id, idempotency_key) only where a key was given. */
  readonly partialIdempotencyIndex?: boolean;
  /** The message.created event carries the message id and seq instead of the whole message. */
  readonly slimEvent?: boolean;
  /** Messages per transaction (group commit); 1 is what Switchboard does today. */
  readonly perTransaction?: number;
}

/** postMessage's statements (as in sql-store.ts), straight on better-sqlite3. */
async function writeVariant(variant: Variant): Promise<void> {
  const { dir, sb, tenantId, conversations } = await freshStore();
  await sb.close();
  const db = new Database(join(dir, 'switchboard.db'));
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = NORMAL');
  db.pragma('foreign_keys = ON');
  if (variant.partialIdempotencyIndex) {
    db.exec('DROP INDEX messages_idempotency');
    db.exec('CREATE UNIQUE INDEX messages_idempotency ON messages (conversation_id, idempotency_key) WHERE idempotency_key IS NOT NULL');
  }
  const columns = 'id, tenant_id, channel_id, contact_id, state, queue_id, subject, priority, last_seq, created_at, updated_at, closed_at';
  const lock = db.prepare(`SELECT ${columns} FROM conversations WHERE id = ? AND tenant_id = ?`);
  const nextSeq = db.prepare('UPDATE conversations SET last_seq = last_seq + 1, updated_at = ? WHERE id = ? AND tenant_id = ? RETURNING last_seq');
  const insertMessage = db.prepare(
    'INSERT INTO messages (id, tenant_id, conversation_id, seq, sender_role, sender_id, visibility, text, attachments, idempotency_key, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING',
  );
  const appendEvent = db.prepare('INSERT INTO events (tenant_id, type, conversation_id, actor, occurred_at, payload) VALUES (?, ?, ?, ?, ?, ?) RETURNING id');
  let counter = 0;
  const post = (i: number) => {
    const conversationId = conversations[i % 100]!;
    lock.get(conversationId, tenantId);
    const { last_seq: seq } = nextSeq.get(Date.now(), conversationId, tenantId) as { last_seq: number };
    const id = `msg_01M81${String(counter++).padStart(21, '0')}`;
    const now = Date.now();
    insertMessage.run(id, tenantId, conversationId, seq, 'customer', null, 'public', TEXT, '[]', null, now);
    const message = { id, tenantId, conversationId, seq, senderRole: 'customer', senderId: null, visibility: 'public', text: TEXT, attachments: [], idempotencyKey: null, channelData: null, createdAt: new Date(now).toISOString() };
    appendEvent.get(tenantId, 'message.created', conversationId, '{"kind":"admin","id":"key_01M81MSFR9XWVNYTSYY3K230EQ"}', now, JSON.stringify(variant.slimEvent ? { messageId: id, seq } : { message }));
  };
  const size = variant.perTransaction ?? 1;
  const commitBatch = (start: number) => {
    db.exec('BEGIN IMMEDIATE');
    for (let j = 0; j < size; j++) {
      // A savepoint per message: one failing request would roll back alone, as group commit needs.
      if (size > 1) db.exec('SAVEPOINT message');
      post(start + j);
      if (size > 1) db.exec('RELEASE message');
    }
    db.exec('COMMIT');
  };
  const n = 20_000;
  for (let i = 0; i < 2_000; i += size) commitBatch(i);
  const started = process.hrtime.bigint();
  for (let i = 0; i < n; i += size) commitBatch(i);
  const us = Number(process.hrtime.bigint() - started) / 1e3 / n;
  // WAL pages written per message, counted with automatic checkpoints off.
  db.pragma('wal_autocheckpoint = 0');
  db.pragma('wal_checkpoint(TRUNCATE)');
  for (let i = 0; i < 1_000; i += size) commitBatch(i);
  const frames = (db.pragma('wal_checkpoint(PASSIVE)') as { log: number }[])[0]!.log / 1_000;
  process.stdout.write(`  ${variant.label.padEnd(52)} ${us.toFixed(1).padStart(7)} us/message ${Math.round(1e6 / us).toLocaleString('en-US').padStart(7)} msg/s  ${frames.toFixed(1)} WAL pages/message\n`);
  db.close();
  rmSync(dir, { recursive: true, force: true });
}

await useCases();
await readVariants();
process.stdout.write(`\npostMessage's SQL in raw better-sqlite3 (WAL, synchronous=NORMAL, 100 conversations, data under ${parent})\n`);
for (const variant of [
  { label: 'as today: one message per transaction' },
  { label: 'partial idempotency index', partialIdempotencyIndex: true },
  { label: 'message.created event carries id + seq only', slimEvent: true },
  { label: 'both', partialIdempotencyIndex: true, slimEvent: true },
  { label: 'as today, 20 messages per transaction', perTransaction: 20 },
  { label: 'as today, 100 messages per transaction', perTransaction: 100 },
  { label: 'both + 100 messages per transaction', partialIdempotencyIndex: true, slimEvent: true, perTransaction: 100 },
] satisfies Variant[]) {
  await writeVariant(variant);
}
