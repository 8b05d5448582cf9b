import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { SYSTEM_CALLER } from '../../src/app/caller.js';
import { createGroup } from '../../src/app/identity/group-admin.js';
import { configureSso } from '../../src/app/identity/sso.js';
import { updateUser } from '../../src/app/identity/user-admin.js';
import { CookieJar } from '../support/cookie-jar.js';
import { browserSignIn, startOidcProvider, type RunningOidcProvider, type SignInChoice } from '../support/oidc-provider.js';
import { startTestServer, type TestServer } from '../support/test-server.js';
import { client, type Client } from './http-helpers.js';

/** Switchboard runs in-process (inject); its public URL only names the callback the provider redirects to. */
const PUBLIC_URL = 'http://127.0.0.1:9';

function setCookies(headers: Record<string, unknown>): string[] {
  const raw = headers['set-cookie'];
  return Array.isArray(raw) ? raw : typeof raw === 'string' ? [raw] : [];
}
function cookieValue(headers: Record<string, unknown>, name: string): string | undefined {
  const found = setCookies(headers).find((c) => c.startsWith(`${name}=`));
  return found?.split(';')[0];
}

describe('single sign-on with the tenant’s OpenID provider', () => {
  let sb: TestServer;
  let api: Client;
  let provider: RunningOidcProvider;
  let tenantId: string;
  let supportGroup: string;
  let salesGroup: string;

  before(async () => {
    sb = await startTestServer({ env: { SWITCHBOARD_PUBLIC_URL: PUBLIC_URL }, overrides: { signInRateLimit: 1000 } });
    api = client(sb.app, sb.auth);
    tenantId = (await api.ok('POST', '/v1/tenants', 201, { name: 'Globex' })).id;
    provider = await startOidcProvider({ redirectUri: `${PUBLIC_URL}/login/${tenantId}/sso/callback` });
    await configureSso(sb.identity, SYSTEM_CALLER, tenantId, {
      issuer: provider.issuer, clientId: provider.clientId, clientSecret: provider.clientSecret,
      scopes: ['email', 'profile', 'groups', 'roles'], roleMapping: { supervisor: 'supervisor', agent: 'agent' }, autoProvision: true,
    });
    supportGroup = (await createGroup(sb.deps, SYSTEM_CALLER, tenantId, { name: 'Support', externalId: 'support' })).id;
    salesGroup = (await createGroup(sb.deps, SYSTEM_CALLER, tenantId, { name: 'Sales', externalId: 'sales' })).id;
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
});
