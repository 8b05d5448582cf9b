import type { Permission } from '../core/identity/permissions.js';
import type { Conversation, Queue } from '../core/model.js';
import { allowedOn, isSelf, queueScope, type Caller } from './caller.js';
import { SwitchboardError } from './errors.js';
import type { StoreReads } from './ports/storage.js';

/**
 * Queue scope checks for resources that belong to queues indirectly. A conversation belongs to its
 * queue; an agent to every queue it is a member of. Out of scope looks exactly like missing.
 */
export async function assertConversationInScope(
  reads: StoreReads, caller: Caller, permission: Permission, conversation: Conversation,
): Promise<void> {
  if (allowedOn(caller, permission, conversation.queueId)) return;
  // An agent keeps seeing a conversation that was transferred or consulted to them from elsewhere.
  if (caller.agentId) {
    const participants = await reads.listParticipants(conversation.tenantId, conversation.id);
    if (participants.some((p) => p.role === 'agent' && p.refId === caller.agentId && p.leftAt === null)) return;
  }
  throw new SwitchboardError('SB_ERR_CONVERSATION_NOT_FOUND');
}

/** Whether an agent is a member of a queue in the caller's scope for `permission` (or is the caller). */
export function agentInScope(caller: Caller, permission: Permission, agentId: string, queues: readonly Queue[]): boolean {
  const scope = queueScope(caller, permission);
  if (scope === 'all' || isSelf(caller, agentId)) return true;
  return queues.some((q) => scope.has(q.id) && q.memberIds.includes(agentId));
}

export async function assertAgentInScope(reads: StoreReads, caller: Caller, tenantId: string, permission: Permission, agentId: string): Promise<void> {
  if (queueScope(caller, permission) === 'all' || isSelf(caller, agentId)) return;
  if (!agentInScope(caller, permission, agentId, await reads.listQueues(tenantId))) throw new SwitchboardError('SB_ERR_AGENT_NOT_FOUND');
}

export function assertQueueInScope(caller: Caller, permission: Permission, queueId: string): void {
  if (!allowedOn(caller, permission, queueId)) throw new SwitchboardError('SB_ERR_QUEUE_NOT_FOUND');
}
