/**
 * What the relying party needs of a tenant's OpenID Connect connection: the fields of the same
 * names in `OidcConnection` (core/identity/identity-model.ts), so a stored connection can be passed as is.
 */
export interface OidcClientConnection {
  /** The issuer identifier, e.g. `https://login.example.com/realms/acme`. */
  readonly issuer: string;
  readonly clientId: string;
  /** null for a public client (PKCE only). */
  readonly clientSecret: string | null;
  /** Requested in addition to `openid`, which is always asked for. */
  readonly scopes: readonly string[];
}

/** Where to send the browser, and the secrets to keep (in the sign-in attempt) until it comes back. */
export interface OidcAuthorizationStart {
  readonly authorizationUrl: string;
  readonly state: string;
  readonly nonce: string;
  /** The PKCE verifier; only its S256 challenge is in the URL. */
  readonly codeVerifier: string;
}

/** The values `begin` returned, as kept for the callback. */
export interface OidcExpectedResponse {
  readonly state: string;
  readonly nonce: string;
  readonly codeVerifier: string;
}

/**
 * Why a sign-in did not complete. Errors the provider reports (in the callback or from its token
 * endpoint) pass through as the provider's own OAuth error code (`access_denied`, `invalid_grant`,
 * `invalid_client`, `login_required`, ...); the others are ours:
 * - `insecure_issuer`: a plain `http://` issuer that is not loopback (refused before any request);
 * - `invalid_issuer`: not an absolute http(s) URL;
 * - `invalid_redirect_uri`: not an absolute http(s) URL, or one with a query or fragment;
 * - `discovery_failed`: the discovery document could not be fetched, is not valid, or names another issuer;
 * - `state_mismatch`: the callback's `state` is missing or not the one this attempt sent;
 * - `issuer_mismatch`: the callback's `iss` (RFC 9207) names another provider, or is missing although advertised;
 * - `invalid_callback`: the callback URL cannot be parsed or carries neither a code nor an error;
 * - `id_token_invalid`: the token response failed validation (ID token signature, issuer, audience,
 *   nonce, times; or no ID token at all);
 * - `userinfo_failed`: the userinfo endpoint failed or answered for another subject;
 * - `provider_unreachable`: the token endpoint could not be reached or timed out;
 * - `provider_error`: the provider answered with something that is not OAuth (or an unusable error code).
 */
export type OidcFailureReason =
  | 'insecure_issuer'
  | 'invalid_issuer'
  | 'invalid_redirect_uri'
  | 'discovery_failed'
  | 'state_mismatch'
  | 'issuer_mismatch'
  | 'invalid_callback'
  | 'id_token_invalid'
  | 'userinfo_failed'
  | 'provider_unreachable'
  | 'provider_error'
  | (string & {});

export type OidcCompletion =
  | {
    readonly ok: true;
    /** ID token claims, with the userinfo claims merged over them when the provider has a userinfo endpoint. */
    readonly claims: Readonly<Record<string, unknown>>;
    /** The ID token's `sub`: with `issuer`, the stable key of the external account. */
    readonly subject: string;
    /** The ID token's `iss` (the discovered issuer identifier). */
    readonly issuer: string;
  }
  | {
    readonly ok: false;
    readonly reason: OidcFailureReason;
    /** For logs and the audit trail, never shown to the user as such (provider error descriptions). */
    readonly detail?: string | undefined;
  };

/** Thrown by `begin` only: the sign-in cannot even start. */
export class OidcRelyingPartyError extends Error {
  constructor(readonly reason: OidcFailureReason, message: string) {
    super(message);
    this.name = 'OidcRelyingPartyError';
  }
}

/**
 * The relying-party side of OpenID Connect sign-in (authorization code flow with PKCE S256, state
 * and nonce). Discovery is cached per issuer and client id for a few minutes. `https` issuers are
 * accepted anywhere; plain `http` only on loopback (127.0.0.1, localhost, [::1]) for tests and local
 * installs. Example:
 *
 *   const start = await rp.begin(connection, 'https://sb.example.com/v1/auth/oidc/callback');
 *   // keep start.state, start.nonce, start.codeVerifier with the attempt; redirect to start.authorizationUrl
 *   const done = await rp.complete(connection, redirectUri, 'https://sb.example.com/v1/auth/oidc/callback?code=...&state=...', start);
 *   if (done.ok) signIn(done.issuer, done.subject, done.claims.email);
 *   else audit('signin.oidc', 'failure', done.reason); // 'access_denied', 'state_mismatch', 'invalid_grant', ...
 */
export interface OidcRelyingParty {
  /** Throws `OidcRelyingPartyError` (`insecure_issuer`, `invalid_issuer`, `invalid_redirect_uri`, `discovery_failed`). */
  begin(connection: OidcClientConnection, redirectUri: string): Promise<OidcAuthorizationStart>;
  /**
   * `callbackUrl` is the full URL the browser came back to (its query is what counts; the code is
   * redeemed for `redirectUri`). Never throws for anything the provider or the browser did.
   */
  complete(
    connection: OidcClientConnection,
    redirectUri: string,
    callbackUrl: string,
    expected: OidcExpectedResponse,
  ): Promise<OidcCompletion>;
}
