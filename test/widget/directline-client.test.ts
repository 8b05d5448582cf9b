import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { DirectLineClient, SendError, startConversation, type ConnectionStatus, type Credentials } from '../../src/widget/directline-client.js';
import { TranscriptStore } from '../../src/widget/transcript-store.js';
import { DOMAIN, FakeSwitchboard, settle } from './fake-directline.js';

/** A started conversation with a client connected to the stream the start answered. */
async function connected(options: { sockets?: boolean; tuning?: Partial<ConstructorParameters<typeof DirectLineClient>[0]> } = {}) {
  const server = new FakeSwitchboard({ sockets: options.sockets });
  const t = server.transport;
  const started = await startConversation(t, DOMAIN, server.token, server.userId, 'en-GB');
  const store = new TranscriptStore({ userId: server.userId });
  const statuses: ConnectionStatus[] = [];
  const refreshed: Credentials[] = [];
  const client = new DirectLineClient({
    domain: DOMAIN, transport: t, locale: 'en-GB',
    credentials: { conversationId: started.conversationId, token: started.token, expiresAt: t.now() + started.expires_in * 1000, userId: server.userId },
    sink: { apply: (set) => store.apply(set, t.now()), get watermark() { return store.watermark; } },
    onStatus: (s) => statuses.push(s),
    onCredentials: (c) => refreshed.push(c),
    ...options.tuning,
  });
  client.connect(started.streamUrl);
  await settle();
  return { server, t, store, client, statuses, refreshed };
}

const ids = (store: TranscriptStore) => store.messages().map((m) => m.id);
const texts = (store: TranscriptStore) => store.messages().map((m) => m.text);

