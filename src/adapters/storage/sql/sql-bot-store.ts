import type { BotTx } from '../../../app/ports/bot-storage.js';
import type { EscalationTrigger } from '../../../core/bots/bot-activity.js';
import type { BotConversation, BotDelivery, NewBotDelivery } from '../../../core/bots/bot-model.js';
import type { BotHealth, BotRegistration, EntraSettings } from '../../../core/bots/bot-registration.js';
import type { Row, SqlExecutor } from './sql-driver.js';

const ms = (iso: string): number => Date.parse(iso);
const msOrNull = (iso: string | null): number | null => (iso === null ? null : ms(iso));
const iso = (value: unknown): string => new Date(Number(value)).toISOString();
const isoOrNull = (value: unknown): string | null => (value === null || value === undefined ? null : iso(value));
const str = (value: unknown): string => value as string;
const strOrNull = (value: unknown): string | null => (value === null || value === undefined ? null : (value as string));
const json = <T>(value: unknown): T => JSON.parse(value as string) as T;
const jsonOrNull = <T>(value: unknown): T | null => (value === null || value === undefined ? null : json<T>(value));
const textOrNull = (value: unknown): string | null => (value === null || value === undefined ? null : JSON.stringify(value));

const BOT_COLUMNS =
  'tenant_id, id, messaging_endpoint, state, auth_mode, entra, role, escalate_phrases, bridged_only, assist_queue_ids, health, created_at, updated_at';
const PART_COLUMNS =
  'tenant_id, conversation_id, bot_id, role, state, queue_id, bound_at, escalated_at, escalation_trigger, escalation_context, ' +
  'escalation_summary, transcript, handoff_state, accepted_at, ended_at, ended_by_bot';
const DELIVERY_COLUMNS =
  'id, tenant_id, bot_id, conversation_id, dedupe_key, activity, status, attempts, next_attempt_at, last_error, created_at, done_at';

/**
 * Bot Framework channel tables in plain SQL shared by SQLite and PostgreSQL. Every query about
 * tenant data filters on `tenant_id`; only the dispatcher's outbox scans (`listDueDeliveries`,
 * `nextDeliveryDue`, `listTenantsWithBots`) read across tenants, as the port says.
 */
export class SqlBotStore implements BotTx {
  constructor(private readonly db: SqlExecutor) {}

  // ---- registrations ----------------------------------------------------------------------
  async getBot(tenantId: string, botId: string): Promise<BotRegistration | undefined> {
    const row = await this.db.get(`SELECT ${BOT_COLUMNS} FROM bot_registrations WHERE tenant_id = ? AND id = ?`, [tenantId, botId]);
    return row && toBot(row);
  }
  async listBots(tenantId: string): Promise<BotRegistration[]> {
    const rows = await this.db.all(`SELECT ${BOT_COLUMNS} FROM bot_registrations WHERE tenant_id = ? ORDER BY created_at, id`, [tenantId]);
    return rows.map(toBot);
  }
  async listTenantsWithBots(): Promise<string[]> {
    const rows = await this.db.all<{ tenant_id: string }>('SELECT DISTINCT tenant_id FROM bot_registrations ORDER BY tenant_id');
    return rows.map((r) => r.tenant_id);
  }
  async insertBot(b: BotRegistration): Promise<boolean> {
    const changed = await this.db.run(`INSERT INTO bot_registrations (${BOT_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING`, [
      b.tenantId, b.id, b.messagingEndpoint, b.state, b.authMode, textOrNull(b.entra), b.role, JSON.stringify(b.escalatePhrases),
      b.bridgedOnly ? 1 : 0, JSON.stringify(b.assistQueueIds), JSON.stringify(b.health), ms(b.createdAt), ms(b.updatedAt),
    ]);
    return changed === 1;
  }
  async updateBot(b: BotRegistration): Promise<boolean> {
    const changed = await this.db.run(
      `UPDATE bot_registrations SET messaging_endpoint = ?, state = ?, auth_mode = ?, entra = ?, role = ?, escalate_phrases = ?,
        bridged_only = ?, assist_queue_ids = ?, updated_at = ? WHERE tenant_id = ? AND id = ?`,
      [
        b.messagingEndpoint, b.state, b.authMode, textOrNull(b.entra), b.role, JSON.stringify(b.escalatePhrases), b.bridgedOnly ? 1 : 0,
        JSON.stringify(b.assistQueueIds), ms(b.updatedAt), b.tenantId, b.id,
      ],
    );
    return changed === 1;
  }
  async setBotHealth(tenantId: string, botId: string, health: BotHealth, at: string): Promise<boolean> {
    const changed = await this.db.run('UPDATE bot_registrations SET health = ?, updated_at = ? WHERE tenant_id = ? AND id = ?', [
      JSON.stringify(health), ms(at), tenantId, botId,
    ]);
    return changed === 1;
  }
  async deleteBot(tenantId: string, botId: string): Promise<boolean> {
    return (await this.db.run('DELETE FROM bot_registrations WHERE tenant_id = ? AND id = ?', [tenantId, botId])) === 1;
  }

