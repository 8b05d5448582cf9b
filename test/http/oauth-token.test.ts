/**
 * The token endpoint and JWT authentication of API calls, through the real server: discovery and
 * client credentials with a standard client (openid-client: client_secret_basic,
 * client_secret_post, private_key_jwt), the token then used on the API, consent and credential
 * revocation, scopes, multi-tenant consent, the authorization code flow with PKCE and refresh
 * token rotation, the OAuth error shape, the rate limit, and signing key rotation. The main flows
 * run on SQLite and on PostgreSQL.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { createLocalJWKSet, jwtVerify } from 'jose';
import * as oidc from 'openid-client';
import { SYSTEM_CALLER } from '../../src/app/caller.js';
import { revokeAppSecret } from '../../src/app/identity/app-credentials.js';
import { registerApp } from '../../src/app/identity/app-registrations.js';
import { issueAuthorizationCode } from '../../src/app/identity/authorization-codes.js';
import { grantConsent, revokeConsent } from '../../src/app/identity/consent.js';
import { sha256Hex } from '../../src/app/identity/oauth-tokens.js';
import { SigningKeys } from '../../src/app/identity/signing-keys.js';
import { inviteUser, updateUser } from '../../src/app/identity/user-admin.js';
import { ManualClock } from '../../src/app/ports/fakes/manual-clock.js';
import type { AppRegistration, User } from '../../src/core/identity/identity-model.js';
import { postgresSkip } from '../support/postgres.js';
import { assertErrorBody } from './http-helpers.js';
import {
  addRsaCertificate, assertOAuthError, auditOf, claimsOf, clientCredentialsToken, confidentialApp, createTenant, getWith,
  eventually, postToken, postTokenHttp, startOAuthServer, type OAuthServer, type TestApp,
} from './oauth-fixtures.js';

const REDIRECT = 'http://127.0.0.1/callback';
const PASSWORD = 'correct horse battery staple';

async function discover(server: OAuthServer, tenantId: string, clientId: string, auth: oidc.ClientAuth): Promise<oidc.Configuration> {
  return oidc.discovery(new URL(`${server.base}/login/${tenantId}/v2.0`), clientId, undefined, auth, { execute: [oidc.allowInsecureRequests] });
}

async function person(server: OAuthServer, tenantId: string, email: string, role = 'supervisor'): Promise<User> {
  return inviteUser(server.sb.identity, SYSTEM_CALLER, tenantId, { email, displayName: email.split('@')[0]!, password: PASSWORD, roles: [{ role }] });
}

/** An app people sign in to (delegated scopes), consented in its tenant. */
async function webApp(server: OAuthServer, tenantId: string, options: { publicClient?: boolean } = {}): Promise<TestApp> {
  if (options.publicClient) {
    const app = await registerApp(server.sb.identity, SYSTEM_CALLER, tenantId, {
      name: 'Single-page app', publicClient: true, redirectUris: [REDIRECT], delegatedScopes: ['conversations.read', 'users.read'],
    });
    await grantConsent(server.sb.identity, SYSTEM_CALLER, tenantId, app.clientId);
    return { app, secret: '' };
  }
  return confidentialApp(server, tenantId, {
    name: 'Web app', applicationPermissions: [], redirectUris: [REDIRECT], delegatedScopes: ['conversations.read', 'users.read'],
  });
}

async function pkce(): Promise<{ verifier: string; challenge: string }> {
  const verifier = oidc.randomPKCECodeVerifier();
  return { verifier, challenge: await oidc.calculatePKCECodeChallenge(verifier) };
}

async function codeFor(server: OAuthServer, tenantId: string, app: AppRegistration, user: User, extra: { challenge?: string | null; scopes?: string[]; nonce?: string | null } = {}): Promise<string> {
  const challenge = extra.challenge === undefined ? null : extra.challenge;
  return issueAuthorizationCode(server.sb.identity, {
    tenantId, appId: app.id, userId: user.id, redirectUri: REDIRECT, scopes: extra.scopes ?? ['openid', 'profile', 'offline_access', 'conversations.read'],
    codeChallenge: challenge, codeChallengeMethod: challenge === null ? null : 'S256', nonce: extra.nonce ?? null,
  });
}