describe('Direct Line client: the stream', () => {
  it('starts with POST /conversations as the token’s user, then opens the streamUrl it answered', async () => {
    const { t, server, statuses } = await connected();
    const start = t.requests.find((r) => r.url === `${DOMAIN}/conversations`)!;
    assert.equal(start.method, 'POST');
    assert.equal(start.headers.authorization, `Bearer ${server.token}`);
    assert.deepEqual(start.body, { user: { id: server.userId }, locale: 'en-GB' });
    assert.equal(t.sockets.length, 1);
    assert.match(t.sockets[0]!.url, /^wss:\/\/cc\.example\.test\/v3\/directline\/conversations\/conv_1\/stream\?t=/);
    assert.deepEqual(statuses, ['online']);
  });

  it('applies frames, skips keep-alives and frames that are not ActivitySets', async () => {
    const { server, store, t } = await connected();
    server.agentSays('Hello!');
    const socket = t.lastSocket();
    socket.frame('');
    socket.frame('not json');
    socket.frame({ nothing: true });
    assert.deepEqual(texts(store), ['Hello!']);
    assert.equal(store.watermark, '1');
  });

  it('reconnects after a network loss with the watermark: what was sent meanwhile arrives once, in order', async () => {
    const { server, store, t, statuses } = await connected();
    server.agentSays('one');
    server.agentSays('two');
    t.lastSocket().drop(1006);
    // While the socket is down, the conversation goes on.
    server.agentSays('three');
    server.agentSays('four');
    assert.deepEqual(texts(store), ['one', 'two']);
    assert.equal(statuses.at(-1), 'reconnecting');
    await t.advance(750); // the first backoff: half of a second plus half of the jitter range
    const reconnect = t.requests.filter((r) => r.method === 'GET' && r.url.startsWith(`${DOMAIN}/conversations/conv_1?`));
    assert.equal(reconnect.length, 1);
    assert.equal(new URL(reconnect[0]!.url).searchParams.get('watermark'), '2');
    assert.equal(t.sockets.length, 2);
    assert.equal(t.lastSocket().watermark, '2');
    server.agentSays('five');
    assert.deepEqual(texts(store), ['one', 'two', 'three', 'four', 'five']);
    assert.deepEqual(ids(store), [1, 2, 3, 4, 5].map((n) => `conv_1|000000${n}`));
    assert.equal(store.watermark, '5');
    assert.equal(statuses.at(-1), 'online');
  });

  it('shows nothing twice when the replay overlaps what it already has', async () => {
    const { server, store, t } = await connected();
    server.agentSays('one');
    server.agentSays('two');
    // A server that replays from further back than asked (or the same frame twice) changes nothing.
    t.lastSocket().frame({ activities: server.activities, watermark: '2' });
    t.lastSocket().frame({ activities: [server.activities[0]], watermark: '1' });
    assert.deepEqual(texts(store), ['one', 'two']);
    assert.equal(store.watermark, '2');
  });

  it('backs off more after each failed reconnect, and resets once a socket opens', async () => {
    const { server, t } = await connected();
    t.networkDown = true;
    t.lastSocket().drop(1006);
    const times: number[] = [];
    const start = t.now();
    for (let i = 0; i < 4; i++) {
      const before = t.countRequests('GET', '/conversations/conv_1');
      while (t.countRequests('GET', '/conversations/conv_1') === before) await t.advance(50);
      times.push(t.now() - start);
    }
    // 750, +1500, +3000, +6000 (doubling, each at 3/4 of its ceiling with random() = 0.5)
    assert.deepEqual(times, [750, 2250, 5250, 11250]);
    t.networkDown = false;
    await t.advance(12_000);
    assert.equal(server.openSockets().length, 1);
    t.lastSocket().drop(1006);
    const before = t.countRequests('GET', '/conversations/conv_1');
    await t.advance(750);
    assert.equal(t.countRequests('GET', '/conversations/conv_1'), before + 1, 'back to the first delay');
  });

  it('reconnects at once when the browser says the network is back, without waiting out the backoff', async () => {
    const { t, client, server } = await connected();
    t.networkDown = true;
    t.lastSocket().drop(1006);
    await t.advance(750 + 1500 + 100); // two failed reconnects; the next is 3 s away
    t.networkDown = false;
    client.networkRestored();
    await settle();
    assert.equal(server.openSockets().length, 1);
  });

  it('ends on 404 from the reconnect (the conversation was closed while away)', async () => {
    const { server, t, statuses } = await connected();
    server.ended = true;
    t.lastSocket().drop(1006);
    await t.advance(750);
    assert.equal(statuses.at(-1), 'ended');
    await t.advance(60_000);
    assert.equal(t.sockets.length, 1, 'no more attempts');
  });

  it('stops on a collision (another window took the conversation) until asked to take it back', async () => {
    const { server, t, client, statuses } = await connected();
    t.lastSocket().drop(4000, 'collision');
    await t.advance(60_000);
    assert.equal(statuses.at(-1), 'conflict');
    assert.equal(t.sockets.length, 1);
    client.resume();
    await settle();
    assert.equal(server.openSockets().length, 1);
    assert.equal(statuses.at(-1), 'online');
  });

  it('pings with empty frames while open', async () => {
    const { t } = await connected({ tuning: { pingIntervalMs: 20_000 } });
    await t.advance(61_000);
    assert.deepEqual(t.lastSocket().sent, ['', '', '']);
  });
});

describe('Direct Line client: polling', () => {
  it('falls back to polling GET .../activities?watermark= after sockets fail to open three times', async () => {
    const { server, t, store, statuses } = await connected();
    server.agentSays('before');
    t.socketsWork = false;
    t.lastSocket().drop(1006);
    await t.advance(750 + 1500 + 3000 + 100);
    assert.equal(statuses.at(-1), 'polling');
    assert.equal(t.sockets.length, 4, 'the first socket and three that never opened');
    server.agentSays('during polling');
    server.agentSays('and more');
    await t.advance(1000);
    assert.deepEqual(texts(store), ['before', 'during polling', 'and more']);
    const polls = t.requests.filter((r) => r.url.includes('/activities?'));
    assert.ok(polls.every((p) => p.method === 'GET'));
    assert.equal(new URL(polls[0]!.url).searchParams.get('watermark'), '1');
    await t.advance(5000);
    assert.deepEqual(texts(store), ['before', 'during polling', 'and more'], 'no duplicates from repeated polls');
  });

  it('polls from the start when the browser has no WebSocket', async () => {
    const { server, t, store, statuses } = await connected({ sockets: false });
    assert.deepEqual(statuses, ['polling']);
    server.agentSays('hi');
    await t.advance(1000);
    assert.deepEqual(texts(store), ['hi']);
  });

  it('pages through a long history until a page brings nothing', async () => {
    const server = new FakeSwitchboard();
    server.pageSize = 2;
    for (let i = 1; i <= 5; i++) server.agentSays(`m${i}`);
    const t = server.transport;
    const store = new TranscriptStore();
    const client = new DirectLineClient({
      domain: DOMAIN, transport: t, credentials: { conversationId: 'conv_1', token: server.token, expiresAt: t.now() + 1_800_000, userId: server.userId },
      sink: { apply: (set) => store.apply(set, t.now()), get watermark() { return store.watermark; } },
    });
    assert.equal(await client.loadHistory(), true);
    assert.deepEqual(texts(store), ['m1', 'm2', 'm3', 'm4', 'm5']);
    assert.equal(t.countRequests('GET', '/activities'), 4);
  });
});

