/**
 * Bot insights through the API (docs/BOTS.md "Insights"), from real traffic: an unmodified
 * `botbuilder` echo bot behind the Bot Framework channel and customers on Microsoft's
 * `botframework-directlinejs`. One conversation the bot ends (contained), one the customer
 * escalates with "agent" and an agent accepts, one the bot hands over with handoff.initiate that
 * nobody accepts, one still with the bot; two CSAT answers (the widget's survey endpoint and the
 * store). Then every figure of GET /v1/tenants/{t}/bot-insights, the filters, and bad input.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { EventFactory, type TurnContext } from 'botbuilder';
import { SYSTEM_CALLER } from '../../src/app/caller.js';
import { createDirectLineSecret } from '../../src/app/webchat/directline-secrets.js';
import type { BotConversation } from '../../src/core/bots/bot-model.js';
import { assertErrorBody, client, type Client } from '../http/http-helpers.js';
import { startTestServer, type TestServer } from '../support/test-server.js';
import { startBotbuilderBot, type BotbuilderBot } from './botbuilder-bot.js';
import { until } from '../support/eventually.js';
import { DirectLine, online, say } from '../support/directline-customer.js';


type Activity = { type: string; text?: string };

async function echoLogic(context: TurnContext): Promise<void> {
  const a = context.activity;
  if (a.type !== 'message') return;
  const text = a.text ?? '';
  if (text.startsWith('my card is lost')) {
    await context.sendActivity(EventFactory.createHandoffInitiation(context, { BotHandoffTopic: 'CreditCard', summary: 'Lost credit card' }));
    return;
  }
  if (text === 'bye') {
    await context.sendActivity('Goodbye!');
    await context.sendActivity({ type: 'endOfConversation', code: 'completedSuccessfully' });
    return;
  }
  await context.sendActivity(`Echo: ${text}`);
}

const seconds = (from: string, to: string) => (Date.parse(to) - Date.parse(from)) / 1000;
const ZERO_TRIGGERS = { handoff: 0, omnichannel: 0, copilot: 0, phrase: 0, unhealthy: 0, disconnected: 0, transfer: 0 };
const NO_CSAT = { botOnly: { responses: 0, average: null }, escalated: { responses: 0, average: null } };

describe('bot insights through the API, from a botbuilder bot\'s real conversations', () => {
  let sb: TestServer;
  let api: Client;
  let base: string;
  let t: string;
  let tenantId: string;
  let channelId: string;
  let secret: string;
  let bot: BotbuilderBot;
  let botId: string;
  let idleBotId: string;
  let ana: { id: string };
  let botFirst: { id: string };
  let humans: { id: string };
  const conversations: Record<'contained' | 'accepted' | 'pending' | 'open', string> = { contained: '', accepted: '', pending: '', open: '' };
  const ends: (() => void)[] = [];

  before(async () => {
    sb = await startTestServer({ overrides: { botSettings: { deliveryTimeoutMs: 10_000, retryBaseMs: 20 } } });
    base = await sb.app.listen({ host: '127.0.0.1', port: 0 });
    api = client(sb.app, sb.auth);
    tenantId = (await api.ok('POST', '/v1/tenants', 201, { name: 'Bot insights' })).id;
    t = `/v1/tenants/${tenantId}`;
    const channel = await api.ok('POST', `${t}/channels`, 201, { type: 'webchat', name: 'Chat', config: { title: 'Acme' } });
    channelId = channel.id;
    secret = (await createDirectLineSecret(sb.webchat.deps, SYSTEM_CALLER, tenantId, channel.id)).value;
    bot = await startBotbuilderBot({ MicrosoftAppId: '', MicrosoftAppPassword: '' }, echoLogic);
    botId = (await api.ok('POST', `${t}/bots`, 201, { displayName: 'Echo bot', appId: null, messagingEndpoint: bot.url, authMode: 'none' })).id;
    // A second bot, disconnected: it gets nothing, and shows with zeros per bot.
    idleBotId = (await api.ok('POST', `${t}/bots`, 201, { displayName: 'Idle bot', messagingEndpoint: 'http://127.0.0.1:9/api/messages', authMode: 'none', state: 'disconnected' })).id;

    ana = await api.ok('POST', `${t}/agents`, 201, { kind: 'human', displayName: 'Ana', capacity: 3, presence: 'available' });
    botFirst = await api.ok('POST', `${t}/queues`, 201, { name: 'Bot first', memberIds: [botId] });
    humans = await api.ok('POST', `${t}/queues`, 201, { name: 'People', memberIds: [ana.id] });
    await api.ok('POST', `${t}/workstreams`, 201, {
      name: 'Chat', channelTypes: ['webchat'], fallbackQueueId: botFirst.id, offerTimeoutSeconds: 600,
      routeRules: [{ id: 'escalated', condition: 'bot.escalated == true', queueId: humans.id }],
    });
    await sb.routing.idle();

    async function customer() {
      const res = await fetch(`${base}/v3/directline/tokens/generate`, { method: 'POST', headers: { authorization: `Bearer ${secret}`, 'content-type': 'application/json' }, body: JSON.stringify({ user: { id: `dl_${Math.random().toString(36).slice(2, 8)}`, name: 'Dana' } }) });
      const { token, conversationId } = await res.json() as { token: string; conversationId: string };
      const dl = new DirectLine({ domain: `${base}/v3/directline`, token, webSocket: true });
      const seen: Activity[] = [];
      const subscription = dl.activity$.subscribe((a: Activity) => seen.push(a));
      ends.push(() => {
        subscription.unsubscribe();
        dl.end();
      });
      await online(dl);
      await until(() => bot.turns.some((a) => a.type === 'conversationUpdate' && a.conversation.id === conversationId), 'the bot hears the conversation start');
      return { dl, seen, conversationId, token };
    }
    const part = async (conversationId: string): Promise<BotConversation | undefined> => sb.deps.storage.read.bots.getBotConversation(tenantId, conversationId, botId);

    // 1. Contained: the bot ends it; the customer answers the widget's survey (5).
    const one = await customer();
    conversations.contained = one.conversationId;
    await say(one.dl, 'hello bot');
    await until(() => one.seen.some((a) => a.text === 'Echo: hello bot'), 'the echo');
    await say(one.dl, 'bye');
    await until(async () => (await part(one.conversationId))?.state === 'ended', 'the bot ended conversation 1');
    const survey = await fetch(`${base}/webchat/${channelId}/csat`, { method: 'POST', headers: { authorization: `Bearer ${one.token}`, 'content-type': 'application/json' }, body: JSON.stringify({ rating: 5 }) });
    assert.equal(survey.status, 201, await survey.text());

    // 2. Escalated by the phrase "agent", accepted by Ana over the REST API; a CSAT of 2 in the store.
    const two = await customer();
    conversations.accepted = two.conversationId;
    await say(two.dl, 'agent');
    let offer: { id: string; conversationId: string } | undefined;
    await until(async () => {
      const offers = (await api.ok('GET', `${t}/agents/${ana.id}/offers?status=pending`, 200)).items as { id: string; conversationId: string }[];
      offer = offers.find((o) => o.conversationId === two.conversationId);
      return offer !== undefined;
    }, 'the offer to Ana');
    assert.equal((await api.ok('POST', `${t}/agents/${ana.id}/offers/${offer!.id}/accept`, 200)).status, 'accepted');
    await until(async () => (await part(two.conversationId))?.acceptedAt != null, 'the bot\'s part records the acceptance');
    await sb.deps.storage.transaction(async (tx) => {
      await tx.webchat.insertSurvey({ conversationId: two.conversationId, tenantId, channelId, rating: 2, comment: null, createdAt: new Date().toISOString() });
    });

    // 3. Escalated by the bot's own handoff.initiate; offered to Ana, never accepted.
    const three = await customer();
    conversations.pending = three.conversationId;
    await say(three.dl, 'my card is lost, help');
    await until(async () => (await part(three.conversationId))?.state === 'escalated', 'the bot handed conversation 3 over');

    // 4. Still with the bot.
    const four = await customer();
    conversations.open = four.conversationId;
    await say(four.dl, 'just looking');
    await until(() => four.seen.some((a) => a.text === 'Echo: just looking'), 'the echo in 4');
    await sb.bots.dispatcher.idle();
    await sb.routing.idle();
  });
  after(async () => {
    for (const end of ends) end();
    await bot?.close();
    await sb?.stop();
  });

  /** The stored parts, for the expected durations. */
  async function parts(): Promise<Record<keyof typeof conversations, BotConversation>> {
    const read = sb.deps.storage.read.bots;
    const entries = await Promise.all(Object.entries(conversations).map(async ([k, id]) => [k, (await read.getBotConversation(tenantId, id, botId))!] as const));
    return Object.fromEntries(entries) as Record<keyof typeof conversations, BotConversation>;
  }

  it('counts, triggers, handoffs, durations and CSAT over the default window, in total and per bot', async () => {
    const p = await parts();
    assert.equal(p.contained.endedByBot, true);
    assert.equal(p.accepted.escalationTrigger, 'phrase');
    assert.equal(p.pending.escalationTrigger, 'handoff');
    assert.equal(p.pending.handoffState, 'pending');
    assert.equal(p.open.state, 'active');
    for (const x of Object.values(p)) assert.equal(x.queueId, botFirst.id, 'each part remembers the bot queue it came from');

    const insights = await api.ok('GET', `${t}/bot-insights`, 200);
    const toEscalation = [seconds(p.accepted.boundAt, p.accepted.escalatedAt!), seconds(p.pending.boundAt, p.pending.escalatedAt!)].sort((a, b) => a - b);
    const toAgent = seconds(p.accepted.escalatedAt!, p.accepted.acceptedAt!);
    const figures = {
      handled: 4, contained: 1, escalated: 2, open: 1,
      escalatedByTrigger: { ...ZERO_TRIGGERS, phrase: 1, handoff: 1 },
      handoffs: { accepted: 1, failed: 0, pending: 1 },
      timeToEscalationSeconds: { p50: toEscalation[0], p90: toEscalation[1], mean: Math.round(((toEscalation[0]! + toEscalation[1]!) / 2) * 1000) / 1000 },
      escalationToAgentSeconds: { p50: toAgent, p90: toAgent, mean: toAgent },
      csat: { botOnly: { responses: 1, average: 5 }, escalated: { responses: 1, average: 2 } },
    };
    const { from, to, botId: noBot, queueId: noQueue, byBot, ...totals } = insights;
    assert.deepEqual(totals, figures);
    assert.equal(noBot, null);
    assert.equal(noQueue, null);
    assert.equal(Date.parse(to) - Date.parse(from), 7 * 24 * 3600 * 1000, 'the default window is the last 7 days');
    assert.ok(Math.abs(Date.parse(to) - Date.now()) < 60_000, 'ending now');
    assert.deepEqual(byBot.map((b: { botId: string; displayName: string }) => [b.botId, b.displayName]), [[botId, 'Echo bot'], [idleBotId, 'Idle bot']]);
    const { botId: _a, displayName: _b, ...echo } = byBot[0];
    assert.deepEqual(echo, figures);
    const { botId: _c, displayName: _d, ...idle } = byBot[1];
    assert.deepEqual(idle, {
      handled: 0, contained: 0, escalated: 0, open: 0, escalatedByTrigger: ZERO_TRIGGERS, handoffs: { accepted: 0, failed: 0, pending: 0 },
      timeToEscalationSeconds: null, escalationToAgentSeconds: null, csat: NO_CSAT,
    });
  });

  it('filters by bot (no per-bot list), by queue (the bot queue it was routed from) and by window', async () => {
    const all = await api.ok('GET', `${t}/bot-insights`, 200);
    const one = await api.ok('GET', `${t}/bot-insights?botId=${botId}`, 200);
    assert.equal(one.botId, botId);
    assert.equal(one.byBot, undefined);
    assert.deepEqual([one.handled, one.contained, one.escalated, one.open, one.csat], [all.handled, all.contained, all.escalated, all.open, all.csat]);
    const idle = await api.ok('GET', `${t}/bot-insights?botId=${idleBotId}`, 200);
    assert.equal(idle.handled, 0);

    const fromBotQueue = await api.ok('GET', `${t}/bot-insights?queueId=${botFirst.id}`, 200);
    assert.equal(fromBotQueue.queueId, botFirst.id);
    assert.deepEqual([fromBotQueue.handled, fromBotQueue.escalated, fromBotQueue.handoffs], [4, 2, all.handoffs]);
    const fromPeople = await api.ok('GET', `${t}/bot-insights?queueId=${humans.id}&botId=${botId}`, 200);
    assert.equal(fromPeople.handled, 0, 'escalated conversations went to People, but the bot got them from Bot first');

    const p = await parts();
    // The window is by boundAt, from inclusive, to exclusive.
    const last = [p.contained, p.accepted, p.pending, p.open].map((x) => x.boundAt).sort().at(-1)!;
    const first = [p.contained, p.accepted, p.pending, p.open].map((x) => x.boundAt).sort()[0]!;
    const q = (from: string, to: string) => `${t}/bot-insights?from=${encodeURIComponent(from)}&to=${encodeURIComponent(to)}`;
    assert.equal((await api.ok('GET', q(first, last), 200)).handled, 3, 'the last one is at to: left out');
    const onlyLast = await api.ok('GET', q(last, new Date(Date.parse(last) + 1).toISOString()), 200);
    assert.deepEqual([onlyLast.handled, onlyLast.open], [1, 1]);
    const afterwards = await api.ok('GET', `${t}/bot-insights?from=${encodeURIComponent(new Date(Date.parse(last) + 1).toISOString())}`, 200);
    assert.equal(afterwards.handled, 0);
    assert.equal(afterwards.timeToEscalationSeconds, null);
    // Only `to`: the 7 days before it.
    const before = await api.ok('GET', `${t}/bot-insights?to=${encodeURIComponent(first)}`, 200);
    assert.deepEqual([before.handled, Date.parse(before.to) - Date.parse(before.from)], [0, 7 * 24 * 3600 * 1000]);
  });

  it('refuses a bad window, an unknown bot or queue, with the documented codes', async () => {
    const now = Date.now();
    const iso = (ms: number) => encodeURIComponent(new Date(ms).toISOString());
    const cases: [string, number, string][] = [
      [`?from=${iso(now)}&to=${iso(now - 1000)}`, 400, 'SB_ERR_VALIDATION'],
      [`?from=${iso(now)}&to=${iso(now)}`, 400, 'SB_ERR_VALIDATION'],
      [`?from=${iso(now - 93 * 24 * 3600 * 1000)}&to=${iso(now)}`, 400, 'SB_ERR_VALIDATION'],
      ['?from=yesterday', 400, 'SB_ERR_VALIDATION'],
      ['?color=blue', 400, 'SB_ERR_VALIDATION'],
      ['?botId=agt_nobody', 404, 'SB_ERR_BOT_NOT_FOUND'],
      [`?botId=${ana.id}`, 404, 'SB_ERR_BOT_NOT_FOUND'],
      ['?queueId=que_nowhere', 404, 'SB_ERR_QUEUE_NOT_FOUND'],
    ];
    for (const [query, status, code] of cases) {
      const reply = await api.call('GET', `${t}/bot-insights${query}`);
      assert.equal(reply.status, status, `${query}: ${JSON.stringify(reply.body)}`);
      assertErrorBody(reply.body, code);
    }
    // Exactly 92 days is allowed.
    await api.ok('GET', `${t}/bot-insights?from=${iso(now - 92 * 24 * 3600 * 1000)}&to=${iso(now)}`, 200);
    const unknownTenant = await api.call('GET', '/v1/tenants/ten_nowhere/bot-insights');
    assert.equal(unknownTenant.status, 404);
    assertErrorBody(unknownTenant.body, 'SB_ERR_TENANT_NOT_FOUND');
  });
});
