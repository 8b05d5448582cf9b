import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { SYSTEM_CALLER } from '../../src/app/caller.js';
import { registerApp } from '../../src/app/identity/app-registrations.js';
import { grantConsent } from '../../src/app/identity/consent.js';
import { inviteUser } from '../../src/app/identity/user-admin.js';
import type { AppRegistration } from '../../src/core/identity/identity-model.js';
import { postgresSkip } from '../support/postgres.js';
import { startTestServer, type TestServer } from '../support/test-server.js';
import { client } from './http-helpers.js';

const PASSWORD = 'correct horse battery staple';
const REDIRECT = 'https://crm.example.com/callback';

/** On SQLite and on PostgreSQL: consents, codes and sessions are rows in the store. */
function consentSuite(database: 'sqlite' | 'postgres', skip: false | string): void {
  describe(`admin consent and authorize pages (${database})`, { skip }, () => {
    let sb: TestServer;
    let tenantId: string;
    let publisherId: string;
    let app: AppRegistration;
    let adminCookie: string;
    let agentCookie: string;

    async function cookieOf(email: string): Promise<string> {
      const res = await sb.app.inject({ method: 'POST', url: '/v1/auth/password', headers: { 'content-type': 'application/json' }, payload: JSON.stringify({ tenantId, email, password: PASSWORD }) });
      assert.equal(res.statusCode, 200, res.body);
      const raw = res.headers['set-cookie'];
      return (Array.isArray(raw) ? raw : [raw!]).find((c) => c.startsWith('sb_session='))!.split(';')[0]!;
    }
    const get = (url: string, cookie?: string) => sb.app.inject({ method: 'GET', url, headers: cookie ? { cookie } : {} });
    const postForm = (url: string, form: Record<string, string>, cookie?: string) => sb.app.inject({
      method: 'POST', url, headers: { 'content-type': 'application/x-www-form-urlencoded', ...(cookie ? { cookie } : {}) }, payload: new URLSearchParams(form).toString(),
    });
    const hiddenFields = (html: string) => Object.fromEntries([...html.matchAll(/<input type="hidden" name="([^"]+)" value="([^"]*)">/g)].map((m) => [m[1]!, m[2]!.replace(/&amp;/g, '&')]));

    before(async () => {
      sb = await startTestServer({ database, overrides: { signInRateLimit: 1000 } });
      const api = client(sb.app, sb.auth);
      tenantId = (await api.ok('POST', '/v1/tenants', 201, { name: 'Initech' })).id;
      publisherId = (await api.ok('POST', '/v1/tenants', 201, { name: 'CRM Vendor' })).id;
      app = await registerApp(sb.identity, SYSTEM_CALLER, publisherId, {
        name: 'Helpful CRM', accountType: 'multi-tenant', redirectUris: [REDIRECT], publicClient: true, delegatedScopes: ['conversations.read', 'contacts.read'],
      });
      await inviteUser(sb.identity, SYSTEM_CALLER, tenantId, { email: 'admin@initech.example', displayName: 'Admin', password: PASSWORD, roles: [{ role: 'administrator' }] });
      await inviteUser(sb.identity, SYSTEM_CALLER, tenantId, { email: 'agent@initech.example', displayName: 'Agent', password: PASSWORD, roles: [{ role: 'agent' }] });
      adminCookie = await cookieOf('admin@initech.example');
      agentCookie = await cookieOf('agent@initech.example');
    });
    after(() => sb?.stop());

    const consentUrl = (redirect = REDIRECT) => `/login/${tenantId}/adminconsent?client_id=${app.clientId}&redirect_uri=${encodeURIComponent(redirect)}&state=s-123`;

    it('sends an unauthenticated visitor to sign in, coming back afterwards', async () => {
      const res = await get(consentUrl());
      assert.equal(res.statusCode, 302);
      const location = new URL(String(res.headers.location), 'http://x');
      assert.equal(location.pathname, `/login/${tenantId}/signin`);
      assert.equal(location.searchParams.get('return_to'), consentUrl());
    });

    it('refuses an agent with a 403 page, audited', async () => {
      const res = await get(consentUrl(), agentCookie);
      assert.equal(res.statusCode, 403);
      assert.match(res.body, /consent\.grant/);
      const denied = await sb.deps.storage.read.identity.listAudit(tenantId, { action: 'access.denied' }, { limit: 1 });
      assert.equal(denied[0]?.details.permission, 'consent.grant');
    });

    it('shows an administrator the app and its permissions; an unregistered redirect_uri gets an error page, no redirect', async () => {
      const res = await get(consentUrl(), adminCookie);
      assert.equal(res.statusCode, 200, res.body);
      assert.match(res.body, /Helpful CRM/);
      assert.match(res.body, /CRM Vendor/);
      assert.match(res.body, /multi-tenant/);
      assert.match(res.body, /conversations\.read<\/code>: Read conversations, participants, messages and context in scope\./);
      assert.match(res.body, /contacts\.read/);
      assert.equal(res.headers['x-frame-options'], 'DENY');
      const bad = await get(consentUrl('https://evil.example/cb'), adminCookie);
      assert.equal(bad.statusCode, 400);
      assert.equal(bad.headers.location, undefined);
    });

    it('Cancel redirects with access_denied and stores nothing; a form without the CSRF token is refused', async () => {
      const fields = hiddenFields((await get(consentUrl(), adminCookie)).body);
      const forged = await postForm(`/login/${tenantId}/adminconsent`, { ...fields, csrf_token: 'nope', action: 'accept' }, adminCookie);
      assert.equal(forged.statusCode, 403);
      assert.equal(await sb.deps.storage.read.identity.getConsent(tenantId, app.id), undefined);
      const res = await postForm(`/login/${tenantId}/adminconsent`, { ...fields, action: 'cancel' }, adminCookie);
      assert.equal(res.statusCode, 302);
      const location = new URL(String(res.headers.location));
      assert.equal(`${location.origin}${location.pathname}`, REDIRECT);
      assert.equal(location.searchParams.get('error'), 'access_denied');
      assert.equal(location.searchParams.get('state'), 's-123');
      assert.equal(await sb.deps.storage.read.identity.getConsent(tenantId, app.id), undefined);
      const tampered = await postForm(`/login/${tenantId}/adminconsent`, { ...fields, redirect_uri: 'https://evil.example/cb', action: 'cancel' }, adminCookie);
      assert.equal(tampered.statusCode, 400);
      assert.equal(tampered.headers.location, undefined);
    });

    it('authorize before consent: consent_required back to the app', async () => {
      const res = await get(`/login/${tenantId}/oauth2/v2.0/authorize?client_id=${app.clientId}&redirect_uri=${encodeURIComponent(REDIRECT)}&response_type=code&scope=openid%20conversations.read&state=a1&code_challenge=${'a'.repeat(43)}&code_challenge_method=S256`, adminCookie);
      assert.equal(res.statusCode, 302);
      assert.equal(new URL(String(res.headers.location)).searchParams.get('error'), 'consent_required');
    });

    it('Accept stores the consent and redirects with admin_consent=True', async () => {
      const fields = hiddenFields((await get(consentUrl(), adminCookie)).body);
      const res = await postForm(`/login/${tenantId}/adminconsent`, { ...fields, action: 'accept' }, adminCookie);
      assert.equal(res.statusCode, 302, res.body);
      const location = new URL(String(res.headers.location));
      assert.equal(location.searchParams.get('admin_consent'), 'True');
      assert.equal(location.searchParams.get('tenant'), tenantId);
      assert.equal(location.searchParams.get('state'), 's-123');
      const consent = await sb.deps.storage.read.identity.getConsent(tenantId, app.id);
      assert.deepEqual(consent?.delegatedScopes, ['conversations.read', 'contacts.read']);
    });

    describe('authorize', () => {
      const verifier = randomBytes(32).toString('base64url');
      const challenge = createHash('sha256').update(verifier).digest('base64url');
      const authorizeUrl = (params: Record<string, string | undefined>) => {
        const all: Record<string, string | undefined> = {
          client_id: app.clientId, redirect_uri: REDIRECT, response_type: 'code', scope: 'openid profile conversations.read', state: 'st-9',
          code_challenge: challenge, code_challenge_method: 'S256', nonce: 'n-1', ...params,
        };
        const q = new URLSearchParams();
        for (const [k, v] of Object.entries(all)) if (v !== undefined) q.set(k, v);
        return `/login/${tenantId}/oauth2/v2.0/authorize?${q}`;
      };

      before(async () => {
        if (!(await sb.deps.storage.read.identity.getConsent(tenantId, app.id))) await grantConsent(sb.identity, SYSTEM_CALLER, tenantId, app.clientId);
      });

      it('returns a code to the exact redirect_uri, redeemable at the token endpoint with the verifier', async () => {
        const res = await get(authorizeUrl({}), adminCookie);
        assert.equal(res.statusCode, 302, res.body);
        const location = new URL(String(res.headers.location));
        assert.equal(`${location.origin}${location.pathname}`, REDIRECT);
        assert.equal(location.searchParams.get('state'), 'st-9');
        const code = location.searchParams.get('code');
        assert.ok(code && code.length >= 43);
        const token = await postForm(`/login/${tenantId}/oauth2/v2.0/token`, { grant_type: 'authorization_code', code, redirect_uri: REDIRECT, client_id: app.clientId, code_verifier: verifier });
        assert.equal(token.statusCode, 200, token.body);
        const body = JSON.parse(token.body);
        assert.equal(typeof body.access_token, 'string');
      });

      it('sends a visitor without a session to sign in first', async () => {
        const res = await get(authorizeUrl({}));
        assert.equal(res.statusCode, 302);
        const location = new URL(String(res.headers.location), 'http://x');
        assert.equal(location.pathname, `/login/${tenantId}/signin`);
        assert.equal(location.searchParams.get('return_to'), authorizeUrl({}));
      });

      it('refuses a public client without PKCE, and the plain method', async () => {
        for (const params of [{ code_challenge: undefined, code_challenge_method: undefined }, { code_challenge_method: 'plain' }, { code_challenge_method: undefined }]) {
          const res = await get(authorizeUrl(params), adminCookie);
          assert.equal(res.statusCode, 302);
          const location = new URL(String(res.headers.location));
          assert.equal(location.searchParams.get('error'), 'invalid_request', JSON.stringify(params));
          assert.equal(location.searchParams.get('code'), null);
        }
      });

      it('never redirects to an unregistered redirect_uri', async () => {
        for (const redirect of ['https://crm.example.com/callback/', 'https://crm.example.com/callback?x=1', 'https://evil.example/callback']) {
          const res = await get(authorizeUrl({ redirect_uri: redirect }), adminCookie);
          assert.equal(res.statusCode, 400, redirect);
          assert.equal(res.headers.location, undefined);
        }
      });

      it('refuses scopes beyond the consent', async () => {
        const res = await get(authorizeUrl({ scope: 'openid users.write' }), adminCookie);
        assert.equal(new URL(String(res.headers.location)).searchParams.get('error'), 'consent_required');
      });
    });
  });
}

consentSuite('sqlite', false);
consentSuite('postgres', await postgresSkip());
