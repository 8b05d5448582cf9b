import type {
  AppCertificate, AppConsent, AppRegistration, AppSecret, AuditEntry, AuthorizationCode, CustomRole, Group,
  OidcConnection, PasswordCredential, RefreshToken, RoleAssignment, Session, SigningKey, SsoAttempt, User,
} from '../../../core/identity/identity-model.js';
import type {
  AppPatch, AuditFilter, AuditPage, IdentityTx, NewAuditEntry, PrincipalRef, UserPatch,
} from '../../../app/ports/identity-storage.js';
import type { PageRequest } from '../../../app/ports/storage.js';
import type { Row, SqlExecutor } from './sql-driver.js';

const ms = (iso: string): number => Date.parse(iso);
const msOrNull = (iso: string | null): number | null => (iso === null ? null : Date.parse(iso));
const iso = (value: unknown): string => new Date(Number(value)).toISOString();
const isoOrNull = (value: unknown): string | null => (value === null || value === undefined ? null : iso(value));
const str = (value: unknown): string => value as string;
const strOrNull = (value: unknown): string | null => (value === null || value === undefined ? null : (value as string));
const json = <T>(value: unknown): T => JSON.parse(value as string) as T;
const bool = (value: unknown): boolean => Number(value) === 1;

const USER_COLUMNS = 'id, tenant_id, email, display_name, status, agent_id, external_id, created_at, updated_at';
const GROUP_COLUMNS = 'id, tenant_id, name, description, external_id, created_at';
const ROLE_COLUMNS = 'id, tenant_id, name, description, permissions, created_at';
const ASSIGNMENT_COLUMNS = 'id, tenant_id, principal_type, principal_id, role, queue_ids, created_at';
const APP_COLUMNS =
  'id, tenant_id, client_id, name, account_type, redirect_uris, public_client, application_permissions, delegated_scopes, created_at, updated_at';
const SECRET_COLUMNS = 'id, app_id, description, hint, secret_hash, expires_at, created_at, revoked_at';
const CERTIFICATE_COLUMNS = 'id, app_id, description, thumbprint, public_key, expires_at, created_at, revoked_at';
const CONSENT_COLUMNS = 'id, tenant_id, app_id, application_permissions, delegated_scopes, consented_by, consented_at, revoked_at';
const PASSWORD_COLUMNS = 'tenant_id, user_id, hash, failed_attempts, locked_until, updated_at';
const SIGNING_KEY_COLUMNS = 'id, algorithm, public_key, private_key, created_at, activates_at, retires_at, expires_at';
const CODE_COLUMNS =
  'code_hash, tenant_id, app_id, user_id, redirect_uri, scopes, code_challenge, code_challenge_method, nonce, expires_at, used_at';
const REFRESH_COLUMNS = 'id, family_id, token_hash, tenant_id, app_id, user_id, scopes, expires_at, created_at, rotated_at, revoked_at';
const SESSION_COLUMNS = 'id, tenant_id, user_id, token_hash, csrf_hash, method, created_at, expires_at, revoked_at';
const SSO_ATTEMPT_COLUMNS = 'id_hash, tenant_id, state, nonce, code_verifier, return_to, redirect_uri, created_at, expires_at';
const OIDC_COLUMNS = 'tenant_id, issuer, client_id, client_secret, scopes, claims, role_mapping, auto_provision, enabled, updated_at';
/** Without the id, which the database assigns. */
const AUDIT_INSERT_COLUMNS = 'tenant_id, occurred_at, actor_kind, actor_id, action, target_type, target_id, outcome, ip, user_agent, details';
const AUDIT_COLUMNS = `id, ${AUDIT_INSERT_COLUMNS}`;

const placeholders = (n: number): string => Array.from({ length: n }, () => '?').join(', ');

/**
 * Identity tables in plain SQL shared by SQLite and PostgreSQL. Tenant data is read and written
 * with the tenant id in the statement; the conditional writes are single UPDATEs whose WHERE states
 * the expected row, so of two racing transactions only one can change it (on PostgreSQL the second
 * waits for the first's row lock, then re-checks the WHERE and finds nothing to change).
 */
export class SqlIdentityStore implements IdentityTx {
  constructor(private readonly db: SqlExecutor) {}

