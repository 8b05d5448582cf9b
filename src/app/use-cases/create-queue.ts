import type { Queue } from '../../core/model.js';
import type { Caller } from '../caller.js';
import type { AppDeps } from '../deps.js';
import { SwitchboardError } from '../errors.js';
import { requireTenant } from '../tenant-access.js';
import { commit } from '../unit-of-work.js';

export interface CreateQueueInput {
  readonly name: string;
  readonly priority?: number | undefined;
  readonly memberIds?: readonly string[] | undefined;
}

export async function createQueue(deps: AppDeps, caller: Caller, tenantId: string, input: CreateQueueInput): Promise<Queue> {
  await requireTenant(deps, caller, tenantId);
  const memberIds = [...new Set(input.memberIds ?? [])];
  return commit(deps, caller, async (tx, emit, now) => {
    for (const agentId of memberIds) {
      if (!(await tx.getAgent(tenantId, agentId))) throw new SwitchboardError('SB_ERR_AGENT_NOT_FOUND', `Agent ${agentId} does not exist in this tenant.`);
    }
    const queue: Queue = { id: deps.ids.next('que'), tenantId, name: input.name, priority: input.priority ?? 0, memberIds, createdAt: now };
    await tx.insertQueue(queue);
    for (const agentId of memberIds) await tx.addQueueMember(tenantId, queue.id, agentId, now);
    await emit('queue.created', tenantId, null, { queue });
    return queue;
  });
}
