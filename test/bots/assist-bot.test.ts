/**
 * An assist bot (a real botbuilder bot registered with role "assist" for a queue): once a person
 * accepts a conversation of that queue, the bot hears the transcript so far, then what the
 * customer and the agent say, and its suggestions reach the agent only, never the customer.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { TurnContext } from 'botbuilder';
import { SYSTEM_CALLER } from '../../src/app/caller.js';
import { createDirectLineSecret } from '../../src/app/webchat/directline-secrets.js';
import { assertErrorBody, client, signInWithPassword, type Client } from '../http/http-helpers.js';
import { startTestServer, type TestServer } from '../support/test-server.js';
import { startBotbuilderBot, type BotbuilderBot } from './botbuilder-bot.js';
import { customerOnDirectLine } from '../support/directline-customer.js';
import { until } from '../support/eventually.js';


/** Suggests a reply to every customer message it hears. */
async function assistLogic(context: TurnContext): Promise<void> {
  const a = context.activity;
  const role = (a.channelData as { switchboard?: { senderRole?: string } } | undefined)?.switchboard?.senderRole;
  if (a.type === 'message' && role === 'customer') await context.sendActivity(`Suggested reply: "Sorry to hear that; let me look up ${a.text}."`);
}

/** Offers a translation of what the customer says. */
async function inviteeLogic(context: TurnContext): Promise<void> {
  const a = context.activity;
  const role = (a.channelData as { switchboard?: { senderRole?: string } } | undefined)?.switchboard?.senderRole;
  if (a.type === 'message' && role === 'customer') await context.sendActivity(`Translation: ${a.text}`);
}

