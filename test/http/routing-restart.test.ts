// A restart in the middle of offers, on SQLite and PostgreSQL: a Switchboard routes conversations,
// stops with offers pending and conversations waiting, and a new one starts on the same database.
// The routing engine keeps its lines, timers and capacity view in memory only, so everything it
// knows after the restart must come from the database: offers that ran out while it was down
// expire on start, the others resume with their timers, and no conversation is lost or doubled.
// The first server closes in order (its timers die with it, its offers stay pending in the
// database); a SIGKILL of a real process, for stored data, is covered by crash.test.ts.
import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { ManualClock } from '../../src/app/ports/fakes/manual-clock.js';
import { ManualScheduler, SeededRandom } from '../../src/app/ports/fakes/manual-scheduler.js';
import type { SwitchboardEvent } from '../../src/core/model.js';
import { postgresSkip } from '../support/postgres.js';
import { startTestServer, type TestServer } from '../support/test-server.js';
import { client, type Client } from './http-helpers.js';

const T0 = Date.UTC(2026, 10, 23, 10, 0, 0); // a Monday, 10:00 UTC
const iso = (s: number): string => new Date(T0 + s * 1000).toISOString();

interface Run {
  server: TestServer;
  api: Client;
  clock: ManualClock;
  scheduler: ManualScheduler;
}

/** One process lifetime: a server with its own manual clock (starting `atSecond` after T0) and scheduler. */
function overridesAt(atSecond: number) {
  const clock = new ManualClock(T0 + atSecond * 1000);
  return { clock, scheduler: new ManualScheduler(clock), random: new SeededRandom(11) };
}

async function boot(database: 'sqlite' | 'postgres'): Promise<Run> {
  const o = overridesAt(0);
  const server = await startTestServer({ database, overrides: o });
  return { server, api: client(server.app, server.auth), clock: o.clock, scheduler: o.scheduler };
}

async function restart(run: Run, atSecond: number): Promise<Run> {
  const o = overridesAt(atSecond);
  const server = await run.server.restart(o);
  return { server, api: client(server.app, server.auth), clock: o.clock, scheduler: o.scheduler };
}

/**
 * A tenant with two queues. French conversations go to "French" (Ana, capacity 2, and Eve,
 * capacity 1; highest free capacity first), the rest to "General" (Ben, Cy and Dee, capacity 1
 * each, round robin in that order; Dee starts offline). Offers last 30 s; an agent who lets one
 * time out is skipped for that conversation for 120 s; missed offers never set anyone away.
 * With `spillAfterSeconds`, General moves a conversation that waited that long to "Spill", where
 * Hal (capacity 5) takes it.
 */
async function setUp(run: Run, options: { spillAfterSeconds?: number } = {}) {
  const { api } = run;
  const tenant = await api.ok('POST', '/v1/tenants', 201, { name: 'Restart' });
  const t = `/v1/tenants/${tenant.id}`;
  const agent = (displayName: string, capacity: number, presence = 'available') =>
    api.ok('POST', `${t}/agents`, 201, { kind: 'human', displayName, capacity, presence });
  const [ana, eve, ben, cy, dee, hal] = [
    await agent('Ana', 2), await agent('Eve', 1), await agent('Ben', 1), await agent('Cy', 1), await agent('Dee', 1, 'offline'), await agent('Hal', 5),
  ];
  const spill = await api.ok('POST', `${t}/queues`, 201, { name: 'Spill', memberIds: [hal.id] });
  const overflow = options.spillAfterSeconds === undefined ? [] : [
    { id: 'slow', when: { kind: 'wait-exceeds', seconds: options.spillAfterSeconds }, then: { kind: 'transfer', queueId: spill.id } },
  ];
  const general = await api.ok('POST', `${t}/queues`, 201, { name: 'General', memberIds: [ben.id, cy.id, dee.id], routing: { assignmentMethod: 'round-robin', overflow } });
  const french = await api.ok('POST', `${t}/queues`, 201, { name: 'French', memberIds: [ana.id, eve.id], routing: { assignmentMethod: 'highest-capacity' } });
  const channel = await api.ok('POST', `${t}/channels`, 201, { type: 'webchat', name: 'Chat' });
  await api.ok('POST', `${t}/workstreams`, 201, {
    name: 'Chat', channelTypes: ['webchat'], fallbackQueueId: general.id, offerTimeoutSeconds: 30, rejectionSkipSeconds: 120, missedOffersBeforeAway: 0,
    routeRules: [{ id: 'french', condition: 'customer.lang == "fr"', queueId: french.id }],
  });
  let n = 0;
  const route = async (lang = 'en'): Promise<string> => {
    const conv = await api.ok('POST', `${t}/conversations`, 201, {
      channelId: channel.id, customer: { address: `visitor-${++n}` }, context: { 'customer.lang': { type: 'string', value: lang } },
    });
    await api.ok('POST', `${t}/conversations/${conv.id}/route`, 200, {});
    return conv.id as string;
  };
  return { tenantId: tenant.id as string, t, ana, eve, ben, cy, dee, hal, general, french, spill, route };
}

