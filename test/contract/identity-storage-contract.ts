import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { AuditFilter, IdentityTx, NewAuditEntry } from '../../src/app/ports/identity-storage.js';
import type {
  AppCertificate, AppConsent, AppRegistration, AppSecret, AuditEntry, AuthorizationCode, CustomRole, Group, OidcConnection,
  PasswordCredential, RefreshToken, RoleAssignment, Session, SigningKey, SsoAttempt, User,
} from '../../src/core/identity/identity-model.js';
import type { StorageHarness } from './storage-contract.js';
import { raceTransactions } from '../support/race.js';

const BASE = Date.UTC(2026, 0, 1, 9, 0, 0);
/** An instant `s` seconds after the base, as the ISO text the ports use for timestamps. */
const at = (s: number): string => new Date(BASE + s * 1000).toISOString();

/**
 * The behaviour every Storage adapter must have for identity (`storage.read.identity`,
 * `tx.identity`). Besides faithful round trips, two properties carry the security of sign-in: tenant
 * data is only ever found through its own tenant's id, and the conditional writes (a code redeemed,
 * a refresh token rotated, a secret or session revoked) succeed once, even for two racing requests.
 */
export function identityStorageContract(name: string, open: () => Promise<StorageHarness>, skip: false | string = false): void {
  describe(`Identity storage contract: ${name}`, { skip }, () => {
    let harness: StorageHarness;
    let counter = 0;
    /** Ids unique in the database the whole suite shares, sortable in creation order. */
    const id = (prefix: string): string => `${prefix}_${String(++counter).padStart(8, '0')}`;

    before(async () => {
      harness = await open();
      await harness.storage.migrate();
    });
    after(async () => {
      await harness?.storage.close();
      await harness?.cleanup();
    });

    const reads = () => harness.storage.read.identity;
    const write = <T>(work: (identity: IdentityTx) => Promise<T>): Promise<T> => harness.storage.transaction((tx) => work(tx.identity));

    /** `count` transactions at once, really overlapping on PostgreSQL (test/support/race.ts). */
    const race = <T>(count: number, work: (identity: IdentityTx, i: number, together: () => Promise<void>) => Promise<T>): Promise<T[]> =>
      raceTransactions(harness.storage, name.startsWith('PostgreSQL'), count, (tx, i, together) => work(tx.identity, i, together));

    // ---- builders: every field set, the optional ones to a value unless the patch says null ----

    const userOf = (tenantId: string, patch: Partial<User> = {}): User => ({
      id: id('usr'), tenantId, email: `${id('mail')}@example.com`, displayName: 'Zoë O’Brien', status: 'active', agentId: id('agt'),
      externalId: `https://login.example.com|${id('sub')}`, createdAt: at(1), updatedAt: at(2), ...patch,
    });
    const groupOf = (tenantId: string, patch: Partial<Group> = {}): Group => ({
      id: id('grp'), tenantId, name: `Group ${id('n')}`, description: 'Tier 2 — «billing»', externalId: id('claim'), createdAt: at(3), ...patch,
    });
    const roleOf = (tenantId: string, patch: Partial<CustomRole> = {}): CustomRole => ({
      id: id('role'), tenantId, name: `Role ${id('n')}`, description: 'Reads what supervisors read',
      permissions: ['conversations.read', 'queues.read', 'reports.read'], createdAt: at(4), ...patch,
    });
    const assignmentOf = (tenantId: string, patch: Partial<RoleAssignment> = {}): RoleAssignment => ({
      id: id('ras'), tenantId, principalType: 'user', principalId: id('usr'), role: 'supervisor', queueIds: ['que_1', 'que_2'], createdAt: at(5), ...patch,
    });
    const appOf = (tenantId: string, patch: Partial<AppRegistration> = {}): AppRegistration => ({
      id: id('app'), tenantId, clientId: `00000000-0000-4000-8000-${String(++counter).padStart(12, '0')}`, name: 'CRM connector',
      accountType: 'multi-tenant', redirectUris: ['https://crm.example.com/callback', 'http://localhost:8080/cb?x=1&y=2'], publicClient: false,
      applicationPermissions: ['contacts.read', 'conversations.write'], delegatedScopes: ['conversations.read'], createdAt: at(6), updatedAt: at(7), ...patch,
    });
    const secretOf = (appId: string, patch: Partial<AppSecret> = {}): AppSecret => ({
      id: id('sec'), appId, description: 'CI deploy', hint: 'sb_s_Ab3', secretHash: 'a'.repeat(64), expiresAt: at(86_400), createdAt: at(8), revokedAt: null, ...patch,
    });
    const certificateOf = (appId: string, patch: Partial<AppCertificate> = {}): AppCertificate => ({
      id: id('crt'), appId, description: 'Signing cert 2026', thumbprint: id('thumb'),
      publicKey: { kty: 'RSA', n: 'sXch-very-long-modulus', e: 'AQAB', key_ops: ['verify'], ext: true },
      expiresAt: at(90_000), createdAt: at(9), revokedAt: null, ...patch,
    });
    const consentOf = (tenantId: string, appId: string, patch: Partial<AppConsent> = {}): AppConsent => ({
      id: id('cns'), tenantId, appId, applicationPermissions: ['contacts.read'], delegatedScopes: ['conversations.read', 'conversations.write'],
      consentedBy: id('usr'), consentedAt: at(10), revokedAt: null, ...patch,
    });
    const signingKeyOf = (patch: Partial<SigningKey> = {}): SigningKey => ({
      id: id('kid'), algorithm: 'RS256', publicKey: { kty: 'RSA', n: 'modulus', e: 'AQAB', alg: 'RS256', use: 'sig' },
      privateKey: { kty: 'RSA', n: 'modulus', e: 'AQAB', d: 'private', p: 'p', q: 'q' }, createdAt: at(11), activatesAt: at(12),
      retiresAt: at(13), expiresAt: at(14), ...patch,
    });
    const codeOf = (w: World, patch: Partial<AuthorizationCode> = {}): AuthorizationCode => ({
      codeHash: id('codehash'), tenantId: w.tenantId, appId: w.app.id, userId: w.user.id, redirectUri: 'https://crm.example.com/callback',
      scopes: ['conversations.read', 'contacts.read'], codeChallenge: 'E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM', codeChallengeMethod: 'S256',
      nonce: 'n-0S6_WzA2Mj', expiresAt: at(60), usedAt: null, ...patch,
    });
    const refreshOf = (w: World, patch: Partial<RefreshToken> = {}): RefreshToken => ({
      id: id('rtk'), familyId: id('fam'), tokenHash: id('rthash'), tenantId: w.tenantId, appId: w.app.id, userId: w.user.id,
      scopes: ['conversations.read'], expiresAt: at(3_600), createdAt: at(15), rotatedAt: null, revokedAt: null, ...patch,
    });
    const sessionOf = (w: World, patch: Partial<Session> = {}): Session => ({
      id: id('ses'), tenantId: w.tenantId, userId: w.user.id, tokenHash: id('sshash'), csrfHash: id('csrf'), method: 'password',
      createdAt: at(16), expiresAt: at(28_800), revokedAt: null, ...patch,
    });
    const oidcOf = (tenantId: string, patch: Partial<OidcConnection> = {}): OidcConnection => ({
      tenantId, issuer: 'https://login.example.com/tenant-x/v2.0', clientId: 'switchboard-client', clientSecret: 'provider-secret',
      scopes: ['openid', 'email', 'profile'], claims: { email: 'email', name: 'name', groups: 'groups', roles: 'roles' },
      roleMapping: { 'CC.Admin': 'tenant-admin', 'CC.Supervisor': 'supervisor' }, autoProvision: true, enabled: true, updatedAt: at(17), ...patch,
    });
    const auditOf = (tenantId: string | null, patch: Partial<NewAuditEntry> = {}): NewAuditEntry => ({
      tenantId, occurredAt: at(18), actorKind: 'user', actorId: id('usr'), action: 'app.secret_created', targetType: 'app', targetId: id('app'),
      outcome: 'success', ip: '203.0.113.7', userAgent: 'Mozilla/5.0 (X11)', details: { secretId: 'sec_1', permissions: ['contacts.read'], nested: { n: 1, ok: true, none: null } },
      ...patch,
    });

    interface World { tenantId: string; user: User; app: AppRegistration }

    /** A tenant (inserted first, as everything refers to it) with one user and one app it owns. */
    async function world(label = 'Acme'): Promise<World> {
      const tenantId = id('ten');
      const user = userOf(tenantId);
      const app = appOf(tenantId);
      await harness.storage.transaction(async (tx) => {
        await tx.insertTenant({ id: tenantId, name: label, createdAt: at(0) });
        assert.equal(await tx.identity.insertUser(user), true);
        await tx.identity.insertApp(app);
      });
      return { tenantId, user, app };
    }

    // ---- round trips ------------------------------------------------------------------------

    /** Each case writes records and returns [what was written, what a read returns] pairs. */
    const roundTrips: readonly { what: string; pairs: (w: World) => Promise<Array<[written: unknown, read: unknown]>> }[] = [
      {
        what: 'users, with every field and with the nullable ones null, by id, e-mail and external id',
        pairs: async (w) => {
          const bare = userOf(w.tenantId, { agentId: null, externalId: null, status: 'invited' });
          await write((i) => i.insertUser(bare));
          const r = reads();
          return [
            [w.user, await r.getUser(w.tenantId, w.user.id)], [w.user, await r.findUserByEmail(w.tenantId, w.user.email)],
            [w.user, await r.findUserByExternalId(w.tenantId, w.user.externalId!)], [bare, await r.getUser(w.tenantId, bare.id)],
          ];
        },
      },
      {
        what: 'groups, by id and external id',
        pairs: async (w) => {
          const full = groupOf(w.tenantId);
          const bare = groupOf(w.tenantId, { description: null, externalId: null });
          await write(async (i) => { await i.insertGroup(full); await i.insertGroup(bare); });
          return [
            [full, await reads().getGroup(w.tenantId, full.id)], [full, await reads().findGroupByExternalId(w.tenantId, full.externalId!)],
            [bare, await reads().getGroup(w.tenantId, bare.id)],
          ];
        },
      },
      {
        what: 'custom roles with their permission list (empty too)',
        pairs: async (w) => {
          const full = roleOf(w.tenantId);
          const bare = roleOf(w.tenantId, { description: null, permissions: [] });
          await write(async (i) => { await i.insertCustomRole(full); await i.insertCustomRole(bare); });
          return [[full, await reads().getCustomRole(w.tenantId, full.id)], [bare, await reads().getCustomRole(w.tenantId, bare.id)]];
        },
      },
      {
        what: 'role assignments with a queue scope, an empty scope and none (the whole tenant)',
        pairs: async (w) => {
          const scoped = assignmentOf(w.tenantId);
          const empty = assignmentOf(w.tenantId, { principalType: 'group', queueIds: [] });
          const tenantWide = assignmentOf(w.tenantId, { principalType: 'app', role: 'role_00000001', queueIds: null });
          await write(async (i) => { for (const a of [scoped, empty, tenantWide]) await i.insertRoleAssignment(a); });
          return [
            [scoped, await reads().getRoleAssignment(w.tenantId, scoped.id)], [empty, await reads().getRoleAssignment(w.tenantId, empty.id)],
            [tenantWide, await reads().getRoleAssignment(w.tenantId, tenantWide.id)],
          ];
        },
      },
      {
        what: 'app registrations, confidential and public, by id and client id',
        pairs: async (w) => {
          const spa = appOf(w.tenantId, { accountType: 'single-tenant', publicClient: true, redirectUris: [], applicationPermissions: [], delegatedScopes: [] });
          await write((i) => i.insertApp(spa));
          return [
            [w.app, await reads().getApp(w.app.id)], [w.app, await reads().getAppByClientId(w.app.clientId)], [spa, await reads().getApp(spa.id)],
          ];
        },
      },
      {
        what: 'app secrets and certificates (a JWK object, with and without expiry), revoked or not',
        pairs: async (w) => {
          const live = secretOf(w.app.id);
          const revoked = secretOf(w.app.id, { createdAt: at(20), revokedAt: at(21) });
          const cert = certificateOf(w.app.id);
          const forever = certificateOf(w.app.id, { expiresAt: null, createdAt: at(22), revokedAt: at(23) });
          await write(async (i) => {
            await i.insertAppSecret(revoked); await i.insertAppSecret(live);
            await i.insertAppCertificate(forever); await i.insertAppCertificate(cert);
          });
          return [
            [[live, revoked], await reads().listAppSecrets(w.app.id)], [[cert, forever], await reads().listAppCertificates(w.app.id)],
            [cert, await reads().findAppCertificate(w.app.id, cert.thumbprint)], [forever, await reads().findAppCertificate(w.app.id, forever.thumbprint)],
          ];
        },
      },
      {
        what: 'consents, with and without who consented',
        pairs: async (w) => {
          const other = appOf(w.tenantId);
          const full = consentOf(w.tenantId, w.app.id);
          const bare = consentOf(w.tenantId, other.id, { consentedBy: null, applicationPermissions: [], delegatedScopes: [] });
          await write(async (i) => { await i.insertApp(other); await i.putConsent(full); await i.putConsent(bare); });
          return [[full, await reads().getConsent(w.tenantId, w.app.id)], [bare, await reads().getConsent(w.tenantId, other.id)]];
        },
      },
      {
        what: 'password credentials, locked and not',
        pairs: async (w) => {
          const other = userOf(w.tenantId);
          const locked: PasswordCredential = { userId: w.user.id, tenantId: w.tenantId, hash: 'scrypt$16384$8$1$c2FsdA$aGFzaA', failedAttempts: 5, lockedUntil: at(900), updatedAt: at(24) };
          const fresh: PasswordCredential = { userId: other.id, tenantId: w.tenantId, hash: 'scrypt$16384$8$1$b3RoZXI$eA', failedAttempts: 0, lockedUntil: null, updatedAt: at(25) };
          await write(async (i) => { await i.insertUser(other); await i.putPassword(locked); await i.putPassword(fresh); });
          return [[locked, await reads().getPassword(w.tenantId, w.user.id)], [fresh, await reads().getPassword(w.tenantId, other.id)]];
        },
      },
      {
        what: 'authorization codes, with PKCE and a nonce and without',
        pairs: async (w) => {
          const full = codeOf(w);
          const bare = codeOf(w, { codeChallenge: null, codeChallengeMethod: null, nonce: null, scopes: [], usedAt: at(30) });
          await write(async (i) => { await i.insertAuthorizationCode(full); await i.insertAuthorizationCode(bare); });
          return [[full, await reads().getAuthorizationCode(full.codeHash)], [bare, await reads().getAuthorizationCode(bare.codeHash)]];
        },
      },
      {
        what: 'refresh tokens, live, rotated and revoked',
        pairs: async (w) => {
          const live = refreshOf(w);
          const spent = refreshOf(w, { familyId: live.familyId, rotatedAt: at(31), revokedAt: at(32), scopes: [] });
          await write(async (i) => { await i.insertRefreshToken(live); await i.insertRefreshToken(spent); });
          return [[live, await reads().getRefreshTokenByHash(live.tokenHash)], [spent, await reads().getRefreshTokenByHash(spent.tokenHash)]];
        },
      },
      {
        what: 'sessions by password and by SSO, one revoked',
        pairs: async (w) => {
          const password = sessionOf(w);
          const sso = sessionOf(w, { method: 'sso', revokedAt: at(33) });
          await write(async (i) => { await i.insertSession(password); await i.insertSession(sso); });
          return [[password, await reads().getSessionByHash(password.tokenHash)], [sso, await reads().getSessionByHash(sso.tokenHash)]];
        },
      },
      {
        what: 'an OIDC connection with its claims and role mapping, and one without a secret, switched off',
        pairs: async (w) => {
          const full = oidcOf(w.tenantId);
          const other = await world('Other');
          const bare = oidcOf(other.tenantId, { clientSecret: null, scopes: [], roleMapping: {}, autoProvision: false, enabled: false });
          await write(async (i) => { await i.putOidcConnection(full); await i.putOidcConnection(bare); });
          return [[full, await reads().getOidcConnection(w.tenantId)], [bare, await reads().getOidcConnection(other.tenantId)]];
        },
      },
      {
        what: 'signing keys with both JWKs',
        pairs: async () => {
          const key = signingKeyOf();
          await write((i) => i.insertSigningKey(key));
          return [[key, (await reads().listSigningKeys()).find((k) => k.id === key.id)]];
        },
      },
      {
        what: 'audit entries with details, and one with every optional field null',
        pairs: async (w) => {
          const full = auditOf(w.tenantId);
          const bare = auditOf(w.tenantId, { actorKind: 'anonymous', actorId: null, targetType: null, targetId: null, ip: null, userAgent: null, details: {}, outcome: 'failure' });
          const [a, b] = await write(async (i) => [await i.appendAudit(full), await i.appendAudit(bare)]);
          return [[{ ...full, id: a!.id }, a], [{ ...bare, id: b!.id }, b], [[b, a], await reads().listAudit(w.tenantId, {}, { limit: 10 })]];
        },
      },
    ];
    for (const c of roundTrips) {
      it(`reads back ${c.what} unchanged`, async () => {
        for (const [written, read] of await c.pairs(await world())) assert.deepEqual(read, written);
      });
    }

    // ---- users ------------------------------------------------------------------------------

    it('refuses a second user with a taken e-mail or external id, without an error; null external ids never collide', async () => {
      const w = await world();
      const other = await world('Other');
      const cases: readonly { what: string; user: User; inserted: boolean }[] = [
        { what: 'same e-mail', user: userOf(w.tenantId, { email: w.user.email }), inserted: false },
        { what: 'same external id', user: userOf(w.tenantId, { externalId: w.user.externalId }), inserted: false },
        { what: 'same e-mail in another tenant', user: userOf(other.tenantId, { email: w.user.email }), inserted: true },
        { what: 'same external id in another tenant', user: userOf(other.tenantId, { externalId: w.user.externalId }), inserted: true },
        { what: 'first without external id', user: userOf(w.tenantId, { externalId: null }), inserted: true },
        { what: 'second without external id', user: userOf(w.tenantId, { externalId: null }), inserted: true },
      ];
      for (const c of cases) {
        assert.equal(await write((i) => i.insertUser(c.user)), c.inserted, c.what);
        assert.deepEqual(await reads().getUser(c.user.tenantId, c.user.id), c.inserted ? c.user : undefined, c.what);
      }
      assert.deepEqual(await reads().findUserByEmail(w.tenantId, w.user.email), w.user, 'the first keeps its e-mail');
      // The refusal left the transaction usable: later writes in it still commit (PostgreSQL aborts a transaction on an error).
      const later = userOf(w.tenantId);
      await write(async (i) => {
        assert.equal(await i.insertUser(userOf(w.tenantId, { email: w.user.email })), false);
        assert.equal(await i.insertUser(later), true);
      });
      assert.deepEqual(await reads().getUser(w.tenantId, later.id), later);
    });

    it('a user of another tenant is not found by id, e-mail or external id, nor listed', async () => {
      const a = await world('A');
      const b = await world('B');
      const r = reads();
      assert.equal(await r.getUser(b.tenantId, a.user.id), undefined);
      assert.equal(await r.findUserByEmail(b.tenantId, a.user.email), undefined);
      assert.equal(await r.findUserByExternalId(b.tenantId, a.user.externalId!), undefined);
      assert.deepEqual(await r.listUsers(b.tenantId, { limit: 100 }), [b.user]);
      assert.deepEqual(await r.getUser(a.tenantId, a.user.id), a.user, 'through its own tenant it is found');
    });

    it('updates only the fields a patch names (null clears), stamps the update time, and never another tenant’s user', async () => {
      const w = await world();
      const other = await world('Other');
      await write((i) => i.updateUser(w.tenantId, w.user.id, { displayName: 'Zoë B.', status: 'disabled' }, at(40)));
      const v2 = { ...w.user, displayName: 'Zoë B.', status: 'disabled' as const, updatedAt: at(40) };
      assert.deepEqual(await reads().getUser(w.tenantId, w.user.id), v2);
      await write((i) => i.updateUser(w.tenantId, w.user.id, { agentId: null, externalId: null }, at(41)));
      const v3 = { ...v2, agentId: null, externalId: null, updatedAt: at(41) };
      assert.deepEqual(await reads().getUser(w.tenantId, w.user.id), v3);
      await write((i) => i.updateUser(w.tenantId, w.user.id, { agentId: 'agt_new', externalId: 'iss|new' }, at(42)));
      const v4 = { ...v3, agentId: 'agt_new', externalId: 'iss|new', updatedAt: at(42) };
      assert.deepEqual(await reads().findUserByExternalId(w.tenantId, 'iss|new'), v4);
      await write((i) => i.updateUser(other.tenantId, w.user.id, { displayName: 'hijacked', status: 'active' }, at(43)));
      assert.deepEqual(await reads().getUser(w.tenantId, w.user.id), v4);
    });

    it('pages users newest first by id (keyset)', async () => {
      const w = await world();
      const more = [userOf(w.tenantId), userOf(w.tenantId), userOf(w.tenantId), userOf(w.tenantId)];
      await write(async (i) => { for (const u of [...more].reverse()) await i.insertUser(u); });
      const all = [w.user, ...more].reverse(); // ids grow with creation
      assert.deepEqual(await reads().listUsers(w.tenantId, { limit: 2 }), all.slice(0, 2));
      assert.deepEqual(await reads().listUsers(w.tenantId, { beforeId: all[1]!.id, limit: 2 }), all.slice(2, 4));
      assert.deepEqual(await reads().listUsers(w.tenantId, { beforeId: all[3]!.id, limit: 2 }), all.slice(4));
      assert.deepEqual(await reads().listUsers(w.tenantId, { beforeId: all[4]!.id, limit: 2 }), []);
    });

    // ---- groups -----------------------------------------------------------------------------

    it('refuses a group or custom role name taken in the tenant; the same name in another tenant is separate', async () => {
      const w = await world();
      const other = await world('Other');
      const group = groupOf(w.tenantId, { name: 'Billing' });
      const role = roleOf(w.tenantId, { name: 'Auditor' });
      const cases: readonly { what: string; insert: (i: IdentityTx) => Promise<boolean>; inserted: boolean }[] = [
        { what: 'group', insert: (i) => i.insertGroup(group), inserted: true },
        { what: 'group, same name', insert: (i) => i.insertGroup(groupOf(w.tenantId, { name: 'Billing' })), inserted: false },
        { what: 'group, same name elsewhere', insert: (i) => i.insertGroup(groupOf(other.tenantId, { name: 'Billing' })), inserted: true },
        { what: 'role', insert: (i) => i.insertCustomRole(role), inserted: true },
        { what: 'role, same name', insert: (i) => i.insertCustomRole(roleOf(w.tenantId, { name: 'Auditor' })), inserted: false },
        { what: 'role, same name elsewhere', insert: (i) => i.insertCustomRole(roleOf(other.tenantId, { name: 'Auditor' })), inserted: true },
      ];
      for (const c of cases) assert.equal(await write(c.insert), c.inserted, c.what);
      assert.deepEqual(await reads().listGroups(w.tenantId), [group]);
      assert.deepEqual(await reads().listCustomRoles(w.tenantId), [role]);
    });

    it('lists groups and custom roles by name, and deletes them once, only in their tenant', async () => {
      const w = await world();
      const other = await world('Other');
      const [zeta, alpha] = [groupOf(w.tenantId, { name: 'Zeta' }), groupOf(w.tenantId, { name: 'Alpha' })];
      const [writer, reader] = [roleOf(w.tenantId, { name: 'Writer' }), roleOf(w.tenantId, { name: 'Reader' })];
      await write(async (i) => {
        await i.insertGroup(zeta); await i.insertGroup(alpha); await i.insertCustomRole(writer); await i.insertCustomRole(reader);
      });
      assert.deepEqual(await reads().listGroups(w.tenantId), [alpha, zeta]);
      assert.deepEqual(await reads().listCustomRoles(w.tenantId), [reader, writer]);
      assert.deepEqual(await reads().listGroups(other.tenantId), []);
      assert.equal(await reads().getGroup(other.tenantId, alpha.id), undefined);
      assert.equal(await reads().getCustomRole(other.tenantId, reader.id), undefined);
      assert.equal(await reads().findGroupByExternalId(other.tenantId, alpha.externalId!), undefined);

      assert.equal(await write((i) => i.deleteGroup(other.tenantId, alpha.id)), false);
      assert.equal(await write((i) => i.deleteCustomRole(other.tenantId, reader.id)), false);
      assert.equal(await write((i) => i.deleteGroup(w.tenantId, alpha.id)), true);
      assert.equal(await write((i) => i.deleteCustomRole(w.tenantId, reader.id)), true);
      assert.equal(await write((i) => i.deleteGroup(w.tenantId, alpha.id)), false);
      assert.equal(await write((i) => i.deleteCustomRole(w.tenantId, reader.id)), false);
      assert.deepEqual(await reads().listGroups(w.tenantId), [zeta]);
      assert.deepEqual(await reads().listCustomRoles(w.tenantId), [writer]);
    });

    it('keeps group membership in both directions, once per pair, and drops it with the group', async () => {
      const w = await world();
      const ben = userOf(w.tenantId);
      const [g1, g2] = [groupOf(w.tenantId), groupOf(w.tenantId)];
      await write(async (i) => { await i.insertUser(ben); await i.insertGroup(g1); await i.insertGroup(g2); });
      const steps: readonly { what: string; run: (i: IdentityTx) => Promise<boolean>; result: boolean }[] = [
        { what: 'ana joins g1', run: (i) => i.addGroupMember(w.tenantId, g1.id, w.user.id, at(50)), result: true },
        { what: 'ben joins g1', run: (i) => i.addGroupMember(w.tenantId, g1.id, ben.id, at(51)), result: true },
        { what: 'ana joins g2', run: (i) => i.addGroupMember(w.tenantId, g2.id, w.user.id, at(52)), result: true },
        { what: 'ana joins g1 again', run: (i) => i.addGroupMember(w.tenantId, g1.id, w.user.id, at(53)), result: false },
      ];
      for (const s of steps) assert.equal(await write(s.run), s.result, s.what);
      assert.deepEqual(await reads().listGroupMembers(w.tenantId, g1.id), [w.user.id, ben.id].sort());
      assert.deepEqual(await reads().listGroupMembers(w.tenantId, g2.id), [w.user.id]);
      assert.deepEqual(await reads().listGroupsOfUser(w.tenantId, w.user.id), [g1.id, g2.id]);
      assert.deepEqual(await reads().listGroupsOfUser(w.tenantId, ben.id), [g1.id]);

      assert.equal(await write((i) => i.removeGroupMember(w.tenantId, g1.id, ben.id)), true);
      assert.equal(await write((i) => i.removeGroupMember(w.tenantId, g1.id, ben.id)), false);
      assert.deepEqual(await reads().listGroupsOfUser(w.tenantId, ben.id), []);

      assert.equal(await write((i) => i.deleteGroup(w.tenantId, g1.id)), true);
      assert.deepEqual(await reads().listGroupMembers(w.tenantId, g1.id), []);
      assert.deepEqual(await reads().listGroupsOfUser(w.tenantId, w.user.id), [g2.id]);
    });

    it('will not make anyone a member across tenants, nor show or remove memberships through another tenant', async () => {
      const a = await world('A');
      const b = await world('B');
      const ga = groupOf(a.tenantId);
      const gb = groupOf(b.tenantId);
      await write(async (i) => { await i.insertGroup(ga); await i.insertGroup(gb); });
      assert.equal(await write((i) => i.addGroupMember(a.tenantId, ga.id, a.user.id, at(1))), true);
      const refused: readonly { what: string; run: (i: IdentityTx) => Promise<boolean> }[] = [
        { what: 'B’s user into A’s group, named as A', run: (i) => i.addGroupMember(a.tenantId, ga.id, b.user.id, at(2)) },
        { what: 'A’s user into B’s group, named as B', run: (i) => i.addGroupMember(b.tenantId, gb.id, a.user.id, at(2)) },
        { what: 'A’s user into A’s group, named as B', run: (i) => i.addGroupMember(b.tenantId, ga.id, a.user.id, at(2)) },
        { what: 'removing A’s membership as B', run: (i) => i.removeGroupMember(b.tenantId, ga.id, a.user.id) },
      ];
      for (const r of refused) assert.equal(await write(r.run), false, r.what);
      assert.deepEqual(await reads().listGroupMembers(b.tenantId, ga.id), []);
      assert.deepEqual(await reads().listGroupsOfUser(b.tenantId, a.user.id), []);
      assert.deepEqual(await reads().listGroupMembers(a.tenantId, ga.id), [a.user.id]);
      assert.deepEqual(await reads().listGroupMembers(b.tenantId, gb.id), []);
    });

    // ---- role assignments -------------------------------------------------------------------

    it('lists the tenant’s role assignments, or those of the given principals only', async () => {
      const w = await world();
      const other = await world('Other');
      const userRole = assignmentOf(w.tenantId, { principalType: 'user', principalId: 'p_1' });
      const userRole2 = assignmentOf(w.tenantId, { principalType: 'user', principalId: 'p_1', role: 'agent', queueIds: null });
      const groupRole = assignmentOf(w.tenantId, { principalType: 'group', principalId: 'p_2' });
      const sameIdOtherType = assignmentOf(w.tenantId, { principalType: 'app', principalId: 'p_2' });
      const elsewhere = assignmentOf(other.tenantId, { principalType: 'user', principalId: 'p_1' });
      await write(async (i) => { for (const a of [userRole, userRole2, groupRole, sameIdOtherType, elsewhere]) await i.insertRoleAssignment(a); });
      const cases: readonly { what: string; principals: Parameters<IdentityTx['listRoleAssignments']>[1]; expected: RoleAssignment[] }[] = [
        { what: 'all of the tenant', principals: undefined, expected: [userRole, userRole2, groupRole, sameIdOtherType] },
        { what: 'no principals', principals: [], expected: [] },
        { what: 'one user', principals: [{ type: 'user', id: 'p_1' }], expected: [userRole, userRole2] },
        { what: 'a user and a group', principals: [{ type: 'user', id: 'p_1' }, { type: 'group', id: 'p_2' }], expected: [userRole, userRole2, groupRole] },
        { what: 'the type matters, not only the id', principals: [{ type: 'app', id: 'p_2' }], expected: [sameIdOtherType] },
        { what: 'nobody assigned', principals: [{ type: 'user', id: 'p_9' }], expected: [] },
      ];
      for (const c of cases) assert.deepEqual(await reads().listRoleAssignments(w.tenantId, c.principals), c.expected, c.what);
      assert.equal(await reads().getRoleAssignment(other.tenantId, userRole.id), undefined);
    });

    it('deletes one assignment, or every assignment of one principal (deleteRoleAssignmentsOf), only in its tenant', async () => {
      const w = await world();
      const other = await world('Other');
      const [g1, g2, g3] = [1, 2, 3].map(() => assignmentOf(w.tenantId, { principalType: 'group', principalId: 'grp_x' }));
      const keptUser = assignmentOf(w.tenantId, { principalType: 'user', principalId: 'grp_x' });
      const keptGroup = assignmentOf(w.tenantId, { principalType: 'group', principalId: 'grp_y' });
      const elsewhere = assignmentOf(other.tenantId, { principalType: 'group', principalId: 'grp_x' });
      await write(async (i) => { for (const a of [g1!, g2!, g3!, keptUser, keptGroup, elsewhere]) await i.insertRoleAssignment(a); });
      assert.equal(await write((i) => i.deleteRoleAssignment(other.tenantId, g1!.id)), false);
      assert.equal(await write((i) => i.deleteRoleAssignment(w.tenantId, g1!.id)), true);
      assert.equal(await write((i) => i.deleteRoleAssignment(w.tenantId, g1!.id)), false);
      assert.equal(await write((i) => i.deleteRoleAssignmentsOf(w.tenantId, { type: 'group', id: 'grp_x' })), 2);
      assert.equal(await write((i) => i.deleteRoleAssignmentsOf(w.tenantId, { type: 'group', id: 'grp_x' })), 0);
      assert.deepEqual(await reads().listRoleAssignments(w.tenantId), [keptUser, keptGroup]);
      assert.deepEqual(await reads().listRoleAssignments(other.tenantId), [elsewhere]);
    });

    // ---- applications -----------------------------------------------------------------------

    it('lists the apps a tenant owns and applies an app patch field by field', async () => {
      const w = await world();
      const other = await world('Other');
      const second = appOf(w.tenantId);
      await write((i) => i.insertApp(second));
      assert.deepEqual(await reads().listApps(w.tenantId), [w.app, second]);
      assert.deepEqual(await reads().listApps(other.tenantId), [other.app]);
      await write((i) => i.updateApp(second.id, { name: 'Renamed', redirectUris: ['https://new.example.com/cb'] }, at(60)));
      const v2 = { ...second, name: 'Renamed', redirectUris: ['https://new.example.com/cb'], updatedAt: at(60) };
      assert.deepEqual(await reads().getApp(second.id), v2);
      await write((i) => i.updateApp(second.id, { applicationPermissions: [], delegatedScopes: ['users.read', 'audit.read'] }, at(61)));
      const v3 = { ...v2, applicationPermissions: [], delegatedScopes: ['users.read', 'audit.read'], updatedAt: at(61) };
      assert.deepEqual(await reads().getAppByClientId(second.clientId), v3);
      assert.equal(await reads().getApp('app_missing'), undefined);
      assert.equal(await reads().getAppByClientId('00000000-0000-4000-8000-ffffffffffff'), undefined);
    });

    it('revokes an app secret or certificate once, and only through its own app', async () => {
      const w = await world();
      const other = appOf(w.tenantId);
      await write((i) => i.insertApp(other));
      const secret = secretOf(w.app.id);
      const cert = certificateOf(w.app.id);
      await write(async (i) => { await i.insertAppSecret(secret); await i.insertAppCertificate(cert); });
      const steps: readonly { what: string; run: (i: IdentityTx) => Promise<boolean>; result: boolean }[] = [
        { what: 'secret through another app', run: (i) => i.revokeAppSecret(other.id, secret.id, at(70)), result: false },
        { what: 'certificate through another app', run: (i) => i.revokeAppCertificate(other.id, cert.id, at(70)), result: false },
        { what: 'secret', run: (i) => i.revokeAppSecret(w.app.id, secret.id, at(71)), result: true },
        { what: 'certificate', run: (i) => i.revokeAppCertificate(w.app.id, cert.id, at(71)), result: true },
        { what: 'secret again', run: (i) => i.revokeAppSecret(w.app.id, secret.id, at(72)), result: false },
        { what: 'certificate again', run: (i) => i.revokeAppCertificate(w.app.id, cert.id, at(72)), result: false },
        { what: 'unknown secret', run: (i) => i.revokeAppSecret(w.app.id, 'sec_missing', at(72)), result: false },
      ];
      for (const s of steps) assert.equal(await write(s.run), s.result, s.what);
      assert.deepEqual(await reads().listAppSecrets(w.app.id), [{ ...secret, revokedAt: at(71) }], 'the first revocation time stays');
      assert.deepEqual(await reads().findAppCertificate(w.app.id, cert.thumbprint), { ...cert, revokedAt: at(71) });
      assert.deepEqual(await reads().listAppSecrets(other.id), []);
      assert.equal(await reads().findAppCertificate(other.id, cert.thumbprint), undefined);
    });

    it('refuses a second certificate with one thumbprint on the same app, but not on another app', async () => {
      const w = await world();
      const other = appOf(w.tenantId);
      await write((i) => i.insertApp(other));
      const cert = certificateOf(w.app.id);
      await write((i) => i.insertAppCertificate(cert));
      await assert.rejects(write((i) => i.insertAppCertificate(certificateOf(w.app.id, { thumbprint: cert.thumbprint }))));
      const twin = certificateOf(other.id, { thumbprint: cert.thumbprint });
      await write((i) => i.insertAppCertificate(twin));
      assert.deepEqual(await reads().listAppCertificates(w.app.id), [cert]);
      assert.deepEqual(await reads().findAppCertificate(other.id, cert.thumbprint), twin);
    });

    // ---- consent ----------------------------------------------------------------------------

    it('consent: put, revoke once, put again replaces it and clears the revocation', async () => {
      const w = await world();
      const consenting = await world('Consenting');
      const first = consentOf(consenting.tenantId, w.app.id);
      await write((i) => i.putConsent(first));
      assert.deepEqual(await reads().getConsent(consenting.tenantId, w.app.id), first);
      assert.equal(await reads().getConsent(w.tenantId, w.app.id), undefined, 'consent is per tenant');
      assert.equal(await write((i) => i.revokeConsent(w.tenantId, w.app.id, at(80))), false, 'nothing to revoke in the owner tenant');
      assert.equal(await write((i) => i.revokeConsent(consenting.tenantId, w.app.id, at(81))), true);
      assert.equal(await write((i) => i.revokeConsent(consenting.tenantId, w.app.id, at(82))), false);
      assert.deepEqual(await reads().getConsent(consenting.tenantId, w.app.id), { ...first, revokedAt: at(81) }, 'a revoked consent is still read');
      const again = consentOf(consenting.tenantId, w.app.id, { applicationPermissions: ['contacts.read', 'contacts.write'], delegatedScopes: [], consentedAt: at(83) });
      await write((i) => i.putConsent(again));
      assert.deepEqual(await reads().getConsent(consenting.tenantId, w.app.id), again);
      assert.deepEqual(await reads().listConsents(consenting.tenantId), [again]);
      assert.equal(await write((i) => i.revokeConsent(consenting.tenantId, w.app.id, at(84))), true, 'the new consent can be revoked');
    });

    it('lists a tenant’s consents by app', async () => {
      const w = await world();
      const [second, third] = [appOf(w.tenantId), appOf(w.tenantId)];
      const consents = [consentOf(w.tenantId, w.app.id), consentOf(w.tenantId, second.id), consentOf(w.tenantId, third.id)];
      await write(async (i) => {
        await i.insertApp(second); await i.insertApp(third);
        for (const c of [...consents].reverse()) await i.putConsent(c);
      });
      assert.deepEqual(await reads().listConsents(w.tenantId), consents);
      assert.deepEqual(await reads().listConsents((await world('Empty')).tenantId), []);
    });

    // ---- passwords --------------------------------------------------------------------------

    it('replaces a password, counts failures and locks, only in the user’s tenant', async () => {
      const w = await world();
      const other = await world('Other');
      const first: PasswordCredential = { userId: w.user.id, tenantId: w.tenantId, hash: 'scrypt$1', failedAttempts: 0, lockedUntil: null, updatedAt: at(1) };
      await write((i) => i.putPassword(first));
      await write((i) => i.setPasswordFailures(w.tenantId, w.user.id, 3, at(600), at(90)));
      assert.deepEqual(await reads().getPassword(w.tenantId, w.user.id), { ...first, failedAttempts: 3, lockedUntil: at(600), updatedAt: at(90) });
      await write((i) => i.setPasswordFailures(other.tenantId, w.user.id, 9, null, at(91)));
      assert.equal(await reads().getPassword(other.tenantId, w.user.id), undefined);
      assert.equal((await reads().getPassword(w.tenantId, w.user.id))?.failedAttempts, 3);
      const changed: PasswordCredential = { ...first, hash: 'scrypt$2', updatedAt: at(92) };
      await write((i) => i.putPassword(changed));
      assert.deepEqual(await reads().getPassword(w.tenantId, w.user.id), changed, 'a new password resets failures and lock');
    });

    // ---- signing keys and server secrets ----------------------------------------------------

    it('lists signing keys newest first and deletes one', async () => {
      const keys = [signingKeyOf({ createdAt: at(200) }), signingKeyOf({ createdAt: at(100) }), signingKeyOf({ createdAt: at(300) })];
      await write(async (i) => { for (const k of keys) await i.insertSigningKey(k); });
      const mine = async () => (await reads().listSigningKeys()).filter((k) => keys.some((x) => x.id === k.id));
      assert.deepEqual(await mine(), [keys[2], keys[0], keys[1]]);
      await write((i) => i.deleteSigningKey(keys[0]!.id));
      assert.deepEqual(await mine(), [keys[2], keys[1]]);
      await write((i) => i.deleteSigningKey(keys[0]!.id)); // deleting again is harmless
    });

    it('server secret: the first writer wins, later ones get the stored value', async () => {
      const secretName = id('hashing-key');
      assert.equal(await reads().getServerSecret(secretName), undefined);
      assert.equal(await write((i) => i.ensureServerSecret(secretName, 'first')), 'first');
      assert.equal(await write((i) => i.ensureServerSecret(secretName, 'second')), 'first');
      assert.equal(await reads().getServerSecret(secretName), 'first');
      const racing = id('racing-key');
      const values = await race(2, async (i, n, together) => {
        await together();
        return i.ensureServerSecret(racing, `candidate-${n}`);
      });
      assert.equal(values[0], values[1], 'both racers get one and the same value');
      assert.equal(await reads().getServerSecret(racing), values[0]);
    });

    // ---- authorization codes ----------------------------------------------------------------

    it('a used authorization code cannot be used again', async () => {
      const w = await world();
      const code = codeOf(w);
      await write((i) => i.insertAuthorizationCode(code));
      assert.equal(await write((i) => i.useAuthorizationCode(code.codeHash, at(40))), true);
      assert.equal(await write((i) => i.useAuthorizationCode(code.codeHash, at(41))), false);
      assert.deepEqual(await reads().getAuthorizationCode(code.codeHash), { ...code, usedAt: at(40) });
      assert.equal(await write((i) => i.useAuthorizationCode('unknown-hash', at(42))), false);
      assert.equal(await reads().getAuthorizationCode('unknown-hash'), undefined);
    });

    it('two racing redemptions of one authorization code: exactly one wins', async () => {
      const w = await world();
      const code = codeOf(w);
      await write((i) => i.insertAuthorizationCode(code));
      const outcomes = await race(2, async (i, n, together) => {
        await i.getAuthorizationCode(code.codeHash);
        await together();
        return i.useAuthorizationCode(code.codeHash, at(50 + n));
      });
      assert.equal(outcomes.filter(Boolean).length, 1, `outcomes ${outcomes.join(', ')}`);
      assert.deepEqual(await reads().getAuthorizationCode(code.codeHash), { ...code, usedAt: at(50 + outcomes.indexOf(true)) });
    });

    // ---- refresh tokens ---------------------------------------------------------------------

    it('rotates a refresh token once; a revoked one cannot be rotated', async () => {
      const w = await world();
      const token = refreshOf(w);
      const revoked = refreshOf(w, { revokedAt: at(1) });
      await write(async (i) => { await i.insertRefreshToken(token); await i.insertRefreshToken(revoked); });
      const steps: readonly { what: string; run: (i: IdentityTx) => Promise<boolean>; result: boolean }[] = [
        { what: 'first rotation', run: (i) => i.rotateRefreshToken(token.id, at(20)), result: true },
        { what: 'second rotation', run: (i) => i.rotateRefreshToken(token.id, at(21)), result: false },
        { what: 'rotation of a revoked token', run: (i) => i.rotateRefreshToken(revoked.id, at(22)), result: false },
        { what: 'rotation of an unknown token', run: (i) => i.rotateRefreshToken('rtk_missing', at(23)), result: false },
      ];
      for (const s of steps) assert.equal(await write(s.run), s.result, s.what);
      assert.deepEqual(await reads().getRefreshTokenByHash(token.tokenHash), { ...token, rotatedAt: at(20) });
      assert.deepEqual(await reads().getRefreshTokenByHash(revoked.tokenHash), revoked);
    });

    it('two racing rotations of one refresh token: exactly one wins', async () => {
      const w = await world();
      const token = refreshOf(w);
      await write((i) => i.insertRefreshToken(token));
      const successors = [refreshOf(w, { familyId: token.familyId }), refreshOf(w, { familyId: token.familyId })];
      const outcomes = await race(2, async (i, n, together) => {
        // As the token endpoint does: read the token, then rotate it and store its successor if that worked.
        const seen = await i.getRefreshTokenByHash(token.tokenHash);
        await together();
        const won = await i.rotateRefreshToken(seen!.id, at(30 + n));
        if (won) await i.insertRefreshToken(successors[n]!);
        return won;
      });
      assert.equal(outcomes.filter(Boolean).length, 1, `outcomes ${outcomes.join(', ')}`);
      const winner = outcomes.indexOf(true);
      assert.deepEqual(await reads().getRefreshTokenByHash(token.tokenHash), { ...token, rotatedAt: at(30 + winner) });
      assert.deepEqual(await reads().getRefreshTokenByHash(successors[winner]!.tokenHash), successors[winner]);
      assert.equal(await reads().getRefreshTokenByHash(successors[1 - winner]!.tokenHash), undefined);
    });

    it('revokes a whole refresh token family, keeping earlier revocation times and other families', async () => {
      const w = await world();
      const first = refreshOf(w, { rotatedAt: at(10) });
      const earlier = refreshOf(w, { familyId: first.familyId, revokedAt: at(11) });
      const current = refreshOf(w, { familyId: first.familyId });
      const unrelated = refreshOf(w);
      await write(async (i) => { for (const t of [first, earlier, current, unrelated]) await i.insertRefreshToken(t); });
      await write((i) => i.revokeRefreshFamily(first.familyId, at(12)));
      const byHash = async (t: RefreshToken) => reads().getRefreshTokenByHash(t.tokenHash);
      assert.deepEqual(await byHash(first), { ...first, revokedAt: at(12) });
      assert.deepEqual(await byHash(earlier), earlier);
      assert.deepEqual(await byHash(current), { ...current, revokedAt: at(12) });
      assert.deepEqual(await byHash(unrelated), unrelated);
      assert.equal(await write((i) => i.rotateRefreshToken(current.id, at(13))), false);
    });

    it('revokeRefreshTokens by app and by user, counting only tokens it revoked, in the tenant only', async () => {
      const w = await world();
      const other = await world('Other');
      const ben = userOf(w.tenantId);
      const app2 = appOf(w.tenantId);
      await write(async (i) => { await i.insertUser(ben); await i.insertApp(app2); });
      const t = {
        anaApp1: refreshOf(w), anaApp2: refreshOf(w, { appId: app2.id }), benApp1: refreshOf(w, { userId: ben.id }),
        benApp2: refreshOf(w, { userId: ben.id, appId: app2.id }), benApp1Revoked: refreshOf(w, { userId: ben.id, revokedAt: at(1) }),
        // Another tenant's sign-in with the first tenant's (multi-tenant) app.
        elsewhere: refreshOf(other, { appId: w.app.id }),
      };
      await write(async (i) => { for (const token of Object.values(t)) await i.insertRefreshToken(token); });
      const revokedAt = async (token: RefreshToken) => (await reads().getRefreshTokenByHash(token.tokenHash))?.revokedAt;

      assert.equal(await write((i) => i.revokeRefreshTokens(w.tenantId, { appId: w.app.id }, at(100))), 2, 'ana and ben with app 1');
      assert.equal(await revokedAt(t.anaApp1), at(100));
      assert.equal(await revokedAt(t.benApp1), at(100));
      assert.equal(await revokedAt(t.benApp1Revoked), at(1));
      assert.equal(await revokedAt(t.anaApp2), null);
      assert.equal(await revokedAt(t.elsewhere), null, 'consent revoked in one tenant leaves the other tenant’s tokens');

      assert.equal(await write((i) => i.revokeRefreshTokens(w.tenantId, { userId: ben.id }, at(101))), 1, 'only ben’s app 2 token was left');
      assert.equal(await revokedAt(t.benApp2), at(101));
      assert.equal(await revokedAt(t.anaApp2), null);
      assert.equal(await write((i) => i.revokeRefreshTokens(other.tenantId, { userId: ben.id }, at(102))), 0);
      assert.equal(await write((i) => i.revokeRefreshTokens(w.tenantId, { appId: app2.id, userId: w.user.id }, at(103))), 1, 'both filters together');
      assert.equal(await revokedAt(t.anaApp2), at(103));
    });

    // ---- sessions ---------------------------------------------------------------------------

    it('revokes a session once, and every live session of a user in the tenant', async () => {
      const w = await world();
      const other = await world('Other');
      const ben = userOf(w.tenantId);
      await write((i) => i.insertUser(ben));
      const s = {
        one: sessionOf(w), two: sessionOf(w, { method: 'sso' }), done: sessionOf(w, { revokedAt: at(5) }), bens: sessionOf(w, { userId: ben.id }),
        elsewhere: sessionOf(other),
      };
      await write(async (i) => { for (const session of Object.values(s)) await i.insertSession(session); });
      assert.equal(await write((i) => i.revokeSession(s.one.id, at(20))), true);
      assert.equal(await write((i) => i.revokeSession(s.one.id, at(21))), false);
      assert.equal(await write((i) => i.revokeSessionsOfUser(other.tenantId, w.user.id, at(22))), 0);
      assert.equal(await write((i) => i.revokeSessionsOfUser(w.tenantId, w.user.id, at(23))), 1, 'only the one still live');
      const revokedAt = async (session: Session) => (await reads().getSessionByHash(session.tokenHash))?.revokedAt;
      assert.deepEqual(
        { one: await revokedAt(s.one), two: await revokedAt(s.two), done: await revokedAt(s.done), bens: await revokedAt(s.bens), elsewhere: await revokedAt(s.elsewhere) },
        { one: at(20), two: at(23), done: at(5), bens: null, elsewhere: null },
      );
      assert.equal(await reads().getSessionByHash('unknown-hash'), undefined);
    });

    it('replaces the CSRF hash of a live session only', async () => {
      const w = await world();
      const live = sessionOf(w);
      const gone = sessionOf(w, { revokedAt: at(5) });
      await write(async (i) => { await i.insertSession(live); await i.insertSession(gone); });
      assert.equal(await write((i) => i.setSessionCsrf(live.id, 'f'.repeat(64))), true);
      assert.equal(await write((i) => i.setSessionCsrf(gone.id, 'e'.repeat(64))), false);
      assert.equal(await write((i) => i.setSessionCsrf('ses_unknown', 'e'.repeat(64))), false);
      assert.deepEqual(await reads().getSessionByHash(live.tokenHash), { ...live, csrfHash: 'f'.repeat(64) });
      assert.equal((await reads().getSessionByHash(gone.tokenHash))?.csrfHash, gone.csrfHash);
    });

    // ---- single sign-on ---------------------------------------------------------------------

    it('replaces and deletes a tenant’s OIDC connection', async () => {
      const w = await world();
      const other = await world('Other');
      await write((i) => i.putOidcConnection(oidcOf(w.tenantId)));
      const replaced = oidcOf(w.tenantId, { issuer: 'https://idp.example.org', clientSecret: null, roleMapping: { admins: 'tenant-admin' }, enabled: false, updatedAt: at(30) });
      await write((i) => i.putOidcConnection(replaced));
      assert.deepEqual(await reads().getOidcConnection(w.tenantId), replaced);
      assert.equal(await reads().getOidcConnection(other.tenantId), undefined);
      assert.equal(await write((i) => i.deleteOidcConnection(other.tenantId)), false);
      assert.equal(await write((i) => i.deleteOidcConnection(w.tenantId)), true);
      assert.equal(await write((i) => i.deleteOidcConnection(w.tenantId)), false);
      assert.equal(await reads().getOidcConnection(w.tenantId), undefined);
    });

    it('gives a sign-in attempt to exactly one taker, even when callbacks race', async () => {
      const w = await world();
      const attempt = (idHash: string, createdS: number): SsoAttempt => ({
        idHash, tenantId: w.tenantId, state: `state-${idHash}`, nonce: `nonce-${idHash}`, codeVerifier: `verifier-${idHash}`,
        returnTo: '/workspace?tab=queue', redirectUri: 'https://cc.example.com/login/t/sso/callback', createdAt: at(createdS), expiresAt: at(createdS + 600),
      });
      const first = attempt(`a${w.tenantId}`, 10);
      await write((i) => i.insertSsoAttempt(first));
      const takes = await Promise.all([1, 2, 3].map(() => write((i) => i.takeSsoAttempt(first.idHash))));
      assert.deepEqual(takes.filter((t) => t !== undefined), [first], 'one taker gets the attempt unchanged');
      assert.equal(await write((i) => i.takeSsoAttempt(first.idHash)), undefined);
      // An abandoned attempt is swept by a later insert once it has expired, not before.
      const abandoned = attempt(`b${w.tenantId}`, 20);
      await write((i) => i.insertSsoAttempt(abandoned));
      await write((i) => i.insertSsoAttempt(attempt(`c${w.tenantId}`, 100)));
      assert.deepEqual(await write((i) => i.takeSsoAttempt(abandoned.idHash)), abandoned);
      await write((i) => i.insertSsoAttempt(abandoned));
      await write((i) => i.insertSsoAttempt(attempt(`d${w.tenantId}`, 20 + 600)));
      assert.equal(await write((i) => i.takeSsoAttempt(abandoned.idHash)), undefined, 'expired attempts are swept');
    });

    it('lets a one-time key be used once until it expires, by one of racing users', async () => {
      const key = `app_contract jti-${Math.random()}`;
      const uses = await Promise.all([1, 2, 3, 4].map(() => write((i) => i.useOnce(key, at(60), at(0)))));
      assert.deepEqual(uses.filter(Boolean), [true], 'exactly one first use');
      assert.equal(await write((i) => i.useOnce(key, at(60), at(59))), false, 'a replay before expiry');
      assert.equal(await write((i) => i.useOnce(key, at(200), at(61))), true, 'after expiry the key is gone (and the assertion itself expired)');
      assert.equal(await write((i) => i.useOnce(`${key} other`, at(60), at(0))), true);
    });

    // ---- audit log --------------------------------------------------------------------------

    it('filters the audit log and pages it newest first; platform entries are apart', async () => {
      const w = await world();
      const other = await world('Other');
      const spec: readonly Partial<NewAuditEntry>[] = [
        { occurredAt: at(10), action: 'signin.password', actorId: 'usr_a', targetId: 'usr_a', outcome: 'success' },
        { occurredAt: at(20), action: 'signin.password', actorId: 'usr_b', targetId: 'usr_b', outcome: 'failure' },
        { occurredAt: at(30), action: 'app.secret_created', actorId: 'usr_a', targetId: 'app_x', outcome: 'success' },
        { occurredAt: at(40), action: 'access.denied', actorId: 'app_x', targetId: null, targetType: null, outcome: 'denied' },
        { occurredAt: at(50), action: 'signin.password', actorId: 'usr_a', targetId: 'usr_a', outcome: 'success' },
      ];
      const e: AuditEntry[] = [];
      await write(async (i) => {
        for (const [n, s] of spec.entries()) {
          e.push(await i.appendAudit(auditOf(w.tenantId, s)));
          // Interleaved: other tenants' and platform entries share the id sequence.
          await i.appendAudit(auditOf(other.tenantId, { ...s, actorId: 'usr_a' }));
          if (n % 2 === 0) await i.appendAudit(auditOf(null, { ...s, action: 'tenant.created', actorKind: 'platform-key' }));
        }
      });
      assert.ok(e.every((x, n) => n === 0 || x.id > e[n - 1]!.id), 'ids grow');
      const newest = (...indices: number[]) => indices.map((n) => e[n]!);
      const cases: readonly { what: string; filter: AuditFilter; expected: AuditEntry[] }[] = [
        { what: 'no filter', filter: {}, expected: newest(4, 3, 2, 1, 0) },
        { what: 'action', filter: { action: 'signin.password' }, expected: newest(4, 1, 0) },
        { what: 'action is matched exactly, not as a prefix', filter: { action: 'signin' }, expected: [] },
        { what: 'actor', filter: { actorId: 'usr_a' }, expected: newest(4, 2, 0) },
        { what: 'target', filter: { targetId: 'app_x' }, expected: newest(2) },
        { what: 'outcome', filter: { outcome: 'failure' }, expected: newest(1) },
        { what: 'since is inclusive, until exclusive', filter: { since: at(20), until: at(40) }, expected: newest(2, 1) },
        { what: 'since alone', filter: { since: at(50) }, expected: newest(4) },
        { what: 'until alone', filter: { until: at(10) }, expected: [] },
        { what: 'several filters together', filter: { action: 'signin.password', actorId: 'usr_a', outcome: 'success', since: at(11) }, expected: newest(4) },
      ];
      for (const c of cases) assert.deepEqual(await reads().listAudit(w.tenantId, c.filter, { limit: 100 }), c.expected, c.what);

      const pages: readonly { beforeId?: number; filter?: AuditFilter; expected: AuditEntry[] }[] = [
        { expected: newest(4, 3) },
        { beforeId: e[3]!.id, expected: newest(2, 1) },
        { beforeId: e[1]!.id, expected: newest(0) },
        { beforeId: e[0]!.id, expected: [] },
        { beforeId: e[4]!.id, filter: { actorId: 'usr_a' }, expected: newest(2, 0) },
      ];
      for (const p of pages) assert.deepEqual(await reads().listAudit(w.tenantId, p.filter ?? {}, { beforeId: p.beforeId, limit: 2 }), p.expected);

      const platform = await reads().listAudit(null, {}, { limit: 100 });
      assert.equal(platform.length, 3);
      assert.ok(platform.every((x) => x.tenantId === null && x.action === 'tenant.created'));
      assert.deepEqual(platform.map((x) => x.occurredAt), [at(50), at(30), at(10)]);
      assert.equal((await reads().listAudit(other.tenantId, { actorId: 'usr_a' }, { limit: 100 })).length, 5);
    });

    // ---- atomicity --------------------------------------------------------------------------

    it('leaves nothing behind when a transaction throws after identity writes', async () => {
      const w = await world();
      const code = codeOf(w);
      const token = refreshOf(w);
      const session = sessionOf(w);
      const consent = consentOf(w.tenantId, w.app.id);
      await write(async (i) => {
        await i.insertAuthorizationCode(code); await i.insertRefreshToken(token); await i.insertSession(session); await i.putConsent(consent);
      });
      const newUser = userOf(w.tenantId);
      const group = groupOf(w.tenantId);
      const secretName = id('rolled-back');
      await assert.rejects(write(async (i) => {
        assert.equal(await i.insertUser(newUser), true);
        await i.updateUser(w.tenantId, w.user.id, { displayName: 'never' }, at(99));
        assert.equal(await i.insertGroup(group), true);
        assert.equal(await i.addGroupMember(w.tenantId, group.id, w.user.id, at(99)), true);
        assert.equal(await i.useAuthorizationCode(code.codeHash, at(99)), true);
        assert.equal(await i.rotateRefreshToken(token.id, at(99)), true);
        assert.equal(await i.revokeSession(session.id, at(99)), true);
        assert.equal(await i.revokeConsent(w.tenantId, w.app.id, at(99)), true);
        await i.appendAudit(auditOf(w.tenantId));
        await i.ensureServerSecret(secretName, 'never');
        throw new Error('boom after the identity writes');
      }), /boom/);
      const r = reads();
      assert.equal(await r.getUser(w.tenantId, newUser.id), undefined);
      assert.deepEqual(await r.getUser(w.tenantId, w.user.id), w.user);
      assert.equal(await r.getGroup(w.tenantId, group.id), undefined);
      assert.deepEqual(await r.listGroupsOfUser(w.tenantId, w.user.id), []);
      assert.deepEqual(await r.getAuthorizationCode(code.codeHash), code);
      assert.deepEqual(await r.getRefreshTokenByHash(token.tokenHash), token);
      assert.deepEqual(await r.getSessionByHash(session.tokenHash), session);
      assert.deepEqual(await r.getConsent(w.tenantId, w.app.id), consent);
      assert.deepEqual(await r.listAudit(w.tenantId, {}, { limit: 10 }), []);
      assert.equal(await r.getServerSecret(secretName), undefined);
      // The code was not spent: a later transaction still redeems it once.
      assert.equal(await write((i) => i.useAuthorizationCode(code.codeHash, at(100))), true);
    });
  });
}
