// Engine bugs found by the property tests (routing-engine.property.test.ts), each reduced to the
// few steps that show it, on the same real engine + SQLite world.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import Database from 'better-sqlite3';
import { SYSTEM_CALLER } from '../../../src/app/caller.js';
import { AgentIndex } from '../../../src/app/routing/agent-index.js';
import { createChannel } from '../../../src/app/use-cases/create-channel.js';
import { createConversation } from '../../../src/app/use-cases/create-conversation.js';
import { createWorkstream } from '../../../src/app/use-cases/create-workstream.js';
import { RoutingWorld, type WorldSpec } from './routing-world.js';

const workstream: WorldSpec['workstream'] = {
  cost: 1, offerTimeoutSeconds: 30, rejectionSkipSeconds: 60, missedOffersBeforeAway: 0, skillMatch: 'exact',
  allowedPresences: ['available'], wrapUpConsumesCapacity: false, relaxations: [], needs: [],
};

async function withWorld(spec: WorldSpec, body: (w: RoutingWorld) => Promise<void>): Promise<void> {
  const w = await RoutingWorld.create(spec);
  try {
    await body(w);
    await w.idle();
    assert.deepEqual(await w.violations(), []);
  } finally {
    await w.close();
  }
}

/** Routes a new conversation and, if it is offered, has the agent accept it. */
async function routeAndAccept(w: RoutingWorld, need: number): Promise<string> {
  const id = await w.newConversation({ topic: 0, need, vip: false });
  await w.route(id);
  await w.idle();
  const offer = w.db.offers().find((o) => o.conversationId === id && o.status === 'pending');
  assert.ok(offer, `${w.name(id)} was offered`);
  await w.accept(offer);
  return id;
}

const pendingFor = (w: RoutingWorld, conversationId: string) => w.db.offers().filter((o) => o.conversationId === conversationId && o.status === 'pending');

