import type { Workstream } from '../../core/routing/routing-model.js';
import type { Caller } from '../caller.js';
import type { AppDeps } from '../deps.js';
import { SwitchboardError } from '../errors.js';
import { checkAndRecordWorkstream, workstreamFrom, type WorkstreamInput } from '../routing/workstream-input.js';
import { requireTenant } from '../tenant-access.js';
import { commit } from '../unit-of-work.js';

/**
 * Replaces a workstream's definition as a new version. With `expectedVersion`, a concurrent edit
 * is refused instead of silently overwritten.
 */
export async function updateWorkstream(
  deps: AppDeps, caller: Caller, tenantId: string, id: string, input: WorkstreamInput & { readonly expectedVersion?: number | undefined },
): Promise<Workstream> {
  await requireTenant(deps, caller, tenantId, 'routing.write');
  return commit(deps, caller, async (tx, emit, now) => {
    const current = await tx.routing.getWorkstream(tenantId, id);
    if (!current) throw new SwitchboardError('SB_ERR_WORKSTREAM_NOT_FOUND');
    if (input.expectedVersion !== undefined && input.expectedVersion !== current.version) {
      throw new SwitchboardError('SB_ERR_VERSION_CONFLICT', `The workstream is at version ${current.version}, not ${input.expectedVersion}.`, { version: current.version });
    }
    const next = workstreamFrom(input, { id, tenantId, version: current.version + 1, createdAt: current.createdAt, updatedAt: now });
    await checkAndRecordWorkstream(tx, next);
    if (!(await tx.routing.updateWorkstream(next, current.version))) throw new SwitchboardError('SB_ERR_VERSION_CONFLICT');
    await emit('workstream.updated', tenantId, null, { workstream: next, previousVersion: current.version });
    return next;
  });
}
