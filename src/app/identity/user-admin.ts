import type { User } from '../../core/identity/identity-model.js';
import type { Caller } from '../caller.js';
import type { AppDeps } from '../deps.js';
import { SwitchboardError } from '../errors.js';
import { keysetPage, type Page } from '../pagination.js';
import { requireTenant } from '../tenant-access.js';
import { auditInTx } from './audit.js';
import { commitIdentityChange, type IdentityDeps } from './identity-deps.js';
import { hashPassword, PASSWORD_MAX_LENGTH, PASSWORD_MIN_LENGTH } from './password-hash.js';
import { assignRoleInTx, type RoleGrantInput } from './role-admin.js';

export interface InviteUserInput {
  readonly email: string;
  readonly displayName: string;
  readonly agentId?: string | null | undefined;
  /** Roles to assign at once (needs `roles.write` too). */
  readonly roles?: readonly RoleGrantInput[] | undefined;
  /** A local password (small installs, the demo); without one the person signs in by SSO. */
  readonly password?: string | undefined;
}

export interface UpdateUserInput {
  readonly displayName?: string | undefined;
  readonly status?: 'active' | 'disabled' | undefined;
  readonly agentId?: string | null | undefined;
}

const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;

export function normaliseEmail(email: string): string {
  const value = email.trim().toLowerCase();
  if (!EMAIL.test(value) || value.length > 254) throw new SwitchboardError('SB_ERR_VALIDATION', 'The e-mail address is not valid.', { problems: [{ path: '/email', message: 'not an e-mail address' }] });
  return value;
}

export function checkPassword(password: string): void {
  if (password.length < PASSWORD_MIN_LENGTH || password.length > PASSWORD_MAX_LENGTH) throw new SwitchboardError('SB_ERR_PASSWORD_TOO_WEAK');
}

/** Adds a person to the tenant: `invited` until they first sign in (or `active` with a password). */
export async function inviteUser(deps: IdentityDeps, caller: Caller, tenantId: string, input: InviteUserInput): Promise<User> {
  await requireTenant(deps, caller, tenantId, 'users.write');
  if (input.roles && input.roles.length > 0) await requireTenant(deps, caller, tenantId, 'roles.write');
  const email = normaliseEmail(input.email);
  if (input.password !== undefined) checkPassword(input.password);
  // Hashing is slow on purpose: do it before the transaction, not while holding the writer.
  const passwordHash = input.password === undefined ? undefined : await hashPassword(input.password);
  return commitIdentityChange(deps, async (tx) => {
    const now = new Date(deps.clock.now()).toISOString();
    if (input.agentId) await requireAgent(tx, tenantId, input.agentId);
    const user: User = {
      id: deps.ids.next('usr'), tenantId, email, displayName: input.displayName.trim(), status: passwordHash ? 'active' : 'invited',
      agentId: input.agentId ?? null, externalId: null, createdAt: now, updatedAt: now,
    };
    if (!(await tx.identity.insertUser(user))) throw new SwitchboardError('SB_ERR_USER_EXISTS');
    if (passwordHash) await tx.identity.putPassword({ userId: user.id, tenantId, hash: passwordHash, failedAttempts: 0, lockedUntil: null, updatedAt: now });
    await auditInTx(tx, caller, tenantId, { action: 'user.invited', targetType: 'user', targetId: user.id, details: { email, agentId: user.agentId, password: passwordHash !== undefined } }, now);
    for (const role of input.roles ?? []) await assignRoleInTx(deps, tx, caller, tenantId, { principalType: 'user', principalId: user.id, ...role }, now);
    return user;
  });
}

/** Changes a person; disabling signs them out everywhere (sessions and refresh tokens revoked). */
export async function updateUser(deps: IdentityDeps, caller: Caller, tenantId: string, userId: string, input: UpdateUserInput): Promise<User> {
  await requireTenant(deps, caller, tenantId, 'users.write');
  return commitIdentityChange(deps, async (tx) => {
    const now = new Date(deps.clock.now()).toISOString();
    const user = await tx.identity.getUser(tenantId, userId);
    if (!user) throw new SwitchboardError('SB_ERR_USER_NOT_FOUND');
    if (input.agentId) await requireAgent(tx, tenantId, input.agentId);
    const status = input.status === 'active' && user.status === 'invited' ? 'invited' : input.status;
    await tx.identity.updateUser(tenantId, userId, { displayName: input.displayName?.trim(), status, agentId: input.agentId }, now);
    if (input.status === 'disabled' && user.status !== 'disabled') {
      await tx.identity.revokeSessionsOfUser(tenantId, userId, now);
      await tx.identity.revokeRefreshTokens(tenantId, { userId }, now);
    }
    await auditInTx(tx, caller, tenantId, { action: input.status === 'disabled' ? 'user.disabled' : 'user.updated', targetType: 'user', targetId: userId, details: { changed: Object.keys(input) } }, now);
    return (await tx.identity.getUser(tenantId, userId))!;
  });
}

/** Sets (or resets) a person's local password; clears a lockout. */
export async function setUserPassword(deps: IdentityDeps, caller: Caller, tenantId: string, userId: string, password: string): Promise<void> {
  await requireTenant(deps, caller, tenantId, 'users.write');
  checkPassword(password);
  const hash = await hashPassword(password);
  await commitIdentityChange(deps, async (tx) => {
    const now = new Date(deps.clock.now()).toISOString();
    const user = await tx.identity.getUser(tenantId, userId);
    if (!user) throw new SwitchboardError('SB_ERR_USER_NOT_FOUND');
    await tx.identity.putPassword({ userId, tenantId, hash, failedAttempts: 0, lockedUntil: null, updatedAt: now });
    if (user.status === 'invited') await tx.identity.updateUser(tenantId, userId, { status: 'active' }, now);
    await auditInTx(tx, caller, tenantId, { action: 'user.password_set', targetType: 'user', targetId: userId }, now);
  });
}

export async function getUser(deps: AppDeps, caller: Caller, tenantId: string, userId: string): Promise<User> {
  await requireTenant(deps, caller, tenantId, 'users.read');
  const user = await deps.storage.read.identity.getUser(tenantId, userId);
  if (!user) throw new SwitchboardError('SB_ERR_USER_NOT_FOUND');
  return user;
}

export async function listUsers(deps: AppDeps, caller: Caller, tenantId: string, limit?: number, cursor?: string): Promise<Page<User>> {
  await requireTenant(deps, caller, tenantId, 'users.read');
  return keysetPage(limit, cursor, (beforeId, n) => deps.storage.read.identity.listUsers(tenantId, { beforeId, limit: n }));
}

async function requireAgent(tx: { getAgent(tenantId: string, id: string): Promise<unknown> }, tenantId: string, agentId: string): Promise<void> {
  if (!(await tx.getAgent(tenantId, agentId))) throw new SwitchboardError('SB_ERR_AGENT_NOT_FOUND');
}
