import type { Caller } from '../caller.js';
import { lockConversation } from '../conversation-lock.js';
import type { AppDeps } from '../deps.js';
import { SwitchboardError } from '../errors.js';
import { requireTenant } from '../tenant-access.js';
import { commit } from '../unit-of-work.js';

/** Marks a participant as gone; leaving twice is harmless and emits one event. */
export async function leaveConversation(
  deps: AppDeps, caller: Caller, tenantId: string, conversationId: string, participantId: string,
): Promise<void> {
  await requireTenant(deps, caller, tenantId, 'conversations.write');
  await commit(deps, caller, async (tx, emit, now) => {
    await lockConversation(tx, caller, tenantId, conversationId, false);
    const participant = await tx.getParticipant(tenantId, participantId);
    if (!participant || participant.conversationId !== conversationId) throw new SwitchboardError('SB_ERR_PARTICIPANT_NOT_FOUND');
    if (participant.leftAt !== null) return;
    await tx.markParticipantLeft(tenantId, participantId, now);
    await emit('participant.left', tenantId, conversationId, { participantId });
  });
}
