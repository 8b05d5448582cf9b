import { randomBytes } from 'node:crypto';
import type { Group, OidcConnection, User } from '../../core/identity/identity-model.js';
import { isBuiltInRole } from '../../core/identity/roles.js';
import { secretHint } from '../../core/secret-hint.js';
import type { Caller, Origin } from '../caller.js';
import { SwitchboardError } from '../errors.js';
import { OidcRelyingPartyError, type OidcRelyingParty } from '../ports/oidc-client.js';
import type { StoreTx } from '../ports/storage.js';
import { requireTenant } from '../tenant-access.js';
import { audit, auditInTx } from './audit.js';
import { commitIdentityChange, type IdentityDeps } from './identity-deps.js';
import { createSessionInTx, sha256Hex, type SignedIn } from './sessions.js';

/**
 * Single sign-on per tenant with the tenant's own OpenID Connect provider. The provider's account
 * is keyed by `issuer|sub` (`User.externalId`); the first sign-in links an existing user by e-mail
 * or, with `autoProvision`, creates one. Groups and roles claims are mapped on every sign-in.
 */

export interface SsoSettingsInput {
  readonly issuer: string;
  readonly clientId: string;
  /** Omitted: keep the stored one (if any); null: a public client. */
  readonly clientSecret?: string | null | undefined;
  readonly scopes?: readonly string[] | undefined;
  readonly claims?: Partial<OidcConnection['claims']> | undefined;
  readonly roleMapping?: Readonly<Record<string, string>> | undefined;
  readonly autoProvision?: boolean | undefined;
  readonly enabled?: boolean | undefined;
}

/**
 * A connection as shown to administrators: the client secret never leaves, only whether one is
 * set and its first characters, enough to tell which of the provider's secrets it is.
 */
export type SsoSettingsView = Omit<OidcConnection, 'clientSecret'> & { readonly hasClientSecret: boolean; readonly clientSecretHint: string | null };

/**
 * The redirect URI an administrator registers at their provider, and the one sign-ins send:
 * `base` is the public URL of this Switchboard (`SWITCHBOARD_PUBLIC_URL`, or where the request came in).
 */
export function ssoRedirectUri(base: string, tenantId: string): string {
  return `${base.replace(/\/+$/, '')}/login/${encodeURIComponent(tenantId)}/sso/callback`;
}

const DEFAULT_CLAIMS: OidcConnection['claims'] = { email: 'email', name: 'name', groups: 'groups', roles: 'roles' };
const CLAIM_NAME = /^[A-Za-z0-9_.:/-]{1,200}$/;
const SCOPE = /^[\x21\x23-\x5B\x5D-\x7E]{1,100}$/;

function isLoopback(hostname: string): boolean {
  const host = hostname.toLowerCase();
  return host === 'localhost' || host === '[::1]' || /^127(?:\.\d{1,3}){3}$/.test(host);
}

function invalid(problems: { path: string; message: string }[]): never {
  throw new SwitchboardError('SB_ERR_INVALID_OIDC_CONNECTION', `The single sign-on settings are invalid: ${problems.map((p) => `${p.path} ${p.message}`).join('; ')}.`, { problems });
}

function view(c: OidcConnection): SsoSettingsView {
  const { clientSecret, ...rest } = c;
  const clientSecretHint = clientSecret === null ? null : secretHint(clientSecret);
  return { ...rest, hasClientSecret: clientSecret !== null, clientSecretHint };
}

