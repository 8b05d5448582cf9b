import { randomBytes, timingSafeEqual } from 'node:crypto';
import { NO_GRANTS, type Grants } from '../../core/identity/grants.js';
import type { Session, User } from '../../core/identity/identity-model.js';
import type { Caller, Origin } from '../caller.js';
import { SwitchboardError } from '../errors.js';
import type { StoreTx } from '../ports/storage.js';
import { audit, auditInTx } from './audit.js';
import type { IdentityDeps } from './identity-deps.js';
import { decoyHash, PASSWORD_MAX_LENGTH, verifyPassword } from './password-hash.js';
import { userGrants } from './resolve-grants.js';
import { sha256Hex } from './oauth-tokens.js';

/**
 * People's sessions for the web app. The cookie value and the CSRF token are 256 random bits
 * (base64url); only their SHA-256 (hex) is stored, so a database dump signs nobody in. A session
 * lives `sessionHours`, stops at once when it is revoked (sign-out) or the person is disabled
 * (the use case revokes every session in the same transaction).
 */

export interface SignedIn {
  readonly session: Session;
  /** The cookie value; never stored. */
  readonly token: string;
  /** Sent back in `X-CSRF-Token` on every state-changing request with the cookie. */
  readonly csrfToken: string;
  readonly user: User;
}

export interface PasswordSignIn {
  readonly tenantId: string;
  readonly email: string;
  readonly password: string;
  readonly origin?: Origin | undefined;
}

export function randomToken(): string {
  return randomBytes(32).toString('base64url');
}

// One hash for every stored credential digest (cookies, CSRF tokens, codes, refresh tokens).
export { sha256Hex };

/** The caller a sign-in attempt for an unknown account is audited as (a person, not yet known). */
function anonymous(origin: Origin | undefined): Caller {
  return { actor: { kind: 'user', id: null }, tenants: [], isPlatformAdmin: false, grants: NO_GRANTS, origin };
}

function asUser(user: User, origin: Origin | undefined): Caller {
  return { actor: { kind: 'user', id: user.id }, tenants: [user.tenantId], isPlatformAdmin: false, origin };
}

function iso(ms: number): string {
  return new Date(ms).toISOString();
}

/** Creates the session row for a person who just proved who they are (password or SSO). */
export async function createSessionInTx(deps: IdentityDeps, tx: StoreTx, user: User, method: Session['method'], now: number): Promise<{ session: Session; token: string; csrfToken: string }> {
  const token = randomToken();
  const csrfToken = randomToken();
  const session: Session = {
    id: deps.ids.next('ses'), tenantId: user.tenantId, userId: user.id, tokenHash: sha256Hex(token), csrfHash: sha256Hex(csrfToken), method,
    createdAt: iso(now), expiresAt: iso(now + deps.identitySettings.sessionHours * 3_600_000), revokedAt: null,
  };
  await tx.identity.insertSession(session);
  return { session, token, csrfToken };
}

/**
 * Signs a person in with a local password. Every failure an outsider could provoke for an account
 * that does not exist (unknown e-mail, wrong password, disabled, no password set) is the same
 * `SB_ERR_INVALID_CREDENTIALS` and costs the same scrypt comparison. A locked account answers
 * `SB_ERR_ACCOUNT_LOCKED` without checking the password, so guessing during a lockout is useless.
 */
export async function signInWithPassword(deps: IdentityDeps, input: PasswordSignIn): Promise<SignedIn> {
  const { tenantId, origin } = input;
  const reads = deps.storage.read.identity;
  const email = input.email.trim().toLowerCase();
  const user = email.length > 0 && email.length <= 254 ? await reads.findUserByEmail(tenantId, email) : undefined;
  const credential = user ? await reads.getPassword(tenantId, user.id) : undefined;
  const fail = async (reason: string, outcome: 'failure' | 'denied' = 'failure'): Promise<never> => {
    await audit(deps, user ? asUser(user, origin) : anonymous(origin), tenantId, {
      action: 'signin.password', outcome, targetType: 'user', targetId: user?.id ?? null, details: { reason, ...(user ? {} : { email }) },
    }).catch(() => undefined);
    throw new SwitchboardError(reason === 'locked' ? 'SB_ERR_ACCOUNT_LOCKED' : 'SB_ERR_INVALID_CREDENTIALS');
  };
  const now = deps.clock.now();
  if (credential?.lockedUntil && Date.parse(credential.lockedUntil) > now) return fail('locked', 'denied');
  const password = input.password.length <= PASSWORD_MAX_LENGTH ? input.password : '';
  const valid = await verifyPassword(password, credential?.hash ?? (await decoyHash()));
  if (!user || !credential) return fail('unknown_user');
  if (!valid) {
    const settings = deps.identitySettings;
    // A lock that ran out starts a fresh count.
    const expired = credential.lockedUntil !== null;
    const failures = (expired ? 0 : credential.failedAttempts) + 1;
    const lock = failures >= settings.lockoutThreshold;
    await deps.storage.transaction((tx) => tx.identity.setPasswordFailures(
      tenantId, user.id, failures, lock ? iso(now + settings.lockoutMinutes * 60_000) : null, iso(now),
    ));
    if (lock) deps.identityCache.changed();
    return fail(lock ? 'wrong_password_locked' : 'wrong_password');
  }
  if (user.status === 'disabled') return fail('disabled');
  const created = await deps.storage.transaction(async (tx) => {
    const at = iso(now);
    if (credential.failedAttempts !== 0 || credential.lockedUntil !== null) await tx.identity.setPasswordFailures(tenantId, user.id, 0, null, at);
    if (user.status === 'invited') await tx.identity.updateUser(tenantId, user.id, { status: 'active' }, at);
    const made = await createSessionInTx(deps, tx, user, 'password', now);
    await auditInTx(tx, asUser(user, origin), tenantId, { action: 'signin.password', targetType: 'user', targetId: user.id, details: { sessionId: made.session.id } }, at);
    return made;
  });
  return { ...created, user: user.status === 'invited' ? { ...user, status: 'active', updatedAt: iso(now) } : user };
}

