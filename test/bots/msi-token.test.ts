/**
 * The managed identity route (PROTOCOLS.md 2.6, option 2) end to end: an unmodified `botbuilder`
 * bot (CloudAdapter + ConfigurationBotFrameworkAuthentication(env)) with
 * `MicrosoftAppType=UserAssignedMsi`, `MicrosoftAppId=<client id of its Switchboard app>`, and the
 * App Service managed identity variables `IDENTITY_ENDPOINT` (our `/botframework/msi/token`) and
 * `IDENTITY_HEADER` (the app's client secret) receives an activity with our channel token, replies,
 * and its Connector call carries a Switchboard access token that `BotAuthenticator` accepts in
 * mode `switchboard`. The Connector API here is a loopback stand-in that records the call (the
 * channel's own Connector routes are built elsewhere). Then the endpoint's refusals, its audit,
 * its rate limit and its absence from the OpenAPI document.
 */
import assert from 'node:assert/strict';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { FetchRemoteKeySets } from '../../src/adapters/bots/fetch-remote-key-sets.js';
import { BotAuthenticator } from '../../src/app/bots/bot-authenticator.js';
import { BotChannelCredentials } from '../../src/app/bots/channel-credentials.js';
import { SYSTEM_CALLER } from '../../src/app/caller.js';
import { AccessTokenAuthenticator } from '../../src/app/identity/access-token-authenticator.js';
import { SigningKeys } from '../../src/app/identity/signing-keys.js';
import { HEALTHY, type BotRegistration } from '../../src/core/bots/bot-registration.js';
import { grantConsent } from '../../src/app/identity/consent.js';
import {
  auditOf, claimsOf, confidentialApp, createTenant, startOAuthServer, type OAuthServer, type TestApp,
} from '../http/oauth-fixtures.js';
import { channelEnv, messageActivity, postToBot, startBotbuilderBot, type BotbuilderBot } from './botbuilder-bot.js';

/** A loopback stand-in for the Connector API at a tenant's serviceUrl: records each call, answers `{id}`. */
class ConnectorStandIn {
  readonly calls: { method: string; url: string; headers: IncomingHttpHeaders; body: any }[] = [];
  private readonly server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const text = Buffer.concat(chunks).toString('utf8');
      this.calls.push({ method: req.method!, url: req.url!, headers: req.headers, body: text ? JSON.parse(text) : undefined });
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ id: `reply-${this.calls.length}` }));
    });
  });
  base = '';
  async start(): Promise<this> {
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    this.base = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
    return this;
  }
  close(): Promise<void> {
    return new Promise((resolve) => {
      this.server.closeAllConnections();
      this.server.close(() => resolve());
    });
  }
}

function registration(id: string, tenantId: string): BotRegistration {
  return {
    id, tenantId, messagingEndpoint: 'http://127.0.0.1:1/api/messages', state: 'active', authMode: 'switchboard', entra: null, role: 'primary',
    escalatePhrases: {}, bridgedOnly: false, assistQueueIds: [], health: HEALTHY, createdAt: '2026-01-01T00:00:00.000Z', updatedAt: '2026-01-01T00:00:00.000Z',
  };
}

