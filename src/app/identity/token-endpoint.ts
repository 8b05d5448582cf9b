/**
 * The OAuth 2.0 token endpoint (RFC 6749 section 3.2), shaped like Microsoft Entra's v2.0 endpoint
 * so MSAL-like clients work unchanged (`../shared/design/PROTOCOLS.md` section 2.6):
 *
 * - `client_credentials`: an application acting as itself, authenticated with a client secret
 *   (`client_secret_basic`, `client_secret_post`) or a signed assertion (`private_key_jwt`,
 *   RFC 7523). It needs a live admin consent in the tenant; `scope=<resource>/.default` asks for
 *   everything granted, a list of permission names for part of it.
 * - `authorization_code` (with PKCE): a person's sign-in, redeemed once.
 * - `refresh_token`: rotation on every use; a rotated token presented again revokes its family.
 *
 * Every outcome is audited (`token.issued`, `token.denied` with a reason); secrets, codes and
 * tokens never are. The HTTP edge (`server/http/routes/oauth-routes.ts`) parses the form and the
 * Basic header and turns a refusal into the RFC 6749 section 5.2 error body.
 */
import { NO_GRANTS } from '../../core/identity/grants.js';
import type { AppRegistration, AppSecret, RefreshToken, User } from '../../core/identity/identity-model.js';
import { isPermission, PLATFORM_ONLY, type Permission } from '../../core/identity/permissions.js';
import type { Caller, Origin } from '../caller.js';
import { activeConsent } from './app-registrations.js';
import { audit } from './audit.js';
import { AuditThrottle } from './audit-throttle.js';
import { redeemAuthorizationCode } from './authorization-codes.js';
import type { IdentityDeps } from './identity-deps.js';
import {
  API_AUDIENCE, issuerUrl, OAuthError, OIDC_SCOPES, peekJwt, randomToken, sha256Hex, stripResource, tokenEndpointUrl,
  tokenId, type OAuthErrorCode, type TokenSuccess,
} from './oauth-tokens.js';
import { appRoleGrants } from './resolve-grants.js';
import type { SigningKeys } from './signing-keys.js';

export const JWT_BEARER_ASSERTION = 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer';
export const SUPPORTED_GRANT_TYPES = ['client_credentials', 'authorization_code', 'refresh_token'] as const;
export const CLIENT_AUTH_METHODS = ['client_secret_basic', 'client_secret_post', 'private_key_jwt'] as const;

const DAY_MS = 86_400_000;
/** Client assertions may be valid for at most this long (RFC 7523 wants them short-lived). */
const ASSERTION_MAX_LIFETIME_SECONDS = 600;
const ASSERTION_CLOCK_TOLERANCE_SECONDS = 60;
/** The replay memory is swept of expired entries at most this often. */
const REPLAY_SWEEP_MS = 10_000;
const MAX_PARAM_LENGTH = 16 * 1024;
/**
 * The client's registration, credentials, consent and roles are reused this long, and only while
 * no identity change happened in this process: the rule resolved API callers follow
 * (`AccessTokenAuthenticator`), so revocation applies to the next request here and within 5 s on
 * other nodes, as it already did for the tokens themselves.
 */
const CLIENT_CACHE_MS = 5_000;
const MAX_CACHED_READS = 10_000;

export interface BasicCredentials {
  readonly clientId: string;
  readonly clientSecret: string;
}

export interface TokenRequest {
  /** The tenant in the path (`/login/{tenantId}/oauth2/v2.0/token`). */
  readonly tenantId: string;
  /** The form fields as parsed (a repeated field arrives as an array, and is refused). */
  readonly form: Readonly<Record<string, unknown>>;
  /** `Authorization: Basic`, decoded; 'malformed' when the header says Basic but cannot be read. */
  readonly basic: BasicCredentials | 'malformed' | undefined;
  /** `{scheme}://{host}` the issuer and endpoint URLs are built from (the configured public URL, or the request's). */
  readonly base: string;
  readonly origin: Origin;
}

export type TokenResult =
  | { readonly ok: true; readonly body: TokenSuccess }
  | {
    readonly ok: false;
    readonly error: OAuthErrorCode;
    readonly description: string;
    /** The client authenticated with the Basic header and that failed: answer 401 with a Basic challenge. */
    readonly basicChallenge: boolean;
  };

