/**
 * The Bot Framework channel end to end, with real clients only: an unmodified `botbuilder` bot
 * (CloudAdapter + ConfigurationBotFrameworkAuthentication) registered with Switchboard, and a
 * customer on Microsoft's `botframework-directlinejs`. The customer talks to the echo bot, says
 * "speak to agent", the conversation goes to a human queue, the agent accepts over the agent
 * WebSocket API, sees the transcript and context, replies, and the customer receives it. The bot
 * hears `handoff.status` "accepted" and then "completed". Run anonymous and with the channel's
 * JWT checked by the bot; and a bot's own `handoff.initiate`, Omnichannel tags, and a dead bot.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { EventFactory, type TurnContext } from 'botbuilder';
import { SYSTEM_CALLER } from '../../src/app/caller.js';
import { createDirectLineSecret } from '../../src/app/webchat/directline-secrets.js';
import { client, type Client } from '../http/http-helpers.js';
import { confidentialApp, type OAuthServer } from '../http/oauth-fixtures.js';
import { StreamClient, type Frame } from '../support/stream-client.js';
import { startTestServer, type TestServer } from '../support/test-server.js';
import { channelEnv, startBotbuilderBot, type BotbuilderBot } from './botbuilder-bot.js';
import { until } from '../support/eventually.js';
import { DirectLine, online, say } from '../support/directline-customer.js';


type Activity = { type: string; id?: string; text?: string; name?: string; value?: unknown; from: { id: string; name?: string; role?: string } };

/** The echo bot of the samples, plus the escalations a bot developer writes. */
async function echoLogic(context: TurnContext): Promise<void> {
  const a = context.activity;
  if (a.type !== 'message') return;
  const text = a.text ?? '';
  if (text === 'card please') {
    await context.sendActivity({ type: 'message', text: 'Here you go', attachments: [{ contentType: 'application/vnd.microsoft.card.hero', content: { title: 'Hi' } }] });
    return;
  }
  if (text.startsWith('my card is lost')) {
    // The generic Bot Framework handoff, exactly as the SDK builds it.
    await context.sendActivity(EventFactory.createHandoffInitiation(context, { BotHandoffTopic: 'CreditCard', summary: 'Lost credit card' }, {
      activities: [{ type: 'message', text, from: a.from } as never],
    }));
    return;
  }
  if (text === 'omnichannel escalate') {
    await context.sendActivity({ type: 'message', text: 'Customer wants billing help', channelData: { tags: JSON.stringify({ type: 'Escalate', context: { BotHandoffTopic: 'Billing' } }) } });
    return;
  }
  if (text === 'bye') {
    await context.sendActivity('Goodbye!');
    await context.sendActivity({ type: 'endOfConversation', code: 'completedSuccessfully' });
    return;
  }
  await context.sendActivity(`Echo: ${text}`);
}

/** The next frame of the agent's stream that matches. */
async function frameWhere(stream: StreamClient, match: (f: Frame) => boolean, what: string): Promise<Frame> {
  const deadline = Date.now() + 8_000;
  for (;;) {
    const frame = await stream.next(Math.max(1, deadline - Date.now())).catch(() => undefined);
    if (frame === undefined) throw new Error(`timed out waiting for: ${what}`);
    if (match(frame)) return frame;
  }
}

function recorder(dl: InstanceType<typeof DirectLine>) {
  const seen: Activity[] = [];
  const subscription = dl.activity$.subscribe((a: Activity) => seen.push(a));
  return { seen, stop: () => subscription.unsubscribe() };
}

