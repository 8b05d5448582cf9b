import type { Actor } from '../core/model.js';
import { SwitchboardError } from './errors.js';

/**
 * Who is calling a use case. The bootstrap admin key may act on every tenant; the identity issue
 * brings per-tenant principals with roles, and only this type and `assertTenantAccess` change.
 */
export interface Caller {
  readonly actor: Actor;
  readonly tenants: 'all' | readonly string[];
  readonly isPlatformAdmin: boolean;
}

export const SYSTEM_CALLER: Caller = Object.freeze({
  actor: Object.freeze({ kind: 'system', id: null }),
  tenants: 'all',
  isPlatformAdmin: true,
});

/** A tenant the caller may not see is reported as missing, so ids never leak across tenants. */
export function assertTenantAccess(caller: Caller, tenantId: string): void {
  if (caller.tenants === 'all' || caller.tenants.includes(tenantId)) return;
  throw new SwitchboardError('SB_ERR_TENANT_NOT_FOUND');
}

export function assertPlatformAdmin(caller: Caller): void {
  if (!caller.isPlatformAdmin) throw new SwitchboardError('SB_ERR_FORBIDDEN', 'Only a platform administrator may do this.');
}
