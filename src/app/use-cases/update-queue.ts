import type { Queue } from '../../core/model.js';
import type { QueueRouting } from '../../core/routing/routing-model.js';
import type { Caller } from '../caller.js';
import type { AppDeps } from '../deps.js';
import { SwitchboardError } from '../errors.js';
import { checkQueueRouting, overflowTargets } from '../routing/routing-config-checks.js';
import { requireTenant } from '../tenant-access.js';
import { commit } from '../unit-of-work.js';

export interface UpdateQueueInput {
  readonly name?: string | undefined;
  readonly priority?: number | undefined;
  /** Routing settings given replace the stored ones field by field. */
  readonly routing?: Partial<QueueRouting> | undefined;
  readonly expectedVersion?: number | undefined;
}

export async function updateQueue(deps: AppDeps, caller: Caller, tenantId: string, queueId: string, input: UpdateQueueInput): Promise<Queue> {
  await requireTenant(deps, caller, tenantId, 'queues.write');
  return commit(deps, caller, async (tx, emit, now) => {
    const queue = await tx.getQueue(tenantId, queueId);
    if (!queue) throw new SwitchboardError('SB_ERR_QUEUE_NOT_FOUND');
    if (input.expectedVersion !== undefined && input.expectedVersion !== queue.version) {
      throw new SwitchboardError('SB_ERR_VERSION_CONFLICT', `The queue is at version ${queue.version}, not ${input.expectedVersion}.`, { version: queue.version });
    }
    const routing: QueueRouting = { ...queue.routing, ...input.routing };
    const queues = await tx.listQueues(tenantId);
    const skills = await tx.routing.listSkills(tenantId);
    checkQueueRouting(routing, queueId, new Set(queues.map((q) => q.id)), new Set(skills.map((s) => s.name)));
    if (!(await tx.routing.updateQueue(tenantId, queueId, { name: input.name, priority: input.priority, routing }, queue.version, now))) {
      throw new SwitchboardError('SB_ERR_VERSION_CONFLICT');
    }
    await tx.routing.setQueueRefs(tenantId, queueId, overflowTargets(routing));
    const updated = (await tx.getQueue(tenantId, queueId))!;
    await emit('queue.updated', tenantId, null, { queue: updated });
    return updated;
  });
}
