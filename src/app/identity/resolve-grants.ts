import { combineRoles, type Grants, type HeldRole } from '../../core/identity/grants.js';
import type { RoleAssignment, User } from '../../core/identity/identity-model.js';
import { isPermission, type Permission } from '../../core/identity/permissions.js';
import { BUILT_IN_ROLE_DEFINITIONS, isBuiltInRole } from '../../core/identity/roles.js';
import type { PrincipalRef } from '../ports/identity-storage.js';
import type { StoreReads } from '../ports/storage.js';

/** The permissions of a role name: built-in, or a custom role of the tenant (unknown: none). */
export async function rolePermissions(reads: StoreReads, tenantId: string, role: string): Promise<readonly Permission[]> {
  if (isBuiltInRole(role)) return BUILT_IN_ROLE_DEFINITIONS[role].permissions;
  const custom = await reads.identity.getCustomRole(tenantId, role);
  return custom ? custom.permissions.filter(isPermission) : [];
}

/**
 * Turns role assignments into held roles. The `agent` role holds on the queues the person's agent
 * record is a member of (intersected with the assignment's own queue list, if it has one): an
 * agent sees the work of their own queues, not the tenant's.
 */
async function heldRoles(reads: StoreReads, tenantId: string, assignments: readonly RoleAssignment[], agentId: string | null): Promise<HeldRole[]> {
  let agentQueues: string[] | undefined;
  const held: HeldRole[] = [];
  for (const a of assignments) {
    const permissions = await rolePermissions(reads, tenantId, a.role);
    let queueIds = a.queueIds;
    if (a.role === 'agent') {
      agentQueues ??= agentId === null ? [] : (await reads.listQueues(tenantId)).filter((q) => q.memberIds.includes(agentId)).map((q) => q.id);
      queueIds = queueIds === null ? agentQueues : queueIds.filter((q) => agentQueues!.includes(q));
    }
    held.push({ permissions, queueIds });
  }
  return held;
}

/** Everything a person may do in their tenant: their roles, direct and through groups. */
export async function userGrants(reads: StoreReads, user: User): Promise<Grants> {
  const groups = await reads.identity.listGroupsOfUser(user.tenantId, user.id);
  const principals: PrincipalRef[] = [{ type: 'user', id: user.id }, ...groups.map((id) => ({ type: 'group' as const, id }))];
  const assignments = await reads.identity.listRoleAssignments(user.tenantId, principals);
  return combineRoles(await heldRoles(reads, user.tenantId, assignments, user.agentId));
}

/** The roles assigned to an application in a tenant (e.g. `bot`), as grants. */
export async function appRoleGrants(reads: StoreReads, tenantId: string, appId: string): Promise<Grants> {
  const assignments = await reads.identity.listRoleAssignments(tenantId, [{ type: 'app', id: appId }]);
  return combineRoles(await heldRoles(reads, tenantId, assignments, null));
}
