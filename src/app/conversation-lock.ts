import { isTerminal } from '../core/conversation-lifecycle.js';
import type { Conversation } from '../core/model.js';
import type { Caller } from './caller.js';
import { SwitchboardError } from './errors.js';
import type { StoreTx } from './ports/storage.js';
import { assertConversationInScope } from './scope.js';

/**
 * Locks a conversation for the rest of the transaction, or fails with NOT_FOUND, also when it lies
 * outside the caller's queue scope for `conversations.write` (checked on the locked row, so a
 * concurrent transfer cannot slip it out of scope between check and change); with `mustBeOpen`, a
 * closed or abandoned conversation fails with CONVERSATION_CLOSED.
 */
export async function lockConversation(
  tx: StoreTx, caller: Caller, tenantId: string, conversationId: string, mustBeOpen: boolean,
): Promise<Conversation> {
  const conversation = await tx.lockConversation(tenantId, conversationId);
  if (!conversation) throw new SwitchboardError('SB_ERR_CONVERSATION_NOT_FOUND');
  await assertConversationInScope(tx, caller, 'conversations.write', conversation);
  if (mustBeOpen && isTerminal(conversation.state)) throw new SwitchboardError('SB_ERR_CONVERSATION_CLOSED');
  return conversation;
}
