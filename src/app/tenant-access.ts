import type { Tenant } from '../core/model.js';
import { assertTenantAccess, type Caller } from './caller.js';
import type { AppDeps } from './deps.js';
import { SwitchboardError } from './errors.js';

/** Checks the caller may act on the tenant and that it exists; both failures look the same. */
export async function requireTenant(deps: AppDeps, caller: Caller, tenantId: string): Promise<Tenant> {
  assertTenantAccess(caller, tenantId);
  const tenant = await deps.storage.read.getTenant(tenantId);
  if (!tenant) throw new SwitchboardError('SB_ERR_TENANT_NOT_FOUND');
  return tenant;
}
