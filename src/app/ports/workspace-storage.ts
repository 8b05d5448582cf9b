import type { Actor } from '../../core/model.js';
import type { CrmLookup } from '../../core/workspace/crm-lookup.js';
import type { QuickReply } from '../../core/workspace/quick-reply.js';
import type { WrapUp, WrapUpEndReason } from '../../core/workspace/wrap-up.js';

/** How a wrap-up ended: what `endWrapUp` records on the started row. */
export interface WrapUpEnd {
  readonly endedAt: string;
  readonly endReason: WrapUpEndReason;
  readonly code: string | null;
  readonly label: string | null;
  readonly notes: string | null;
  readonly endedBy: Actor;
}

export interface QuickReplyPatch {
  readonly title?: string | undefined;
  readonly text?: string | undefined;
}

/**
 * What the agent workspace keeps (`storage.read.workspace`, `tx.workspace`): wrap-up records,
 * quick replies and the tenant's CRM lookup. Every read takes the tenant id. Example:
 *
 *   await tx.workspace.insertWrapUp({ tenantId, conversationId, startedAt: now, dueAt, ... });
 *   const pending = await storage.read.workspace.listPendingWrapUps(tenantId); // timers to re-arm
 */
export interface WorkspaceReads {
  getWrapUp(tenantId: string, conversationId: string): Promise<WrapUp | undefined>;
  /** Wrap-ups that started and have not ended, oldest first. */
  listPendingWrapUps(tenantId: string): Promise<WrapUp[]>;
  /** A queue's quick replies in creation order. */
  listQuickReplies(tenantId: string, queueId: string): Promise<QuickReply[]>;
  getQuickReply(tenantId: string, id: string): Promise<QuickReply | undefined>;
  getCrmLookup(tenantId: string): Promise<CrmLookup | undefined>;
}

export interface WorkspaceTx extends WorkspaceReads {
  /** Starts the conversation's one wrap-up; its end fields are ignored (written by `endWrapUp`). */
  insertWrapUp(wrapUp: WrapUp): Promise<void>;
  /** Ends a running wrap-up; false (nothing changed) when there is none or it ended already. */
  endWrapUp(tenantId: string, conversationId: string, end: WrapUpEnd): Promise<boolean>;
  insertQuickReply(reply: QuickReply): Promise<void>;
  /** False when the reply does not exist in the tenant. */
  updateQuickReply(tenantId: string, id: string, patch: QuickReplyPatch, at: string): Promise<boolean>;
  deleteQuickReply(tenantId: string, id: string): Promise<boolean>;
  /** A deleted queue takes its quick replies along. */
  deleteQuickRepliesOfQueue(tenantId: string, queueId: string): Promise<void>;
  /** Replaces the tenant's CRM lookup (inserting it the first time). */
  putCrmLookup(lookup: CrmLookup): Promise<void>;
  deleteCrmLookup(tenantId: string): Promise<boolean>;
}