  // ---- users ------------------------------------------------------------------------------
  async getUser(tenantId: string, id: string): Promise<User | undefined> {
    const row = await this.db.get(`SELECT ${USER_COLUMNS} FROM users WHERE id = ? AND tenant_id = ?`, [id, tenantId]);
    return row && toUser(row);
  }
  async findUserByEmail(tenantId: string, email: string): Promise<User | undefined> {
    const row = await this.db.get(`SELECT ${USER_COLUMNS} FROM users WHERE tenant_id = ? AND email = ?`, [tenantId, email]);
    return row && toUser(row);
  }
  async findUserByExternalId(tenantId: string, externalId: string): Promise<User | undefined> {
    const row = await this.db.get(`SELECT ${USER_COLUMNS} FROM users WHERE tenant_id = ? AND external_id = ?`, [tenantId, externalId]);
    return row && toUser(row);
  }
  async listUsers(tenantId: string, page: PageRequest): Promise<User[]> {
    const rows = page.beforeId === undefined
      ? await this.db.all(`SELECT ${USER_COLUMNS} FROM users WHERE tenant_id = ? ORDER BY id DESC LIMIT ?`, [tenantId, page.limit])
      : await this.db.all(`SELECT ${USER_COLUMNS} FROM users WHERE tenant_id = ? AND id < ? ORDER BY id DESC LIMIT ?`, [tenantId, page.beforeId, page.limit]);
    return rows.map(toUser);
  }
  async insertUser(u: User): Promise<boolean> {
    // DO NOTHING without a target covers the e-mail and the (partial) external id index alike; an
    // exception instead would abort the whole PostgreSQL transaction.
    const changed = await this.db.run(`INSERT INTO users (${USER_COLUMNS}) VALUES (${placeholders(9)}) ON CONFLICT DO NOTHING`, [
      u.id, u.tenantId, u.email, u.displayName, u.status, u.agentId, u.externalId, ms(u.createdAt), ms(u.updatedAt),
    ]);
    return changed === 1;
  }
  async updateUser(tenantId: string, id: string, patch: UserPatch, at: string): Promise<void> {
    const { sets, params } = given([
      ['display_name', patch.displayName], ['status', patch.status], ['agent_id', patch.agentId], ['external_id', patch.externalId],
    ]);
    if (sets.length === 0) return;
    await this.db.run(`UPDATE users SET ${sets.join(', ')}, updated_at = ? WHERE id = ? AND tenant_id = ?`, [...params, ms(at), id, tenantId]);
  }

  // ---- groups -----------------------------------------------------------------------------
  async getGroup(tenantId: string, id: string): Promise<Group | undefined> {
    const row = await this.db.get(`SELECT ${GROUP_COLUMNS} FROM user_groups WHERE id = ? AND tenant_id = ?`, [id, tenantId]);
    return row && toGroup(row);
  }
  async findGroupByExternalId(tenantId: string, externalId: string): Promise<Group | undefined> {
    // Not unique: two groups may map one claim value; the oldest id answers, always the same one.
    const row = await this.db.get(`SELECT ${GROUP_COLUMNS} FROM user_groups WHERE tenant_id = ? AND external_id = ? ORDER BY id LIMIT 1`, [tenantId, externalId]);
    return row && toGroup(row);
  }
  async listGroups(tenantId: string): Promise<Group[]> {
    return (await this.db.all(`SELECT ${GROUP_COLUMNS} FROM user_groups WHERE tenant_id = ? ORDER BY name, id`, [tenantId])).map(toGroup);
  }
  async listGroupMembers(tenantId: string, groupId: string): Promise<string[]> {
    const rows = await this.db.all<{ user_id: string }>('SELECT user_id FROM group_members WHERE group_id = ? AND tenant_id = ? ORDER BY user_id', [groupId, tenantId]);
    return rows.map((r) => r.user_id);
  }
  async listGroupsOfUser(tenantId: string, userId: string): Promise<string[]> {
    const rows = await this.db.all<{ group_id: string }>('SELECT group_id FROM group_members WHERE tenant_id = ? AND user_id = ? ORDER BY group_id', [tenantId, userId]);
    return rows.map((r) => r.group_id);
  }
  async insertGroup(g: Group): Promise<boolean> {
    const changed = await this.db.run(`INSERT INTO user_groups (${GROUP_COLUMNS}) VALUES (${placeholders(6)}) ON CONFLICT DO NOTHING`, [
      g.id, g.tenantId, g.name, g.description, g.externalId, ms(g.createdAt),
    ]);
    return changed === 1;
  }
  async deleteGroup(tenantId: string, id: string): Promise<boolean> {
    await this.db.run('DELETE FROM group_members WHERE group_id = ? AND tenant_id = ?', [id, tenantId]);
    return (await this.db.run('DELETE FROM user_groups WHERE id = ? AND tenant_id = ?', [id, tenantId])) === 1;
  }
  async addGroupMember(tenantId: string, groupId: string, userId: string, at: string): Promise<boolean> {
    // The key (group_id, user_id) has no tenant: a row written under the wrong tenant id would hide
    // from the owner yet block its own insert, so both ends must be the tenant's.
    const group = await this.db.get('SELECT id FROM user_groups WHERE id = ? AND tenant_id = ?', [groupId, tenantId]);
    const user = group && (await this.db.get('SELECT id FROM users WHERE id = ? AND tenant_id = ?', [userId, tenantId]));
    if (!group || !user) return false;
    const changed = await this.db.run(
      'INSERT INTO group_members (group_id, user_id, tenant_id, added_at) VALUES (?, ?, ?, ?) ON CONFLICT DO NOTHING', [groupId, userId, tenantId, ms(at)],
    );
    return changed === 1;
  }
  async removeGroupMember(tenantId: string, groupId: string, userId: string): Promise<boolean> {
    return (await this.db.run('DELETE FROM group_members WHERE group_id = ? AND user_id = ? AND tenant_id = ?', [groupId, userId, tenantId])) === 1;
  }

