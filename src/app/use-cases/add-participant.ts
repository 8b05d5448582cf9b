import { defaultAudience, type Audience, type ParticipantRole } from '../../core/message-visibility.js';
import type { Participant } from '../../core/model.js';
import type { Caller } from '../caller.js';
import { lockConversation } from '../conversation-lock.js';
import type { AppDeps } from '../deps.js';
import { SwitchboardError } from '../errors.js';
import { requireTenant } from '../tenant-access.js';
import { commit } from '../unit-of-work.js';

export interface AddParticipantInput {
  readonly role: ParticipantRole;
  /** The agent (human or bot) joining; customers join with the conversation's contact. */
  readonly agentId?: string | undefined;
  readonly audience?: Audience | undefined;
}

export async function addParticipant(
  deps: AppDeps, caller: Caller, tenantId: string, conversationId: string, input: AddParticipantInput,
): Promise<Participant> {
  await requireTenant(deps, caller, tenantId, 'conversations.write');
  // A supervisor participant refers to the person (their supervisor id), not to an agent, and
  // needs conversations.supervise: one way in, checked once.
  if (input.role === 'supervisor') throw new SwitchboardError('SB_ERR_VALIDATION', 'A supervisor joins with POST .../barge, as themselves.');
  return commit(deps, caller, async (tx, emit, now) => {
    const conversation = await lockConversation(tx, caller, tenantId, conversationId, true);

    let refId: string | null = null;
    let displayName: string | null = null;
    if (input.role === 'customer') {
      const contact = await tx.getContact(tenantId, conversation.contactId);
      refId = conversation.contactId;
      displayName = contact?.displayName ?? null;
    } else {
      if (input.agentId === undefined) throw new SwitchboardError('SB_ERR_VALIDATION', `A ${input.role} participant needs an agentId.`);
      const agent = await tx.getAgent(tenantId, input.agentId);
      if (!agent) throw new SwitchboardError('SB_ERR_AGENT_NOT_FOUND');
      if ((input.role === 'bot') !== (agent.kind === 'bot')) {
        throw new SwitchboardError('SB_ERR_VALIDATION', `Agent ${agent.id} is a ${agent.kind} agent and cannot join as ${input.role}.`);
      }
      refId = agent.id;
      displayName = agent.displayName;
    }
    // A customer or bot never gets agent-side visibility, whatever the request asks.
    const ceiling = defaultAudience(input.role);
    const audience = ceiling === 'customer' ? 'customer' : (input.audience ?? ceiling);
    const participant: Participant = {
      id: deps.ids.next('par'), tenantId, conversationId, role: input.role, refId, displayName, audience, joinedAt: now, leftAt: null,
    };
    await tx.insertParticipant(participant);
    await emit('participant.added', tenantId, conversationId, { participant });
    return participant;
  });
}