type AuthMethod = 'client_secret_basic' | 'client_secret_post' | 'private_key_jwt' | 'none';

/** What is known about a request so far, for its audit entry. */
interface Trail {
  grantType: string | null;
  clientId: string | null;
  app: AppRegistration | null;
  tenantExists: boolean;
  method: AuthMethod | null;
}

/**
 * One per process: it holds the replay memory of client assertion ids. That memory is
 * per-process: with several nodes behind a load balancer an assertion could be replayed once per
 * node within its (at most 10 minute) lifetime; the assertion is still bound to one client, one
 * endpoint and a short expiry.
 */
export class TokenEndpoint {
  /** `appId jti` -> the assertion's expiry (ms); kept until then. */
  private readonly seenAssertions = new Map<string, number>();
  private lastSweep = 0;
  private readonly earlyRefusalAudit = new AuditThrottle();
  /** Tenants are never deleted: once seen, a tenant exists. */
  private readonly knownTenants = new Set<string>();
  /** Identity reads of the client-credentials path, keyed by what was read; see CLIENT_CACHE_MS. */
  private readonly reads = new Map<string, { readonly value: unknown; readonly generation: number; readonly until: number }>();

  constructor(private readonly deps: IdentityDeps, private readonly signingKeys: SigningKeys) {}

  async handle(request: TokenRequest): Promise<TokenResult> {
    const trail: Trail = { grantType: null, clientId: null, app: null, tenantExists: false, method: null };
    try {
      const params = readParams(request.form);
      trail.grantType = params.get('grant_type') ?? null;
      trail.clientId = params.get('client_id') ?? (request.basic && request.basic !== 'malformed' ? request.basic.clientId : null);
      trail.tenantExists = await this.tenantExists(request.tenantId);
      if (!trail.tenantExists) throw new OAuthError('invalid_request', `Tenant '${request.tenantId}' not found.`, 'tenant_not_found');
      const grantType = trail.grantType;
      if (!grantType) throw new OAuthError('invalid_request', 'The grant_type parameter is required.', 'missing_grant_type');
      if (!(SUPPORTED_GRANT_TYPES as readonly string[]).includes(grantType)) {
        throw new OAuthError('unsupported_grant_type', `Supported grant types: ${SUPPORTED_GRANT_TYPES.join(', ')}.`, 'unsupported_grant_type');
      }
      const { app, method } = await this.authenticateClient(request, params, trail);
      let issued: Issued;
      if (grantType === 'client_credentials') issued = await this.clientCredentials(request, params, app, method);
      else if (grantType === 'authorization_code') issued = await this.authorizationCode(request, params, app);
      else issued = await this.refreshToken(request, params, app);
      await audit(this.deps, auditCaller(app, request), request.tenantId, {
        action: 'token.issued', targetType: issued.subjectType, targetId: issued.subjectId,
        details: { clientId: app.clientId, grantType, authMethod: method, tokenId: issued.jti, ...issued.auditDetails },
      });
      return { ok: true, body: issued.body };
    } catch (error) {
      if (!(error instanceof OAuthError)) throw error;
      await audit(this.deps, auditCaller(trail.app, request), trail.tenantExists ? request.tenantId : null, {
        action: 'token.denied', outcome: 'denied', targetType: trail.app ? 'app' : null, targetId: trail.app?.id ?? null,
        details: {
          reason: error.reason, error: error.error, clientId: clip(trail.clientId), grantType: clip(trail.grantType),
          ...(trail.method ? { authMethod: trail.method } : {}),
          ...(trail.tenantExists ? {} : { tenant: clip(request.tenantId) }),
        },
      });
      return {
        ok: false, error: error.error, description: error.description,
        basicChallenge: error.error === 'invalid_client' && request.basic !== undefined,
      };
    }
  }

  /**
   * A token request refused before it reached `handle` (the rate limiter, an unreadable body):
   * audited as `token.denied`, at most a few entries per second per reason and address, or a
   * flood of such requests would move into the audit log.
   */
  async recordRefusedRequest(tenantId: string | null, origin: Origin, reason: 'rate_limited' | 'malformed_request', error: OAuthErrorCode): Promise<void> {
    if (!this.earlyRefusalAudit.allow(`${reason} ${origin.ip ?? ''}`, this.deps.clock.now())) return;
    const exists = tenantId !== null && tenantId.length <= 100 && (await this.deps.storage.read.getTenant(tenantId)) !== undefined;
    const caller: Caller = { actor: { kind: 'app', id: null }, tenants: exists ? [tenantId] : [], isPlatformAdmin: false, grants: NO_GRANTS, origin };
    await audit(this.deps, caller, exists ? tenantId : null, { action: 'token.denied', outcome: 'denied', details: { reason, error } });
  }

