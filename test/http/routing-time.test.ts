// Routing decisions that depend on time and queue conditions, through the API on SQLite and
// PostgreSQL: operating hours and overflow (before and while queued), skill relaxation, the
// preferred agent window, and ordering by the customer's last message.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { ManualClock } from '../../src/app/ports/fakes/manual-clock.js';
import { ManualScheduler, SeededRandom } from '../../src/app/ports/fakes/manual-scheduler.js';
import { postgresSkip } from '../support/postgres.js';
import { startTestServer, type TestServer } from '../support/test-server.js';
import { client, type Client } from './http-helpers.js';

interface World {
  server: TestServer;
  api: Client;
  scheduler: ManualScheduler;
}

const MONDAY_10_UTC = Date.UTC(2026, 10, 23, 10, 0, 0);

async function tenantWith(w: World) {
  const { api } = w;
  const tenant = await api.ok('POST', '/v1/tenants', 201, { name: 'Time' });
  const t = `/v1/tenants/${tenant.id}`;
  for (const name of ['english', 'french']) await api.ok('POST', `${t}/skills`, 201, { name });
  const ana = await api.ok('POST', `${t}/agents`, 201, { kind: 'human', displayName: 'Ana', capacity: 3, skills: { english: 8 }, presence: 'available' });
  const ben = await api.ok('POST', `${t}/agents`, 201, { kind: 'human', displayName: 'Ben', capacity: 1, skills: { english: 5, french: 9 }, presence: 'offline' });
  const channel = await api.ok('POST', `${t}/channels`, 201, { type: 'webchat', name: 'Chat' });
  let n = 0;
  const conversation = async (context: Record<string, { type: string; value: unknown }> = {}) =>
    api.ok('POST', `${t}/conversations`, 201, { channelId: channel.id, customer: { address: `c-${++n}` }, context });
  const route = async (id: string) => api.ok('POST', `${t}/conversations/${id}/route`, 200, {});
  const state = async (id: string) => (await api.ok('GET', `${t}/conversations/${id}`, 200)).state as string;
  const settle = async (ms: number) => {
    w.scheduler.advance(ms);
    await w.server.routing.idle();
  };
  return { t, ana, ben, conversation, route, state, settle };
}

