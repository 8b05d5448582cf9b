import type { Tenant } from '../../core/model.js';
import { assertPlatformAdmin, type Caller } from '../caller.js';
import type { AppDeps } from '../deps.js';
import { commit } from '../unit-of-work.js';

export interface CreateTenantInput {
  readonly name: string;
}

export async function createTenant(deps: AppDeps, caller: Caller, input: CreateTenantInput): Promise<Tenant> {
  assertPlatformAdmin(caller);
  return commit(deps, caller, async (tx, emit, now) => {
    const tenant: Tenant = { id: deps.ids.next('ten'), name: input.name, createdAt: now };
    await tx.insertTenant(tenant);
    await emit('tenant.created', tenant.id, null, { tenant });
    return tenant;
  });
}