  // ---- client authentication (RFC 6749 section 2.3, RFC 7523 section 2.2) ----------------------

  private async authenticateClient(request: TokenRequest, params: Params, trail: Trail): Promise<{ app: AppRegistration; method: AuthMethod }> {
    const assertionType = params.get('client_assertion_type');
    const assertion = params.get('client_assertion');
    const postedSecret = params.get('client_secret');
    const presented = [request.basic !== undefined, postedSecret !== undefined, assertionType !== undefined || assertion !== undefined].filter(Boolean).length;
    if (presented > 1) throw new OAuthError('invalid_request', 'Use exactly one client authentication method.', 'multiple_auth_methods');
    if (request.basic === 'malformed') throw new OAuthError('invalid_client', 'The Basic authorization header cannot be read.', 'malformed_basic');

    const postedId = params.get('client_id');
    let clientId: string | undefined;
    let method: AuthMethod;
    if (request.basic !== undefined) {
      method = 'client_secret_basic';
      clientId = request.basic.clientId;
    } else if (postedSecret !== undefined) {
      method = 'client_secret_post';
      clientId = postedId;
    } else if (assertionType !== undefined || assertion !== undefined) {
      method = 'private_key_jwt';
      if (assertionType !== JWT_BEARER_ASSERTION) {
        throw new OAuthError('invalid_client', `client_assertion_type must be ${JWT_BEARER_ASSERTION}.`, 'unsupported_assertion_type');
      }
      if (!assertion) throw new OAuthError('invalid_request', 'The client_assertion parameter is required.', 'missing_assertion');
      // The assertion names its client in iss and sub (checked against the client when verified).
      const named = peekJwt(assertion)?.claims.sub;
      clientId = postedId ?? (typeof named === 'string' ? named : undefined);
    } else {
      method = 'none';
      clientId = postedId;
    }
    trail.method = method;
    trail.clientId = clientId ?? null;
    if (postedId !== undefined && clientId !== postedId) throw new OAuthError('invalid_client', 'client_id does not match the client that authenticated.', 'client_id_mismatch');
    if (!clientId) throw new OAuthError('invalid_client', 'Client authentication failed: no client_id.', 'missing_client_id');

    const app = await this.cached(`app ${clientId}`, () => this.deps.storage.read.identity.getAppByClientId(clientId));
    if (!app) throw new OAuthError('invalid_client', 'Client authentication failed: unknown client.', 'unknown_client');
    trail.app = app;
    const now = this.deps.clock.now();
    if (method === 'none') {
      if (!app.publicClient) throw new OAuthError('invalid_client', 'This client is confidential: authenticate with a client secret or a client assertion.', 'client_authentication_required');
      return { app, method };
    }
    if (method === 'private_key_jwt') {
      await this.checkAssertion(request, app, assertion!, now);
      return { app, method };
    }
    const secret = method === 'client_secret_basic' ? (request.basic as BasicCredentials).clientSecret : postedSecret!;
    await this.checkSecret(app, secret, now);
    return { app, method };
  }

  private async checkSecret(app: AppRegistration, value: string, now: number): Promise<void> {
    const read = () => this.deps.storage.read.identity.listAppSecrets(app.id);
    let unusable = await this.matchSecret(await this.cached(`secrets ${app.id}`, read), value, now);
    // The cached list only ever answers a match: a secret it does not know is looked up afresh
    // (one added since, or written by another node), so a miss costs a read and nothing else.
    if (unusable === 'no_match') unusable = await this.matchSecret(await this.fresh(`secrets ${app.id}`, read), value, now);
    if (unusable === undefined) return;
    if (unusable === 'secret_revoked') throw new OAuthError('invalid_client', 'The client secret was revoked.', unusable);
    if (unusable === 'secret_expired') throw new OAuthError('invalid_client', 'The client secret has expired; create a new one.', unusable);
    throw new OAuthError('invalid_client', 'Client authentication failed: invalid client secret.', 'bad_secret');
  }

