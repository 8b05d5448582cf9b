// The routing engine through the REST API, on SQLite and PostgreSQL: rules, offers, timeouts,
// bots, pick mode, presence, transfers, explanations, the dry run and restarts. Time and the
// random source are controlled (manual clock and scheduler, seeded draws).
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { ManualClock } from '../../src/app/ports/fakes/manual-clock.js';
import { ManualScheduler, SeededRandom } from '../../src/app/ports/fakes/manual-scheduler.js';
import { postgresSkip } from '../support/postgres.js';
import { startTestServer, type TestServer } from '../support/test-server.js';
import { assertErrorBody, client, type Client } from './http-helpers.js';

interface World {
  server: TestServer;
  api: Client;
  clock: ManualClock;
  scheduler: ManualScheduler;
}

async function boot(database: 'sqlite' | 'postgres'): Promise<World> {
  const clock = new ManualClock(Date.UTC(2026, 10, 23, 10, 0, 0)); // a Monday, 10:00 UTC
  const scheduler = new ManualScheduler(clock);
  const server = await startTestServer({ database, overrides: { clock, scheduler, random: new SeededRandom(7) } });
  return { server, api: client(server.app, server.auth), clock, scheduler };
}

/** A tenant with skills, three agents, two queues and a web chat workstream. */
async function setUp(w: World, workstream: Record<string, unknown> = {}) {
  const { api } = w;
  const tenant = await api.ok('POST', '/v1/tenants', 201, { name: 'Routing' });
  const t = `/v1/tenants/${tenant.id}`;
  for (const name of ['english', 'french', 'billing']) await api.ok('POST', `${t}/skills`, 201, { name });
  const ana = await api.ok('POST', `${t}/agents`, 201, { kind: 'human', displayName: 'Ana', capacity: 2, skills: { english: 8, billing: 5 }, presence: 'available' });
  const ben = await api.ok('POST', `${t}/agents`, 201, { kind: 'human', displayName: 'Ben', capacity: 1, skills: { english: 5, french: 9 }, presence: 'available' });
  const cy = await api.ok('POST', `${t}/agents`, 201, { kind: 'human', displayName: 'Cy', capacity: 3, skills: { english: 3 } });
  const general = await api.ok('POST', `${t}/queues`, 201, { name: 'General', memberIds: [ana.id, ben.id, cy.id], routing: { assignmentMethod: 'highest-capacity' } });
  const vip = await api.ok('POST', `${t}/queues`, 201, { name: 'VIP', priority: 10, memberIds: [ana.id], routing: { assignmentMethod: 'round-robin' } });
  const channel = await api.ok('POST', `${t}/channels`, 201, { type: 'webchat', name: 'Chat' });
  const ws = await api.ok('POST', `${t}/workstreams`, 201, {
    name: 'Chat', channelTypes: ['webchat'], fallbackQueueId: general.id, offerTimeoutSeconds: 30, rejectionSkipSeconds: 120, missedOffersBeforeAway: 2,
    classificationRules: [{ id: 'gold', condition: 'customer.tier == "gold"', set: { priority: 5 } }],
    routeRules: [{ id: 'vip', condition: 'customer.tier == "gold"', queueId: vip.id }],
    ...workstream,
  });
  let n = 0;
  const conversation = async (context: Record<string, { type: string; value: unknown }> = {}) =>
    api.ok('POST', `${t}/conversations`, 201, { channelId: channel.id, customer: { address: `visitor-${++n}` }, context });
  return { tenant, t, ana, ben, cy, general, vip, channel, ws, conversation };
}

const pendingOffer = async (api: Client, t: string, agentId: string) => {
  const offers = (await api.ok('GET', `${t}/agents/${agentId}/offers?status=pending`, 200)).items;
  return offers[0] as { id: string; conversationId: string } | undefined;
};

