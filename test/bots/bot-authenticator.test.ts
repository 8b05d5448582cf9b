/**
 * `BotAuthenticator`: the bearer token a bot sends on Connector API calls, per auth mode
 * (PROTOCOLS.md 2.5, 2.6; RELIABILITY.md R6). `none` accepts anything; `switchboard` takes a real
 * access token from the token endpoint of a real server, bound to the bot's app and tenant;
 * `entra` checks Entra ID tokens against a loopback JWKS standing in for Entra (keys made with
 * jose), with every rule violated alone, key rotation at the stand-in, and the stand-in down or
 * broken (401, never a throw). No refusal message contains the token.
 */
import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { exportJWK, exportSPKI, generateKeyPair, SignJWT, type CryptoKey, type JWK } from 'jose';
import { FetchRemoteKeySets } from '../../src/adapters/bots/fetch-remote-key-sets.js';
import { JoseTokenCrypto } from '../../src/adapters/identity/jose-token-crypto.js';
import { BotAuthenticator, type BotCallerCheck } from '../../src/app/bots/bot-authenticator.js';
import { BotChannelCredentials } from '../../src/app/bots/channel-credentials.js';
import { SYSTEM_CALLER } from '../../src/app/caller.js';
import { AccessTokenAuthenticator } from '../../src/app/identity/access-token-authenticator.js';
import { grantConsent } from '../../src/app/identity/consent.js';
import { SigningKeys } from '../../src/app/identity/signing-keys.js';
import { assignRole } from '../../src/app/identity/role-admin.js';
import { ManualClock } from '../../src/app/ports/fakes/manual-clock.js';
import { RemoteKeysUnavailable } from '../../src/app/ports/remote-key-sets.js';
import { HEALTHY, type BotRegistration, type EntraSettings } from '../../src/core/bots/bot-registration.js';
import {
  claimsOf, clientCredentialsToken, confidentialApp, createTenant, startOAuthServer, type OAuthServer, type TestApp,
} from '../http/oauth-fixtures.js';

const ENTRA_TENANT = '72f988bf-86f1-41af-91ab-2d7cd011db47';
const OTHER_TENANT = 'd6d49420-f39b-4df7-a1dc-d59a935871db';
const ENTRA_APP = '0a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d';
const AUDIENCE = 'https://api.botframework.com';

function registration(overrides: Partial<BotRegistration>): BotRegistration {
  return {
    id: 'bot_1', tenantId: 't_1', messagingEndpoint: 'http://127.0.0.1:1/api/messages', state: 'active', authMode: 'none', entra: null,
    role: 'primary', escalatePhrases: {}, bridgedOnly: false, assistQueueIds: [], health: HEALTHY, createdAt: '2026-01-01T00:00:00.000Z', updatedAt: '2026-01-01T00:00:00.000Z',
    ...overrides,
  };
}

const b64 = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');

/** Asserts the outcome, and that the message does not carry the token or any part of it. */
function expect(result: BotCallerCheck, status: 'ok' | 401 | 403, token: string | undefined, what: string, pattern?: RegExp): void {
  if (status === 'ok') {
    assert.deepEqual(result, { ok: true }, `${what}: ${JSON.stringify(result)}`);
    return;
  }
  assert.equal(result.ok, false, `${what}: accepted`);
  if (result.ok) return;
  assert.equal(result.status, status, `${what}: ${result.status} ${result.message}`);
  assert.equal(typeof result.message, 'string');
  if (pattern) assert.match(result.message, pattern, what);
  if (token) {
    for (const part of token.split('.').filter((p) => p.length >= 8)) assert.ok(!result.message.includes(part), `${what}: the message carries the token`);
  }
}