/** The flows that must hold on both databases. */
function mainFlows(database: 'sqlite' | 'postgres', skip: false | string): void {
  describe(`OAuth main flows (${database})`, { skip }, () => {
    let server: OAuthServer;
    let tenantA: string;
    let tenantB: string;

    before(async () => {
      server = await startOAuthServer({ database });
      tenantA = await createTenant(server, 'Acme');
      tenantB = await createTenant(server, 'Globex');
    });
    after(async () => server?.sb.stop());

    it('publishes discovery and keys that a standard client reads', async () => {
      const bot = await confidentialApp(server, tenantA);
      const config = await discover(server, tenantA, bot.app.clientId, oidc.ClientSecretBasic(bot.secret));
      const meta = config.serverMetadata();
      assert.equal(meta.issuer, `${server.base}/login/${tenantA}/v2.0`);
      assert.equal(meta.token_endpoint, `${server.base}/login/${tenantA}/oauth2/v2.0/token`);
      assert.equal(meta.authorization_endpoint, `${server.base}/login/${tenantA}/oauth2/v2.0/authorize`);
      assert.deepEqual(meta.token_endpoint_auth_methods_supported, ['client_secret_basic', 'client_secret_post', 'private_key_jwt']);
      assert.deepEqual(meta.code_challenge_methods_supported, ['S256']);
      assert.ok(meta.scopes_supported?.includes('conversations.read'));
      assert.deepEqual(meta.id_token_signing_alg_values_supported, ['RS256']);
      const keys = await (await fetch(meta.jwks_uri!)).json() as { keys: Record<string, unknown>[] };
      assert.ok(keys.keys.length >= 1);
      for (const key of keys.keys) {
        assert.equal(key.kty, 'RSA');
        for (const member of ['d', 'p', 'q', 'dp', 'dq', 'qi']) assert.equal(key[member], undefined, `the JWKS leaks ${member}`);
      }
      assert.deepEqual(await (await fetch(`${server.base}/.well-known/jwks.json`)).json(), keys);
      const missing = await fetch(`${server.base}/login/ten_missing/v2.0/.well-known/openid-configuration`);
      assert.equal(missing.status, 404);
    });

    it('issues app tokens by client_secret_basic, client_secret_post and private_key_jwt, and the API accepts them', async () => {
      const bot = await confidentialApp(server, tenantA, { applicationPermissions: ['conversations.read', 'tenant.read'] });
      const certificate = await addRsaCertificate(server, tenantA, bot.app.id);
      const auths: [string, oidc.ClientAuth][] = [
        ['client_secret_basic', oidc.ClientSecretBasic(bot.secret)],
        ['client_secret_post', oidc.ClientSecretPost(bot.secret)],
        ['private_key_jwt', oidc.PrivateKeyJwt({ key: certificate.privateKey, kid: certificate.kid })],
      ];
      for (const [method, auth] of auths) {
        const config = await discover(server, tenantA, bot.app.clientId, auth);
        const tokens = await oidc.clientCredentialsGrant(config, { scope: 'api://switchboard/.default' });
        assert.equal(tokens.token_type.toLowerCase(), 'bearer', method);
        assert.equal(tokens.expires_in, 3600);
        const claims = claimsOf(tokens.access_token);
        assert.equal(claims.iss, `${server.base}/login/${tenantA}/v2.0`);
        assert.equal(claims.aud, 'api://switchboard');
        assert.equal(claims.sub, bot.app.id);
        assert.equal(claims.appid, bot.app.clientId);
        assert.equal(claims.azp, bot.app.clientId);
        assert.equal(claims.tid, tenantA);
        assert.equal(claims.idtyp, 'app');
        assert.equal(claims.ver, '2.0');
        assert.deepEqual(claims.roles, ['conversations.read', 'tenant.read']);
        assert.ok(claims.exp - claims.iat === 3600 && typeof claims.jti === 'string' && claims.nbf === claims.iat);

        const list = await getWith(server, tokens.access_token, `/v1/tenants/${tenantA}/conversations`);
        assert.equal(list.status, 200, `${method}: ${JSON.stringify(list.body)}`);
        const forbidden = await server.sb.app.inject({
          method: 'POST', url: `/v1/tenants/${tenantA}/channels`, headers: { authorization: `Bearer ${tokens.access_token}`, 'content-type': 'application/json' },
          payload: JSON.stringify({ type: 'webchat', name: 'nope' }),
        });
        assert.equal(forbidden.statusCode, 403);
        assertErrorBody(JSON.parse(forbidden.body), 'SB_ERR_FORBIDDEN');
        const foreign = await getWith(server, tokens.access_token, `/v1/tenants/${tenantB}/conversations`);
        assert.equal(foreign.status, 404);
        assertErrorBody(foreign.body, 'SB_ERR_TENANT_NOT_FOUND');
      }
      const issued = (await auditOf(server, tenantA, 'token.issued')).filter((e) => e.details.clientId === bot.app.clientId);
      assert.deepEqual(issued.map((e) => e.details.authMethod).sort(), ['client_secret_basic', 'client_secret_post', 'private_key_jwt']);
      for (const entry of issued) {
        assert.equal(entry.details.grantType, 'client_credentials');
        assert.equal(entry.ip, '127.0.0.1');
      }
    });

    it('revoking consent makes the very next request 401 and client_credentials fail', async () => {
      const bot = await confidentialApp(server, tenantA);
      const token = await clientCredentialsToken(server, tenantA, bot);
      assert.equal((await getWith(server, token, `/v1/tenants/${tenantA}/conversations`)).status, 200);
      await revokeConsent(server.sb.identity, SYSTEM_CALLER, tenantA, bot.app.id);
      const after = await getWith(server, token, `/v1/tenants/${tenantA}/conversations`);
      assert.equal(after.status, 401);
      assertErrorBody(after.body, 'SB_ERR_UNAUTHENTICATED');
      const denied = await auditOf(server, tenantA, 'access.denied');
      assert.ok(denied.some((e) => e.details.reason === 'consent_revoked' && e.actorId === bot.app.id));
      const refused = await postToken(server, tenantA, { grant_type: 'client_credentials', client_id: bot.app.clientId, client_secret: bot.secret, scope: 'api://switchboard/.default' });
      assertOAuthError(refused, 400, 'unauthorized_client');
      assert.match(refused.body.error_description, /admin consent/i);
    });

    it('redeems an authorization code with PKCE, rotates refresh tokens and revokes the family on reuse', async () => {
      const web = await webApp(server, tenantA);
      const user = await person(server, tenantA, `ada-${database}@acme.example`);
      const { verifier, challenge } = await pkce();
      const nonce = oidc.randomNonce();
      const code = await codeFor(server, tenantA, web.app, user, { challenge, nonce });
      const config = await discover(server, tenantA, web.app.clientId, oidc.ClientSecretPost(web.secret));
      const tokens = await oidc.authorizationCodeGrant(config, new URL(`${REDIRECT}?code=${encodeURIComponent(code)}`), {
        pkceCodeVerifier: verifier, expectedNonce: nonce, idTokenExpected: true,
      });
      const claims = claimsOf(tokens.access_token);
      assert.equal(claims.sub, user.id);
      assert.equal(claims.oid, user.id);
      assert.equal(claims.idtyp, 'user');
      assert.equal(claims.scp, 'conversations.read');
      assert.equal(claims.preferred_username, user.email);
      const idToken = tokens.claims()!;
      assert.equal(idToken.sub, user.id);
      assert.equal(idToken.aud, web.app.clientId);
      assert.equal(idToken.nonce, nonce);
      assert.ok(tokens.refresh_token);
      assert.equal((await getWith(server, tokens.access_token, `/v1/tenants/${tenantA}/conversations`)).status, 200);
      // A delegated token never exceeds its scopes: the person (a supervisor) reads users, the token may not.
      assert.equal((await getWith(server, tokens.access_token, `/v1/tenants/${tenantA}/users`)).status, 403);

      const rotated = await oidc.refreshTokenGrant(config, tokens.refresh_token!);
      assert.notEqual(rotated.refresh_token, tokens.refresh_token);
      assert.equal(claimsOf(rotated.access_token).sub, user.id);
      assert.equal((await getWith(server, rotated.access_token, `/v1/tenants/${tenantA}/conversations`)).status, 200);

      // The first refresh token again: reuse. It fails, and so does the newest one of its family.
      const reuse = await postToken(server, tenantA, { grant_type: 'refresh_token', refresh_token: tokens.refresh_token!, client_id: web.app.clientId, client_secret: web.secret });
      assertOAuthError(reuse, 400, 'invalid_grant');
      const newest = await postToken(server, tenantA, { grant_type: 'refresh_token', refresh_token: rotated.refresh_token!, client_id: web.app.clientId, client_secret: web.secret });
      assertOAuthError(newest, 400, 'invalid_grant');
      const denied = await auditOf(server, tenantA, 'token.denied');
      assert.ok(denied.some((e) => e.details.reason === 'refresh_token_reused'));
      assert.ok(denied.some((e) => e.details.reason === 'refresh_token_revoked'));
      const stored = await server.sb.identity.storage.read.identity.getRefreshTokenByHash(sha256Hex(rotated.refresh_token!));
      assert.ok(stored?.revokedAt);
    });
  });
}

