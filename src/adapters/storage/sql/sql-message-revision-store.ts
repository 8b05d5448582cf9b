import type { Message } from '../../../core/model.js';
import type { MessageChange, MessageRevision, MessageRevisionTx } from '../../../app/ports/message-revision-storage.js';
import type { Row, SqlExecutor } from './sql-driver.js';
import { MESSAGE_COLUMNS, toMessage } from './sql-message-rows.js';
import { iso, ms, msOrNull, str } from './sql-values.js';

const REVISION_COLUMNS = 'tenant_id, conversation_id, change_no, message_id, message_seq, kind, text, attachments, channel_data, actor, created_at';

/** Revisions of sent messages in plain SQL shared by SQLite and PostgreSQL. */
export class SqlMessageRevisionStore implements MessageRevisionTx {
  constructor(private readonly db: SqlExecutor) {}

  async getMessageBySeq(tenantId: string, conversationId: string, seq: number): Promise<Message | undefined> {
    const row = await this.db.get(`SELECT ${MESSAGE_COLUMNS} FROM messages WHERE conversation_id = ? AND seq = ? AND tenant_id = ?`, [conversationId, seq, tenantId]);
    return row && toMessage(row);
  }

  async listMessagesBySeq(tenantId: string, conversationId: string, seqs: readonly number[]): Promise<Message[]> {
    if (seqs.length === 0) return [];
    const unique = [...new Set(seqs)];
    const rows = await this.db.all(
      `SELECT ${MESSAGE_COLUMNS} FROM messages WHERE conversation_id = ? AND tenant_id = ? AND seq IN (${unique.map(() => '?').join(', ')}) ORDER BY seq`,
      [conversationId, tenantId, ...unique],
    );
    return rows.map(toMessage);
  }

  async listChanges(tenantId: string, conversationId: string, afterChange: number, limit: number): Promise<MessageChange[]> {
    const rows = await this.db.all<{ change_no: unknown; message_seq: unknown }>(
      'SELECT change_no, message_seq FROM message_revisions WHERE conversation_id = ? AND tenant_id = ? AND change_no > ? ORDER BY change_no LIMIT ?',
      [conversationId, tenantId, afterChange, limit],
    );
    return rows.map((r) => ({ change: Number(r.change_no), messageSeq: Number(r.message_seq) }));
  }

  async listRevisions(tenantId: string, conversationId: string, messageId: string): Promise<MessageRevision[]> {
    const rows = await this.db.all(
      `SELECT ${REVISION_COLUMNS} FROM message_revisions WHERE message_id = ? AND conversation_id = ? AND tenant_id = ? ORDER BY change_no`,
      [messageId, conversationId, tenantId],
    );
    return rows.map(toRevision);
  }

  async reviseMessage(next: Message, revision: Omit<MessageRevision, 'change'>): Promise<number | undefined> {
    const changed = await this.db.run(
      'UPDATE messages SET text = ?, attachments = ?, channel_data = ?, edited_at = ?, deleted_at = ? WHERE conversation_id = ? AND seq = ? AND tenant_id = ? AND deleted_at IS NULL',
      [
        next.text, JSON.stringify(next.attachments), next.channelData === null ? null : JSON.stringify(next.channelData), msOrNull(next.editedAt), msOrNull(next.deletedAt),
        next.conversationId, next.seq, next.tenantId,
      ],
    );
    if (changed !== 1) return undefined;
    const last = await this.db.get<{ n: unknown }>('SELECT MAX(change_no) AS n FROM message_revisions WHERE conversation_id = ?', [next.conversationId]);
    const change = Number(last?.n ?? 0) + 1;
    const p = revision.previous;
    await this.db.run(`INSERT INTO message_revisions (${REVISION_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`, [
      revision.tenantId, revision.conversationId, change, revision.messageId, revision.messageSeq, revision.kind,
      p.text, JSON.stringify(p.attachments), p.channelData === null ? null : JSON.stringify(p.channelData), JSON.stringify(revision.actor), ms(revision.at),
    ]);
    return change;
  }

  async redactMessageEvents(message: Message): Promise<number> {
    // A conversation's events are few and found by index; the match on the message's id is made
    // on the parsed payload, never on its text (a message may quote another one's id).
    const rows = await this.db.all<{ id: unknown; payload: string }>(
      "SELECT id, payload FROM events WHERE conversation_id = ? AND tenant_id = ? AND type IN ('message.created', 'message.updated') ORDER BY id",
      [message.conversationId, message.tenantId],
    );
    let rewritten = 0;
    for (const row of rows) {
      const payload = JSON.parse(row.payload) as { message?: { id?: unknown } };
      if (payload.message?.id !== message.id) continue;
      await this.db.run('UPDATE events SET payload = ? WHERE id = ?', [JSON.stringify({ ...payload, message }), Number(row.id)]);
      rewritten += 1;
    }
    return rewritten;
  }
}

function toRevision(r: Row): MessageRevision {
  return {
    tenantId: str(r.tenant_id), conversationId: str(r.conversation_id), change: Number(r.change_no), messageId: str(r.message_id),
    messageSeq: Number(r.message_seq), kind: r.kind as MessageRevision['kind'],
    previous: {
      text: str(r.text), attachments: JSON.parse(str(r.attachments)),
      channelData: r.channel_data === null || r.channel_data === undefined ? null : JSON.parse(str(r.channel_data)),
    },
    actor: JSON.parse(str(r.actor)), at: iso(r.created_at),
  };
}