/** A loopback stand-in for Entra's JWKS endpoint. */
class JwksStandIn {
  keys: JWK[] = [];
  requests = 0;
  /** Answer with this instead of the JWKS (status, body). */
  broken: { status: number; body: string } | undefined;
  private readonly server: Server = createServer((req, res) => {
    this.requests += 1;
    if (this.broken) {
      res.writeHead(this.broken.status, { 'content-type': 'application/json' }).end(this.broken.body);
      return;
    }
    res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ keys: this.keys }));
  });
  url = '';
  async start(): Promise<this> {
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}/common/discovery/v2.0/keys`;
    return this;
  }
  close(): Promise<void> {
    return new Promise((resolve) => {
      this.server.closeAllConnections();
      this.server.close(() => resolve());
    });
  }
}

interface EntraKey {
  readonly kid: string;
  readonly privateKey: CryptoKey;
  readonly publicKey: CryptoKey;
  readonly jwk: JWK;
}

async function entraKey(kid: string): Promise<EntraKey> {
  const { privateKey, publicKey } = await generateKeyPair('RS256', { extractable: true });
  // Shaped like Entra's published keys: x5t, x5c and issuer members beside n and e.
  const jwk = { ...(await exportJWK(publicKey)), kid, use: 'sig', x5t: kid, issuer: 'https://login.microsoftonline.com/{tenantid}/v2.0' };
  return { kid, privateKey, publicKey, jwk };
}

describe('BotAuthenticator', () => {
  describe('auth mode none', () => {
    const authenticator = new BotAuthenticator({
      accessTokens: undefined as unknown as AccessTokenAuthenticator,
      remoteKeySets: { get: async () => assert.fail('no keys are needed') },
      tokenCrypto: new JoseTokenCrypto(),
      clock: new ManualClock(),
    });
    it('accepts a call without a token, or with anything at all', async () => {
      const bot = registration({ authMode: 'none' });
      expect(await authenticator.check(undefined, bot, null), 'ok', undefined, 'no header');
      expect(await authenticator.check('Bearer whatever', bot, null), 'ok', undefined, 'garbage');
    });
  });

  describe('auth mode entra', () => {
    let standIn: JwksStandIn;
    let clock: ManualClock;
    let keySets: FetchRemoteKeySets;
    let authenticator: BotAuthenticator;
    let keyA: EntraKey;
    let keyB: EntraKey;
    let stranger: EntraKey;
    let entra: EntraSettings;
    let bot: BotRegistration;

    before(async () => {
      standIn = await new JwksStandIn().start();
      keyA = await entraKey('entra-key-a');
      keyB = await entraKey('entra-key-b');
      stranger = await entraKey('entra-key-a'); // same kid, another key: a forged signature
      standIn.keys = [keyA.jwk];
      clock = new ManualClock(Date.UTC(2026, 2, 1, 12, 0, 0));
      keySets = new FetchRemoteKeySets({ now: () => clock.now() });
      authenticator = new BotAuthenticator({ accessTokens: undefined as unknown as AccessTokenAuthenticator, remoteKeySets: keySets, tokenCrypto: new JoseTokenCrypto(), clock });
      entra = { jwksUri: standIn.url, audience: AUDIENCE, tenantIds: [ENTRA_TENANT] };
      bot = registration({ authMode: 'entra', entra });
    });
    after(async () => standIn?.close());

    const nowS = () => Math.floor(clock.now() / 1000);
    const v1Claims = (): Record<string, unknown> => ({
      aud: AUDIENCE, iss: `https://sts.windows.net/${ENTRA_TENANT}/`, iat: nowS() - 60, nbf: nowS() - 60, exp: nowS() + 3600,
      appid: ENTRA_APP, appidacr: '1', idp: `https://sts.windows.net/${ENTRA_TENANT}/`, oid: 'c1b2', sub: 'c1b2', tid: ENTRA_TENANT, ver: '1.0',
    });
    const v2Claims = (): Record<string, unknown> => ({
      aud: AUDIENCE, iss: `https://login.microsoftonline.com/${ENTRA_TENANT}/v2.0`, iat: nowS() - 60, nbf: nowS() - 60, exp: nowS() + 3600,
      azp: ENTRA_APP, azpacr: '1', oid: 'c1b2', sub: 'c1b2', tid: ENTRA_TENANT, ver: '2.0',
    });
    const sign = (claims: Record<string, unknown>, key: EntraKey = keyA, header: Record<string, unknown> = {}) =>
      new SignJWT(claims as never).setProtectedHeader({ alg: 'RS256', typ: 'JWT', kid: key.kid, x5t: key.kid, ...header }).sign(key.privateKey);
    const check = (token: string | undefined, settings: Partial<BotRegistration> = {}, appId: string | null = ENTRA_APP) =>
      authenticator.check(token === undefined ? undefined : `Bearer ${token}`, { ...bot, ...settings }, appId);

    it('accepts a valid v1 token (appid) and a valid v2 token (azp)', async () => {
      const v1 = await sign(v1Claims());
      expect(await check(v1), 'ok', v1, 'v1');
      const v2 = await sign(v2Claims());
      expect(await check(v2), 'ok', v2, 'v2');
      expect(await check(await sign({ ...v1Claims(), appid: ENTRA_APP.toUpperCase() })), 'ok', undefined, 'app ids compare without case');
    });

    it('no Bearer token: 401', async () => {
      const token = await sign(v1Claims());
      expect(await authenticator.check(undefined, bot, ENTRA_APP), 401, undefined, 'no header');
      expect(await authenticator.check('', bot, ENTRA_APP), 401, undefined, 'empty header');
      expect(await authenticator.check(token, bot, ENTRA_APP), 401, token, 'no scheme');
      expect(await authenticator.check(`Basic ${token}`, bot, ENTRA_APP), 401, token, 'Basic');
      expect(await authenticator.check(`Bearer ${token} extra`, bot, ENTRA_APP), 401, token, 'three parts');
      expect(await authenticator.check('Bearer ', bot, ENTRA_APP), 401, undefined, 'Bearer alone');
    });

    it('malformed tokens: 401', async () => {
      for (const bad of ['not-a-jwt', 'a.b.c', `${b64({ alg: 'RS256' })}.${b64('claims')}.sig`, `${b64({ alg: 'RS256', kid: keyA.kid })}.notjson.sig`, 'x'.repeat(40_000)]) {
        expect(await check(bad), 401, bad, `malformed ${bad.slice(0, 20)}`);
      }
    });

    it('wrong issuer: another host, a tenant not accepted, a tid claim that is not the issuer\'s: 401', async () => {
      const cases: [string, Record<string, unknown>][] = [
        ['foreign host', { iss: `https://login.example.com/${ENTRA_TENANT}/v2.0` }],
        ['v1 issuer without the slash', { iss: `https://sts.windows.net/${ENTRA_TENANT}` }],
        ['http issuer', { iss: `http://sts.windows.net/${ENTRA_TENANT}/` }],
        ['no issuer', { iss: undefined }],
        ['tenant not accepted', { iss: `https://sts.windows.net/${OTHER_TENANT}/`, tid: OTHER_TENANT }],
        ['tid of another tenant', { tid: OTHER_TENANT }],
        ['no tid', { tid: undefined }],
        ['our own channel issuer', { iss: 'http://127.0.0.1:1/botframework' }],
      ];
      for (const [what, change] of cases) {
        const token = await sign({ ...v1Claims(), ...change });
        expect(await check(token), 401, token, what);
      }
    });

    it('accepts any tenant when the bot lists none (and still wants tid to be the issuer\'s)', async () => {
      const anyTenant = { entra: { ...entra, tenantIds: [] } };
      const token = await sign({ ...v2Claims(), iss: `https://login.microsoftonline.com/${OTHER_TENANT}/v2.0`, tid: OTHER_TENANT });
      expect(await check(token, anyTenant), 'ok', token, 'other tenant, none listed');
      const mismatch = await sign({ ...v2Claims(), iss: `https://login.microsoftonline.com/${OTHER_TENANT}/v2.0`, tid: ENTRA_TENANT });
      expect(await check(mismatch, anyTenant), 401, mismatch, 'tid disagrees with the issuer');
    });

    it('wrong audience: 401', async () => {
      for (const aud of ['https://graph.microsoft.com', ENTRA_APP, undefined, ['https://other.example']]) {
        const token = await sign({ ...v1Claims(), aud });
        expect(await check(token), 401, token, `aud ${JSON.stringify(aud)}`);
      }
      const custom = await sign({ ...v1Claims(), aud: 'api://my-channel' });
      expect(await check(custom, { entra: { ...entra, audience: 'api://my-channel' } }), 'ok', custom, 'the configured audience');
    });

    it('expired beyond the 5 minute skew: 401; within it: accepted; no exp: 401', async () => {
      const late = await sign({ ...v1Claims(), iat: nowS() - 4000, nbf: nowS() - 4000, exp: nowS() - 301 });
      expect(await check(late), 401, late, 'expired 301 s ago', /expired/);
      const grace = await sign({ ...v1Claims(), iat: nowS() - 4000, nbf: nowS() - 4000, exp: nowS() - 200 });
      expect(await check(grace), 'ok', grace, 'expired 200 s ago');
      const endless = await sign({ ...v1Claims(), exp: undefined });
      expect(await check(endless), 401, endless, 'no exp');
    });

    it('not yet valid (nbf beyond the skew): 401; slightly ahead: accepted', async () => {
      const future = await sign({ ...v1Claims(), nbf: nowS() + 301, iat: nowS() + 301 });
      expect(await check(future), 401, future, 'nbf 301 s ahead', /not_yet_valid/);
      const skewed = await sign({ ...v1Claims(), nbf: nowS() + 200, iat: nowS() + 200 });
      expect(await check(skewed), 'ok', skewed, 'nbf 200 s ahead');
    });

    it('bad signature: another key under a published kid, a tampered payload: 401', async () => {
      const forged = await sign(v1Claims(), stranger);
      expect(await check(forged), 401, forged, 'other key', /bad_signature/);
      const good = await sign(v1Claims());
      const [h, , s] = good.split('.') as [string, string, string];
      const tampered = `${h}.${b64({ ...v1Claims(), appid: ENTRA_APP, roles: ['admin'] })}.${s}`;
      expect(await check(tampered), 401, tampered, 'payload changed', /bad_signature/);
    });

    it('unknown kid, no kid: 401', async () => {
      const unknown = await sign(v1Claims(), keyA, { kid: 'no-such-key' });
      expect(await check(unknown), 401, unknown, 'unknown kid', /unknown_key/);
      const noKid = await new SignJWT(v1Claims() as never).setProtectedHeader({ alg: 'RS256' }).sign(keyA.privateKey);
      expect(await check(noKid), 'ok', noKid, 'no kid with a single published key is that key');
      standIn.keys = [keyA.jwk, (await entraKey('entra-key-c')).jwk];
      const fresh = new BotAuthenticator({ accessTokens: undefined as unknown as AccessTokenAuthenticator, remoteKeySets: new FetchRemoteKeySets({ now: () => clock.now() }), tokenCrypto: new JoseTokenCrypto(), clock });
      expect(await fresh.check(`Bearer ${noKid}`, bot, ENTRA_APP), 401, noKid, 'no kid among several keys', /unknown_key/);
      standIn.keys = [keyA.jwk];
    });

    it('alg none and HS256 keyed with the public key (key confusion): 401', async () => {
      const none = `${b64({ alg: 'none', typ: 'JWT', kid: keyA.kid })}.${b64(v1Claims())}.`;
      expect(await check(none), 401, none, 'alg none', /unsupported_algorithm/);
      const noneSigned = `${b64({ alg: 'none', kid: keyA.kid })}.${b64(v1Claims())}.c2ln`;
      expect(await check(noneSigned), 401, noneSigned, 'alg none with a signature');
      for (const secret of [await exportSPKI(keyA.publicKey), JSON.stringify(keyA.jwk), Buffer.from(keyA.jwk.n!, 'base64url')]) {
        const input = `${b64({ alg: 'HS256', typ: 'JWT', kid: keyA.kid })}.${b64(v1Claims())}`;
        const hs = `${input}.${createHmac('sha256', secret).update(input).digest('base64url')}`;
        expect(await check(hs), 401, hs, 'HS256 with the public key', /unsupported_algorithm/);
      }
      for (const alg of ['RS384', 'PS256', 'ES256']) {
        const token = `${b64({ alg, kid: keyA.kid })}.${b64(v1Claims())}.c2ln`;
        expect(await check(token), 401, token, `alg ${alg}`);
      }
    });

    it('a token of another application: 403; a token that names none: 401', async () => {
      const other = '99999999-9999-4999-8999-999999999999';
      const v1 = await sign({ ...v1Claims(), appid: other });
      expect(await check(v1), 403, v1, 'v1 other appid');
      const v2 = await sign({ ...v2Claims(), azp: other });
      expect(await check(v2), 403, v2, 'v2 other azp');
      // The claim that names the app follows the token's version: appid in v1, azp in v2.
      const v1WithAzp = await sign({ ...v1Claims(), appid: undefined, azp: ENTRA_APP });
      expect(await check(v1WithAzp), 401, v1WithAzp, 'v1 without appid');
      const v2WithAppid = await sign({ ...v2Claims(), azp: undefined, appid: ENTRA_APP });
      expect(await check(v2WithAppid), 401, v2WithAppid, 'v2 without azp');
      const fine = await sign(v1Claims());
      expect(await check(fine, {}, null), 403, fine, 'the bot has no app id');
      expect(await check(fine, { entra: null }), 401, fine, 'no Entra settings');
    });

    it('a key rotated in at the stand-in is found by a refetch, at most once per 5 minutes', async () => {
      const rotation = new FetchRemoteKeySets({ now: () => clock.now() });
      const rotating = new BotAuthenticator({ accessTokens: undefined as unknown as AccessTokenAuthenticator, remoteKeySets: rotation, tokenCrypto: new JoseTokenCrypto(), clock });
      standIn.keys = [keyA.jwk];
      const start = standIn.requests;
      expect(await rotating.check(`Bearer ${await sign(v1Claims())}`, bot, ENTRA_APP), 'ok', undefined, 'key A');
      assert.equal(standIn.requests, start + 1);

      standIn.keys = [keyA.jwk, keyB.jwk];
      clock.advance(60_000);
      const withB = await sign(v1Claims(), keyB);
      expect(await rotating.check(`Bearer ${withB}`, bot, ENTRA_APP), 401, withB, 'new kid a minute after the fetch: not fetched again yet', /unknown_key/);
      for (let i = 0; i < 20; i++) await rotating.check(`Bearer ${await sign(v1Claims(), keyB, { kid: `made-up-${i}` })}`, bot, ENTRA_APP);
      assert.equal(standIn.requests, start + 1, 'a flood of unknown kids fetches nothing');

      clock.advance(4 * 60_000);
      const later = await sign(v1Claims(), keyB);
      expect(await rotating.check(`Bearer ${later}`, bot, ENTRA_APP), 'ok', later, 'five minutes after the fetch: refetched, key B found');
      assert.equal(standIn.requests, start + 2);
      expect(await rotating.check(`Bearer ${await sign(v1Claims())}`, bot, ENTRA_APP), 'ok', undefined, 'key A still works');
      assert.equal(standIn.requests, start + 2, 'known kids use the cache');

      // Entra drops key A: a token under A fails; a refetch happens once the interval passed.
      standIn.keys = [keyB.jwk];
      clock.advance(5 * 60_000);
      const underA = await sign(v1Claims());
      expect(await rotating.check(`Bearer ${underA}`, bot, ENTRA_APP), 'ok', underA, 'A is still cached: the set is kept for 24 hours');
      clock.advance(24 * 3_600_000);
      const afterDay = await sign(v1Claims());
      expect(await rotating.check(`Bearer ${afterDay}`, bot, ENTRA_APP), 401, afterDay, 'after 24 hours the set is fetched again and A is gone', /unknown_key/);
      standIn.keys = [keyA.jwk];
    });

    it('JWKS unreachable, failing or not a JWKS: 401 "keys unavailable", never a throw', async () => {
      const down = await new JwksStandIn().start();
      const url = down.url;
      await down.close();
      const token = await sign(v1Claims());
      const result = await check(token, { entra: { ...entra, jwksUri: url } });
      expect(result, 401, token, 'server down', /keys unavailable/);
      for (const [status, body] of [[500, '{"error":"boom"}'], [200, 'not json'], [200, '{"nokeys":true}'], [404, '']] as const) {
        const broken = await new JwksStandIn().start();
        broken.broken = { status, body };
        try {
          const outcome = await check(token, { entra: { ...entra, jwksUri: broken.url } });
          expect(outcome, 401, token, `JWKS ${status} ${body}`, /keys unavailable/);
        } finally {
          await broken.close();
        }
      }
      expect(await check(token, { entra: { ...entra, jwksUri: 'file:///etc/passwd' } }), 401, token, 'not http', /keys unavailable/);
    });

    it('a set that fails to refresh keeps answering the copy it has; a failing URI is not hammered', async () => {
      const flaky = await new JwksStandIn().start();
      try {
        flaky.keys = [keyA.jwk];
        const sets = new FetchRemoteKeySets({ now: () => clock.now() });
        assert.equal((await sets.get(flaky.url)).length, 1);
        flaky.broken = { status: 503, body: '' };
        clock.advance(25 * 3_600_000);
        assert.equal((await sets.get(flaky.url)).length, 1, 'expired and the refetch failed: the copy answers');
        assert.equal(flaky.requests, 2);

        const fresh = new FetchRemoteKeySets({ now: () => clock.now() });
        await assert.rejects(fresh.get(flaky.url), RemoteKeysUnavailable);
        await assert.rejects(fresh.get(flaky.url), RemoteKeysUnavailable);
        assert.equal(flaky.requests, 3, 'the second failure within the back-off asked nobody');
        flaky.broken = undefined;
        clock.advance(6_000);
        assert.equal((await fresh.get(flaky.url)).length, 1, 'after the back-off it is tried again');
      } finally {
        await flaky.close();
      }
    });
  });

  describe('auth mode switchboard (real tokens from a real token endpoint)', () => {
    let server: OAuthServer;
    let acme: string;
    let globex: string;
    let orderBot: TestApp;
    let otherBot: TestApp;
    let unbound: TestApp;
    let shared: TestApp;
    let authenticator: BotAuthenticator;
    let bot: BotRegistration;
    let sharedBot: BotRegistration;

    before(async () => {
      server = await startOAuthServer();
      acme = await createTenant(server, 'Acme');
      globex = await createTenant(server, 'Globex');
      orderBot = await confidentialApp(server, acme, { name: 'Order bot', applicationPermissions: ['bots.act', 'conversations.read'] });
      await assignRole(server.sb.identity, SYSTEM_CALLER, acme, { principalType: 'app', principalId: orderBot.app.id, role: 'bot' });
      otherBot = await confidentialApp(server, acme, { name: 'Other bot', applicationPermissions: ['bots.act'] });
      unbound = await confidentialApp(server, acme, { name: 'Reporting app', applicationPermissions: ['conversations.read'] });
      shared = await confidentialApp(server, acme, { name: 'FAQ bot', accountType: 'multi-tenant', applicationPermissions: ['bots.act'] });
      await grantConsent(server.sb.identity, SYSTEM_CALLER, globex, shared.app.clientId);
      const agent = await server.admin.ok('POST', `/v1/tenants/${acme}/agents`, 201, { kind: 'bot', displayName: 'Order bot', appId: orderBot.app.clientId });
      await server.admin.ok('POST', `/v1/tenants/${acme}/agents`, 201, { kind: 'bot', displayName: 'Other bot', appId: otherBot.app.clientId });
      const sharedAgent = await server.admin.ok('POST', `/v1/tenants/${acme}/agents`, 201, { kind: 'bot', displayName: 'FAQ bot', appId: shared.app.clientId });
      await server.admin.ok('POST', `/v1/tenants/${globex}/agents`, 201, { kind: 'bot', displayName: 'FAQ bot', appId: shared.app.clientId });
      authenticator = new BotAuthenticator({
        accessTokens: new AccessTokenAuthenticator(server.sb.identity, new SigningKeys(server.sb.identity)),
        remoteKeySets: { get: async () => assert.fail('no remote keys in this mode') },
        tokenCrypto: server.sb.identity.tokenCrypto,
        clock: server.sb.identity.clock,
      });
      bot = registration({ id: agent.id, tenantId: acme, authMode: 'switchboard' });
      sharedBot = registration({ id: sharedAgent.id, tenantId: acme, authMode: 'switchboard' });
    });
    after(async () => server?.sb.stop());

    const check = (token: string | undefined, target: BotRegistration = bot, appId: string | null = orderBot.app.clientId) =>
      authenticator.check(token === undefined ? undefined : `Bearer ${token}`, target, appId, { origin: { ip: '127.0.0.9', userAgent: 'test' }, requestBase: 'http://127.0.0.1' });

    it('accepts the bot\'s own client-credentials token, over and over (cached by the authenticator)', async () => {
      const token = await clientCredentialsToken(server, acme, orderBot);
      expect(await check(token), 'ok', token, 'own token');
      expect(await check(token), 'ok', token, 'again');
      const shared1 = await clientCredentialsToken(server, acme, shared);
      expect(await check(shared1, sharedBot, shared.app.clientId), 'ok', shared1, 'multi-tenant app in its bot\'s tenant');
    });

    it('a token of another application: 403 (bound to another bot, bound to none)', async () => {
      const other = await clientCredentialsToken(server, acme, otherBot);
      expect(await check(other), 403, other, 'another bot\'s app', /another application/);
      const app = await clientCredentialsToken(server, acme, unbound);
      expect(await check(app), 403, app, 'an app that is no bot');
    });

    it('the bot\'s own multi-tenant app, but a token of another tenant: 403', async () => {
      const elsewhere = await clientCredentialsToken(server, globex, shared);
      expect(await check(elsewhere, sharedBot, shared.app.clientId), 403, elsewhere, 'globex token for the acme bot', /another tenant/);
    });

    it('no token, malformed, an API key, tampered, alg none, HS256 confusion, expired, wrong audience: 401', async () => {
      const token = await clientCredentialsToken(server, acme, orderBot);
      expect(await check(undefined), 401, undefined, 'no token');
      expect(await authenticator.check(`Basic ${token}`, bot, orderBot.app.clientId), 401, token, 'Basic');
      expect(await check('not-a-jwt'), 401, undefined, 'malformed');
      expect(await check(server.sb.key), 401, server.sb.key, 'the admin API key is no bot token');
      const [h, p, s] = token.split('.') as [string, string, string];
      const tampered = `${h}.${b64({ ...claimsOf(token), tid: globex })}.${s}`;
      expect(await check(tampered), 401, tampered, 'tampered', /bad_signature/);
      const none = `${b64({ alg: 'none', kid: JSON.parse(Buffer.from(h, 'base64url').toString()).kid })}.${p}.`;
      expect(await check(none), 401, none, 'alg none', /unsupported_algorithm/);
      const keys = await server.sb.identity.storage.read.identity.listSigningKeys();
      const input = `${b64({ alg: 'HS256', typ: 'JWT', kid: keys[0]!.id })}.${p}`;
      const hs = `${input}.${createHmac('sha256', JSON.stringify(keys[0]!.publicKey)).update(input).digest('base64url')}`;
      expect(await check(hs), 401, hs, 'HS256 with the public key', /unsupported_algorithm/);

      // Signed with the server's own key, but past its expiry (beyond the skew), or for another audience.
      const claims = claimsOf(token);
      const now = Math.floor(Date.now() / 1000);
      const active = keys.find((k) => k.id === JSON.parse(Buffer.from(h, 'base64url').toString()).kid)!;
      const expired = await server.sb.identity.tokenCrypto.sign({ ...claims, iat: now - 7200, nbf: now - 7200, exp: now - 3600, jti: 'expired' }, active);
      expect(await check(expired), 401, expired, 'expired', /expired/);
      const elsewhere = await server.sb.identity.tokenCrypto.sign({ ...claims, aud: 'https://api.botframework.com', jti: 'aud' }, active);
      expect(await check(elsewhere), 401, elsewhere, 'wrong audience', /wrong_audience/);
      const unknownKid = await server.sb.identity.tokenCrypto.sign({ ...claims, jti: 'kid' }, { ...active, id: 'sk_nope' });
      expect(await check(unknownKid), 401, unknownKid, 'unknown kid', /unknown_key/);
    });

    it('our own channel token is not a bot token: 401', async () => {
      const channel = new BotChannelCredentials({ storage: server.sb.deps.storage, tokenCrypto: server.sb.identity.tokenCrypto, clock: server.sb.deps.clock, publicUrl: () => server.base });
      const token = await channel.channelToken(orderBot.app.clientId, `${server.base}/botframework/${acme}/`);
      expect(await check(token), 401, token, 'channel token');
    });

    it('refusals are audited as access.denied', async () => {
      await check('not-a-jwt-either');
      const denied = await server.sb.identity.storage.read.identity.listAudit(null, { action: 'access.denied' }, { limit: 50 });
      assert.ok(denied.some((e) => e.ip === '127.0.0.9' && (e.details as { reason?: string }).reason === 'malformed'), JSON.stringify(denied.slice(0, 3)));
    });
  });
});
