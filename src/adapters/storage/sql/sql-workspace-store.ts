import type { Actor } from '../../../core/model.js';
import type { CrmLookup } from '../../../core/workspace/crm-lookup.js';
import type { QuickReply } from '../../../core/workspace/quick-reply.js';
import type { WrapUp, WrapUpEndReason } from '../../../core/workspace/wrap-up.js';
import type { QuickReplyPatch, WorkspaceTx, WrapUpEnd } from '../../../app/ports/workspace-storage.js';
import type { Row, SqlExecutor } from './sql-driver.js';
import { iso, isoOrNull, ms, msOrNull, str, strOrNull } from './sql-values.js';


const WRAP_UP_COLUMNS = 'tenant_id, conversation_id, queue_id, agent_id, started_at, due_at, ended_at, end_reason, code, label, notes, ended_by_kind, ended_by_id';
const REPLY_COLUMNS = 'id, tenant_id, queue_id, title, text, created_at, updated_at';
const CRM_COLUMNS = 'tenant_id, url, headers, timeout_ms, updated_at';

/** The agent workspace's tables in plain SQL shared by SQLite and PostgreSQL. */
export class SqlWorkspaceStore implements WorkspaceTx {
  constructor(private readonly db: SqlExecutor) {}

  // ---- wrap-up ----------------------------------------------------------------------------
  async getWrapUp(tenantId: string, conversationId: string): Promise<WrapUp | undefined> {
    const row = await this.db.get(`SELECT ${WRAP_UP_COLUMNS} FROM wrap_ups WHERE tenant_id = ? AND conversation_id = ?`, [tenantId, conversationId]);
    return row && toWrapUp(row);
  }
  async listPendingWrapUps(tenantId: string): Promise<WrapUp[]> {
    const rows = await this.db.all(`SELECT ${WRAP_UP_COLUMNS} FROM wrap_ups WHERE tenant_id = ? AND ended_at IS NULL ORDER BY started_at, conversation_id`, [tenantId]);
    return rows.map(toWrapUp);
  }
  async insertWrapUp(w: WrapUp): Promise<void> {
    await this.db.run(
      `INSERT INTO wrap_ups (tenant_id, conversation_id, queue_id, agent_id, started_at, due_at) VALUES (?, ?, ?, ?, ?, ?)`,
      [w.tenantId, w.conversationId, w.queueId, w.agentId, ms(w.startedAt), msOrNull(w.dueAt)],
    );
  }
  async endWrapUp(tenantId: string, conversationId: string, end: WrapUpEnd): Promise<boolean> {
    const changed = await this.db.run(
      `UPDATE wrap_ups SET ended_at = ?, end_reason = ?, code = ?, label = ?, notes = ?, ended_by_kind = ?, ended_by_id = ?
       WHERE tenant_id = ? AND conversation_id = ? AND ended_at IS NULL`,
      [ms(end.endedAt), end.endReason, end.code, end.label, end.notes, end.endedBy.kind, end.endedBy.id, tenantId, conversationId],
    );
    return changed === 1;
  }

  // ---- quick replies ----------------------------------------------------------------------
  async listQuickReplies(tenantId: string, queueId: string): Promise<QuickReply[]> {
    const rows = await this.db.all(`SELECT ${REPLY_COLUMNS} FROM quick_replies WHERE tenant_id = ? AND queue_id = ? ORDER BY id`, [tenantId, queueId]);
    return rows.map(toQuickReply);
  }
  async getQuickReply(tenantId: string, id: string): Promise<QuickReply | undefined> {
    const row = await this.db.get(`SELECT ${REPLY_COLUMNS} FROM quick_replies WHERE tenant_id = ? AND id = ?`, [tenantId, id]);
    return row && toQuickReply(row);
  }
  async insertQuickReply(r: QuickReply): Promise<void> {
    await this.db.run(`INSERT INTO quick_replies (${REPLY_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?)`, [
      r.id, r.tenantId, r.queueId, r.title, r.text, ms(r.createdAt), ms(r.updatedAt),
    ]);
  }
  async updateQuickReply(tenantId: string, id: string, patch: QuickReplyPatch, at: string): Promise<boolean> {
    const changed = await this.db.run(
      'UPDATE quick_replies SET title = COALESCE(?, title), text = COALESCE(?, text), updated_at = ? WHERE tenant_id = ? AND id = ?',
      [patch.title ?? null, patch.text ?? null, ms(at), tenantId, id],
    );
    return changed === 1;
  }
  async deleteQuickReply(tenantId: string, id: string): Promise<boolean> {
    return (await this.db.run('DELETE FROM quick_replies WHERE tenant_id = ? AND id = ?', [tenantId, id])) === 1;
  }
  async deleteQuickRepliesOfQueue(tenantId: string, queueId: string): Promise<void> {
    await this.db.run('DELETE FROM quick_replies WHERE tenant_id = ? AND queue_id = ?', [tenantId, queueId]);
  }

  // ---- CRM lookup -------------------------------------------------------------------------
  async getCrmLookup(tenantId: string): Promise<CrmLookup | undefined> {
    const row = await this.db.get(`SELECT ${CRM_COLUMNS} FROM crm_lookups WHERE tenant_id = ?`, [tenantId]);
    return row && {
      tenantId: str(row.tenant_id), url: str(row.url), headers: JSON.parse(str(row.headers)) as Record<string, string>,
      timeoutMs: Number(row.timeout_ms), updatedAt: iso(row.updated_at),
    };
  }
  async putCrmLookup(c: CrmLookup): Promise<void> {
    await this.db.run(
      `INSERT INTO crm_lookups (${CRM_COLUMNS}) VALUES (?, ?, ?, ?, ?)
       ON CONFLICT (tenant_id) DO UPDATE SET url = excluded.url, headers = excluded.headers, timeout_ms = excluded.timeout_ms, updated_at = excluded.updated_at`,
      [c.tenantId, c.url, JSON.stringify(c.headers), c.timeoutMs, ms(c.updatedAt)],
    );
  }
  async deleteCrmLookup(tenantId: string): Promise<boolean> {
    return (await this.db.run('DELETE FROM crm_lookups WHERE tenant_id = ?', [tenantId])) === 1;
  }
}

function toWrapUp(r: Row): WrapUp {
  const endedByKind = strOrNull(r.ended_by_kind);
  return {
    tenantId: str(r.tenant_id), conversationId: str(r.conversation_id), queueId: strOrNull(r.queue_id), agentId: strOrNull(r.agent_id),
    startedAt: iso(r.started_at), dueAt: isoOrNull(r.due_at), endedAt: isoOrNull(r.ended_at), endReason: strOrNull(r.end_reason) as WrapUpEndReason | null,
    code: strOrNull(r.code), label: strOrNull(r.label), notes: strOrNull(r.notes),
    endedBy: endedByKind === null ? null : { kind: endedByKind as Actor['kind'], id: strOrNull(r.ended_by_id) },
  };
}

function toQuickReply(r: Row): QuickReply {
  return {
    id: str(r.id), tenantId: str(r.tenant_id), queueId: str(r.queue_id), title: str(r.title), text: str(r.text),
    createdAt: iso(r.created_at), updatedAt: iso(r.updated_at),
  };
}
