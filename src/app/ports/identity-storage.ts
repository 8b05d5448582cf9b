import type {
  AppCertificate, AppConsent, AppRegistration, AppSecret, AuditEntry, AuditOutcome, AuthorizationCode, CustomRole,
  Group, OidcConnection, PasswordCredential, PrincipalType, RefreshToken, RoleAssignment, Session, SigningKey, SsoAttempt, User,
  UserStatus,
} from '../../core/identity/identity-model.js';
import type { Permission } from '../../core/identity/permissions.js';
import type { PageRequest } from './storage.js';

export interface UserPatch {
  readonly displayName?: string | undefined;
  readonly status?: UserStatus | undefined;
  readonly agentId?: string | null | undefined;
  readonly externalId?: string | null | undefined;
}

export interface AppPatch {
  readonly name?: string | undefined;
  readonly redirectUris?: readonly string[] | undefined;
  readonly applicationPermissions?: readonly Permission[] | undefined;
  readonly delegatedScopes?: readonly Permission[] | undefined;
}

export interface PrincipalRef {
  readonly type: PrincipalType;
  readonly id: string;
}

export interface AuditFilter {
  readonly action?: string | undefined;
  readonly actorId?: string | undefined;
  readonly targetId?: string | undefined;
  readonly outcome?: AuditOutcome | undefined;
  /** Inclusive lower bound on `occurredAt` (RFC 3339). */
  readonly since?: string | undefined;
  /** Exclusive upper bound on `occurredAt` (RFC 3339). */
  readonly until?: string | undefined;
}

/** Audit pages go newest first; `beforeId` is the last id of the previous page. */
export interface AuditPage {
  readonly beforeId?: number | undefined;
  readonly limit: number;
}

export type NewAuditEntry = Omit<AuditEntry, 'id'>;

/**
 * Identity reads. Tenant data is read by tenant id like everything else; applications, their
 * secrets and certificates, signing keys, codes, refresh tokens and sessions are looked up by
 * their own unguessable keys (a client id, a hash), since the caller proves who they are with them.
 */
export interface IdentityReads {
  getUser(tenantId: string, id: string): Promise<User | undefined>;
  /** By lower-cased e-mail. */
  findUserByEmail(tenantId: string, email: string): Promise<User | undefined>;
  findUserByExternalId(tenantId: string, externalId: string): Promise<User | undefined>;
  /** Users of the tenant, newest first (keyset on id). */
  listUsers(tenantId: string, page: PageRequest): Promise<User[]>;

  getGroup(tenantId: string, id: string): Promise<Group | undefined>;
  findGroupByExternalId(tenantId: string, externalId: string): Promise<Group | undefined>;
  listGroups(tenantId: string): Promise<Group[]>;
  listGroupMembers(tenantId: string, groupId: string): Promise<string[]>;
  /** Ids of the groups the user is a member of. */
  listGroupsOfUser(tenantId: string, userId: string): Promise<string[]>;

  getCustomRole(tenantId: string, id: string): Promise<CustomRole | undefined>;
  listCustomRoles(tenantId: string): Promise<CustomRole[]>;

  getRoleAssignment(tenantId: string, id: string): Promise<RoleAssignment | undefined>;
  /** Every assignment of the tenant, or those of the given principals. */
  listRoleAssignments(tenantId: string, principals?: readonly PrincipalRef[]): Promise<RoleAssignment[]>;

  getApp(id: string): Promise<AppRegistration | undefined>;
  getAppByClientId(clientId: string): Promise<AppRegistration | undefined>;
  /** Apps registered by (owned by) the tenant. */
  listApps(tenantId: string): Promise<AppRegistration[]>;
  listAppSecrets(appId: string): Promise<AppSecret[]>;
  listAppCertificates(appId: string): Promise<AppCertificate[]>;
  findAppCertificate(appId: string, thumbprint: string): Promise<AppCertificate | undefined>;

  /** The tenant's enterprise application entry for an app, revoked or not. */
  getConsent(tenantId: string, appId: string): Promise<AppConsent | undefined>;
  listConsents(tenantId: string): Promise<AppConsent[]>;

  getPassword(tenantId: string, userId: string): Promise<PasswordCredential | undefined>;

  /** Every signing key, newest first. */
  listSigningKeys(): Promise<SigningKey[]>;
  getAuthorizationCode(codeHash: string): Promise<AuthorizationCode | undefined>;
  getRefreshTokenByHash(tokenHash: string): Promise<RefreshToken | undefined>;
  getSessionByHash(tokenHash: string): Promise<Session | undefined>;
  getOidcConnection(tenantId: string): Promise<OidcConnection | undefined>;

  /** Audit entries of a tenant (null: platform-level entries), newest first. */
  listAudit(tenantId: string | null, filter: AuditFilter, page: AuditPage): Promise<AuditEntry[]>;
  /** A server-wide secret by name (the hashing key), if generated. */
  getServerSecret(name: string): Promise<string | undefined>;
}

