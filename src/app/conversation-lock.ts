import { isTerminal } from '../core/conversation-lifecycle.js';
import type { Conversation } from '../core/model.js';
import { SwitchboardError } from './errors.js';
import type { StoreTx } from './ports/storage.js';

/**
 * Locks a conversation for the rest of the transaction, or fails with NOT_FOUND; with
 * `mustBeOpen`, a closed or abandoned conversation fails with CONVERSATION_CLOSED.
 */
export async function lockConversation(tx: StoreTx, tenantId: string, conversationId: string, mustBeOpen: boolean): Promise<Conversation> {
  const conversation = await tx.lockConversation(tenantId, conversationId);
  if (!conversation) throw new SwitchboardError('SB_ERR_CONVERSATION_NOT_FOUND');
  if (mustBeOpen && isTerminal(conversation.state)) throw new SwitchboardError('SB_ERR_CONVERSATION_CLOSED');
  return conversation;
}