for (const database of ['sqlite', 'postgres'] as const) {
  describe(`routing through the API (${database})`, async () => {
    const skip = database === 'postgres' ? await postgresSkip() : false;
    let w: World;
    before(async () => {
      if (!skip) w = await boot(database);
    });
    after(async () => w?.server.stop());

    it('routes by rule, offers to the agent the method demands, and an accept makes the conversation active', { skip }, async () => {
      const s = await setUp(w);
      const conv = await s.conversation({ 'customer.tier': { type: 'string', value: 'gold' } });
      const routed = await w.api.ok('POST', `${s.t}/conversations/${conv.id}/route`, 200, {});
      assert.equal(routed.queueId, s.vip.id);
      assert.equal(routed.status, 'offered');
      assert.equal(routed.agentId, s.ana.id);
      assert.equal(routed.plan.priority, 5);
      assert.equal(routed.plan.matchedRule, 'vip');
      assert.equal((await w.api.ok('GET', `${s.t}/conversations/${conv.id}`, 200)).state, 'offered');

      const offer = await pendingOffer(w.api, s.t, s.ana.id);
      assert.ok(offer);
      const accepted = await w.api.ok('POST', `${s.t}/agents/${s.ana.id}/offers/${offer.id}/accept`, 200);
      assert.equal(accepted.status, 'accepted');
      const after = await w.api.ok('GET', `${s.t}/conversations/${conv.id}`, 200);
      assert.equal(after.state, 'active');
      const participants = (await w.api.ok('GET', `${s.t}/conversations/${conv.id}/participants`, 200)).items;
      assert.ok(participants.some((p: { role: string; refId: string }) => p.role === 'agent' && p.refId === s.ana.id));
      const status = await w.api.ok('GET', `${s.t}/agents/${s.ana.id}/status`, 200);
      assert.equal(status.usedCapacity, 1);
      assert.deepEqual(status.conversations.map((c: { conversationId: string }) => c.conversationId), [conv.id]);

      const routing = await w.api.ok('GET', `${s.t}/conversations/${conv.id}/routing`, 200);
      assert.equal(routing.item.status, 'assigned');
      assert.deepEqual(routing.decisions.map((d: { kind: string }) => d.kind), ['queued', 'offered', 'assigned']);
      assert.deepEqual(routing.decisions[0].explanation.routeRules, [{ ruleId: 'vip', matched: true }]);
      assert.equal(routing.decisions[1].explanation.agentId, s.ana.id);
    });

    it('a rejection goes to the next agent and skips the one who rejected; a timeout too, and repeated timeouts set the agent away', { skip }, async () => {
      const s = await setUp(w);
      const conv = await s.conversation();
      const first = await w.api.ok('POST', `${s.t}/conversations/${conv.id}/route`, 200, {});
      assert.equal(first.queueId, s.general.id);
      assert.equal(first.agentId, s.ana.id, 'highest free capacity: Ana has 2, Ben 1, Cy is offline');
      const offerA = (await pendingOffer(w.api, s.t, s.ana.id))!;
      const rejected = await w.api.ok('POST', `${s.t}/agents/${s.ana.id}/offers/${offerA.id}/reject`, 200, { reason: 'on a break' });
      assert.equal(rejected.status, 'rejected');
      await w.server.routing.idle();
      const offerB = (await pendingOffer(w.api, s.t, s.ben.id))!;
      assert.equal(offerB.conversationId, conv.id, 'Ben gets it next; Ana is skipped');
      assert.equal(await pendingOffer(w.api, s.t, s.ana.id), undefined);

      // Ben lets it time out: nobody else is eligible (Ana skipped for 120 s), so it waits.
      w.scheduler.advance(31_000);
      await w.server.routing.idle();
      assert.equal((await w.api.ok('GET', `${s.t}/conversations/${conv.id}`, 200)).state, 'queued');
      const routing = await w.api.ok('GET', `${s.t}/conversations/${conv.id}/routing`, 200);
      assert.deepEqual(routing.offers.map((o: { status: string }) => o.status), ['rejected', 'timed_out']);
      // After Ana's skip window, she gets it again.
      w.scheduler.advance(90_000);
      await w.server.routing.idle();
      const again = (await pendingOffer(w.api, s.t, s.ana.id))!;
      assert.equal(again.conversationId, conv.id);
      w.scheduler.advance(31_000);
      await w.server.routing.idle();
      // Ben's skip window still runs; Ana has missed one; a second conversation's timeout sets Ana away.
      const conv2 = await s.conversation();
      await w.api.ok('POST', `${s.t}/conversations/${conv2.id}/route`, 200, {});
      w.scheduler.advance(31_000);
      await w.server.routing.idle();
      const ana = await w.api.ok('GET', `${s.t}/agents/${s.ana.id}`, 200);
      assert.equal(ana.presence, 'away', 'two missed offers in a row');
      assert.equal(ana.usedCapacity, 0);
      const stats = await w.api.ok('GET', `${s.t}/queues/${s.general.id}/stats`, 200);
      assert.equal(stats.offers.rejected, 1);
      assert.ok(stats.offers.timedOut >= 3);
      assert.equal(stats.waiting, 2);
    });

    it('presence changes trigger assignment, and closing a conversation frees capacity for the next one', { skip }, async () => {
      const s = await setUp(w);
      for (const agent of [s.ana, s.ben]) await w.api.ok('PUT', `${s.t}/agents/${agent.id}/presence`, 200, { presence: 'offline' });
      const conv = await s.conversation();
      const routed = await w.api.ok('POST', `${s.t}/conversations/${conv.id}/route`, 200, {});
      assert.equal(routed.status, 'waiting');
      await w.api.ok('PUT', `${s.t}/agents/${s.ben.id}/presence`, 200, { presence: 'available' });
      await w.server.routing.idle();
      const offer = (await pendingOffer(w.api, s.t, s.ben.id))!;
      assert.equal(offer.conversationId, conv.id);
      await w.api.ok('POST', `${s.t}/agents/${s.ben.id}/offers/${offer.id}/accept`, 200);

      const conv2 = await s.conversation();
      assert.equal((await w.api.ok('POST', `${s.t}/conversations/${conv2.id}/route`, 200, {})).status, 'waiting', 'Ben is full');
      await w.api.ok('POST', `${s.t}/conversations/${conv.id}/state`, 200, { to: 'wrap_up' });
      await w.server.routing.idle();
      const next = (await pendingOffer(w.api, s.t, s.ben.id))!;
      assert.equal(next.conversationId, conv2.id, 'wrap-up does not consume capacity by default');
    });

    it('an agent who signs out with an offer pending loses it at once to the next agent, without a missed offer', { skip }, async () => {
      const s = await setUp(w);
      const conv = await s.conversation();
      assert.equal((await w.api.ok('POST', `${s.t}/conversations/${conv.id}/route`, 200, {})).agentId, s.ana.id);
      await w.api.ok('PUT', `${s.t}/agents/${s.ana.id}/presence`, 200, { presence: 'offline' });
      await w.server.routing.idle();
      const offers = (await w.api.ok('GET', `${s.t}/conversations/${conv.id}/routing`, 200)).offers;
      assert.deepEqual(offers.map((o: { agentId: string; status: string }) => [o.agentId, o.status]), [[s.ana.id, 'withdrawn'], [s.ben.id, 'pending']]);
      const ana = await w.api.ok('GET', `${s.t}/agents/${s.ana.id}`, 200);
      assert.deepEqual([ana.usedCapacity, ana.missedOffers, ana.presence], [0, 0, 'offline']);
    });

    it('a bot accepts at once; its escalation re-routes without it, and a queue holding only that bot is refused', { skip }, async () => {
      const s = await setUp(w);
      const bot = await w.api.ok('POST', `${s.t}/agents`, 201, { kind: 'bot', displayName: 'Helper bot' });
      const botQueue = await w.api.ok('POST', `${s.t}/queues`, 201, { name: 'Bot first', memberIds: [bot.id] });
      await w.api.ok('PUT', `${s.t}/workstreams/${s.ws.id}`, 200, { name: 'Chat', channelTypes: ['webchat'], fallbackQueueId: botQueue.id });
      await w.server.routing.idle();
      const conv = await s.conversation();
      const routed = await w.api.ok('POST', `${s.t}/conversations/${conv.id}/route`, 200, {});
      assert.equal(routed.status, 'assigned');
      assert.equal(routed.agentId, bot.id);
      assert.equal((await w.api.ok('GET', `${s.t}/conversations/${conv.id}`, 200)).state, 'bot');

      const refused = await w.api.call('POST', `${s.t}/conversations/${conv.id}/transfer`, { queueId: botQueue.id });
      assert.equal(refused.status, 409);
      assertErrorBody(refused.body, 'SB_ERR_TRANSFER_REJECTED');
      const moved = await w.api.ok('POST', `${s.t}/conversations/${conv.id}/transfer`, 200, { queueId: s.general.id, reason: 'customer asked for a person' });
      assert.equal(moved.queueId, s.general.id);
      assert.equal(moved.status, 'offered');
      assert.notEqual(moved.agentId, bot.id);
      assert.equal((await w.api.ok('GET', `${s.t}/agents/${bot.id}`, 200)).usedCapacity, 0);
    });

    it('pick mode: agents take work from the queue list and two agents can never take the same one', { skip }, async () => {
      const s = await setUp(w, { mode: 'pick', routeRules: [] });
      const conv = await s.conversation();
      const routed = await w.api.ok('POST', `${s.t}/conversations/${conv.id}/route`, 200, {});
      assert.equal(routed.status, 'waiting', 'pick mode offers nothing');
      const list = (await w.api.ok('GET', `${s.t}/queues/${s.general.id}/waiting`, 200)).items;
      assert.deepEqual(list.map((i: { conversationId: string }) => i.conversationId), [conv.id]);
      const [a, b] = await Promise.all([
        w.api.call('POST', `${s.t}/queues/${s.general.id}/waiting/${conv.id}/pick`, { agentId: s.ana.id }),
        w.api.call('POST', `${s.t}/queues/${s.general.id}/waiting/${conv.id}/pick`, { agentId: s.ben.id }),
      ]);
      assert.deepEqual([a.status, b.status].sort(), [200, 409]);
      assertErrorBody((a.status === 409 ? a : b).body, 'SB_ERR_NOT_WAITING');
      assert.equal((await w.api.ok('GET', `${s.t}/conversations/${conv.id}`, 200)).state, 'active');
    });

    it('transfers to a named agent and consults a second agent without moving ownership', { skip }, async () => {
      const s = await setUp(w);
      const conv = await s.conversation();
      await w.api.ok('POST', `${s.t}/conversations/${conv.id}/route`, 200, {});
      const offer = (await pendingOffer(w.api, s.t, s.ana.id))!;
      await w.api.ok('POST', `${s.t}/agents/${s.ana.id}/offers/${offer.id}/accept`, 200);
      const consult = await w.api.ok('POST', `${s.t}/conversations/${conv.id}/consult`, 201, { agentId: s.ben.id });
      assert.equal(consult.refId, s.ben.id);
      assert.equal((await w.api.ok('GET', `${s.t}/conversations/${conv.id}/routing`, 200)).item.agentId, s.ana.id, 'ownership unchanged');

      const moved = await w.api.ok('POST', `${s.t}/conversations/${conv.id}/transfer`, 200, { agentId: s.ben.id });
      assert.equal(moved.status, 'offered');
      assert.equal(moved.agentId, s.ben.id);
      assert.equal((await w.api.ok('GET', `${s.t}/agents/${s.ana.id}`, 200)).usedCapacity, 0);
    });

    it('a capacity profile chosen by classification sets what a conversation costs', { skip }, async () => {
      const s = await setUp(w, {
        capacityProfiles: { video: 2 }, routeRules: [],
        classificationRules: [{ id: 'video', condition: 'media == "video"', set: { capacityProfile: 'video' } }],
      });
      const refused = await w.api.call('PUT', `${s.t}/workstreams/${s.ws.id}`, {
        name: 'Chat', channelTypes: ['webchat'], fallbackQueueId: s.general.id,
        classificationRules: [{ id: 'x', condition: 'true', set: { capacityProfile: 'hologram' } }],
      });
      assert.equal(refused.status, 400);
      assertErrorBody(refused.body, 'SB_ERR_INVALID_RULE');
      // Ben has capacity 1: a video (cost 2) can only go to Ana (capacity 2).
      await w.api.ok('PUT', `${s.t}/agents/${s.ana.id}/presence`, 200, { presence: 'offline' });
      await w.server.routing.idle();
      const video = await s.conversation({ media: { type: 'string', value: 'video' } });
      const routed = await w.api.ok('POST', `${s.t}/conversations/${video.id}/route`, 200, {});
      assert.equal(routed.status, 'waiting', 'Ben cannot hold a video');
      assert.equal(routed.plan.capacityProfile, 'video');
      await w.api.ok('PUT', `${s.t}/agents/${s.ana.id}/presence`, 200, { presence: 'available' });
      await w.server.routing.idle();
      const ana = await w.api.ok('GET', `${s.t}/agents/${s.ana.id}`, 200);
      assert.equal(ana.usedCapacity, 2, 'the video holds both of Ana\'s units');
      const chat = await s.conversation();
      assert.equal((await w.api.ok('POST', `${s.t}/conversations/${chat.id}/route`, 200, {})).agentId, s.ben.id);
    });

    it('the dry run explains a decision and changes nothing', { skip }, async () => {
      const s = await setUp(w);
      const before = await w.api.ok('GET', `${s.t}/events`, 200);
      const sim = await w.api.ok('POST', `${s.t}/routing/simulate`, 200, {
        channelType: 'webchat', context: [{ name: 'customer.tier', type: 'string', value: 'gold' }],
      });
      assert.equal(sim.queueId, s.vip.id);
      assert.equal(sim.agentId, s.ana.id);
      assert.equal(sim.plan.priority, 5);
      assert.deepEqual(sim.ranked, [s.ana.id]);
      const plain = await w.api.ok('POST', `${s.t}/routing/simulate`, 200, { workstreamId: s.ws.id });
      assert.equal(plain.queueId, s.general.id);
      assert.deepEqual(plain.ranked, [s.ana.id, s.ben.id]);
      assert.deepEqual(plain.ineligibleByReason, { presence: 1 });
      const afterward = await w.api.ok('GET', `${s.t}/events`, 200);
      assert.deepEqual(afterward, before);
    });

    it('rejects bad routing configuration and bad agent actions with documented codes', { skip }, async () => {
      const s = await setUp(w);
      const bad = async (method: 'POST' | 'PUT' | 'PATCH' | 'DELETE', url: string, body: unknown, status: number, code: string) => {
        const r = await w.api.call(method, url, body);
        assert.equal(r.status, status, `${url}: ${JSON.stringify(r.body)}`);
        assertErrorBody(r.body, code);
        return r.body.error;
      };
      const wsBody = { name: 'Mail', channelTypes: ['email'], fallbackQueueId: s.general.id };
      const parse = await bad('POST', `${s.t}/workstreams`, { ...wsBody, routeRules: [{ id: 'r1', condition: 'customer.tier ==\n  and', queueId: s.vip.id }] }, 400, 'SB_ERR_INVALID_RULE');
      assert.equal(parse.details.line, 2);
      assert.equal(typeof parse.details.column, 'number');
      await bad('POST', `${s.t}/workstreams`, { ...wsBody, routeRules: [{ id: 'r1', condition: 'true', queueId: 'que_nope' }] }, 404, 'SB_ERR_QUEUE_NOT_FOUND');
      await bad('POST', `${s.t}/workstreams`, { ...wsBody, routeRules: [{ id: 'r1', condition: 'true', split: [{ queueId: s.vip.id, percent: 60 }, { queueId: s.general.id, percent: 30 }] }] }, 400, 'SB_ERR_INVALID_RULE');
      await bad('POST', `${s.t}/workstreams`, { ...wsBody, classificationRules: [{ id: 'c', condition: 'true', set: { requiredSkills: [{ skill: 'klingon', minProficiency: 3 }] } }] }, 400, 'SB_ERR_INVALID_RULE');
      await bad('POST', `${s.t}/workstreams`, { ...wsBody, channelTypes: ['webchat'] }, 400, 'SB_ERR_INVALID_WORKSTREAM');
      await bad('PATCH', `${s.t}/agents/${s.ana.id}`, { capacity: -1 }, 400, 'SB_ERR_VALIDATION');
      await bad('PATCH', `${s.t}/agents/${s.ana.id}`, { skills: { klingon: 3 } }, 400, 'SB_ERR_SKILL_NOT_FOUND');
      await bad('DELETE', `${s.t}/queues/${s.vip.id}`, undefined, 409, 'SB_ERR_QUEUE_IN_USE');
      await bad('PATCH', `${s.t}/queues/${s.general.id}`, { routing: { operatingHours: { timeZone: 'Mars/Olympus', weekly: [], holidays: [] } } }, 400, 'SB_ERR_INVALID_QUEUE_SETTINGS');
      await bad('PATCH', `${s.t}/queues/${s.general.id}`, { routing: { assignmentMethod: 'custom', customOrder: [] } }, 400, 'SB_ERR_INVALID_QUEUE_SETTINGS');

      const conv = await s.conversation();
      await w.api.ok('POST', `${s.t}/conversations/${conv.id}/route`, 200, {});
      const offer = (await pendingOffer(w.api, s.t, s.ana.id))!;
      await bad('POST', `${s.t}/conversations/${conv.id}/route`, {}, 409, 'SB_ERR_NOT_ROUTABLE');
      const manual = await bad('POST', `${s.t}/conversations/${conv.id}/state`, { to: 'active' }, 409, 'SB_ERR_ILLEGAL_TRANSITION');
      assert.equal(manual.details.routingStatus, 'offered', 'routing holds an offered conversation; only accept/reject move it');
      await bad('POST', `${s.t}/agents/${s.ben.id}/offers/${offer.id}/accept`, undefined, 403, 'SB_ERR_OFFER_NOT_YOURS');
      w.scheduler.advance(31_000);
      await w.server.routing.idle();
      await bad('POST', `${s.t}/agents/${s.ana.id}/offers/${offer.id}/accept`, undefined, 410, 'SB_ERR_OFFER_EXPIRED');
      await bad('POST', `${s.t}/agents/${s.ana.id}/offers/ofr_missing/accept`, undefined, 404, 'SB_ERR_OFFER_NOT_FOUND');
      // None of it changed the configuration.
      assert.equal((await w.api.ok('GET', `${s.t}/workstreams`, 200)).items.length, 1);
      assert.equal((await w.api.ok('GET', `${s.t}/queues/${s.general.id}`, 200)).version, 1);
      assert.equal((await w.api.ok('GET', `${s.t}/agents/${s.ana.id}`, 200)).capacity, 2);
    });
  });
}
