import assert from 'node:assert/strict';
import { createServer as createHttpServer } from 'node:http';
import { createServer } from 'node:net';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { isLoopbackHost, OpenidClientRelyingParty } from '../../src/adapters/identity/openid-client-relying-party.js';
import { OidcRelyingPartyError, type OidcClientConnection, type OidcCompletion } from '../../src/app/ports/oidc-client.js';
import { CookieJar } from '../support/cookie-jar.js';
import { browserSignIn, startOidcProvider, type RunningOidcProvider } from '../support/oidc-provider.js';

// The relying party's callback: the browser is sent here, but nothing listens and nothing requests it.
const REDIRECT_URI = 'http://127.0.0.1:9/v1/auth/oidc/callback';
const SCOPES = ['email', 'profile', 'groups', 'roles'];

function connectionTo(op: RunningOidcProvider, overrides: Partial<OidcClientConnection> = {}): OidcClientConnection {
  return { issuer: op.issuer, clientId: op.clientId, clientSecret: op.clientSecret, scopes: SCOPES, ...overrides };
}

interface SeenRequest {
  readonly url: string;
  readonly headers: Headers;
  readonly body: string;
}

/** The global fetch, recorded; anything not to loopback is recorded and refused, never sent. */
function countingFetch(): { fetch: typeof fetch; urls: string[]; seen: SeenRequest[] } {
  const urls: string[] = [];
  const seen: SeenRequest[] = [];
  return {
    urls,
    seen,
    fetch: (input, init) => {
      const url = String(input instanceof Request ? input.url : input);
      urls.push(url);
      seen.push({ url, headers: new Headers(init?.headers), body: init?.body instanceof URLSearchParams || typeof init?.body === 'string' ? String(init.body) : '' });
      if (!isLoopbackHost(new URL(url).hostname)) return Promise.reject(new TypeError(`test fetch: ${url} is not loopback`));
      return fetch(input, init);
    },
  };
}

function tokenRequest(seen: readonly SeenRequest[]): SeenRequest {
  const requests = seen.filter((r) => new URL(r.url).pathname === '/token');
  assert.ok(requests.length > 0, 'a token request was made');
  return requests.at(-1)!;
}

function failure(result: OidcCompletion): { reason: string; detail?: string | undefined } {
  assert.equal(result.ok, false, `expected a failure, got ${JSON.stringify(result)}`);
  return result as { reason: string; detail?: string };
}

async function closedLoopbackPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

