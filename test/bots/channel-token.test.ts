/**
 * The channel's token against a real, unmodified `botbuilder` bot (PROTOCOLS.md 2.2, 2.3): a bot
 * configured with environment variables only (CloudAdapter + ConfigurationBotFrameworkAuthentication,
 * the full 2.3 block) pointed at Switchboard's OpenID metadata fetches our JWKS over loopback and
 * accepts `channelToken(appId, serviceUrl)`; each rule violated alone is refused by the bot (401,
 * or 500 where botbuilder lets jsonwebtoken's error through) and its handler does not run. Also: the metadata and JWKS routes themselves (public, hidden
 * from the OpenAPI document, public key members only), the key shared through the database and
 * stable across a restart, and the token cache.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { BotChannelCredentials, CHANNEL_KEY_SECRET, CHANNEL_TOKEN_SECONDS } from '../../src/app/bots/channel-credentials.js';
import { serviceUrlFor } from '../../src/app/bots/bot-deps.js';
import { ManualClock } from '../../src/app/ports/fakes/manual-clock.js';
import { startTestServer, type TestServer } from '../support/test-server.js';
import { client } from '../http/http-helpers.js';
import { channelEnv, messageActivity, postToBot, startBotbuilderBot, type BotbuilderBot } from './botbuilder-bot.js';

const APP_ID = '11111111-2222-3333-4444-555555555555';

function claimsOf(token: string): Record<string, any> {
  return JSON.parse(Buffer.from(token.split('.')[1]!, 'base64url').toString('utf8'));
}
function headerOf(token: string): Record<string, any> {
  return JSON.parse(Buffer.from(token.split('.')[0]!, 'base64url').toString('utf8'));
}

describe('channel token against a real botbuilder bot', () => {
  let sb: TestServer;
  let base: string;
  let credentials: BotChannelCredentials;
  let bot: BotbuilderBot;
  let serviceUrl: string;

  before(async () => {
    sb = await startTestServer();
    base = await sb.app.listen({ host: '127.0.0.1', port: 0 });
    const tenantId = (await client(sb.app, sb.auth).ok('POST', '/v1/tenants', 201, { name: 'Acme' })).id as string;
    serviceUrl = serviceUrlFor(base, tenantId);
    // A second instance over the same database: it must find the key the server uses, as another node would.
    credentials = new BotChannelCredentials({ storage: sb.deps.storage, tokenCrypto: sb.identity.tokenCrypto, clock: sb.deps.clock, publicUrl: () => base });
    bot = await startBotbuilderBot(channelEnv({ appId: APP_ID, issuer: credentials.issuer(), openIdMetadataUrl: credentials.openIdMetadataUrl(), base }));
  });
  after(async () => {
    await bot?.close();
    await sb?.stop();
  });

  it('serves the OpenID metadata and a JWKS of public members only, without authentication and outside the OpenAPI document', async () => {
    const metadata = await fetch(`${base}/botframework/.well-known/openidconfiguration`);
    assert.equal(metadata.status, 200);
    const doc = await metadata.json() as Record<string, unknown>;
    assert.deepEqual(doc, {
      issuer: `${base}/botframework`,
      authorization_endpoint: `${base}/botframework/invalid`,
      jwks_uri: `${base}/botframework/.well-known/keys`,
      id_token_signing_alg_values_supported: ['RS256'],
      token_endpoint_auth_methods_supported: ['private_key_jwt'],
    });
    const keys = await fetch(`${base}/botframework/.well-known/keys`);
    assert.equal(keys.status, 200);
    const jwks = await keys.json() as { keys: Record<string, unknown>[] };
    assert.equal(jwks.keys.length, 1);
    const [key] = jwks.keys;
    assert.deepEqual(Object.keys(key!).sort(), ['alg', 'e', 'endorsements', 'kid', 'kty', 'n', 'use']);
    assert.equal(key!.kty, 'RSA');
    assert.equal(key!.alg, 'RS256');
    assert.equal(key!.use, 'sig');
    assert.deepEqual(key!.endorsements, ['directline', 'webchat', 'msteams', 'omnichannel', 'email', 'sms', 'api', 'test', 'emulator']);
    assert.deepEqual(await credentials.jwks(), jwks, 'every instance over the database publishes the same key');

    const openapi = (await sb.app.inject({ method: 'GET', url: '/openapi.json' })).json() as { paths: Record<string, unknown> };
    assert.ok(!Object.keys(openapi.paths).some((p) => p.startsWith('/botframework')), 'the channel routes are not part of the API document');
  });

  it('a token the bot accepts: 200 and the turn ran with our claims', async () => {
    const token = await credentials.channelToken(APP_ID, serviceUrl);
    const header = headerOf(token);
    assert.equal(header.alg, 'RS256');
    assert.equal(header.typ, 'JWT');
    assert.equal(header.kid, ((await credentials.jwks()).keys[0] as { kid: string }).kid);
    const claims = claimsOf(token);
    assert.deepEqual(Object.keys(claims).sort(), ['aud', 'exp', 'iat', 'iss', 'nbf', 'serviceurl']);
    assert.equal(claims.iss, `${base}/botframework`);
    assert.equal(claims.aud, APP_ID);
    assert.equal(claims.serviceurl, serviceUrl);
    assert.equal(claims.exp - claims.iat, CHANNEL_TOKEN_SECONDS);

    const activity = messageActivity(serviceUrl, APP_ID, { text: 'accepted' });
    const reply = await postToBot(bot.url, activity, token);
    assert.equal(reply.status, 200, reply.body);
    const turn = bot.turns.find((t) => t.id === activity.id);
    assert.ok(turn, 'the handler ran');
    assert.equal(turn.text, 'accepted');
    assert.equal(turn.callerId, 'urn:botframework:switchboard-test', 'authenticated as a channel (the CallerId of the channel path)');
    assert.deepEqual(bot.turnErrors, []);
  });

  /**
   * The bot refuses the activity: its handler does not run, and it answers 401, or 500 with
   * jsonwebtoken's message where botbuilder 4.23.3 lets that error through unwrapped (a bad
   * signature, a future nbf: `jwtTokenExtractor.ts` rethrows everything but `TokenExpiredError`,
   * and `CloudAdapter.process` answers a non-AuthenticationError with 500).
   */
  const refused = async (activity: Record<string, unknown>, bearer: string | undefined, what: string, expected: { status: number; body?: string } = { status: 401 }) => {
    const before = bot.turns.length;
    // botbuilder console.errors each refusal (with the key); keep the test output readable.
    const consoleError = console.error;
    console.error = () => undefined;
    let reply: { status: number; body: string };
    try {
      reply = await postToBot(bot.url, activity, bearer);
    } finally {
      console.error = consoleError;
    }
    assert.equal(reply.status, expected.status, `${what}: the bot answered ${reply.status} ${reply.body}`);
    if (expected.body !== undefined) assert.equal(reply.body, expected.body, what);
    assert.equal(bot.turns.length, before, `${what}: the handler must not run`);
  };

  it('no token: 401', async () => {
    await refused(messageActivity(serviceUrl, APP_ID), undefined, 'no token');
  });

  it('a token for another app id (aud): 401', async () => {
    await refused(messageActivity(serviceUrl, APP_ID), await credentials.channelToken('99999999-2222-3333-4444-555555555555', serviceUrl), 'other aud');
  });

  it('serviceurl claim different from activity.serviceUrl (even by a trailing slash): 401', async () => {
    await refused(messageActivity(serviceUrl, APP_ID), await credentials.channelToken(APP_ID, `${base}/botframework/other-tenant/`), 'other tenant');
    await refused(messageActivity(serviceUrl, APP_ID), await credentials.channelToken(APP_ID, serviceUrl.slice(0, -1)), 'no trailing slash');
  });

  it('expired beyond the bot\'s 5 minute tolerance (signed with the same key): 401; within it: accepted', async () => {
    const key = await credentials.signingKey();
    const now = Math.floor(Date.now() / 1000);
    const sign = (claims: Record<string, unknown>) => sb.identity.tokenCrypto.sign(claims, key);
    const base = { iss: credentials.issuer(), aud: APP_ID, serviceurl: serviceUrl };
    await refused(messageActivity(serviceUrl, APP_ID), await sign({ ...base, iat: now - 7200, nbf: now - 7200, exp: now - 360 }), 'expired 6 minutes ago');
    const grace = await postToBot(bot.url, messageActivity(serviceUrl, APP_ID), await sign({ ...base, iat: now - 3700, nbf: now - 3700, exp: now - 100 }));
    assert.equal(grace.status, 200, `expired 100 s ago is within the tolerance: ${grace.body}`);
  });

  it('a token not yet valid (nbf an hour ahead): refused (botbuilder answers 500 "jwt not active")', async () => {
    const key = await credentials.signingKey();
    const now = Math.floor(Date.now() / 1000);
    const token = await sb.identity.tokenCrypto.sign({ iss: credentials.issuer(), aud: APP_ID, serviceurl: serviceUrl, iat: now, nbf: now + 3600, exp: now + 7200 }, key);
    await refused(messageActivity(serviceUrl, APP_ID), token, 'future nbf', { status: 500, body: 'jwt not active' });
  });

  it('wrong issuer (same key): 401', async () => {
    const key = await credentials.signingKey();
    const now = Math.floor(Date.now() / 1000);
    const token = await sb.identity.tokenCrypto.sign({ iss: 'https://api.botframework.com', aud: APP_ID, serviceurl: serviceUrl, iat: now, nbf: now, exp: now + 3600 }, key);
    await refused(messageActivity(serviceUrl, APP_ID), token, 'wrong issuer');
  });

  it('tampered signature or claims: refused (botbuilder answers 500 "invalid signature")', async () => {
    const token = await credentials.channelToken(APP_ID, serviceUrl);
    const [h, p, s] = token.split('.') as [string, string, string];
    const flipped = `${s.slice(0, 10)}${s[10] === 'A' ? 'B' : 'A'}${s.slice(11)}`;
    await refused(messageActivity(serviceUrl, APP_ID), `${h}.${p}.${flipped}`, 'flipped signature', { status: 500, body: 'invalid signature' });
    const forged = Buffer.from(JSON.stringify({ ...claimsOf(token), aud: '99999999-2222-3333-4444-555555555555' })).toString('base64url');
    await refused(messageActivity(serviceUrl, APP_ID), `${h}.${forged}.${s}`, 'claims changed under the signature', { status: 500, body: 'invalid signature' });
  });

  it('a channelId the key does not endorse: 401', async () => {
    await refused(messageActivity(serviceUrl, APP_ID, { channelId: 'slack' }), await credentials.channelToken(APP_ID, serviceUrl), 'unendorsed channel');
  });

  it('tokens are cached per (app id, serviceUrl) until 5 minutes before expiry', async () => {
    const clock = new ManualClock(Date.UTC(2026, 0, 1, 9, 0, 0));
    const local = new BotChannelCredentials({ storage: sb.deps.storage, tokenCrypto: sb.identity.tokenCrypto, clock, publicUrl: () => base });
    const first = await local.channelToken(APP_ID, serviceUrl);
    clock.advance(54 * 60_000);
    assert.equal(await local.channelToken(APP_ID, serviceUrl), first, 'still cached 54 minutes in');
    assert.notEqual(await local.channelToken(APP_ID, `${serviceUrl}x`), first, 'another serviceUrl has its own token');
    clock.advance(60_000 + 1);
    const renewed = await local.channelToken(APP_ID, serviceUrl);
    assert.notEqual(renewed, first, 'renewed 5 minutes before expiry');
    assert.equal(claimsOf(renewed).iat, Math.floor(clock.now() / 1000));
  });

  it('the key is created once, stored as a server secret, and is the same after a restart', async () => {
    const stored = await sb.deps.storage.read.identity.getServerSecret(CHANNEL_KEY_SECRET);
    assert.ok(stored);
    const pair = JSON.parse(stored) as { publicKey: { kid: string; kty: string }; privateKey: { d?: string } };
    assert.equal(pair.publicKey.kty, 'RSA');
    assert.ok(pair.privateKey.d, 'the private half is kept (every node signs)');
    const before = (await credentials.jwks()).keys[0] as { kid: string };
    assert.equal(before.kid, pair.publicKey.kid);
    assert.ok(!JSON.stringify(await credentials.jwks()).includes(pair.privateKey.d!), 'never published');

    const again = await sb.restart();
    sb = again;
    const restartedBase = await again.app.listen({ host: '127.0.0.1', port: 0 });
    const served = await (await fetch(`${restartedBase}/botframework/.well-known/keys`)).json() as { keys: { kid: string; n: string }[] };
    assert.equal(served.keys[0]!.kid, before.kid);
    assert.equal(served.keys[0]!.n, (before as unknown as { n: string }).n);
  });
});