mainFlows('sqlite', false);
mainFlows('postgres', await postgresSkip());

describe('OAuth token endpoint (SQLite)', () => {
  let server: OAuthServer;
  let tenantA: string;
  let tenantB: string;

  before(async () => {
    server = await startOAuthServer();
    tenantA = await createTenant(server, 'Acme');
    tenantB = await createTenant(server, 'Globex');
  });
  after(async () => server?.sb.stop());

  const credentials = (bot: TestApp, extra: Record<string, string> = {}) => ({
    grant_type: 'client_credentials', client_id: bot.app.clientId, client_secret: bot.secret, scope: 'api://switchboard/.default', ...extra,
  });

  it('answers errors in the OAuth shape: invalid_client (401 + Basic challenge when Basic was used), unsupported_grant_type, invalid_request', async () => {
    const bot = await confidentialApp(server, tenantA);
    const basic = (id: string, secret: string) => ({ authorization: `Basic ${Buffer.from(`${encodeURIComponent(id)}:${encodeURIComponent(secret)}`).toString('base64')}` });

    const wrongBasic = await postToken(server, tenantA, { grant_type: 'client_credentials', scope: 'api://switchboard/.default' }, basic(bot.app.clientId, 'sbs_wrong'));
    assertOAuthError(wrongBasic, 401, 'invalid_client');
    assert.match(String(wrongBasic.headers['www-authenticate']), /^Basic /);
    const wrongPost = await postToken(server, tenantA, credentials({ ...bot, secret: 'sbs_wrong' }));
    assertOAuthError(wrongPost, 400, 'invalid_client');
    assert.equal(wrongPost.headers['www-authenticate'], undefined);
    assertOAuthError(await postToken(server, tenantA, credentials({ ...bot, app: { ...bot.app, clientId: 'no-such-client' } })), 400, 'invalid_client');
    assertOAuthError(await postToken(server, tenantA, { grant_type: 'client_credentials', client_id: bot.app.clientId }), 400, 'invalid_client');
    assertOAuthError(await postToken(server, tenantA, { grant_type: 'password', client_id: bot.app.clientId, client_secret: bot.secret }), 400, 'unsupported_grant_type');
    assertOAuthError(await postToken(server, tenantA, { client_id: bot.app.clientId, client_secret: bot.secret }), 400, 'invalid_request');
    assertOAuthError(await postToken(server, 'ten_nope', credentials(bot)), 400, 'invalid_request');
    // Two authentication methods at once, and a repeated parameter.
    assertOAuthError(await postToken(server, tenantA, credentials(bot), basic(bot.app.clientId, bot.secret)), 400, 'invalid_request');
    const repeated = await server.sb.app.inject({
      method: 'POST', url: `/login/${tenantA}/oauth2/v2.0/token`, headers: { 'content-type': 'application/x-www-form-urlencoded' },
      payload: `${new URLSearchParams(credentials(bot))}&scope=tenant.read`,
    });
    assertOAuthError({ status: repeated.statusCode, body: JSON.parse(repeated.body), headers: repeated.headers }, 400, 'invalid_request');
    // JSON is not how OAuth talks, and the API's error shape never appears here.
    const json = await server.sb.app.inject({ method: 'POST', url: `/login/${tenantA}/oauth2/v2.0/token`, headers: { 'content-type': 'application/json' }, payload: JSON.stringify(credentials(bot)) });
    assertOAuthError({ status: json.statusCode, body: JSON.parse(json.body), headers: json.headers }, 400, 'invalid_request');

    const ok = await postToken(server, tenantA, { grant_type: 'client_credentials', scope: 'api://switchboard/.default' }, basic(bot.app.clientId, bot.secret));
    assert.equal(ok.status, 200);
    assert.deepEqual(Object.keys(ok.body).sort(), ['access_token', 'expires_in', 'ext_expires_in', 'token_type']);
    assert.equal(ok.body.token_type, 'Bearer');
    assert.equal(ok.headers['cache-control'], 'no-store');

    const denied = await auditOf(server, tenantA, 'token.denied');
    const reasons = denied.filter((e) => e.details.clientId === bot.app.clientId).map((e) => e.details.reason);
    for (const reason of ['bad_secret', 'client_authentication_required', 'unsupported_grant_type', 'missing_grant_type', 'multiple_auth_methods']) {
      assert.ok(reasons.includes(reason), `audited ${reason}: ${reasons.join(', ')}`);
    }
    assert.ok((await auditOf(server, null, 'token.denied')).some((e) => e.details.reason === 'tenant_not_found' && e.details.tenant === 'ten_nope'));
  });

  it('refuses revoked and expired secrets', async () => {
    const bot = await confidentialApp(server, tenantA);
    assert.equal((await postToken(server, tenantA, credentials(bot))).status, 200);
    const [secret] = await server.sb.identity.storage.read.identity.listAppSecrets(bot.app.id);
    await revokeAppSecret(server.sb.identity, SYSTEM_CALLER, tenantA, bot.app.id, secret!.id);
    const revoked = await postToken(server, tenantA, credentials(bot));
    assertOAuthError(revoked, 400, 'invalid_client');
    assert.match(revoked.body.error_description, /revoked/);

    // An expired secret, written as the store would hold it.
    const value = 'sbs_expired-secret-value-for-the-test-0123456789';
    const at = new Date(Date.now() - 86_400_000).toISOString();
    await server.sb.identity.storage.transaction(async (tx) => tx.identity.insertAppSecret({
      id: 'sec_expired', appId: bot.app.id, description: 'old', hint: value.slice(0, 7), secretHash: await server.sb.identity.secretHasher.hash(value),
      expiresAt: at, createdAt: at, revokedAt: null,
    }));
    const expired = await postToken(server, tenantA, credentials({ ...bot, secret: value }));
    assertOAuthError(expired, 400, 'invalid_client');
    assert.match(expired.body.error_description, /expired/);
    const reasons = (await auditOf(server, tenantA, 'token.denied')).map((e) => e.details.reason);
    assert.ok(reasons.includes('secret_revoked') && reasons.includes('secret_expired'));
  });

  it('refuses a replayed client assertion (jti) and one signed by an unregistered key', async () => {
    const bot = await confidentialApp(server, tenantA);
    const certificate = await addRsaCertificate(server, tenantA, bot.app.id);
    // Capture the exact assertion openid-client sends, then send it again ourselves.
    let assertion: string | undefined;
    const config = await discover(server, tenantA, bot.app.clientId, oidc.PrivateKeyJwt({ key: certificate.privateKey, kid: certificate.kid }));
    config[oidc.customFetch] = async (url, options) => {
      assertion = new URLSearchParams(String(options.body)).get('client_assertion') ?? undefined;
      return fetch(url, options as RequestInit);
    };
    const sent = await oidc.clientCredentialsGrant(config, { scope: 'api://switchboard/.default' });
    assert.ok(sent.access_token);
    assert.ok(assertion);
    const replay = await postTokenHttp(server, tenantA, {
      grant_type: 'client_credentials', scope: 'api://switchboard/.default',
      client_assertion_type: 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer', client_assertion: assertion,
    });
    assertOAuthError(replay, 400, 'invalid_client');
    assert.match(replay.body.error_description, /already used/);

    const stranger = await webcryptoKey();
    const forged = await discover(server, tenantA, bot.app.clientId, oidc.PrivateKeyJwt({ key: stranger, kid: certificate.kid }));
    await assert.rejects(oidc.clientCredentialsGrant(forged, { scope: 'api://switchboard/.default' }), (error: any) => error?.error === 'invalid_client');
    const reasons = (await auditOf(server, tenantA, 'token.denied')).map((e) => e.details.reason);
    assert.ok(reasons.includes('assertion_replayed'));
    assert.ok(reasons.includes('assertion_bad_signature'));
  });

  it('grants the asked scopes within consent and refuses anything outside it (invalid_scope)', async () => {
    const bot = await confidentialApp(server, tenantA, { applicationPermissions: ['conversations.read', 'tenant.read', 'queues.read'] });
    const subset = await postToken(server, tenantA, credentials(bot, { scope: 'tenant.read api://switchboard/conversations.read' }));
    assert.equal(subset.status, 200);
    assert.deepEqual(claimsOf(subset.body.access_token).roles, ['conversations.read', 'tenant.read']);
    const narrow = subset.body.access_token as string;
    assert.equal((await getWith(server, narrow, `/v1/tenants/${tenantA}/queues`)).status, 403, 'queues.read is consented but not in the token');
    assertOAuthError(await postToken(server, tenantA, credentials(bot, { scope: 'channels.write' })), 400, 'invalid_scope');
    assertOAuthError(await postToken(server, tenantA, credentials(bot, { scope: 'tenant.read made.up' })), 400, 'invalid_scope');
    assertOAuthError(await postToken(server, tenantA, credentials(bot, { scope: 'api://switchboard/.default tenant.read' })), 400, 'invalid_scope');
    assertOAuthError(await postToken(server, tenantA, credentials(bot, { scope: 'tenants.manage' })), 400, 'invalid_scope');
    // Any resource's /.default means "what was consented" (bots send their configured audience).
    const other = await postToken(server, tenantA, credentials(bot, { scope: 'https://api.botframework.com/.default' }));
    assert.deepEqual(claimsOf(other.body.access_token).roles, ['conversations.read', 'queues.read', 'tenant.read']);
  });

  it('a multi-tenant app needs consent in each tenant; a single-tenant app exists only in its own', async () => {
    const multi = await confidentialApp(server, tenantA, { accountType: 'multi-tenant' });
    assert.equal((await postToken(server, tenantA, credentials(multi))).status, 200);
    const before = await postToken(server, tenantB, credentials(multi));
    assertOAuthError(before, 400, 'unauthorized_client');
    assert.match(before.body.error_description, /admin consent/i);
    await grantConsent(server.sb.identity, SYSTEM_CALLER, tenantB, multi.app.clientId);
    const inB = await postToken(server, tenantB, credentials(multi));
    assert.equal(inB.status, 200);
    assert.equal(claimsOf(inB.body.access_token).tid, tenantB);
    assert.equal((await getWith(server, inB.body.access_token, `/v1/tenants/${tenantB}/conversations`)).status, 200);
    assert.equal((await getWith(server, inB.body.access_token, `/v1/tenants/${tenantA}/conversations`)).status, 404);

    const single = await confidentialApp(server, tenantA);
    assertOAuthError(await postToken(server, tenantB, credentials(single)), 400, 'unauthorized_client');
    const unconsented = await confidentialApp(server, tenantA, { consent: false });
    assertOAuthError(await postToken(server, tenantA, credentials(unconsented)), 400, 'unauthorized_client');
  });

  it('refuses a wrong code_verifier, a wrong redirect_uri, a second redemption (revoking its refresh tokens) and a public client without PKCE', async () => {
    const web = await webApp(server, tenantA);
    const user = await person(server, tenantA, 'grace@acme.example');
    const redeem = (code: string, extra: Record<string, string> = {}) => postToken(server, tenantA, {
      grant_type: 'authorization_code', code, redirect_uri: REDIRECT, client_id: web.app.clientId, client_secret: web.secret, ...extra,
    });
    const { verifier, challenge } = await pkce();

    const wrongVerifier = await redeem(await codeFor(server, tenantA, web.app, user, { challenge }), { code_verifier: (await pkce()).verifier });
    assertOAuthError(wrongVerifier, 400, 'invalid_grant');
    assertOAuthError(await redeem(await codeFor(server, tenantA, web.app, user, { challenge })), 400, 'invalid_grant');
    assertOAuthError(await redeem(await codeFor(server, tenantA, web.app, user, { challenge }), { code_verifier: verifier, redirect_uri: 'http://127.0.0.1/other' }), 400, 'invalid_grant');
    assertOAuthError(await redeem(await codeFor(server, tenantA, web.app, user, { challenge }), { code_verifier: verifier, redirect_uri: '' }), 400, 'invalid_request');
    assertOAuthError(await redeem('not-a-code', { code_verifier: verifier }), 400, 'invalid_grant');
    // A confidential client must authenticate to redeem.
    assertOAuthError(await postToken(server, tenantA, { grant_type: 'authorization_code', code: await codeFor(server, tenantA, web.app, user, { challenge }), redirect_uri: REDIRECT, client_id: web.app.clientId, code_verifier: verifier }), 400, 'invalid_client');
    // Another client's code looks unknown.
    const other = await webApp(server, tenantA);
    assertOAuthError(await postToken(server, tenantA, {
      grant_type: 'authorization_code', code: await codeFor(server, tenantA, web.app, user, { challenge }), redirect_uri: REDIRECT,
      client_id: other.app.clientId, client_secret: other.secret, code_verifier: verifier,
    }), 400, 'invalid_grant');

    const code = await codeFor(server, tenantA, web.app, user, { challenge });
    const first = await redeem(code, { code_verifier: verifier });
    assert.equal(first.status, 200, JSON.stringify(first.body));
    assert.ok(first.body.id_token && first.body.refresh_token);
    assert.equal(first.body.scope, 'openid profile offline_access conversations.read');
    const second = await redeem(code, { code_verifier: verifier });
    assertOAuthError(second, 400, 'invalid_grant');
    const afterReuse = await postToken(server, tenantA, { grant_type: 'refresh_token', refresh_token: first.body.refresh_token, client_id: web.app.clientId, client_secret: web.secret });
    assertOAuthError(afterReuse, 400, 'invalid_grant');

    // Public clients: only client_id, and PKCE is mandatory.
    const spa = await webApp(server, tenantA, { publicClient: true });
    await assert.rejects(codeFor(server, tenantA, spa.app, user), /PKCE/);
    const unprotected = 'public-client-code-without-pkce-0123456789abcdef';
    await server.sb.identity.storage.transaction((tx) => tx.identity.insertAuthorizationCode({
      codeHash: sha256Hex(unprotected), tenantId: tenantA, appId: spa.app.id, userId: user.id, redirectUri: REDIRECT, scopes: ['conversations.read'],
      codeChallenge: null, codeChallengeMethod: null, nonce: null, expiresAt: new Date(Date.now() + 600_000).toISOString(), usedAt: null,
    }));
    assertOAuthError(await postToken(server, tenantA, { grant_type: 'authorization_code', code: unprotected, redirect_uri: REDIRECT, client_id: spa.app.clientId }), 400, 'invalid_grant');
    const spaCode = await codeFor(server, tenantA, spa.app, user, { challenge, scopes: ['conversations.read'] });
    const spaTokens = await postToken(server, tenantA, { grant_type: 'authorization_code', code: spaCode, redirect_uri: REDIRECT, client_id: spa.app.clientId, code_verifier: verifier });
    assert.equal(spaTokens.status, 200, JSON.stringify(spaTokens.body));
    assert.equal(spaTokens.body.id_token, undefined, 'no id_token without openid');
    const spaRefresh = await postToken(server, tenantA, { grant_type: 'refresh_token', refresh_token: spaTokens.body.refresh_token, client_id: spa.app.clientId });
    assert.equal(spaRefresh.status, 200);

    const reasons = (await auditOf(server, tenantA, 'token.denied')).map((e) => e.details.reason);
    for (const reason of ['pkce_mismatch', 'missing_verifier', 'redirect_uri_mismatch', 'code_reused', 'pkce_required', 'unknown_code']) {
      assert.ok(reasons.includes(reason), `audited ${reason}`);
    }
  });

  it('refresh: the client must match, the person must still be active, a narrower scope may be asked', async () => {
    const web = await webApp(server, tenantA);
    const user = await person(server, tenantA, 'linus@acme.example');
    const { verifier, challenge } = await pkce();
    const code = await codeFor(server, tenantA, web.app, user, { challenge, scopes: ['conversations.read', 'users.read'] });
    const first = await postToken(server, tenantA, { grant_type: 'authorization_code', code, redirect_uri: REDIRECT, client_id: web.app.clientId, client_secret: web.secret, code_verifier: verifier });
    assert.equal(first.status, 200);
    assert.equal(claimsOf(first.body.access_token).scp, 'conversations.read users.read');

    const other = await webApp(server, tenantA);
    assertOAuthError(await postToken(server, tenantA, { grant_type: 'refresh_token', refresh_token: first.body.refresh_token, client_id: other.app.clientId, client_secret: other.secret }), 400, 'invalid_grant');
    assertOAuthError(await postToken(server, tenantA, { grant_type: 'refresh_token', refresh_token: first.body.refresh_token, client_id: web.app.clientId, client_secret: web.secret, scope: 'channels.write' }), 400, 'invalid_scope');
    const narrowed = await postToken(server, tenantA, { grant_type: 'refresh_token', refresh_token: first.body.refresh_token, client_id: web.app.clientId, client_secret: web.secret, scope: 'users.read' });
    assert.equal(narrowed.status, 200, JSON.stringify(narrowed.body));
    assert.equal(claimsOf(narrowed.body.access_token).scp, 'users.read');

    await updateUser(server.sb.identity, SYSTEM_CALLER, tenantA, user.id, { status: 'disabled' });
    const unused = narrowed.body.access_token as string;
    assert.equal((await getWith(server, unused, `/v1/tenants/${tenantA}/users`)).status, 401);
    assertOAuthError(await postToken(server, tenantA, { grant_type: 'refresh_token', refresh_token: narrowed.body.refresh_token, client_id: web.app.clientId, client_secret: web.secret }), 400, 'invalid_grant');
    assert.ok((await auditOf(server, tenantA, 'access.denied')).some((e) => e.details.reason === 'user_inactive'));
  });

  it('never writes secrets, codes or tokens into the audit log', async () => {
    const bot = await confidentialApp(server, tenantA);
    const token = await clientCredentialsToken(server, tenantA, bot);
    await postToken(server, tenantA, credentials({ ...bot, secret: `${bot.secret}x` }));
    const everything = JSON.stringify([
      ...(await server.sb.identity.storage.read.identity.listAudit(tenantA, {}, { limit: 1000 })),
      ...(await server.sb.identity.storage.read.identity.listAudit(null, {}, { limit: 1000 })),
    ]);
    assert.ok(!everything.includes(bot.secret), 'a client secret is in the audit log');
    assert.ok(!everything.includes(token.split('.')[2]!), 'an access token is in the audit log');
  });
});

