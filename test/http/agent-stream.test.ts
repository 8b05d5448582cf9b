// An agent working entirely over the WebSocket: sign in (presence), receive an offer as an event,
// accept it, write to the customer, wrap up and close; bad commands get error frames and change
// nothing. SQLite, and PostgreSQL when it answers (required under CI).
import assert from 'node:assert/strict';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { postgresSkip } from '../support/postgres.js';
import { StreamClient, type EventFrame, type Frame } from '../support/stream-client.js';
import { startTestServer, type TestServer } from '../support/test-server.js';
import { client, type Client } from './http-helpers.js';

/** Reads frames until one satisfies `match`, keeping the events seen on the way. */
async function until(stream: StreamClient, match: (f: Frame) => boolean, seen: EventFrame[] = []): Promise<Frame> {
  for (;;) {
    const frame = await stream.next();
    if (frame.type === 'event') seen.push(frame as EventFrame);
    if (match(frame)) return frame;
  }
}

for (const database of ['sqlite', 'postgres'] as const) {
  describe(`agent commands over the WebSocket (${database})`, async () => {
    const skip = database === 'postgres' ? await postgresSkip() : false;
    let server: TestServer;
    let api: Client;
    let url: string;
    before(async () => {
      if (skip) return;
      server = await startTestServer({ database });
      api = client(server.app, server.auth);
      await server.app.listen({ host: '127.0.0.1', port: 0 });
      url = `ws://127.0.0.1:${(server.app.server.address() as AddressInfo).port}/v1/stream`;
    });
    after(async () => server?.stop());

    it('takes an offer from event to closed conversation', { skip }, async () => {
      const tenant = await api.ok('POST', '/v1/tenants', 201, { name: 'Stream agents' });
      const t = `/v1/tenants/${tenant.id}`;
      const agent = await api.ok('POST', `${t}/agents`, 201, { kind: 'human', displayName: 'Ana', capacity: 2 });
      const queue = await api.ok('POST', `${t}/queues`, 201, { name: 'Chat', memberIds: [agent.id] });
      const channel = await api.ok('POST', `${t}/channels`, 201, { type: 'webchat', name: 'Chat' });
      await api.ok('POST', `${t}/workstreams`, 201, { name: 'Chat', channelTypes: ['webchat'], fallbackQueueId: queue.id });
      const conv = await api.ok('POST', `${t}/conversations`, 201, { channelId: channel.id, customer: { address: 'v-1' } });
      assert.equal((await api.ok('POST', `${t}/conversations/${conv.id}/route`, 200, {})).status, 'waiting', 'the agent is signed out');

      const stream = await StreamClient.connect(url, server.key);
      try {
        await stream.subscribe({ id: 's', tenantId: tenant.id });
        const base = { type: 'command', tenantId: tenant.id, agentId: agent.id };
        stream.send({ ...base, id: 'c1', action: 'presence', presence: 'available' });
        const seen: EventFrame[] = [];
        const result = await until(stream, (f) => f.type === 'result' && f.id === 'c1', seen);
        assert.equal((result as unknown as { result: { presence: string } }).result.presence, 'available');
        const offered = seen.find((e) => e.event.type === 'routing.offered') ??
          ((await until(stream, (f) => f.type === 'event' && f.event?.type === 'routing.offered')) as EventFrame);
        const offer = offered.event.payload.offer as { id: string; agentId: string; conversationId: string };
        assert.equal(offer.agentId, agent.id);
        assert.equal(offer.conversationId, conv.id);

        stream.send({ ...base, id: 'c2', action: 'accept', offerId: offer.id });
        await until(stream, (f) => f.type === 'result' && f.id === 'c2');
        stream.send({ ...base, id: 'c3', action: 'message', conversationId: conv.id, text: 'Hello, how can I help?' });
        const sent = (await until(stream, (f) => f.type === 'result' && f.id === 'c3')) as unknown as { result: { senderRole: string; seq: number } };
        assert.equal(sent.result.senderRole, 'agent');
        stream.send({ ...base, id: 'c4', action: 'wrap-up', conversationId: conv.id });
        await until(stream, (f) => f.type === 'result' && f.id === 'c4');
        stream.send({ ...base, id: 'c5', action: 'close', conversationId: conv.id });
        await until(stream, (f) => f.type === 'result' && f.id === 'c5');

        // A second accept of the same offer, an unknown action and a bad presence: error frames.
        stream.send({ ...base, id: 'c6', action: 'accept', offerId: offer.id });
        const again = await until(stream, (f) => f.type === 'error' && f.id === 'c6');
        assert.equal(again.error?.code, 'SB_ERR_OFFER_RESOLVED');
        stream.send({ ...base, id: 'c7', action: 'dance' });
        assert.equal((await until(stream, (f) => f.type === 'error' && f.id === 'c7')).error?.code, 'SB_ERR_VALIDATION');
        stream.send({ ...base, id: 'c8', action: 'presence', presence: 'sleepy' });
        assert.equal((await until(stream, (f) => f.type === 'error' && f.id === 'c8')).error?.code, 'SB_ERR_VALIDATION');
      } finally {
        await stream.close();
      }
      const final = await api.ok('GET', `${t}/conversations/${conv.id}`, 200);
      assert.equal(final.state, 'closed');
      const status = await api.ok('GET', `${t}/agents/${agent.id}/status`, 200);
      assert.equal(status.usedCapacity, 0);
      assert.equal(status.presence, 'available');
    });
  });
}
