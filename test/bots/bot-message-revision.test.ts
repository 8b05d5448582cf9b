/**
 * A bot edits and deletes what it said, with real clients only: an unmodified `botbuilder` bot
 * calls `context.updateActivity(...)` and `context.deleteActivity(...)` (Connector API PUT and
 * DELETE on `v3/conversations/{id}/activities/{activityId}`), and a customer on Microsoft's
 * `botframework-directlinejs` receives the activity again under the same id, edited, then
 * emptied. The REST API and the event log show the edit and the tombstone. What a bot may not
 * revise (the customer's message, another bot's, an unknown id, another conversation's, a deleted
 * one, another tenant's conversation) is refused with the Bot Framework's status and code, and
 * nothing changes.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { TurnContext } from 'botbuilder';
import { SYSTEM_CALLER } from '../../src/app/caller.js';
import { createDirectLineSecret } from '../../src/app/webchat/directline-secrets.js';
import { client, type Client } from '../http/http-helpers.js';
import { until } from '../support/eventually.js';
import { DirectLine, online, say, type DirectLineClient } from '../support/directline-customer.js';
import { startTestServer, type TestServer } from '../support/test-server.js';
import { startBotbuilderBot, type BotbuilderBot } from './botbuilder-bot.js';

type Activity = { type: string; id?: string; text?: string; attachments?: unknown[]; channelData?: { switchboard?: Record<string, unknown> }; from: { id: string; role?: string } };
type StoredMessage = { id: string; seq: number; senderRole: string; text: string; attachments: unknown[]; channelData: unknown; editedAt: string | null; deletedAt: string | null };

/** What the bot's revision calls answered: the id, or the status and error code the Connector gave. */
interface Outcome {
  readonly command: string;
  readonly id?: string | undefined;
  readonly status?: number | undefined;
  readonly code?: string | undefined;
}