describe('OAuth token endpoint rate limit', () => {
  let server: OAuthServer;
  before(async () => {
    server = await startOAuthServer({ overrides: { tokenRateLimit: { max: 3, timeWindowMs: 60_000 } } });
  });
  after(async () => server?.sb.stop());

  it('answers 429 slow_down in the OAuth shape past the limit, and only on the token endpoint', async () => {
    const tenant = await createTenant(server, 'Limited');
    const bot = await confidentialApp(server, tenant);
    const params = { grant_type: 'client_credentials', client_id: bot.app.clientId, client_secret: bot.secret };
    for (let i = 0; i < 3; i++) assert.equal((await postToken(server, tenant, params)).status, 200);
    const limited = await postToken(server, tenant, params);
    assertOAuthError(limited, 429, 'slow_down');
    assert.ok(Number(limited.headers['retry-after']) > 0);
    for (let i = 0; i < 20; i++) assert.equal((await postToken(server, tenant, params)).status, 429);
    const discovery = await server.sb.app.inject({ method: 'GET', url: `/login/${tenant}/v2.0/.well-known/openid-configuration` });
    assert.equal(discovery.statusCode, 200);
    await eventually(async () => {
      const audited = (await auditOf(server, tenant, 'token.denied')).filter((e) => e.details.reason === 'rate_limited');
      // 21 refusals in well under a second: audited, but at most a few times per second.
      assert.ok(audited.length >= 1 && audited.length <= 10, `rate-limited requests audited ${audited.length} times`);
    });
  });
});

