import type { Caller } from '../caller.js';
import type { AppDeps } from '../deps.js';
import { SwitchboardError } from '../errors.js';
import { requireTenant } from '../tenant-access.js';
import { commit } from '../unit-of-work.js';

/** Deletes a queue no rule names and no conversation is in, with its quick replies. */
export async function deleteQueue(deps: AppDeps, caller: Caller, tenantId: string, queueId: string): Promise<void> {
  await requireTenant(deps, caller, tenantId, 'queues.write');
  await commit(deps, caller, async (tx, emit) => {
    if (!(await tx.getQueue(tenantId, queueId))) throw new SwitchboardError('SB_ERR_QUEUE_NOT_FOUND');
    const referrers = (await tx.routing.listQueueReferrers(tenantId, queueId)).filter((id) => id !== queueId);
    if (referrers.length > 0) {
      throw new SwitchboardError('SB_ERR_QUEUE_IN_USE', `Queue ${queueId} is named by ${referrers.join(', ')}; change those first.`, { referrers });
    }
    const inQueue = (await tx.routing.listRoutingItems(tenantId, ['waiting', 'offered', 'assigned'])).filter((i) => i.queueId === queueId);
    if (inQueue.length > 0) {
      throw new SwitchboardError('SB_ERR_QUEUE_IN_USE', `${inQueue.length} conversation(s) are still in queue ${queueId}.`, { conversations: inQueue.length });
    }
    await tx.workspace.deleteQuickRepliesOfQueue(tenantId, queueId);
    await tx.routing.deleteQueue(tenantId, queueId);
    await emit('queue.deleted', tenantId, null, { queueId });
  });
}
