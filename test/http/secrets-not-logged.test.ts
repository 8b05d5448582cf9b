/**
 * "A secret is never logged or returned twice" (issue 4), end to end: a real server logging at
 * trace level goes through every way a credential reaches it (the bootstrap key, a client secret
 * in a form body and in Basic auth, a wrong secret, JWT access and refresh tokens, an
 * authorization code and PKCE verifier, a password and a wrong one, the session cookie and its
 * CSRF token, credentials in query strings), and then neither the log nor the audit log holds any
 * of them, and listing the secrets shows only the hint.
 */
import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { after, before, describe, it } from 'node:test';
import * as oidc from 'openid-client';
import { issueAuthorizationCode } from '../../src/app/identity/authorization-codes.js';
import { startTestServer, type TestServer } from '../support/test-server.js';
import { client, type Client } from './http-helpers.js';

const PASSWORD = 'correct horse battery staple';
const REDIRECT = 'http://127.0.0.1/callback';

describe('credentials never reach the log', () => {
  const lines: string[] = [];
  let sb: TestServer;
  let api: Client;
  /** Every credential the scenario handled; none may appear in any log line. */
  const credentials = new Map<string, string>();

  before(async () => {
    sb = await startTestServer({
      logTo: new Writable({ write(chunk, _encoding, done) { lines.push(String(chunk)); done(); } }),
      overrides: { signInRateLimit: 1000 },
    });
    api = client(sb.app, sb.auth);
    credentials.set('bootstrap API key', sb.key);
  });
  after(() => sb.stop());

  const form = (url: string, params: Record<string, string>, headers: Record<string, string> = {}) =>
    sb.app.inject({ method: 'POST', url, headers: { 'content-type': 'application/x-www-form-urlencoded', ...headers }, payload: new URLSearchParams(params).toString() });

  it('runs every credential through the server', async () => {
    const tenant = (await api.ok('POST', '/v1/tenants', 201, { name: 'Acme' })).id as string;
    const t = `/v1/tenants/${tenant}`;
    const app = await api.ok('POST', `${t}/apps`, 201, {
      name: 'Web app', redirectUris: [REDIRECT], applicationPermissions: ['conversations.read'], delegatedScopes: ['conversations.read'],
    });
    const secret = await api.ok('POST', `${t}/apps/${app.id}/secrets`, 201, { description: 'logging test' });
    credentials.set('client secret', secret.value);
    await api.ok('POST', `${t}/enterprise-apps`, 201, { clientId: app.clientId });

    // Returned once: the list shows the hint only.
    const listed = JSON.stringify(await api.ok('GET', `${t}/apps/${app.id}/secrets`, 200));
    assert.ok(!listed.includes(secret.value), 'the secret value is listed');

    const token = `/login/${tenant}/oauth2/v2.0/token`;
    const scope = 'api://switchboard/.default';
    const post = await form(token, { grant_type: 'client_credentials', client_id: app.clientId, client_secret: secret.value, scope });
    assert.equal(post.statusCode, 200, post.body);
    const accessToken = post.json().access_token as string;
    credentials.set('access token', accessToken);
    const basic = Buffer.from(`${encodeURIComponent(app.clientId)}:${encodeURIComponent(secret.value)}`).toString('base64');
    assert.equal((await form(token, { grant_type: 'client_credentials', scope }, { authorization: `Basic ${basic}` })).statusCode, 200);
    const wrongSecret = `sbs_${'x'.repeat(43)}`;
    credentials.set('wrong client secret', wrongSecret);
    const refused = await form(token, { grant_type: 'client_credentials', client_id: app.clientId, client_secret: wrongSecret, scope });
    assert.equal(refused.json().error, 'invalid_client', refused.body);

    // The access token on the API, in the header and (as browsers' sockets do) in the query.
    const get = await sb.app.inject({ method: 'GET', url: `${t}/conversations`, headers: { authorization: `Bearer ${accessToken}` } });
    assert.equal(get.statusCode, 200, get.body);
    await sb.app.inject({ method: 'GET', url: `${t}/conversations?access_token=${accessToken}` });
    // A Direct Line stream token travels as `t` in the stream URL (any route that sees one must not log it).
    const streamToken = `dl.${'s'.repeat(40)}.sig`;
    credentials.set('Direct Line stream token', streamToken);
    await sb.app.inject({ method: 'GET', url: `/v3/directline/conversations/conv_x/activities?t=${streamToken}` });

    // A person: invited with a password, signs in (and fails once), uses the session.
    const user = await api.ok('POST', `${t}/users`, 201, { email: 'ana@acme.example', displayName: 'Ana', password: PASSWORD, roles: [{ role: 'supervisor' }] });
    credentials.set('password', PASSWORD);
    const wrongPassword = 'not the password at all';
    credentials.set('wrong password', wrongPassword);
    const signIn = (password: string) => sb.app.inject({
      method: 'POST', url: '/v1/auth/password', headers: { 'content-type': 'application/json' }, payload: JSON.stringify({ tenantId: tenant, email: user.email, password }),
    });
    assert.equal((await signIn(wrongPassword)).statusCode, 401);
    const session = await signIn(PASSWORD);
    assert.equal(session.statusCode, 200, session.body);
    const cookie = String([session.headers['set-cookie']].flat().find((c) => String(c).startsWith('sb_session='))).split(';')[0]!;
    credentials.set('session cookie', cookie.split('=')[1]!);
    credentials.set('CSRF token', session.json().csrfToken);
    const changed = await sb.app.inject({
      method: 'POST', url: `${t}/groups`, headers: { cookie, 'x-csrf-token': session.json().csrfToken, 'content-type': 'application/json' }, payload: JSON.stringify({ name: 'Night shift' }),
    });
    assert.notEqual(changed.statusCode, 500, changed.body);

    // Delegated access: an authorization code with PKCE, then the refresh token.
    const verifier = oidc.randomPKCECodeVerifier();
    credentials.set('PKCE verifier', verifier);
    const code = await issueAuthorizationCode(sb.identity, {
      tenantId: tenant, appId: app.id, userId: user.id, redirectUri: REDIRECT, scopes: ['openid', 'offline_access', 'conversations.read'],
      codeChallenge: await oidc.calculatePKCECodeChallenge(verifier), codeChallengeMethod: 'S256', nonce: null,
    });
    credentials.set('authorization code', code);
    const exchanged = await form(token, {
      grant_type: 'authorization_code', code, redirect_uri: REDIRECT, code_verifier: verifier, client_id: app.clientId, client_secret: secret.value,
    });
    assert.equal(exchanged.statusCode, 200, exchanged.body);
    const refreshToken = exchanged.json().refresh_token as string;
    credentials.set('refresh token', refreshToken);
    credentials.set('ID token', exchanged.json().id_token as string);
    const refreshed = await form(token, { grant_type: 'refresh_token', refresh_token: refreshToken, client_id: app.clientId, client_secret: secret.value });
    assert.equal(refreshed.statusCode, 200, refreshed.body);
    credentials.set('rotated refresh token', refreshed.json().refresh_token as string);

    // Credentials in query strings of the sign-in callback (a provider's code and state).
    const providerCode = 'provider-code-4f0c9a7e1b';
    credentials.set('provider code', providerCode);
    await sb.app.inject({ method: 'GET', url: `/login/${tenant}/sso/callback?code=${providerCode}&state=provider-state-77aa` });
    credentials.set('provider state', 'provider-state-77aa');

    // A request that fails validation with a credential in its body.
    await sb.app.inject({ method: 'POST', url: '/v1/auth/password', headers: { 'content-type': 'application/json' }, payload: JSON.stringify({ tenantId: tenant, password: PASSWORD, extra: secret.value }) });
  });

  it('wrote log lines, none holding a credential', () => {
    assert.ok(lines.length > 20, `the server logged ${lines.length} lines at trace level`);
    const log = lines.join('');
    assert.match(log, /\/oauth2\/v2\.0\/token/, 'requests are logged');
    for (const [what, value] of credentials) assert.ok(!log.includes(value), `the log holds the ${what}`);
  });

  it('keeps every credential out of the audit log', async () => {
    const tenants = await sb.deps.storage.read.listTenants();
    const entries = [
      ...(await sb.identity.storage.read.identity.listAudit(null, {}, { limit: 1000 })),
      ...(await Promise.all(tenants.map((x) => sb.identity.storage.read.identity.listAudit(x.id, {}, { limit: 1000 })))).flat(),
    ];
    assert.ok(entries.length > 10, `${entries.length} audit entries`);
    const audit = JSON.stringify(entries);
    for (const [what, value] of credentials) assert.ok(!audit.includes(value), `the audit log holds the ${what}`);
  });
});