export async function configureSso(deps: IdentityDeps, caller: Caller, tenantId: string, input: SsoSettingsInput): Promise<SsoSettingsView> {
  await requireTenant(deps, caller, tenantId, 'identity.configure');
  const problems: { path: string; message: string }[] = [];
  // Kept as given: it must equal the provider's own `iss` exactly.
  const issuer = input.issuer.trim();
  try {
    const url = new URL(issuer);
    if (url.protocol !== 'https:' && !(url.protocol === 'http:' && isLoopback(url.hostname))) problems.push({ path: '/issuer', message: 'must be https (http only on loopback)' });
    if (url.search || url.hash || url.username || url.password) problems.push({ path: '/issuer', message: 'must not have a query, fragment or credentials' });
  } catch {
    problems.push({ path: '/issuer', message: 'not an absolute URL' });
  }
  const clientId = input.clientId.trim();
  if (clientId.length === 0 || clientId.length > 255) problems.push({ path: '/clientId', message: 'required, at most 255 characters' });
  const claims = { ...DEFAULT_CLAIMS, ...input.claims };
  for (const [key, name] of Object.entries(claims)) if (!CLAIM_NAME.test(name)) problems.push({ path: `/claims/${key}`, message: 'not a claim name' });
  const roleMapping = input.roleMapping ?? {};
  for (const [value, role] of Object.entries(roleMapping)) {
    if (value.length === 0 || value.length > 200) problems.push({ path: '/roleMapping', message: 'claim values are 1 to 200 characters' });
    if (!isBuiltInRole(role)) problems.push({ path: `/roleMapping/${value}`, message: `"${role}" is not a built-in role` });
  }
  const scopes = [...new Set(input.scopes ?? ['openid', 'email', 'profile'])];
  for (const scope of scopes) if (!SCOPE.test(scope)) problems.push({ path: '/scopes', message: `"${scope}" is not a scope` });
  if (problems.length > 0) invalid(problems);
  return commitIdentityChange(deps, async (tx) => {
    const at = new Date(deps.clock.now()).toISOString();
    const existing = await tx.identity.getOidcConnection(tenantId);
    const connection: OidcConnection = {
      tenantId, issuer, clientId, clientSecret: input.clientSecret === undefined ? existing?.clientSecret ?? null : input.clientSecret,
      scopes, claims, roleMapping: { ...roleMapping }, autoProvision: input.autoProvision ?? false, enabled: input.enabled ?? true, updatedAt: at,
    };
    await tx.identity.putOidcConnection(connection);
    await auditInTx(tx, caller, tenantId, { action: 'sso.configured', targetType: 'tenant', targetId: tenantId, details: { issuer, clientId, scopes, claims, roleMapping, autoProvision: connection.autoProvision, enabled: connection.enabled } }, at);
    return view(connection);
  });
}

export async function getSso(deps: IdentityDeps, caller: Caller, tenantId: string): Promise<SsoSettingsView> {
  await requireTenant(deps, caller, tenantId, 'identity.configure');
  const connection = await deps.storage.read.identity.getOidcConnection(tenantId);
  if (!connection) throw new SwitchboardError('SB_ERR_SSO_NOT_CONFIGURED');
  return view(connection);
}

export async function deleteSso(deps: IdentityDeps, caller: Caller, tenantId: string): Promise<void> {
  await requireTenant(deps, caller, tenantId, 'identity.configure');
  await commitIdentityChange(deps, async (tx) => {
    if (!(await tx.identity.deleteOidcConnection(tenantId))) throw new SwitchboardError('SB_ERR_SSO_NOT_CONFIGURED');
    await auditInTx(tx, caller, tenantId, { action: 'sso.deleted', targetType: 'tenant', targetId: tenantId }, new Date(deps.clock.now()).toISOString());
  });
}

/** What the sign-in page needs to show a "Sign in with ..." link: no secrets. */
export async function ssoAvailable(deps: IdentityDeps, tenantId: string): Promise<{ issuer: string } | undefined> {
  const connection = await deps.storage.read.identity.getOidcConnection(tenantId);
  return connection?.enabled ? { issuer: connection.issuer } : undefined;
}

// ---- the sign-in attempt ------------------------------------------------------------------

/**
 * A started sign-in is kept in the database for 10 minutes (`SsoAttempt`) under the hash of a
 * random id that goes to the browser in an HttpOnly cookie: the provider may send the browser
 * back to any node, and a restart in between loses nothing. The cookie binds the attempt to the
 * browser that started it, so a callback URL alone (login CSRF) signs nobody in.
 */
export const SSO_ATTEMPT_MS = 10 * 60_000;

export interface SsoStart {
  readonly authorizationUrl: string;
  /** Goes into an HttpOnly cookie; the callback must present it. */
  readonly attemptId: string;
}

function ssoFailed(reason: string): SwitchboardError {
  return new SwitchboardError('SB_ERR_SSO_FAILED', `Single sign-on did not complete (${reason}).`, { reason });
}

const anonymous = (origin: Origin | undefined): Caller => ({ actor: { kind: 'user', id: null }, tenants: [], isPlatformAdmin: false, origin });