describe('Direct Line client: the token', () => {
  it('refreshes at half its life and uses the new token from then on', async () => {
    const { server, t, refreshed } = await connected();
    const first = server.token;
    await t.advance(15 * 60_000);
    assert.equal(t.countRequests('POST', '/tokens/refresh'), 1);
    const refresh = t.requests.find((r) => r.url.endsWith('/tokens/refresh'))!;
    assert.equal(refresh.headers.authorization, `Bearer ${first}`);
    assert.equal(refreshed.length, 1);
    assert.equal(refreshed[0]!.token, server.token);
    assert.notEqual(server.token, first);
    assert.equal(refreshed[0]!.expiresAt, t.now() + 1_800_000);
    // The next reconnect authenticates with the new token.
    t.lastSocket().drop(1006);
    await t.advance(750);
    assert.equal(t.requests.at(-1)!.headers.authorization, `Bearer ${server.token}`);
    await t.advance(15 * 60_000);
    assert.equal(t.countRequests('POST', '/tokens/refresh'), 2, 'and again 15 minutes later');
  });

  it('retries a refresh that got no answer, and gives up as expired on 403', async () => {
    const { server, t, statuses } = await connected();
    t.networkDown = true;
    await t.advance(15 * 60_000);
    assert.equal(t.countRequests('POST', '/tokens/refresh'), 1);
    await t.advance(30_000);
    assert.equal(t.countRequests('POST', '/tokens/refresh'), 2, 'tried again after 30 s');
    t.networkDown = false;
    server.token = 'revoked'; // the server no longer knows our token
    await t.advance(30_000);
    assert.equal(statuses.at(-1), 'expired');
    const requests = t.requests.length;
    await t.advance(3_600_000);
    assert.equal(t.requests.length, requests, 'nothing more is tried with an expired token');
  });
});

