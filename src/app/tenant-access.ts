import type { Permission } from '../core/identity/permissions.js';
import type { Tenant } from '../core/model.js';
import { assertTenantAccess, holds, type Caller } from './caller.js';
import type { AppDeps } from './deps.js';
import { SwitchboardError } from './errors.js';
import { recordDenied } from './identity/audit.js';

/**
 * Checks, in this order, that the caller may see the tenant and that it exists (both failures look
 * the same: 404), then that the caller holds `permission` there (403, recorded in the audit log).
 * Every use case calls it first, so authorisation lives in the app layer, not in the routes.
 */
export async function requireTenant(deps: AppDeps, caller: Caller, tenantId: string, permission: Permission): Promise<Tenant> {
  assertTenantAccess(caller, tenantId);
  const tenant = await deps.storage.read.getTenant(tenantId);
  if (!tenant) throw new SwitchboardError('SB_ERR_TENANT_NOT_FOUND');
  await requirePermission(deps, caller, tenantId, permission);
  return tenant;
}

/** A second permission a use case needs beyond the one `requireTenant` checked (403, audited). */
export async function requirePermission(deps: AppDeps, caller: Caller, tenantId: string, permission: Permission): Promise<void> {
  if (holds(caller, permission)) return;
  await recordDenied(deps, caller, tenantId, permission);
  throw new SwitchboardError('SB_ERR_FORBIDDEN', `This needs the permission "${permission}".`);
}