for (const auth of ['anonymous', 'authenticated'] as const) {
  describe(`a botbuilder bot behind Switchboard's Bot Framework channel (${auth})`, () => {
    let sb: TestServer;
    let api: Client;
    let base: string;
    let t: string;
    let tenantId: string;
    let secret: string;
    let bot: BotbuilderBot;
    let botId: string;
    let ana: { id: string };
    let humans: { id: string };
    let billing: { id: string };
    let agentStream: StreamClient;

    before(async () => {
      sb = await startTestServer({ overrides: { botSettings: { deliveryTimeoutMs: 10_000, retryBaseMs: 20 } } });
      base = await sb.app.listen({ host: '127.0.0.1', port: 0 });
      api = client(sb.app, sb.auth);
      tenantId = (await api.ok('POST', '/v1/tenants', 201, { name: 'Bots' })).id;
      t = `/v1/tenants/${tenantId}`;
      const channel = await api.ok('POST', `${t}/channels`, 201, { type: 'webchat', name: 'Chat', config: { title: 'Acme' } });
      secret = (await createDirectLineSecret(sb.webchat.deps, SYSTEM_CALLER, tenantId, channel.id)).value;

      let appId: string | null = null;
      let env: Record<string, string> = { MicrosoftAppId: '', MicrosoftAppPassword: '' };
      if (auth === 'authenticated') {
        // The bot checks the channel's JWT, and gets its own token for its replies through the
        // managed identity route (an unmodified bot cannot use a custom authority offline).
        const made = await confidentialApp({ sb } as unknown as OAuthServer, tenantId, { name: 'Echo bot app', applicationPermissions: ['bots.act', 'conversations.read'] });
        appId = made.app.clientId;
        process.env.IDENTITY_ENDPOINT = `${base}/botframework/msi/token`;
        process.env.IDENTITY_HEADER = made.secret;
        env = { ...channelEnv({ appId, issuer: `${base}/botframework`, openIdMetadataUrl: `${base}/botframework/.well-known/openidconfiguration`, base }), MicrosoftAppType: 'UserAssignedMsi', MicrosoftAppTenantId: tenantId };
        delete env.MicrosoftAppPassword;
      }
      bot = await startBotbuilderBot(env, echoLogic);
      const registered = await api.ok('POST', `${t}/bots`, 201, { displayName: 'Echo bot', appId, messagingEndpoint: bot.url, authMode: appId === null ? 'none' : 'switchboard' });
      assert.equal(registered.authMode, appId === null ? 'none' : 'switchboard');
      botId = registered.id;
      assert.equal(registered.serviceUrl, `${base}/botframework/${tenantId}/`);

      ana = await api.ok('POST', `${t}/agents`, 201, { kind: 'human', displayName: 'Ana', capacity: 10, presence: 'available' });
      const botFirst = await api.ok('POST', `${t}/queues`, 201, { name: 'Bot first', memberIds: [botId] });
      humans = await api.ok('POST', `${t}/queues`, 201, { name: 'People', memberIds: [ana.id] });
      billing = await api.ok('POST', `${t}/queues`, 201, { name: 'Billing', memberIds: [ana.id] });
      await api.ok('POST', `${t}/workstreams`, 201, {
        name: 'Chat', channelTypes: ['webchat'], fallbackQueueId: botFirst.id, offerTimeoutSeconds: 60,
        routeRules: [
          { id: 'billing', condition: 'BotHandoffTopic == "Billing"', queueId: billing.id },
          { id: 'escalated', condition: 'bot.escalated == true', queueId: humans.id },
        ],
      });
      await sb.routing.idle();
      agentStream = await StreamClient.connect(`${base.replace('http', 'ws')}/v1/stream`, sb.key);
      await agentStream.subscribe({ id: 's1', tenantId });
    });
    after(async () => {
      delete process.env.IDENTITY_ENDPOINT;
      delete process.env.IDENTITY_HEADER;
      agentStream?.socket.close();
      await bot?.close();
      await sb?.stop();
    });

    async function customer() {
      const res = await fetch(`${base}/v3/directline/tokens/generate`, { method: 'POST', headers: { authorization: `Bearer ${secret}`, 'content-type': 'application/json' }, body: JSON.stringify({ user: { id: `dl_${Math.random().toString(36).slice(2, 8)}`, name: 'Dana' } }) });
      const { token, conversationId } = await res.json() as { token: string; conversationId: string };
      const dl = new DirectLine({ domain: `${base}/v3/directline`, token, webSocket: true });
      const rec = recorder(dl);
      await online(dl);
      return { dl, rec, conversationId };
    }

    it('echoes, escalates on "speak to agent", and the agent who accepts sees the transcript and reaches the customer', async () => {
      const { dl, rec, conversationId } = await customer();
      try {
        await until(() => bot.turns.some((a) => a.type === 'conversationUpdate' && a.conversation.id === conversationId), 'the bot hears the conversation start');
        const start = bot.turns.find((a) => a.type === 'conversationUpdate' && a.conversation.id === conversationId)!;
        assert.equal(start.serviceUrl, `${base}/botframework/${tenantId}/`);
        assert.equal(start.channelId, 'directline');
        await say(dl, 'hello bot');
        await until(() => rec.seen.some((a) => a.text === 'Echo: hello bot'), 'the echo reaches the customer');
        const echo = rec.seen.find((a) => a.text === 'Echo: hello bot')!;
        assert.equal(echo.from.name, 'Echo bot');

        await say(dl, 'Speak to agent!');
        const offered = await frameWhere(agentStream, (f) => f.event?.type === 'routing.offered' && f.event.conversationId === conversationId, 'the offer to Ana');
        assert.equal(offered.event!.payload.agentId, ana.id);
        assert.ok(!bot.turns.some((a) => a.text === 'Speak to agent!'), 'the bot does not get the message that asked for a person');
        const routing = await api.ok('GET', `${t}/conversations/${conversationId}/routing`, 200);
        assert.equal(routing.item.queueId, humans.id, 'the escalation rule sent it to people');
        agentStream.send({ type: 'command', id: 'c1', tenantId, agentId: ana.id, action: 'accept', offerId: offered.event!.payload.offer.id });
        const accepted = await frameWhere(agentStream, (f) => f.id === 'c1' && f.type !== 'event', 'the accept result');
        assert.equal(accepted.error, undefined, JSON.stringify(accepted));

        await until(() => bot.turns.some((a) => a.type === 'event' && a.name === 'handoff.status' && (a.value as { state?: string }).state === 'accepted' && a.conversation.id === conversationId), 'handoff.status accepted at the bot');
        // The agent's view: the whole transcript, customer and bot turns.
        const messages = (await api.ok('GET', `${t}/conversations/${conversationId}/messages`, 200)).items as { text: string; senderRole: string }[];
        assert.deepEqual(messages.filter((m) => m.senderRole !== 'system').map((m) => [m.senderRole, m.text]), [['customer', 'hello bot'], ['bot', 'Echo: hello bot'], ['customer', 'Speak to agent!']]);
        const context = (await api.ok('GET', `${t}/conversations/${conversationId}/context`, 200)).items as { name: string; value: unknown }[];
        assert.equal(context.find((v) => v.name === 'bot.escalationTrigger')?.value, 'phrase');

        await api.ok('POST', `${t}/conversations/${conversationId}/messages`, 201, { senderRole: 'agent', senderId: ana.id, text: 'Hi, Ana here.' });
        await until(() => rec.seen.some((a) => a.text === 'Hi, Ana here.'), 'the agent\'s reply reaches the customer');
        await say(dl, 'thanks Ana');
        await until(async () => (await api.ok('GET', `${t}/conversations/${conversationId}/messages`, 200)).items.some((m: { text: string }) => m.text === 'thanks Ana'), 'the customer\'s answer is stored');
        await sb.bots.dispatcher.idle();
        assert.ok(!bot.turns.some((a) => a.text === 'thanks Ana'), 'after the handoff the bot hears nothing of the conversation');

        await api.ok('POST', `${t}/conversations/${conversationId}/state`, 200, { to: 'closed' });
        await until(() => bot.turns.some((a) => a.name === 'handoff.status' && (a.value as { state?: string }).state === 'completed' && a.conversation.id === conversationId), 'handoff.status completed');
        assert.deepEqual(bot.turnErrors, []);
      } finally {
        rec.stop();
        dl.end();
      }
    });

    it('a bot\'s own handoff.initiate sets its context for routing and keeps the transcript; Omnichannel tags route by topic', async () => {
      const first = await customer();
      const second = await customer();
      try {
        await until(() => bot.turns.some((a) => a.type === 'conversationUpdate' && a.conversation.id === first.conversationId), 'start');
        await say(first.dl, 'my card is lost, help');
        await until(async () => (await api.ok('GET', `${t}/conversations/${first.conversationId}`, 200)).state !== 'bot', 'the bot handed over');
        const context = (await api.ok('GET', `${t}/conversations/${first.conversationId}/context`, 200)).items as { name: string; value: unknown }[];
        assert.equal(context.find((v) => v.name === 'BotHandoffTopic')?.value, 'CreditCard');
        assert.equal(context.find((v) => v.name === 'bot.escalationTrigger')?.value, 'handoff');
        const messages = (await api.ok('GET', `${t}/conversations/${first.conversationId}/messages`, 200)).items as { text: string; visibility: string; senderRole: string }[];
        const summary = messages.find((m) => m.text === 'Lost credit card');
        assert.deepEqual([summary?.senderRole, summary?.visibility], ['bot', 'internal'], 'the summary is for the agent only');
        assert.ok(!first.rec.seen.some((a) => a.text === 'Lost credit card'), 'the customer never sees the summary');

        await until(() => bot.turns.some((a) => a.type === 'conversationUpdate' && a.conversation.id === second.conversationId), 'start 2');
        await say(second.dl, 'omnichannel escalate');
        await until(async () => (await api.ok('GET', `${t}/conversations/${second.conversationId}/routing`, 200)).item?.queueId === billing.id, 'the Billing rule took it');
        assert.ok(!second.rec.seen.some((a) => a.text === 'Customer wants billing help'), 'the escalation text is only for the agent');
      } finally {
        for (const c of [first, second]) {
          c.rec.stop();
          c.dl.end();
        }
      }
    });

    it('a person transferring the bot\'s conversation away is a handoff for the bot: it hears no more of it but the handoff\'s outcome', async () => {
      const { dl, rec, conversationId } = await customer();
      try {
        await until(() => bot.turns.some((a) => a.type === 'conversationUpdate' && a.conversation.id === conversationId), 'start');
        await api.ok('POST', `${t}/conversations/${conversationId}/transfer`, 200, { queueId: humans.id, reason: 'supervisor took it' });
        await say(dl, 'are you still there?');
        await until(async () => (await api.ok('GET', `${t}/conversations/${conversationId}/messages`, 200)).items.some((m: { text: string }) => m.text === 'are you still there?'), 'stored');
        let offerId: string | undefined;
        await until(async () => {
          offerId = (await api.ok('GET', `${t}/agents/${ana.id}/offers?status=pending`, 200)).items.find((o: { conversationId: string }) => o.conversationId === conversationId)?.id;
          return offerId !== undefined;
        }, 'the offer to Ana');
        await api.ok('POST', `${t}/agents/${ana.id}/offers/${offerId}/accept`, 200);
        await until(() => bot.turns.some((a) => a.name === 'handoff.status' && (a.value as { state?: string }).state === 'accepted' && a.conversation.id === conversationId), 'handoff.status accepted');
        assert.ok(!bot.turns.some((a) => a.text === 'are you still there?'), 'the bot does not get messages after the transfer');
        await api.ok('POST', `${t}/conversations/${conversationId}/state`, 200, { to: 'closed' });
      } finally {
        rec.stop();
        dl.end();
      }
    });

    it('the bot can end the conversation; cards reach the customer as they came', async () => {
      const { dl, rec, conversationId } = await customer();
      try {
        await until(() => bot.turns.some((a) => a.type === 'conversationUpdate' && a.conversation.id === conversationId), 'start');
        await say(dl, 'card please');
        await until(() => rec.seen.some((a) => a.text === 'Here you go'), 'the card message');
        await say(dl, 'bye');
        await until(() => rec.seen.some((a) => a.type === 'endOfConversation'), 'the end reaches the customer');
        assert.equal((await api.ok('GET', `${t}/conversations/${conversationId}`, 200)).state, 'closed');
      } finally {
        rec.stop();
        dl.end();
      }
    });
  });
}