interface CachedPerson {
  readonly generation: number;
  readonly until: number;
  readonly user: User;
  readonly grants: Grants;
}

const PERSON_CACHE_MS = 5_000;
const personCaches = new WeakMap<IdentityDeps, Map<string, CachedPerson>>();

export interface AuthenticatedSession {
  readonly caller: Caller;
  readonly session: Session;
  readonly user: User;
}

/**
 * The session a cookie value names, if it is live and its person active, with the caller it
 * makes. The session row is read on every request (one lookup by unique hash), so a sign-out or
 * a disabled person (whose sessions the same transaction revokes) stops working at once, on every
 * node. The person and their grants are cached for at most 5 s, and only while nothing in identity
 * changed in this process (`identityCache.current`).
 */
export async function resolveSession(deps: IdentityDeps, token: string, origin?: Origin): Promise<AuthenticatedSession | undefined> {
  if (token.length === 0 || token.length > 128) return undefined;
  const hash = sha256Hex(token);
  const reads = deps.storage.read;
  const now = deps.clock.now();
  const session = await reads.identity.getSessionByHash(hash);
  if (!session || session.revokedAt !== null || Date.parse(session.expiresAt) <= now) return undefined;
  let cache = personCaches.get(deps);
  if (!cache) personCaches.set(deps, (cache = new Map()));
  const generation = deps.identityCache.current;
  let entry = cache.get(session.id);
  if (!entry || entry.generation !== generation || entry.until <= now) {
    cache.delete(session.id);
    const user = await reads.identity.getUser(session.tenantId, session.userId);
    if (!user || user.status !== 'active') return undefined;
    entry = { generation, until: now + PERSON_CACHE_MS, user, grants: await userGrants(reads, user) };
    if (cache.size > 10_000) cache.clear();
    cache.set(session.id, entry);
  }
  const caller: Caller = {
    actor: { kind: 'user', id: entry.user.id }, tenants: [entry.user.tenantId], isPlatformAdmin: false,
    grants: entry.grants, agentId: entry.user.agentId, origin,
  };
  return { caller, session, user: entry.user };
}

export async function authenticateSession(deps: IdentityDeps, token: string, origin?: Origin): Promise<Caller | undefined> {
  return (await resolveSession(deps, token, origin))?.caller;
}

/** Whether the presented CSRF token is the one bound to the session (constant time). */
export function checkCsrf(session: Session, presented: string | undefined): boolean {
  if (typeof presented !== 'string' || presented.length === 0 || presented.length > 128) return false;
  const a = Buffer.from(sha256Hex(presented), 'hex');
  const b = Buffer.from(session.csrfHash, 'hex');
  return a.length === b.length && timingSafeEqual(a, b);
}

/** Issues a new CSRF token for the session (the old one stops working). */
export async function rotateCsrf(deps: IdentityDeps, session: Session): Promise<string> {
  const csrfToken = randomToken();
  const ok = await deps.storage.transaction((tx) => tx.identity.setSessionCsrf(session.id, sha256Hex(csrfToken)));
  if (!ok) throw new SwitchboardError('SB_ERR_UNAUTHENTICATED');
  return csrfToken;
}

/** Ends the session the cookie names (nothing happens for an unknown or ended one). */
export async function signOut(deps: IdentityDeps, token: string, origin?: Origin): Promise<boolean> {
  if (token.length === 0 || token.length > 128) return false;
  const session = await deps.storage.read.identity.getSessionByHash(sha256Hex(token));
  if (!session || session.revokedAt !== null) return false;
  const revoked = await deps.storage.transaction(async (tx) => {
    const at = iso(deps.clock.now());
    const done = await tx.identity.revokeSession(session.id, at);
    if (done) {
      await auditInTx(tx, { actor: { kind: 'user', id: session.userId }, tenants: [session.tenantId], isPlatformAdmin: false, origin }, session.tenantId, {
        action: 'signout', targetType: 'session', targetId: session.id,
      }, at);
    }
    return done;
  });
  return revoked;
}