describe('Signing key rotation', () => {
  const DAY = 86_400_000;
  const clock = new ManualClock(Date.UTC(2026, 0, 1, 9, 0, 0));
  let server: OAuthServer;
  before(async () => {
    server = await startOAuthServer({ overrides: { clock } });
  });
  after(async () => server?.sb.stop());

  const kids = async () => ((await server.sb.app.inject({ method: 'GET', url: '/.well-known/jwks.json' })).json() as { keys: { kid: string }[] }).keys.map((k) => k.kid);

  it('pre-publishes the next key an hour ahead, switches at retirement, keeps the old key until its tokens expired', async () => {
    const tenant = await createTenant(server, 'Rotating');
    const bot = await confidentialApp(server, tenant);
    const token = () => clientCredentialsToken(server, tenant, bot);
    const first = await token();
    const [k1] = await kids();
    assert.equal(headerKid(first), k1);
    assert.equal((await kids()).length, 1);

    clock.advance(30 * DAY - 30 * 60_000);
    assert.equal((await kids()).length, 2, 'the next key is published 30 minutes before the switch');
    const late = await token();
    assert.equal(headerKid(late), k1, 'the current key still signs until it retires');

    clock.advance(31 * 60_000);
    const published = await kids();
    assert.equal(published.length, 2);
    const fresh = await token();
    assert.notEqual(headerKid(fresh), k1);
    assert.ok(published.includes(headerKid(fresh)));
    assert.equal((await getWith(server, late, `/v1/tenants/${tenant}/conversations`)).status, 200, 'a token of the retired key still works');
    assert.equal((await getWith(server, fresh, `/v1/tenants/${tenant}/conversations`)).status, 200);

    clock.advance(3600_000 + 5 * 60_000);
    assert.deepEqual(await kids(), [headerKid(fresh)], 'the retired key is gone once its last token expired');
    assert.equal((await server.sb.identity.storage.read.identity.listSigningKeys()).length, 1);
  });
});

