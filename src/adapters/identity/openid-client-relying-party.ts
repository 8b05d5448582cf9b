import * as oidc from 'openid-client';
import {
  OidcRelyingPartyError,
  type OidcAuthorizationStart, type OidcClientConnection, type OidcCompletion, type OidcExpectedResponse,
  type OidcFailureReason, type OidcRelyingParty,
} from '../../app/ports/oidc-client.js';

export interface OpenidClientRelyingPartyOptions {
  /** How long a discovered provider is reused; default 5 minutes. Failures are not cached. */
  readonly discoveryTtlMs?: number;
  /** Per HTTP request to the provider; default 10 s. */
  readonly timeoutSeconds?: number;
  /** The HTTP client (tests count calls with it); default the global fetch. */
  readonly fetch?: typeof fetch;
  readonly now?: () => number;
}

interface CachedDiscovery {
  readonly clientSecret: string | null;
  readonly expiresAt: number;
  readonly config: Promise<oidc.Configuration>;
}

/** Loopback hosts, where plain http is allowed (tests, local installs). */
export function isLoopbackHost(hostname: string): boolean {
  const host = hostname.toLowerCase();
  return host === 'localhost' || host === '[::1]' || /^127(?:\.\d{1,3}){3}$/.test(host);
}

type IssuerCheck = { ok: true; url: URL; loopbackHttp: boolean } | { ok: false; reason: OidcFailureReason; message: string };

function checkIssuer(issuer: string): IssuerCheck {
  let url: URL;
  try {
    url = new URL(issuer);
  } catch {
    return { ok: false, reason: 'invalid_issuer', message: `the issuer ${JSON.stringify(issuer)} is not a URL` };
  }
  if (url.search || url.hash || url.username || url.password) {
    return { ok: false, reason: 'invalid_issuer', message: 'an issuer has no query, fragment or credentials' };
  }
  if (url.protocol === 'https:') return { ok: true, url, loopbackHttp: false };
  if (url.protocol === 'http:') {
    if (isLoopbackHost(url.hostname)) return { ok: true, url, loopbackHttp: true };
    return {
      ok: false,
      reason: 'insecure_issuer',
      message: `refusing the plain http issuer ${url.origin}: http is allowed only on loopback (127.0.0.1, localhost, [::1]); use https`,
    };
  }
  return { ok: false, reason: 'invalid_issuer', message: `the issuer must be an https URL, not ${url.protocol}` };
}

function checkRedirectUri(redirectUri: string): string | null {
  try {
    const url = new URL(redirectUri);
    if (url.protocol !== 'https:' && url.protocol !== 'http:') return 'the redirect URI must be http(s)';
    // openid-client redeems the code for the callback URL without its query, so a query could never match.
    if (url.search || url.hash) return 'the redirect URI may not have a query or fragment';
    return null;
  } catch {
    return 'the redirect URI is not a URL';
  }
}

/** OAuth error codes from the provider pass through; anything odd is not echoed. */
function oauthErrorCode(value: unknown): string {
  return typeof value === 'string' && /^[A-Za-z0-9_.-]{1,64}$/.test(value) ? value : 'provider_error';
}

function scopeParameter(scopes: readonly string[]): string {
  const all = ['openid', ...scopes.flatMap((s) => s.split(/\s+/))].filter((s) => s !== '');
  return [...new Set(all)].join(' ');
}