  // ---- roles ------------------------------------------------------------------------------
  async getCustomRole(tenantId: string, id: string): Promise<CustomRole | undefined> {
    const row = await this.db.get(`SELECT ${ROLE_COLUMNS} FROM custom_roles WHERE id = ? AND tenant_id = ?`, [id, tenantId]);
    return row && toRole(row);
  }
  async listCustomRoles(tenantId: string): Promise<CustomRole[]> {
    return (await this.db.all(`SELECT ${ROLE_COLUMNS} FROM custom_roles WHERE tenant_id = ? ORDER BY name, id`, [tenantId])).map(toRole);
  }
  async insertCustomRole(r: CustomRole): Promise<boolean> {
    const changed = await this.db.run(`INSERT INTO custom_roles (${ROLE_COLUMNS}) VALUES (${placeholders(6)}) ON CONFLICT DO NOTHING`, [
      r.id, r.tenantId, r.name, r.description, JSON.stringify(r.permissions), ms(r.createdAt),
    ]);
    return changed === 1;
  }
  async deleteCustomRole(tenantId: string, id: string): Promise<boolean> {
    return (await this.db.run('DELETE FROM custom_roles WHERE id = ? AND tenant_id = ?', [id, tenantId])) === 1;
  }
  async getRoleAssignment(tenantId: string, id: string): Promise<RoleAssignment | undefined> {
    const row = await this.db.get(`SELECT ${ASSIGNMENT_COLUMNS} FROM role_assignments WHERE id = ? AND tenant_id = ?`, [id, tenantId]);
    return row && toAssignment(row);
  }
  async listRoleAssignments(tenantId: string, principals?: readonly PrincipalRef[]): Promise<RoleAssignment[]> {
    if (principals === undefined) {
      return (await this.db.all(`SELECT ${ASSIGNMENT_COLUMNS} FROM role_assignments WHERE tenant_id = ? ORDER BY id`, [tenantId])).map(toAssignment);
    }
    // No principals, no assignments (and an empty OR list would not be SQL).
    if (principals.length === 0) return [];
    const any = principals.map(() => '(principal_type = ? AND principal_id = ?)').join(' OR ');
    const rows = await this.db.all(`SELECT ${ASSIGNMENT_COLUMNS} FROM role_assignments WHERE tenant_id = ? AND (${any}) ORDER BY id`, [
      tenantId, ...principals.flatMap((p) => [p.type, p.id]),
    ]);
    return rows.map(toAssignment);
  }
  async insertRoleAssignment(a: RoleAssignment): Promise<void> {
    await this.db.run(`INSERT INTO role_assignments (${ASSIGNMENT_COLUMNS}) VALUES (${placeholders(7)})`, [
      a.id, a.tenantId, a.principalType, a.principalId, a.role, a.queueIds === null ? null : JSON.stringify(a.queueIds), ms(a.createdAt),
    ]);
  }
  async deleteRoleAssignment(tenantId: string, id: string): Promise<boolean> {
    return (await this.db.run('DELETE FROM role_assignments WHERE id = ? AND tenant_id = ?', [id, tenantId])) === 1;
  }
  async deleteRoleAssignmentsOf(tenantId: string, principal: PrincipalRef): Promise<number> {
    return this.db.run('DELETE FROM role_assignments WHERE tenant_id = ? AND principal_type = ? AND principal_id = ?', [tenantId, principal.type, principal.id]);
  }

