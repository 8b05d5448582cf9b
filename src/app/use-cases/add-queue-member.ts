import type { Queue } from '../../core/model.js';
import type { Caller } from '../caller.js';
import type { AppDeps } from '../deps.js';
import { SwitchboardError } from '../errors.js';
import { requireTenant } from '../tenant-access.js';
import { commit } from '../unit-of-work.js';

export async function addQueueMember(deps: AppDeps, caller: Caller, tenantId: string, queueId: string, agentId: string): Promise<Queue> {
  await requireTenant(deps, caller, tenantId, 'queues.write');
  return commit(deps, caller, async (tx, emit, now) => {
    const queue = await tx.getQueue(tenantId, queueId);
    if (!queue) throw new SwitchboardError('SB_ERR_QUEUE_NOT_FOUND');
    if (!(await tx.getAgent(tenantId, agentId))) throw new SwitchboardError('SB_ERR_AGENT_NOT_FOUND');
    if (!(await tx.addQueueMember(tenantId, queueId, agentId, now))) throw new SwitchboardError('SB_ERR_ALREADY_MEMBER');
    await emit('queue.member_added', tenantId, null, { queueId, agentId });
    return { ...queue, memberIds: [...queue.memberIds, agentId] };
  });
}
