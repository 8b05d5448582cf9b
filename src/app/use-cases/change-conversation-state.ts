import { isTerminal, transition, type ConversationState } from '../../core/conversation-lifecycle.js';
import type { Actor, Conversation } from '../../core/model.js';
import type { Caller } from '../caller.js';
import { lockConversation } from '../conversation-lock.js';
import type { AppDeps } from '../deps.js';
import { SwitchboardError } from '../errors.js';
import type { StoreTx } from '../ports/storage.js';
import { assertRoutingAllows, releaseOnStateChange } from '../routing/release-on-state-change.js';
import { assertHandlesOrSupervises, auditingSupervision } from '../supervision.js';
import { requireTenant } from '../tenant-access.js';
import { commit, type Emit } from '../unit-of-work.js';
import { CLOSED_WITHOUT_OUTCOME, endWrapUp, startWrapUp, type WrapUpOutcome } from '../workspace/wrap-up-record.js';

export interface ChangeStateInput {
  readonly to: ConversationState;
  readonly reason?: string | undefined;
  /** Optimistic check: fail with SB_ERR_STATE_CONFLICT unless the conversation is in this state. */
  readonly expectedState?: ConversationState | undefined;
}

export async function changeConversationState(
  deps: AppDeps, caller: Caller, tenantId: string, conversationId: string, input: ChangeStateInput,
): Promise<Conversation> {
  return onMovableConversation(deps, caller, tenantId, conversationId, false, async (tx, emit, now, current) => {
    if (input.expectedState !== undefined && input.expectedState !== current.state) {
      throw new SwitchboardError('SB_ERR_STATE_CONFLICT', `The conversation is ${current.state}, not ${input.expectedState}.`, { state: current.state });
    }
    return moveConversation(tx, emit, caller.actor, current, input.to, input.reason ?? null, now);
  });
}

/**
 * Runs `work` in one transaction on a conversation the caller may move: `conversations.write` in
 * scope, its row locked (with `mustBeOpen`, a closed one fails), and the caller's own or one they
 * supervise, checked on the locked row (an offer accepted meanwhile makes it someone else's
 * before we decide); a refused supervision is audited.
 */
export async function onMovableConversation<T>(
  deps: AppDeps, caller: Caller, tenantId: string, conversationId: string, mustBeOpen: boolean,
  work: (tx: StoreTx, emit: Emit, now: string, current: Conversation) => Promise<T>,
): Promise<T> {
  await requireTenant(deps, caller, tenantId, 'conversations.write');
  return auditingSupervision(deps, caller, tenantId, () => commit(deps, caller, async (tx, emit, now) => {
    const current = await lockConversation(tx, caller, tenantId, conversationId, mustBeOpen);
    await assertHandlesOrSupervises(tx, caller, current);
    return work(tx, emit, now, current);
  }));
}

/**
 * One lifecycle step of a locked conversation, with everything that goes with it in the same
 * transaction: the compare-and-set, its event, routing's capacity, and the wrap-up record (started
 * on entering `wrap_up`, ended on leaving it with `outcome`, by default closed without a code).
 */
export async function moveConversation(
  tx: StoreTx, emit: Emit, actor: Actor, current: Conversation, to: ConversationState, reason: string | null, now: string,
  outcome: WrapUpOutcome = CLOSED_WITHOUT_OUTCOME,
): Promise<Conversation> {
  const { tenantId, id } = current;
  const step = transition(current.state, to);
  if (!step.ok) {
    throw new SwitchboardError(
      'SB_ERR_ILLEGAL_TRANSITION',
      `A conversation cannot go from ${current.state} to ${to}` +
        (step.allowed.length > 0 ? ` (allowed: ${step.allowed.join(', ')}).` : ` (${current.state} is final).`),
      { from: current.state, to, allowed: step.allowed },
    );
  }
  await assertRoutingAllows(tx, tenantId, id, to);
  if (!(await tx.updateConversationState(tenantId, id, current.state, to, now))) {
    throw new SwitchboardError('SB_ERR_STATE_CONFLICT');
  }
  await emit('conversation.state_changed', tenantId, id, { from: current.state, to, reason });
  // Before the release: the wrap-up names the owner routing still holds.
  if (to === 'wrap_up') await startWrapUp(tx, current, now);
  await releaseOnStateChange(tx, emit, tenantId, id, to, now);
  const moved: Conversation = { ...current, state: to, updatedAt: now, closedAt: isTerminal(to) ? now : current.closedAt };
  if (current.state === 'wrap_up') await endWrapUp(tx, emit, actor, moved, outcome, now);
  return moved;
}