describe('managed identity tokens for an unmodified botbuilder bot', () => {
  let server: OAuthServer;
  let acme: string;
  let globex: string;
  let orderBot: TestApp;
  let botAgentId: string;
  let connector: ConnectorStandIn;
  let bot: BotbuilderBot;
  let credentials: BotChannelCredentials;
  let authenticator: BotAuthenticator;
  let serviceUrl: string;
  const saved = { endpoint: process.env.IDENTITY_ENDPOINT, header: process.env.IDENTITY_HEADER };

  before(async () => {
    server = await startOAuthServer({ overrides: { tokenRateLimit: { max: 40, timeWindowMs: 60_000 } } });
    acme = await createTenant(server, 'Acme');
    globex = await createTenant(server, 'Globex');
    orderBot = await confidentialApp(server, acme, { name: 'Order bot', applicationPermissions: ['bots.act', 'conversations.read'] });
    botAgentId = (await server.admin.ok('POST', `/v1/tenants/${acme}/agents`, 201, { kind: 'bot', displayName: 'Order bot', appId: orderBot.app.clientId })).id;
    connector = await new ConnectorStandIn().start();
    serviceUrl = `${connector.base}/botframework/${acme}/`;
    credentials = new BotChannelCredentials({ storage: server.sb.deps.storage, tokenCrypto: server.sb.identity.tokenCrypto, clock: server.sb.deps.clock, publicUrl: () => server.base });
    authenticator = new BotAuthenticator({
      accessTokens: new AccessTokenAuthenticator(server.sb.identity, new SigningKeys(server.sb.identity)),
      remoteKeySets: new FetchRemoteKeySets(),
      tokenCrypto: server.sb.identity.tokenCrypto,
      clock: server.sb.deps.clock,
    });

    // What App Service would set; @azure/identity reads them from the process environment.
    process.env.IDENTITY_ENDPOINT = `${server.base}/botframework/msi/token`;
    process.env.IDENTITY_HEADER = orderBot.secret;
    const env = channelEnv({ appId: orderBot.app.clientId, issuer: credentials.issuer(), openIdMetadataUrl: credentials.openIdMetadataUrl(), base: server.base });
    delete env.MicrosoftAppPassword;
    bot = await startBotbuilderBot(
      { ...env, MicrosoftAppType: 'UserAssignedMsi', MicrosoftAppTenantId: acme },
      async (context) => {
        await context.sendActivity(`echo: ${context.activity.text}`);
      },
    );
  });
  after(async () => {
    await bot?.close();
    await connector?.close();
    await server?.sb.stop();
    if (saved.endpoint === undefined) delete process.env.IDENTITY_ENDPOINT;
    else process.env.IDENTITY_ENDPOINT = saved.endpoint;
    if (saved.header === undefined) delete process.env.IDENTITY_HEADER;
    else process.env.IDENTITY_HEADER = saved.header;
  });

  it('the bot replies with a token from /botframework/msi/token that BotAuthenticator accepts in mode switchboard', async () => {
    const activity = messageActivity(serviceUrl, orderBot.app.clientId, { text: 'where is my order?' });
    const reply = await postToBot(bot.url, activity, await credentials.channelToken(orderBot.app.clientId, serviceUrl));
    assert.equal(reply.status, 200, `${reply.body} ${bot.turnErrors.map(String).join('; ')}`);
    assert.deepEqual(bot.turnErrors, []);

    assert.equal(connector.calls.length, 1);
    const call = connector.calls[0]!;
    assert.equal(call.method, 'POST');
    assert.equal(call.url, `/botframework/${acme}/v3/conversations/conv-1/activities/${encodeURIComponent(activity.id as string)}`);
    assert.equal(call.body.text, 'echo: where is my order?');
    const authorization = call.headers.authorization;
    assert.ok(typeof authorization === 'string' && authorization.startsWith('Bearer '), 'the Connector call carries a bearer token');

    const claims = claimsOf(authorization.slice('Bearer '.length));
    assert.equal(claims.appid, orderBot.app.clientId);
    assert.equal(claims.tid, acme);
    assert.equal(claims.idtyp, 'app');
    assert.equal(claims.iss, `${server.base}/login/${acme}/v2.0`);
    assert.deepEqual(await authenticator.check(authorization, registration(botAgentId, acme), orderBot.app.clientId), { ok: true });
    // And it is bound to this bot only.
    assert.equal((await authenticator.check(authorization, registration('bot_someone_else', acme), orderBot.app.clientId)).ok, false);

    // The token endpoint audited the issuance; the audit entry is written before the answer.
    const issued = await auditOf(server, acme, 'token.issued');
    assert.equal(issued.length, 1, 'one token for the bot');
    assert.equal((issued[0]!.details as { clientId: string }).clientId, orderBot.app.clientId);
  });

  it('a second turn reuses the token (botbuilder and MSAL cache it)', async () => {
    const before = (await auditOf(server, acme, 'token.issued')).length;
    const activity = messageActivity(serviceUrl, orderBot.app.clientId, { text: 'again' });
    const reply = await postToBot(bot.url, activity, await credentials.channelToken(orderBot.app.clientId, serviceUrl));
    assert.equal(reply.status, 200, reply.body);
    assert.equal(connector.calls.length, 2);
    assert.equal(connector.calls[1]!.headers.authorization, connector.calls[0]!.headers.authorization);
    assert.equal((await auditOf(server, acme, 'token.issued')).length, before);
  });

  const msi = (query: Record<string, string>, headers: Record<string, string> = {}) =>
    fetch(`${server.base}/botframework/msi/token?${new URLSearchParams(query)}`, { headers });
  const base = () => ({ 'api-version': '2019-08-01', resource: 'https://api.botframework.com', client_id: orderBot.app.clientId });

  it('answers in the App Service format: access_token, expires_on (epoch seconds), resource, token_type', async () => {
    const res = await msi(base(), { 'x-identity-header': orderBot.secret });
    assert.equal(res.status, 200);
    assert.equal(res.headers.get('cache-control'), 'no-store');
    const body = await res.json() as Record<string, string>;
    assert.deepEqual(Object.keys(body).sort(), ['access_token', 'client_id', 'expires_on', 'resource', 'token_type']);
    assert.equal(body.token_type, 'Bearer');
    assert.equal(body.resource, 'https://api.botframework.com');
    assert.match(body.expires_on!, /^\d+$/);
    assert.equal(Number(body.expires_on), claimsOf(body.access_token!).exp);
  });

  it('refuses a wrong, revoked or missing secret, an unknown client and missing parameters, and audits it', async () => {
    const cases: [string, Record<string, string>, Record<string, string>, number, string][] = [
      ['wrong secret', base(), { 'x-identity-header': 'not-the-secret' }, 401, 'invalid_client'],
      ['no header', base(), {}, 401, 'invalid_client'],
      ['unknown client', { ...base(), client_id: '00000000-0000-4000-8000-000000000000' }, { 'x-identity-header': orderBot.secret }, 401, 'invalid_client'],
      ['no client_id', { 'api-version': '2019-08-01', resource: 'https://api.botframework.com' }, { 'x-identity-header': orderBot.secret }, 400, 'invalid_request'],
      ['no resource', { 'api-version': '2019-08-01', client_id: orderBot.app.clientId }, { 'x-identity-header': orderBot.secret }, 400, 'invalid_request'],
      ['unknown tenant', { ...base(), tenant: 'no-such-tenant' }, { 'x-identity-header': orderBot.secret }, 400, 'invalid_request'],
      ['single-tenant app in another tenant', { ...base(), tenant: globex }, { 'x-identity-header': orderBot.secret }, 403, 'unauthorized_client'],
    ];
    for (const [what, query, headers, status, error] of cases) {
      const res = await msi(query, headers);
      const body = await res.json() as Record<string, string>;
      assert.equal(res.status, status, `${what}: ${JSON.stringify(body)}`);
      assert.equal(body.error, error, what);
      assert.ok(!JSON.stringify(body).includes(orderBot.secret), `${what}: the secret is not echoed`);
    }
    const repeated = await fetch(`${server.base}/botframework/msi/token?${new URLSearchParams(base())}&client_id=x`, { headers: { 'x-identity-header': orderBot.secret } });
    assert.equal(repeated.status, 400);
    const denied = [...await auditOf(server, acme, 'token.denied'), ...await auditOf(server, globex, 'token.denied'), ...await auditOf(server, null, 'token.denied')];
    const reasons = denied.map((e) => (e.details as { reason: string }).reason);
    for (const reason of ['bad_secret', 'missing_secret', 'unknown_client', 'missing_client_id', 'missing_resource', 'app_not_in_tenant']) {
      assert.ok(reasons.includes(reason), `${reason} audited (${reasons.join(', ')})`);
    }
    assert.ok(!JSON.stringify(denied).includes(orderBot.secret), 'no secret in the audit log');
  });

  it('a multi-tenant app names its tenant in the endpoint URL (?tenant=); without consent there: 403', async () => {
    const shared = await confidentialApp(server, acme, { name: 'FAQ bot', accountType: 'multi-tenant', applicationPermissions: ['bots.act'] });
    const query = { ...base(), client_id: shared.app.clientId };
    const home = await msi(query, { 'x-identity-header': shared.secret });
    assert.equal(home.status, 200);
    assert.equal(claimsOf(((await home.json()) as { access_token: string }).access_token).tid, acme, 'its own tenant by default');
    const noConsent = await msi({ ...query, tenant: globex }, { 'x-identity-header': shared.secret });
    assert.equal(noConsent.status, 403);
    await grantConsent(server.sb.identity, SYSTEM_CALLER, globex, shared.app.clientId);
    const there = await msi({ ...query, tenant: globex }, { 'x-identity-header': shared.secret });
    assert.equal(there.status, 200);
    assert.equal(claimsOf(((await there.json()) as { access_token: string }).access_token).tid, globex);
  });

  it('is not in the OpenAPI document and is rate-limited per address (429 slow_down)', async () => {
    const openapi = (await server.sb.app.inject({ method: 'GET', url: '/openapi.json' })).json() as { paths: Record<string, unknown> };
    assert.ok(!Object.keys(openapi.paths).some((p) => p.startsWith('/botframework')));
    let limited: Response | undefined;
    for (let i = 0; i < 60 && !limited; i++) {
      const res = await msi(base(), { 'x-identity-header': 'wrong' });
      if (res.status === 429) limited = res;
      else await res.body?.cancel();
    }
    assert.ok(limited, 'the limit was reached');
    assert.equal(((await limited.json()) as { error: string }).error, 'slow_down');
  });
});
