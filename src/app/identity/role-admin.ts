import type { CustomRole, PrincipalType, RoleAssignment } from '../../core/identity/identity-model.js';
import { isPermission, PLATFORM_ONLY, type Permission } from '../../core/identity/permissions.js';
import { BUILT_IN_ROLE_DEFINITIONS, BUILT_IN_ROLES, isBuiltInRole } from '../../core/identity/roles.js';
import type { Caller } from '../caller.js';
import type { AppDeps } from '../deps.js';
import { SwitchboardError } from '../errors.js';
import type { StoreTx } from '../ports/storage.js';
import { requireTenant } from '../tenant-access.js';
import { auditInTx } from './audit.js';
import { commitIdentityChange, type IdentityDeps } from './identity-deps.js';
import { assertMayGrant } from './grant-guard.js';
import { rolePermissions } from './resolve-grants.js';

export interface RoleGrantInput {
  /** A built-in role name or a custom role id. */
  readonly role: string;
  /** Queue scope; omitted or null = the whole tenant. */
  readonly queueIds?: readonly string[] | null | undefined;
}

export interface AssignRoleInput extends RoleGrantInput {
  readonly principalType: PrincipalType;
  readonly principalId: string;
}

export interface RoleView {
  readonly id: string;
  readonly name: string;
  readonly description: string | null;
  readonly builtIn: boolean;
  readonly permissions: readonly Permission[];
}

/** Checks a list of permission names against the catalogue: unknown or platform-only ones are refused. */
export function checkPermissions(names: readonly string[], path: string): Permission[] {
  const bad = names.filter((n) => !isPermission(n) || PLATFORM_ONLY.has(n));
  if (bad.length > 0) throw new SwitchboardError('SB_ERR_INVALID_PERMISSION', `Not a grantable permission: ${bad.join(', ')}.`, { path, permissions: bad });
  return [...new Set(names as Permission[])];
}

export async function listRoles(deps: AppDeps, caller: Caller, tenantId: string): Promise<RoleView[]> {
  await requireTenant(deps, caller, tenantId, 'users.read');
  const builtIn: RoleView[] = BUILT_IN_ROLES.map((name) => ({ id: name, name, description: BUILT_IN_ROLE_DEFINITIONS[name].description, builtIn: true, permissions: BUILT_IN_ROLE_DEFINITIONS[name].permissions }));
  const custom = (await deps.storage.read.identity.listCustomRoles(tenantId)).map((r) => ({ id: r.id, name: r.name, description: r.description, builtIn: false, permissions: r.permissions }));
  return [...builtIn, ...custom];
}

export async function createCustomRole(
  deps: IdentityDeps, caller: Caller, tenantId: string, input: { name: string; description?: string | null | undefined; permissions: readonly string[] },
): Promise<CustomRole> {
  await requireTenant(deps, caller, tenantId, 'roles.write');
  const permissions = checkPermissions(input.permissions, '/permissions');
  assertMayGrant(caller, permissions, null);
  const name = input.name.trim();
  if (isBuiltInRole(name)) throw new SwitchboardError('SB_ERR_ROLE_EXISTS', `"${name}" is a built-in role.`);
  return commitIdentityChange(deps, async (tx) => {
    const now = new Date(deps.clock.now()).toISOString();
    const role: CustomRole = { id: deps.ids.next('role'), tenantId, name, description: input.description ?? null, permissions, createdAt: now };
    if (!(await tx.identity.insertCustomRole(role))) throw new SwitchboardError('SB_ERR_ROLE_EXISTS');
    await auditInTx(tx, caller, tenantId, { action: 'role.created', targetType: 'role', targetId: role.id, details: { name, permissions } }, now);
    return role;
  });
}

export async function deleteCustomRole(deps: IdentityDeps, caller: Caller, tenantId: string, roleId: string): Promise<void> {
  await requireTenant(deps, caller, tenantId, 'roles.write');
  await commitIdentityChange(deps, async (tx) => {
    const now = new Date(deps.clock.now()).toISOString();
    if (!(await tx.identity.getCustomRole(tenantId, roleId))) throw new SwitchboardError('SB_ERR_ROLE_NOT_FOUND');
    if ((await tx.identity.listRoleAssignments(tenantId)).some((a) => a.role === roleId)) throw new SwitchboardError('SB_ERR_ROLE_IN_USE');
    await tx.identity.deleteCustomRole(tenantId, roleId);
    await auditInTx(tx, caller, tenantId, { action: 'role.deleted', targetType: 'role', targetId: roleId }, now);
  });
}

