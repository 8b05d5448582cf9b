import type { Message } from '../../../core/model.js';
import type { Row } from './sql-driver.js';
import { iso, isoOrNull, msOrNull, str, strOrNull } from './sql-values.js';

/** The columns of a message row, in the order `messageValues` gives them; shared by the stores that read messages. */
export const MESSAGE_COLUMNS =
  'id, tenant_id, conversation_id, seq, sender_role, sender_id, visibility, text, attachments, idempotency_key, created_at, channel_data, edited_at, deleted_at';
export const MESSAGE_PLACEHOLDERS = '?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?';

export function messageValues(m: Message): unknown[] {
  return [
    m.id, m.tenantId, m.conversationId, m.seq, m.senderRole, m.senderId, m.visibility, m.text, JSON.stringify(m.attachments), m.idempotencyKey,
    Date.parse(m.createdAt), m.channelData === null ? null : JSON.stringify(m.channelData), msOrNull(m.editedAt), msOrNull(m.deletedAt),
  ];
}

export function toMessage(r: Row): Message {
  return {
    id: str(r.id), tenantId: str(r.tenant_id), conversationId: str(r.conversation_id), seq: Number(r.seq),
    senderRole: r.sender_role as Message['senderRole'], senderId: strOrNull(r.sender_id), visibility: r.visibility as Message['visibility'],
    text: str(r.text), attachments: JSON.parse(str(r.attachments)), idempotencyKey: strOrNull(r.idempotency_key), createdAt: iso(r.created_at),
    channelData: r.channel_data === null || r.channel_data === undefined ? null : JSON.parse(str(r.channel_data)),
    editedAt: isoOrNull(r.edited_at), deletedAt: isoOrNull(r.deleted_at),
  };
}