describe('an assist bot', () => {
  let sb: TestServer;
  let api: Client;
  let base: string;
  let t: string;
  let secret: string;
  let bot: BotbuilderBot;
  let ana: { id: string };
  let ben: { id: string };
  let tenantId: string;
  let invitee: BotbuilderBot;
  let inviteeId: string;
  let primaryBotId: string;
  let customers = 0;
  let alApi: Client;
  let benApi: Client;

  before(async () => {
    sb = await startTestServer({ overrides: { botSettings: { retryBaseMs: 20 } } });
    base = await sb.app.listen({ host: '127.0.0.1', port: 0 });
    api = client(sb.app, sb.auth);
    tenantId = (await api.ok('POST', '/v1/tenants', 201, { name: 'Assist' })).id;
    t = `/v1/tenants/${tenantId}`;
    const channel = await api.ok('POST', `${t}/channels`, 201, { type: 'webchat', name: 'Chat' });
    secret = (await createDirectLineSecret(sb.webchat.deps, SYSTEM_CALLER, tenantId, channel.id)).value;
    ana = await api.ok('POST', `${t}/agents`, 201, { kind: 'human', displayName: 'Ana', capacity: 2, presence: 'available' });
    const people = await api.ok('POST', `${t}/queues`, 201, { name: 'People', memberIds: [ana.id] });
    await api.ok('POST', `${t}/workstreams`, 201, { name: 'Chat', channelTypes: ['webchat'], fallbackQueueId: people.id, offerTimeoutSeconds: 60 });
    bot = await startBotbuilderBot({ MicrosoftAppId: '', MicrosoftAppPassword: '' }, assistLogic);
    const bad = await api.call('POST', `${t}/bots`, { displayName: 'Copilot', messagingEndpoint: bot.url, role: 'assist', assistQueueIds: ['que_missing'] });
    assert.equal(bad.status, 404, 'an unknown queue is refused');
    const primaryWithQueues = await api.call('POST', `${t}/bots`, { displayName: 'Copilot', messagingEndpoint: bot.url, assistQueueIds: [people.id] });
    assert.equal(primaryWithQueues.status, 400, 'assistQueueIds go with role assist only');
    const registered = await api.ok('POST', `${t}/bots`, 201, { displayName: 'Copilot', messagingEndpoint: bot.url, role: 'assist', assistQueueIds: [people.id] });
    assert.deepEqual(registered.assistQueueIds, [people.id]);
    // A second assist bot advises on no queue: it comes only when someone invites it.
    invitee = await startBotbuilderBot({ MicrosoftAppId: '', MicrosoftAppPassword: '' }, inviteeLogic);
    inviteeId = (await api.ok('POST', `${t}/bots`, 201, { displayName: 'Translator', messagingEndpoint: invitee.url, role: 'assist' })).id;
    primaryBotId = (await api.ok('POST', `${t}/bots`, 201, { displayName: 'Front bot', messagingEndpoint: invitee.url })).id;
    // Ben is Ana's colleague in the queue, offline so that routing picks Ana.
    ben = await api.ok('POST', `${t}/agents`, 201, { kind: 'human', displayName: 'Ben', capacity: 2 });
    await api.ok('POST', `${t}/queues/${people.id}/members`, 200, { agentId: ben.id });
    const password = 'correct horse battery staple';
    await api.ok('POST', `${t}/users`, 201, { email: 'al@assist.test', displayName: 'Al', password, roles: [{ role: 'agent' }], agentId: ana.id });
    await api.ok('POST', `${t}/users`, 201, { email: 'ben@assist.test', displayName: 'Ben', password, roles: [{ role: 'agent' }], agentId: ben.id });
    alApi = client(sb.app, { ...(await signInWithPassword(sb.app, tenantId, 'al@assist.test', password)) });
    benApi = client(sb.app, { ...(await signInWithPassword(sb.app, tenantId, 'ben@assist.test', password)) });
    await sb.routing.idle();
  });
  after(async () => {
    await invitee?.close();
    await bot?.close();
    await sb?.stop();
  });

  it('hears the conversation once a person has it, and advises the agent only', async () => {
    const customer = await customerOnDirectLine(base, secret, { id: `dl_${++customers}`, name: 'Customer' });
    const { conversationId, seen, say } = customer;
    try {
      await say('hello');
      let offerId: string | undefined;
      await until(async () => {
        offerId = (await api.ok('GET', `${t}/agents/${ana.id}/offers?status=pending`, 200)).items.find((o: { conversationId: string }) => o.conversationId === conversationId)?.id;
        return offerId !== undefined;
      }, 'the offer to Ana');
      assert.equal(bot.turns.length, 0, 'the assist bot hears nothing before a person has the conversation');
      await api.ok('POST', `${t}/agents/${ana.id}/offers/${offerId}/accept`, 200);
      await until(() => bot.turns.some((a) => a.type === 'conversationUpdate' && a.conversation.id === conversationId), 'the assist bot joins');
      const start = bot.turns.find((a) => a.type === 'conversationUpdate')!;
      const transcript = (start.channelData as { switchboard?: { transcript?: { text?: string }[] } }).switchboard?.transcript ?? [];
      assert.ok(transcript.some((a) => a.text === 'hello'), 'the transcript so far comes with it');

      await say('order 1042');
      await until(async () => (await api.ok('GET', `${t}/conversations/${conversationId}/messages`, 200)).items.some((m: { text: string }) => m.text.startsWith('Suggested reply')), 'the suggestion is stored');
      const messages = (await api.ok('GET', `${t}/conversations/${conversationId}/messages`, 200)).items as { text: string; visibility: string; senderRole: string; channelData?: { switchboard?: { kind?: string } } }[];
      const suggestion = messages.find((m) => m.text.startsWith('Suggested reply'))!;
      assert.deepEqual([suggestion.senderRole, suggestion.visibility, suggestion.channelData?.switchboard?.kind], ['bot', 'internal', 'suggestion']);

      // A supervisor's whisper is for the agent only: neither the bot nor the customer gets it.
      await api.ok('POST', `${t}/conversations/${conversationId}/whisper`, 201, { text: 'Whisper: check the order first' });
      await api.ok('POST', `${t}/conversations/${conversationId}/messages`, 201, { senderRole: 'agent', senderId: ana.id, text: 'Let me check that order.' });
      await until(() => bot.turns.some((a) => a.text === 'Let me check that order.'), 'the assist bot hears the agent');
      // Deliveries go out in message order, so a whisper delivered at all would be here by now.
      assert.ok(!bot.turns.some((a) => a.text?.startsWith('Whisper')), 'the bot never hears the whisper');
      const agentTurn = bot.turns.find((a) => a.text === 'Let me check that order.')!;
      assert.equal((agentTurn.channelData as { switchboard?: { senderRole?: string } }).switchboard?.senderRole, 'agent');
      await until(() => seen.some((a) => a.text === 'Let me check that order.'), 'the customer gets the agent\'s message');
      await sb.bots.dispatcher.idle();
      assert.ok(!seen.some((a) => a.text?.startsWith('Suggested reply')), 'the customer never sees a suggestion');
      assert.ok(!seen.some((a) => a.text?.startsWith('Whisper')), 'the customer never sees the whisper');

      await api.ok('POST', `${t}/conversations/${conversationId}/state`, 200, { to: 'closed' });
      await until(() => bot.turns.some((a) => a.type === 'endOfConversation' && a.conversation.id === conversationId), 'the assist bot hears the end');
      assert.deepEqual(bot.turnErrors, [], 'no turn failed');
    } finally {
      customer.end();
    }
  });
  it('comes into one conversation when the agent invites it, and leaves when sent away', async () => {
    const customer = await customerOnDirectLine(base, secret, { id: `dl_${++customers}`, name: 'Customer' });
    const { conversationId, seen, say } = customer;
    const assistUrl = `${t}/conversations/${conversationId}/assist-bots`;
    const heard = () => invitee.turns.filter((a) => a.conversation.id === conversationId);
    const refused = async (who: Client, method: 'POST' | 'DELETE', url: string, body: unknown, status: number, code: string) => {
      const reply = await who.call(method, url, body);
      assert.equal(reply.status, status, `${method} ${url}: ${reply.status} ${JSON.stringify(reply.body)}`);
      assertErrorBody(reply.body, code);
    };
    try {
      await say('hola, mi pedido no llegó');
      let offerId: string | undefined;
      await until(async () => {
        offerId = (await api.ok('GET', `${t}/agents/${ana.id}/offers?status=pending`, 200)).items.find((o: { conversationId: string }) => o.conversationId === conversationId)?.id;
        return offerId !== undefined;
      }, 'the offer to Ana');
      // Before anyone has it there is nobody to advise.
      await refused(api, 'POST', assistUrl, { botId: inviteeId }, 409, 'SB_ERR_NOT_HANDLED');
      await api.ok('POST', `${t}/agents/${ana.id}/offers/${offerId}/accept`, 200);

      // The queue's assist bot joins once the dispatcher has read the acceptance.
      await until(async () => (await alApi.ok('GET', assistUrl, 200)).items.some((c: { active: boolean }) => c.active), 'the queue\'s assist bot joins');
      const choices = (await alApi.ok('GET', assistUrl, 200)).items as { botId: string; displayName: string; active: boolean }[];
      assert.deepEqual(choices.map((c) => [c.displayName, c.active]).sort(), [['Copilot', true], ['Translator', false]], 'the queue\'s assist bot advises; the other can be invited');
      assert.ok(!choices.some((c) => c.botId === primaryBotId), 'a primary bot is not offered as an assist bot');

      // Bad invitations change nothing.
      await refused(alApi, 'POST', assistUrl, { botId: primaryBotId }, 400, 'SB_ERR_NOT_AN_ASSIST_BOT');
      await refused(alApi, 'POST', assistUrl, { botId: 'agt_missing' }, 404, 'SB_ERR_BOT_NOT_FOUND');
      await refused(alApi, 'POST', assistUrl, { botId: inviteeId, extra: 1 }, 400, 'SB_ERR_VALIDATION');
      await refused(benApi, 'POST', assistUrl, { botId: inviteeId }, 403, 'SB_ERR_FORBIDDEN');
      await sb.bots.dispatcher.idle();
      assert.equal(heard().length, 0, 'no refused invitation reached the bot');

      // Ana sends the queue's assist bot away (two anonymous development bots in one conversation
      // could not be told apart on the Connector API: only a token names the caller).
      const copilotId = choices.find((c) => c.displayName === 'Copilot')!.botId;
      assert.equal((await alApi.call('DELETE', `${assistUrl}/${copilotId}`)).status, 204);
      await until(() => bot.turns.some((a) => a.type === 'endOfConversation' && a.conversation.id === conversationId), 'the queue\'s assist bot hears its part end');

      // Ana invites the translator: it hears the transcript so far, then the conversation.
      const invited = await alApi.ok('POST', assistUrl, 201, { botId: inviteeId });
      assert.deepEqual([invited.botId, invited.state], [inviteeId, 'active']);
      assert.equal((await alApi.ok('POST', assistUrl, 200, { botId: inviteeId })).since, invited.since, 'inviting twice changes nothing');
      await until(() => heard().some((a) => a.type === 'conversationUpdate'), 'the invited bot joins');
      const start = heard().find((a) => a.type === 'conversationUpdate')!;
      const transcript = (start.channelData as { switchboard?: { transcript?: { text?: string }[] } }).switchboard?.transcript ?? [];
      assert.ok(transcript.some((a) => a.text === 'hola, mi pedido no llegó'), 'the transcript so far comes with it');
      await say('número 1042');
      await until(async () => (await api.ok('GET', `${t}/conversations/${conversationId}/messages`, 200)).items.some((m: { text: string }) => m.text === 'Translation: número 1042'), 'the translation is stored');
      const translation = (await api.ok('GET', `${t}/conversations/${conversationId}/messages`, 200)).items.find((m: { text: string }) => m.text === 'Translation: número 1042');
      assert.deepEqual([translation.senderRole, translation.senderId, translation.visibility], ['bot', inviteeId, 'internal'], 'a suggestion for the agent only');
      const events = (await api.ok('GET', `${t}/events?conversationId=${conversationId}`, 200)).items as { type: string; actor: { kind: string; id: string | null }; payload: { botId?: string } }[];
      const invitation = events.filter((e) => e.type === 'bot.assist_invited');
      assert.equal(invitation.length, 1, 'one invitation in the log');
      assert.deepEqual([invitation[0]!.payload.botId, invitation[0]!.actor.kind], [inviteeId, 'user']);

      // Sent away: it hears the end of its part, and nothing after it.
      await refused(benApi, 'DELETE', `${assistUrl}/${inviteeId}`, undefined, 403, 'SB_ERR_FORBIDDEN');
      const gone = await alApi.call('DELETE', `${assistUrl}/${inviteeId}`);
      assert.equal(gone.status, 204);
      await refused(alApi, 'DELETE', `${assistUrl}/${inviteeId}`, undefined, 404, 'SB_ERR_BOT_NOT_ASSISTING');
      await until(() => heard().some((a) => a.type === 'endOfConversation'), 'the invited bot hears its part end');
      const turnsAtDismissal = heard().length;
      const copilotTurns = bot.turns.length;
      await say('¿hay alguien?');
      await until(async () => (await api.ok('GET', `${t}/conversations/${conversationId}/messages`, 200)).items.some((m: { text: string }) => m.text === '¿hay alguien?'), 'the message is stored');
      await sb.bots.dispatcher.idle();
      assert.equal(heard().length, turnsAtDismissal, 'the dismissed bot hears nothing more');
      assert.equal(bot.turns.length, copilotTurns, 'nor does the queue\'s dismissed bot');
      assert.deepEqual((await alApi.ok('GET', assistUrl, 200)).items.find((c: { botId: string }) => c.botId === inviteeId).active, false);
      assert.ok(!seen.some((a) => a.text?.startsWith('Translation')), 'the customer never sees a suggestion');
      assert.deepEqual(invitee.turnErrors, [], 'no turn failed');

      await api.ok('POST', `${t}/conversations/${conversationId}/state`, 200, { to: 'closed' });
      await refused(alApi, 'POST', assistUrl, { botId: inviteeId }, 409, 'SB_ERR_CONVERSATION_CLOSED');
    } finally {
      customer.end();
    }
  });
});
