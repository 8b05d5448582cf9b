import type { Workstream } from '../../core/routing/routing-model.js';
import type { Caller } from '../caller.js';
import type { AppDeps } from '../deps.js';
import { checkAndRecordWorkstream, workstreamFrom, type WorkstreamInput } from '../routing/workstream-input.js';
import { requireTenant } from '../tenant-access.js';
import { commit } from '../unit-of-work.js';

/** Creates a workstream; every rule is parsed and checked now, so routing never meets a bad one. */
export async function createWorkstream(deps: AppDeps, caller: Caller, tenantId: string, input: WorkstreamInput): Promise<Workstream> {
  await requireTenant(deps, caller, tenantId, 'routing.write');
  return commit(deps, caller, async (tx, emit, now) => {
    const workstream = workstreamFrom(input, { id: deps.ids.next('wks'), tenantId, version: 1, createdAt: now, updatedAt: now });
    // Checked before the insert: the row's foreign keys know queues of every tenant, so inserting
    // first let a made-up queue id fail the constraint (500) while another tenant's queue id passed
    // it and was refused by the check (404), which told the two apart.
    await checkAndRecordWorkstream(tx, workstream);
    await tx.routing.insertWorkstream(workstream);
    await emit('workstream.created', tenantId, null, { workstream });
    return workstream;
  });
}
