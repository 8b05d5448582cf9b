import type { SwitchboardEvent } from '../../core/model.js';
import type { Caller } from '../caller.js';
import type { AppDeps } from '../deps.js';
import { requireTenant } from '../tenant-access.js';

export const MAX_EVENTS_PER_READ = 1000;

/** The event log of a tenant after an id, oldest first: how consumers catch up after a gap. */
export async function readEvents(
  deps: AppDeps, caller: Caller, tenantId: string, afterId = 0, limit = 100, conversationId?: string,
): Promise<SwitchboardEvent[]> {
  await requireTenant(deps, caller, tenantId);
  return deps.storage.read.readEvents(tenantId, afterId, Math.min(Math.max(limit, 1), MAX_EVENTS_PER_READ), conversationId);
}
