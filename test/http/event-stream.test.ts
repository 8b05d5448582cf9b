// The WebSocket event stream on a real port: committed events in order with ids, resume after a
// reconnect without loss or duplicates, authentication and tenant isolation, malformed frames.
// Runs on SQLite, and on PostgreSQL when it answers (required under CI).
import assert from 'node:assert/strict';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import WebSocket from 'ws';
import { postgresSkip } from '../support/postgres.js';
import { startTestServer, type TestServer } from '../support/test-server.js';
import { client, seedTenant, type Client, type TenantFixture } from './http-helpers.js';
import { StreamClient, type EventFrame } from '../support/stream-client.js';

/** Tries an upgrade and reports the HTTP status the server answered instead of switching protocols. */
function rejectedUpgradeStatus(url: string, headers: Record<string, string>): Promise<number> {
  return new Promise((resolve, reject) => {
    const socket = new WebSocket(url, { headers });
    socket.once('unexpected-response', (_req, res) => {
      resolve(res.statusCode ?? 0);
      res.resume();
      socket.terminate();
    });
    socket.once('open', () => {
      socket.terminate();
      reject(new Error('the upgrade was accepted'));
    });
    socket.once('error', () => undefined); // terminate() after unexpected-response reports an error too
  });
}

function assertAscending(ids: number[]): void {
  for (let i = 1; i < ids.length; i++) assert.ok(ids[i]! > ids[i - 1]!, `ids ascend: ${ids.join(', ')}`);
}

