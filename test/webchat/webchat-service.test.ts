/**
 * The web chat service through the real server: channel settings and Direct Line secrets
 * administered over the API, the widget's public endpoints (settings, a visitor's token with
 * pre-chat answers, origins, the satisfaction survey), routing (the context the conversation
 * starts with, queue position messages, the agent joining, the end), the stream's own rules
 * (collision, typing, end), and bad input: each refused with the protocol's status and nothing
 * stored. SQLite and PostgreSQL.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import WebSocket from 'ws';
import { ManualClock } from '../../src/app/ports/fakes/manual-clock.js';
import { eventually } from '../support/eventually.js';
import { postgresSkip } from '../support/postgres.js';
import { snapshotDatabase } from '../support/snapshot.js';
import { startTestServer, type TestServer } from '../support/test-server.js';
import { assertErrorBody, client, type Client } from '../http/http-helpers.js';

const PAGE = 'https://shop.example.com';

/** A Direct Line stream as a list of frames. */
function openStream(url: string, headers: Record<string, string> = {}) {
  const frames: any[] = [];
  const socket = new WebSocket(url, { headers });
  const closed = new Promise<{ code: number; reason: string }>((resolve) => socket.on('close', (code, reason) => resolve({ code, reason: reason.toString() })));
  socket.on('message', (data) => {
    const text = data.toString();
    if (text.length > 0) frames.push(JSON.parse(text));
  });
  const opened = new Promise<void>((resolve, reject) => {
    socket.once('open', () => resolve());
    socket.once('unexpected-response', (_req, res) => reject(Object.assign(new Error(`upgrade refused: ${res.statusCode}`), { status: res.statusCode })));
    socket.once('error', reject);
  });
  return { socket, frames, opened, closed, activities: () => frames.flatMap((f) => f.activities) };
}

