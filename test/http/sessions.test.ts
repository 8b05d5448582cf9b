import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { SYSTEM_CALLER } from '../../src/app/caller.js';
import { addAppSecret } from '../../src/app/identity/app-credentials.js';
import { registerApp } from '../../src/app/identity/app-registrations.js';
import { issueAuthorizationCode } from '../../src/app/identity/authorization-codes.js';
import { grantConsent } from '../../src/app/identity/consent.js';
import { inviteUser, updateUser } from '../../src/app/identity/user-admin.js';
import type { User } from '../../src/core/identity/identity-model.js';
import { postgresSkip } from '../support/postgres.js';
import { snapshotDatabase } from '../support/snapshot.js';
import { startTestServer, type TestServer } from '../support/test-server.js';
import { assertErrorBody, client, seedTenant, type Client, type TenantFixture } from './http-helpers.js';

const PASSWORD = 'correct horse battery staple';

interface Signed {
  readonly status: number;
  readonly body: any;
  readonly cookie: string | undefined;
  readonly setCookie: string | undefined;
  readonly headers: Record<string, unknown>;
}

async function passwordSignIn(sb: TestServer, tenantId: string, email: string, password: string, headers: Record<string, string> = {}): Promise<Signed> {
  const res = await sb.app.inject({ method: 'POST', url: '/v1/auth/password', headers: { 'content-type': 'application/json', ...headers }, payload: JSON.stringify({ tenantId, email, password }) });
  const raw = res.headers['set-cookie'];
  const setCookie = (Array.isArray(raw) ? raw : raw ? [raw] : []).find((c) => c.startsWith('sb_session='));
  return {
    status: res.statusCode, body: res.body ? JSON.parse(res.body) : undefined, headers: res.headers as Record<string, unknown>,
    setCookie, cookie: setCookie?.split(';')[0],
  };
}

const REDIRECT = 'https://crm.example.com/callback';

/**
 * A delegated access token for `user` from a consented confidential app: a code issued as the
 * authorize page would, redeemed at the token endpoint.
 */
async function delegatedToken(sb: TestServer, tenantId: string, user: User): Promise<string> {
  const app = await registerApp(sb.identity, SYSTEM_CALLER, tenantId, { name: 'Wallboard', redirectUris: [REDIRECT], delegatedScopes: ['conversations.read', 'users.read'] });
  const secret = await addAppSecret(sb.identity, SYSTEM_CALLER, tenantId, app.id, { description: 'test' });
  await grantConsent(sb.identity, SYSTEM_CALLER, tenantId, app.clientId);
  const code = await issueAuthorizationCode(sb.identity, {
    tenantId, appId: app.id, userId: user.id, redirectUri: REDIRECT, scopes: ['openid', 'conversations.read'], codeChallenge: null, codeChallengeMethod: null, nonce: null,
  });
  const res = await sb.app.inject({
    method: 'POST', url: `/login/${tenantId}/oauth2/v2.0/token`, headers: { 'content-type': 'application/x-www-form-urlencoded' },
    payload: new URLSearchParams({ grant_type: 'authorization_code', code, redirect_uri: REDIRECT, client_id: app.clientId, client_secret: secret.value }).toString(),
  });
  assert.equal(res.statusCode, 200, res.body);
  return JSON.parse(res.body).access_token as string;
}