  // ---- applications -----------------------------------------------------------------------
  async getApp(id: string): Promise<AppRegistration | undefined> {
    const row = await this.db.get(`SELECT ${APP_COLUMNS} FROM app_registrations WHERE id = ?`, [id]);
    return row && toApp(row);
  }
  async getAppByClientId(clientId: string): Promise<AppRegistration | undefined> {
    const row = await this.db.get(`SELECT ${APP_COLUMNS} FROM app_registrations WHERE client_id = ?`, [clientId]);
    return row && toApp(row);
  }
  async listApps(tenantId: string): Promise<AppRegistration[]> {
    return (await this.db.all(`SELECT ${APP_COLUMNS} FROM app_registrations WHERE tenant_id = ? ORDER BY id`, [tenantId])).map(toApp);
  }
  async insertApp(a: AppRegistration): Promise<void> {
    await this.db.run(`INSERT INTO app_registrations (${APP_COLUMNS}) VALUES (${placeholders(11)})`, [
      a.id, a.tenantId, a.clientId, a.name, a.accountType, JSON.stringify(a.redirectUris), a.publicClient ? 1 : 0,
      JSON.stringify(a.applicationPermissions), JSON.stringify(a.delegatedScopes), ms(a.createdAt), ms(a.updatedAt),
    ]);
  }
  async updateApp(id: string, patch: AppPatch, at: string): Promise<void> {
    const { sets, params } = given([
      ['name', patch.name],
      ['redirect_uris', patch.redirectUris === undefined ? undefined : JSON.stringify(patch.redirectUris)],
      ['application_permissions', patch.applicationPermissions === undefined ? undefined : JSON.stringify(patch.applicationPermissions)],
      ['delegated_scopes', patch.delegatedScopes === undefined ? undefined : JSON.stringify(patch.delegatedScopes)],
    ]);
    if (sets.length === 0) return;
    await this.db.run(`UPDATE app_registrations SET ${sets.join(', ')}, updated_at = ? WHERE id = ?`, [...params, ms(at), id]);
  }
  async listAppSecrets(appId: string): Promise<AppSecret[]> {
    return (await this.db.all(`SELECT ${SECRET_COLUMNS} FROM app_secrets WHERE app_id = ? ORDER BY created_at, id`, [appId])).map(toSecret);
  }
  async insertAppSecret(s: AppSecret): Promise<void> {
    const tenantId = await this.tenantOfApp(s.appId);
    await this.db.run(`INSERT INTO app_secrets (${SECRET_COLUMNS}, tenant_id) VALUES (${placeholders(9)})`, [
      s.id, s.appId, s.description, s.hint, s.secretHash, ms(s.expiresAt), ms(s.createdAt), msOrNull(s.revokedAt), tenantId,
    ]);
  }
  async revokeAppSecret(appId: string, id: string, at: string): Promise<boolean> {
    const changed = await this.db.run('UPDATE app_secrets SET revoked_at = ? WHERE id = ? AND app_id = ? AND revoked_at IS NULL', [ms(at), id, appId]);
    return changed === 1;
  }
  async listAppCertificates(appId: string): Promise<AppCertificate[]> {
    return (await this.db.all(`SELECT ${CERTIFICATE_COLUMNS} FROM app_certificates WHERE app_id = ? ORDER BY created_at, id`, [appId])).map(toCertificate);
  }
  async findAppCertificate(appId: string, thumbprint: string): Promise<AppCertificate | undefined> {
    const row = await this.db.get(`SELECT ${CERTIFICATE_COLUMNS} FROM app_certificates WHERE app_id = ? AND thumbprint = ?`, [appId, thumbprint]);
    return row && toCertificate(row);
  }
  async insertAppCertificate(c: AppCertificate): Promise<void> {
    const tenantId = await this.tenantOfApp(c.appId);
    await this.db.run(`INSERT INTO app_certificates (${CERTIFICATE_COLUMNS}, tenant_id) VALUES (${placeholders(9)})`, [
      c.id, c.appId, c.description, c.thumbprint, JSON.stringify(c.publicKey), msOrNull(c.expiresAt), ms(c.createdAt), msOrNull(c.revokedAt), tenantId,
    ]);
  }
  async revokeAppCertificate(appId: string, id: string, at: string): Promise<boolean> {
    const changed = await this.db.run('UPDATE app_certificates SET revoked_at = ? WHERE id = ? AND app_id = ? AND revoked_at IS NULL', [ms(at), id, appId]);
    return changed === 1;
  }
  /** Secrets and certificates carry their app's tenant; an unknown app is a caller's bug, not a miss. */
  private async tenantOfApp(appId: string): Promise<string> {
    const row = await this.db.get<{ tenant_id: string }>('SELECT tenant_id FROM app_registrations WHERE id = ?', [appId]);
    if (!row) throw new Error(`no app registration ${appId}`);
    return row.tenant_id;
  }

  // ---- consent ----------------------------------------------------------------------------
  async getConsent(tenantId: string, appId: string): Promise<AppConsent | undefined> {
    const row = await this.db.get(`SELECT ${CONSENT_COLUMNS} FROM app_consents WHERE tenant_id = ? AND app_id = ?`, [tenantId, appId]);
    return row && toConsent(row);
  }
  async listConsents(tenantId: string): Promise<AppConsent[]> {
    return (await this.db.all(`SELECT ${CONSENT_COLUMNS} FROM app_consents WHERE tenant_id = ? ORDER BY app_id`, [tenantId])).map(toConsent);
  }
  async putConsent(c: AppConsent): Promise<void> {
    // A put is a consent given now: it replaces the whole row and never leaves a revocation behind.
    await this.db.run(
      `INSERT INTO app_consents (${CONSENT_COLUMNS}) VALUES (${placeholders(8)})
       ON CONFLICT (tenant_id, app_id) DO UPDATE SET id = excluded.id, application_permissions = excluded.application_permissions,
         delegated_scopes = excluded.delegated_scopes, consented_by = excluded.consented_by, consented_at = excluded.consented_at, revoked_at = NULL`,
      [c.id, c.tenantId, c.appId, JSON.stringify(c.applicationPermissions), JSON.stringify(c.delegatedScopes), c.consentedBy, ms(c.consentedAt), null],
    );
  }
  async revokeConsent(tenantId: string, appId: string, at: string): Promise<boolean> {
    const changed = await this.db.run('UPDATE app_consents SET revoked_at = ? WHERE tenant_id = ? AND app_id = ? AND revoked_at IS NULL', [ms(at), tenantId, appId]);
    return changed === 1;
  }