  // ---- bots' parts in conversations -------------------------------------------------------
  async getBotConversation(tenantId: string, conversationId: string, botId: string): Promise<BotConversation | undefined> {
    const row = await this.db.get(`SELECT ${PART_COLUMNS} FROM bot_conversations WHERE tenant_id = ? AND conversation_id = ? AND bot_id = ?`, [
      tenantId, conversationId, botId,
    ]);
    return row && toPart(row);
  }
  async listConversationBots(tenantId: string, conversationId: string): Promise<BotConversation[]> {
    // Sorted here, not by the query: with `ORDER BY bound_at` SQLite's planner chose the
    // (tenant_id, bound_at) index to skip the sort and so scanned every bot conversation the tenant
    // ever had for this one's one or two rows (B4: 146 us a call with 550 of them, growing with the
    // history); without it the primary key (tenant_id, conversation_id, bot_id) finds them directly.
    const rows = await this.db.all(`SELECT ${PART_COLUMNS} FROM bot_conversations WHERE tenant_id = ? AND conversation_id = ?`, [tenantId, conversationId]);
    return rows.map(toPart).sort((a, b) => (a.boundAt === b.boundAt ? compareText(a.botId, b.botId) : a.boundAt < b.boundAt ? -1 : 1));
  }
  async listBotConversations(tenantId: string, botId: string, state: BotConversation['state']): Promise<BotConversation[]> {
    // Sorted here for the reason listConversationBots gives: (tenant_id, bot_id, state) finds the rows.
    const rows = await this.db.all(`SELECT ${PART_COLUMNS} FROM bot_conversations WHERE tenant_id = ? AND bot_id = ? AND state = ?`, [tenantId, botId, state]);
    return rows.map(toPart).sort((a, b) => (a.boundAt === b.boundAt ? compareText(a.conversationId, b.conversationId) : a.boundAt < b.boundAt ? -1 : 1));
  }
  async listBotConversationsBetween(tenantId: string, from: string, to: string, botId?: string): Promise<BotConversation[]> {
    const where = ['tenant_id = ?', 'bound_at >= ?', 'bound_at < ?'];
    const params: unknown[] = [tenantId, ms(from), ms(to)];
    if (botId !== undefined) {
      where.push('bot_id = ?');
      params.push(botId);
    }
    const rows = await this.db.all(`SELECT ${PART_COLUMNS} FROM bot_conversations WHERE ${where.join(' AND ')} ORDER BY bound_at, conversation_id, bot_id`, params);
    return rows.map(toPart);
  }
  async putBotConversation(p: BotConversation): Promise<void> {
    await this.db.run(
      `INSERT INTO bot_conversations (${PART_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
       ON CONFLICT (tenant_id, conversation_id, bot_id) DO UPDATE SET
         role = excluded.role, state = excluded.state, queue_id = excluded.queue_id, bound_at = excluded.bound_at,
         escalated_at = excluded.escalated_at, escalation_trigger = excluded.escalation_trigger,
         escalation_context = excluded.escalation_context, escalation_summary = excluded.escalation_summary,
         transcript = excluded.transcript, handoff_state = excluded.handoff_state, accepted_at = excluded.accepted_at,
         ended_at = excluded.ended_at, ended_by_bot = excluded.ended_by_bot`,
      [
        p.tenantId, p.conversationId, p.botId, p.role, p.state, p.queueId, ms(p.boundAt), msOrNull(p.escalatedAt), p.escalationTrigger,
        textOrNull(p.escalationContext), p.escalationSummary, textOrNull(p.transcript), p.handoffState, msOrNull(p.acceptedAt),
        msOrNull(p.endedAt), p.endedByBot ? 1 : 0,
      ],
    );
  }