describe('Direct Line client: sending', () => {
  it('posts a message with its clientActivityID and the token’s user, and sees its echo', async () => {
    const { server, t, client, store } = await connected();
    const id = await client.postMessage('Hello', 'cid-1');
    assert.equal(id, 'conv_1|0000001');
    const post = t.requests.find((r) => r.method === 'POST' && r.url.endsWith('/conversations/conv_1/activities'))!;
    assert.deepEqual(post.body, { type: 'message', from: { id: server.userId }, text: 'Hello', locale: 'en-GB', channelData: { clientActivityID: 'cid-1' } });
    assert.deepEqual(store.messages().map((m) => [m.text, m.sender]), [['Hello', 'self']]);
  });

  it('retries a failed post with the same clientActivityID; the server stores one copy', async () => {
    const { server, t, client, store } = await connected();
    server.failPosts = 1; // a 503
    server.loseAnswers = 1; // then stored, but the answer is lost on the way back
    const sending = client.postMessage('only once', 'cid-2');
    await t.advance(10_000);
    assert.equal(await sending, 'conv_1|0000001');
    const posts = t.requests.filter((r) => r.method === 'POST' && r.url.endsWith('/activities'));
    assert.equal(posts.length, 3);
    assert.ok(posts.every((p) => (p.body as { channelData: { clientActivityID: string } }).channelData.clientActivityID === 'cid-2'));
    assert.equal(server.activities.length, 1);
    assert.deepEqual(texts(store), ['only once']);
  });

  it('gives up after the attempts with "unreachable" (the caller may retry later with the same id)', async () => {
    const { t, client } = await connected({ tuning: { sendAttempts: 3 } });
    t.networkDown = true;
    const sending = client.postMessage('lost', 'cid-3').catch((e: unknown) => e);
    await t.advance(60_000);
    const error = await sending;
    assert.ok(error instanceof SendError);
    assert.equal(error.failure, 'unreachable');
    assert.equal(t.countRequests('POST', '/activities'), 3);
  });

  it('does not retry what the server refused (400)', async () => {
    const server = new FakeSwitchboard();
    const t = server.transport;
    const store = new TranscriptStore();
    const client = new DirectLineClient({
      domain: DOMAIN, transport: { ...t, request: async (url, init) => (init.method === 'POST' ? { status: 400, body: { error: { code: 'BadArgument', message: 'a message needs text' } } } : t.request(url, init)), schedule: t.schedule.bind(t), now: t.now.bind(t), random: t.random.bind(t), openSocket: t.openSocket },
      credentials: { conversationId: 'conv_1', token: server.token, expiresAt: t.now() + 1_800_000, userId: server.userId },
      sink: { apply: (set) => store.apply(set, t.now()), get watermark() { return store.watermark; } },
    });
    const error = await client.postMessage('x', 'cid-4').catch((e: unknown) => e);
    assert.ok(error instanceof SendError);
    assert.equal(error.failure, 'rejected');
    assert.equal(error.status, 400);
  });

  it('uploads files as multipart: file parts and an activity part with the clientActivityID', async () => {
    const { server, client, t } = await connected();
    const id = await client.upload([new Blob(['png bytes'], { type: 'image/png' })], 'my screenshot', 'cid-5', ['shot.png']);
    assert.equal(id, 'conv_1|0000001');
    const request = t.requests.find((r) => r.url.includes('/upload'))!;
    assert.equal(request.url, `${DOMAIN}/conversations/conv_1/upload?userId=${server.userId}`);
    assert.equal(request.headers['content-type'], undefined, 'the browser sets the multipart boundary');
    const form = server.uploads[0]!;
    const file = form.get('file') as File;
    assert.equal(file.name, 'shot.png');
    assert.equal(await file.text(), 'png bytes');
    const activity = form.get('activity') as Blob;
    assert.equal(activity.type, 'application/vnd.microsoft.activity');
    assert.deepEqual(JSON.parse(await activity.text()), { type: 'message', from: { id: server.userId }, text: 'my screenshot', locale: 'en-GB', channelData: { clientActivityID: 'cid-5' } });
  });

  it('reports an upload the server does not take (404: no upload endpoint) as rejected, without ending the chat', async () => {
    const { server, client, t, statuses } = await connected();
    const request = t.request.bind(t);
    t.request = async (url, init) => (url.includes('/upload') ? { status: 404, body: { error: { code: 'NotFound', message: 'no uploads' } } } : request(url, init));
    const error = await client.upload([new Blob(['x'])], '', 'cid-6', ['x.txt']).catch((e: unknown) => e);
    assert.ok(error instanceof SendError);
    assert.equal(error.failure, 'rejected');
    assert.equal(statuses.at(-1), 'online');
    assert.equal(await client.postMessage('still here', 'cid-7'), 'conv_1|0000001');
    assert.equal(server.activities.length, 1);
  });

    it('sends typing without retries', async () => {
    const { t, client } = await connected();
    client.sendTyping();
    await settle();
    const typing = t.requests.filter((r) => (r.body as { type?: string } | undefined)?.type === 'typing');
    assert.equal(typing.length, 1);
  });

  it('stops every timer when closed', async () => {
    const { t, client } = await connected();
    client.close();
    assert.equal(t.pendingTimers, 0);
    assert.equal(t.lastSocket().state, 'closed');
  });
});