type World = Awaited<ReturnType<typeof setUp>>;

/** The routing rows of the tenant, straight from the database the servers share. */
async function stored(run: Run, w: World) {
  const r = run.server.deps.storage.read;
  return {
    items: await r.routing.listRoutingItems(w.tenantId, ['waiting', 'offered', 'assigned', 'ended']),
    offers: await r.routing.listOffers(w.tenantId, {}),
    agents: await r.listAgents(w.tenantId),
    conversations: await r.listConversations(w.tenantId, {}, { limit: 100 }),
  };
}

type Stored = Awaited<ReturnType<typeof stored>>;
const itemOf = (s: Stored, conversationId: string) => s.items.find((i) => i.conversationId === conversationId);
const pendingOf = (s: Stored, conversationId: string) => s.offers.filter((o) => o.conversationId === conversationId && o.status === 'pending');

async function eventsAfter(run: Run, w: World, afterId: number): Promise<SwitchboardEvent[]> {
  return run.server.deps.storage.read.readEvents(w.tenantId, afterId, 10_000);
}

/**
 * What must hold whatever happened: one pending offer at most per conversation, held by the item
 * that is offered; conversation states in step with items; each agent's used capacity equal to the
 * cost of the items it holds; every routed conversation still somewhere in routing.
 */
async function assertConsistent(run: Run, w: World, routed: readonly string[]): Promise<void> {
  const s = await stored(run, w);
  const pending = s.offers.filter((o) => o.status === 'pending');
  for (const id of routed) {
    const item = itemOf(s, id);
    assert.ok(item && item.status !== 'ended', `conversation ${id} is still in routing`);
    const offers = pendingOf(s, id);
    assert.ok(offers.length <= 1, `conversation ${id} has ${offers.length} pending offers`);
    const state = s.conversations.find((c) => c.id === id)?.state;
    if (item.status === 'offered') {
      assert.equal(offers.length, 1, `offered conversation ${id} has its pending offer`);
      assert.equal(offers[0]!.id, item.offerId);
      assert.equal(offers[0]!.agentId, item.agentId);
      assert.equal(state, 'offered');
    } else {
      assert.equal(offers.length, 0, `${item.status} conversation ${id} has no pending offer`);
      assert.equal(state, item.status === 'waiting' ? 'queued' : 'active', `conversation ${id} (${item.status})`);
    }
  }
  assert.equal(pending.length, s.items.filter((i) => i.status === 'offered').length, 'no pending offer without an offered item');
  for (const agent of s.agents) {
    const held = s.items.filter((i) => i.agentId === agent.id && (i.status === 'offered' || i.status === 'assigned')).reduce((sum, i) => sum + i.cost, 0);
    assert.equal(agent.usedCapacity, held, `${agent.displayName} uses the capacity of the items it holds`);
  }
}