  /** Undefined when a live secret matches; otherwise why none does. Expiry is checked against `now`, never cached. */
  private async matchSecret(secrets: readonly AppSecret[], value: string, now: number): Promise<'secret_revoked' | 'secret_expired' | 'no_match' | undefined> {
    let unusable: 'secret_revoked' | 'secret_expired' | 'no_match' = 'no_match';
    for (const secret of secrets) {
      if (!(await this.deps.secretHasher.matches(value, secret.secretHash))) continue;
      if (secret.revokedAt !== null) unusable = 'secret_revoked';
      else if (Date.parse(secret.expiresAt) <= now) unusable = 'secret_expired';
      else return undefined;
    }
    return unusable;
  }

  private async tenantExists(tenantId: string): Promise<boolean> {
    if (this.knownTenants.has(tenantId)) return true;
    const exists = (await this.deps.storage.read.getTenant(tenantId)) !== undefined;
    if (exists) {
      if (this.knownTenants.size >= MAX_CACHED_READS) this.knownTenants.clear();
      this.knownTenants.add(tenantId);
    }
    return exists;
  }

  /**
   * `load()`, or what it gave at most CLIENT_CACHE_MS ago under the current identity generation.
   * Only what was read under the generation we started with is kept (a change that landed while
   * we were reading applies to the next request), and nothing is kept for "not found".
   */
  private async cached<T>(key: string, load: () => Promise<T>): Promise<T> {
    const hit = this.reads.get(key);
    if (hit && hit.generation === this.deps.identityCache.current && this.deps.clock.now() < hit.until) return hit.value as T;
    return this.fresh(key, load);
  }

  private async fresh<T>(key: string, load: () => Promise<T>): Promise<T> {
    const generation = this.deps.identityCache.current;
    const value = await load();
    if (value !== undefined && this.deps.identityCache.current === generation) {
      if (this.reads.size >= MAX_CACHED_READS) this.reads.clear();
      this.reads.set(key, { value, generation, until: this.deps.clock.now() + CLIENT_CACHE_MS });
    }
    return value;
  }

  private async checkAssertion(request: TokenRequest, app: AppRegistration, assertion: string, now: number): Promise<void> {
    const certificates = (await this.deps.storage.read.identity.listAppCertificates(app.id))
      .filter((c) => c.revokedAt === null && (c.expiresAt === null || Date.parse(c.expiresAt) > now));
    if (certificates.length === 0) throw new OAuthError('invalid_client', 'The client has no valid certificate to verify the assertion with.', 'no_certificate');
    const result = await this.deps.tokenCrypto.verifyClientAssertion(assertion, certificates.map((c) => c.publicKey), {
      clientId: app.clientId,
      // RFC 7523 names the token endpoint; OpenID Connect (and oauth4webapi, behind openid-client)
      // now use the issuer. Both identify this tenant's endpoint only.
      audience: [tokenEndpointUrl(request.base, request.tenantId), issuerUrl(request.base, request.tenantId)],
      now, clockToleranceSeconds: ASSERTION_CLOCK_TOLERANCE_SECONDS, maxLifetimeSeconds: ASSERTION_MAX_LIFETIME_SECONDS,
    });
    if (!result.ok) throw new OAuthError('invalid_client', `The client assertion was refused (${result.reason}).`, `assertion_${result.reason}`);
    const jti = result.claims.jti as string;
    const exp = (result.claims.exp as number) * 1000 + ASSERTION_CLOCK_TOLERANCE_SECONDS * 1000;
    const key = `${app.id} ${jti}`;
    this.sweepAssertions(now);
    const seen = this.seenAssertions.get(key);
    if (seen !== undefined && seen > now) throw new OAuthError('invalid_client', 'The client assertion was already used (jti replay).', 'assertion_replayed');
    this.seenAssertions.set(key, exp);
  }

  private sweepAssertions(now: number): void {
    if (now - this.lastSweep < REPLAY_SWEEP_MS) return;
    this.lastSweep = now;
    for (const [key, until] of this.seenAssertions) if (until <= now) this.seenAssertions.delete(key);
  }

  // ---- grants --------------------------------------------------------------------------------

