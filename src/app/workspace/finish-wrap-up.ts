import { allowedTransitions } from '../../core/conversation-lifecycle.js';
import type { Conversation } from '../../core/model.js';
import { chooseWrapUpCode } from '../../core/workspace/wrap-up.js';
import type { Caller } from '../caller.js';
import type { AppDeps } from '../deps.js';
import { SwitchboardError } from '../errors.js';
import { moveConversation, onMovableConversation } from '../use-cases/change-conversation-state.js';
import { wrapUpSettingsOf, wrapUpView, type WrapUpView } from './wrap-up-record.js';

export interface FinishWrapUpInput {
  readonly code?: string | undefined;
  readonly notes?: string | undefined;
}

export interface FinishedWrapUp {
  readonly conversation: Conversation;
  readonly wrapUp: WrapUpView;
}

/**
 * The agent's end of the work: records the outcome (a code of the queue, required when it has
 * codes, and notes) and closes the conversation. An `active` conversation goes through `wrap_up`
 * in the same transaction, so "wrap up and close" is one step for the agent. The same rights as a
 * state change: one's own conversation, or `conversations.supervise` on someone else's.
 */
export async function finishWrapUp(
  deps: AppDeps, caller: Caller, tenantId: string, conversationId: string, input: FinishWrapUpInput,
): Promise<FinishedWrapUp> {
  return onMovableConversation(deps, caller, tenantId, conversationId, true, async (tx, emit, now, locked) => {
    let current = locked;
    if (current.state !== 'active' && current.state !== 'wrap_up') {
      throw new SwitchboardError('SB_ERR_ILLEGAL_TRANSITION', `A conversation that is ${current.state} cannot be wrapped up: only an active one or one in wrap-up.`, {
        from: current.state, to: 'wrap_up', allowed: allowedTransitions(current.state),
      });
    }
    const { wrapUpCodes } = await wrapUpSettingsOf(tx, current);
    const choice = chooseWrapUpCode(wrapUpCodes, input.code);
    if (!choice.ok) throw new SwitchboardError('SB_ERR_VALIDATION', `code: ${choice.problem}.`, { allowed: choice.allowed });
    if (current.state === 'active') current = await moveConversation(tx, emit, caller.actor, current, 'wrap_up', 'wrap-up', now);
    const notes = input.notes === undefined || input.notes === '' ? null : input.notes;
    const conversation = await moveConversation(tx, emit, caller.actor, current, 'closed', 'wrap-up finished', now, { endReason: 'finished', code: choice.code, notes });
    return { conversation, wrapUp: wrapUpView((await tx.workspace.getWrapUp(tenantId, conversationId))!) };
  });
}