/** Each offer was announced once and, if resolved, resolved once: nothing replayed twice. */
async function assertNoDuplicateEvents(run: Run, w: World): Promise<void> {
  const events = await eventsAfter(run, w, 0);
  const count = (type: string, offerId: string) =>
    events.filter((e) => e.type === type && ((e.payload.offer as { id?: string } | undefined)?.id ?? e.payload.offerId) === offerId).length;
  for (const offer of (await stored(run, w)).offers) {
    assert.equal(count('routing.offered', offer.id), 1, `offer ${offer.id} announced once`);
    const resolutions = ['routing.offer_accepted', 'routing.offer_rejected', 'routing.offer_timed_out'].reduce((sum, type) => sum + count(type, offer.id), 0);
    assert.equal(resolutions, offer.status === 'pending' || offer.status === 'withdrawn' ? 0 : 1, `offer ${offer.id} (${offer.status}) resolved once`);
  }
}

for (const database of ['sqlite', 'postgres'] as const) {
  describe(`routing across a restart (${database})`, async () => {
    const skip = database === 'postgres' ? await postgresSkip() : false;
    const servers: TestServer[] = [];
    after(async () => {
      for (const server of servers) await server.stop();
    });

    it('expires offers that ran out while down, resumes the others with their timers, and serves the waiting line', { skip }, async () => {
      let run = await boot(database);
      servers.push(run.server);
      const w = await setUp(run);

      // Before the restart: c1 (French) offered to Ana at 0 s; c2 to Ben at 20 s, c3 to Cy at 21 s; c4, c5 wait.
      const c1 = await w.route('fr');
      run.scheduler.advance(20_000);
      const c2 = await w.route();
      run.scheduler.advance(1_000);
      const c3 = await w.route();
      run.scheduler.advance(1_000);
      const c4 = await w.route();
      run.scheduler.advance(1_000);
      const c5 = await w.route();
      await run.server.routing.idle();
      const routed = [c1, c2, c3, c4, c5];
      let s = await stored(run, w);
      const [o1, o2, o3] = [pendingOf(s, c1)[0]!, pendingOf(s, c2)[0]!, pendingOf(s, c3)[0]!];
      assert.deepEqual([o1.agentId, o2.agentId, o3.agentId], [w.ana.id, w.ben.id, w.cy.id]);
      assert.deepEqual([o1.expiresAt, o2.expiresAt, o3.expiresAt], [iso(30), iso(50), iso(51)]);
      assert.deepEqual([itemOf(s, c4)?.status, itemOf(s, c5)?.status], ['waiting', 'waiting']);
      await assertConsistent(run, w, routed);
      // The web chat queue announcer answers routing events after them ("number 2 in line"): let it finish first.
      const lastEventBefore = await quietLog(run, w.tenantId);

      // Down from 23 s to 40 s: Ana's offer (30 s) runs out meanwhile, Ben's (50 s) and Cy's (51 s) do not.
      const oldScheduler = run.scheduler;
      run = await restart(run, 40);
      servers.push(run.server);
      assert.equal(oldScheduler.pending(), 0, 'the old process’s timers died with it');
      await run.server.routing.idle();

      // (a) Expired on start: timed out, capacity back, and the conversation offered to the next eligible agent.
      s = await stored(run, w);
      assert.deepEqual(s.offers.find((o) => o.id === o1.id), { ...o1, status: 'timed_out', resolvedAt: iso(40) });
      const o1b = pendingOf(s, c1)[0];
      assert.ok(o1b, 'c1 is offered again at once');
      assert.equal(o1b.agentId, w.eve.id, 'to Eve: Ana let it time out and is skipped');
      assert.deepEqual([o1b.createdAt, o1b.expiresAt], [iso(40), iso(70)]);
      const ana = s.agents.find((a) => a.id === w.ana.id)!;
      assert.equal(ana.usedCapacity, 0);
      assert.equal(ana.missedOffers, 0, 'it expired while no engine ran: not counted against Ana');
      const onStart = await eventsAfter(run, w, lastEventBefore);
      const c1Events = onStart.filter((e) => e.conversationId === c1).map((e) => [e.type, e.occurredAt]);
      assert.deepEqual(c1Events, [
        ['conversation.state_changed', iso(40)], ['routing.offer_timed_out', iso(40)], ['conversation.state_changed', iso(40)], ['routing.offered', iso(40)],
      ]);
      const moves = onStart.filter((e) => e.type === 'conversation.state_changed').map((e) => [e.payload.from, e.payload.to]);
      assert.deepEqual(moves, [['offered', 'queued'], ['queued', 'offered']]);
      assert.ok(onStart.every((e) => e.conversationId === c1), `nothing else happened on start: ${onStart.map((e) => e.type).join(', ')}`);
      // The offers still in time are untouched, and c4, c5 still wait (General has nobody free).
      assert.deepEqual(s.offers.find((o) => o.id === o2.id), o2);
      assert.deepEqual(s.offers.find((o) => o.id === o3.id), o3);
      assert.deepEqual([itemOf(s, c4)?.status, itemOf(s, c5)?.status], ['waiting', 'waiting']);
      await assertConsistent(run, w, routed);

      // (b) A resumed offer can be accepted on the new server ...
      const accepted = await run.api.ok('POST', `${w.t}/agents/${w.ben.id}/offers/${o2.id}/accept`, 200);
      assert.equal(accepted.status, 'accepted');
      assert.equal((await run.api.ok('GET', `${w.t}/conversations/${c2}`, 200)).state, 'active');
      await run.api.ok('POST', `${w.t}/agents/${w.eve.id}/offers/${o1b.id}/accept`, 200);
      // ... and one left alone times out by the new scheduler: Cy's at 51 s. c3 waits (Cy skipped), c4 goes to Cy.
      run.scheduler.advance(11_000);
      await run.server.routing.idle();
      s = await stored(run, w);
      assert.equal(s.offers.find((o) => o.id === o3.id)?.status, 'timed_out');
      assert.equal(s.offers.find((o) => o.id === o3.id)?.resolvedAt, iso(51));
      assert.equal(itemOf(s, c3)?.status, 'waiting');
      assert.equal(pendingOf(s, c4)[0]?.agentId, w.cy.id, 'the freed agent takes the next one in line');
      assert.equal(itemOf(s, c5)?.status, 'waiting');
      await assertConsistent(run, w, routed);

      // (c) Waiting conversations are served as agents become free after the restart.
      await run.api.ok('PUT', `${w.t}/agents/${w.dee.id}/presence`, 200, { presence: 'available' });
      await run.server.routing.idle();
      s = await stored(run, w);
      assert.equal(pendingOf(s, c3)[0]?.agentId, w.dee.id, 'Dee signs in and gets the head of the line');
      assert.equal(itemOf(s, c5)?.status, 'waiting');
      await run.api.ok('POST', `${w.t}/conversations/${c2}/state`, 200, { to: 'closed' });
      await run.server.routing.idle();
      s = await stored(run, w);
      assert.equal(pendingOf(s, c5)[0]?.agentId, w.ben.id, 'Ben finishes c2 and gets c5');
      await assertConsistent(run, w, routed.filter((id) => id !== c2));
      await assertNoDuplicateEvents(run, w);

      // A second restart while nothing has run out finds a consistent database and writes nothing.
      const before = await stored(run, w);
      const lastEvent = await run.server.deps.storage.read.latestEventId(w.tenantId);
      run = await restart(run, 62);
      servers.push(run.server);
      await run.server.routing.idle();
      assert.deepEqual(await stored(run, w), before);
      assert.equal(await run.server.deps.storage.read.latestEventId(w.tenantId), lastEvent, 'no event on a clean resume');
      // The re-armed timers fire at the offers' own expiry: c3 (Dee), c4 (Cy) and c5 (Ben) were offered at 51 s.
      const offeredAt51 = before.offers.filter((o) => o.status === 'pending');
      assert.deepEqual(offeredAt51.map((o) => [o.conversationId, o.expiresAt]).sort(), [[c3, iso(81)], [c4, iso(81)], [c5, iso(81)]].sort());
      run.scheduler.advance(19_000);
      await run.server.routing.idle();
      s = await stored(run, w);
      for (const o of offeredAt51) assert.deepEqual(s.offers.find((x) => x.id === o.id), { ...o, status: 'timed_out', resolvedAt: iso(81) });
      await assertConsistent(run, w, routed.filter((id) => id !== c2));
      await assertNoDuplicateEvents(run, w);
    });

    // Overflow after 300 s of waiting in General (from 10 s, so due at 310 s), with the restart before or after that moment.
    for (const { restartAt, when } of [{ restartAt: 60, when: 'falls due after the restart' }, { restartAt: 400, when: 'fell due while the server was down' }]) {
      it(`moves every waiting conversation whose overflow ${when}`, { skip }, async () => {
        let run = await boot(database);
        servers.push(run.server);
        const w = await setUp(run, { spillAfterSeconds: 300 });
        const busy = [await w.route(), await w.route()];
        for (const [i, id] of busy.entries()) {
          const offer = pendingOf(await stored(run, w), id)[0]!;
          assert.equal(offer.agentId, [w.ben.id, w.cy.id][i]);
          await run.api.ok('POST', `${w.t}/agents/${offer.agentId}/offers/${offer.id}/accept`, 200);
        }
        run.scheduler.advance(10_000);
        const waiting = [await w.route(), await w.route(), await w.route()]; // General is full: all three wait from 10 s
        await run.server.routing.idle();

        run = await restart(run, restartAt);
        servers.push(run.server);
        await run.server.routing.idle();
        if (restartAt < 310) {
          run.scheduler.advance((310 - restartAt) * 1000);
          await run.server.routing.idle();
        }
        const s = await stored(run, w);
        assert.deepEqual(
          waiting.map((id) => [id, itemOf(s, id)?.queueId, itemOf(s, id)?.status, pendingOf(s, id)[0]?.agentId]),
          waiting.map((id) => [id, w.spill.id, 'offered', w.hal.id]),
          'each moved to Spill and offered to Hal',
        );
        const moved = (await eventsAfter(run, w, 0)).filter((e) => e.type === 'routing.overflowed' && waiting.includes(e.conversationId!));
        assert.deepEqual(moved.map((e) => e.conversationId), waiting, 'each moved once');
        assert.deepEqual([...new Set(moved.map((e) => e.occurredAt))], [iso(Math.max(restartAt, 310))]);
        await assertConsistent(run, w, [...busy, ...waiting]);
      });
    }

    it('starts even when one conversation’s rows disagree, and resumes all the others', { skip }, async () => {
      let run = await boot(database);
      servers.push(run.server);
      const w = await setUp(run);
      const [odd, fine] = [await w.route(), await w.route()]; // offered to Ben and Cy until 30 s
      // Rows that disagree (the API refuses to move a conversation routing holds, so this writes
      // the database directly, as a faulty node or a hand edit would): the conversation is active,
      // its routing item still offered.
      const tenantId = w.t.split('/').pop()!;
      await run.server.deps.storage.transaction((tx) => tx.updateConversationState(tenantId, odd, 'offered', 'active', new Date(run.clock.now()).toISOString()));
      const before = await stored(run, w);

      run = await restart(run, 40);
      servers.push(run.server);
      await run.server.routing.idle();
      const s = await stored(run, w);
      const fineOffer = before.offers.find((o) => o.conversationId === fine)!;
      assert.deepEqual(s.offers.find((o) => o.id === fineOffer.id), { ...fineOffer, status: 'timed_out', resolvedAt: iso(40) });
      assert.deepEqual(itemOf(s, odd), itemOf(before, odd), 'the odd one is left for an operator, unchanged');
      assert.equal((await run.api.ok('GET', '/readyz', 200)).status, 'ready');
    });
  });
}

/** The last event id once the log has been still for a moment (followers of routing events are done). */
async function quietLog(run: { server: { deps: { storage: { read: { latestEventId(t: string): Promise<number> } } } } }, tenantId: string): Promise<number> {
  let last = await run.server.deps.storage.read.latestEventId(tenantId);
  for (;;) {
    await new Promise((resolve) => setTimeout(resolve, 250));
    const now = await run.server.deps.storage.read.latestEventId(tenantId);
    if (now === last) return now;
    last = now;
  }
}