export async function beginSso(
  deps: IdentityDeps, relyingParty: OidcRelyingParty, tenantId: string, redirectUri: string, returnTo: string, origin?: Origin,
): Promise<SsoStart> {
  const connection = await deps.storage.read.identity.getOidcConnection(tenantId);
  if (!connection || !connection.enabled) throw new SwitchboardError('SB_ERR_SSO_NOT_CONFIGURED');
  let start;
  try {
    start = await relyingParty.begin(connection, redirectUri);
  } catch (err) {
    const reason = err instanceof OidcRelyingPartyError ? err.reason : 'provider_unreachable';
    await audit(deps, anonymous(origin), tenantId, { action: 'signin.sso', outcome: 'failure', details: { reason, stage: 'begin' } }).catch(() => undefined);
    throw ssoFailed(reason);
  }
  const now = deps.clock.now();
  const attemptId = randomBytes(32).toString('base64url');
  await deps.storage.transaction((tx) => tx.identity.insertSsoAttempt({
    idHash: sha256Hex(attemptId), tenantId, state: start.state, nonce: start.nonce, codeVerifier: start.codeVerifier, returnTo, redirectUri,
    createdAt: new Date(now).toISOString(), expiresAt: new Date(now + SSO_ATTEMPT_MS).toISOString(),
  }));
  return { authorizationUrl: start.authorizationUrl, attemptId };
}

export interface SsoCallback {
  readonly tenantId: string;
  /** From the cookie; undefined when the browser brought none. */
  readonly attemptId: string | undefined;
  /** The full URL the provider sent the browser back to. */
  readonly callbackUrl: string;
  readonly origin?: Origin | undefined;
}

export interface SsoSignedIn extends SignedIn {
  readonly returnTo: string;
}

function stringsOf(value: unknown): string[] {
  if (typeof value === 'string') return value.split(/[\s,]+/).filter((v) => v.length > 0);
  if (Array.isArray(value)) return value.filter((v): v is string => typeof v === 'string');
  return [];
}

/**
 * Finishes a sign-in: the provider's answer is checked by the relying party (state, issuer, ID
 * token, nonce, PKCE), the person is found, linked or created, their groups and roles follow the
 * claims, and a session starts. Every failure is audited with its reason and ends in
 * `SB_ERR_SSO_FAILED` (details.reason), never in a half-signed-in state.
 */