  private async clientCredentials(request: TokenRequest, params: Params, app: AppRegistration, method: AuthMethod): Promise<Issued> {
    const { tenantId } = request;
    if (method === 'none' || app.publicClient) {
      throw new OAuthError('unauthorized_client', 'A public client cannot use client_credentials.', 'public_client');
    }
    if (app.accountType === 'single-tenant' && app.tenantId !== tenantId) {
      throw new OAuthError('unauthorized_client', `The application is single-tenant and registered in another tenant; it cannot be used in tenant '${tenantId}'.`, 'app_not_in_tenant');
    }
    const consent = activeConsent(await this.cached(`consent ${tenantId} ${app.id}`, () => this.deps.storage.read.identity.getConsent(tenantId, app.id)));
    if (!consent || consent.applicationPermissions.length === 0) {
      throw new OAuthError('unauthorized_client', `Admin consent is needed: an administrator of tenant '${tenantId}' must grant consent to the application's application permissions.`, 'no_consent');
    }
    // What the tenant gave the app: the consented application permissions and the permissions of
    // roles assigned to the app there (a `bot` role, for instance).
    const grants = await this.cached(`roles ${tenantId} ${app.id}`, () => appRoleGrants(this.deps.storage.read, tenantId, app.id));
    const assigned = [...grants.scopes.keys()];
    const available = new Set<Permission>([...consent.applicationPermissions, ...assigned].filter((p) => !PLATFORM_ONLY.has(p)));
    const roles = chooseScopes(params.get('scope'), available);

    const now = this.deps.clock.now();
    const jti = tokenId();
    const claims = {
      ...this.commonClaims(request, app, now, jti),
      sub: app.id, oid: app.id, roles, idtyp: 'app',
    };
    const accessToken = await this.sign(claims);
    return {
      jti, subjectType: 'app', subjectId: app.id,
      body: this.success(accessToken),
      auditDetails: { roles },
    };
  }

  private async authorizationCode(request: TokenRequest, params: Params, app: AppRegistration): Promise<Issued> {
    const code = await redeemAuthorizationCode(this.deps, {
      tenantId: request.tenantId, app, code: params.get('code'), redirectUri: params.get('redirect_uri'), codeVerifier: params.get('code_verifier'),
    });
    const { user, delegated } = await this.delegation(request.tenantId, app, code.userId, code.scopes);
    const now = this.deps.clock.now();
    const refresh: RefreshToken = this.newRefreshToken(request.tenantId, app, user, code.scopes, this.deps.ids.next('rtf'), now);
    const value = randomToken();
    await this.deps.storage.transaction((tx) => tx.identity.insertRefreshToken({ ...refresh, tokenHash: sha256Hex(value) }));
    return this.userTokens(request, app, user, code.scopes, delegated, value, code.nonce, now, 'authorization_code');
  }

  private async refreshToken(request: TokenRequest, params: Params, app: AppRegistration): Promise<Issued> {
    const presented = params.get('refresh_token');
    if (!presented) throw new OAuthError('invalid_request', 'The refresh_token parameter is required.', 'missing_refresh_token');
    const record = await this.deps.storage.read.identity.getRefreshTokenByHash(sha256Hex(presented));
    const invalid = 'The refresh token is invalid, expired or revoked.';
    if (!record || record.tenantId !== request.tenantId || record.appId !== app.id) throw new OAuthError('invalid_grant', invalid, 'unknown_refresh_token');
    const now = this.deps.clock.now();
    const at = new Date(now).toISOString();
    if (record.revokedAt !== null) throw new OAuthError('invalid_grant', invalid, 'refresh_token_revoked');
    if (record.rotatedAt !== null) {
      await this.revokeFamily(record.familyId, at);
      throw new OAuthError('invalid_grant', invalid, 'refresh_token_reused');
    }
    if (Date.parse(record.expiresAt) <= now) throw new OAuthError('invalid_grant', invalid, 'refresh_token_expired');

    // A narrower scope may be asked for; never a wider one (RFC 6749 section 6).
    let scopes = record.scopes;
    const asked = params.get('scope');
    if (asked !== undefined && asked.trim() !== '') {
      const wanted = [...new Set(splitScopes(asked).map(stripResource))];
      const extra = wanted.filter((s) => !record.scopes.includes(s));
      if (extra.length > 0) throw new OAuthError('invalid_scope', `Not granted with the original sign-in: ${extra.join(', ')}.`, 'scope_widened');
      scopes = wanted;
    }
    const { user, delegated } = await this.delegation(request.tenantId, app, record.userId, scopes);
    const next = this.newRefreshToken(request.tenantId, app, user, record.scopes, record.familyId, now);
    const value = randomToken();
    const rotated = await this.deps.storage.transaction(async (tx) => {
      if (!(await tx.identity.rotateRefreshToken(record.id, at))) return false;
      await tx.identity.insertRefreshToken({ ...next, tokenHash: sha256Hex(value) });
      return true;
    });
    if (!rotated) {
      // Rotated (or revoked) by a concurrent request with the same token: reuse.
      await this.revokeFamily(record.familyId, at);
      throw new OAuthError('invalid_grant', invalid, 'refresh_token_reused');
    }
    return this.userTokens(request, app, user, scopes, delegated, value, null, now, 'refresh_token');
  }