/** Both suites run on SQLite and on PostgreSQL: sessions, lockouts and audit entries are rows in the store. */
function sessionSuites(database: 'sqlite' | 'postgres', skip: false | string): void {
  describe(`password sign-in and sessions (${database})`, { skip }, () => {
    let sb: TestServer;
    let api: Client;
    let f: TenantFixture;
    let inQueue: string;
    let agentEmail: string;

    before(async () => {
      sb = await startTestServer({ database, env: { SWITCHBOARD_LOCKOUT_THRESHOLD: '3' }, overrides: { signInRateLimit: 1000 } });
      api = client(sb.app, sb.auth);
      f = await seedTenant(api, 'Acme');
      const other = await api.ok('POST', `/v1/tenants/${f.tenantId}/queues`, 201, { name: 'Other queue', memberIds: [] });
      inQueue = (await api.ok('POST', `/v1/tenants/${f.tenantId}/conversations`, 201, { channelId: f.channelId, contactId: f.contactId, queueId: f.queueId })).id;
      await api.ok('POST', `/v1/tenants/${f.tenantId}/conversations`, 201, { channelId: f.channelId, contactId: f.contactId, queueId: other.id });
      agentEmail = 'ana@acme.example';
      await inviteUser(sb.identity, SYSTEM_CALLER, f.tenantId, { email: agentEmail, displayName: 'Ana', password: PASSWORD, agentId: f.agentId, roles: [{ role: 'agent' }] });
    });
    after(() => sb?.stop());

    it('sets an HttpOnly, SameSite=Lax session cookie and answers the user and a CSRF token', async () => {
      const res = await passwordSignIn(sb, f.tenantId, 'ANA@acme.example', PASSWORD);
      assert.equal(res.status, 200, JSON.stringify(res.body));
      assert.equal(res.body.user.email, agentEmail);
      assert.equal(typeof res.body.csrfToken, 'string');
      assert.ok(res.body.csrfToken.length >= 43);
      assert.match(res.setCookie!, /HttpOnly/);
      assert.match(res.setCookie!, /SameSite=Lax/);
      assert.match(res.setCookie!, /Path=\//);
      assert.doesNotMatch(res.setCookie!, /Secure/, 'plain http to loopback: not Secure');
      const remote = await passwordSignIn(sb, f.tenantId, agentEmail, PASSWORD, { host: 'cc.example.com' });
      assert.match(remote.setCookie!, /Secure/, 'anywhere else: Secure');
    });

    it('lets an agent read the conversations of their own queues only, and refuses admin routes', async () => {
      const { cookie } = await passwordSignIn(sb, f.tenantId, agentEmail, PASSWORD);
      const me = client(sb.app, { cookie: cookie! });
      const list = await me.ok('GET', `/v1/tenants/${f.tenantId}/conversations`, 200);
      assert.deepEqual(list.items.map((c: { id: string }) => c.id), [inQueue]);
      const users = await me.call('GET', `/v1/tenants/${f.tenantId}/users`);
      assert.equal(users.status, 403);
      assertErrorBody(users.body, 'SB_ERR_FORBIDDEN');
      const anonymous = await client(sb.app, {}).call('GET', `/v1/tenants/${f.tenantId}/conversations`);
      assert.equal(anonymous.status, 401);
    });

    it('refuses a state-changing request with the cookie but without X-CSRF-Token, changing nothing', async () => {
      const signed = await passwordSignIn(sb, f.tenantId, agentEmail, PASSWORD);
      const me = client(sb.app, { cookie: signed.cookie! });
      const url = `/v1/tenants/${f.tenantId}/conversations/${inQueue}/messages`;
      const before = await snapshotDatabase(sb);
      const missing = await me.call('POST', url, { senderRole: 'customer', text: 'forged' });
      assert.equal(missing.status, 403);
      assertErrorBody(missing.body, 'SB_ERR_CSRF');
      const wrong = await me.call('POST', url, { senderRole: 'customer', text: 'forged' }, { 'x-csrf-token': 'x'.repeat(43) });
      assertErrorBody(wrong.body, 'SB_ERR_CSRF');
      assert.equal(await snapshotDatabase(sb), before, 'nothing changed');
      await me.ok('POST', url, 201, { senderRole: 'customer', text: 'real' }, { 'x-csrf-token': signed.body.csrfToken });
      assert.notEqual(await snapshotDatabase(sb), before, 'the snapshot does see a change');
    });

    it('GET /v1/session describes the person and issues a new CSRF token that replaces the old one', async () => {
      const signed = await passwordSignIn(sb, f.tenantId, agentEmail, PASSWORD);
      const me = client(sb.app, { cookie: signed.cookie! });
      const session = await me.ok('GET', '/v1/session', 200);
      assert.equal(session.user.email, agentEmail);
      assert.equal(session.tenant.id, f.tenantId);
      assert.ok(session.permissions.includes('conversations.read'));
      assert.ok(!session.permissions.includes('users.write'));
      assert.notEqual(session.csrfToken, signed.body.csrfToken);
      const url = `/v1/tenants/${f.tenantId}/conversations/${inQueue}/messages`;
      const old = await me.call('POST', url, { senderRole: 'customer', text: 'old token' }, { 'x-csrf-token': signed.body.csrfToken });
      assertErrorBody(old.body, 'SB_ERR_CSRF');
      await me.ok('POST', url, 201, { senderRole: 'customer', text: 'new token' }, { 'x-csrf-token': session.csrfToken });
      assert.equal((await client(sb.app, {}).call('GET', '/v1/session')).status, 401);
    });

    it('bearer tokens take precedence over the cookie (no CSRF check for them)', async () => {
      const signed = await passwordSignIn(sb, f.tenantId, agentEmail, PASSWORD);
      const both = client(sb.app, { ...sb.auth, cookie: signed.cookie! });
      await both.ok('POST', `/v1/tenants/${f.tenantId}/queues`, 201, { name: 'Made with the key', memberIds: [] });
    });

    it('signs out: the cookie stops working', async () => {
      const signed = await passwordSignIn(sb, f.tenantId, agentEmail, PASSWORD);
      const me = client(sb.app, { cookie: signed.cookie! });
      assertErrorBody((await me.call('POST', '/v1/auth/signout')).body, 'SB_ERR_CSRF');
      const out = await me.call('POST', '/v1/auth/signout', undefined, { 'x-csrf-token': signed.body.csrfToken });
      assert.equal(out.status, 204);
      assert.equal((await me.call('GET', `/v1/tenants/${f.tenantId}/conversations`)).status, 401);
    });

    it('gives an unknown e-mail and a wrong password the same answer', async () => {
      const unknown = await passwordSignIn(sb, f.tenantId, 'nobody@acme.example', PASSWORD);
      await inviteUser(sb.identity, SYSTEM_CALLER, f.tenantId, { email: 'ben@acme.example', displayName: 'Ben', password: PASSWORD, roles: [{ role: 'agent' }] });
      const wrong = await passwordSignIn(sb, f.tenantId, 'ben@acme.example', 'not the password at all');
      assert.equal(unknown.status, 401);
      assert.equal(wrong.status, 401);
      assert.deepEqual(unknown.body, wrong.body);
      assertErrorBody(unknown.body, 'SB_ERR_INVALID_CREDENTIALS');
      assert.equal(unknown.setCookie, undefined);
    });

    it('locks the account after the threshold, refusing even the right password, and audits every attempt', async () => {
      const email = 'cleo@acme.example';
      const cleo = await inviteUser(sb.identity, SYSTEM_CALLER, f.tenantId, { email, displayName: 'Cleo', password: PASSWORD, roles: [{ role: 'agent' }] });
      for (let i = 0; i < 3; i++) assert.equal((await passwordSignIn(sb, f.tenantId, email, `wrong password ${i}`)).status, 401);
      const locked = await passwordSignIn(sb, f.tenantId, email, PASSWORD);
      assert.equal(locked.status, 423);
      assertErrorBody(locked.body, 'SB_ERR_ACCOUNT_LOCKED');
      assert.equal(locked.setCookie, undefined);
      const entries = await sb.deps.storage.read.identity.listAudit(f.tenantId, { action: 'signin.password', targetId: cleo.id }, { limit: 20 });
      assert.deepEqual(entries.map((e) => e.outcome), ['denied', 'failure', 'failure', 'failure']);
      assert.equal(entries[0]!.details.reason, 'locked');
      assert.equal(entries[0]!.ip, '127.0.0.1');
      assert.ok(!JSON.stringify(entries).includes('wrong password'), 'no password in the audit log');
    });

    it('a disabled person’s existing session stops working at once, and they cannot sign in', async () => {
      const email = 'dan@acme.example';
      const dan = await inviteUser(sb.identity, SYSTEM_CALLER, f.tenantId, { email, displayName: 'Dan', password: PASSWORD, agentId: f.agentId, roles: [{ role: 'agent' }] });
      const signed = await passwordSignIn(sb, f.tenantId, email, PASSWORD);
      const me = client(sb.app, { cookie: signed.cookie! });
      await me.ok('GET', `/v1/tenants/${f.tenantId}/conversations`, 200);
      await updateUser(sb.identity, SYSTEM_CALLER, f.tenantId, dan.id, { status: 'disabled' });
      assert.equal((await me.call('GET', `/v1/tenants/${f.tenantId}/conversations`)).status, 401);
      const again = await passwordSignIn(sb, f.tenantId, email, PASSWORD);
      assertErrorBody(again.body, 'SB_ERR_INVALID_CREDENTIALS');
    });

    it('disabling a person refuses the very next request with their session cookie and with their delegated token', async () => {
      const email = 'eve@acme.example';
      const eve = await inviteUser(sb.identity, SYSTEM_CALLER, f.tenantId, { email, displayName: 'Eve', password: PASSWORD, agentId: f.agentId, roles: [{ role: 'agent' }] });
      const signed = await passwordSignIn(sb, f.tenantId, email, PASSWORD);
      const byCookie = client(sb.app, { cookie: signed.cookie! });
      const byToken = client(sb.app, { authorization: `Bearer ${await delegatedToken(sb, f.tenantId, eve)}` });
      const url = `/v1/tenants/${f.tenantId}/conversations`;
      // Twice each: the second answer comes from the caches a disabled person must not outlive.
      for (let i = 0; i < 2; i++) {
        await byCookie.ok('GET', url, 200);
        await byToken.ok('GET', url, 200);
      }
      await api.ok('PATCH', `/v1/tenants/${f.tenantId}/users/${eve.id}`, 200, { status: 'disabled' });
      const cookieAfter = await byCookie.call('GET', url);
      assert.equal(cookieAfter.status, 401);
      assertErrorBody(cookieAfter.body, 'SB_ERR_UNAUTHENTICATED');
      const tokenAfter = await byToken.call('GET', url);
      assert.equal(tokenAfter.status, 401);
      assertErrorBody(tokenAfter.body, 'SB_ERR_UNAUTHENTICATED');
    });

    it('a removed role and a new queue membership apply to the very next request too', async () => {
      const agent = await api.ok('POST', `/v1/tenants/${f.tenantId}/agents`, 201, { kind: 'human', displayName: 'Finn', capacity: 2 });
      const email = 'finn@acme.example';
      const finn = await inviteUser(sb.identity, SYSTEM_CALLER, f.tenantId, { email, displayName: 'Finn', password: PASSWORD, agentId: agent.id, roles: [{ role: 'agent' }] });
      const signed = await passwordSignIn(sb, f.tenantId, email, PASSWORD);
      const byCookie = client(sb.app, { cookie: signed.cookie! });
      const byToken = client(sb.app, { authorization: `Bearer ${await delegatedToken(sb, f.tenantId, finn)}` });
      const url = `/v1/tenants/${f.tenantId}/conversations`;
      const ids = async (c: Client) => (await c.ok('GET', url, 200)).items.map((x: { id: string }) => x.id);
      assert.deepEqual(await ids(byCookie), [], 'in no queue yet: nothing to see');
      assert.deepEqual(await ids(byToken), []);
      await api.ok('POST', `/v1/tenants/${f.tenantId}/queues/${f.queueId}/members`, 200, { agentId: agent.id });
      assert.deepEqual(await ids(byCookie), [inQueue], 'the queue the agent just joined');
      assert.deepEqual(await ids(byToken), [inQueue]);
      const [assignment] = await api.ok('GET', `/v1/tenants/${f.tenantId}/role-assignments?principalType=user&principalId=${finn.id}`, 200).then((r) => r.items);
      assert.equal((await api.call('DELETE', `/v1/tenants/${f.tenantId}/role-assignments/${assignment.id}`)).status, 204);
      for (const c of [byCookie, byToken]) {
        const res = await c.call('GET', url);
        assert.equal(res.status, 403);
        assertErrorBody(res.body, 'SB_ERR_FORBIDDEN');
      }
    });
  });

  describe(`sign-in rate limit (${database})`, { skip }, () => {
    let sb: TestServer;
    before(async () => {
      sb = await startTestServer({ database, overrides: { signInRateLimit: 3 } });
    });
    after(() => sb?.stop());

    it('answers 429 SB_ERR_RATE_LIMITED with Retry-After past the limit per address', async () => {
      for (let i = 0; i < 3; i++) assert.equal((await passwordSignIn(sb, 'ten_nope', 'a@b.example', 'whatever')).status, 401);
      const limited = await passwordSignIn(sb, 'ten_nope', 'a@b.example', 'whatever');
      assert.equal(limited.status, 429);
      assertErrorBody(limited.body, 'SB_ERR_RATE_LIMITED');
      assert.ok(Number(limited.headers['retry-after']) > 0);
      const form = () => sb.app.inject({ method: 'POST', url: '/login/ten_nope/signin', headers: { 'content-type': 'application/x-www-form-urlencoded' }, payload: 'email=a%40b.example&password=x' });
      for (let i = 0; i < 3; i++) assert.notEqual((await form()).statusCode, 429);
      const page = await form();
      assert.equal(page.statusCode, 429, 'the HTML sign-in form is limited too');
      assert.ok(Number(page.headers['retry-after']) > 0);
    });
  });
}

sessionSuites('sqlite', false);
sessionSuites('postgres', await postgresSkip());
