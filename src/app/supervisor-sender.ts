import type { MessageVisibility } from '../core/message-visibility.js';
import type { Conversation } from '../core/model.js';
import { assertOnQueue, type Caller } from './caller.js';
import type { AppDeps } from './deps.js';
import { SwitchboardError } from './errors.js';
import type { StoreReads } from './ports/storage.js';
import { supervisorId } from './supervisor-identity.js';
import { requirePermission } from './tenant-access.js';

/**
 * A message sent as `supervisor` (a whisper, a note, or words to the customer after a barge) needs
 * `conversations.supervise`, and is sent as the caller: the sender id is the caller's supervisor
 * id, so nobody can put words in a supervisor's mouth. Returns that id.
 */
export async function requireSupervisorSender(deps: AppDeps, caller: Caller, tenantId: string, claimedId: string | null | undefined): Promise<string> {
  await requirePermission(deps, caller, tenantId, 'conversations.supervise');
  const id = supervisorId(caller);
  if (claimedId !== undefined && claimedId !== null && claimedId !== id) {
    throw new SwitchboardError('SB_ERR_FORBIDDEN', 'A supervisor message is sent as the caller: leave senderId out (or give your own id).');
  }
  return id;
}

/** Supervision holds on the conversation's queue; outside looks missing, as every scope check does. */
export function assertSupervises(caller: Caller, conversation: Conversation): void {
  assertOnQueue(caller, 'conversations.supervise', conversation.queueId, 'SB_ERR_CONVERSATION_NOT_FOUND');
}

/**
 * A customer-visible message comes from a supervisor who barged in and has not left. Whispers and
 * internal notes need no barge: monitoring is silent.
 */
export async function assertBargedIn(reads: StoreReads, conversation: Conversation, senderId: string, visibility: MessageVisibility): Promise<void> {
  if (visibility !== 'public') return;
  const participants = await reads.listParticipants(conversation.tenantId, conversation.id);
  if (!participants.some((p) => p.role === 'supervisor' && p.refId === senderId && p.leftAt === null)) {
    throw new SwitchboardError('SB_ERR_NOT_BARGED_IN', 'Barge in first (POST .../barge) to speak to the customer; a whisper reaches the agent without it.');
  }
}
