import type { Queue } from '../../core/model.js';
import { DEFAULT_QUEUE_ROUTING, type QueueRouting } from '../../core/routing/routing-model.js';
import { checkQueueRouting, overflowTargets } from '../routing/routing-config-checks.js';
import type { Caller } from '../caller.js';
import type { AppDeps } from '../deps.js';
import { SwitchboardError } from '../errors.js';
import { requireTenant } from '../tenant-access.js';
import { commit } from '../unit-of-work.js';

export interface CreateQueueInput {
  readonly name: string;
  readonly priority?: number | undefined;
  readonly memberIds?: readonly string[] | undefined;
  readonly routing?: Partial<QueueRouting> | undefined;
}

export async function createQueue(deps: AppDeps, caller: Caller, tenantId: string, input: CreateQueueInput): Promise<Queue> {
  await requireTenant(deps, caller, tenantId, 'queues.write');
  const memberIds = [...new Set(input.memberIds ?? [])];
  return commit(deps, caller, async (tx, emit, now) => {
    for (const agentId of memberIds) {
      if (!(await tx.getAgent(tenantId, agentId))) throw new SwitchboardError('SB_ERR_AGENT_NOT_FOUND', `Agent ${agentId} does not exist in this tenant.`);
    }
    const queueId = deps.ids.next('que');
    const routing: QueueRouting = { ...DEFAULT_QUEUE_ROUTING, ...input.routing };
    const known = new Set([...(await tx.listQueues(tenantId)).map((q) => q.id), queueId]);
    checkQueueRouting(routing, queueId, known, new Set((await tx.routing.listSkills(tenantId)).map((s) => s.name)));
    const queue: Queue = { id: queueId, tenantId, name: input.name, priority: input.priority ?? 0, memberIds, routing, version: 1, createdAt: now };
    await tx.insertQueue(queue);
    for (const agentId of memberIds) await tx.addQueueMember(tenantId, queue.id, agentId, now);
    await tx.routing.setQueueRefs(tenantId, queue.id, overflowTargets(routing));
    await emit('queue.created', tenantId, null, { queue });
    return queue;
  });
}