function streamSuite(database: 'sqlite' | 'postgres', skip: false | string): void {
  describe(`event stream (${database})`, { skip }, () => {
    let server: TestServer;
    let api: Client;
    let url: string;
    let A: TenantFixture;
    let B: TenantFixture;
    const clients: StreamClient[] = [];
    const connect = async () => {
      const c = await StreamClient.connect(url, server.key);
      clients.push(c);
      return c;
    };
    /** The event log as HTTP serves it: what the stream must match exactly. */
    const logAfter = async (tenantId: string, afterId: number, conversationId?: string) =>
      (await api.ok('GET', `/v1/tenants/${tenantId}/events?after=${afterId}&limit=1000${conversationId ? `&conversationId=${conversationId}` : ''}`, 200)).items as EventFrame['event'][];
    const post = (t: TenantFixture, text: string, conversationId = t.conversationId) =>
      api.ok('POST', `/v1/tenants/${t.tenantId}/conversations/${conversationId}/messages`, 201, { senderRole: 'customer', text });

    before(async () => {
      server = await startTestServer({ database });
      api = client(server.app, server.auth);
      await server.app.listen({ host: '127.0.0.1', port: 0 });
      url = `ws://127.0.0.1:${(server.app.server.address() as AddressInfo).port}/v1/stream`;
      A = await seedTenant(api, 'A');
      B = await seedTenant(api, 'B');
    });
    after(async () => {
      for (const c of clients) await c.close().catch(() => undefined);
      await server?.stop();
    });

    it('rejects an upgrade without a key, or with a wrong one, with 401', async () => {
      assert.equal(await rejectedUpgradeStatus(url, {}), 401);
      assert.equal(await rejectedUpgradeStatus(url, { authorization: 'Bearer key_00000000000000000000000000.deadbeef' }), 401);
      assert.equal(await rejectedUpgradeStatus(url, { authorization: `Bearer ${server.key}x` }), 401);
    });

    it("delivers a tenant's and a conversation's committed events in order, with their ids, and nothing of other tenants", async () => {
      const stream = await connect();
      const tenantSub = await stream.subscribe({ id: 'tenant', tenantId: A.tenantId });
      const convSub = await stream.subscribe({ id: 'conv', tenantId: A.tenantId, conversationId: A.conversationId });
      assert.equal(tenantSub.after, convSub.after);
      const start = tenantSub.after!;
      assert.ok(start > 0, 'without "after" a subscription starts at the newest event');

      await post(A, 'one');
      await post(B, 'other tenant');
      const other = await api.ok('POST', `/v1/tenants/${A.tenantId}/conversations`, 201, { channelId: A.channelId, contactId: A.contactId });
      await post(A, 'two');
      await api.ok('POST', `/v1/tenants/${A.tenantId}/conversations/${other.id}/state`, 200, { to: 'queued' });
      await post(A, 'three');

      const tenantLog = await logAfter(A.tenantId, start);
      const convLog = tenantLog.filter((e) => e.conversationId === A.conversationId);
      assert.equal(convLog.length, 3);
      const frames = await stream.events(tenantLog.length + convLog.length);
      const forTenant = frames.filter((f) => f.subscription === 'tenant').map((f) => f.event);
      const forConv = frames.filter((f) => f.subscription === 'conv').map((f) => f.event);
      assert.deepEqual(forTenant, tenantLog, 'the tenant subscription gets the event log, in order');
      assert.deepEqual(forConv, convLog, 'the conversation subscription gets only its events');
      assert.deepEqual(forConv.map((e) => [e.type, e.payload.message.text]), [['message.created', 'one'], ['message.created', 'two'], ['message.created', 'three']]);
      assertAscending(forTenant.map((e) => e.id));
      assert.ok(forTenant.every((e) => e.tenantId === A.tenantId));
      await stream.assertQuiet();
      await stream.close();
    });

    it('replays a conversation from after=0 in log order', async () => {
      const stream = await connect();
      const sub = await stream.subscribe({ id: 'history', tenantId: A.tenantId, conversationId: A.conversationId, after: 0 });
      assert.equal(sub.after, 0);
      const history = await logAfter(A.tenantId, 0, A.conversationId);
      assert.ok(history.length >= 5);
      assert.equal(history[0]!.type, 'conversation.created');
      assert.deepEqual((await stream.events(history.length)).map((f) => f.event), history);
      await stream.assertQuiet();
      await stream.close();
    });

    it('resumes after a reconnect from the last id seen: every missed event exactly once, in order, then live again', async () => {
      const conversation = await api.ok('POST', `/v1/tenants/${A.tenantId}/conversations`, 201, { channelId: A.channelId, contactId: A.contactId });
      const first = await connect();
      await first.subscribe({ id: 's', tenantId: A.tenantId, conversationId: conversation.id });
      await post(A, 'before 1', conversation.id);
      await post(A, 'before 2', conversation.id);
      const seen = await first.events(2);
      const lastSeen = seen[1]!.event.id;
      await first.close();

      // While nobody listens: five messages, a state change and a context update.
      for (let i = 1; i <= 5; i++) await post(A, `missed ${i}`, conversation.id);
      await api.ok('POST', `/v1/tenants/${A.tenantId}/conversations/${conversation.id}/state`, 200, { to: 'queued' });
      await api.ok('PATCH', `/v1/tenants/${A.tenantId}/conversations/${conversation.id}/context`, 200, { step: { type: 'number', value: 1 } });
      const missed = await logAfter(A.tenantId, lastSeen, conversation.id);
      assert.equal(missed.length, 7);

      const second = await connect();
      const resumed = await second.subscribe({ id: 's', tenantId: A.tenantId, conversationId: conversation.id, after: lastSeen });
      assert.equal(resumed.after, lastSeen);
      const replayed = (await second.events(missed.length)).map((f) => f.event);
      assert.deepEqual(replayed, missed, 'exactly the missed events, in order');
      assertAscending([lastSeen, ...replayed.map((e) => e.id)]);
      const seqs = [...seen.map((f) => f.event), ...replayed].filter((e) => e.type === 'message.created').map((e) => e.payload.message.seq);
      assert.deepEqual(seqs, [1, 2, 3, 4, 5, 6, 7], 'message sequence numbers without a gap across the reconnect');

      const live = await post(A, 'after reconnect', conversation.id);
      const [next] = await second.events(1);
      assert.equal(next!.event.type, 'message.created');
      assert.equal(next!.event.payload.message.id, live.id);
      assert.ok(next!.event.id > replayed[replayed.length - 1]!.id);
      await second.assertQuiet();
      await second.close();
    });

    it('gives every subscription of a tenant the log exactly once in order while sends race, including one that joins from an old id mid-way', async () => {
      // The tenant's subscriptions share one read of the log (tenant-event-tail.ts): one that is
      // behind reads on its own until it meets the shared reader, and none may skip or repeat.
      const streams = await Promise.all([connect(), connect(), connect()]);
      const subs = await Promise.all(streams.map((s, i) => s.subscribe({ id: `t${i}`, tenantId: A.tenantId })));
      const start = subs[0]!.after!;
      const conversation = await api.ok('POST', `/v1/tenants/${A.tenantId}/conversations`, 201, { channelId: A.channelId, contactId: A.contactId });
      const sends = (from: number) => Array.from({ length: 20 }, (_, i) => post(A, `race ${from + i}`, i % 2 === 0 ? conversation.id : A.conversationId));
      const first = sends(0);
      const late = await connect();
      await late.subscribe({ id: 'late', tenantId: A.tenantId, after: start });
      const lateConv = await connect();
      await lateConv.subscribe({ id: 'late-conv', tenantId: A.tenantId, conversationId: conversation.id, after: start });
      await Promise.all([...first, ...sends(20)]);
      const log = await logAfter(A.tenantId, start);
      assert.ok(log.length >= 41);
      for (const stream of [...streams, late]) {
        assert.deepEqual((await stream.events(log.length)).map((f) => f.event), log, 'the whole log after the start, once, in order');
        await stream.assertQuiet();
      }
      const convLog = log.filter((e) => e.conversationId === conversation.id);
      assert.deepEqual((await lateConv.events(convLog.length)).map((f) => f.event), convLog);
      await lateConv.assertQuiet();
      for (const stream of [...streams, late, lateConv]) await stream.close();
    });

    it("hands a conversation's subscription only its conversation's pages, and it follows the shared read without reading the log itself", async () => {
      // An agent workspace holds one subscription per conversation: the tail hands each only the
      // pages with events of its conversation (tenant-event-tail.ts), and one that skipped pages
      // must still take the next one concerning it without a read of its own, with nothing lost.
      const x = await api.ok('POST', `/v1/tenants/${A.tenantId}/conversations`, 201, { channelId: A.channelId, contactId: A.contactId });
      const y = await api.ok('POST', `/v1/tenants/${A.tenantId}/conversations`, 201, { channelId: A.channelId, contactId: A.contactId });
      const [sx, sy] = await Promise.all([connect(), connect()]);
      const subX = await sx.subscribe({ id: 'x', tenantId: A.tenantId, conversationId: x.id });
      const subY = await sy.subscribe({ id: 'y', tenantId: A.tenantId, conversationId: y.id });
      // One message each, received, so that both first catch-ups are over.
      await post(A, 'x warm-up', x.id);
      await post(A, 'y warm-up', y.id);
      await sx.events((await logAfter(A.tenantId, subX.after!, x.id)).length);
      await sy.events((await logAfter(A.tenantId, subY.after!, y.id)).length);
      const reads = server.deps.storage.read;
      const readEvents = reads.readEvents.bind(reads);
      let ownReads = 0;
      reads.readEvents = (tenantId, afterId, limit, conversationId) => {
        if (conversationId !== undefined) ownReads++;
        return readEvents(tenantId, afterId, limit, conversationId);
      };
      try {
        const mark = (await logAfter(A.tenantId, 0)).at(-1)!.id;
        // Runs of several pages for one conversation, then the other, and other tenants' traffic.
        for (const [i, target] of [x, x, x, y, x, y, y, y, x, A].entries()) {
          await post(A, `follow ${i}`, target === A ? A.conversationId : target.id);
          await post(B, `elsewhere ${i}`);
        }
        // From the tenant's log (a conversation's own log over HTTP would count as a read here).
        const log = await logAfter(A.tenantId, mark);
        const logX = log.filter((e) => e.conversationId === x.id);
        const logY = log.filter((e) => e.conversationId === y.id);
        assert.deepEqual((await sx.events(logX.length)).map((f) => f.event), logX);
        assert.deepEqual((await sy.events(logY.length)).map((f) => f.event), logY);
        assert.equal(ownReads, 0, 'no subscription read the log on its own');
        // And racing sends: still each conversation's log exactly once, in order.
        const burstMark = (await logAfter(A.tenantId, 0)).at(-1)!.id;
        await Promise.all(Array.from({ length: 30 }, (_, i) => post(A, `burst ${i}`, [x.id, y.id, A.conversationId][i % 3])));
        const burstX = await logAfter(A.tenantId, burstMark, x.id);
        const burstY = await logAfter(A.tenantId, burstMark, y.id);
        assert.deepEqual((await sx.events(burstX.length)).map((f) => f.event), burstX);
        assert.deepEqual((await sy.events(burstY.length)).map((f) => f.event), burstY);
        await sx.assertQuiet();
        await sy.assertQuiet();
      } finally {
        reads.readEvents = readEvents;
      }
      await sx.close();
      await sy.close();
    });

    it("answers a subscription to another tenant's conversation with SB_ERR_CONVERSATION_NOT_FOUND and sends none of its events", async () => {
      const stream = await connect();
      stream.send({ type: 'subscribe', id: 'probe', tenantId: A.tenantId, conversationId: B.conversationId, after: 0 });
      const answer = await stream.next();
      assert.equal(answer.type, 'error');
      assert.equal(answer.id, 'probe');
      assert.equal(answer.error?.code, 'SB_ERR_CONVERSATION_NOT_FOUND');

      stream.send({ type: 'subscribe', id: 'nobody', tenantId: 'ten_does_not_exist', after: 0 });
      const unknown = await stream.next();
      assert.deepEqual([unknown.type, unknown.id, unknown.error?.code], ['error', 'nobody', 'SB_ERR_TENANT_NOT_FOUND']);

      await post(B, 'secret of tenant B');
      await stream.assertQuiet();
      await stream.close();
    });

    it('answers malformed frames with error frames and keeps the socket usable', async () => {
      const stream = await connect();
      const cases: [string, unknown, string, string | undefined][] = [
        ['not JSON', '{"type":"subscribe",', 'SB_ERR_MALFORMED_JSON', undefined],
        ['JSON null', 'null', 'SB_ERR_VALIDATION', undefined],
        ['a JSON array', '[1,2]', 'SB_ERR_VALIDATION', undefined],
        ['no id', { type: 'subscribe', tenantId: A.tenantId }, 'SB_ERR_VALIDATION', undefined],
        ['an empty id', { type: 'subscribe', id: '', tenantId: A.tenantId }, 'SB_ERR_VALIDATION', undefined],
        ['an id of 101 characters', { type: 'subscribe', id: 'x'.repeat(101), tenantId: A.tenantId }, 'SB_ERR_VALIDATION', undefined],
        ['an unknown type', { type: 'subscrbe', id: 'f1', tenantId: A.tenantId }, 'SB_ERR_VALIDATION', 'f1'],
        ['no tenantId', { type: 'subscribe', id: 'f2' }, 'SB_ERR_VALIDATION', 'f2'],
        ['a numeric conversationId', { type: 'subscribe', id: 'f3', tenantId: A.tenantId, conversationId: 7 }, 'SB_ERR_VALIDATION', 'f3'],
        ['a negative after', { type: 'subscribe', id: 'f4', tenantId: A.tenantId, after: -1 }, 'SB_ERR_VALIDATION', 'f4'],
        ['a fractional after', { type: 'subscribe', id: 'f5', tenantId: A.tenantId, after: 1.5 }, 'SB_ERR_VALIDATION', 'f5'],
        ['a string after', { type: 'subscribe', id: 'f6', tenantId: A.tenantId, after: '3' }, 'SB_ERR_VALIDATION', 'f6'],
      ];
      for (const [name, frame, code, id] of cases) {
        stream.send(frame);
        const answer = await stream.next();
        assert.equal(answer.type, 'error', `${name}: ${JSON.stringify(answer)}`);
        assert.equal(answer.error?.code, code, name);
        assert.equal(typeof answer.error?.message, 'string', name);
        assert.equal(answer.id, id, `${name}: the error names the frame id when there is one`);
      }

      // The socket still works: a valid subscription, a duplicate id refused, an unsubscribe honoured.
      await stream.subscribe({ id: 'ok', tenantId: A.tenantId, conversationId: A.conversationId });
      stream.send({ type: 'subscribe', id: 'ok', tenantId: A.tenantId });
      const duplicate = await stream.next();
      assert.deepEqual([duplicate.type, duplicate.id, duplicate.error?.code], ['error', 'ok', 'SB_ERR_VALIDATION']);
      const message = await post(A, 'still subscribed');
      const [event] = await stream.events(1);
      assert.equal(event!.event.payload.message.id, message.id);
      stream.send({ type: 'unsubscribe', id: 'ok' });
      assert.deepEqual(await stream.next(), { type: 'unsubscribed', id: 'ok' });
      await post(A, 'after unsubscribe');
      await stream.assertQuiet();
      await stream.close();
    });

    it('closes the socket with 1009 when a frame exceeds 64 KiB', async () => {
      const stream = await connect();
      stream.send({ type: 'subscribe', id: 'big', tenantId: 'x'.repeat(70 * 1024) });
      const { code } = await stream.closed;
      assert.equal(code, 1009);
    });
  });
}

streamSuite('sqlite', false);
streamSuite('postgres', await postgresSkip());
