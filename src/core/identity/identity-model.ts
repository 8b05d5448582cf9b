/**
 * The identity model (capability C11) as plain data: people, groups, roles, applications and what
 * the tenant granted them. Times are RFC 3339 strings in UTC, as in the conversation model.
 */
import type { Permission } from './permissions.js';

export const USER_STATUSES = ['invited', 'active', 'disabled'] as const;
export type UserStatus = (typeof USER_STATUSES)[number];

export interface User {
  readonly id: string;
  readonly tenantId: string;
  /** Lower-cased; unique in the tenant. */
  readonly email: string;
  readonly displayName: string;
  readonly status: UserStatus;
  /** The routing agent this person works as, if they take conversations. */
  readonly agentId: string | null;
  /** `issuer|subject` of the person at the tenant's OpenID provider, once they signed in by SSO. */
  readonly externalId: string | null;
  readonly createdAt: string;
  readonly updatedAt: string;
}

export interface Group {
  readonly id: string;
  readonly tenantId: string;
  readonly name: string;
  readonly description: string | null;
  /** The value of the provider's groups claim that maps to this group (SSO), if any. */
  readonly externalId: string | null;
  readonly createdAt: string;
}

export interface CustomRole {
  readonly id: string;
  readonly tenantId: string;
  readonly name: string;
  readonly description: string | null;
  readonly permissions: readonly Permission[];
  readonly createdAt: string;
}

export const PRINCIPAL_TYPES = ['user', 'group', 'app'] as const;
export type PrincipalType = (typeof PRINCIPAL_TYPES)[number];

export interface RoleAssignment {
  readonly id: string;
  readonly tenantId: string;
  readonly principalType: PrincipalType;
  readonly principalId: string;
  /** A built-in role name (`supervisor`) or a custom role id (`role_...`). */
  readonly role: string;
  /** Queue scope of the role's queue-scoped permissions; null = the whole tenant. */
  readonly queueIds: readonly string[] | null;
  readonly createdAt: string;
}

export const ACCOUNT_TYPES = ['single-tenant', 'multi-tenant'] as const;
export type AccountType = (typeof ACCOUNT_TYPES)[number];

export interface AppRegistration {
  readonly id: string;
  /** The tenant that registered (owns) the application. */
  readonly tenantId: string;
  /** Public identifier clients present (`client_id`); a UUID. */
  readonly clientId: string;
  readonly name: string;
  readonly accountType: AccountType;
  readonly redirectUris: readonly string[];
  /** Public clients (single-page apps, CLIs) hold no secret and must use PKCE. */
  readonly publicClient: boolean;
  /** Permissions the app asks for when it acts as itself (client credentials). */
  readonly applicationPermissions: readonly Permission[];
  /** Scopes the app asks for when it acts for a signed-in person. */
  readonly delegatedScopes: readonly Permission[];
  readonly createdAt: string;
  readonly updatedAt: string;
}

export interface AppSecret {
  readonly id: string;
  readonly appId: string;
  readonly description: string;
  /** The first characters of the value, enough to tell secrets apart in a list. */
  readonly hint: string;
  /** Keyed hash (HMAC-SHA-256 with the server's hashing key) of the value; hex. */
  readonly secretHash: string;
  readonly expiresAt: string;
  readonly createdAt: string;
  readonly revokedAt: string | null;
}

export interface AppCertificate {
  readonly id: string;
  readonly appId: string;
  readonly description: string;
  /** SHA-256 thumbprint of the public key (base64url); clients send it as the assertion's `kid`. */
  readonly thumbprint: string;
  /** The public key as a JWK. */
  readonly publicKey: Readonly<Record<string, unknown>>;
  readonly expiresAt: string | null;
  readonly createdAt: string;
  readonly revokedAt: string | null;
}

/**
 * An "enterprise application": an app present in a tenant with what the tenant's administrator
 * consented to. The owning tenant of a single-tenant app gets one at registration without consent
 * for delegated sign-in; application permissions always need consent.
 */
export interface AppConsent {
  readonly id: string;
  readonly tenantId: string;
  readonly appId: string;
  readonly applicationPermissions: readonly Permission[];
  readonly delegatedScopes: readonly Permission[];
  readonly consentedBy: string | null;
  readonly consentedAt: string;
  readonly revokedAt: string | null;
}

export interface PasswordCredential {
  readonly userId: string;
  readonly tenantId: string;
  /** `scrypt$N$r$p$salt$hash` (base64url parts). */
  readonly hash: string;
  readonly failedAttempts: number;
  readonly lockedUntil: string | null;
  readonly updatedAt: string;
}

/**
 * How access and ID tokens are signed: RS256 (RSA 2048, the default, what Entra uses and every
 * client accepts) or ES256 (EC P-256: a signature costs ~0.03 ms instead of ~0.4 ms).
 */
export const SIGNING_ALGORITHMS = ['RS256', 'ES256'] as const;
export type SigningAlgorithm = (typeof SIGNING_ALGORITHMS)[number];