describe('a botbuilder bot updates and deletes its own activities; the Direct Line customer sees it', () => {
  let sb: TestServer;
  let api: Client;
  let base: string;
  let t: string;
  let tenantId: string;
  let secret: string;
  let bot: BotbuilderBot;
  let botId: string;
  /** Per conversation: the id of the bot's greeting, as `sendActivity` answered it. */
  const greetings = new Map<string, string>();
  const outcomes: Outcome[] = [];
  /** Ids the test hands the bot for its next revision call. */
  let target = '';

  async function logic(context: TurnContext): Promise<void> {
    const a = context.activity;
    if (a.type !== 'message') return;
    const text = a.text ?? '';
    const record = async (command: string, call: () => Promise<{ id?: string } | void | undefined>) => {
      try {
        const answer = await call();
        outcomes.push({ command, id: answer ? answer.id : undefined });
      } catch (error) {
        const e = error as { statusCode?: number; code?: string; details?: { error?: { code?: string } }; response?: { parsedBody?: { error?: { code?: string } } } };
        outcomes.push({ command, status: e.statusCode, code: e.details?.error?.code ?? e.response?.parsedBody?.error?.code ?? e.code });
      }
    };
    if (text === 'hello') {
      const sent = await context.sendActivity('Helo, how can I hlep?');
      greetings.set(a.conversation.id, sent!.id);
      return;
    }
    const greeting = greetings.get(a.conversation.id) ?? '';
    if (text === 'fix your typo') return record('update', () => context.updateActivity({ id: greeting, type: 'message', text: 'Hello, how can I help?' }));
    if (text === 'take it back') return record('delete', () => context.deleteActivity(greeting));
    if (text === 'edit my message') return record('update-customer', () => context.updateActivity({ id: a.id, type: 'message', text: 'You said something else' }));
    if (text === 'delete my message') return record('delete-customer', () => context.deleteActivity(a.id!));
    if (text === 'edit target') return record('update-target', () => context.updateActivity({ id: target, type: 'message', text: 'Rewritten' }));
    if (text === 'delete target') return record('delete-target', () => context.deleteActivity(target));
    if (text === 'empty edit') return record('update-empty', () => context.updateActivity({ id: greeting, type: 'message', text: '  ' }));
  }

  before(async () => {
    sb = await startTestServer({ overrides: { botSettings: { deliveryTimeoutMs: 10_000, retryBaseMs: 20, connectorRatePerSecond: 1000 } } });
    base = await sb.app.listen({ host: '127.0.0.1', port: 0 });
    api = client(sb.app, sb.auth);
    tenantId = (await api.ok('POST', '/v1/tenants', 201, { name: 'Revisions' })).id;
    t = `/v1/tenants/${tenantId}`;
    const channel = await api.ok('POST', `${t}/channels`, 201, { type: 'webchat', name: 'Chat', config: { title: 'Acme' } });
    secret = (await createDirectLineSecret(sb.webchat.deps, SYSTEM_CALLER, tenantId, channel.id)).value;
    bot = await startBotbuilderBot({ MicrosoftAppId: '', MicrosoftAppPassword: '' }, logic);
    botId = (await api.ok('POST', `${t}/bots`, 201, { displayName: 'Typo bot', appId: null, messagingEndpoint: bot.url, authMode: 'none' })).id;
    const botFirst = await api.ok('POST', `${t}/queues`, 201, { name: 'Bot first', memberIds: [botId] });
    await api.ok('POST', `${t}/workstreams`, 201, { name: 'Chat', channelTypes: ['webchat'], fallbackQueueId: botFirst.id, offerTimeoutSeconds: 60 });
    await sb.routing.idle();
  });
  after(async () => {
    await bot?.close();
    await sb?.stop();
  });

  async function customer(options: { webSocket: boolean } = { webSocket: true }) {
    const res = await fetch(`${base}/v3/directline/tokens/generate`, {
      method: 'POST', headers: { authorization: `Bearer ${secret}`, 'content-type': 'application/json' },
      body: JSON.stringify({ user: { id: `dl_${Math.random().toString(36).slice(2, 8)}`, name: 'Dana' } }),
    });
    const { token, conversationId } = await res.json() as { token: string; conversationId: string };
    const dl = new DirectLine({ domain: `${base}/v3/directline`, token, webSocket: options.webSocket, pollingInterval: 200 });
    const seen: Activity[] = [];
    const subscription = dl.activity$.subscribe((x: Activity) => seen.push(x));
    await online(dl);
    return { dl, seen, conversationId, token, end: () => { subscription.unsubscribe(); dl.end(); } };
  }

  const messages = async (conversationId: string): Promise<StoredMessage[]> => (await api.ok('GET', `${t}/conversations/${conversationId}/messages`, 200)).items;
  const events = async (conversationId: string): Promise<{ id: number; type: string; payload: { message?: StoredMessage } }[]> => (
    (await api.ok('GET', `${t}/events?conversationId=${conversationId}&limit=1000`, 200)).items);

  /** The customer says `text`, and the bot's turn for it has recorded its outcome. */
  async function command(dl: DirectLineClient, text: string): Promise<Outcome> {
    const before = outcomes.length;
    await say(dl, text);
    await until(() => outcomes.length > before, `the bot's outcome for "${text}"`);
    return outcomes[outcomes.length - 1]!;
  }

  async function greeted(dl: DirectLineClient, conversationId: string, seen: Activity[]): Promise<string> {
    await until(() => bot.turns.some((a) => a.type === 'conversationUpdate' && a.conversation.id === conversationId), 'the bot hears the conversation start');
    await say(dl, 'hello');
    await until(() => greetings.has(conversationId) && seen.some((a) => a.id === greetings.get(conversationId)), 'the customer receives the greeting');
    return greetings.get(conversationId)!;
  }

  for (const transport of ['WebSocket', 'polling'] as const) {
    it(`the edit replaces the greeting under its id, the delete empties it (${transport})`, async () => {
      const c = await customer({ webSocket: transport === 'WebSocket' });
      try {
        const greetingId = await greeted(c.dl, c.conversationId, c.seen);
        const first = c.seen.find((a) => a.id === greetingId)!;
        assert.equal(first.text, 'Helo, how can I hlep?');
        const watermarkBefore = (await (await fetch(`${base}/v3/directline/conversations/${c.conversationId}/activities`, { headers: { authorization: `Bearer ${c.token}` } })).json() as { watermark: string }).watermark;

        const updated = await command(c.dl, 'fix your typo');
        assert.deepEqual(updated, { command: 'update', id: greetingId }, 'UpdateActivity answers the same id');
        await until(() => c.seen.filter((a) => a.id === greetingId).length === 2, 'the customer receives the edited greeting');
        const edited = c.seen.filter((a) => a.id === greetingId)[1]!;
        assert.equal(edited.type, 'message');
        assert.equal(edited.text, 'Hello, how can I help?');
        assert.equal(typeof edited.channelData?.switchboard?.editedAt, 'string');

        const stored = (await messages(c.conversationId)).find((m) => m.senderRole === 'bot')!;
        assert.equal(`${c.conversationId}|${String(stored.seq).padStart(7, '0')}`, greetingId);
        assert.equal(stored.text, 'Hello, how can I help?');
        assert.equal(stored.editedAt, edited.channelData?.switchboard?.editedAt);
        assert.equal(stored.deletedAt, null);
        const updatedEvents = (await events(c.conversationId)).filter((e) => e.type === 'message.updated');
        assert.equal(updatedEvents.length, 1);
        assert.equal(updatedEvents[0]!.payload.message?.text, 'Hello, how can I help?');

        // A client that resumes from before the edit gets the greeting again, edited, once.
        const resumed = await (await fetch(`${base}/v3/directline/conversations/${c.conversationId}/activities?watermark=${watermarkBefore}`, { headers: { authorization: `Bearer ${c.token}` } })).json() as { activities: Activity[]; watermark: string };
        assert.deepEqual(resumed.activities.filter((a) => a.id === greetingId).map((a) => a.text), ['Hello, how can I help?']);
        assert.match(resumed.watermark, /^\d+\.\d+$/, 'the watermark carries the change');

        const deleted = await command(c.dl, 'take it back');
        assert.deepEqual(deleted, { command: 'delete', id: undefined }, 'DeleteActivity answers 200 with no body');
        await until(() => c.seen.filter((a) => a.id === greetingId).length === 3, 'the customer receives the deleted greeting');
        const gone = c.seen.filter((a) => a.id === greetingId)[2]!;
        assert.equal(gone.type, 'message');
        assert.equal(gone.text, undefined, 'no text');
        assert.equal(gone.attachments, undefined, 'no attachments');
        assert.equal(typeof gone.channelData?.switchboard?.deletedAt, 'string');

        const tombstone = (await messages(c.conversationId)).find((m) => m.id === stored.id)!;
        assert.deepEqual([tombstone.text, tombstone.attachments, tombstone.channelData], ['', [], null], 'the REST API serves a tombstone');
        assert.equal(typeof tombstone.deletedAt, 'string');
        const log = await events(c.conversationId);
        assert.equal(log.filter((e) => e.type === 'message.deleted').length, 1);
        const aboutGreeting = log.filter((e) => e.payload.message?.id === stored.id);
        assert.deepEqual(aboutGreeting.map((e) => e.type), ['message.created', 'message.updated', 'message.deleted']);
        assert.ok(aboutGreeting.every((e) => e.payload.message?.text === ''), 'the event log no longer serves what it said');
        assert.ok(!JSON.stringify(log).includes('hlep') && !JSON.stringify(log).includes('How can I help'), 'neither version is in the log');

        // The audit keeps both earlier versions, outside the API.
        const revisions = await sb.deps.storage.read.messageRevisions.listRevisions(tenantId, c.conversationId, stored.id);
        assert.deepEqual(revisions.map((r) => [r.kind, r.previous.text, r.actor.kind, r.actor.id]), [
          ['updated', 'Helo, how can I hlep?', 'bot', botId], ['deleted', 'Hello, how can I help?', 'bot', botId],
        ]);

        // A new client of the same conversation reads the history once: the greeting as a tombstone.
        const history = await (await fetch(`${base}/v3/directline/conversations/${c.conversationId}/activities`, { headers: { authorization: `Bearer ${c.token}` } })).json() as { activities: Activity[] };
        assert.deepEqual(history.activities.filter((a) => a.id === greetingId).map((a) => [a.text, typeof a.channelData?.switchboard?.deletedAt]), [[undefined, 'string']]);
        assert.ok(!JSON.stringify(history).includes('hlep') && !JSON.stringify(history).includes('How can I help'));
      } finally {
        c.end();
      }
    });
  }

  it('refuses what the bot may not revise, with the Bot Framework status and code, and changes nothing', async () => {
    const c = await customer();
    const other = await customer();
    try {
      const greetingId = await greeted(c.dl, c.conversationId, c.seen);
      const otherGreeting = await greeted(other.dl, other.conversationId, other.seen);
      // Another bot's message in this conversation (written through the API as that bot).
      const otherBot = await api.ok('POST', `${t}/agents`, 201, { kind: 'bot', displayName: 'Other bot', capacity: 1 });
      const foreign = await api.ok('POST', `${t}/conversations/${c.conversationId}/messages`, 201, { senderRole: 'bot', senderId: otherBot.id, text: 'Not yours' });
      const foreignId = `${c.conversationId}|${String(foreign.seq).padStart(7, '0')}`;

      // The messages there were before the commands (each command is a new customer message).
      const [n1, n2] = [(await messages(c.conversationId)).length, (await messages(other.conversationId)).length];
      const snapshot = async () => JSON.stringify([(await messages(c.conversationId)).slice(0, n1), (await messages(other.conversationId)).slice(0, n2)]);
      const revisionEvents = async () => [...await events(c.conversationId), ...await events(other.conversationId)].filter((e) => e.type === 'message.updated' || e.type === 'message.deleted').length;
      const stateBefore = await snapshot();
      const revisionsBefore = await revisionEvents();

      assert.deepEqual(await command(c.dl, 'edit my message'), { command: 'update-customer', status: 403, code: 'Forbidden' }, "the customer's message");
      assert.deepEqual(await command(c.dl, 'delete my message'), { command: 'delete-customer', status: 403, code: 'Forbidden' }, "the customer's message");
      target = foreignId;
      assert.deepEqual(await command(c.dl, 'edit target'), { command: 'update-target', status: 403, code: 'Forbidden' }, "another bot's message");
      assert.deepEqual(await command(c.dl, 'delete target'), { command: 'delete-target', status: 403, code: 'Forbidden' }, "another bot's message");
      target = `${c.conversationId}|0009999`;
      assert.deepEqual(await command(c.dl, 'edit target'), { command: 'update-target', status: 404, code: 'NotFound' }, 'an unknown id');
      assert.deepEqual(await command(c.dl, 'delete target'), { command: 'delete-target', status: 404, code: 'NotFound' }, 'an unknown id');
      target = otherGreeting;
      assert.deepEqual(await command(c.dl, 'edit target'), { command: 'update-target', status: 404, code: 'NotFound' }, "another conversation's activity");
      assert.deepEqual(await command(c.dl, 'delete target'), { command: 'delete-target', status: 404, code: 'NotFound' }, "another conversation's activity");
      assert.deepEqual(await command(c.dl, 'empty edit'), { command: 'update-empty', status: 400, code: 'BadArgument' }, 'an edit that leaves nothing');

      // Straight at the Connector API, as any client would: another tenant's serviceUrl, a mismatched body id, not a message.
      const other2 = (await api.ok('POST', '/v1/tenants', 201, { name: 'Elsewhere' })).id;
      const put = (tenant: string, conversationId: string, id: string, body: unknown) => fetch(`${base}/botframework/${tenant}/v3/conversations/${encodeURIComponent(conversationId)}/activities/${encodeURIComponent(id)}`, {
        method: 'PUT', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body),
      });
      const answer = async (res: Response) => [res.status, ((await res.json()) as { error: { code: string } }).error.code];
      assert.deepEqual(await answer(await put(other2, c.conversationId, greetingId, { type: 'message', text: 'x' })), [404, 'NotFound'], "another tenant's serviceUrl");
      assert.deepEqual(await answer(await put(tenantId, c.conversationId, greetingId, { type: 'message', id: otherGreeting, text: 'x' })), [400, 'BadArgument'], 'a body id that is not the path id');
      assert.deepEqual(await answer(await put(tenantId, c.conversationId, greetingId, { type: 'event', name: 'handoff.initiate' })), [400, 'BadArgument'], 'an update must be a message');
      assert.deepEqual(await answer(await put(tenantId, c.conversationId, `${c.conversationId}|e12`, { type: 'message', text: 'x' })), [404, 'NotFound'], 'an id that is no message');
      const del = await fetch(`${base}/botframework/${other2}/v3/conversations/${encodeURIComponent(c.conversationId)}/activities/${encodeURIComponent(greetingId)}`, { method: 'DELETE' });
      assert.deepEqual(await answer(del), [404, 'NotFound'], "another tenant's serviceUrl");

      assert.equal(await snapshot(), stateBefore, 'no message changed');
      assert.equal(await revisionEvents(), revisionsBefore, 'no revision event');
      assert.equal(c.seen.filter((a) => a.id === greetingId).length, 1, 'the customer got no change');

      // Once deleted, an edit finds nothing; a second delete answers 200 (a retry) and changes nothing.
      await command(c.dl, 'take it back');
      const deletedState = await snapshot();
      assert.deepEqual(await command(c.dl, 'fix your typo'), { command: 'update', status: 404, code: 'NotFound' }, 'a deleted activity');
      assert.deepEqual(await command(c.dl, 'take it back'), { command: 'delete', id: undefined }, 'deleting again');
      assert.equal(await snapshot(), deletedState);
      assert.equal((await events(c.conversationId)).filter((e) => e.type === 'message.deleted').length, 1);
    } finally {
      c.end();
      other.end();
    }
  });
});