  // ---- passwords --------------------------------------------------------------------------
  async getPassword(tenantId: string, userId: string): Promise<PasswordCredential | undefined> {
    const row = await this.db.get(`SELECT ${PASSWORD_COLUMNS} FROM password_credentials WHERE tenant_id = ? AND user_id = ?`, [tenantId, userId]);
    return row && toPassword(row);
  }
  async putPassword(p: PasswordCredential): Promise<void> {
    await this.db.run(
      `INSERT INTO password_credentials (${PASSWORD_COLUMNS}) VALUES (${placeholders(6)})
       ON CONFLICT (tenant_id, user_id) DO UPDATE SET hash = excluded.hash, failed_attempts = excluded.failed_attempts,
         locked_until = excluded.locked_until, updated_at = excluded.updated_at`,
      [p.tenantId, p.userId, p.hash, p.failedAttempts, msOrNull(p.lockedUntil), ms(p.updatedAt)],
    );
  }
  async setPasswordFailures(tenantId: string, userId: string, failedAttempts: number, lockedUntil: string | null, at: string): Promise<void> {
    await this.db.run('UPDATE password_credentials SET failed_attempts = ?, locked_until = ?, updated_at = ? WHERE tenant_id = ? AND user_id = ?', [
      failedAttempts, msOrNull(lockedUntil), ms(at), tenantId, userId,
    ]);
  }

  // ---- signing keys, codes, refresh tokens, sessions --------------------------------------
  async listSigningKeys(): Promise<SigningKey[]> {
    return (await this.db.all(`SELECT ${SIGNING_KEY_COLUMNS} FROM signing_keys ORDER BY created_at DESC, id DESC`)).map(toSigningKey);
  }
  async insertSigningKey(k: SigningKey): Promise<void> {
    await this.db.run(`INSERT INTO signing_keys (${SIGNING_KEY_COLUMNS}) VALUES (${placeholders(8)})`, [
      k.id, k.algorithm, JSON.stringify(k.publicKey), JSON.stringify(k.privateKey), ms(k.createdAt), ms(k.activatesAt), ms(k.retiresAt), ms(k.expiresAt),
    ]);
  }
  async deleteSigningKey(id: string): Promise<void> {
    await this.db.run('DELETE FROM signing_keys WHERE id = ?', [id]);
  }

  async getAuthorizationCode(codeHash: string): Promise<AuthorizationCode | undefined> {
    const row = await this.db.get(`SELECT ${CODE_COLUMNS} FROM authorization_codes WHERE code_hash = ?`, [codeHash]);
    return row && toCode(row);
  }
  async insertAuthorizationCode(c: AuthorizationCode): Promise<void> {
    await this.db.run(`INSERT INTO authorization_codes (${CODE_COLUMNS}) VALUES (${placeholders(11)})`, [
      c.codeHash, c.tenantId, c.appId, c.userId, c.redirectUri, JSON.stringify(c.scopes), c.codeChallenge, c.codeChallengeMethod, c.nonce,
      ms(c.expiresAt), msOrNull(c.usedAt),
    ]);
  }
  async useAuthorizationCode(codeHash: string, at: string): Promise<boolean> {
    return (await this.db.run('UPDATE authorization_codes SET used_at = ? WHERE code_hash = ? AND used_at IS NULL', [ms(at), codeHash])) === 1;
  }

