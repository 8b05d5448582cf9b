import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { SYSTEM_CALLER } from '../../src/app/caller.js';
import { createGroup } from '../../src/app/identity/group-admin.js';
import { configureSso } from '../../src/app/identity/sso.js';
import { inviteUser, updateUser } from '../../src/app/identity/user-admin.js';
import { CookieJar } from '../support/cookie-jar.js';
import { browserSignIn, startOidcProvider, type RunningOidcProvider, type SignInChoice } from '../support/oidc-provider.js';
import { postgresSkip } from '../support/postgres.js';
import { startTestServer, type TestServer } from '../support/test-server.js';
import { assertErrorBody, client, type Client } from './http-helpers.js';

/** Switchboard runs in-process (inject); its public URL only names the callback the provider redirects to. */
const PUBLIC_URL = 'http://127.0.0.1:9';
const PASSWORD = 'correct horse battery staple';

function setCookies(headers: Record<string, unknown>): string[] {
  const raw = headers['set-cookie'];
  return Array.isArray(raw) ? raw : typeof raw === 'string' ? [raw] : [];
}
function cookieValue(headers: Record<string, unknown>, name: string): string | undefined {
  const found = setCookies(headers).find((c) => c.startsWith(`${name}=`));
  return found?.split(';')[0];
}

/** A person signed in with a password: an API client with their cookie and CSRF token. */
async function personClient(sb: TestServer, tenantId: string, email: string): Promise<Client> {
  const res = await sb.app.inject({ method: 'POST', url: '/v1/auth/password', headers: { 'content-type': 'application/json' }, payload: JSON.stringify({ tenantId, email, password: PASSWORD }) });
  assert.equal(res.statusCode, 200, res.body);
  return client(sb.app, { cookie: cookieValue(res.headers, 'sb_session')!, 'x-csrf-token': JSON.parse(res.body).csrfToken });
}

