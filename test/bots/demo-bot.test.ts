/**
 * The demo of `npm start` with its bot: the demo tenant's web chat goes to the demo bot first
 * (a real botbuilder bot served in the process), which greets, answers FAQs, hands billing
 * questions to Billing with its context, and gives way to a person on "agent".
 */
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { after, before, describe, it } from 'node:test';
import { SYSTEM_CALLER } from '../../src/app/caller.js';
import { seedDemo } from '../../src/app/use-cases/seed-demo.js';
import { ensureDemoAdviser, ensureDemoBot } from '../../src/app/use-cases/seed-demo-bot.js';
import { createDirectLineSecret } from '../../src/app/webchat/directline-secrets.js';
import { DEMO_ADVISER_PATH, DEMO_BOT_PATH, demoBotRoutes } from '../../src/server/demo/demo-bot.js';
import { client, type Client } from '../http/http-helpers.js';
import { startTestServer, type TestServer } from '../support/test-server.js';
import { until } from '../support/eventually.js';

const require = createRequire(import.meta.url);
(globalThis as Record<string, unknown>).XMLHttpRequest = require('xhr2');
(globalThis as Record<string, unknown>).WebSocket = require('ws');
const { DirectLine } = require('botframework-directlinejs') as typeof import('botframework-directlinejs');

type Activity = { type: string; text?: string; from: { id: string; name?: string } };

describe('the demo bot of npm start', () => {
  let sb: TestServer;
  let api: Client;
  let base: string;
  let tenantId: string;
  let secret: string;
  const queues = new Map<string, string>();
  let adviserId: string;

  before(async () => {
    sb = await startTestServer();
    const demo = await seedDemo(sb.deps, sb.routing);
    tenantId = demo.tenant.id;
    await demoBotRoutes(sb.app);
    base = await sb.app.listen({ host: '127.0.0.1', port: 0 });
    const port = new URL(base).port;
    const setup = await ensureDemoBot(sb.deps, `http://127.0.0.1:${port}${DEMO_BOT_PATH}`);
    assert.equal(setup?.created, true);
    const again = await ensureDemoBot(sb.deps, `http://127.0.0.1:${port}${DEMO_BOT_PATH}`);
    assert.deepEqual([again?.created, again?.botId], [false, setup?.botId], 'a second start changes nothing');
    adviserId = (await ensureDemoAdviser(sb.deps, `http://127.0.0.1:${port}${DEMO_ADVISER_PATH}`))!.botId;
    assert.equal((await ensureDemoAdviser(sb.deps, `http://127.0.0.1:${port}${DEMO_ADVISER_PATH}`))?.created, false, 'nor for the adviser');
    await sb.routing.idle();
    api = client(sb.app, sb.auth);
    for (const q of (await api.ok('GET', `/v1/tenants/${tenantId}/queues`, 200)).items) queues.set(q.name, q.id);
    secret = (await createDirectLineSecret(sb.webchat.deps, SYSTEM_CALLER, tenantId, demo.channel!.id)).value;
  });
  after(() => sb.stop());

  async function customer() {
    const res = await fetch(`${base}/v3/directline/tokens/generate`, { method: 'POST', headers: { authorization: `Bearer ${secret}` } });
    const { token, conversationId } = await res.json() as { token: string; conversationId: string };
    const dl = new DirectLine({ domain: `${base}/v3/directline`, token, webSocket: true });
    const seen: Activity[] = [];
    const sub = dl.activity$.subscribe((a: Activity) => seen.push(a));
    const say = (text: string) => new Promise<string>((resolve, reject) => dl.postActivity({ type: 'message', from: { id: 'me' }, text } as never).subscribe({ next: resolve, error: reject }));
    return { conversationId, seen, say, end: () => { sub.unsubscribe(); dl.end(); } };
  }

  it('greets, answers a question, and sends a billing question to Billing with the bot\'s summary', async () => {
    const c = await customer();
    try {
      await until(() => c.seen.some((a) => a.text?.startsWith('Hi! I am the demo bot')), 'the greeting');
      await c.say('When are you open?');
      await until(() => c.seen.some((a) => a.text?.includes('Monday to Friday')), 'the opening hours');
      await c.say('I was charged twice on my invoice');
      await until(async () => (await api.ok('GET', `/v1/tenants/${tenantId}/conversations/${c.conversationId}/routing`, 200)).item?.queueId === queues.get('Billing'), 'the conversation in Billing');
      const messages = (await api.ok('GET', `/v1/tenants/${tenantId}/conversations/${c.conversationId}/messages`, 200)).items as { text: string; visibility: string }[];
      assert.ok(messages.some((m) => m.visibility === 'internal' && m.text.startsWith('Billing question from the customer')), 'the agent gets the bot\'s summary');
    } finally {
      c.end();
    }
  });

  it('gives way to a person on "agent"', async () => {
    const c = await customer();
    try {
      await until(() => c.seen.some((a) => a.text?.startsWith('Hi! I am the demo bot')), 'the greeting');
      await c.say('agent');
      await until(async () => (await api.ok('GET', `/v1/tenants/${tenantId}/conversations/${c.conversationId}/routing`, 200)).item?.queueId === queues.get('General support'), 'the conversation in General support');
    } finally {
      c.end();
    }
  });

  it('lets an agent invite the reply adviser, whose suggestions only agents see', async () => {
    const c = await customer();
    try {
      await until(() => c.seen.some((a) => a.text?.startsWith('Hi! I am the demo bot')), 'the greeting');
      await c.say('agent');
      // A demo agent takes it.
      const t = `/v1/tenants/${tenantId}`;
      const agents = (await api.ok('GET', `${t}/agents`, 200)).items as { id: string; kind: string }[];
      const general = await api.ok('GET', `${t}/queues/${queues.get('General support')}`, 200);
      const agentId = (general.memberIds as string[]).find((id) => agents.find((a) => a.id === id)?.kind === 'human')!;
      await api.ok('PUT', `${t}/agents/${agentId}/presence`, 200, { presence: 'available' });
      let offerId: string | undefined;
      await until(async () => {
        offerId = (await api.ok('GET', `${t}/agents/${agentId}/offers?status=pending`, 200)).items.find((o: { conversationId: string }) => o.conversationId === c.conversationId)?.id;
        return offerId !== undefined;
      }, 'the offer to a demo agent');
      await api.ok('POST', `${t}/agents/${agentId}/offers/${offerId}/accept`, 200);
      await api.ok('POST', `${t}/conversations/${c.conversationId}/assist-bots`, 201, { botId: adviserId });
      await sb.bots.dispatcher.idle();
      await c.say('How long does delivery take?');
      await until(async () => (await api.ok('GET', `${t}/conversations/${c.conversationId}/messages`, 200)).items.some((m: { text: string }) => m.text.startsWith('Suggested reply: "Standard delivery')), 'the adviser\'s suggestion');
      const suggestion = (await api.ok('GET', `${t}/conversations/${c.conversationId}/messages`, 200)).items.find((m: { text: string }) => m.text.startsWith('Suggested reply'));
      assert.deepEqual([suggestion.senderId, suggestion.visibility], [adviserId, 'internal']);
      await sb.bots.dispatcher.idle();
      assert.ok(!c.seen.some((a) => a.text?.startsWith('Suggested')), 'the customer never sees it');
    } finally {
      c.end();
    }
  });
});
