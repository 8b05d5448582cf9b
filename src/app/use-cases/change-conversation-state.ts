import { isTerminal, transition, type ConversationState } from '../../core/conversation-lifecycle.js';
import type { Conversation } from '../../core/model.js';
import type { Caller } from '../caller.js';
import { lockConversation } from '../conversation-lock.js';
import type { AppDeps } from '../deps.js';
import { SwitchboardError } from '../errors.js';
import { assertRoutingAllows, releaseOnStateChange } from '../routing/release-on-state-change.js';
import { assertHandlesOrSupervises, auditingSupervision } from '../supervision.js';
import { requireTenant } from '../tenant-access.js';
import { commit } from '../unit-of-work.js';

export interface ChangeStateInput {
  readonly to: ConversationState;
  readonly reason?: string | undefined;
  /** Optimistic check: fail with SB_ERR_STATE_CONFLICT unless the conversation is in this state. */
  readonly expectedState?: ConversationState | undefined;
}

export async function changeConversationState(
  deps: AppDeps, caller: Caller, tenantId: string, conversationId: string, input: ChangeStateInput,
): Promise<Conversation> {
  await requireTenant(deps, caller, tenantId, 'conversations.write');
  return auditingSupervision(deps, caller, tenantId, () => commit(deps, caller, async (tx, emit, now) => {
    const current = await lockConversation(tx, caller, tenantId, conversationId, false);
    // On the locked row: an offer accepted meanwhile makes it someone else's before we decide.
    await assertHandlesOrSupervises(tx, caller, current);
    if (input.expectedState !== undefined && input.expectedState !== current.state) {
      throw new SwitchboardError('SB_ERR_STATE_CONFLICT', `The conversation is ${current.state}, not ${input.expectedState}.`, { state: current.state });
    }
    const step = transition(current.state, input.to);
    if (!step.ok) {
      throw new SwitchboardError(
        'SB_ERR_ILLEGAL_TRANSITION',
        `A conversation cannot go from ${current.state} to ${input.to}` +
          (step.allowed.length > 0 ? ` (allowed: ${step.allowed.join(', ')}).` : ` (${current.state} is final).`),
        { from: current.state, to: input.to, allowed: step.allowed },
      );
    }
    await assertRoutingAllows(tx, tenantId, conversationId, input.to);
    if (!(await tx.updateConversationState(tenantId, conversationId, current.state, input.to, now))) {
      throw new SwitchboardError('SB_ERR_STATE_CONFLICT');
    }
    await emit('conversation.state_changed', tenantId, conversationId, { from: current.state, to: input.to, reason: input.reason ?? null });
    await releaseOnStateChange(tx, emit, tenantId, conversationId, input.to, now);
    return { ...current, state: input.to, updatedAt: now, closedAt: isTerminal(input.to) ? now : current.closedAt };
  }));
}
