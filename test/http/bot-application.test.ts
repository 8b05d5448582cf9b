import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { SYSTEM_CALLER } from '../../src/app/caller.js';
import { AccessTokenAuthenticator } from '../../src/app/identity/access-token-authenticator.js';
import { assignRole } from '../../src/app/identity/role-admin.js';
import { SigningKeys } from '../../src/app/identity/signing-keys.js';
import { postgresSkip } from '../support/postgres.js';
import { assertErrorBody } from './http-helpers.js';
import { clientCredentialsToken, confidentialApp, createTenant, startOAuthServer, type OAuthServer, type TestApp } from './oauth-fixtures.js';

/**
 * Bot application users (issue 4): a bot agent signs in as an app registration; the app id is
 * unique per tenant, so a token issued to the app acts as exactly one bot.
 */
function botApplications(database: 'sqlite' | 'postgres', skip: false | string): void {
  describe(`bot application users (${database})`, { skip }, () => {
    let server: OAuthServer;
    let acme: string;
    let globex: string;
    let orderBot: TestApp;
    let sharedBot: TestApp;
    let globexOnly: TestApp;

    before(async () => {
      server = await startOAuthServer({ database });
      acme = await createTenant(server, 'Acme');
      globex = await createTenant(server, 'Globex');
      orderBot = await confidentialApp(server, acme, { name: 'Order bot', applicationPermissions: ['bots.act', 'conversations.read', 'conversations.write'] });
      await assignRole(server.sb.identity, SYSTEM_CALLER, acme, { principalType: 'app', principalId: orderBot.app.id, role: 'bot' });
      // A bot product sold to many tenants: one registration, consented in each.
      sharedBot = await confidentialApp(server, acme, { name: 'FAQ bot', accountType: 'multi-tenant', applicationPermissions: ['bots.act', 'conversations.read'] });
      globexOnly = await confidentialApp(server, globex, { name: 'Globex bot', consent: false });
    });
    after(() => server.sb.stop());

    const agents = (tenantId: string) => `/v1/tenants/${tenantId}/agents`;
    const countAgents = async (tenantId: string) => (await server.admin.ok('GET', agents(tenantId), 200)).items.length as number;

    it('binds a bot agent to its app registration and shows the app id', async () => {
      const bot = await server.admin.ok('POST', agents(acme), 201, { kind: 'bot', displayName: 'Order bot', appId: orderBot.app.clientId });
      assert.equal(bot.appId, orderBot.app.clientId);
      assert.equal((await server.admin.ok('GET', `${agents(acme)}/${bot.id}`, 200)).appId, orderBot.app.clientId);
      const person = await server.admin.ok('POST', agents(acme), 201, { kind: 'human', displayName: 'Ana' });
      assert.equal(person.appId, null);
    });

    it('refuses a second bot with the same app id in the tenant, and changes nothing', async () => {
      const before = await countAgents(acme);
      const reply = await server.admin.call('POST', agents(acme), { kind: 'bot', displayName: 'Impostor', appId: orderBot.app.clientId });
      assert.equal(reply.status, 409);
      assertErrorBody(reply.body, 'SB_ERR_BOT_APP_IN_USE');
      assert.equal(await countAgents(acme), before);
    });

    it('refuses an app id on a person, an unknown app and another tenant\'s single-tenant app', async () => {
      const before = await countAgents(acme);
      const person = await server.admin.call('POST', agents(acme), { kind: 'human', displayName: 'Ben', appId: sharedBot.app.clientId });
      assert.equal(person.status, 400);
      assertErrorBody(person.body, 'SB_ERR_APP_ID_FOR_BOTS_ONLY');
      const unknown = await server.admin.call('POST', agents(acme), { kind: 'bot', displayName: 'Ghost', appId: '00000000-0000-4000-8000-000000000000' });
      assert.equal(unknown.status, 404);
      assertErrorBody(unknown.body, 'SB_ERR_APP_NOT_FOUND');
      const foreign = await server.admin.call('POST', agents(acme), { kind: 'bot', displayName: 'Borrowed', appId: globexOnly.app.clientId });
      assert.equal(foreign.status, 404);
      assertErrorBody(foreign.body, 'SB_ERR_APP_NOT_FOUND');
      assert.equal(await countAgents(acme), before);
    });

    it('lets each tenant bind the same multi-tenant app to its own bot', async () => {
      const inAcme = await server.admin.ok('POST', agents(acme), 201, { kind: 'bot', displayName: 'FAQ bot', appId: sharedBot.app.clientId });
      const inGlobex = await server.admin.ok('POST', agents(globex), 201, { kind: 'bot', displayName: 'FAQ bot', appId: sharedBot.app.clientId });
      assert.notEqual(inAcme.id, inGlobex.id);
    });

    it('moves a binding only after the first bot lets go of it', async () => {
      const first = await server.admin.ok('POST', agents(acme), 201, { kind: 'bot', displayName: 'Returns bot v1' });
      const app = await confidentialApp(server, acme, { name: 'Returns bot' });
      await server.admin.ok('PATCH', `${agents(acme)}/${first.id}`, 200, { appId: app.app.clientId });
      const second = await server.admin.ok('POST', agents(acme), 201, { kind: 'bot', displayName: 'Returns bot v2' });
      const taken = await server.admin.call('PATCH', `${agents(acme)}/${second.id}`, { appId: app.app.clientId, displayName: 'Renamed' });
      assert.equal(taken.status, 409);
      assertErrorBody(taken.body, 'SB_ERR_BOT_APP_IN_USE');
      assert.equal((await server.admin.ok('GET', `${agents(acme)}/${second.id}`, 200)).displayName, 'Returns bot v2', 'the refused change changed nothing');
      // Re-binding a bot to the app it already holds is no conflict.
      await server.admin.ok('PATCH', `${agents(acme)}/${first.id}`, 200, { appId: app.app.clientId });
      assert.equal((await server.admin.ok('PATCH', `${agents(acme)}/${first.id}`, 200, { appId: null })).appId, null);
      assert.equal((await server.admin.ok('PATCH', `${agents(acme)}/${second.id}`, 200, { appId: app.app.clientId })).appId, app.app.clientId);
    });

    it('makes the app\'s access token act as its bot agent, per tenant', async () => {
      const authenticator = new AccessTokenAuthenticator(server.sb.identity, new SigningKeys(server.sb.identity));
      const origin = { ip: '127.0.0.1', userAgent: null };
      const bound = (await server.admin.ok('GET', agents(acme), 200)).items.find((a: any) => a.appId === orderBot.app.clientId);
      const caller = await authenticator.authenticate(await clientCredentialsToken(server, acme, orderBot), server.base, origin);
      assert.ok(caller && !('rejected' in caller), JSON.stringify(caller));
      assert.equal(caller.agentId, bound.id);
      assert.deepEqual(caller.actor, { kind: 'app', id: orderBot.app.id });
      // An app without a bot agent is an integration, not a bot: it acts as no agent.
      const integration = await confidentialApp(server, acme, { name: 'CRM sync' });
      const plain = await authenticator.authenticate(await clientCredentialsToken(server, acme, integration), server.base, origin);
      assert.ok(plain && !('rejected' in plain));
      assert.equal(plain.agentId, null);
    });
  });
}

botApplications('sqlite', false);
botApplications('postgres', await postgresSkip());