for (const database of ['sqlite', 'postgres'] as const) {
  describe(`routing over time (${database})`, async () => {
    const skip = database === 'postgres' ? await postgresSkip() : false;
    let w: World;
    before(async () => {
      if (skip) return;
      const clock = new ManualClock(MONDAY_10_UTC);
      const scheduler = new ManualScheduler(clock);
      const server = await startTestServer({ database, env: { SWITCHBOARD_ROUTING_STATS_SECONDS: '10' }, overrides: { clock, scheduler, random: new SeededRandom(3) } });
      w = { server, api: client(server.app, server.auth), scheduler };
    });
    after(async () => w?.server.stop());

    it('out of hours: sends a message and ends, or transfers to a queue that is open', { skip }, async () => {
      const s = await tenantWith(w);
      const hours = { timeZone: 'Europe/Paris', weekly: [{ day: 'mon', open: '14:00', close: '18:00' }], holidays: [] };
      const night = await w.api.ok('POST', `${s.t}/queues`, 201, { name: 'Night desk', memberIds: [s.ana.id] });
      const closedEnd = await w.api.ok('POST', `${s.t}/queues`, 201, {
        name: 'Day only', memberIds: [s.ana.id],
        routing: { operatingHours: hours, overflow: [{ id: 'closed', when: { kind: 'out-of-hours' }, then: { kind: 'message-and-end', text: 'We open at 14:00.' } }] },
      });
      const ws = await w.api.ok('POST', `${s.t}/workstreams`, 201, {
        name: 'Chat', channelTypes: ['webchat'], fallbackQueueId: closedEnd.id,
        routeRules: [{ id: 'to-night', condition: 'route.night == true', queueId: night.id }],
      });
      const conv = await s.conversation();
      const routed = await s.route(conv.id);
      assert.equal(routed.status, 'ended');
      assert.equal(await s.state(conv.id), 'closed');
      const messages = (await w.api.ok('GET', `${s.t}/conversations/${conv.id}/messages`, 200)).items;
      assert.deepEqual(messages.map((m: { senderRole: string; text: string }) => [m.senderRole, m.text]), [['system', 'We open at 14:00.']]);

      // Same queue, now transferring instead: the conversation lands in the night desk and is offered.
      await w.api.ok('PATCH', `${s.t}/queues/${closedEnd.id}`, 200, {
        routing: { overflow: [{ id: 'closed', when: { kind: 'out-of-hours' }, then: { kind: 'transfer', queueId: night.id } }] },
      });
      await w.server.routing.idle();
      const conv2 = await s.conversation();
      const moved = await s.route(conv2.id);
      assert.equal(moved.queueId, night.id);
      assert.equal(moved.status, 'offered');
      assert.deepEqual(moved.plan.overflow, [{ queueId: closedEnd.id, ruleId: 'closed', action: 'transfer' }]);
      const refused = await w.api.call('DELETE', `${s.t}/queues/${night.id}`);
      assert.equal(refused.status, 409, 'the night desk is named by an overflow rule');
      assert.ok(ws.id);
    });

    it('queue length: a callback is recorded and the conversation keeps its place', { skip }, async () => {
      const s = await tenantWith(w);
      const q = await w.api.ok('POST', `${s.t}/queues`, 201, {
        name: 'Busy', memberIds: [s.ben.id], routing: { overflow: [{ id: 'long', when: { kind: 'queue-length', atLeast: 1 }, then: { kind: 'callback' } }] },
      });
      await w.api.ok('POST', `${s.t}/workstreams`, 201, { name: 'Chat', channelTypes: ['webchat'], fallbackQueueId: q.id });
      const first = await s.conversation();
      const second = await s.conversation();
      assert.equal((await s.route(first.id)).status, 'waiting');
      assert.equal((await s.route(second.id)).status, 'waiting');
      const line = (await w.api.ok('GET', `${s.t}/queues/${q.id}/waiting`, 200)).items;
      assert.deepEqual(line.map((i: { conversationId: string; callbackRequested: boolean }) => [i.conversationId, i.callbackRequested]), [[first.id, false], [second.id, true]]);
      const events = (await w.api.ok('GET', `${s.t}/events?conversationId=${second.id}`, 200)).items;
      assert.ok(events.some((e: { type: string }) => e.type === 'routing.callback_requested'));
    });

    it('wait exceeds: after the threshold the conversation moves to the overflow queue and is offered there', { skip }, async () => {
      const s = await tenantWith(w);
      const backup = await w.api.ok('POST', `${s.t}/queues`, 201, { name: 'Backup', memberIds: [s.ana.id] });
      const main = await w.api.ok('POST', `${s.t}/queues`, 201, {
        name: 'Main', memberIds: [s.ben.id], routing: { overflow: [{ id: 'slow', when: { kind: 'wait-exceeds', seconds: 60 }, then: { kind: 'transfer', queueId: backup.id } }] },
      });
      await w.api.ok('POST', `${s.t}/workstreams`, 201, { name: 'Chat', channelTypes: ['webchat'], fallbackQueueId: main.id });
      const conv = await s.conversation();
      assert.equal((await s.route(conv.id)).status, 'waiting');
      await s.settle(59_000);
      assert.equal(await s.state(conv.id), 'queued');
      await s.settle(2_000);
      const routing = await w.api.ok('GET', `${s.t}/conversations/${conv.id}/routing`, 200);
      assert.equal(routing.item.queueId, backup.id);
      assert.equal(routing.item.status, 'offered');
      assert.equal(routing.item.agentId, s.ana.id);
      assert.ok(routing.decisions.some((d: { kind: string }) => d.kind === 'overflow'));
    });

    it('pick mode: a conversation nobody picks still overflows when it has waited too long', { skip }, async () => {
      const s = await tenantWith(w);
      const backup = await w.api.ok('POST', `${s.t}/queues`, 201, { name: 'Pick backup', memberIds: [s.ana.id] });
      const main = await w.api.ok('POST', `${s.t}/queues`, 201, {
        name: 'Pick main', memberIds: [s.ana.id], routing: { overflow: [{ id: 'slow', when: { kind: 'wait-exceeds', seconds: 120 }, then: { kind: 'transfer', queueId: backup.id } }] },
      });
      await w.api.ok('POST', `${s.t}/workstreams`, 201, { name: 'Chat', channelTypes: ['webchat'], fallbackQueueId: main.id, mode: 'pick' });
      const conv = await s.conversation();
      assert.equal((await s.route(conv.id)).status, 'waiting');
      await s.settle(121_000);
      const line = (await w.api.ok('GET', `${s.t}/queues/${backup.id}/waiting`, 200)).items;
      assert.deepEqual(line.map((i: { conversationId: string }) => i.conversationId), [conv.id]);
      assert.equal(await s.state(conv.id), 'queued', 'still waiting to be picked, now in the backup queue');
    });

    it('queue statistics: after routing activity a snapshot event follows within the interval, and none while idle', { skip }, async () => {
      const s = await tenantWith(w);
      const q = await w.api.ok('POST', `${s.t}/queues`, 201, { name: 'Watched', memberIds: [s.ben.id] });
      await w.api.ok('POST', `${s.t}/workstreams`, 201, { name: 'Chat', channelTypes: ['webchat'], fallbackQueueId: q.id });
      const conv = await s.conversation();
      await s.route(conv.id);
      await s.settle(11_000);
      const snapshots = async () => (await w.api.ok('GET', `${s.t}/events?limit=1000`, 200)).items.filter((e: { type: string }) => e.type === 'routing.queue_stats');
      const first = await snapshots();
      assert.equal(first.length, 1, JSON.stringify(first.map((e: { occurredAt: string; payload: unknown }) => [e.occurredAt, e.payload])).slice(0, 1500));
      const watched = first[0].payload.queues.find((x: { queueId: string }) => x.queueId === q.id);
      assert.deepEqual([watched.waiting, watched.longestWaitSeconds, watched.agentsByPresence], [1, 11, { offline: 1 }]);
      await s.settle(60_000);
      assert.equal((await snapshots()).length, 1, 'nothing happened since: no new snapshot');
    });

    it('service level: the share of conversations answered within the queue\'s threshold, the same in GET /routing/stats and the snapshot event', { skip }, async () => {
      const s = await tenantWith(w);
      const q = await w.api.ok('POST', `${s.t}/queues`, 201, { name: 'Measured', memberIds: [s.ana.id] });
      assert.equal(q.routing.serviceLevelSeconds, 20, 'the default threshold');
      await w.api.ok('POST', `${s.t}/workstreams`, 201, { name: 'Chat', channelTypes: ['webchat'], fallbackQueueId: q.id, offerTimeoutSeconds: 60 });
      const stats = async () => (await w.api.ok('GET', `${s.t}/queues/${q.id}/stats`, 200)).serviceLevel;
      assert.deepEqual(await stats(), { thresholdSeconds: 20, answered: 0, withinThreshold: 0, percent: null }, 'nothing answered yet: no percentage');
      const answerAfter = async (ms: number) => {
        const conv = await s.conversation();
        assert.equal((await s.route(conv.id)).status, 'offered');
        await s.settle(ms);
        const offer = (await w.api.ok('GET', `${s.t}/agents/${s.ana.id}/offers?status=pending`, 200)).items.find((o: { conversationId: string }) => o.conversationId === conv.id);
        await w.api.ok('POST', `${s.t}/agents/${s.ana.id}/offers/${offer.id}/accept`, 200);
      };
      await answerAfter(5_000);
      await answerAfter(20_000);
      await answerAfter(25_000);
      assert.deepEqual(await stats(), { thresholdSeconds: 20, answered: 3, withinThreshold: 2, percent: 66.7 }, 'answered in 5 s and in exactly 20 s count; 25 s does not');

      // A new threshold applies to what is answered from now on; what was counted stays.
      await w.api.ok('PATCH', `${s.t}/queues/${q.id}`, 200, { routing: { serviceLevelSeconds: 30 } });
      await w.server.routing.idle();
      assert.deepEqual(await stats(), { thresholdSeconds: 30, answered: 3, withinThreshold: 2, percent: 66.7 });
      await w.api.ok('PATCH', `${s.t}/queues/${q.id}`, 400, { routing: { serviceLevelSeconds: 0 } });

      await s.settle(11_000);
      const snapshot = (await w.api.ok('GET', `${s.t}/events?limit=1000`, 200)).items.filter((e: { type: string }) => e.type === 'routing.queue_stats').at(-1);
      const listed = (await w.api.ok('GET', `${s.t}/routing/stats`, 200)).items;
      assert.deepEqual(snapshot.payload.queues, listed, 'the event carries exactly the figures of GET /routing/stats');
      assert.equal(listed.find((x: { queueId: string }) => x.queueId === q.id).serviceLevel.percent, 66.7);
    });

    it('relaxation: a skill requirement is dropped after the configured wait', { skip }, async () => {
      const s = await tenantWith(w);
      const q = await w.api.ok('POST', `${s.t}/queues`, 201, { name: 'Languages', memberIds: [s.ana.id, s.ben.id] });
      await w.api.ok('POST', `${s.t}/workstreams`, 201, {
        name: 'Chat', channelTypes: ['webchat'], fallbackQueueId: q.id,
        classificationRules: [{ id: 'fr', condition: 'customer.language == "fr"', set: { requiredSkills: [{ skill: 'french', minProficiency: 6 }] } }],
        relaxations: [{ afterSeconds: 30, dropSkills: ['french'] }],
      });
      const conv = await s.conversation({ 'customer.language': { type: 'string', value: 'fr' } });
      assert.equal((await s.route(conv.id)).status, 'waiting', 'only Ben speaks French, and he is offline');
      await s.settle(31_000);
      const routing = await w.api.ok('GET', `${s.t}/conversations/${conv.id}/routing`, 200);
      assert.equal(routing.item.agentId, s.ana.id);
      const offered = routing.decisions.find((d: { kind: string }) => d.kind === 'offered');
      assert.deepEqual(offered.explanation.appliedSkills, []);
    });

    it('preferred agent: tried alone for its window, then the queue decides', { skip }, async () => {
      const s = await tenantWith(w);
      const q = await w.api.ok('POST', `${s.t}/queues`, 201, { name: 'Account', memberIds: [s.ana.id, s.ben.id] });
      await w.api.ok('POST', `${s.t}/workstreams`, 201, {
        name: 'Chat', channelTypes: ['webchat'], fallbackQueueId: q.id, preferredAgentVariable: 'customer.owner', preferredAgentSeconds: 45,
      });
      const conv = await s.conversation({ 'customer.owner': { type: 'string', value: s.ben.id } });
      assert.equal((await s.route(conv.id)).status, 'waiting', 'Ben is preferred but offline; Ana is not tried yet');
      await s.settle(46_000);
      const routing = await w.api.ok('GET', `${s.t}/conversations/${conv.id}/routing`, 200);
      assert.equal(routing.item.agentId, s.ana.id);

      await w.api.ok('PUT', `${s.t}/agents/${s.ben.id}/presence`, 200, { presence: 'available' });
      const conv2 = await s.conversation({ 'customer.owner': { type: 'string', value: s.ben.id } });
      const routed = await s.route(conv2.id);
      assert.equal(routed.agentId, s.ben.id, 'Ana has more free capacity, but Ben is preferred');
    });

    it('asynchronous order: the conversation whose customer wrote last waits behind the others', { skip }, async () => {
      const s = await tenantWith(w);
      const q = await w.api.ok('POST', `${s.t}/queues`, 201, { name: 'Mailbox', memberIds: [s.ben.id] });
      await w.api.ok('POST', `${s.t}/workstreams`, 201, { name: 'Chat', channelTypes: ['webchat'], fallbackQueueId: q.id, waitingOrder: 'last-customer-message' });
      const a = await s.conversation();
      await s.settle(1_000);
      const b = await s.conversation();
      await s.route(a.id);
      await s.settle(1_000);
      await s.route(b.id);
      await s.settle(1_000);
      await w.api.ok('POST', `${s.t}/conversations/${a.id}/messages`, 201, { senderRole: 'customer', text: 'Any news?' });
      await w.server.routing.idle();
      const line = (await w.api.ok('GET', `${s.t}/queues/${q.id}/waiting`, 200)).items;
      assert.deepEqual(line.map((i: { conversationId: string }) => i.conversationId), [b.id, a.id]);
      await w.api.ok('PUT', `${s.t}/agents/${s.ben.id}/presence`, 200, { presence: 'available' });
      await w.server.routing.idle();
      const offers = (await w.api.ok('GET', `${s.t}/agents/${s.ben.id}/offers?status=pending`, 200)).items;
      assert.deepEqual(offers.map((o: { conversationId: string }) => o.conversationId), [b.id]);
    });
  });
}
