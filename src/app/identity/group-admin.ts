import type { Group } from '../../core/identity/identity-model.js';
import type { Caller } from '../caller.js';
import type { AppDeps } from '../deps.js';
import { SwitchboardError } from '../errors.js';
import { requireTenant } from '../tenant-access.js';
import { auditInTx } from './audit.js';
import { commitIdentityChange, type IdentityDeps } from './identity-deps.js';

export interface GroupView extends Group {
  readonly memberIds: string[];
}

export async function createGroup(
  deps: IdentityDeps, caller: Caller, tenantId: string, input: { name: string; description?: string | null | undefined; externalId?: string | null | undefined },
): Promise<GroupView> {
  await requireTenant(deps, caller, tenantId, 'users.write');
  return commitIdentityChange(deps, async (tx) => {
    const now = new Date(deps.clock.now()).toISOString();
    const group: Group = { id: deps.ids.next('grp'), tenantId, name: input.name.trim(), description: input.description ?? null, externalId: input.externalId ?? null, createdAt: now };
    if (!(await tx.identity.insertGroup(group))) throw new SwitchboardError('SB_ERR_GROUP_EXISTS');
    await auditInTx(tx, caller, tenantId, { action: 'group.created', targetType: 'group', targetId: group.id, details: { name: group.name, externalId: group.externalId } }, now);
    return { ...group, memberIds: [] };
  });
}

/** Deleting a group removes its memberships and its role assignments: its members lose what it gave them. */
export async function deleteGroup(deps: IdentityDeps, caller: Caller, tenantId: string, groupId: string): Promise<void> {
  await requireTenant(deps, caller, tenantId, 'users.write');
  await commitIdentityChange(deps, async (tx) => {
    const now = new Date(deps.clock.now()).toISOString();
    if (!(await tx.identity.getGroup(tenantId, groupId))) throw new SwitchboardError('SB_ERR_GROUP_NOT_FOUND');
    if ((await tx.identity.listRoleAssignments(tenantId, [{ type: 'group', id: groupId }])).length > 0) {
      assertRolesWrite(caller);
    }
    await tx.identity.deleteRoleAssignmentsOf(tenantId, { type: 'group', id: groupId });
    await tx.identity.deleteGroup(tenantId, groupId);
    await auditInTx(tx, caller, tenantId, { action: 'group.deleted', targetType: 'group', targetId: groupId }, now);
  });
}

/** Removing a role-holding group changes who holds roles: that takes `roles.write` as well. */
function assertRolesWrite(caller: Caller): void {
  if (caller.grants !== undefined && !caller.grants.scopes.has('roles.write')) {
    throw new SwitchboardError('SB_ERR_FORBIDDEN', 'The group holds roles; deleting it needs the permission "roles.write".');
  }
}

export async function addGroupMember(deps: IdentityDeps, caller: Caller, tenantId: string, groupId: string, userId: string): Promise<void> {
  await requireTenant(deps, caller, tenantId, 'users.write');
  await commitIdentityChange(deps, async (tx) => {
    const now = new Date(deps.clock.now()).toISOString();
    if (!(await tx.identity.getGroup(tenantId, groupId))) throw new SwitchboardError('SB_ERR_GROUP_NOT_FOUND');
    if (!(await tx.identity.getUser(tenantId, userId))) throw new SwitchboardError('SB_ERR_USER_NOT_FOUND');
    if (!(await tx.identity.addGroupMember(tenantId, groupId, userId, now))) throw new SwitchboardError('SB_ERR_ALREADY_MEMBER', 'The user is already a member of the group.');
    await auditInTx(tx, caller, tenantId, { action: 'group.member_added', targetType: 'group', targetId: groupId, details: { userId } }, now);
  });
}

export async function removeGroupMember(deps: IdentityDeps, caller: Caller, tenantId: string, groupId: string, userId: string): Promise<void> {
  await requireTenant(deps, caller, tenantId, 'users.write');
  await commitIdentityChange(deps, async (tx) => {
    const now = new Date(deps.clock.now()).toISOString();
    if (!(await tx.identity.getGroup(tenantId, groupId))) throw new SwitchboardError('SB_ERR_GROUP_NOT_FOUND');
    if (!(await tx.identity.removeGroupMember(tenantId, groupId, userId))) throw new SwitchboardError('SB_ERR_NOT_A_MEMBER', 'The user is not a member of the group.');
    await auditInTx(tx, caller, tenantId, { action: 'group.member_removed', targetType: 'group', targetId: groupId, details: { userId } }, now);
  });
}

export async function listGroups(deps: AppDeps, caller: Caller, tenantId: string): Promise<Group[]> {
  await requireTenant(deps, caller, tenantId, 'users.read');
  return deps.storage.read.identity.listGroups(tenantId);
}

export async function getGroup(deps: AppDeps, caller: Caller, tenantId: string, groupId: string): Promise<GroupView> {
  await requireTenant(deps, caller, tenantId, 'users.read');
  const group = await deps.storage.read.identity.getGroup(tenantId, groupId);
  if (!group) throw new SwitchboardError('SB_ERR_GROUP_NOT_FOUND');
  return { ...group, memberIds: await deps.storage.read.identity.listGroupMembers(tenantId, groupId) };
}
