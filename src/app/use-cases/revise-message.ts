import { decideRevision, type MessageAuthor, type RevisionRefusal, type RevisionRequest } from '../../core/message-revision.js';
import type { Message } from '../../core/model.js';
import type { Caller } from '../caller.js';
import { lockConversation } from '../conversation-lock.js';
import type { AppDeps } from '../deps.js';
import { requireTenant } from '../tenant-access.js';
import { commit } from '../unit-of-work.js';

export type ReviseOutcome =
  /** `changed` false: a delete of a message already deleted (a retry), nothing written. */
  | { readonly ok: true; readonly message: Message; readonly changed: boolean }
  /** `not_found`: no message with that sequence in the conversation. Nothing was written. */
  | { readonly ok: false; readonly refusal: RevisionRefusal | 'not_found' };

/**
 * Edits or deletes the message at `seq` for its own sender, in one transaction: the conversation's
 * row is locked (it must be open), the message's new content (or tombstone) and the revision of
 * what it replaced are stored, and `message.updated` / `message.deleted` is appended with the
 * message as it now is. A delete also rewrites the message's earlier events to the tombstone, so
 * neither the customer, nor the API, nor the event log serves what it said; the revision keeps it
 * for audit. Refusals are results, not errors: each caller (the Connector API) answers them in its
 * own protocol's terms.
 */
export async function reviseMessage(
  deps: AppDeps, caller: Caller, tenantId: string, conversationId: string, seq: number, author: MessageAuthor, request: RevisionRequest,
): Promise<ReviseOutcome> {
  await requireTenant(deps, caller, tenantId, 'conversations.write');
  return commit(deps, caller, async (tx, emit, now): Promise<ReviseOutcome> => {
    await lockConversation(tx, caller, tenantId, conversationId, true);
    const message = await tx.messageRevisions.getMessageBySeq(tenantId, conversationId, seq);
    if (!message) return { ok: false, refusal: 'not_found' };
    const decision = decideRevision(message, author, request, now);
    if (!decision.ok) return decision;
    if (decision.next === null) return { ok: true, message, changed: false };
    const next = decision.next;
    const change = await tx.messageRevisions.reviseMessage(next, {
      tenantId, conversationId, messageId: message.id, messageSeq: message.seq, kind: decision.kind,
      previous: { text: message.text, attachments: message.attachments, channelData: message.channelData }, actor: caller.actor, at: now,
    });
    // Under the row lock the message cannot have been deleted since it was read; kept as a guard.
    if (change === undefined) return { ok: false, refusal: 'deleted' };
    if (decision.kind === 'deleted') await tx.messageRevisions.redactMessageEvents(next);
    await emit(decision.kind === 'updated' ? 'message.updated' : 'message.deleted', tenantId, conversationId, { message: next, change });
    return { ok: true, message: next, changed: true };
  });
}