/** On SQLite and on PostgreSQL: settings, provisioned users, group and role sync and the audit are rows in the store. */
function ssoSuite(database: 'sqlite' | 'postgres', skip: false | string): void {
  describe(`single sign-on with the tenant’s OpenID provider (${database})`, { skip }, () => {
    let sb: TestServer;
    let api: Client;
    let provider: RunningOidcProvider;
    let tenantId: string;
    let supportGroup: string;
    let salesGroup: string;
    /** What the administrator sends: the settings every sign-in below runs with. */
    let settings: Record<string, unknown>;
    /** The answer to that PUT. */
    let configured: any;

    before(async () => {
      sb = await startTestServer({ database, env: { SWITCHBOARD_PUBLIC_URL: PUBLIC_URL }, overrides: { signInRateLimit: 1000 } });
      api = client(sb.app, sb.auth);
      tenantId = (await api.ok('POST', '/v1/tenants', 201, { name: 'Globex' })).id;
      provider = await startOidcProvider({ redirectUri: `${PUBLIC_URL}/login/${tenantId}/sso/callback` });
      settings = {
        issuer: provider.issuer, clientId: provider.clientId, clientSecret: provider.clientSecret,
        scopes: ['email', 'profile', 'groups', 'roles'], roleMapping: { supervisor: 'supervisor', agent: 'agent' }, autoProvision: true,
      };
      configured = await api.ok('PUT', `/v1/tenants/${tenantId}/sso`, 200, settings);
      supportGroup = (await createGroup(sb.identity, SYSTEM_CALLER, tenantId, { name: 'Support', externalId: 'support' })).id;
      salesGroup = (await createGroup(sb.identity, SYSTEM_CALLER, tenantId, { name: 'Sales', externalId: 'sales' })).id;
    });
    after(async () => {
      await provider?.stop();
      await sb?.stop();
    });

    /** Start at Switchboard, act as the browser at the provider, come back: the callback's response. */
    async function ssoRound(account: SignInChoice, tamper?: (callback: URL) => void) {
      const start = await sb.app.inject({ method: 'GET', url: `/login/${tenantId}/sso/start?return_to=${encodeURIComponent('/app/inbox')}` });
      assert.equal(start.statusCode, 302, start.body);
      const attempt = cookieValue(start.headers, 'sb_sso');
      assert.ok(attempt, 'the attempt cookie is set');
      assert.match(setCookies(start.headers).find((c) => c.startsWith('sb_sso='))!, /HttpOnly/);
      const location = String(start.headers.location);
      assert.ok(location.startsWith(provider.issuer), location);
      const callback = new URL(await browserSignIn(location, account, new CookieJar()));
      assert.equal(`${callback.origin}${callback.pathname}`, `${PUBLIC_URL}/login/${tenantId}/sso/callback`);
      tamper?.(callback);
      return sb.app.inject({ method: 'GET', url: `${callback.pathname}${callback.search}`, headers: { cookie: attempt! } });
    }

    const lastSsoAudit = async () => (await sb.deps.storage.read.identity.listAudit(tenantId, { action: 'signin.sso' }, { limit: 1 }))[0]!;

    it('signs a person in: provider, callback, session cookie, back to return_to; provisions them and maps groups and roles', async () => {
      const res = await ssoRound('alice');
      assert.equal(res.statusCode, 302, res.body);
      assert.equal(res.headers.location, '/app/inbox');
      const session = cookieValue(res.headers, 'sb_session');
      assert.ok(session);
      const me = await client(sb.app, { cookie: session! }).ok('GET', '/v1/session', 200);
      assert.equal(me.user.email, 'alice@example.com');
      assert.equal(me.user.displayName, 'Alice Archer');
      assert.ok(me.permissions.includes('presence.write'), 'the roles claim "supervisor" maps to the supervisor role');
      assert.ok(!me.permissions.includes('users.write'));
      const user = (await sb.deps.storage.read.identity.findUserByEmail(tenantId, 'alice@example.com'))!;
      assert.equal(user.externalId, `${provider.issuer}|alice`);
      assert.deepEqual(await sb.deps.storage.read.identity.listGroupsOfUser(tenantId, user.id), [supportGroup]);
      const entry = await lastSsoAudit();
      assert.equal(entry.outcome, 'success');
      assert.equal(entry.targetId, user.id);
      // A second sign-in finds the same person by issuer|subject and adds no duplicate role.
      assert.equal((await ssoRound('alice')).statusCode, 302);
      const assignments = await sb.deps.storage.read.identity.listRoleAssignments(tenantId, [{ type: 'user', id: user.id }]);
      assert.deepEqual(assignments.map((a) => a.role), ['supervisor']);
    });

    it('removes memberships of SSO-mapped groups the claim no longer names', async () => {
      assert.equal((await ssoRound('bob')).statusCode, 302);
      const bob = (await sb.deps.storage.read.identity.findUserByEmail(tenantId, 'bob@example.com'))!;
      await sb.deps.storage.transaction((tx) => tx.identity.addGroupMember(tenantId, supportGroup, bob.id, new Date().toISOString()));
      assert.equal((await ssoRound('bob')).statusCode, 302);
      assert.deepEqual(await sb.deps.storage.read.identity.listGroupsOfUser(tenantId, bob.id), [salesGroup]);
    });

    it('fails with an error page and an audit entry when the state was tampered with', async () => {
      const res = await ssoRound('alice', (cb) => cb.searchParams.set('state', 'forged-state'));
      assert.equal(res.statusCode, 401);
      assert.match(String(res.headers['content-type']), /text\/html/);
      assert.match(res.body, /state_mismatch/);
      assert.equal(cookieValue(res.headers, 'sb_session'), undefined);
      const entry = await lastSsoAudit();
      assert.equal(entry.outcome, 'failure');
      assert.equal(entry.details.reason, 'state_mismatch');
    });

    it('fails when the person refuses at the provider', async () => {
      const res = await ssoRound({ deny: true });
      assert.equal(res.statusCode, 401);
      assert.match(res.body, /access_denied/);
      assert.equal((await lastSsoAudit()).details.reason, 'access_denied');
    });

    it('fails without the attempt cookie (a callback the browser did not start)', async () => {
      const start = await sb.app.inject({ method: 'GET', url: `/login/${tenantId}/sso/start` });
      const callback = new URL(await browserSignIn(String(start.headers.location), 'alice', new CookieJar()));
      const res = await sb.app.inject({ method: 'GET', url: `${callback.pathname}${callback.search}` });
      assert.equal(res.statusCode, 401);
      assert.equal((await lastSsoAudit()).details.reason, 'no_sign_in_in_progress');
    });

    it('a disabled person cannot sign in by SSO', async () => {
      const carol = await ssoRound('carol');
      assert.equal(carol.statusCode, 302);
      const user = (await sb.deps.storage.read.identity.findUserByEmail(tenantId, 'carol@example.com'))!;
      await updateUser(sb.identity, SYSTEM_CALLER, tenantId, user.id, { status: 'disabled' });
      const res = await ssoRound('carol');
      assert.equal(res.statusCode, 401);
      assert.match(res.body, /disabled/);
      const entry = await lastSsoAudit();
      assert.equal(entry.details.reason, 'disabled');
      assert.equal(entry.targetId, user.id);
    });

    it('shows the SSO link on the sign-in page, escaping what it renders', async () => {
      const page = await sb.app.inject({ method: 'GET', url: `/login/${tenantId}/signin?return_to=${encodeURIComponent('/x"><script>')}` });
      assert.equal(page.statusCode, 200);
      assert.match(page.body, /Sign in with 127\.0\.0\.1/);
      assert.ok(!page.body.includes('<script>'));
      const offsite = await sb.app.inject({ method: 'GET', url: `/login/${tenantId}/signin?return_to=${encodeURIComponent('//evil.example/')}` });
      assert.ok(!offsite.body.includes('evil.example'), 'a protocol-relative return_to is dropped');
    });
    it('configures over HTTP: the client secret is written, never read back', async () => {
      const secret = provider.clientSecret!;
      assert.equal(configured.hasClientSecret, true);
      assert.equal(configured.clientSecretHint, `${secret.slice(0, 3)}…`);
      assert.equal(configured.redirectUri, `${PUBLIC_URL}/login/${tenantId}/sso/callback`, 'the URI to register at the provider');
      assert.deepEqual(configured.claims, { email: 'email', name: 'name', groups: 'groups', roles: 'roles' });
      assert.equal(configured.autoProvision, true);
      const shown = await api.call('GET', `/v1/tenants/${tenantId}/sso`);
      assert.equal(shown.status, 200);
      for (const body of [configured, shown.body]) {
        assert.ok(!('clientSecret' in body));
        assert.ok(!JSON.stringify(body).includes(secret), 'the secret is in a response');
      }
      assert.deepEqual(shown.body, configured);
      // A PUT without clientSecret keeps the stored one: sign-ins with the confidential client go on working.
      const { clientSecret: _omitted, ...withoutSecret } = settings;
      const again = await api.ok('PUT', `/v1/tenants/${tenantId}/sso`, 200, withoutSecret);
      assert.equal(again.hasClientSecret, true);
      assert.equal(again.clientSecretHint, configured.clientSecretHint);
      assert.equal((await ssoRound('alice')).statusCode, 302);
      const entries = await sb.deps.storage.read.identity.listAudit(tenantId, { action: 'sso.configured' }, { limit: 10 });
      assert.equal(entries.length, 2);
      assert.equal(entries[0]!.actorKind, 'admin');
      assert.equal(entries[0]!.details.issuer, provider.issuer);
      assert.ok(!JSON.stringify(entries).includes(secret), 'the secret is in the audit log');
      const openapi = (await sb.app.inject({ method: 'GET', url: '/openapi.json' })).json();
      const response = openapi.paths['/v1/tenants/{tenantId}/sso'].get.responses['200'].content['application/json'].schema;
      assert.ok(!('clientSecret' in response.properties), 'the documented response has no secret');
      assert.ok('clientSecret' in openapi.paths['/v1/tenants/{tenantId}/sso'].put.requestBody.content['application/json'].schema.properties);
    });

    it('refuses bad settings with a documented code, changing nothing', async () => {
      const url = `/v1/tenants/${tenantId}/sso`;
      const cases: [Record<string, unknown>, string][] = [
        [{ ...settings, issuer: 'http://idp.example.com' }, '/issuer'],
        [{ ...settings, issuer: 'https://idp.example.com/?tenant=1' }, '/issuer'],
        [{ ...settings, issuer: 'idp.example.com' }, '/issuer'],
        [{ ...settings, roleMapping: { boss: 'superuser' } }, '/roleMapping/boss'],
        [{ ...settings, claims: { groups: 'has spaces' } }, '/claims/groups'],
      ];
      for (const [body, path] of cases) {
        const res = await api.call('PUT', url, body);
        assert.equal(res.status, 400, JSON.stringify(body));
        assertErrorBody(res.body, 'SB_ERR_INVALID_OIDC_CONNECTION');
        assert.ok(res.body.error.details.problems.some((p: { path: string }) => p.path === path), JSON.stringify(res.body));
      }
      for (const body of [{ ...settings, clientSecrett: 'typo' }, { ...settings, autoProvision: 'yes' }, { issuer: provider.issuer }]) {
        const res = await api.call('PUT', url, body);
        assert.equal(res.status, 400);
        assertErrorBody(res.body, 'SB_ERR_VALIDATION');
      }
      // http is fine on loopback (a provider on the same machine, as in these tests).
      assert.equal((await api.ok('GET', url, 200)).issuer, provider.issuer);
      assert.equal((await sb.deps.storage.read.identity.listAudit(tenantId, { action: 'sso.configured' }, { limit: 10 })).length, 2, 'no entry for a refused change');
    });

    it('needs identity.configure (403, audited) and hides other tenants (404); a cookie needs the CSRF token', async () => {
      const url = `/v1/tenants/${tenantId}/sso`;
      const queue = await api.ok('POST', `/v1/tenants/${tenantId}/queues`, 201, { name: 'Billing', memberIds: [] });
      await inviteUser(sb.identity, SYSTEM_CALLER, tenantId, { email: 'sue@globex.example', displayName: 'Sue', password: PASSWORD, roles: [{ role: 'supervisor', queueIds: [queue.id] }] });
      await inviteUser(sb.identity, SYSTEM_CALLER, tenantId, { email: 'ada@globex.example', displayName: 'Ada', password: PASSWORD, roles: [{ role: 'administrator' }] });
      const otherTenant = (await api.ok('POST', '/v1/tenants', 201, { name: 'Initech' })).id;
      await inviteUser(sb.identity, SYSTEM_CALLER, otherTenant, { email: 'olga@initech.example', displayName: 'Olga', password: PASSWORD, roles: [{ role: 'administrator' }] });

      const supervisor = await personClient(sb, tenantId, 'sue@globex.example');
      for (const [method, body] of [['GET', undefined], ['PUT', settings], ['DELETE', undefined]] as const) {
        const res = await supervisor.call(method, url, body);
        assert.equal(res.status, 403, method);
        assertErrorBody(res.body, 'SB_ERR_FORBIDDEN');
      }
      const denied = await sb.deps.storage.read.identity.listAudit(tenantId, { action: 'access.denied' }, { limit: 3 });
      assert.deepEqual(denied.map((e) => e.details.permission), ['identity.configure', 'identity.configure', 'identity.configure']);

      const foreign = await personClient(sb, otherTenant, 'olga@initech.example');
      for (const [method, body] of [['GET', undefined], ['PUT', settings], ['DELETE', undefined]] as const) {
        const res = await foreign.call(method, url, body);
        assert.equal(res.status, 404, method);
        assertErrorBody(res.body, 'SB_ERR_TENANT_NOT_FOUND');
      }

      const admin = await personClient(sb, tenantId, 'ada@globex.example');
      assert.equal((await admin.ok('GET', url, 200)).issuer, provider.issuer);
      const noCsrf = await admin.call('PUT', url, settings, { 'x-csrf-token': '' });
      assertErrorBody(noCsrf.body, 'SB_ERR_CSRF');
      assert.equal((await admin.ok('PUT', url, 200, { ...settings, clientSecret: undefined })).hasClientSecret, true);
    });

    it('a public client: null clears the secret; DELETE removes SSO, audited, and the sign-in page drops the link', async () => {
      const other = (await api.ok('POST', '/v1/tenants', 201, { name: 'Hooli' })).id;
      const url = `/v1/tenants/${other}/sso`;
      assertErrorBody((await api.call('GET', url)).body, 'SB_ERR_SSO_NOT_CONFIGURED');
      const made = await api.ok('PUT', url, 200, { issuer: 'https://login.hooli.example/', clientId: 'cc', clientSecret: 'short' });
      assert.equal(made.clientSecretHint, '…', 'nothing of a short secret');
      assert.equal(made.autoProvision, false);
      assert.equal(made.enabled, true);
      const cleared = await api.ok('PUT', url, 200, { issuer: 'https://login.hooli.example/', clientId: 'cc', clientSecret: null });
      assert.equal(cleared.hasClientSecret, false);
      assert.equal(cleared.clientSecretHint, null);
      assert.match((await sb.app.inject({ method: 'GET', url: `/login/${other}/signin` })).body, /Sign in with login\.hooli\.example/);

      assert.equal((await api.call('DELETE', url)).status, 204);
      assertErrorBody((await api.call('GET', url)).body, 'SB_ERR_SSO_NOT_CONFIGURED');
      assertErrorBody((await api.call('DELETE', url)).body, 'SB_ERR_SSO_NOT_CONFIGURED');
      assert.equal((await sb.deps.storage.read.identity.listAudit(other, { action: 'sso.deleted' }, { limit: 10 })).length, 1);
      assert.doesNotMatch((await sb.app.inject({ method: 'GET', url: `/login/${other}/signin` })).body, /Sign in with/);
      assert.equal((await sb.app.inject({ method: 'GET', url: `/login/${other}/sso/start` })).statusCode, 404);
    });

    it('the use case itself never hands the secret out either', async () => {
      const view = await configureSso(sb.identity, SYSTEM_CALLER, tenantId, { issuer: provider.issuer, clientId: provider.clientId, scopes: settings.scopes as string[], roleMapping: settings.roleMapping as Record<string, string>, autoProvision: true });
      assert.ok(!('clientSecret' in view));
      assert.equal(view.hasClientSecret, true);
    });

    // Last: it restarts the server. The attempt lives in the database, not in the node's memory.
    it('finishes a sign-in started before a restart, and its cookie serves once', async () => {
      const start = await sb.app.inject({ method: 'GET', url: `/login/${tenantId}/sso/start?return_to=${encodeURIComponent('/app/queue')}` });
      const attempt = cookieValue(start.headers, 'sb_sso')!;
      const callback = new URL(await browserSignIn(String(start.headers.location), 'alice', new CookieJar()));
      sb = await sb.restart({ signInRateLimit: 1000 });
      const res = await sb.app.inject({ method: 'GET', url: `${callback.pathname}${callback.search}`, headers: { cookie: attempt } });
      assert.equal(res.statusCode, 302, res.body);
      assert.equal(res.headers.location, '/app/queue');
      assert.ok(cookieValue(res.headers, 'sb_session'));
      const again = await sb.app.inject({ method: 'GET', url: `${callback.pathname}${callback.search}`, headers: { cookie: attempt } });
      assert.equal(again.statusCode, 401);
      assert.equal((await lastSsoAudit()).details.reason, 'no_sign_in_in_progress');
    });
  });
}

ssoSuite('sqlite', false);
ssoSuite('postgres', await postgresSkip());
