import type { Caller } from '../caller.js';
import type { AppDeps } from '../deps.js';
import { SwitchboardError } from '../errors.js';
import { requireTenant } from '../tenant-access.js';
import { commit } from '../unit-of-work.js';

/** Takes an agent out of a queue; conversations the agent already handles stay with the agent. */
export async function removeQueueMember(deps: AppDeps, caller: Caller, tenantId: string, queueId: string, agentId: string): Promise<void> {
  await requireTenant(deps, caller, tenantId, 'queues.write');
  await commit(deps, caller, async (tx, emit) => {
    if (!(await tx.getQueue(tenantId, queueId))) throw new SwitchboardError('SB_ERR_QUEUE_NOT_FOUND');
    if (!(await tx.routing.removeQueueMember(tenantId, queueId, agentId))) throw new SwitchboardError('SB_ERR_NOT_A_MEMBER');
    await emit('queue.member_removed', tenantId, null, { queueId, agentId });
  });
}
