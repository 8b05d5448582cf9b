import type { Tenant } from '../../core/model.js';
import { assertPlatformAdmin, type Caller } from '../caller.js';
import type { AppDeps } from '../deps.js';
import { requireTenant } from '../tenant-access.js';

export async function listTenants(deps: AppDeps, caller: Caller): Promise<Tenant[]> {
  assertPlatformAdmin(caller);
  return deps.storage.read.listTenants();
}

export function getTenant(deps: AppDeps, caller: Caller, tenantId: string): Promise<Tenant> {
  return requireTenant(deps, caller, tenantId, 'tenant.read');
}