for (const database of ['sqlite', 'postgres'] as const) {
  describe(`web chat service (${database})`, async () => {
    const skip = database === 'postgres' ? await postgresSkip() : false;
    let sb: TestServer;
    let api: Client;
    let base: string;
    let clock: ManualClock;
    let t: string;
    let tenantId: string;
    let channelId: string;
    let secret: string;
    let ana: { id: string };

    const settings = {
      trustedOrigins: [PAGE],
      title: 'Acme help',
      prechat: { fields: [
        { name: 'name', label: 'Your name', required: true },
        { name: 'topic', label: 'Topic', type: 'select', options: ['billing', 'delivery'], required: true },
        { name: 'email', label: 'E-mail', type: 'email' },
      ] },
      messages: { queued: 'Place {position}, wait {wait}.', assigned: '{agent} is here.' },
    };

    before(async () => {
      if (skip) return;
      clock = new ManualClock(Date.now());
      sb = await startTestServer({ database, overrides: { clock } });
      base = await sb.app.listen({ host: '127.0.0.1', port: 0 });
      api = client(sb.app, sb.auth);
      tenantId = (await api.ok('POST', '/v1/tenants', 201, { name: 'Acme' })).id;
      t = `/v1/tenants/${tenantId}`;
      channelId = (await api.ok('POST', `${t}/channels`, 201, { type: 'webchat', name: 'Acme chat', config: settings })).id;
      secret = (await api.ok('POST', `${t}/channels/${channelId}/directline-secrets`, 201)).value;
      ana = await api.ok('POST', `${t}/agents`, 201, { kind: 'human', displayName: 'Ana', capacity: 1, presence: 'offline' });
      const queue = await api.ok('POST', `${t}/queues`, 201, { name: 'Chat', memberIds: [ana.id] });
      await api.ok('POST', `${t}/workstreams`, 201, { name: 'Web chat', channelTypes: ['webchat'], fallbackQueueId: queue.id, offerTimeoutSeconds: 600 });
    });
    after(async () => sb?.stop());

    const dl = (path: string, init: RequestInit & { bearer?: string } = {}) => fetch(`${base}/v3/directline${path}`, {
      ...init, headers: { ...(init.bearer ? { authorization: `Bearer ${init.bearer}` } : {}), ...(typeof init.body === 'string' ? { 'content-type': 'application/json' } : {}), ...(init.headers as Record<string, string> ?? {}) },
    });
    const widgetToken = async (body: unknown, origin = PAGE) => fetch(`${base}/webchat/${channelId}/token`, {
      method: 'POST', headers: { 'content-type': 'application/json', origin }, body: JSON.stringify(body),
    });
    const say = (conversationId: string, text: string) => dl(`/conversations/${conversationId}/activities`, {
      method: 'POST', bearer: tokens.get(conversationId)!, body: JSON.stringify({ type: 'message', from: { id: 'x' }, text }),
    });
    const tokens = new Map<string, string>();
    async function visitor(name: string): Promise<{ conversationId: string; token: string; streamUrl: string }> {
      const res = await widgetToken({ user: { name }, prechat: { name, topic: 'billing' }, page: { url: `${PAGE}/cart?x=1`, locale: 'fr-FR', title: 'Cart' } });
      assert.equal(res.status, 200, await res.clone().text());
      const { token } = await res.json() as { token: string };
      const started = await dl('/conversations', { method: 'POST', bearer: token });
      assert.equal(started.status, 201);
      const body = await started.json() as { conversationId: string; token: string; streamUrl: string };
      tokens.set(body.conversationId, body.token);
      return body;
    }

    it('checks channel settings when saved, listing every problem; a PATCH replaces them', { skip }, async () => {
      const before = await snapshotDatabase(sb);
      const bad = await api.call('POST', `${t}/channels`, { type: 'webchat', name: 'Bad', config: { trustedOrigins: ['https://a.example/path'], prechat: { fields: [{ name: 'Bad Name' }, { name: 'x', type: 'select' }] }, colour: 'red' } });
      assert.equal(bad.status, 400);
      assertErrorBody(bad.body, 'SB_ERR_INVALID_CHANNEL_SETTINGS');
      assert.equal(bad.body.error.details.problems.length, 4, JSON.stringify(bad.body.error.details.problems));
      assert.equal(await snapshotDatabase(sb), before, 'nothing stored');
      const changed = await api.ok('PATCH', `${t}/channels/${channelId}`, 200, { config: { ...settings, accentColor: '#112233' } });
      assert.equal(changed.config.accentColor, '#112233');
      const refused = await api.call('PATCH', `${t}/channels/${channelId}`, { config: { accentColor: 'blue' } });
      assertErrorBody(refused.body, 'SB_ERR_INVALID_CHANNEL_SETTINGS');
      assert.equal((await api.ok('GET', `${t}/channels/${channelId}`, 200)).config.accentColor, '#112233');
    });

    it('shows a Direct Line secret once, lists it by hint, and revoking it ends its tokens', { skip }, async () => {
      const created = await api.ok('POST', `${t}/channels/${channelId}/directline-secrets`, 201);
      assert.match(created.value, /^sbdl_[A-Za-z0-9_-]{43}$/);
      const listed = await api.ok('GET', `${t}/channels/${channelId}/directline-secrets`, 200);
      assert.ok(!JSON.stringify(listed).includes(created.value));
      assert.ok(listed.items.some((s: any) => s.id === created.id && created.value.startsWith(s.hint)));
      const generated = await dl('/tokens/generate', { method: 'POST', bearer: created.value });
      assert.equal(generated.status, 200);
      const { token } = await generated.json() as { token: string };
      await api.ok('DELETE', `${t}/channels/${channelId}/directline-secrets/${created.id}`, 204);
      assert.equal((await dl('/tokens/generate', { method: 'POST', bearer: created.value })).status, 401);
      const withToken = await dl('/conversations', { method: 'POST', bearer: token });
      assert.equal(withToken.status, 403);
      assert.deepEqual(Object.keys(((await withToken.json()) as { error: object }).error).sort(), ['code', 'message']);
      const audit = await sb.identity.storage.read.identity.listAudit(tenantId, { action: 'channel.secret_revoked' }, { limit: 5 });
      assert.equal(audit.length, 1);
    });

    it('serves the widget settings to trusted pages only, with CORS for them', { skip }, async () => {
      const ok = await fetch(`${base}/webchat/${channelId}/settings`, { headers: { origin: PAGE } });
      assert.equal(ok.status, 200);
      assert.equal(ok.headers.get('access-control-allow-origin'), PAGE);
      const body = await ok.json() as any;
      assert.equal(body.title, 'Acme help');
      assert.deepEqual(body.prechat.fields.map((f: any) => f.name), ['name', 'topic', 'email']);
      assert.ok(!JSON.stringify(body).includes('trustedOrigins'), 'the trusted origins are not published');
      const foreign = await fetch(`${base}/webchat/${channelId}/settings`, { headers: { origin: 'https://evil.example' } });
      assert.equal(foreign.status, 403);
      assert.equal(foreign.headers.get('access-control-allow-origin'), null);
      assert.equal((await fetch(`${base}/webchat/chn_unknown/settings`)).status, 404);
    });

    it('refuses pre-chat answers that do not fit the survey, naming each field; stores nothing', { skip }, async () => {
      const before = await snapshotDatabase(sb);
      const res = await widgetToken({ prechat: { topic: 'weather', email: 'not-an-address', extra: 'x' } });
      assert.equal(res.status, 400);
      const body = await res.json() as any;
      assertErrorBody(body, 'SB_ERR_VALIDATION');
      assert.deepEqual(body.error.details.problems.map((p: string) => p.split(':')[0]).sort(), ['email', 'extra', 'name', 'topic']);
      assert.equal((await widgetToken({ prechat: { name: 'Dana', topic: 'billing' } }, 'https://evil.example')).status, 403);
      assert.equal(await snapshotDatabase(sb), before);
    });

    it('starts a routed conversation with the pre-chat answers and the page as context, and tells the place in line', { skip }, async () => {
      const v = await visitor('Dana');
      assert.match(v.streamUrl, /^ws:\/\/127\.0\.0\.1:\d+\/v3\/directline\/conversations\/.+\/stream\?t=/);
      const context = await api.ok('GET', `${t}/conversations/${v.conversationId}/context`, 200);
      const byName = Object.fromEntries(context.items.map((c: any) => [c.name, c.value]));
      assert.equal(byName['prechat.name'], 'Dana');
      assert.equal(byName['prechat.topic'], 'billing');
      assert.equal(byName['page.url'], `${PAGE}/cart?x=1`);
      assert.equal(byName['customer.locale'], 'fr-FR');
      assert.equal(byName['customer.authenticated'], false);
      const conversation = await api.ok('GET', `${t}/conversations/${v.conversationId}`, 200);
      assert.ok(conversation.queueId, 'routed into the web chat workstream\'s queue');
      // Nobody is available: the customer hears their place.
      const stream = openStream(v.streamUrl, { origin: PAGE });
      await stream.opened;
      await eventually(() => assert.ok(stream.activities().some((a: any) => a.channelData?.switchboard?.kind === 'queue'), 'not yet'));
      const queued = stream.activities().find((a: any) => a.channelData?.switchboard?.kind === 'queue');
      assert.equal(queued.text, 'Place 1, wait less than a minute.');
      assert.deepEqual([queued.from.id, queued.from.name], ['switchboard', 'Acme help']);
      assert.equal(queued.channelData.switchboard.position, 1);
      // A second customer is number 2; when Ana comes and takes the first, the second moves up.
      const second = await visitor('Eli');
      const secondStream = openStream(second.streamUrl);
      await secondStream.opened;
      await eventually(() => assert.ok(secondStream.activities().some((a: any) => a.text === 'Place 2, wait less than a minute.'), 'not yet'));
      await api.ok('PUT', `${t}/agents/${ana.id}/presence`, 200, { presence: 'available' });
      const offer = await eventually(async () => {
        const offers = (await api.ok('GET', `${t}/agents/${ana.id}/offers?status=pending`, 200)).items;
        assert.equal(offers.length, 1, 'no offer yet');
      }).then(async () => (await api.ok('GET', `${t}/agents/${ana.id}/offers?status=pending`, 200)).items[0]);
      await api.ok('POST', `${t}/agents/${ana.id}/offers/${offer.id}/accept`, 200);
      await eventually(() => assert.ok(stream.activities().some((a: any) => a.text === 'Ana is here.' && a.channelData.switchboard.kind === 'assigned'), 'not yet'));
      await eventually(() => assert.ok(secondStream.activities().some((a: any) => a.text === 'Place 1, wait less than a minute.'), 'not yet'));
      stream.socket.close();
      secondStream.socket.close();
    });

    it('closes an older socket of the same conversation (collision); typing travels on the socket only', { skip }, async () => {
      const v = await visitor('Fay');
      const first = openStream(v.streamUrl);
      await first.opened;
      const second = openStream(v.streamUrl);
      await second.opened;
      const closed = await first.closed;
      assert.deepEqual(closed, { code: 4000, reason: 'collision' });
      await api.ok('POST', `${t}/conversations/${v.conversationId}/typing`, 204, { agentId: ana.id });
      await eventually(() => assert.ok(second.activities().some((a: any) => a.type === 'typing' && a.from.name === 'Ana'), 'not yet'));
      const typingFrame = second.frames.find((f) => f.activities.some((a: any) => a.type === 'typing'));
      assert.equal(typingFrame.watermark, undefined, 'typing frames carry no watermark');
      // The agent side hears the customer typing on its event stream subscription.
      const agentSide = new WebSocket(`${base.replace('http', 'ws')}/v1/stream`, { headers: sb.auth });
      const agentFrames: any[] = [];
      agentSide.on('message', (data) => agentFrames.push(JSON.parse(data.toString())));
      await new Promise((resolve) => agentSide.once('open', resolve));
      agentSide.send(JSON.stringify({ type: 'subscribe', id: 's1', tenantId, conversationId: v.conversationId }));
      await eventually(() => assert.ok(agentFrames.some((f) => f.type === 'subscribed'), 'not subscribed yet'));
      const typed = await dl(`/conversations/${v.conversationId}/activities`, { method: 'POST', bearer: v.token, body: JSON.stringify({ type: 'typing', from: { id: 'x' } }) });
      assert.equal(typed.status, 200);
      await eventually(() => assert.ok(agentFrames.some((f) => f.type === 'typing' && f.conversationId === v.conversationId && f.from.role === 'customer'), 'no typing frame yet'));
      agentSide.close();
      const polled = await (await dl(`/conversations/${v.conversationId}/activities`, { bearer: v.token })).json() as any;
      assert.ok(!polled.activities.some((a: any) => a.type === 'typing'), 'typing is never stored or polled');
      second.socket.close();
    });

    it('ends with endOfConversation once, on the socket and when polling; then the conversation is gone (404)', { skip }, async () => {
      const v = await visitor('Gus');
      await say(v.conversationId, 'thanks, bye');
      const stream = openStream(v.streamUrl);
      await stream.opened;
      await api.ok('POST', `${t}/conversations/${v.conversationId}/state`, 200, { to: 'closed' });
      const closed = await stream.closed;
      assert.equal(closed.code, 1000);
      const ends = stream.activities().filter((a: any) => a.type === 'endOfConversation');
      assert.equal(ends.length, 1);
      assert.deepEqual(ends[0].channelData, { switchboard: { kind: 'ended', csat: true } });
      const polled = await dl(`/conversations/${v.conversationId}/activities`, { bearer: v.token });
      const page = await polled.json() as any;
      assert.equal(page.activities.at(-1).type, 'endOfConversation');
      assert.equal((await dl(`/conversations/${v.conversationId}/activities?watermark=${page.watermark}`, { bearer: v.token })).status, 404);
      assert.equal((await say(v.conversationId, 'anyone?')).status, 404);

      // Closed "without survey": the context variable survey.offered = false turns the offer off.
      const quiet = await visitor('Hal');
      await say(quiet.conversationId, 'all sorted, thanks');
      const quietStream = openStream(quiet.streamUrl);
      await quietStream.opened;
      await api.ok('PATCH', `${t}/conversations/${quiet.conversationId}/context`, 200, { 'survey.offered': { type: 'boolean', value: false } });
      await api.ok('POST', `${t}/conversations/${quiet.conversationId}/state`, 200, { to: 'closed' });
      await quietStream.closed;
      assert.deepEqual(quietStream.activities().filter((a: any) => a.type === 'endOfConversation').map((a: any) => a.channelData), [{ switchboard: { kind: 'ended', csat: false } }]);
      // The survey, with the same token, once.
      const survey = (body: unknown) => fetch(`${base}/webchat/${channelId}/csat`, { method: 'POST', headers: { authorization: `Bearer ${v.token}`, 'content-type': 'application/json', origin: PAGE }, body: JSON.stringify(body) });
      assert.equal((await survey({ rating: 6 })).status, 400);
      assert.equal((await survey({ rating: 4, comment: 'quick help' })).status, 201);
      const twice = await survey({ rating: 1 });
      assert.equal(twice.status, 409);
      assertErrorBody(await twice.json(), 'SB_ERR_SURVEY_EXISTS');
      const reported = await api.ok('GET', `${t}/surveys?channelId=${channelId}`, 200);
      assert.deepEqual(reported.items.map((s: any) => [s.conversationId, s.rating, s.comment]), [[v.conversationId, 4, 'quick help']]);
    });

    it('refuses bad input with Direct Line\'s status codes and stores nothing', { skip }, async () => {
      const v = await visitor('Hal');
      // Hal waits: the place in line is told (asynchronously) before the snapshot is taken.
      await eventually(async () => {
        const messages = (await api.ok('GET', `${t}/conversations/${v.conversationId}/messages`, 200)).items;
        assert.ok(messages.some((m: any) => m.senderRole === 'system'), 'not yet');
      });
      const before = await snapshotDatabase(sb);
      const post = (body: string, bearer = v.token) => dl(`/conversations/${v.conversationId}/activities`, { method: 'POST', bearer, body });
      const cases: [string, Response, number, string][] = [
        ['invalid JSON', await post('{"type":'), 400, 'BadArgument'],
        ['no from.id', await post(JSON.stringify({ type: 'message', text: 'hi' })), 400, 'BadArgument'],
        ['an unknown type', await post(JSON.stringify({ type: 'invoke', from: { id: 'x' } })), 400, 'BadArgument'],
        ['an oversized activity', await post(JSON.stringify({ type: 'message', from: { id: 'x' }, text: 'x', channelData: { blob: 'y'.repeat(300_000) } })), 413, 'MessageSizeTooBig'],
        ['no credentials', await dl(`/conversations/${v.conversationId}/activities`, { method: 'POST', body: '{}' }), 401, 'Unauthorized'],
        ['a tampered token', await post(JSON.stringify({ type: 'message', from: { id: 'x' }, text: 'hi' }), `${v.token.slice(0, -2)}xx`), 401, 'Unauthorized'],
        ['a watermark not ours', await dl(`/conversations/${v.conversationId}/activities?watermark=abc`, { bearer: v.token }), 400, 'BadArgument'],
        ['a foreign origin', await dl(`/conversations/${v.conversationId}/activities`, { bearer: v.token, headers: { origin: 'https://evil.example' } }), 403, 'Forbidden'],
        ['an unknown conversation (secret)', await dl('/conversations/conv_unknown/activities', { bearer: secret }), 404, 'NotFound'],
      ];
      for (const [what, res, status, code] of cases) {
        assert.equal(res.status, status, what);
        const body = await res.json() as { error: { code: string; message: string } };
        assert.equal(body.error.code, code, what);
        assert.equal(typeof body.error.message, 'string');
      }
      const foreignSocket = openStream(v.streamUrl, { origin: 'https://evil.example' });
      await assert.rejects(foreignSocket.opened, (e: any) => e.status === 403);
      assert.equal(await snapshotDatabase(sb), before, 'nothing stored');
    });

    it('stores uploaded files with one message and serves them safely; refuses forbidden types and sizes, storing nothing', { skip }, async () => {
      const v = await visitor('Jo');
      await eventually(async () => {
        const messages = (await api.ok('GET', `${t}/conversations/${v.conversationId}/messages`, 200)).items;
        assert.ok(messages.some((m: any) => m.senderRole === 'system'), 'not yet');
      });
      const png = Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), Buffer.alloc(200, 7)]);
      const upload = (files: { name: string; type: string; bytes: Buffer }[], activity?: unknown) => {
        // As botframework-directlinejs sends it: an `activity` part, then one `file` part per attachment.
        const form = new FormData();
        if (activity) form.append('activity', new Blob([JSON.stringify(activity)], { type: 'application/vnd.microsoft.activity' }));
        for (const f of files) form.append('file', new Blob([new Uint8Array(f.bytes)], { type: f.type }), f.name);
        return dl(`/conversations/${v.conversationId}/upload?userId=x`, { method: 'POST', bearer: v.token, body: form });
      };
      const ok = await upload([{ name: 'receipt.png', type: 'image/png', bytes: png }, { name: 'notes.txt', type: 'text/plain', bytes: Buffer.from('order 42') }],
        { type: 'message', from: { id: 'x' }, text: 'here is my receipt', attachments: [{ contentType: 'image/png', name: 'receipt.png' }], channelData: { clientActivityID: 'up-1' } });
      assert.equal(ok.status, 200, await ok.clone().text());
      const { id } = await ok.json() as { id: string };
      const page = await (await dl(`/conversations/${v.conversationId}/activities`, { bearer: v.token })).json() as any;
      const sent = page.activities.find((a: any) => a.id === id);
      assert.equal(sent.text, 'here is my receipt');
      assert.deepEqual(sent.attachments.map((a: any) => [a.name, a.contentType]), [['receipt.png', 'image/png'], ['notes.txt', 'text/plain']]);
      assert.ok(sent.attachments.every((a: any) => a.contentUrl.startsWith(`${base}/attachments/att_`)), 'absolute URLs on this server');
      const image = await fetch(sent.attachments[0].contentUrl);
      assert.equal(image.status, 200);
      assert.deepEqual(Buffer.from(await image.arrayBuffer()), png);
      assert.equal(image.headers.get('content-type'), 'image/png');
      assert.equal(image.headers.get('x-content-type-options'), 'nosniff');
      assert.match(image.headers.get('content-disposition')!, /^inline/);
      const text = await fetch(sent.attachments[1].contentUrl);
      assert.match(text.headers.get('content-disposition')!, /^attachment/, 'anything but an image downloads');
      // A retry of the same upload (same clientActivityID) stores nothing more.
      const retry = await upload([{ name: 'receipt.png', type: 'image/png', bytes: png }, { name: 'notes.txt', type: 'text/plain', bytes: Buffer.from('order 42') }],
        { type: 'message', from: { id: 'x' }, text: 'here is my receipt', channelData: { clientActivityID: 'up-1' } });
      assert.deepEqual(await retry.json(), { id });

      const before = await snapshotDatabase(sb);
      const refusals: [string, Response, number, string][] = [
        ['a forbidden type', await upload([{ name: 'page.html', type: 'text/html', bytes: Buffer.from('<script>alert(1)</script>') }]), 415, 'UnsupportedMediaType'],
        ['a page posing as an image', await upload([{ name: 'x.png', type: 'image/png', bytes: Buffer.from('<html><script>alert(1)</script>') }]), 415, 'UnsupportedMediaType'],
        ['a file over 4 MB', await upload([{ name: 'big.png', type: 'image/png', bytes: Buffer.concat([png, Buffer.alloc(4 * 1024 * 1024)]) }]), 413, 'MessageSizeTooBig'],
        ['no file', await upload([], { type: 'message', from: { id: 'x' }, text: 'nothing' }), 400, 'BadArgument'],
        ['six files', await upload(Array.from({ length: 6 }, (_, i) => ({ name: `f${i}.png`, type: 'image/png', bytes: png }))), 400, 'BadArgument'],
        ['JSON instead of multipart', await dl(`/conversations/${v.conversationId}/upload`, { method: 'POST', bearer: v.token, body: '{}' }), 415, 'UnsupportedMediaType'],
      ];
      for (const [what, res, status, code] of refusals) {
        assert.equal(res.status, status, `${what}: ${await res.clone().text()}`);
        assert.equal(((await res.json()) as any).error.code, code, what);
      }
      assert.equal(await snapshotDatabase(sb), before, 'nothing stored');
      assert.equal((await fetch(`${base}/attachments/att_${'A'.repeat(43)}/x.png`)).status, 404);
    });

    it('expires tokens after 30 minutes: 403 TokenExpired, and an expired token cannot be refreshed', { skip }, async () => {
      const v = await visitor('Ivy');
      clock.advance(31 * 60_000);
      const res = await dl(`/conversations/${v.conversationId}/activities`, { bearer: v.token });
      assert.equal(res.status, 403);
      assert.equal(((await res.json()) as any).error.code, 'TokenExpired');
      assert.equal((await dl('/tokens/refresh', { method: 'POST', bearer: v.token })).status, 403);
      const stream = openStream(v.streamUrl);
      await assert.rejects(stream.opened, (e: any) => e.status === 403);
    });
  });
}
