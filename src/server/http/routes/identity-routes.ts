import type { FastifyInstance } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import { PERMISSIONS } from '../../../core/identity/permissions.js';
import { queryAudit } from '../../../app/identity/audit-queries.js';
import { addGroupMember, createGroup, deleteGroup, getGroup, listGroups, removeGroupMember } from '../../../app/identity/group-admin.js';
import type { IdentityDeps } from '../../../app/identity/identity-deps.js';
import { assignRole, createCustomRole, deleteCustomRole, listRoleAssignments, listRoles, removeRoleAssignment } from '../../../app/identity/role-admin.js';
import { getUser, inviteUser, listUsers, setUserPassword, updateUser } from '../../../app/identity/user-admin.js';
import { ErrorBody, Id, Page, PageQuery, TenantItemParams, TenantParams } from '../../../contracts/common.js';
import {
  AssignmentQuery, AssignRoleBody, AuditEntrySchema, AuditQuery, CreateGroupBody, CreateRoleBody, GroupMemberBody, GroupSchema,
  InviteUserBody, PermissionSchema, RoleAssignmentSchema, RoleSchema, SetPasswordBody, UpdateUserBody, UserSchema,
} from '../../../contracts/identity.js';

/** People, groups, roles, role assignments, the permission catalogue and the audit log. */
export function identityRoutes(app: FastifyInstance, deps: IdentityDeps): void {
  const r = app.withTypeProvider<TypeBoxTypeProvider>();
  const base = '/v1/tenants/:tenantId';
  const errors = { '4xx': ErrorBody };
  const Items = <T extends Parameters<typeof Type.Array>[0]>(item: T) => Type.Object({ items: Type.Array(item) });

  r.get('/v1/permissions', {
    schema: { tags: ['identity'], summary: 'The permission catalogue (roles, app permissions and scopes use these names)', response: { 200: Items(PermissionSchema) } },
  }, async () => ({ items: Object.entries(PERMISSIONS).map(([name, description]) => ({ name, description })) }));

  r.post(`${base}/users`, {
    schema: { tags: ['identity'], summary: 'Invite a user (optionally with roles and a local password)', params: TenantParams, body: InviteUserBody, response: { 201: UserSchema, ...errors } },
  }, async (req, reply) => reply.code(201).send(await inviteUser(deps, req.caller, req.params.tenantId, req.body)));
  r.get(`${base}/users`, {
    schema: { tags: ['identity'], summary: 'List users, newest first', params: TenantParams, querystring: PageQuery, response: { 200: Page(UserSchema), ...errors } },
  }, async (req) => listUsers(deps, req.caller, req.params.tenantId, req.query.limit, req.query.cursor));
  r.get(`${base}/users/:id`, {
    schema: { tags: ['identity'], summary: 'Get a user', params: TenantItemParams, response: { 200: UserSchema, ...errors } },
  }, async (req) => getUser(deps, req.caller, req.params.tenantId, req.params.id));
  r.patch(`${base}/users/:id`, {
    schema: { tags: ['identity'], summary: 'Change a user; disabling signs them out everywhere', params: TenantItemParams, body: UpdateUserBody, response: { 200: UserSchema, ...errors } },
  }, async (req) => updateUser(deps, req.caller, req.params.tenantId, req.params.id, req.body));
  r.put(`${base}/users/:id/password`, {
    schema: { tags: ['identity'], summary: 'Set a local password (clears a lockout)', params: TenantItemParams, body: SetPasswordBody, response: { 204: Type.Null(), ...errors } },
  }, async (req, reply) => {
    await setUserPassword(deps, req.caller, req.params.tenantId, req.params.id, req.body.password);
    return reply.code(204).send(null);
  });

  r.post(`${base}/groups`, {
    schema: { tags: ['identity'], summary: 'Create a group (externalId maps an SSO groups claim value)', params: TenantParams, body: CreateGroupBody, response: { 201: GroupSchema, ...errors } },
  }, async (req, reply) => reply.code(201).send(await createGroup(deps, req.caller, req.params.tenantId, req.body)));
  r.get(`${base}/groups`, {
    schema: { tags: ['identity'], summary: 'List groups', params: TenantParams, response: { 200: Items(GroupSchema), ...errors } },
  }, async (req) => ({ items: await listGroups(deps, req.caller, req.params.tenantId) }));
  r.get(`${base}/groups/:id`, {
    schema: { tags: ['identity'], summary: 'Get a group with its members', params: TenantItemParams, response: { 200: GroupSchema, ...errors } },
  }, async (req) => getGroup(deps, req.caller, req.params.tenantId, req.params.id));
  r.delete(`${base}/groups/:id`, {
    schema: { tags: ['identity'], summary: 'Delete a group (its memberships and role assignments go with it)', params: TenantItemParams, response: { 204: Type.Null(), ...errors } },
  }, async (req, reply) => {
    await deleteGroup(deps, req.caller, req.params.tenantId, req.params.id);
    return reply.code(204).send(null);
  });
  r.post(`${base}/groups/:id/members`, {
    schema: { tags: ['identity'], summary: 'Add a user to a group', params: TenantItemParams, body: GroupMemberBody, response: { 204: Type.Null(), ...errors } },
  }, async (req, reply) => {
    await addGroupMember(deps, req.caller, req.params.tenantId, req.params.id, req.body.userId);
    return reply.code(204).send(null);
  });
  r.delete(`${base}/groups/:id/members/:userId`, {
    schema: { tags: ['identity'], summary: 'Remove a user from a group', params: Type.Object({ tenantId: Id, id: Id, userId: Id }), response: { 204: Type.Null(), ...errors } },
  }, async (req, reply) => {
    await removeGroupMember(deps, req.caller, req.params.tenantId, req.params.id, req.params.userId);
    return reply.code(204).send(null);
  });

  r.get(`${base}/roles`, {
    schema: { tags: ['identity'], summary: 'Built-in and custom roles with their permissions', params: TenantParams, response: { 200: Items(RoleSchema), ...errors } },
  }, async (req) => ({ items: await listRoles(deps, req.caller, req.params.tenantId) }));
  r.post(`${base}/roles`, {
    schema: { tags: ['identity'], summary: 'Create a custom role from catalogue permissions', params: TenantParams, body: CreateRoleBody, response: { 201: RoleSchema, ...errors } },
  }, async (req, reply) => {
    const role = await createCustomRole(deps, req.caller, req.params.tenantId, req.body);
    return reply.code(201).send({ id: role.id, name: role.name, description: role.description, builtIn: false, permissions: role.permissions });
  });
  r.delete(`${base}/roles/:id`, {
    schema: { tags: ['identity'], summary: 'Delete a custom role that nobody holds', params: TenantItemParams, response: { 204: Type.Null(), ...errors } },
  }, async (req, reply) => {
    await deleteCustomRole(deps, req.caller, req.params.tenantId, req.params.id);
    return reply.code(204).send(null);
  });

  r.post(`${base}/role-assignments`, {
    schema: { tags: ['identity'], summary: 'Assign a role to a user, group or application (queue-scoped with queueIds)', params: TenantParams, body: AssignRoleBody, response: { 201: RoleAssignmentSchema, ...errors } },
  }, async (req, reply) => reply.code(201).send(await assignRole(deps, req.caller, req.params.tenantId, req.body)));
  r.get(`${base}/role-assignments`, {
    schema: { tags: ['identity'], summary: 'List role assignments', params: TenantParams, querystring: AssignmentQuery, response: { 200: Items(RoleAssignmentSchema), ...errors } },
  }, async (req) => {
    const { principalType, principalId } = req.query;
    const principal = principalType && principalId ? { type: principalType, id: principalId } : undefined;
    return { items: await listRoleAssignments(deps, req.caller, req.params.tenantId, principal) };
  });
  r.delete(`${base}/role-assignments/:id`, {
    schema: { tags: ['identity'], summary: 'Remove a role assignment', params: TenantItemParams, response: { 204: Type.Null(), ...errors } },
  }, async (req, reply) => {
    await removeRoleAssignment(deps, req.caller, req.params.tenantId, req.params.id);
    return reply.code(204).send(null);
  });

  r.get(`${base}/audit`, {
    schema: { tags: ['identity'], summary: 'Query the audit log, newest first', params: TenantParams, querystring: AuditQuery, response: { 200: Page(AuditEntrySchema), ...errors } },
  }, async (req) => {
    const { limit, cursor, ...filter } = req.query;
    return queryAudit(deps, req.caller, req.params.tenantId, filter, limit, cursor);
  });
}
