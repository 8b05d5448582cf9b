import { isTerminal } from '../../core/conversation-lifecycle.js';
import type { Participant } from '../../core/model.js';
import type { Caller } from '../caller.js';
import { lockConversation } from '../conversation-lock.js';
import type { AppDeps } from '../deps.js';
import { SwitchboardError } from '../errors.js';
import { supervisorIdentity } from '../supervisor-identity.js';
import { assertSupervises } from '../supervisor-sender.js';
import { requirePermission, requireTenant } from '../tenant-access.js';
import { commit } from '../unit-of-work.js';

export interface BargedIn {
  readonly participant: Participant;
  /** False when the supervisor was already in the conversation: that participant is returned. */
  readonly created: boolean;
}

/**
 * A supervisor joins a conversation so the customer sees them: a participant with role and
 * audience `supervisor`, named as the person is, referring to the caller's supervisor id (not to
 * an agent: the supervisor takes no capacity and routing does not count them). From then on
 * `POST .../messages` with `senderRole: "supervisor"` reaches the customer; leaving is
 * `DELETE .../participants/{id}`. Barging in twice returns the participant already there.
 */
export async function bargeIn(deps: AppDeps, caller: Caller, tenantId: string, conversationId: string): Promise<BargedIn> {
  await requireTenant(deps, caller, tenantId, 'conversations.write');
  await requirePermission(deps, caller, tenantId, 'conversations.supervise');
  const me = await supervisorIdentity(deps.storage.read, caller, tenantId);
  return commit(deps, caller, async (tx, emit, now) => {
    // The row lock makes two barges of the same supervisor (two tabs) add one participant.
    const conversation = await lockConversation(tx, caller, tenantId, conversationId, false);
    assertSupervises(caller, conversation);
    if (isTerminal(conversation.state)) throw new SwitchboardError('SB_ERR_CONVERSATION_CLOSED');
    const already = (await tx.listParticipants(tenantId, conversationId)).find((p) => p.role === 'supervisor' && p.refId === me.id && p.leftAt === null);
    if (already) return { participant: already, created: false };
    const participant: Participant = {
      id: deps.ids.next('par'), tenantId, conversationId, role: 'supervisor', refId: me.id, displayName: me.displayName,
      audience: 'supervisor', joinedAt: now, leftAt: null,
    };
    await tx.insertParticipant(participant);
    await emit('participant.added', tenantId, conversationId, { participant });
    return { participant, created: true };
  });
}