  // ---- dispatch cursor --------------------------------------------------------------------
  async getDispatchCursor(tenantId: string): Promise<number> {
    const row = await this.db.get<{ last_event_id: unknown }>('SELECT last_event_id FROM bot_dispatch_cursors WHERE tenant_id = ?', [tenantId]);
    return row ? Number(row.last_event_id) : 0;
  }
  async advanceDispatchCursor(tenantId: string, from: number, to: number): Promise<boolean> {
    if (to <= from) return false; // forward only; moving to where it is moves nothing
    if (from === 0) {
      // No row yet means 0. Two nodes inserting at once: the second's insert does nothing (after
      // the first commits, on PostgreSQL) and its update below finds the row no longer at 0.
      const inserted = await this.db.run('INSERT INTO bot_dispatch_cursors (tenant_id, last_event_id) VALUES (?, ?) ON CONFLICT DO NOTHING', [tenantId, to]);
      if (inserted === 1) return true;
    }
    const changed = await this.db.run('UPDATE bot_dispatch_cursors SET last_event_id = ? WHERE tenant_id = ? AND last_event_id = ?', [to, tenantId, from]);
    return changed === 1;
  }

  // ---- delivery outbox --------------------------------------------------------------------
  async insertDelivery(d: NewBotDelivery): Promise<boolean> {
    const changed = await this.db.run(
      `INSERT INTO bot_deliveries (tenant_id, bot_id, conversation_id, dedupe_key, activity, status, attempts, next_attempt_at, last_error, created_at, done_at)
       VALUES (?, ?, ?, ?, ?, 'pending', 0, ?, NULL, ?, NULL) ON CONFLICT DO NOTHING`,
      [d.tenantId, d.botId, d.conversationId, d.dedupeKey, JSON.stringify(d.activity), d.nextAttemptAt, ms(d.createdAt)],
    );
    return changed === 1;
  }
  async getDelivery(tenantId: string, id: number): Promise<BotDelivery | undefined> {
    const row = await this.db.get(`SELECT ${DELIVERY_COLUMNS} FROM bot_deliveries WHERE tenant_id = ? AND id = ?`, [tenantId, id]);
    return row && toDelivery(row);
  }
  async listDeliveries(tenantId: string, conversationId: string): Promise<BotDelivery[]> {
    const rows = await this.db.all(`SELECT ${DELIVERY_COLUMNS} FROM bot_deliveries WHERE tenant_id = ? AND conversation_id = ? ORDER BY id`, [tenantId, conversationId]);
    return rows.map(toDelivery);
  }
  async listDueDeliveries(now: number, limit: number): Promise<BotDelivery[]> {
    const rows = await this.db.all(
      // Only a conversation's oldest pending delivery: a later one never overtakes one waiting for a retry.
      `SELECT ${DELIVERY_COLUMNS} FROM bot_deliveries d WHERE status = 'pending' AND next_attempt_at <= ?
        AND NOT EXISTS (SELECT 1 FROM bot_deliveries e WHERE e.tenant_id = d.tenant_id AND e.conversation_id = d.conversation_id
          AND e.status = 'pending' AND e.id < d.id)
        ORDER BY id LIMIT ?`, [now, limit],
    );
    return rows.map(toDelivery);
  }
  async nextDeliveryDue(): Promise<number | null> {
    const row = await this.db.get<{ due: unknown }>("SELECT MIN(next_attempt_at) AS due FROM bot_deliveries WHERE status = 'pending'");
    return row?.due === null || row?.due === undefined ? null : Number(row.due);
  }
  async claimDelivery(tenantId: string, id: number, expectedNextAttemptAt: number, leaseUntil: number): Promise<boolean> {
    const changed = await this.db.run(
      `UPDATE bot_deliveries SET next_attempt_at = ? WHERE tenant_id = ? AND id = ? AND status = 'pending' AND next_attempt_at = ?`,
      [leaseUntil, tenantId, id, expectedNextAttemptAt],
    );
    return changed === 1;
  }
  async updateDelivery(
    tenantId: string, id: number,
    change: { status: BotDelivery['status']; attempts: number; nextAttemptAt: number; lastError: string | null; doneAt: string | null },
  ): Promise<boolean> {
    const changed = await this.db.run(
      `UPDATE bot_deliveries SET status = ?, attempts = ?, next_attempt_at = ?, last_error = ?, done_at = ?
       WHERE tenant_id = ? AND id = ? AND status = 'pending'`,
      [change.status, change.attempts, change.nextAttemptAt, change.lastError, msOrNull(change.doneAt), tenantId, id],
    );
    return changed === 1;
  }
  async cancelDeliveries(tenantId: string, botId: string, at: string, conversationId?: string): Promise<number> {
    const where = ['tenant_id = ?', 'bot_id = ?', "status = 'pending'"];
    const params: unknown[] = [ms(at), tenantId, botId];
    if (conversationId !== undefined) {
      where.push('conversation_id = ?');
      params.push(conversationId);
    }
    return this.db.run(`UPDATE bot_deliveries SET status = 'cancelled', done_at = ? WHERE ${where.join(' AND ')}`, params);
  }
}