  async getRefreshTokenByHash(tokenHash: string): Promise<RefreshToken | undefined> {
    const row = await this.db.get(`SELECT ${REFRESH_COLUMNS} FROM refresh_tokens WHERE token_hash = ?`, [tokenHash]);
    return row && toRefreshToken(row);
  }
  async insertRefreshToken(t: RefreshToken): Promise<void> {
    await this.db.run(`INSERT INTO refresh_tokens (${REFRESH_COLUMNS}) VALUES (${placeholders(11)})`, [
      t.id, t.familyId, t.tokenHash, t.tenantId, t.appId, t.userId, JSON.stringify(t.scopes), ms(t.expiresAt), ms(t.createdAt),
      msOrNull(t.rotatedAt), msOrNull(t.revokedAt),
    ]);
  }
  async rotateRefreshToken(id: string, at: string): Promise<boolean> {
    const changed = await this.db.run('UPDATE refresh_tokens SET rotated_at = ? WHERE id = ? AND rotated_at IS NULL AND revoked_at IS NULL', [ms(at), id]);
    return changed === 1;
  }
  async revokeRefreshFamily(familyId: string, at: string): Promise<void> {
    // Tokens revoked earlier keep their first revocation time.
    await this.db.run('UPDATE refresh_tokens SET revoked_at = ? WHERE family_id = ? AND revoked_at IS NULL', [ms(at), familyId]);
  }
  async revokeRefreshTokens(
    tenantId: string, filter: { readonly appId?: string | undefined; readonly userId?: string | undefined }, at: string,
  ): Promise<number> {
    // With neither filter every token of the tenant goes: revoking too much fails safe.
    const { sets: conditions, params } = given([['app_id', filter.appId], ['user_id', filter.userId]]);
    return this.db.run(`UPDATE refresh_tokens SET revoked_at = ? WHERE tenant_id = ?${conditions.map((c) => ` AND ${c}`).join('')} AND revoked_at IS NULL`, [
      ms(at), tenantId, ...params,
    ]);
  }

  async getSessionByHash(tokenHash: string): Promise<Session | undefined> {
    const row = await this.db.get(`SELECT ${SESSION_COLUMNS} FROM sessions WHERE token_hash = ?`, [tokenHash]);
    return row && toSession(row);
  }
  async insertSession(s: Session): Promise<void> {
    await this.db.run(`INSERT INTO sessions (${SESSION_COLUMNS}) VALUES (${placeholders(9)})`, [
      s.id, s.tenantId, s.userId, s.tokenHash, s.csrfHash, s.method, ms(s.createdAt), ms(s.expiresAt), msOrNull(s.revokedAt),
    ]);
  }
  async revokeSession(id: string, at: string): Promise<boolean> {
    return (await this.db.run('UPDATE sessions SET revoked_at = ? WHERE id = ? AND revoked_at IS NULL', [ms(at), id])) === 1;
  }
  async revokeSessionsOfUser(tenantId: string, userId: string, at: string): Promise<number> {
    return this.db.run('UPDATE sessions SET revoked_at = ? WHERE tenant_id = ? AND user_id = ? AND revoked_at IS NULL', [ms(at), tenantId, userId]);
  }
  async setSessionCsrf(id: string, csrfHash: string): Promise<boolean> {
    return (await this.db.run('UPDATE sessions SET csrf_hash = ? WHERE id = ? AND revoked_at IS NULL', [csrfHash, id])) === 1;
  }

  // ---- single sign-on ---------------------------------------------------------------------
  async getOidcConnection(tenantId: string): Promise<OidcConnection | undefined> {
    const row = await this.db.get(`SELECT ${OIDC_COLUMNS} FROM oidc_connections WHERE tenant_id = ?`, [tenantId]);
    return row && toOidc(row);
  }
  async insertSsoAttempt(a: SsoAttempt): Promise<void> {
    await this.db.run('DELETE FROM sso_attempts WHERE expires_at <= ?', [ms(a.createdAt)]);
    await this.db.run(`INSERT INTO sso_attempts (${SSO_ATTEMPT_COLUMNS}) VALUES (${placeholders(9)})`, [
      a.idHash, a.tenantId, a.state, a.nonce, a.codeVerifier, a.returnTo, a.redirectUri, ms(a.createdAt), ms(a.expiresAt),
    ]);
  }
  async takeSsoAttempt(idHash: string): Promise<SsoAttempt | undefined> {
    // One statement: of two callbacks racing with the same cookie (on two nodes), one gets the row.
    const row = await this.db.get(`DELETE FROM sso_attempts WHERE id_hash = ? RETURNING ${SSO_ATTEMPT_COLUMNS}`, [idHash]);
    return row && toSsoAttempt(row);
  }
  async useOnce(key: string, expiresAt: string, at: string): Promise<boolean> {
    await this.db.run('DELETE FROM one_time_keys WHERE expires_at <= ?', [ms(at)]);
    return (await this.db.run('INSERT INTO one_time_keys (id, expires_at) VALUES (?, ?) ON CONFLICT DO NOTHING', [key, ms(expiresAt)])) === 1;
  }

  async putOidcConnection(c: OidcConnection): Promise<void> {
    await this.db.run(
      `INSERT INTO oidc_connections (${OIDC_COLUMNS}) VALUES (${placeholders(10)})
       ON CONFLICT (tenant_id) DO UPDATE SET issuer = excluded.issuer, client_id = excluded.client_id, client_secret = excluded.client_secret,
         scopes = excluded.scopes, claims = excluded.claims, role_mapping = excluded.role_mapping, auto_provision = excluded.auto_provision,
         enabled = excluded.enabled, updated_at = excluded.updated_at`,
      [
        c.tenantId, c.issuer, c.clientId, c.clientSecret, JSON.stringify(c.scopes), JSON.stringify(c.claims), JSON.stringify(c.roleMapping),
        c.autoProvision ? 1 : 0, c.enabled ? 1 : 0, ms(c.updatedAt),
      ],
    );
  }
  async deleteOidcConnection(tenantId: string): Promise<boolean> {
    return (await this.db.run('DELETE FROM oidc_connections WHERE tenant_id = ?', [tenantId])) === 1;
  }