export interface SigningKey {
  /** Key id (`kid`), as published in the JWKS. */
  readonly id: string;
  /** RS256 keys are RSA, ES256 keys EC P-256; a key signs and verifies its own algorithm only. */
  readonly algorithm: SigningAlgorithm;
  readonly publicKey: Readonly<Record<string, unknown>>;
  readonly privateKey: Readonly<Record<string, unknown>>;
  readonly createdAt: string;
  /** New tokens are signed with the newest key whose `activatesAt` has passed. */
  readonly activatesAt: string;
  /** After this the key signs nothing; it stays in the JWKS until `expiresAt` (its last token's expiry). */
  readonly retiresAt: string;
  readonly expiresAt: string;
}

export interface AuthorizationCode {
  /** SHA-256 (hex) of the code; the code itself is never stored. */
  readonly codeHash: string;
  readonly tenantId: string;
  readonly appId: string;
  readonly userId: string;
  readonly redirectUri: string;
  /**
   * As requested at sign-in: permission names (delegated scopes) and the OpenID Connect scopes
   * `openid`, `profile`, `email`, `offline_access`, which are not permissions.
   */
  readonly scopes: readonly string[];
  readonly codeChallenge: string | null;
  readonly codeChallengeMethod: 'S256' | null;
  readonly nonce: string | null;
  readonly expiresAt: string;
  readonly usedAt: string | null;
}

export interface RefreshToken {
  readonly id: string;
  /** Every rotation of one sign-in shares a family; reuse of a rotated token revokes the family. */
  readonly familyId: string;
  readonly tokenHash: string;
  readonly tenantId: string;
  readonly appId: string;
  readonly userId: string;
  /** The scopes of the sign-in the family started with (permission names and OpenID Connect scopes). */
  readonly scopes: readonly string[];
  readonly expiresAt: string;
  readonly createdAt: string;
  /** Set when the token was exchanged for a new one. */
  readonly rotatedAt: string | null;
  readonly revokedAt: string | null;
}

export interface Session {
  readonly id: string;
  readonly tenantId: string;
  readonly userId: string;
  /** SHA-256 (hex) of the cookie value. */
  readonly tokenHash: string;
  /** SHA-256 (hex) of the CSRF token bound to the session. */
  readonly csrfHash: string;
  /** How the person signed in. */
  readonly method: 'password' | 'sso';
  readonly createdAt: string;
  readonly expiresAt: string;
  readonly revokedAt: string | null;
}

/**
 * A started single sign-on: what the callback needs to check the provider's answer. Kept in the
 * database, so the browser may come back to any node; found by the hash of the random id its
 * HttpOnly cookie holds, and taken (deleted) on first use.
 */
export interface SsoAttempt {
  /** SHA-256 (hex) of the id in the browser's cookie. */
  readonly idHash: string;
  readonly tenantId: string;
  readonly state: string;
  readonly nonce: string;
  /** The PKCE verifier: useless without the provider's code, which only the browser gets. */
  readonly codeVerifier: string;
  readonly returnTo: string;
  readonly redirectUri: string;
  readonly createdAt: string;
  readonly expiresAt: string;
}

/** A tenant's external OpenID Connect provider for single sign-on. */
export interface OidcConnection {
  readonly tenantId: string;
  readonly issuer: string;
  readonly clientId: string;
  /** Stored as given: the provider needs the value itself, so it cannot be hashed. */
  readonly clientSecret: string | null;
  readonly scopes: readonly string[];
  /** Claim names to read: e-mail, display name, groups, roles. */
  readonly claims: { readonly email: string; readonly name: string; readonly groups: string; readonly roles: string };
  /** Provider role claim value -> Switchboard built-in role granted tenant-wide. */
  readonly roleMapping: Readonly<Record<string, string>>;
  /** Create users on first sign-in (otherwise only invited users may sign in). */
  readonly autoProvision: boolean;
  readonly enabled: boolean;
  readonly updatedAt: string;
}

export const AUDIT_OUTCOMES = ['success', 'denied', 'failure'] as const;
export type AuditOutcome = (typeof AUDIT_OUTCOMES)[number];

export interface AuditEntry {
  readonly id: number;
  /** null for platform-level actions (creating a tenant, a bootstrap key). */
  readonly tenantId: string | null;
  readonly occurredAt: string;
  readonly actorKind: string;
  readonly actorId: string | null;
  /** What happened, `noun.verb` (`app.secret_created`, `signin.password`, `access.denied`). */
  readonly action: string;
  readonly targetType: string | null;
  readonly targetId: string | null;
  readonly outcome: AuditOutcome;
  /** Remote address of the request, when there was one. */
  readonly ip: string | null;
  readonly userAgent: string | null;
  /** Never secrets: only ids, names, permission lists, reasons. */
  readonly details: Readonly<Record<string, unknown>>;
}
