import type { Caller } from '../caller.js';
import type { AppDeps } from '../deps.js';
import { SwitchboardError } from '../errors.js';
import { requireTenant } from '../tenant-access.js';
import { commit } from '../unit-of-work.js';

/** Deletes a workstream that no conversation is waiting in. */
export async function deleteWorkstream(deps: AppDeps, caller: Caller, tenantId: string, id: string): Promise<void> {
  await requireTenant(deps, caller, tenantId, 'routing.write');
  await commit(deps, caller, async (tx, emit) => {
    if (!(await tx.routing.getWorkstream(tenantId, id))) throw new SwitchboardError('SB_ERR_WORKSTREAM_NOT_FOUND');
    const inFlight = (await tx.routing.listRoutingItems(tenantId, ['waiting', 'offered', 'assigned'])).filter((i) => i.workstreamId === id);
    if (inFlight.length > 0) {
      throw new SwitchboardError('SB_ERR_INVALID_WORKSTREAM', `${inFlight.length} conversation(s) are still routed by this workstream.`, { conversations: inFlight.length });
    }
    await tx.routing.deleteWorkstream(tenantId, id);
    await emit('workstream.deleted', tenantId, null, { workstreamId: id });
  });
}