  // ---- audit log and server secrets -------------------------------------------------------
  async appendAudit(e: NewAuditEntry): Promise<AuditEntry> {
    const row = await this.db.get<{ id: unknown }>(
      `INSERT INTO audit_log (${AUDIT_INSERT_COLUMNS}) VALUES (${placeholders(11)}) RETURNING id`,
      [e.tenantId, ms(e.occurredAt), e.actorKind, e.actorId, e.action, e.targetType, e.targetId, e.outcome, e.ip, e.userAgent, JSON.stringify(e.details)],
    );
    return { id: Number(row!.id), ...e };
  }
  async listAudit(tenantId: string | null, filter: AuditFilter, page: AuditPage): Promise<AuditEntry[]> {
    // `tenant_id = NULL` matches nothing in SQL: platform entries need IS NULL.
    const where = [tenantId === null ? 'tenant_id IS NULL' : 'tenant_id = ?'];
    const params: unknown[] = tenantId === null ? [] : [tenantId];
    const { sets: equal, params: equalParams } = given([
      ['action', filter.action], ['actor_id', filter.actorId], ['target_id', filter.targetId], ['outcome', filter.outcome],
    ]);
    where.push(...equal);
    params.push(...equalParams);
    if (filter.since !== undefined) { where.push('occurred_at >= ?'); params.push(ms(filter.since)); }
    if (filter.until !== undefined) { where.push('occurred_at < ?'); params.push(ms(filter.until)); }
    if (page.beforeId !== undefined) { where.push('id < ?'); params.push(page.beforeId); }
    const rows = await this.db.all(`SELECT ${AUDIT_COLUMNS} FROM audit_log WHERE ${where.join(' AND ')} ORDER BY id DESC LIMIT ?`, [...params, page.limit]);
    return rows.map(toAudit);
  }
  async getServerSecret(name: string): Promise<string | undefined> {
    const row = await this.db.get<{ value: string }>('SELECT value FROM server_secrets WHERE name = ?', [name]);
    return row?.value;
  }
  async ensureServerSecret(name: string, value: string): Promise<string> {
    // First writer wins: a racing insert on PostgreSQL waits for the winner's commit, then does
    // nothing, and the read that follows (a new statement) sees the winner's value.
    await this.db.run('INSERT INTO server_secrets (name, value) VALUES (?, ?) ON CONFLICT DO NOTHING', [name, value]);
    const stored = await this.getServerSecret(name);
    if (stored === undefined) throw new Error(`server secret ${name} vanished after insert`);
    return stored;
  }
}

/** `column = ?` for each pair whose value is given (undefined means "leave out"), with the values in order. */
function given(pairs: readonly (readonly [string, unknown])[]): { sets: string[]; params: unknown[] } {
  const present = pairs.filter(([, value]) => value !== undefined);
  return { sets: present.map(([column]) => `${column} = ?`), params: present.map(([, value]) => value) };
}

