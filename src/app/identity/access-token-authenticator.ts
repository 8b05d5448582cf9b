import type { Grants, QueueScope } from '../../core/identity/grants.js';
import { combineRoles, restrictGrants } from '../../core/identity/grants.js';
import type { AppRegistration } from '../../core/identity/identity-model.js';
import { isPermission, type Permission } from '../../core/identity/permissions.js';
import type { Caller, Origin } from '../caller.js';
import type { TokenClaims, TokenRejection } from '../ports/token-crypto.js';
import { activeConsent } from './app-registrations.js';
import { audit } from './audit.js';
import { AuditThrottle } from './audit-throttle.js';
import type { IdentityDeps } from './identity-deps.js';
import { ACCESS_TOKEN_CLOCK_TOLERANCE_SECONDS, API_AUDIENCE, issuerUrl, peekJwt } from './oauth-tokens.js';
import { appRoleGrants, userGrants } from './resolve-grants.js';
import type { SigningKeys } from './signing-keys.js';

/** Why an access token was refused: the signature and claim checks, then the principal's state. */
export type AccessTokenRejection =
  | TokenRejection
  /** `idtyp` is neither `app` nor `user`, or a claim the type needs is missing. */
  | 'wrong_token_type'
  /** The tenant named by `tid` does not exist. */
  | 'tenant_not_found'
  /** The application is not registered (any more), or is not present in the tenant. */
  | 'app_not_found'
  /** The tenant's consent for the application was revoked (or never given). */
  | 'consent_revoked'
  | 'user_not_found'
  /** The person is invited or disabled. */
  | 'user_inactive';

export type AccessTokenOutcome = Caller | undefined | { readonly rejected: AccessTokenRejection };

/** A resolved caller is reused this long (and only while no identity change happened in this process). */
const CACHE_MS = 5_000;
const MAX_CACHED = 10_000;
/**
 * Cached callers are found by the last characters of the token (of its signature: 256 bits of it)
 * and accepted only if the whole token is the one that was verified. Hashing a 1 KB token on every
 * request (SHA-256, or the Map hashing the whole string) cost more than the rest of a cache hit.
 */
const LOOKUP_CHARS = 43;

interface Cached {
  /** The exact token that was verified. */
  readonly token: string;
  readonly caller: Omit<Caller, 'origin'>;
  readonly generation: number;
  readonly until: number;
}

type Resolution =
  | { readonly caller: Omit<Caller, 'origin'>; readonly expiresAt: number }
  | { readonly rejected: AccessTokenRejection; readonly actor?: Caller['actor'] | undefined; readonly claims?: TokenClaims | undefined };

/**
 * Turns a Switchboard access token (issued by our token endpoint) into a Caller. The token proves
 * who it was issued to and what the tenant had granted then; the current state decides the rest:
 * the application must still be registered and consented in the token's tenant, the person still
 * active, and what the caller may do is what the tenant grants now, narrowed to the token's
 * `roles` (applications) or `scp` (delegated). A revoked consent or a disabled person therefore
 * stops their tokens at once, without a revocation list.
 *
 * Every refusal is audited as `access.denied` with its reason; at most a few entries per second
 * per reason and address, so a flood of garbage tokens cannot flood the audit log.
 */
export class AccessTokenAuthenticator {
  private readonly cache = new Map<string, Cached>();
  private readonly auditThrottle = new AuditThrottle();

  constructor(private readonly deps: IdentityDeps, private readonly signingKeys: SigningKeys) {}

  /**
   * The caller, or `{ rejected }` (already audited). `requestBase` is where the request arrived
   * (`{scheme}://{host}`); it is not compared with the issuer, see `checkIssuer`.
   */
  async authenticate(token: string, requestBase: string, origin: Origin): Promise<AccessTokenOutcome> {
    const now = this.deps.clock.now();
    // A hit needs the whole token to be equal, never just its jti or its signature: a forged token
    // carrying a cached jti or a copied signature must not skip the signature check. A token that
    // differs only misses (and cannot evict the entry it collided with).
    const key = token.slice(-LOOKUP_CHARS);
    const generation = this.deps.identityCache.current;
    const hit = this.cache.get(key);
    if (hit && hit.token === token) {
      if (hit.generation === generation && now < hit.until) return { ...hit.caller, origin };
      this.cache.delete(key);
    }
    const resolved = await this.resolve(token, now);
    if ('rejected' in resolved) {
      await this.recordRejection(resolved, token, requestBase, origin, now);
      return { rejected: resolved.rejected };
    }
    // Only cache what was read under the generation we started with: a revocation that landed
    // while we were reading must apply to the next request.
    if (this.deps.identityCache.current === generation) {
      if (this.cache.size >= MAX_CACHED) this.cache.clear();
      this.cache.set(key, { token, caller: resolved.caller, generation, until: Math.min(now + CACHE_MS, resolved.expiresAt) });
    }
    return { ...resolved.caller, origin };
  }