describe('OpenidClientRelyingParty against a real oidc-provider on loopback', () => {
  let op: RunningOidcProvider;
  let rp: OpenidClientRelyingParty;
  let counted: ReturnType<typeof countingFetch>;

  before(async () => {
    op = await startOidcProvider({ redirectUri: REDIRECT_URI });
    counted = countingFetch();
    rp = new OpenidClientRelyingParty({ fetch: counted.fetch });
  });
  after(() => op.stop());

  it('signs alice in: her subject, and claims from the ID token merged with userinfo', async () => {
    const start = await rp.begin(connectionTo(op), REDIRECT_URI);
    const authorize = new URL(start.authorizationUrl);
    assert.equal(authorize.origin, op.issuer);
    assert.equal(authorize.searchParams.get('response_type'), 'code');
    assert.equal(authorize.searchParams.get('client_id'), op.clientId);
    assert.equal(authorize.searchParams.get('redirect_uri'), REDIRECT_URI);
    assert.equal(authorize.searchParams.get('code_challenge_method'), 'S256');
    assert.ok(authorize.searchParams.get('code_challenge'));
    assert.notEqual(authorize.searchParams.get('code_challenge'), start.codeVerifier);
    assert.equal(authorize.searchParams.get('state'), start.state);
    assert.equal(authorize.searchParams.get('nonce'), start.nonce);
    assert.deepEqual(authorize.searchParams.get('scope')?.split(' '), ['openid', ...SCOPES]);

    const callbackUrl = await browserSignIn(start.authorizationUrl, 'alice', new CookieJar());
    assert.ok(callbackUrl.startsWith(`${REDIRECT_URI}?`), callbackUrl);

    const result = await rp.complete(connectionTo(op), REDIRECT_URI, callbackUrl, start);
    assert.ok(result.ok, JSON.stringify(result));
    assert.equal(result.subject, 'alice');
    assert.equal(result.issuer, op.issuer);
    assert.equal(result.claims.sub, 'alice');
    assert.equal(result.claims.email, 'alice@example.com');
    assert.equal(result.claims.email_verified, true);
    assert.equal(result.claims.name, 'Alice Archer');
    assert.deepEqual(result.claims.groups, ['support', 'tier-2']);
    assert.deepEqual(result.claims.roles, ['supervisor']);
    assert.equal(result.claims.nonce, start.nonce, 'the ID token claims are there too');
    assert.equal(result.claims.aud, op.clientId);
    assert.ok(counted.urls.some((u) => new URL(u).pathname === '/me'), 'userinfo was asked');

    const token = tokenRequest(counted.seen);
    assert.match(token.headers.get('authorization') ?? '', /^Basic /, 'client_secret_basic, as the provider advertises');
    const form = new URLSearchParams(token.body);
    assert.equal(form.get('client_secret'), null);
    assert.equal(form.get('code_verifier'), start.codeVerifier);
    assert.equal(form.get('redirect_uri'), REDIRECT_URI);
  });

  it('asks for openid even when the connection does not list it, and only once when it does', async () => {
    const without = await rp.begin(connectionTo(op, { scopes: ['email'] }), REDIRECT_URI);
    assert.equal(new URL(without.authorizationUrl).searchParams.get('scope'), 'openid email');
    const twice = await rp.begin(connectionTo(op, { scopes: ['email', 'openid', 'email'] }), REDIRECT_URI);
    assert.equal(new URL(twice.authorizationUrl).searchParams.get('scope'), 'openid email');
  });

  it('each begin has its own state, nonce and verifier; discovery is fetched once and then cached', async () => {
    const fresh = countingFetch();
    const cachingRp = new OpenidClientRelyingParty({ fetch: fresh.fetch });
    const a = await cachingRp.begin(connectionTo(op), REDIRECT_URI);
    const b = await cachingRp.begin(connectionTo(op), REDIRECT_URI);
    assert.notEqual(a.state, b.state);
    assert.notEqual(a.nonce, b.nonce);
    assert.notEqual(a.codeVerifier, b.codeVerifier);
    assert.deepEqual(fresh.urls, [`${op.issuer}/.well-known/openid-configuration`]);
  });

  it('a callback with a tampered state is state_mismatch, and the code is not spent by it', async () => {
    const start = await rp.begin(connectionTo(op), REDIRECT_URI);
    const callbackUrl = await browserSignIn(start.authorizationUrl, 'bob', new CookieJar());
    const tampered = new URL(callbackUrl);
    tampered.searchParams.set('state', `${start.state}x`);
    const before = op.requests.length;

    assert.equal(failure(await rp.complete(connectionTo(op), REDIRECT_URI, tampered.href, start)).reason, 'state_mismatch');
    const noState = new URL(callbackUrl);
    noState.searchParams.delete('state');
    assert.equal(failure(await rp.complete(connectionTo(op), REDIRECT_URI, noState.href, start)).reason, 'state_mismatch');
    assert.equal(op.requests.length, before, 'nothing was sent to the provider');

    const genuine = await rp.complete(connectionTo(op), REDIRECT_URI, callbackUrl, start);
    assert.ok(genuine.ok, JSON.stringify(genuine));
    assert.equal(genuine.subject, 'bob');
  });

  it('a code redeemed twice fails the second time with invalid_grant', async () => {
    const start = await rp.begin(connectionTo(op), REDIRECT_URI);
    const callbackUrl = await browserSignIn(start.authorizationUrl, 'alice', new CookieJar());
    const first = await rp.complete(connectionTo(op), REDIRECT_URI, callbackUrl, start);
    assert.ok(first.ok, JSON.stringify(first));
    assert.equal(failure(await rp.complete(connectionTo(op), REDIRECT_URI, callbackUrl, start)).reason, 'invalid_grant');
  });

  it('a wrong PKCE verifier is invalid_grant; a wrong nonce fails the ID token check', async () => {
    const start = await rp.begin(connectionTo(op), REDIRECT_URI);
    const callbackUrl = await browserSignIn(start.authorizationUrl, 'alice', new CookieJar());
    const other = await rp.begin(connectionTo(op), REDIRECT_URI);
    assert.equal(failure(await rp.complete(connectionTo(op), REDIRECT_URI, callbackUrl, { ...start, codeVerifier: other.codeVerifier })).reason, 'invalid_grant');

    const start2 = await rp.begin(connectionTo(op), REDIRECT_URI);
    const callback2 = await browserSignIn(start2.authorizationUrl, 'alice', new CookieJar());
    const badNonce = failure(await rp.complete(connectionTo(op), REDIRECT_URI, callback2, { ...start2, nonce: other.nonce }));
    assert.equal(badNonce.reason, 'id_token_invalid');
    assert.match(badNonce.detail ?? '', /nonce/i);
  });

  it('the user refusing at the provider is access_denied', async () => {
    const start = await rp.begin(connectionTo(op), REDIRECT_URI);
    const callbackUrl = await browserSignIn(start.authorizationUrl, { deny: true }, new CookieJar());
    assert.equal(new URL(callbackUrl).searchParams.get('error'), 'access_denied');
    assert.equal(failure(await rp.complete(connectionTo(op), REDIRECT_URI, callbackUrl, start)).reason, 'access_denied');
  });

  it('a callback whose iss names another provider is issuer_mismatch (RFC 9207)', async () => {
    const start = await rp.begin(connectionTo(op), REDIRECT_URI);
    const callbackUrl = new URL(await browserSignIn(start.authorizationUrl, 'alice', new CookieJar()));
    callbackUrl.searchParams.set('iss', 'http://127.0.0.1:1');
    assert.equal(failure(await rp.complete(connectionTo(op), REDIRECT_URI, callbackUrl.href, start)).reason, 'issuer_mismatch');
  });

  it('a wrong client secret fails at the token endpoint (invalid_client)', async () => {
    const wrong = connectionTo(op, { clientSecret: 'not-the-secret' });
    const start = await rp.begin(wrong, REDIRECT_URI);
    const callbackUrl = await browserSignIn(start.authorizationUrl, 'alice', new CookieJar());
    const result = failure(await rp.complete(wrong, REDIRECT_URI, callbackUrl, start));
    assert.equal(result.reason, 'invalid_client');
  });

  it('an unreachable issuer (a closed loopback port) is discovery_failed', async () => {
    const port = await closedLoopbackPort();
    const gone: OidcClientConnection = { issuer: `http://127.0.0.1:${port}`, clientId: 'x', clientSecret: 's', scopes: [] };
    await assert.rejects(rp.begin(gone, REDIRECT_URI), (err: unknown) => {
      assert.ok(err instanceof OidcRelyingPartyError);
      assert.equal(err.reason, 'discovery_failed');
      return true;
    });
    const expected = { state: 's', nonce: 'n', codeVerifier: 'v' };
    assert.equal(failure(await rp.complete(gone, REDIRECT_URI, `${REDIRECT_URI}?code=c&state=s`, expected)).reason, 'discovery_failed');
  });

  it('refuses a plain http issuer off loopback before any request, and https or loopback hosts are accepted', async () => {
    const spy = countingFetch();
    const guarded = new OpenidClientRelyingParty({ fetch: spy.fetch });
    const remote: OidcClientConnection = { issuer: 'http://idp.example.test', clientId: 'x', clientSecret: 's', scopes: [] };
    await assert.rejects(guarded.begin(remote, REDIRECT_URI), (err: unknown) => {
      assert.ok(err instanceof OidcRelyingPartyError);
      assert.equal(err.reason, 'insecure_issuer');
      assert.match(err.message, /only on loopback/);
      return true;
    });
    const expected = { state: 's', nonce: 'n', codeVerifier: 'v' };
    const completed = failure(await guarded.complete(remote, REDIRECT_URI, `${REDIRECT_URI}?code=c&state=s`, expected));
    assert.equal(completed.reason, 'insecure_issuer');
    await assert.rejects(guarded.begin({ ...remote, issuer: 'ftp://idp.example.test' }, REDIRECT_URI), { reason: 'invalid_issuer' });
    await assert.rejects(guarded.begin({ ...remote, issuer: 'not a url' }, REDIRECT_URI), { reason: 'invalid_issuer' });
    assert.deepEqual(spy.urls, [], 'no request was made');

    for (const host of ['127.0.0.1', 'localhost', '[::1]', '127.1.2.3']) assert.ok(isLoopbackHost(host), host);
    for (const host of ['idp.example.test', '10.0.0.1', '127.0.0.1.example.test', 'localhost.example.test']) assert.ok(!isLoopbackHost(host), host);
  });

  it('a loopback issuer cannot send the token request to a plain http host elsewhere', async () => {
    // A loopback "provider" whose discovery document points its endpoints off loopback.
    const fake = createHttpServer((req, res) => {
      const body = JSON.stringify({
        issuer: fakeIssuer,
        authorization_endpoint: 'http://idp.example.test/auth',
        token_endpoint: 'http://idp.example.test/token',
        jwks_uri: 'http://idp.example.test/jwks',
        response_types_supported: ['code'],
      });
      res.writeHead(req.url === '/.well-known/openid-configuration' ? 200 : 404, { 'content-type': 'application/json' });
      res.end(body);
    });
    await new Promise<void>((resolve) => fake.listen(0, '127.0.0.1', resolve));
    const fakeIssuer = `http://127.0.0.1:${(fake.address() as AddressInfo).port}`;
    try {
      const spy = countingFetch();
      const guarded = new OpenidClientRelyingParty({ fetch: spy.fetch });
      const connection: OidcClientConnection = { issuer: fakeIssuer, clientId: 'x', clientSecret: 's', scopes: [] };
      const start = await guarded.begin(connection, REDIRECT_URI);
      const result = failure(await guarded.complete(connection, REDIRECT_URI, `${REDIRECT_URI}?code=c&state=${start.state}`, start));
      assert.equal(result.reason, 'provider_unreachable');
      assert.match(result.detail ?? '', /refusing a request to http:\/\/idp\.example\.test/);
      assert.deepEqual(spy.urls, [`${fakeIssuer}/.well-known/openid-configuration`], 'only the loopback discovery was fetched');
    } finally {
      await new Promise<void>((resolve) => fake.close(() => resolve()));
    }
  });

  it('rejects a redirect URI with a query (the code could not be redeemed for it)', async () => {
    await assert.rejects(rp.begin(connectionTo(op), `${REDIRECT_URI}?tenant=t1`), { reason: 'invalid_redirect_uri' });
  });
});