export async function assignRole(deps: IdentityDeps, caller: Caller, tenantId: string, input: AssignRoleInput): Promise<RoleAssignment> {
  await requireTenant(deps, caller, tenantId, 'roles.write');
  return commitIdentityChange(deps, (tx) => assignRoleInTx(deps, tx, caller, tenantId, input, new Date(deps.clock.now()).toISOString()));
}

/** The body of `assignRole`, for use cases that assign roles as part of another change (inviting). */
export async function assignRoleInTx(deps: AppDeps, tx: StoreTx, caller: Caller, tenantId: string, input: AssignRoleInput, now: string): Promise<RoleAssignment> {
  if (!isBuiltInRole(input.role) && !(await tx.identity.getCustomRole(tenantId, input.role))) throw new SwitchboardError('SB_ERR_ROLE_NOT_FOUND');
  const queueIds = input.queueIds === undefined || input.queueIds === null ? null : [...new Set(input.queueIds)];
  for (const queueId of queueIds ?? []) {
    if (!(await tx.getQueue(tenantId, queueId))) throw new SwitchboardError('SB_ERR_QUEUE_NOT_FOUND', `Queue ${queueId} does not exist in this tenant.`);
  }
  assertMayGrant(caller, await rolePermissions(tx, tenantId, input.role), queueIds);
  const exists = input.principalType === 'user' ? await tx.identity.getUser(tenantId, input.principalId)
    : input.principalType === 'group' ? await tx.identity.getGroup(tenantId, input.principalId)
    : await appPresentIn(tx, tenantId, input.principalId);
  if (!exists) {
    throw new SwitchboardError(input.principalType === 'user' ? 'SB_ERR_USER_NOT_FOUND' : input.principalType === 'group' ? 'SB_ERR_GROUP_NOT_FOUND' : 'SB_ERR_APP_NOT_FOUND');
  }
  const assignment: RoleAssignment = {
    id: deps.ids.next('ra'), tenantId, principalType: input.principalType, principalId: input.principalId, role: input.role, queueIds, createdAt: now,
  };
  await tx.identity.insertRoleAssignment(assignment);
  await auditInTx(tx, caller, tenantId, { action: 'role.assigned', targetType: input.principalType, targetId: input.principalId, details: { role: input.role, queueIds, assignmentId: assignment.id } }, now);
  return assignment;
}

/** An app is present in a tenant when the tenant owns it or has consented to it (and not revoked). */
async function appPresentIn(tx: StoreTx, tenantId: string, appId: string): Promise<boolean> {
  const app = await tx.identity.getApp(appId);
  if (!app) return false;
  if (app.tenantId === tenantId) return true;
  const consent = await tx.identity.getConsent(tenantId, appId);
  return consent !== undefined && consent.revokedAt === null;
}

export async function removeRoleAssignment(deps: IdentityDeps, caller: Caller, tenantId: string, assignmentId: string): Promise<void> {
  await requireTenant(deps, caller, tenantId, 'roles.write');
  await commitIdentityChange(deps, async (tx) => {
    const now = new Date(deps.clock.now()).toISOString();
    const assignment = await tx.identity.getRoleAssignment(tenantId, assignmentId);
    if (!assignment) throw new SwitchboardError('SB_ERR_ASSIGNMENT_NOT_FOUND');
    await tx.identity.deleteRoleAssignment(tenantId, assignmentId);
    await auditInTx(tx, caller, tenantId, { action: 'role.unassigned', targetType: assignment.principalType, targetId: assignment.principalId, details: { role: assignment.role, assignmentId } }, now);
  });
}

export async function listRoleAssignments(deps: AppDeps, caller: Caller, tenantId: string, principal?: { type: PrincipalType; id: string }): Promise<RoleAssignment[]> {
  await requireTenant(deps, caller, tenantId, 'users.read');
  return deps.storage.read.identity.listRoleAssignments(tenantId, principal ? [principal] : undefined);
}