  private async resolve(token: string, now: number): Promise<Resolution> {
    const keys = await this.signingKeys.forVerification(peekJwt(token)?.header.kid);
    const verified = await this.deps.tokenCrypto.verify(token, keys, {
      audience: API_AUDIENCE, now, clockToleranceSeconds: ACCESS_TOKEN_CLOCK_TOLERANCE_SECONDS,
      requiredClaims: ['iss', 'sub', 'tid', 'idtyp'],
    });
    if (!verified.ok) return { rejected: verified.reason };
    const claims = verified.claims;
    const { tid, sub, idtyp } = claims;
    if (typeof tid !== 'string' || typeof sub !== 'string' || typeof claims.exp !== 'number') return { rejected: 'malformed', claims };
    if (!this.checkIssuer(claims.iss, tid)) return { rejected: 'wrong_issuer', claims };
    const expiresAt = claims.exp * 1000 + ACCESS_TOKEN_CLOCK_TOLERANCE_SECONDS * 1000;
    const reads = this.deps.storage.read;

    if (idtyp === 'app') {
      const actor = { kind: 'app', id: sub } as const;
      if (typeof claims.appid !== 'string' || !Array.isArray(claims.roles)) return { rejected: 'wrong_token_type', actor, claims };
      const app = await reads.identity.getApp(sub);
      if (!app || app.clientId !== claims.appid || !presentIn(app, tid)) return { rejected: 'app_not_found', actor, claims };
      const consent = activeConsent(await reads.identity.getConsent(tid, app.id));
      if (!consent) return { rejected: 'consent_revoked', actor, claims };
      const roles = claims.roles.filter((r): r is Permission => typeof r === 'string' && isPermission(r));
      // What the tenant grants the app now (consent tenant-wide, assigned roles in their queue
      // scope), never more than the token's roles.
      const granted = unionGrants(combineRoles([{ permissions: consent.applicationPermissions, queueIds: null }]), await appRoleGrants(reads, tid, app.id));
      // A bot's application user: the app acts as the bot agent bound to it in this tenant.
      const agentId = (await reads.getAgentByAppId(tid, app.clientId))?.id ?? null;
      return {
        caller: { actor, tenants: [tid], isPlatformAdmin: false, grants: restrictGrants(granted, roles), agentId },
        expiresAt,
      };
    }

    if (idtyp === 'user') {
      const actor = { kind: 'user', id: sub } as const;
      if (typeof claims.azp !== 'string' || typeof claims.scp !== 'string') return { rejected: 'wrong_token_type', actor, claims };
      const user = await reads.identity.getUser(tid, sub);
      if (!user) return { rejected: (await reads.getTenant(tid)) ? 'user_not_found' : 'tenant_not_found', actor, claims };
      if (user.status !== 'active') return { rejected: 'user_inactive', actor, claims };
      const app = await reads.identity.getAppByClientId(claims.azp);
      if (!app || !presentIn(app, tid)) return { rejected: 'app_not_found', actor, claims };
      const consent = activeConsent(await reads.identity.getConsent(tid, app.id));
      if (!consent) return { rejected: 'consent_revoked', actor, claims };
      const consented = new Set(consent.delegatedScopes);
      const scopes = claims.scp.split(' ').filter((s): s is Permission => isPermission(s) && consented.has(s));
      return {
        caller: {
          actor, tenants: [tid], isPlatformAdmin: false, grants: restrictGrants(await userGrants(reads, user), scopes), agentId: user.agentId,
        },
        expiresAt,
      };
    }
    return { rejected: 'wrong_token_type', claims };
  }

  /**
   * `iss` must be `{base}/login/{tid}/v2.0`. With a configured public URL the base must be it.
   * Without one the issuer was built from whatever host the token request was sent to, and a
   * server reachable under several names (a loopback address, an internal and an external name)
   * issues tokens for each: any http(s) base is accepted then. That is safe because the token is
   * signed with our own key (nobody else can mint an `iss`), and the tenant is taken from `tid`,
   * which must be the tenant the issuer names and is checked against the consent and the routes.
   */
  private checkIssuer(iss: unknown, tid: string): boolean {
    if (typeof iss !== 'string') return false;
    const { publicUrl } = this.deps.identitySettings;
    if (publicUrl !== null) return iss === issuerUrl(publicUrl, tid);
    const suffix = issuerUrl('', tid);
    if (!iss.endsWith(suffix)) return false;
    return /^https?:\/\/[^/?#@\s]+$/.test(iss.slice(0, iss.length - suffix.length));
  }

  private async recordRejection(
    rejection: Extract<Resolution, { rejected: AccessTokenRejection }>, token: string, requestBase: string, origin: Origin, now: number,
  ): Promise<void> {
    if (!this.auditThrottle.allow(`${rejection.rejected} ${origin.ip ?? ''}`, now)) return;
    // Unverified claims only name the tenant and the token type; they are not believed.
    const claims = rejection.claims ?? peekJwt(token)?.claims;
    const named = typeof claims?.tid === 'string' && claims.tid.length <= 100 ? claims.tid : undefined;
    const tenantId = named !== undefined && (await this.deps.storage.read.getTenant(named)) ? named : null;
    const kind = claims?.idtyp === 'app' ? 'app' : 'user';
    const actor = rejection.actor ?? { kind, id: null };
    const clientId = typeof claims?.azp === 'string' ? claims.azp.slice(0, 100) : undefined;
    await audit(this.deps, { actor, tenants: tenantId ? [tenantId] : [], isPlatformAdmin: false, origin }, tenantId, {
      action: 'access.denied', outcome: 'denied',
      details: {
        reason: rejection.rejected, credential: 'access_token', verified: rejection.claims !== undefined,
        ...(clientId !== undefined ? { clientId } : {}), host: requestBase.slice(0, 200),
      },
    });
  }
}

/** A single-tenant app exists only in its own tenant; a multi-tenant one wherever it is consented. */
function presentIn(app: AppRegistration, tenantId: string): boolean {
  return app.accountType === 'multi-tenant' || app.tenantId === tenantId;
}

function unionGrants(a: Grants, b: Grants): Grants {
  const scopes = new Map<Permission, QueueScope>(a.scopes);
  for (const [permission, scope] of b.scopes) {
    const held = scopes.get(permission);
    if (held === undefined) scopes.set(permission, scope);
    else if (held !== 'all') scopes.set(permission, scope === 'all' ? 'all' : new Set([...held, ...scope]));
  }
  return { scopes };
}