function messageOf(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

/** The token endpoint's answer (or the lack of one) as a reason. */
function tokenFailure(err: unknown): { reason: OidcFailureReason; detail: string } {
  if (err instanceof oidc.ResponseBodyError || err instanceof oidc.AuthorizationResponseError) {
    return { reason: oauthErrorCode(err.error), detail: err.error_description ?? err.message };
  }
  if (err instanceof oidc.WWWAuthenticateChallengeError) {
    const challenge = err.cause[0];
    return { reason: oauthErrorCode(challenge?.parameters.error ?? 'invalid_client'), detail: challenge?.parameters.error_description ?? err.message };
  }
  if (err instanceof oidc.ClientError) {
    switch (err.code) {
      case 'OAUTH_TIMEOUT':
      case 'OAUTH_ABORT':
        return { reason: 'provider_unreachable', detail: err.message };
      case 'OAUTH_RESPONSE_IS_NOT_CONFORM':
      case 'OAUTH_RESPONSE_IS_NOT_JSON':
      case 'OAUTH_PARSE_ERROR':
        return { reason: 'provider_error', detail: err.message };
      default:
        // Claim comparisons (iss, aud, nonce, azp), timestamps, key selection, signature, a missing ID token.
        return { reason: 'id_token_invalid', detail: `${err.message}${err.cause instanceof Error ? `: ${err.cause.message}` : ''}` };
    }
  }
  return { reason: 'provider_unreachable', detail: messageOf(err) };
}

/**
 * `OidcRelyingParty` with openid-client 6: discovery, authorization code + PKCE (S256), state and
 * nonce, ID token validation by the library, userinfo merged over the ID token claims. Every request
 * to the provider goes through one guarded fetch that refuses plain http off loopback, so a loopback
 * issuer cannot point its endpoints at an http host elsewhere.
 */
export class OpenidClientRelyingParty implements OidcRelyingParty {
  private readonly discoveries = new Map<string, CachedDiscovery>();
  private readonly ttlMs: number;
  private readonly timeoutSeconds: number;
  private readonly fetchImpl: typeof fetch;
  private readonly now: () => number;

  constructor(options: OpenidClientRelyingPartyOptions = {}) {
    this.ttlMs = options.discoveryTtlMs ?? 5 * 60_000;
    this.timeoutSeconds = options.timeoutSeconds ?? 10;
    this.fetchImpl = options.fetch ?? fetch;
    this.now = options.now ?? Date.now;
  }

  async begin(connection: OidcClientConnection, redirectUri: string): Promise<OidcAuthorizationStart> {
    const issuer = checkIssuer(connection.issuer);
    if (!issuer.ok) throw new OidcRelyingPartyError(issuer.reason, issuer.message);
    const badRedirect = checkRedirectUri(redirectUri);
    if (badRedirect) throw new OidcRelyingPartyError('invalid_redirect_uri', badRedirect);
    let config: oidc.Configuration;
    try {
      config = await this.configuration(connection, issuer.url, issuer.loopbackHttp);
    } catch (err) {
      throw new OidcRelyingPartyError('discovery_failed', `discovery of ${issuer.url.href} failed: ${messageOf(err)}`);
    }
    const state = oidc.randomState();
    const nonce = oidc.randomNonce();
    const codeVerifier = oidc.randomPKCECodeVerifier();
    const url = oidc.buildAuthorizationUrl(config, {
      response_type: 'code',
      redirect_uri: redirectUri,
      scope: scopeParameter(connection.scopes),
      state,
      nonce,
      code_challenge: await oidc.calculatePKCECodeChallenge(codeVerifier),
      code_challenge_method: 'S256',
    });
    return { authorizationUrl: url.href, state, nonce, codeVerifier };
  }

  async complete(
    connection: OidcClientConnection,
    redirectUri: string,
    callbackUrl: string,
    expected: OidcExpectedResponse,
  ): Promise<OidcCompletion> {
    const issuer = checkIssuer(connection.issuer);
    if (!issuer.ok) return { ok: false, reason: issuer.reason, detail: issuer.message };
    const badRedirect = checkRedirectUri(redirectUri);
    if (badRedirect) return { ok: false, reason: 'invalid_redirect_uri', detail: badRedirect };

    let params: URLSearchParams;
    try {
      params = new URL(callbackUrl, redirectUri).searchParams;
    } catch {
      return { ok: false, reason: 'invalid_callback', detail: 'the callback URL is not a URL' };
    }
    // Our own check first, so a forged or replayed callback is named as such (not as whatever else is wrong with it).
    if (params.getAll('state').length !== 1 || params.get('state') !== expected.state) {
      return { ok: false, reason: 'state_mismatch', detail: 'the state in the callback is not the one this sign-in sent' };
    }

    let config: oidc.Configuration;
    try {
      config = await this.configuration(connection, issuer.url, issuer.loopbackHttp);
    } catch (err) {
      return { ok: false, reason: 'discovery_failed', detail: `discovery of ${issuer.url.href} failed: ${messageOf(err)}` };
    }
    const server = config.serverMetadata();
    // RFC 9207: the provider that answered must be the one we sent the browser to (mix-up defence).
    const iss = params.get('iss');
    if (iss !== null ? iss !== server.issuer : server.authorization_response_iss_parameter_supported === true) {
      return { ok: false, reason: 'issuer_mismatch', detail: 'the callback names another issuer, or none although the provider sends one' };
    }
    if (params.has('error')) {
      return { ok: false, reason: oauthErrorCode(params.get('error')), detail: params.get('error_description') ?? 'the provider returned an error' };
    }
    if (!params.get('code')) return { ok: false, reason: 'invalid_callback', detail: 'the callback carries no authorization code' };

    // The code is redeemed for the redirect URI we registered, whatever host the callback was seen on.
    const current = new URL(redirectUri);
    current.search = params.toString();
    let tokens: Awaited<ReturnType<typeof oidc.authorizationCodeGrant>>;
    try {
      tokens = await oidc.authorizationCodeGrant(config, current, {
        expectedState: expected.state,
        expectedNonce: expected.nonce,
        pkceCodeVerifier: expected.codeVerifier,
        idTokenExpected: true,
      });
    } catch (err) {
      return { ok: false, ...tokenFailure(err) };
    }
    const idClaims = tokens.claims();
    if (!idClaims) return { ok: false, reason: 'id_token_invalid', detail: 'the token response has no ID token' };

    let claims: Record<string, unknown> = { ...idClaims };
    if (server.userinfo_endpoint && tokens.access_token) {
      try {
        const userinfo = await oidc.fetchUserInfo(config, tokens.access_token, idClaims.sub);
        // Userinfo adds profile claims; the ID token's protocol claims stay as validated.
        claims = { ...claims, ...userinfo, sub: idClaims.sub, iss: idClaims.iss, aud: idClaims.aud };
      } catch (err) {
        return { ok: false, reason: 'userinfo_failed', detail: messageOf(err) };
      }
    }
    return { ok: true, claims, subject: idClaims.sub, issuer: idClaims.iss };
  }

  /** Forgets cached discoveries (all, or one issuer's), e.g. after a connection is edited. */
  forget(issuer?: string): void {
    if (issuer === undefined) this.discoveries.clear();
    else for (const key of [...this.discoveries.keys()]) if (key.startsWith(`${issuer}\n`)) this.discoveries.delete(key);
  }

  private configuration(connection: OidcClientConnection, issuer: URL, loopbackHttp: boolean): Promise<oidc.Configuration> {
    const now = this.now();
    const key = `${connection.issuer}\n${connection.clientId}`;
    const cached = this.discoveries.get(key);
    if (cached && cached.expiresAt > now && cached.clientSecret === connection.clientSecret) return cached.config;
    for (const [k, v] of this.discoveries) if (v.expiresAt <= now) this.discoveries.delete(k);

    const config = this.discover(connection, issuer, loopbackHttp);
    this.discoveries.set(key, { clientSecret: connection.clientSecret, expiresAt: now + this.ttlMs, config });
    config.catch(() => {
      if (this.discoveries.get(key)?.config === config) this.discoveries.delete(key);
    });
    return config;
  }

  private async discover(connection: OidcClientConnection, issuer: URL, loopbackHttp: boolean): Promise<oidc.Configuration> {
    const secret = connection.clientSecret;
    // Picked per request from what the provider advertises (RFC 8414: basic when it says nothing).
    const clientAuth: oidc.ClientAuth = secret === null
      ? oidc.None()
      : (as, client, body, headers) => {
        const methods = as.token_endpoint_auth_methods_supported;
        const usePost = methods !== undefined && !methods.includes('client_secret_basic') && methods.includes('client_secret_post');
        (usePost ? oidc.ClientSecretPost(secret) : oidc.ClientSecretBasic(secret))(as, client, body, headers);
      };
    const fetchImpl = this.fetchImpl;
    const guardedFetch: oidc.CustomFetch = (url, init) => {
      const target = new URL(url);
      if (target.protocol !== 'https:' && !(target.protocol === 'http:' && isLoopbackHost(target.hostname))) {
        return Promise.reject(new TypeError(`refusing a request to ${target.origin}: only https, or http on loopback`));
      }
      return fetchImpl(url, init as RequestInit);
    };
    return oidc.discovery(issuer, connection.clientId, secret === null ? undefined : { client_secret: secret }, clientAuth, {
      [oidc.customFetch]: guardedFetch,
      execute: loopbackHttp ? [oidc.allowInsecureRequests] : [],
      timeout: this.timeoutSeconds,
    });
  }
}
