import { isTerminal } from '../../core/conversation-lifecycle.js';
import { isSelf, type Caller } from '../caller.js';
import type { AppDeps } from '../deps.js';
import { SwitchboardError } from '../errors.js';
import { assertConversationInScope } from '../scope.js';
import { requireTenant } from '../tenant-access.js';
import type { ConversationFeed } from './conversation-feed.js';

/**
 * An agent (or bot) is typing in a conversation: relayed to the customer's client as a Direct
 * Line `typing` activity with the agent's name, never stored. Typing as yourself needs only
 * `conversations.write` on the conversation; as another agent, `agents.write` too.
 */
export async function announceAgentTyping(deps: AppDeps, feed: ConversationFeed, caller: Caller, tenantId: string, conversationId: string, agentId: string): Promise<void> {
  await requireTenant(deps, caller, tenantId, 'conversations.write');
  if (!isSelf(caller, agentId)) await requireTenant(deps, caller, tenantId, 'agents.write');
  const conversation = await deps.storage.read.getConversation(tenantId, conversationId);
  if (!conversation) throw new SwitchboardError('SB_ERR_CONVERSATION_NOT_FOUND');
  await assertConversationInScope(deps.storage.read, caller, 'conversations.write', conversation);
  if (isTerminal(conversation.state)) throw new SwitchboardError('SB_ERR_CONVERSATION_CLOSED');
  const agent = await deps.storage.read.getAgent(tenantId, agentId);
  if (!agent) throw new SwitchboardError('SB_ERR_AGENT_NOT_FOUND');
  feed.agentTyping(tenantId, conversationId, { id: agent.id, name: agent.displayName, role: 'bot' });
}