function toUser(r: Row): User {
  return {
    id: str(r.id), tenantId: str(r.tenant_id), email: str(r.email), displayName: str(r.display_name), status: r.status as User['status'],
    agentId: strOrNull(r.agent_id), externalId: strOrNull(r.external_id), createdAt: iso(r.created_at), updatedAt: iso(r.updated_at),
  };
}
function toGroup(r: Row): Group {
  return {
    id: str(r.id), tenantId: str(r.tenant_id), name: str(r.name), description: strOrNull(r.description),
    externalId: strOrNull(r.external_id), createdAt: iso(r.created_at),
  };
}
function toRole(r: Row): CustomRole {
  return {
    id: str(r.id), tenantId: str(r.tenant_id), name: str(r.name), description: strOrNull(r.description),
    permissions: json(r.permissions), createdAt: iso(r.created_at),
  };
}
function toAssignment(r: Row): RoleAssignment {
  return {
    id: str(r.id), tenantId: str(r.tenant_id), principalType: r.principal_type as RoleAssignment['principalType'], principalId: str(r.principal_id),
    role: str(r.role), queueIds: r.queue_ids === null || r.queue_ids === undefined ? null : json(r.queue_ids), createdAt: iso(r.created_at),
  };
}
function toApp(r: Row): AppRegistration {
  return {
    id: str(r.id), tenantId: str(r.tenant_id), clientId: str(r.client_id), name: str(r.name), accountType: r.account_type as AppRegistration['accountType'],
    redirectUris: json(r.redirect_uris), publicClient: bool(r.public_client), applicationPermissions: json(r.application_permissions),
    delegatedScopes: json(r.delegated_scopes), createdAt: iso(r.created_at), updatedAt: iso(r.updated_at),
  };
}
function toSecret(r: Row): AppSecret {
  return {
    id: str(r.id), appId: str(r.app_id), description: str(r.description), hint: str(r.hint), secretHash: str(r.secret_hash),
    expiresAt: iso(r.expires_at), createdAt: iso(r.created_at), revokedAt: isoOrNull(r.revoked_at),
  };
}
function toCertificate(r: Row): AppCertificate {
  return {
    id: str(r.id), appId: str(r.app_id), description: str(r.description), thumbprint: str(r.thumbprint), publicKey: json(r.public_key),
    expiresAt: isoOrNull(r.expires_at), createdAt: iso(r.created_at), revokedAt: isoOrNull(r.revoked_at),
  };
}
function toConsent(r: Row): AppConsent {
  return {
    id: str(r.id), tenantId: str(r.tenant_id), appId: str(r.app_id), applicationPermissions: json(r.application_permissions),
    delegatedScopes: json(r.delegated_scopes), consentedBy: strOrNull(r.consented_by), consentedAt: iso(r.consented_at), revokedAt: isoOrNull(r.revoked_at),
  };
}
function toPassword(r: Row): PasswordCredential {
  return {
    userId: str(r.user_id), tenantId: str(r.tenant_id), hash: str(r.hash), failedAttempts: Number(r.failed_attempts),
    lockedUntil: isoOrNull(r.locked_until), updatedAt: iso(r.updated_at),
  };
}
function toSigningKey(r: Row): SigningKey {
  return {
    id: str(r.id), algorithm: r.algorithm as SigningKey['algorithm'], publicKey: json(r.public_key), privateKey: json(r.private_key),
    createdAt: iso(r.created_at), activatesAt: iso(r.activates_at), retiresAt: iso(r.retires_at), expiresAt: iso(r.expires_at),
  };
}
function toCode(r: Row): AuthorizationCode {
  return {
    codeHash: str(r.code_hash), tenantId: str(r.tenant_id), appId: str(r.app_id), userId: str(r.user_id), redirectUri: str(r.redirect_uri),
    scopes: json(r.scopes), codeChallenge: strOrNull(r.code_challenge), codeChallengeMethod: strOrNull(r.code_challenge_method) as AuthorizationCode['codeChallengeMethod'],
    nonce: strOrNull(r.nonce), expiresAt: iso(r.expires_at), usedAt: isoOrNull(r.used_at),
  };
}
function toRefreshToken(r: Row): RefreshToken {
  return {
    id: str(r.id), familyId: str(r.family_id), tokenHash: str(r.token_hash), tenantId: str(r.tenant_id), appId: str(r.app_id), userId: str(r.user_id),
    scopes: json(r.scopes), expiresAt: iso(r.expires_at), createdAt: iso(r.created_at), rotatedAt: isoOrNull(r.rotated_at), revokedAt: isoOrNull(r.revoked_at),
  };
}
function toSession(r: Row): Session {
  return {
    id: str(r.id), tenantId: str(r.tenant_id), userId: str(r.user_id), tokenHash: str(r.token_hash), csrfHash: str(r.csrf_hash),
    method: r.method as Session['method'], createdAt: iso(r.created_at), expiresAt: iso(r.expires_at), revokedAt: isoOrNull(r.revoked_at),
  };
}
function toSsoAttempt(r: Row): SsoAttempt {
  return {
    idHash: str(r.id_hash), tenantId: str(r.tenant_id), state: str(r.state), nonce: str(r.nonce), codeVerifier: str(r.code_verifier),
    returnTo: str(r.return_to), redirectUri: str(r.redirect_uri), createdAt: iso(r.created_at), expiresAt: iso(r.expires_at),
  };
}
function toOidc(r: Row): OidcConnection {
  return {
    tenantId: str(r.tenant_id), issuer: str(r.issuer), clientId: str(r.client_id), clientSecret: strOrNull(r.client_secret), scopes: json(r.scopes),
    claims: json(r.claims), roleMapping: json(r.role_mapping), autoProvision: bool(r.auto_provision), enabled: bool(r.enabled), updatedAt: iso(r.updated_at),
  };
}
function toAudit(r: Row): AuditEntry {
  return {
    id: Number(r.id), tenantId: strOrNull(r.tenant_id), occurredAt: iso(r.occurred_at), actorKind: str(r.actor_kind), actorId: strOrNull(r.actor_id),
    action: str(r.action), targetType: strOrNull(r.target_type), targetId: strOrNull(r.target_id), outcome: r.outcome as AuditEntry['outcome'],
    ip: strOrNull(r.ip), userAgent: strOrNull(r.user_agent), details: json(r.details),
  };
}