describe('ES256 signing keys (SWITCHBOARD_TOKEN_ALG=ES256)', () => {
  let server: OAuthServer;
  before(async () => {
    server = await startOAuthServer({ env: { SWITCHBOARD_TOKEN_ALG: 'ES256' } });
  });
  after(async () => server?.sb.stop());

  it('publishes an EC P-256 key, advertises ES256, signs access tokens a standard verifier accepts, and the API takes them', async () => {
    const tenant = await createTenant(server, 'Elliptic');
    const bot = await confidentialApp(server, tenant);
    const token = await clientCredentialsToken(server, tenant, bot);
    const header = JSON.parse(Buffer.from(token.split('.')[0]!, 'base64url').toString('utf8'));
    assert.equal(header.alg, 'ES256');
    const jwks = (await server.sb.app.inject({ method: 'GET', url: `/login/${tenant}/discovery/v2.0/keys` })).json() as { keys: Record<string, unknown>[] };
    assert.deepEqual(jwks.keys.map((k) => [k.kid, k.kty, k.crv, k.alg, k.use, 'd' in k]), [[header.kid, 'EC', 'P-256', 'ES256', 'sig', false]]);
    const discovery = (await server.sb.app.inject({ method: 'GET', url: `/login/${tenant}/v2.0/.well-known/openid-configuration` })).json() as Record<string, unknown>;
    assert.deepEqual(discovery.id_token_signing_alg_values_supported, ['ES256']);
    const verified = await jwtVerify(token, createLocalJWKSet(jwks as never), { audience: 'api://switchboard', algorithms: ['ES256'] });
    assert.equal(verified.payload.tid, tenant);
    assert.equal((await getWith(server, token, `/v1/tenants/${tenant}/conversations`)).status, 200);
  });

  it('switching the algorithm: a key of the new one signs at once, tokens of the old key stay valid until it expires', async () => {
    const tenant = await createTenant(server, 'Switching');
    const bot = await confidentialApp(server, tenant);
    const ecToken = await clientCredentialsToken(server, tenant, bot);
    // Another node of the same database configured for RS256 (as after changing the setting back).
    const rsKeys = new SigningKeys({ ...server.sb.identity, identitySettings: { ...server.sb.identity.identitySettings, tokenAlgorithm: 'RS256' } });
    const rsKey = await rsKeys.active();
    assert.equal(rsKey.algorithm, 'RS256');
    assert.deepEqual((await rsKeys.published()).map((k) => k.algorithm).sort(), ['ES256', 'RS256']);
    const rsToken = await server.sb.identity.tokenCrypto.sign(claimsOf(ecToken), rsKey);
    // This node still signs ES256 and, told of the new kid, verifies the RS256 token as well.
    assert.equal(JSON.parse(Buffer.from((await clientCredentialsToken(server, tenant, bot)).split('.')[0]!, 'base64url').toString('utf8')).alg, 'ES256');
    assert.equal((await getWith(server, rsToken, `/v1/tenants/${tenant}/conversations`)).status, 200);
    assert.equal((await getWith(server, ecToken, `/v1/tenants/${tenant}/conversations`)).status, 200);
  });
});

function headerKid(token: string): string {
  return JSON.parse(Buffer.from(token.split('.')[0]!, 'base64url').toString('utf8')).kid as string;
}

async function webcryptoKey(): Promise<CryptoKey> {
  const pair = await crypto.subtle.generateKey({ name: 'RSASSA-PKCS1-v1_5', modulusLength: 2048, publicExponent: new Uint8Array([1, 0, 1]), hash: 'SHA-256' }, false, ['sign', 'verify']) as CryptoKeyPair;
  return pair.privateKey;
}