  private async revokeFamily(familyId: string, at: string): Promise<void> {
    await this.deps.storage.transaction((tx) => tx.identity.revokeRefreshFamily(familyId, at));
    this.deps.identityCache.changed();
  }

  /** The person must still be active and the tenant's consent for the app live. */
  private async delegation(tenantId: string, app: AppRegistration, userId: string, scopes: readonly string[]): Promise<{ user: User; delegated: Permission[] }> {
    const user = await this.deps.storage.read.identity.getUser(tenantId, userId);
    if (!user || user.status !== 'active') throw new OAuthError('invalid_grant', 'The user cannot sign in (disabled or removed).', 'user_inactive');
    const consent = activeConsent(await this.deps.storage.read.identity.getConsent(tenantId, app.id));
    if (!consent) throw new OAuthError('invalid_grant', `The application has no consent in tenant '${tenantId}' (revoked?).`, 'no_consent');
    const consented = new Set(consent.delegatedScopes);
    return { user, delegated: scopes.filter((s): s is Permission => isPermission(s) && consented.has(s)) };
  }

  private newRefreshToken(tenantId: string, app: AppRegistration, user: User, scopes: readonly string[], familyId: string, now: number): RefreshToken {
    return {
      id: this.deps.ids.next('rtk'), familyId, tokenHash: '', tenantId, appId: app.id, userId: user.id, scopes: [...scopes],
      expiresAt: new Date(now + this.deps.identitySettings.refreshTokenDays * DAY_MS).toISOString(),
      createdAt: new Date(now).toISOString(), rotatedAt: null, revokedAt: null,
    };
  }

  private async userTokens(
    request: TokenRequest, app: AppRegistration, user: User, scopes: readonly string[], delegated: readonly Permission[],
    refreshToken: string, nonce: string | null, now: number, grantType: string,
  ): Promise<Issued> {
    const jti = tokenId();
    const accessToken = await this.sign({
      ...this.commonClaims(request, app, now, jti),
      sub: user.id, oid: user.id, scp: delegated.join(' '), idtyp: 'user', preferred_username: user.email,
    });
    let idToken: string | undefined;
    if (scopes.includes('openid')) {
      idToken = await this.sign({
        iss: issuerUrl(request.base, request.tenantId), aud: app.clientId, sub: user.id, oid: user.id, tid: request.tenantId,
        iat: Math.floor(now / 1000), nbf: Math.floor(now / 1000), exp: Math.floor(now / 1000) + this.deps.identitySettings.accessTokenSeconds,
        ver: '2.0', jti: tokenId(),
        ...(nonce !== null && grantType === 'authorization_code' ? { nonce } : {}),
        ...(scopes.includes('profile') || scopes.includes('email') ? { preferred_username: user.email } : {}),
        ...(scopes.includes('profile') ? { name: user.displayName } : {}),
        ...(scopes.includes('email') ? { email: user.email } : {}),
      });
    }
    const granted = [...scopes.filter((s) => OIDC_SCOPES.has(s)), ...delegated];
    return {
      jti, subjectType: 'user', subjectId: user.id,
      body: {
        ...this.success(accessToken), refresh_token: refreshToken, scope: granted.join(' '),
        ...(idToken !== undefined ? { id_token: idToken } : {}),
      },
      auditDetails: { userId: user.id, scopes: delegated },
    };
  }

  private commonClaims(request: TokenRequest, app: AppRegistration, now: number, jti: string): Record<string, unknown> {
    const iat = Math.floor(now / 1000);
    return {
      iss: issuerUrl(request.base, request.tenantId), aud: API_AUDIENCE, tid: request.tenantId,
      azp: app.clientId, appid: app.clientId, iat, nbf: iat, exp: iat + this.deps.identitySettings.accessTokenSeconds, jti, ver: '2.0',
    };
  }