function toBot(r: Row): BotRegistration {
  return {
    id: str(r.id), tenantId: str(r.tenant_id), messagingEndpoint: str(r.messaging_endpoint), state: str(r.state) as BotRegistration['state'],
    authMode: str(r.auth_mode) as BotRegistration['authMode'], entra: jsonOrNull<EntraSettings>(r.entra), role: str(r.role) as BotRegistration['role'],
    escalatePhrases: json(r.escalate_phrases), bridgedOnly: Number(r.bridged_only) === 1, assistQueueIds: json<string[]>(r.assist_queue_ids),
    health: json<BotHealth>(r.health),
    createdAt: iso(r.created_at), updatedAt: iso(r.updated_at),
  };
}
/** Code-unit order, as SQLite's BINARY collation compares ASCII ids. */
function compareText(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

function toPart(r: Row): BotConversation {
  return {
    tenantId: str(r.tenant_id), conversationId: str(r.conversation_id), botId: str(r.bot_id), role: str(r.role) as BotConversation['role'],
    state: str(r.state) as BotConversation['state'], queueId: strOrNull(r.queue_id), boundAt: iso(r.bound_at), escalatedAt: isoOrNull(r.escalated_at),
    escalationTrigger: strOrNull(r.escalation_trigger) as EscalationTrigger | null, escalationContext: jsonOrNull(r.escalation_context),
    escalationSummary: strOrNull(r.escalation_summary), transcript: jsonOrNull(r.transcript),
    handoffState: strOrNull(r.handoff_state) as BotConversation['handoffState'], acceptedAt: isoOrNull(r.accepted_at),
    endedAt: isoOrNull(r.ended_at), endedByBot: Number(r.ended_by_bot) === 1,
  };
}
function toDelivery(r: Row): BotDelivery {
  return {
    id: Number(r.id), tenantId: str(r.tenant_id), botId: str(r.bot_id), conversationId: str(r.conversation_id), dedupeKey: str(r.dedupe_key),
    activity: json(r.activity), status: str(r.status) as BotDelivery['status'], attempts: Number(r.attempts), nextAttemptAt: Number(r.next_attempt_at),
    lastError: strOrNull(r.last_error), createdAt: iso(r.created_at), doneAt: isoOrNull(r.done_at),
  };
}