export async function completeSso(deps: IdentityDeps, relyingParty: OidcRelyingParty, input: SsoCallback): Promise<SsoSignedIn> {
  const { tenantId, origin } = input;
  const fail = async (reason: string, user?: User, detail?: string): Promise<never> => {
    const caller: Caller = user ? { actor: { kind: 'user', id: user.id }, tenants: [tenantId], isPlatformAdmin: false, origin } : anonymous(origin);
    await audit(deps, caller, tenantId, {
      action: 'signin.sso', outcome: 'failure', targetType: user ? 'user' : null, targetId: user?.id ?? null,
      details: { reason, ...(detail ? { detail: detail.slice(0, 300) } : {}) },
    }).catch(() => undefined);
    throw ssoFailed(reason);
  };
  const now = deps.clock.now();
  // Taken (deleted) before anything else: one use, whatever happens next.
  const { attemptId } = input;
  const attempt = attemptId === undefined ? undefined : await deps.storage.transaction((tx) => tx.identity.takeSsoAttempt(sha256Hex(attemptId)));
  if (!attempt || Date.parse(attempt.expiresAt) <= now || attempt.tenantId !== tenantId) return fail('no_sign_in_in_progress');
  const connection = await deps.storage.read.identity.getOidcConnection(tenantId);
  if (!connection || !connection.enabled) return fail('sso_not_configured');
  const done = await relyingParty.complete(connection, attempt.redirectUri, input.callbackUrl, attempt);
  if (!done.ok) return fail(done.reason, undefined, done.detail);

  const externalId = `${done.issuer}|${done.subject}`;
  const claims = done.claims;
  const emailClaim = claims[connection.claims.email];
  const email = typeof emailClaim === 'string' ? emailClaim.trim().toLowerCase() : undefined;
  const nameClaim = claims[connection.claims.name];
  const displayName = typeof nameClaim === 'string' && nameClaim.trim() !== '' ? nameClaim.trim().slice(0, 200) : email ?? done.subject;
  const groupValues = new Set(stringsOf(claims[connection.claims.groups]));
  const roles = new Set(stringsOf(claims[connection.claims.roles]).map((v) => connection.roleMapping[v]).filter((r): r is string => r !== undefined && isBuiltInRole(r)));

  const reads = deps.storage.read.identity;
  let user = await reads.findUserByExternalId(tenantId, externalId);
  let link = false;
  if (!user && email) {
    const byEmail = await reads.findUserByEmail(tenantId, email);
    // An account already linked to another provider identity is not taken over by a matching e-mail.
    if (byEmail && byEmail.externalId !== null && byEmail.externalId !== externalId) return fail('email_linked_elsewhere', byEmail);
    if (byEmail) {
      user = byEmail;
      link = true;
    }
  }
  if (!user && !connection.autoProvision) return fail('user_not_provisioned');
  if (!user && !email) return fail('no_email_claim');
  if (user?.status === 'disabled') return fail('disabled', user);

  const signedIn = await deps.storage.transaction(async (tx) => {
    const at = new Date(now).toISOString();
    let person = user;
    let provisioned = false;
    if (!person) {
      person = { id: deps.ids.next('usr'), tenantId, email: email!, displayName, status: 'active', agentId: null, externalId, createdAt: at, updatedAt: at };
      if (!(await tx.identity.insertUser(person))) throw ssoFailed('user_exists');
      provisioned = true;
    } else if (link || person.status === 'invited') {
      await tx.identity.updateUser(tenantId, person.id, { ...(link ? { externalId } : {}), status: 'active' }, at);
      person = { ...person, externalId, status: 'active', updatedAt: at };
    }
    const caller: Caller = { actor: { kind: 'user', id: person.id }, tenants: [tenantId], isPlatformAdmin: false, origin };
    const changes = await syncGroupsAndRoles(deps, tx, person, groupValues, roles, at);
    const made = await createSessionInTx(deps, tx, person, 'sso', now);
    await auditInTx(tx, caller, tenantId, {
      action: 'signin.sso', targetType: 'user', targetId: person.id,
      details: { sessionId: made.session.id, issuer: done.issuer, provisioned, linked: link, ...changes },
    }, at);
    return { ...made, user: person };
  }).catch(async (err: unknown) => {
    if (err instanceof SwitchboardError && err.code === 'SB_ERR_SSO_FAILED') return fail(String((err.details as { reason?: string } | undefined)?.reason ?? 'failed'));
    throw err;
  });
  deps.identityCache.changed();
  return { ...signedIn, returnTo: attempt.returnTo };
}

/**
 * Memberships of groups that carry an `externalId` follow the groups claim (added and removed);
 * groups without one are managed by hand and left alone. Each mapped role gets a tenant-wide
 * assignment if the person has none; assignments are never removed here (they may be manual).
 */
async function syncGroupsAndRoles(deps: IdentityDeps, tx: StoreTx, user: User, groupValues: ReadonlySet<string>, roles: ReadonlySet<string>, at: string) {
  const groups: Group[] = await tx.identity.listGroups(user.tenantId);
  const memberOf = new Set(await tx.identity.listGroupsOfUser(user.tenantId, user.id));
  const addedGroups: string[] = [];
  const removedGroups: string[] = [];
  for (const group of groups) {
    if (group.externalId === null) continue;
    const wanted = groupValues.has(group.externalId);
    if (wanted && !memberOf.has(group.id)) {
      await tx.identity.addGroupMember(user.tenantId, group.id, user.id, at);
      addedGroups.push(group.id);
    } else if (!wanted && memberOf.has(group.id)) {
      await tx.identity.removeGroupMember(user.tenantId, group.id, user.id);
      removedGroups.push(group.id);
    }
  }
  const assignments = await tx.identity.listRoleAssignments(user.tenantId, [{ type: 'user', id: user.id }]);
  const addedRoles: string[] = [];
  for (const role of roles) {
    if (assignments.some((a) => a.role === role && a.queueIds === null)) continue;
    await tx.identity.insertRoleAssignment({ id: deps.ids.next('ra'), tenantId: user.tenantId, principalType: 'user', principalId: user.id, role, queueIds: null, createdAt: at });
    addedRoles.push(role);
  }
  return { addedGroups, removedGroups, addedRoles };
}
