/**
 * What Switchboard's access, ID and refresh tokens look like, shared by the token endpoint (which
 * issues them) and the access token authenticator (which accepts them). The claims follow
 * Microsoft Entra's v2.0 tokens, because bots and services talk to us with MSAL-like clients
 * (`../shared/design/PROTOCOLS.md` section 2.6): `iss` = `{base}/login/{tenant}/v2.0`,
 * `aud` = `api://switchboard`, `tid`, `azp`/`appid`, `roles` (applications) or `scp` (delegated),
 * `idtyp` = `app` | `user`, `ver` = `2.0`.
 */
import { createHash, randomBytes } from 'node:crypto';
import type { Permission } from '../../core/identity/permissions.js';
import { isPermission } from '../../core/identity/permissions.js';

/** The audience of every access token: the Switchboard API. */
export const API_AUDIENCE = 'api://switchboard';

/** Scopes of OpenID Connect that may be requested with permission names; they grant nothing by themselves. */
export const OIDC_SCOPES: ReadonlySet<string> = new Set(['openid', 'profile', 'email', 'offline_access']);

/** Clock skew tolerated on `exp`/`nbf` of access tokens presented to the API. */
export const ACCESS_TOKEN_CLOCK_TOLERANCE_SECONDS = 60;

/** The issuer of a tenant's tokens; also the OpenID discovery base (`{issuer}/.well-known/openid-configuration`). */
export function issuerUrl(base: string, tenantId: string): string {
  return `${base}/login/${encodeURIComponent(tenantId)}/v2.0`;
}

export function tokenEndpointUrl(base: string, tenantId: string): string {
  return `${base}/login/${encodeURIComponent(tenantId)}/oauth2/v2.0/token`;
}

export function authorizationEndpointUrl(base: string, tenantId: string): string {
  return `${base}/login/${encodeURIComponent(tenantId)}/oauth2/v2.0/authorize`;
}

export function jwksUrl(base: string, tenantId: string): string {
  return `${base}/login/${encodeURIComponent(tenantId)}/discovery/v2.0/keys`;
}

/**
 * The OAuth error codes the token endpoint answers with (RFC 6749 section 5.2, plus `slow_down`
 * from RFC 8628 for the rate limit and `server_error` for the unexpected).
 */
export type OAuthErrorCode =
  | 'invalid_request' | 'invalid_client' | 'invalid_grant' | 'unauthorized_client' | 'unsupported_grant_type'
  | 'invalid_scope' | 'slow_down' | 'server_error';

/**
 * A refused token request. `reason` is a short machine word for the audit log (`bad_secret`,
 * `code_reused`, ...); `description` is what the client is told. Neither carries a secret.
 */
export class OAuthError extends Error {
  override readonly name = 'OAuthError';
  constructor(readonly error: OAuthErrorCode, readonly description: string, readonly reason: string = error) {
    super(description);
  }
}

export function sha256Hex(value: string): string {
  return createHash('sha256').update(value, 'utf8').digest('hex');
}

/** 256 random bits, base64url: authorization codes, refresh tokens. */
export function randomToken(): string {
  return randomBytes(32).toString('base64url');
}

/**
 * Random bytes for token ids, drawn from the CSPRNG in blocks: one `randomBytes` call costs about
 * as much for 16 bytes as for 4 KiB (node's `randomUUID` buffers the same way), and every access
 * token needs a fresh id. A jti only has to be unique and unguessable, not secret.
 */
const TOKEN_ID_BYTES = 16;
const TOKEN_ID_POOL = TOKEN_ID_BYTES * 256;
let tokenIdPool = Buffer.alloc(0);
let tokenIdOffset = 0;

/** A token id (`jti`): 128 random bits. */
export function tokenId(): string {
  if (tokenIdOffset + TOKEN_ID_BYTES > tokenIdPool.length) {
    tokenIdPool = randomBytes(TOKEN_ID_POOL);
    tokenIdOffset = 0;
  }
  const id = tokenIdPool.toString('base64url', tokenIdOffset, tokenIdOffset + TOKEN_ID_BYTES);
  tokenIdOffset += TOKEN_ID_BYTES;
  return id;
}

/** The permission names among requested scopes (OIDC scopes and unknown names dropped). */
export function permissionScopes(scopes: readonly string[]): Permission[] {
  return scopes.filter(isPermission);
}

/**
 * `api://switchboard/conversations.read` -> `conversations.read`: clients written for Entra name
 * scopes with the resource in front. Other prefixes are left alone (and then match nothing).
 */
export function stripResource(scope: string): string {
  return scope.startsWith(`${API_AUDIENCE}/`) ? scope.slice(API_AUDIENCE.length + 1) : scope;
}

const MAX_PEEK_LENGTH = 32 * 1024;

/**
 * Decodes a compact JWS without verifying anything: only to choose a key (`kid`) or to name the
 * tenant of a token being refused in the audit log. Nothing read here is trusted. Never throws.
 */
export function peekJwt(token: string): { header: Record<string, unknown>; claims: Record<string, unknown> } | undefined {
  if (token.length > MAX_PEEK_LENGTH) return undefined;
  const parts = token.split('.');
  if (parts.length !== 3) return undefined;
  const decode = (part: string): Record<string, unknown> | undefined => {
    try {
      const value: unknown = JSON.parse(Buffer.from(part, 'base64url').toString('utf8'));
      return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : undefined;
    } catch {
      return undefined;
    }
  };
  const header = decode(parts[0]!);
  const claims = decode(parts[1]!);
  return header && claims ? { header, claims } : undefined;
}

/** Successful token response body (RFC 6749 section 5.1, with Entra's `ext_expires_in`). */
export interface TokenSuccess {
  readonly token_type: 'Bearer';
  readonly expires_in: number;
  readonly ext_expires_in: number;
  readonly access_token: string;
  readonly refresh_token?: string;
  readonly scope?: string;
  readonly id_token?: string;
}