/**
 * Identity writes. The boolean ones are conditional: they change nothing and return false when the
 * row is not as expected (a duplicate, an already used code, an already rotated token), so a
 * replayed code or refresh token can never be redeemed twice, even by two racing requests.
 */
export interface IdentityTx extends IdentityReads {
  /** False when the e-mail (or external id) is taken in the tenant. */
  insertUser(user: User): Promise<boolean>;
  updateUser(tenantId: string, id: string, patch: UserPatch, at: string): Promise<void>;

  /** False when the name is taken in the tenant. */
  insertGroup(group: Group): Promise<boolean>;
  deleteGroup(tenantId: string, id: string): Promise<boolean>;
  addGroupMember(tenantId: string, groupId: string, userId: string, at: string): Promise<boolean>;
  removeGroupMember(tenantId: string, groupId: string, userId: string): Promise<boolean>;

  /** False when the name is taken in the tenant. */
  insertCustomRole(role: CustomRole): Promise<boolean>;
  deleteCustomRole(tenantId: string, id: string): Promise<boolean>;
  insertRoleAssignment(assignment: RoleAssignment): Promise<void>;
  deleteRoleAssignment(tenantId: string, id: string): Promise<boolean>;
  /** Removes every assignment of one principal (a deleted group or app). */
  deleteRoleAssignmentsOf(tenantId: string, principal: PrincipalRef): Promise<number>;

  insertApp(app: AppRegistration): Promise<void>;
  updateApp(id: string, patch: AppPatch, at: string): Promise<void>;
  insertAppSecret(secret: AppSecret): Promise<void>;
  /** Sets `revokedAt` if not yet revoked. */
  revokeAppSecret(appId: string, id: string, at: string): Promise<boolean>;
  insertAppCertificate(certificate: AppCertificate): Promise<void>;
  revokeAppCertificate(appId: string, id: string, at: string): Promise<boolean>;

  /** Creates or replaces the tenant's consent for the app (clearing any revocation). */
  putConsent(consent: AppConsent): Promise<void>;
  /** Sets `revokedAt` if the consent exists and is not yet revoked. */
  revokeConsent(tenantId: string, appId: string, at: string): Promise<boolean>;

  putPassword(credential: PasswordCredential): Promise<void>;
  setPasswordFailures(tenantId: string, userId: string, failedAttempts: number, lockedUntil: string | null, at: string): Promise<void>;

  insertSigningKey(key: SigningKey): Promise<void>;
  deleteSigningKey(id: string): Promise<void>;

  insertAuthorizationCode(code: AuthorizationCode): Promise<void>;
  /** Sets `usedAt` if the code was unused. */
  useAuthorizationCode(codeHash: string, at: string): Promise<boolean>;

  insertRefreshToken(token: RefreshToken): Promise<void>;
  /** Sets `rotatedAt` if the token was neither rotated nor revoked. */
  rotateRefreshToken(id: string, at: string): Promise<boolean>;
  revokeRefreshFamily(familyId: string, at: string): Promise<void>;
  /** Revokes every refresh token of an app in a tenant (consent revoked) or of a user (disabled). */
  revokeRefreshTokens(tenantId: string, filter: { readonly appId?: string | undefined; readonly userId?: string | undefined }, at: string): Promise<number>;

  insertSession(session: Session): Promise<void>;
  revokeSession(id: string, at: string): Promise<boolean>;
  revokeSessionsOfUser(tenantId: string, userId: string, at: string): Promise<number>;
  /** Replaces the CSRF token hash of a live session (a fresh token issued by `GET /v1/session`). */
  setSessionCsrf(id: string, csrfHash: string): Promise<boolean>;

  /** Also removes attempts that expired by `attempt.createdAt`, so abandoned sign-ins do not pile up. */
  insertSsoAttempt(attempt: SsoAttempt): Promise<void>;
  /** Deletes and returns the attempt (one use, whatever its state); undefined when there is none. */
  takeSsoAttempt(idHash: string): Promise<SsoAttempt | undefined>;

  /**
   * Records a key that may be used once until `expiresAt` (a client assertion's `app jti`); false
   * when it is already recorded and not yet expired: a replay, seen by whichever node gets it.
   * Expired keys are removed on the way.
   */
  useOnce(key: string, expiresAt: string, at: string): Promise<boolean>;

  putOidcConnection(connection: OidcConnection): Promise<void>;
  deleteOidcConnection(tenantId: string): Promise<boolean>;

  appendAudit(entry: NewAuditEntry): Promise<AuditEntry>;
  /** Stores the secret unless one of that name exists; returns the stored value either way. */
  ensureServerSecret(name: string, value: string): Promise<string>;
}