describe('OpenidClientRelyingParty with other provider setups', () => {
  it('uses client_secret_post when that is all the provider advertises', async () => {
    const op = await startOidcProvider({ redirectUri: REDIRECT_URI, tokenEndpointAuthMethod: 'client_secret_post' });
    try {
      const spy = countingFetch();
      const rp = new OpenidClientRelyingParty({ fetch: spy.fetch });
      const start = await rp.begin(connectionTo(op), REDIRECT_URI);
      const callbackUrl = await browserSignIn(start.authorizationUrl, 'carol', new CookieJar());
      const result = await rp.complete(connectionTo(op), REDIRECT_URI, callbackUrl, start);
      assert.ok(result.ok, JSON.stringify(result));
      assert.equal(result.subject, 'carol');
      assert.deepEqual(result.claims.roles, ['admin', 'agent']);
      const token = tokenRequest(spy.seen);
      assert.equal(token.headers.get('authorization'), null);
      assert.equal(new URLSearchParams(token.body).get('client_secret'), op.clientSecret);
    } finally {
      await op.stop();
    }
  });

  it('a public client (no secret) signs in with PKCE alone', async () => {
    const op = await startOidcProvider({ redirectUri: REDIRECT_URI, tokenEndpointAuthMethod: 'none' });
    try {
      assert.equal(op.clientSecret, null);
      const spy = countingFetch();
      const rp = new OpenidClientRelyingParty({ fetch: spy.fetch });
      const start = await rp.begin(connectionTo(op), REDIRECT_URI);
      const callbackUrl = await browserSignIn(start.authorizationUrl, 'bob', new CookieJar());
      const result = await rp.complete(connectionTo(op), REDIRECT_URI, callbackUrl, start);
      assert.ok(result.ok, JSON.stringify(result));
      assert.equal(result.subject, 'bob');
      const token = tokenRequest(spy.seen);
      assert.equal(token.headers.get('authorization'), null);
      const form = new URLSearchParams(token.body);
      assert.equal(form.get('client_id'), op.clientId);
      assert.equal(form.get('client_secret'), null);
    } finally {
      await op.stop();
    }
  });

  it('without a userinfo endpoint the claims come from the ID token alone', async () => {
    const op = await startOidcProvider({ redirectUri: REDIRECT_URI, userinfo: false });
    try {
      const spy = countingFetch();
      const rp = new OpenidClientRelyingParty({ fetch: spy.fetch });
      const start = await rp.begin(connectionTo(op), REDIRECT_URI);
      const callbackUrl = await browserSignIn(start.authorizationUrl, 'alice', new CookieJar());
      const result = await rp.complete(connectionTo(op), REDIRECT_URI, callbackUrl, start);
      assert.ok(result.ok, JSON.stringify(result));
      assert.equal(result.claims.email, 'alice@example.com');
      assert.deepEqual(result.claims.groups, ['support', 'tier-2']);
      assert.ok(!spy.urls.some((u) => u.includes('/me')), `no userinfo request: ${spy.urls.join(', ')}`);
    } finally {
      await op.stop();
    }
  });
});