describe('routing engine regressions', () => {
  it('a queue has candidates while any member has a routable presence and free capacity, whatever one item needs', () => {
    const index = new AgentIndex(['available']);
    const agent = { id: 'a', presence: 'available' as const, capacity: 1, used: 0, skills: { english: 2 }, lastAssignedAt: null, attributes: {} };
    index.upsertAgent(agent);
    index.setQueue({ id: 'q', method: 'best-skill', memberIds: ['a'], lastRoundRobinId: null });
    const needsFrench = { cost: 1, requiredSkills: [{ skill: 'french', minProficiency: 1 }], match: 'exact' as const, relaxations: [], waitedSeconds: 0, allowedPresences: ['available' as const], excluded: new Set<string>() };
    assert.equal(index.select('q', needsFrench).visited, 0, 'the best-skill walk visits nobody for a skill nobody has');
    assert.equal(index.hasCandidates('q'), true);
    index.upsertAgent({ ...agent, used: 1 });
    assert.equal(index.hasCandidates('q'), false, 'full');
    index.upsertAgent({ ...agent, presence: 'offline' });
    assert.equal(index.hasCandidates('q'), false, 'offline');
    index.upsertAgent(agent);
    assert.equal(index.hasCandidates('q'), true);
    index.removeAgent('a');
    assert.equal(index.hasCandidates('q'), false, 'removed');
  });

  it('a freed agent still gets a later conversation when the first in line needs a skill nobody in a best-skill queue has', async () => {
    // The bug: `drain` stopped serving a queue at the first conversation whose walk visited nobody,
    // taking that for "no member is free". Best-skill walks only agents holding the item's skills,
    // so a conversation needing a skill nobody has hid every conversation behind it.
    await withWorld({
      agents: [{ capacity: 1, skills: { english: 2 }, presence: 'available', seniority: 1 }],
      queues: [{ method: 'best-skill', customOrder: [], priority: 0, members: [0] }],
      workstream: { ...workstream, needs: [[{ skill: 'english', minProficiency: 3 }], [{ skill: 'english', minProficiency: 1 }]] },
      seed: 1,
    }, async (w) => {
      const busy = await routeAndAccept(w, 1);
      const unservable = await w.newConversation({ topic: 0, need: 0, vip: false });
      await w.route(unservable);
      const servable = await w.newConversation({ topic: 0, need: 1, vip: false });
      await w.route(servable);
      await w.changeState(busy, 'closed');
      await w.idle();
      assert.equal(pendingFor(w, unservable).length, 0);
      assert.deepEqual(pendingFor(w, servable).map((o) => w.name(o.agentId)), ['a0']);
    });
  });

  it('a freed agent still gets a cheaper conversation waiting behind one that costs more than it has free (highest capacity)', async () => {
    // The same early stop, through cost: highest-capacity stops walking below the item's cost, so a
    // cost-2 conversation first in line hid a cost-1 one that the agent's one free unit could take.
    await withWorld({
      agents: [{ capacity: 2, skills: {}, presence: 'available', seniority: 1 }],
      queues: [{ method: 'highest-capacity', customOrder: [], priority: 0, members: [0] }],
      workstream,
      seed: 2,
    }, async (w) => {
      const email = await createChannel(w.deps, SYSTEM_CALLER, w.tenantId, { type: 'email', name: 'Mail' });
      await createWorkstream(w.deps, SYSTEM_CALLER, w.tenantId, { name: 'Mail', channelTypes: ['email'], cost: 2, fallbackQueueId: w.queueIds[0]!, allowedPresences: ['available'] });
      const first = await routeAndAccept(w, -1);
      await routeAndAccept(w, -1);
      const costly = (await createConversation(w.deps, SYSTEM_CALLER, w.tenantId, { channelId: email.id, customer: { address: 'mail@example.com' } })).conversation.id;
      await w.route(costly);
      const cheap = await w.newConversation({ topic: 0, need: -1, vip: false });
      await w.route(cheap);
      await w.changeState(first, 'closed');
      await w.idle();
      assert.equal(pendingFor(w, costly).length, 0, 'one free unit cannot take a cost of 2');
      assert.deepEqual(pendingFor(w, cheap).map((o) => w.name(o.agentId)), ['a0']);
    });
  });

  it('an offer that expires while the customer abandons the conversation is not reported as a failed routing step', async () => {
    // The bug: the expiry timer read the offer as pending, the abandon withdrew it, and the expiry's
    // conditional write then threw SB_ERR_OFFER_RESOLVED to onError (logged as a failed step).
    await withWorld({
      agents: [{ capacity: 1, skills: {}, presence: 'available', seniority: 1 }],
      queues: [{ method: 'round-robin', customOrder: [], priority: 0, members: [0] }],
      workstream: { ...workstream, offerTimeoutSeconds: 5 },
      seed: 3,
    }, async (w) => {
      const id = await w.newConversation({ topic: 0, need: -1, vip: false });
      await w.route(id);
      await w.idle();
      assert.equal(pendingFor(w, id).length, 1);
      const abandoning = w.changeState(id, 'abandoned');
      w.advance(5_000); // the offer's timer fires while the abandon is in flight
      await abandoning;
      await w.idle();
      assert.deepEqual(w.backgroundErrors, []);
      assert.deepEqual(w.db.offers().map((o) => o.status), ['withdrawn']);
    });
  });

  it('answers that arrive together are committed together, each checked on its own: a duplicate or a foreign one fails alone', async () => {
    await withWorld({
      agents: [0, 1, 2].map((seniority) => ({ capacity: 2, skills: {}, presence: 'available' as const, seniority })),
      queues: [{ method: 'round-robin', customOrder: [], priority: 0, members: [0, 1, 2] }],
      workstream,
      seed: 5,
    }, async (w) => {
      const ids: string[] = [];
      for (let i = 0; i < 6; i += 1) {
        ids.push(await w.newConversation({ topic: 0, need: -1, vip: false }));
        await w.route(ids[i]!);
      }
      await w.idle();
      const offers = ids.map((id) => pendingFor(w, id)[0]!);
      assert.equal(offers.filter(Boolean).length, 6, 'every agent holds two offers');
      // A connection of the test's own: PRAGMA data_version moves when another connection commits,
      // so the answers' events all seeing one value means they were made durable by one COMMIT.
      const observer = new Database(w.databasePath, { readonly: true });
      const versions = new Map<string, number>();
      const off = w.bus.subscribe((event) => {
        if (event.type === 'routing.offer_accepted' || event.type === 'routing.offer_rejected') {
          versions.set(String(event.payload.offerId), Number(observer.pragma('data_version', { simple: true })));
        }
      });
      try {
        const stranger = offers.find((o) => o.agentId !== offers[1]!.agentId)!.agentId;
        const results = await Promise.allSettled([
          ...offers.slice(0, 4).map((o) => w.engine.accept(SYSTEM_CALLER, w.tenantId, o.id, o.agentId)),
          ...offers.slice(4).map((o) => w.engine.reject(SYSTEM_CALLER, w.tenantId, o.id, o.agentId, 'busy')),
          w.engine.accept(SYSTEM_CALLER, w.tenantId, offers[0]!.id, offers[0]!.agentId), // again
          w.engine.accept(SYSTEM_CALLER, w.tenantId, offers[1]!.id, stranger), // not theirs
        ]);
        assert.deepEqual(results.slice(0, 6).map((r) => r.status === 'fulfilled' ? r.value.status : (r.reason as Error).message),
          ['accepted', 'accepted', 'accepted', 'accepted', 'rejected', 'rejected']);
        assert.deepEqual(results.slice(6).map((r) => r.status === 'rejected' && (r.reason as { code?: string }).code), ['SB_ERR_OFFER_RESOLVED', 'SB_ERR_OFFER_NOT_YOURS']);
        await w.idle();
        assert.equal(versions.size, 6, 'one event per answer that held');
        assert.equal(new Set(versions.values()).size, 1, `the six answers shared one commit (data_version seen: ${[...versions.values()].join(', ')})`);
        const states = w.db.offers().filter((o) => offers.some((x) => x.id === o.id)).map((o) => o.status).sort();
        assert.deepEqual(states, ['accepted', 'accepted', 'accepted', 'accepted', 'rejected', 'rejected']);
      } finally {
        off();
        observer.close();
      }
    });
  });

  it('an accept and a reject of one agent in the same batch leave its missed offers at what the accept stored', async () => {
    // The bug: the reject's state update wrote back the missed-offer count it had read before the
    // batch, undoing the accept's reset in the engine's memory (the database said 0).
    await withWorld({
      agents: [{ capacity: 3, skills: {}, presence: 'available', seniority: 1 }],
      queues: [{ method: 'round-robin', customOrder: [], priority: 0, members: [0] }],
      workstream: { ...workstream, missedOffersBeforeAway: 5 },
      seed: 7,
    }, async (w) => {
      const missed = await w.newConversation({ topic: 0, need: -1, vip: false });
      await w.route(missed);
      await w.idle();
      w.advance(30_000); // its offer times out: one missed offer
      await w.idle();
      const [b, c] = [await w.newConversation({ topic: 0, need: -1, vip: false }), await w.newConversation({ topic: 0, need: -1, vip: false })];
      await w.route(b);
      await w.route(c);
      await w.idle();
      const agentId = w.agentIds[0]!;
      const inMemory = () => w.engine.inspect(SYSTEM_CALLER, w.tenantId, 'routing.read', (state) => state.agents.get(agentId)?.missedOffers);
      assert.equal(await inMemory(), 1);
      const [ob, oc] = [pendingFor(w, b)[0]!, pendingFor(w, c)[0]!];
      await Promise.all([w.engine.accept(SYSTEM_CALLER, w.tenantId, ob.id, agentId), w.engine.reject(SYSTEM_CALLER, w.tenantId, oc.id, agentId, 'busy')]);
      await w.idle();
      assert.equal(await inMemory(), 0);
    });
  });

  it('the offers of one pass commit together, and the oracle checks each against the state right before it', async () => {
    await withWorld({
      agents: [{ capacity: 3, skills: {}, presence: 'offline', seniority: 1 }, { capacity: 2, skills: {}, presence: 'offline', seniority: 2 }],
      queues: [{ method: 'round-robin', customOrder: [], priority: 0, members: [0, 1] }],
      workstream,
      seed: 9,
    }, async (w) => {
      const ids: string[] = [];
      for (let i = 0; i < 4; i += 1) {
        ids.push(await w.newConversation({ topic: 0, need: -1, vip: false }));
        await w.route(ids[i]!);
      }
      await w.idle();
      assert.equal(w.db.offers().length, 0, 'nobody is signed in');
      const observer = new Database(w.databasePath, { readonly: true });
      const versions: number[] = [];
      const off = w.bus.subscribe((event) => {
        if (event.type === 'routing.offered') versions.push(Number(observer.pragma('data_version', { simple: true })));
      });
      try {
        await w.presence(w.agentIds[0]!, 'available'); // one drain: three offers to the only agent signed in
        await w.idle();
        await w.presence(w.agentIds[1]!, 'available'); // the fourth
        await w.idle();
      } finally {
        off();
        observer.close();
      }
      assert.deepEqual(w.db.offers().map((o) => w.name(o.agentId)), ['a0', 'a0', 'a0', 'a1']);
      assert.equal(versions.length, 4);
      assert.equal(new Set(versions.slice(0, 3)).size, 1, `the first three offers shared one commit (data_version seen: ${versions.join(', ')})`);
      assert.equal(w.decisionsShared, 3);
      assert.equal(w.decisionsChecked, 4);
      assert.deepEqual(w.mismatches, []);
    });
  });

  it('when one offer of a pass finds the database moved on, none of the pass commits and the pass is made again one by one', async () => {
    await withWorld({
      agents: [{ capacity: 2, skills: {}, presence: 'offline', seniority: 1 }, { capacity: 1, skills: {}, presence: 'offline', seniority: 2 }],
      queues: [{ method: 'round-robin', customOrder: [], priority: 0, members: [0, 1] }],
      workstream,
      seed: 11,
    }, async (w) => {
      const [a0, a1] = [w.agentIds[0]!, w.agentIds[1]!];
      const ids: string[] = [];
      for (let i = 0; i < 3; i += 1) {
        ids.push(await w.newConversation({ topic: 0, need: -1, vip: false }));
        await w.route(ids[i]!);
      }
      await w.idle();
      // Another node signed a0 in and gave it a conversation, and its events have not arrived:
      // the row says available with 1 of 2 in use, the engine's memory available with 2 free.
      const writer = new Database(w.databasePath);
      writer.prepare("UPDATE agents SET presence = 'available', used_capacity = 1 WHERE id = ?").run(a0);
      await w.engine.inspect(SYSTEM_CALLER, w.tenantId, 'routing.read', (state) => state.putAgent({ ...state.agents.get(a0)!, presence: 'available' }));
      const firstId = Number(w.deps.ids.next('probe').split('_')[1]);
      // a1 signs in: one pass offers c0 to a0, c1 to a1, c2 to a0 again, and the last finds a0 full.
      await w.presence(a1, 'available');
      await w.idle();
      assert.deepEqual(w.backgroundErrors, []);
      const offers = w.db.offers();
      assert.deepEqual(offers.map((o) => `${w.name(o.conversationId)}:${w.name(o.agentId)}:${o.status}`), ['c0:a0:pending', 'c1:a1:pending']);
      assert.ok(Number(offers[0]!.id.split('_')[1]) > firstId + 3, 'the pass of three offers was tried first and left nothing');
      assert.equal([...w.db.decisionKinds().values()].flat().filter((k) => k === 'offered').length, 2);
      assert.equal(w.db.events().filter((e) => e.type === 'routing.offered').length, 2);
      assert.deepEqual(w.mismatches, []);
      // The other node gives its conversation back; a0's next events (busy withdraws its offer)
      // make the engine read a0 again, and a0 holds two conversations.
      writer.prepare('UPDATE agents SET used_capacity = used_capacity - 1 WHERE id = ?').run(a0);
      writer.close();
      await w.presence(a0, 'busy');
      await w.presence(a0, 'available');
      await w.idle();
      assert.deepEqual(w.db.offers().filter((o) => o.status === 'pending').map((o) => `${w.name(o.conversationId)}:${w.name(o.agentId)}`).sort(), ['c0:a0', 'c1:a1', 'c2:a0']);
    });
  });
});