  private success(accessToken: string): TokenSuccess {
    const seconds = this.deps.identitySettings.accessTokenSeconds;
    return { token_type: 'Bearer', expires_in: seconds, ext_expires_in: seconds, access_token: accessToken };
  }

  private async sign(claims: Readonly<Record<string, unknown>>): Promise<string> {
    return this.deps.tokenCrypto.sign(claims, await this.signingKeys.active());
  }
}

interface Issued {
  readonly jti: string;
  readonly subjectType: 'app' | 'user';
  readonly subjectId: string;
  readonly body: TokenSuccess;
  readonly auditDetails: Readonly<Record<string, unknown>>;
}

type Params = ReadonlyMap<string, string>;

/** RFC 6749 section 3.2: parameters without a value are omitted; none may appear twice. */
function readParams(form: Readonly<Record<string, unknown>>): Params {
  const params = new Map<string, string>();
  for (const [name, value] of Object.entries(form)) {
    if (Array.isArray(value)) throw new OAuthError('invalid_request', `The parameter ${clip(name, 40)} appears more than once.`, 'repeated_parameter');
    if (typeof value !== 'string') throw new OAuthError('invalid_request', 'Send the request as application/x-www-form-urlencoded.', 'malformed_body');
    if (value.length > MAX_PARAM_LENGTH) throw new OAuthError('invalid_request', `The parameter ${clip(name, 40)} is too long.`, 'parameter_too_long');
    if (value !== '') params.set(name, value);
  }
  return params;
}

function splitScopes(scope: string): string[] {
  return scope.split(' ').filter((s) => s !== '');
}

/**
 * The roles of an application token. `<resource>/.default` (what MSAL sends, e.g.
 * `api://switchboard/.default`) or no scope at all: everything available. Otherwise a list of
 * permission names (optionally `api://switchboard/`-prefixed), each of which must be available.
 */
function chooseScopes(scope: string | undefined, available: ReadonlySet<Permission>): Permission[] {
  const requested = scope === undefined ? [] : splitScopes(scope);
  const all = [...available].sort();
  if (requested.length === 0) return all;
  if (requested.some((s) => s === '.default' || s.endsWith('/.default'))) {
    if (requested.length > 1) throw new OAuthError('invalid_scope', 'A /.default scope cannot be combined with other scopes.', 'default_combined');
    return all;
  }
  const names = requested.map(stripResource);
  const refused = names.filter((n) => !isPermission(n) || !available.has(n));
  if (refused.length > 0) {
    throw new OAuthError('invalid_scope', `Not consented for this application in the tenant: ${refused.map((r) => clip(r, 80)).join(', ')}.`, 'scope_not_consented');
  }
  return [...new Set(names)].sort() as Permission[];
}

function auditCaller(app: AppRegistration | null, request: Pick<TokenRequest, 'tenantId' | 'origin'>): Caller {
  return { actor: { kind: 'app', id: app?.id ?? null }, tenants: [request.tenantId], isPlatformAdmin: false, grants: NO_GRANTS, origin: request.origin };
}

/** Request text in the audit log is the sender's: bounded. */
function clip(value: string | null, max = 100): string | null {
  if (value === null) return null;
  return value.length > max ? `${value.slice(0, max)}...` : value;
}

/**
 * `Authorization: Basic base64(urlencode(client_id) ":" urlencode(client_secret))` (RFC 6749
 * section 2.3.1). Undefined when the header is not Basic; 'malformed' when it is but is unreadable.
 */
export function parseBasicAuthorization(header: string | undefined): BasicCredentials | 'malformed' | undefined {
  if (header === undefined) return undefined;
  const match = /^Basic\s+(.*)$/i.exec(header);
  if (!match) return undefined;
  const encoded = match[1]!.trim();
  if (!/^[A-Za-z0-9+/]+={0,2}$/.test(encoded)) return 'malformed';
  const decoded = Buffer.from(encoded, 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  if (colon <= 0) return 'malformed';
  try {
    const unescape = (s: string) => decodeURIComponent(s.replace(/\+/g, ' '));
    return { clientId: unescape(decoded.slice(0, colon)), clientSecret: unescape(decoded.slice(colon + 1)) };
  } catch {
    return 'malformed';
  }
}

