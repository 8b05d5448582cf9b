/**
 * Authorization codes (RFC 6749 section 4.1 with PKCE, RFC 7636). The authorize endpoint (a
 * signed-in person approving a client) calls `issueAuthorizationCode`; the token endpoint calls
 * `redeemAuthorizationCode`. A code is 256 random bits, lives 10 minutes, is stored only as its
 * SHA-256 and can be redeemed once: the conditional `useAuthorizationCode` makes that hold even
 * for two requests racing with the same code.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import type { AppRegistration, AuthorizationCode } from '../../core/identity/identity-model.js';
import { SwitchboardError } from '../errors.js';
import type { IdentityDeps } from './identity-deps.js';
import { OAuthError, randomToken, sha256Hex } from './oauth-tokens.js';

export const AUTHORIZATION_CODE_SECONDS = 600;

/** What the authorize endpoint knows when it issues a code: the stored record less what issuing adds. */
export type IssueCodeInput = Omit<AuthorizationCode, 'codeHash' | 'expiresAt' | 'usedAt'>;

/** RFC 7636 section 4.2: a S256 challenge is base64url(SHA-256(verifier)), 43 characters. */
const CHALLENGE = /^[A-Za-z0-9_-]{43}$/;
/** RFC 7636 section 4.1: 43 to 128 unreserved characters. */
const VERIFIER = /^[A-Za-z0-9._~-]{43,128}$/;

/**
 * Stores a code for a person who approved `appId` and returns the code (the only time it exists
 * in clear). The caller (the authorize endpoint) has already checked the session, the app's
 * presence in the tenant and the redirect URI; this refuses only what would make the code
 * unredeemable or unsafe: a PKCE method other than S256, a malformed challenge, a public client
 * without PKCE.
 */
export async function issueAuthorizationCode(deps: IdentityDeps, input: IssueCodeInput): Promise<string> {
  if ((input.codeChallenge === null) !== (input.codeChallengeMethod === null)) {
    throw new SwitchboardError('SB_ERR_VALIDATION', 'code_challenge and code_challenge_method go together.');
  }
  if (input.codeChallengeMethod !== null && input.codeChallengeMethod !== 'S256') {
    throw new SwitchboardError('SB_ERR_VALIDATION', 'Only the S256 code challenge method is supported.');
  }
  if (input.codeChallenge !== null && !CHALLENGE.test(input.codeChallenge)) {
    throw new SwitchboardError('SB_ERR_VALIDATION', 'The code challenge is not a base64url SHA-256 (43 characters).');
  }
  const app = await deps.storage.read.identity.getApp(input.appId);
  if (!app) throw new SwitchboardError('SB_ERR_APP_NOT_FOUND');
  if (app.publicClient && input.codeChallenge === null) {
    throw new SwitchboardError('SB_ERR_VALIDATION', 'A public client must use PKCE (code_challenge with S256).');
  }
  const code = randomToken();
  const now = deps.clock.now();
  const record: AuthorizationCode = {
    codeHash: sha256Hex(code), tenantId: input.tenantId, appId: input.appId, userId: input.userId,
    redirectUri: input.redirectUri, scopes: [...new Set(input.scopes)], codeChallenge: input.codeChallenge,
    codeChallengeMethod: input.codeChallengeMethod, nonce: input.nonce,
    expiresAt: new Date(now + AUTHORIZATION_CODE_SECONDS * 1000).toISOString(), usedAt: null,
  };
  await deps.storage.transaction((tx) => tx.identity.insertAuthorizationCode(record));
  return code;
}

export interface RedeemCodeInput {
  readonly tenantId: string;
  /** The client, already authenticated (confidential) or identified by client_id (public). */
  readonly app: AppRegistration;
  readonly code: string | undefined;
  readonly redirectUri: string | undefined;
  readonly codeVerifier: string | undefined;
}

/**
 * Checks a presented code and marks it used; returns the stored record. Every refusal is an
 * `invalid_grant` (RFC 6749 section 5.2), except missing parameters (`invalid_request`). A code
 * presented a second time means it leaked (or the client is replaying): the refresh tokens the
 * person's sign-ins gave this app are revoked, as RFC 6749 section 4.1.2 asks.
 */
export async function redeemAuthorizationCode(deps: IdentityDeps, input: RedeemCodeInput): Promise<AuthorizationCode> {
  if (!input.code) throw new OAuthError('invalid_request', 'The code parameter is required.', 'missing_code');
  if (input.redirectUri === undefined) throw new OAuthError('invalid_request', 'The redirect_uri parameter is required.', 'missing_redirect_uri');
  const record = await deps.storage.read.identity.getAuthorizationCode(sha256Hex(input.code));
  // Another tenant's or another client's code looks exactly like an unknown one.
  if (!record || record.tenantId !== input.tenantId || record.appId !== input.app.id) {
    throw new OAuthError('invalid_grant', 'The authorization code is invalid, expired or was already used.', 'unknown_code');
  }
  const now = deps.clock.now();
  if (record.usedAt !== null) {
    await revokeAfterReuse(deps, record, now);
    throw new OAuthError('invalid_grant', 'The authorization code is invalid, expired or was already used.', 'code_reused');
  }
  if (Date.parse(record.expiresAt) <= now) throw new OAuthError('invalid_grant', 'The authorization code is invalid, expired or was already used.', 'code_expired');
  if (record.redirectUri !== input.redirectUri) {
    throw new OAuthError('invalid_grant', 'The redirect_uri differs from the one the code was issued for.', 'redirect_uri_mismatch');
  }
  if (record.codeChallenge === null) {
    // Without a challenge there is nothing to prove; a verifier anyway is a PKCE downgrade attempt.
    if (input.app.publicClient) throw new OAuthError('invalid_grant', 'A public client must use PKCE.', 'pkce_required');
    if (input.codeVerifier !== undefined) throw new OAuthError('invalid_grant', 'The code was issued without a code_challenge; do not send a code_verifier.', 'unexpected_verifier');
  } else {
    if (input.codeVerifier === undefined) throw new OAuthError('invalid_grant', 'The code_verifier is required (the code was issued with a code_challenge).', 'missing_verifier');
    if (!VERIFIER.test(input.codeVerifier) || !sameText(s256(input.codeVerifier), record.codeChallenge)) {
      throw new OAuthError('invalid_grant', 'The code_verifier does not match the code_challenge.', 'pkce_mismatch');
    }
  }
  const used = await deps.storage.transaction((tx) => tx.identity.useAuthorizationCode(record.codeHash, new Date(now).toISOString()));
  if (!used) {
    // Another request redeemed it between our read and our write: as good as a second redemption.
    await revokeAfterReuse(deps, record, now);
    throw new OAuthError('invalid_grant', 'The authorization code is invalid, expired or was already used.', 'code_reused');
  }
  return record;
}

async function revokeAfterReuse(deps: IdentityDeps, record: AuthorizationCode, now: number): Promise<void> {
  await deps.storage.transaction((tx) => tx.identity.revokeRefreshTokens(record.tenantId, { appId: record.appId, userId: record.userId }, new Date(now).toISOString()));
  deps.identityCache.changed();
}

function s256(verifier: string): string {
  return createHash('sha256').update(verifier, 'ascii').digest('base64url');
}

function sameText(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}
