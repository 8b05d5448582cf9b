import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { SYSTEM_CALLER } from '../../src/app/caller.js';
import type { RoutingTx } from '../../src/app/ports/routing-storage.js';
import { createAgent, type CreateAgentInput } from '../../src/app/use-cases/create-agent.js';
import { createChannel } from '../../src/app/use-cases/create-channel.js';
import { createConversation } from '../../src/app/use-cases/create-conversation.js';
import { createQueue } from '../../src/app/use-cases/create-queue.js';
import { createTenant } from '../../src/app/use-cases/create-tenant.js';
import type { Agent, Conversation, Queue } from '../../src/core/model.js';
import type { Presence } from '../../src/core/routing/agent-selection.js';
import {
  DEFAULT_QUEUE_ROUTING, ITEM_STATUSES, type Offer, type QueueRouting, type RoutingDecision, type RoutingItem, type Workstream,
} from '../../src/core/routing/routing-model.js';
import type { StorageHarness } from './storage-contract.js';
import { closeHarness, openMigrated, type ContractDeps } from './contract-harness.js';

const BASE = Date.UTC(2026, 0, 1, 9, 0, 0);
/** An instant `s` seconds after the base, as the ISO text the ports use for timestamps. */
const at = (s: number): string => new Date(BASE + s * 1000).toISOString();
/** The same instant as epoch ms, as routing items hold their times. */
const ms = (s: number): number => BASE + s * 1000;

/**
 * The behaviour every Storage adapter must have for routing (`storage.read.routing`, `tx.routing`).
 * The conditional writes are what keep two routing nodes from offering one conversation twice or
 * overfilling an agent, so each is checked both ways: it changes the row when the row is as the
 * caller believed, and changes nothing (and says so) otherwise, including under real concurrency.
 */
export function routingStorageContract(name: string, open: () => Promise<StorageHarness>, skip: false | string = false): void {
  describe(`Routing storage contract: ${name}`, { skip }, () => {
    let harness: StorageHarness;
    let deps: ContractDeps;
    const caller = SYSTEM_CALLER;

    before(async () => {
      ({ harness, deps } = await openMigrated(open, BASE));
    });
    after(() => closeHarness(harness));

    const reads = () => harness.storage.read.routing;
    const write = <T>(work: (routing: RoutingTx) => Promise<T>): Promise<T> => harness.storage.transaction((tx) => work(tx.routing));

    async function tenantWorld(name = 'Acme') {
      const tenant = await createTenant(deps, caller, { name });
      const channel = await createChannel(deps, caller, tenant.id, { type: 'webchat', name: 'Site' });
      const newAgent = (input: Partial<CreateAgentInput> = {}): Promise<Agent> =>
        createAgent(deps, caller, tenant.id, { kind: 'human', displayName: 'Agent', presence: 'available', ...input });
      const newQueue = (memberIds: string[] = [], priority = 0): Promise<Queue> =>
        createQueue(deps, caller, tenant.id, { name: `Queue ${deps.ids.next('n')}`, priority, memberIds });
      const newConversation = async (): Promise<Conversation> =>
        (await createConversation(deps, caller, tenant.id, { channelId: channel.id, customer: { address: deps.ids.next('visitor') } })).conversation;
      return { tenant, tenantId: tenant.id, channel, newAgent, newQueue, newConversation };
    }

    function workstreamOf(tenantId: string, fallbackQueueId: string, routeQueueIds: readonly string[], patch: Partial<Workstream> = {}): Workstream {
      return {
        id: deps.ids.next('wst'), tenantId, name: 'Chat', channelTypes: ['webchat', 'email'], mode: 'push',
        allowedPresences: ['available', 'busy'], cost: 2, capacityProfiles: { video: 3 }, wrapUpConsumesCapacity: true, offerTimeoutSeconds: 45,
        rejectionSkipSeconds: 90, missedOffersBeforeAway: 3, waitingOrder: 'last-customer-message', skillMatch: 'closest',
        relaxations: [{ afterSeconds: 60, dropSkills: ['billing'] }, { afterSeconds: 300, dropSkills: ['french', 'vip'] }],
        preferredAgentVariable: 'crm.owner', preferredAgentSeconds: 120,
        classificationRules: [
          { id: 'gold', condition: 'customer.tier == "gold"', set: { priority: 5, requiredSkills: [{ skill: 'billing', minProficiency: 4 }] } },
          { id: 'tag', condition: 'true', set: { capacityProfile: 'heavy', variables: [{ name: 'routed.by', type: 'string', value: 'rule «tag»' }] } },
        ],
        routeRules: [
          { id: 'first', condition: 'cart.total > 100', queueId: routeQueueIds[0]! },
          { id: 'split', condition: 'true', split: routeQueueIds.map((queueId, i) => ({ queueId, percent: i === 0 ? 100 - 10 * (routeQueueIds.length - 1) : 10 })) },
        ],
        fallbackQueueId, version: 1, createdAt: at(0), updatedAt: at(0), ...patch,
      };
    }

    function itemOf(tenantId: string, conversationId: string, workstreamId: string, queueId: string, patch: Partial<RoutingItem> = {}): RoutingItem {
      return {
        conversationId, tenantId, workstreamId, queueId, status: 'waiting', priority: 3,
        requiredSkills: [{ skill: 'english', minProficiency: 5 }, { skill: 'billing', minProficiency: 2 }], cost: 1,
        enteredAt: ms(1), orderAt: ms(2), preferredAgentId: null, preferredUntil: null, excluded: {}, overflowApplied: [],
        skillsDropped: false, callbackRequestedAt: null, agentId: null, offerId: null, updatedAt: ms(3), ...patch,
      };
    }

    function offerOf(tenantId: string, conversationId: string, agentId: string, queueId: string, createdS: number, patch: Partial<Offer> = {}): Offer {
      return {
        id: deps.ids.next('ofr'), tenantId, conversationId, agentId, queueId, status: 'pending',
        createdAt: at(createdS), expiresAt: at(createdS + 30), resolvedAt: null, ...patch,
      };
    }

    /** A tenant with routing rows of every kind: what isolation and rollback tests compare. */
    async function routedTenant(name: string) {
      const w = await tenantWorld(name);
      const ana = await w.newAgent({ capacity: 3, attributes: { seniority: 4 } });
      const queue = await w.newQueue([ana.id]);
      const other = await w.newQueue([ana.id]);
      const conv = await w.newConversation();
      const ws = workstreamOf(w.tenantId, queue.id, [queue.id, other.id]);
      const offer = offerOf(w.tenantId, conv.id, ana.id, queue.id, 10);
      await write(async (r) => {
        assert.equal(await r.insertSkill({ tenantId: w.tenantId, name: 'english', description: null, createdAt: at(0) }), true);
        await r.setAgentSkills(w.tenantId, ana.id, { english: 7 });
        await r.insertWorkstream(ws);
        await r.setQueueRefs(w.tenantId, ws.id, [queue.id, other.id]);
        await r.setRoundRobinPointer(w.tenantId, queue.id, ana.id);
        assert.equal(await r.reserveCapacity(w.tenantId, ana.id, 1, ['available'], at(10)), true);
        await r.insertRoutingItem(itemOf(w.tenantId, conv.id, ws.id, queue.id, { status: 'offered', agentId: ana.id, offerId: offer.id }));
        await r.insertOffer(offer);
        await r.insertDecision({ id: deps.ids.next('rdc'), tenantId: w.tenantId, conversationId: conv.id, kind: 'offered', at: at(10), explanation: { agentId: ana.id } });
        await r.setConversationQueue(w.tenantId, conv.id, queue.id, 3, at(10));
      });
      return { ...w, ana, queue, other, conv, ws, offer };
    }

    /** Everything routing stores for one tenant, read through the tenant's own id. */
    async function snapshot(t: { tenantId: string; ana: Agent; conv: Conversation; queue: Queue; other: Queue; ws: Workstream }) {
      const r = reads();
      const s = harness.storage.read;
      return {
        skills: await r.listSkills(t.tenantId),
        agents: await s.listAgents(t.tenantId),
        ana: await s.getAgent(t.tenantId, t.ana.id),
        queues: await s.listQueues(t.tenantId),
        workstreams: await r.listWorkstreams(t.tenantId),
        pointers: [...(await r.listRoundRobinPointers(t.tenantId))],
        items: await r.listRoutingItems(t.tenantId, ITEM_STATUSES),
        offers: await r.listOffers(t.tenantId, {}),
        conversationOffers: await r.listOffersOfConversation(t.tenantId, t.conv.id),
        referrers: [await r.listQueueReferrers(t.tenantId, t.queue.id), await r.listQueueReferrers(t.tenantId, t.other.id)],
        decisions: await r.listDecisions(t.tenantId, t.conv.id, 100),
        conversation: await s.getConversation(t.tenantId, t.conv.id),
      };
    }

    // ---- skills and agents ------------------------------------------------------------------

    it('refuses a skill name already taken in the tenant and keeps the first; the same name in another tenant is separate', async () => {
      const a = await tenantWorld('A');
      const b = await tenantWorld('B');
      const first = { tenantId: a.tenantId, name: 'billing', description: 'Invoices', createdAt: at(1) };
      assert.equal(await write((r) => r.insertSkill(first)), true);
      assert.equal(await write((r) => r.insertSkill({ ...first, description: 'changed', createdAt: at(2) })), false);
      assert.equal(await write((r) => r.insertSkill({ tenantId: b.tenantId, name: 'billing', description: null, createdAt: at(3) })), true);
      assert.equal(await write((r) => r.insertSkill({ tenantId: a.tenantId, name: 'english', description: null, createdAt: at(4) })), true);
      assert.deepEqual(await reads().listSkills(a.tenantId), [first, { tenantId: a.tenantId, name: 'english', description: null, createdAt: at(4) }]);
      assert.deepEqual(await reads().listSkills(b.tenantId), [{ tenantId: b.tenantId, name: 'billing', description: null, createdAt: at(3) }]);
    });

    it('replaces an agent’s whole skill set, and both agent reads return it', async () => {
      const w = await tenantWorld();
      const ana = await w.newAgent({ skills: {} });
      const ben = await w.newAgent({ skills: {} });
      await write((r) => r.setAgentSkills(w.tenantId, ana.id, { english: 8, billing: 5 }));
      await write((r) => r.setAgentSkills(w.tenantId, ben.id, { french: 9 }));
      await write((r) => r.setAgentSkills(w.tenantId, ana.id, { english: 6, german: 3 }));
      assert.deepEqual((await harness.storage.read.getAgent(w.tenantId, ana.id))?.skills, { english: 6, german: 3 });
      const listed = new Map((await harness.storage.read.listAgents(w.tenantId)).map((x) => [x.id, x.skills]));
      assert.deepEqual(listed.get(ana.id), { english: 6, german: 3 });
      assert.deepEqual(listed.get(ben.id), { french: 9 }, 'the other agent’s skills are untouched');
      await write((r) => r.setAgentSkills(w.tenantId, ana.id, {}));
      assert.deepEqual((await harness.storage.read.getAgent(w.tenantId, ana.id))?.skills, {});
    });

    it('returns presence, used capacity, last assignment, attributes and missed offers as written', async () => {
      const w = await tenantWorld();
      const ana = await w.newAgent({ displayName: 'Ana', email: 'ana@example.com', capacity: 4, presence: 'offline', attributes: { seniority: 2, team: 'north' } });
      await write(async (r) => {
        await r.updateAgent(w.tenantId, ana.id, { displayName: 'Ana M.', attributes: { seniority: 5, team: 'south', 'languages spoken': 'en, fr' } });
        await r.setAgentPresence(w.tenantId, ana.id, 'busy', at(20));
        assert.equal(await r.reserveCapacity(w.tenantId, ana.id, 3, ['busy'], at(21)), true);
        await r.setMissedOffers(w.tenantId, ana.id, 2);
      });
      const expected: Agent = {
        ...ana, displayName: 'Ana M.', attributes: { seniority: 5, team: 'south', 'languages spoken': 'en, fr' }, presence: 'busy', presenceSince: at(20),
        usedCapacity: 3, lastAssignedAt: at(21), missedOffers: 2,
      };
      assert.deepEqual(await harness.storage.read.getAgent(w.tenantId, ana.id), expected);
      assert.deepEqual((await harness.storage.read.listAgents(w.tenantId)).find((x) => x.id === ana.id), expected);
      // A patch changes only what it names; an explicit null clears the e-mail.
      await write((r) => r.updateAgent(w.tenantId, ana.id, { email: null, capacity: 6 }));
      await write((r) => r.updateAgent(w.tenantId, ana.id, {}));
      assert.deepEqual(await harness.storage.read.getAgent(w.tenantId, ana.id), { ...expected, email: null, capacity: 6 });
    });

    // ---- capacity ---------------------------------------------------------------------------

    const reserveCases: readonly {
      rule: string; capacity: number; used: number; presence: Presence; cost: number; allowed: readonly Presence[]; otherTenant?: boolean; reserved: boolean;
    }[] = [
      { rule: 'takes units that are free', capacity: 3, used: 1, presence: 'available', cost: 1, allowed: ['available'], reserved: true },
      { rule: 'takes the last free units exactly', capacity: 3, used: 1, presence: 'available', cost: 2, allowed: ['available'], reserved: true },
      { rule: 'takes units when the presence is any one of the allowed', capacity: 2, used: 0, presence: 'busy', cost: 1, allowed: ['available', 'busy'], reserved: true },
      { rule: 'refuses a cost beyond the free units', capacity: 3, used: 2, presence: 'available', cost: 2, allowed: ['available'], reserved: false },
      { rule: 'refuses an agent that is full', capacity: 2, used: 2, presence: 'available', cost: 1, allowed: ['available'], reserved: false },
      { rule: 'refuses a presence that is not allowed', capacity: 3, used: 0, presence: 'away', cost: 1, allowed: ['available', 'busy'], reserved: false },
      { rule: 'refuses when no presence is allowed at all', capacity: 3, used: 0, presence: 'available', cost: 1, allowed: [], reserved: false },
      { rule: 'refuses an agent of another tenant', capacity: 3, used: 0, presence: 'available', cost: 1, allowed: ['available'], otherTenant: true, reserved: false },
    ];
    for (const c of reserveCases) {
      it(`reserveCapacity ${c.rule}`, async () => {
        const w = await tenantWorld();
        const stranger = await tenantWorld('Stranger');
        const agent = await w.newAgent({ capacity: c.capacity, presence: c.presence });
        if (c.used > 0) assert.equal(await write((r) => r.reserveCapacity(w.tenantId, agent.id, c.used, [c.presence], at(5))), true);
        const before = await harness.storage.read.getAgent(w.tenantId, agent.id);
        const tenantId = c.otherTenant ? stranger.tenantId : w.tenantId;
        assert.equal(await write((r) => r.reserveCapacity(tenantId, agent.id, c.cost, c.allowed, at(9))), c.reserved);
        const afterwards = await harness.storage.read.getAgent(w.tenantId, agent.id);
        if (c.reserved) assert.deepEqual(afterwards, { ...before, usedCapacity: c.used + c.cost, lastAssignedAt: at(9) });
        else assert.deepEqual(afterwards, before, 'a refused reservation changes nothing');
      });
    }

    it('reads an agent’s status as getAgent has it, and nothing of another tenant', async () => {
      const w = await tenantWorld();
      const stranger = await tenantWorld('Stranger');
      const agent = await w.newAgent({ capacity: 5 });
      const status = async () => {
        const a = await harness.storage.read.getAgent(w.tenantId, agent.id);
        return a && { presence: a.presence, presenceSince: a.presenceSince, usedCapacity: a.usedCapacity, lastAssignedAt: a.lastAssignedAt, missedOffers: a.missedOffers };
      };
      assert.deepEqual(await harness.storage.read.routing.getAgentStatus(w.tenantId, agent.id), await status());
      await write(async (r) => {
        await r.reserveCapacity(w.tenantId, agent.id, 2, ['available'], at(3));
        await r.setMissedOffers(w.tenantId, agent.id, 2);
        await r.setAgentPresence(w.tenantId, agent.id, 'away', at(4));
      });
      const changed = await harness.storage.read.routing.getAgentStatus(w.tenantId, agent.id);
      assert.deepEqual(changed, { presence: 'away', presenceSince: at(4), usedCapacity: 2, lastAssignedAt: at(3), missedOffers: 2 });
      assert.deepEqual(changed, await status());
      assert.equal(await harness.storage.read.routing.getAgentStatus(stranger.tenantId, agent.id), undefined);
      assert.equal(await harness.storage.read.routing.getAgentStatus(w.tenantId, 'agt_missing'), undefined);
    });

    it('gives capacity back, never below zero, and only to the tenant’s own agent', async () => {
      const w = await tenantWorld();
      const stranger = await tenantWorld('Stranger');
      const agent = await w.newAgent({ capacity: 5 });
      await write((r) => r.reserveCapacity(w.tenantId, agent.id, 4, ['available'], at(1)));
      const used = async () => (await harness.storage.read.getAgent(w.tenantId, agent.id))?.usedCapacity;
      await write((r) => r.releaseCapacity(stranger.tenantId, agent.id, 4));
      assert.equal(await used(), 4);
      await write((r) => r.releaseCapacity(w.tenantId, agent.id, 1));
      assert.equal(await used(), 3);
      await write((r) => r.releaseCapacity(w.tenantId, agent.id, 10));
      assert.equal(await used(), 0);
      await write((r) => r.releaseCapacity(w.tenantId, agent.id, 1));
      assert.equal(await used(), 0);
      assert.equal((await harness.storage.read.getAgent(w.tenantId, agent.id))?.lastAssignedAt, at(1), 'a release keeps the last assignment time');
    });

    it('never overfills an agent when many transactions reserve at once', async () => {
      const w = await tenantWorld();
      for (const { capacity, cost, attempts } of [{ capacity: 5, cost: 1, attempts: 24 }, { capacity: 5, cost: 2, attempts: 12 }]) {
        const agent = await w.newAgent({ capacity });
        const seen: number[] = [];
        const outcomes = await Promise.all(Array.from({ length: attempts }, (_, i) => harness.storage.transaction(async (tx) => {
          await tx.getAgent(w.tenantId, agent.id); // a read first, as the engine does, so the transactions overlap
          const won = await tx.routing.reserveCapacity(w.tenantId, agent.id, cost, ['available'], at(i));
          seen.push((await tx.getAgent(w.tenantId, agent.id))!.usedCapacity);
          return won;
        })));
        const wins = Math.floor(capacity / cost);
        assert.equal(outcomes.filter(Boolean).length, wins, `${wins} of ${attempts} reservations of ${cost} fit in ${capacity}`);
        assert.equal((await harness.storage.read.getAgent(w.tenantId, agent.id))?.usedCapacity, wins * cost);
        assert.ok(seen.every((u) => u <= capacity), `no transaction ever saw more than ${capacity} used: ${seen.join(',')}`);
      }
    });

    // Only where transactions really run side by side: SQLite runs one writer at a time by design,
    // and the sequential case above already covers its queued transactions.
    if (name.startsWith('PostgreSQL')) it('never overfills an agent when transactions that all started reserve at the same moment (one connection each)', async () => {
      const w = await tenantWorld();
      const agent = await w.newAgent({ capacity: 3 });
      const parallel = 6; // below the pool size, so every transaction holds its own connection at once
      let started = 0;
      let release!: () => void;
      const allStarted = new Promise<void>((resolve) => (release = resolve));
      const outcomes = await Promise.all(Array.from({ length: parallel }, (_, i) => harness.storage.transaction(async (tx) => {
        await tx.getAgent(w.tenantId, agent.id); // BEGIN has run: this transaction is open on its own connection
        started += 1;
        if (started === parallel) release();
        await allStarted; // every transaction is open before any of them writes
        return tx.routing.reserveCapacity(w.tenantId, agent.id, 1, ['available'], at(i));
      })));
      assert.equal(outcomes.filter(Boolean).length, 3);
      assert.equal((await harness.storage.read.getAgent(w.tenantId, agent.id))?.usedCapacity, 3);
    });

    // ---- workstreams and queue references ---------------------------------------------------

    it('stores a workstream whole and lists a tenant’s workstreams by id', async () => {
      const w = await tenantWorld();
      const q1 = await w.newQueue();
      const q2 = await w.newQueue();
      const first = workstreamOf(w.tenantId, q1.id, [q1.id, q2.id]);
      const second = workstreamOf(w.tenantId, q2.id, [q2.id], {
        mode: 'pick', waitingOrder: 'queue-entry', skillMatch: 'exact', relaxations: [], preferredAgentVariable: null,
        classificationRules: [], routeRules: [], wrapUpConsumesCapacity: false, allowedPresences: ['available'],
      });
      await write(async (r) => {
        await r.insertWorkstream(second);
        await r.insertWorkstream(first);
      });
      assert.deepEqual(await reads().getWorkstream(w.tenantId, first.id), first);
      assert.deepEqual(await reads().getWorkstream(w.tenantId, second.id), second);
      assert.deepEqual(await reads().listWorkstreams(w.tenantId), [first, second].sort((x, y) => (x.id < y.id ? -1 : 1)));
      assert.equal(await reads().getWorkstream(w.tenantId, 'wst_missing'), undefined);
    });

    it('replaces a workstream only from the version the writer read (compare-and-set), and deletes it once', async () => {
      const w = await tenantWorld();
      const q = await w.newQueue();
      const q2 = await w.newQueue();
      const original = workstreamOf(w.tenantId, q.id, [q.id]);
      await write((r) => r.insertWorkstream(original));
      const v2: Workstream = { ...original, name: 'Chat v2', cost: 3, fallbackQueueId: q2.id, routeRules: [], version: 2, updatedAt: at(50) };
      assert.equal(await write((r) => r.updateWorkstream(v2, 1)), true);
      assert.deepEqual(await reads().getWorkstream(w.tenantId, original.id), v2);
      const stale: Workstream = { ...original, name: 'lost update', version: 2, updatedAt: at(60) };
      assert.equal(await write((r) => r.updateWorkstream(stale, 1)), false, 'a writer that read version 1 loses');
      assert.deepEqual(await reads().getWorkstream(w.tenantId, original.id), v2, 'and changes nothing');

      await write((r) => r.setQueueRefs(w.tenantId, original.id, [q.id]));
      assert.equal(await write((r) => r.deleteWorkstream(w.tenantId, original.id)), true);
      assert.equal(await reads().getWorkstream(w.tenantId, original.id), undefined);
      assert.deepEqual(await reads().listQueueReferrers(w.tenantId, q.id), [], 'its queue references went with it');
      assert.equal(await write((r) => r.deleteWorkstream(w.tenantId, original.id)), false);
      assert.equal(await write((r) => r.updateWorkstream({ ...v2, version: 3 }, 2)), false, 'a deleted workstream cannot be updated');
    });

    it('replaces the set of queues a referrer names and finds the referrers of a queue', async () => {
      const w = await tenantWorld();
      const [q1, q2, q3] = [await w.newQueue(), await w.newQueue(), await w.newQueue()];
      const ws = workstreamOf(w.tenantId, q1.id, [q1.id]);
      await write((r) => r.insertWorkstream(ws));
      await write(async (r) => {
        await r.setQueueRefs(w.tenantId, ws.id, [q1.id, q2.id, q1.id]); // duplicates collapse
        await r.setQueueRefs(w.tenantId, q3.id, [q2.id]); // a queue's overflow names another queue
      });
      assert.deepEqual(await reads().listQueueReferrers(w.tenantId, q1.id), [ws.id]);
      assert.deepEqual(await reads().listQueueReferrers(w.tenantId, q2.id), [q3.id, ws.id].sort());
      await write((r) => r.setQueueRefs(w.tenantId, ws.id, [q3.id]));
      assert.deepEqual(await reads().listQueueReferrers(w.tenantId, q1.id), []);
      assert.deepEqual(await reads().listQueueReferrers(w.tenantId, q2.id), [q3.id]);
      assert.deepEqual(await reads().listQueueReferrers(w.tenantId, q3.id), [ws.id]);
      await write((r) => r.setQueueRefs(w.tenantId, ws.id, []));
      assert.deepEqual(await reads().listQueueReferrers(w.tenantId, q3.id), []);
    });

    // ---- queues -----------------------------------------------------------------------------

    it('updates a queue only from the version the writer read, applying just the patch and counting the version up', async () => {
      const w = await tenantWorld();
      const agent = await w.newAgent();
      const q = await w.newQueue([agent.id], 2);
      const target = await w.newQueue();
      const routing: QueueRouting = {
        assignmentMethod: 'custom', customOrder: [{ key: 'seniority', direction: 'desc' }, { key: 'freeCapacity', direction: 'asc' }],
        operatingHours: { timeZone: 'Europe/Paris', weekly: [{ day: 'mon', open: '09:00', close: '17:30' }], holidays: [{ date: '2026-12-25', name: 'Noël' }] },
        overflow: [{ id: 'slow', when: { kind: 'wait-exceeds', seconds: 300 }, then: { kind: 'transfer', queueId: target.id } }],
        serviceLevelSeconds: 45, wrapUpSeconds: 0, wrapUpCodes: [{ code: 'refund', label: 'Remboursé' }, { code: 'info', label: 'Information' }],
      };
      assert.equal(await write((r) => r.updateQueue(w.tenantId, q.id, { routing }, 1, at(10))), true);
      assert.deepEqual(await harness.storage.read.getQueue(w.tenantId, q.id), { ...q, routing, version: 2 });
      assert.equal(await write((r) => r.updateQueue(w.tenantId, q.id, { name: 'Renamed', priority: 7 }, 2, at(11))), true);
      const v3 = { ...q, name: 'Renamed', priority: 7, routing, version: 3 };
      assert.deepEqual(await harness.storage.read.getQueue(w.tenantId, q.id), v3);
      assert.equal(await write((r) => r.updateQueue(w.tenantId, q.id, { name: 'stale' }, 2, at(12))), false);
      assert.equal(await write((r) => r.updateQueue(w.tenantId, q.id, { routing: DEFAULT_QUEUE_ROUTING }, 4, at(12))), false);
      assert.deepEqual(await harness.storage.read.getQueue(w.tenantId, q.id), v3, 'stale or future versions change nothing');
    });

    it('removes a member once, and deletes a queue with its members and the references it made', async () => {
      const w = await tenantWorld();
      const [ana, ben] = [await w.newAgent(), await w.newAgent()];
      const target = await w.newQueue();
      const q = await w.newQueue([ana.id, ben.id]);
      await write((r) => r.setQueueRefs(w.tenantId, q.id, [target.id]));
      assert.equal(await write((r) => r.removeQueueMember(w.tenantId, q.id, ana.id)), true);
      assert.equal(await write((r) => r.removeQueueMember(w.tenantId, q.id, ana.id)), false);
      assert.deepEqual((await harness.storage.read.getQueue(w.tenantId, q.id))?.memberIds, [ben.id]);

      assert.equal(await write((r) => r.deleteQueue(w.tenantId, q.id)), true);
      assert.equal(await harness.storage.read.getQueue(w.tenantId, q.id), undefined);
      assert.deepEqual(await reads().listQueueReferrers(w.tenantId, target.id), []);
      assert.equal(await write((r) => r.deleteQueue(w.tenantId, q.id)), false);
      assert.equal(await write((r) => r.removeQueueMember(w.tenantId, q.id, ben.id)), false);
      assert.ok(await harness.storage.read.getAgent(w.tenantId, ben.id), 'the agents stay');
    });

    it('keeps one round-robin pointer per queue, the latest written', async () => {
      const w = await tenantWorld();
      const [ana, ben] = [await w.newAgent(), await w.newAgent()];
      const [q1, q2, q3] = [await w.newQueue([ana.id, ben.id]), await w.newQueue([ana.id, ben.id]), await w.newQueue([ana.id])];
      assert.deepEqual(await reads().listRoundRobinPointers(w.tenantId), new Map());
      await write(async (r) => {
        await r.setRoundRobinPointer(w.tenantId, q1.id, ana.id);
        await r.setRoundRobinPointer(w.tenantId, q2.id, ana.id);
        await r.setRoundRobinPointer(w.tenantId, q1.id, ben.id);
      });
      assert.deepEqual(await reads().listRoundRobinPointers(w.tenantId), new Map([[q1.id, ben.id], [q2.id, ana.id]]));
      assert.equal((await reads().listRoundRobinPointers(w.tenantId)).has(q3.id), false, 'a queue never served has no pointer');
    });

    // ---- routing items ----------------------------------------------------------------------

    it('stores routing items whole, nullable fields and JSON fields included, and lists them by status', async () => {
      const w = await tenantWorld();
      const [ana, ben] = [await w.newAgent(), await w.newAgent()];
      const q = await w.newQueue([ana.id, ben.id]);
      const ws = workstreamOf(w.tenantId, q.id, [q.id]);
      await write((r) => r.insertWorkstream(ws));
      const [c1, c2, c3, c4] = [await w.newConversation(), await w.newConversation(), await w.newConversation(), await w.newConversation()];
      const bare = itemOf(w.tenantId, c1.id, ws.id, q.id, { requiredSkills: [] });
      const full = itemOf(w.tenantId, c2.id, ws.id, q.id, {
        status: 'offered', priority: -2, cost: 3, preferredAgentId: ana.id, preferredUntil: ms(600), excluded: { [ben.id]: ms(120), [ana.id]: Number.MAX_SAFE_INTEGER },
        overflowApplied: ['slow', 'callback «1»'], skillsDropped: true, callbackRequestedAt: ms(30), agentId: ana.id, offerId: 'ofr_x', updatedAt: ms(40),
      });
      const assigned = itemOf(w.tenantId, c3.id, ws.id, q.id, { status: 'assigned', agentId: ben.id });
      const ended = itemOf(w.tenantId, c4.id, ws.id, q.id, { status: 'ended' });
      await write(async (r) => {
        for (const item of [full, ended, bare, assigned]) await r.insertRoutingItem(item);
      });
      assert.deepEqual(await reads().getRoutingItem(w.tenantId, c1.id), bare);
      assert.deepEqual(await reads().getRoutingItem(w.tenantId, c2.id), full);
      const byId = (items: RoutingItem[]) => [...items].sort((x, y) => (x.conversationId < y.conversationId ? -1 : 1));
      assert.deepEqual(await reads().listRoutingItems(w.tenantId, ['waiting', 'offered']), byId([bare, full]));
      assert.deepEqual(await reads().listRoutingItems(w.tenantId, ['assigned']), [assigned]);
      assert.deepEqual(await reads().listRoutingItems(w.tenantId, ITEM_STATUSES), byId([bare, full, assigned, ended]));
      assert.deepEqual(await reads().listRoutingItems(w.tenantId, []), []);
      assert.equal(await reads().getRoutingItem(w.tenantId, 'conv_missing'), undefined);
    });

    it('replaces a routing item only from the status the writer read (compare-and-set)', async () => {
      const w = await tenantWorld();
      const ana = await w.newAgent();
      const q = await w.newQueue([ana.id]);
      const ws = workstreamOf(w.tenantId, q.id, [q.id]);
      const conv = await w.newConversation();
      const waiting = itemOf(w.tenantId, conv.id, ws.id, q.id);
      await write(async (r) => {
        await r.insertWorkstream(ws);
        await r.insertRoutingItem(waiting);
      });
      const offered: RoutingItem = { ...waiting, status: 'offered', agentId: ana.id, offerId: 'ofr_1', excluded: { other: ms(9) }, updatedAt: ms(50) };
      assert.equal(await write((r) => r.updateRoutingItem(offered, 'waiting')), true);
      assert.deepEqual(await reads().getRoutingItem(w.tenantId, conv.id), offered);
      const lost: RoutingItem = { ...waiting, status: 'offered', agentId: 'agt_other', offerId: 'ofr_2', updatedAt: ms(51) };
      assert.equal(await write((r) => r.updateRoutingItem(lost, 'waiting')), false, 'a second offer from "waiting" loses');
      assert.deepEqual(await reads().getRoutingItem(w.tenantId, conv.id), offered, 'and changes nothing');
      const back: RoutingItem = { ...offered, status: 'waiting', agentId: null, offerId: null, preferredUntil: null, updatedAt: ms(60) };
      assert.equal(await write((r) => r.updateRoutingItem(back, 'offered')), true);
      assert.deepEqual(await reads().getRoutingItem(w.tenantId, conv.id), back);
      assert.equal(await write((r) => r.updateRoutingItem({ ...waiting, conversationId: 'conv_missing' }, 'waiting')), false);
    });

    it('lets exactly one of many concurrent writers move an item out of a status', async () => {
      const w = await tenantWorld();
      const agents = [await w.newAgent(), await w.newAgent(), await w.newAgent(), await w.newAgent()];
      const q = await w.newQueue(agents.map((a) => a.id));
      const ws = workstreamOf(w.tenantId, q.id, [q.id]);
      const conv = await w.newConversation();
      await write(async (r) => {
        await r.insertWorkstream(ws);
        await r.insertRoutingItem(itemOf(w.tenantId, conv.id, ws.id, q.id));
      });
      // Each contender does what the engine does for an offer: reserve, then move the item from waiting.
      const outcomes = await Promise.allSettled(agents.map((agent, i) => harness.storage.transaction(async (tx) => {
        if (!(await tx.routing.reserveCapacity(w.tenantId, agent.id, 1, ['available'], at(i)))) throw new Error('no capacity');
        const next = itemOf(w.tenantId, conv.id, ws.id, q.id, { status: 'offered', agentId: agent.id, offerId: `ofr_${i}` });
        if (!(await tx.routing.updateRoutingItem(next, 'waiting'))) throw new Error('lost the race');
        return agent.id;
      })));
      const winners = outcomes.filter((o): o is PromiseFulfilledResult<string> => o.status === 'fulfilled').map((o) => o.value);
      assert.equal(winners.length, 1);
      assert.equal((await reads().getRoutingItem(w.tenantId, conv.id))?.agentId, winners[0]);
      const used = await Promise.all(agents.map(async (a) => (await harness.storage.read.getAgent(w.tenantId, a.id))!.usedCapacity));
      assert.deepEqual(used, agents.map((a) => (a.id === winners[0] ? 1 : 0)), 'the losers’ reservations rolled back with them');
    });

    // ---- offers -----------------------------------------------------------------------------

    it('stores offers and lists them by agent and status, oldest first, and per conversation', async () => {
      const w = await tenantWorld();
      const [ana, ben] = [await w.newAgent(), await w.newAgent()];
      const q = await w.newQueue([ana.id, ben.id]);
      const [c1, c2] = [await w.newConversation(), await w.newConversation()];
      const o1 = offerOf(w.tenantId, c1.id, ana.id, q.id, 30);
      const o2 = offerOf(w.tenantId, c1.id, ben.id, q.id, 10, { status: 'rejected', resolvedAt: at(12) });
      const o3 = offerOf(w.tenantId, c2.id, ana.id, q.id, 20, { status: 'timed_out', resolvedAt: at(50) });
      const o4 = offerOf(w.tenantId, c2.id, ben.id, q.id, 40);
      await write(async (r) => {
        for (const o of [o1, o2, o3, o4]) await r.insertOffer(o);
      });
      assert.deepEqual(await reads().getOffer(w.tenantId, o1.id), o1);
      assert.deepEqual(await reads().getOffer(w.tenantId, o2.id), o2);
      assert.equal(await reads().getOffer(w.tenantId, 'ofr_missing'), undefined);
      const filters: readonly [Parameters<RoutingTx['listOffers']>[1], Offer[]][] = [
        [{}, [o2, o3, o1, o4]],
        [{ status: 'pending' }, [o1, o4]],
        [{ agentId: ana.id }, [o3, o1]],
        [{ agentId: ben.id, status: 'pending' }, [o4]],
        [{ agentId: ben.id, status: 'accepted' }, []],
        [{ agentId: undefined, status: undefined }, [o2, o3, o1, o4]],
      ];
      for (const [filter, expected] of filters) assert.deepEqual(await reads().listOffers(w.tenantId, filter), expected, JSON.stringify(filter));
      assert.deepEqual(await reads().listOffersOfConversation(w.tenantId, c1.id), [o2, o1]);
      assert.deepEqual(await reads().listOffersOfConversation(w.tenantId, c2.id), [o3, o4]);
    });

    it('resolves a pending offer once; a resolved offer keeps its first outcome', async () => {
      const w = await tenantWorld();
      const ana = await w.newAgent();
      const q = await w.newQueue([ana.id]);
      const conv = await w.newConversation();
      const offer = offerOf(w.tenantId, conv.id, ana.id, q.id, 0);
      await write((r) => r.insertOffer(offer));
      assert.equal(await write((r) => r.resolveOffer(w.tenantId, offer.id, 'accepted', at(5))), true);
      const accepted = { ...offer, status: 'accepted' as const, resolvedAt: at(5) };
      assert.deepEqual(await reads().getOffer(w.tenantId, offer.id), accepted);
      for (const outcome of ['accepted', 'rejected', 'timed_out', 'withdrawn'] as const) {
        assert.equal(await write((r) => r.resolveOffer(w.tenantId, offer.id, outcome, at(9))), false, `then ${outcome} loses`);
      }
      assert.deepEqual(await reads().getOffer(w.tenantId, offer.id), accepted);
      assert.equal(await write((r) => r.resolveOffer(w.tenantId, 'ofr_missing', 'withdrawn', at(9))), false);
    });

    it('lets exactly one of an accept, a reject and a timeout racing on one offer win', async () => {
      const w = await tenantWorld();
      const ana = await w.newAgent();
      const q = await w.newQueue([ana.id]);
      const conv = await w.newConversation();
      const offer = offerOf(w.tenantId, conv.id, ana.id, q.id, 0);
      await write((r) => r.insertOffer(offer));
      const outcomes = ['accepted', 'rejected', 'timed_out', 'withdrawn', 'accepted', 'rejected'] as const;
      const results = await Promise.all(outcomes.map((outcome, i) => write((r) => r.resolveOffer(w.tenantId, offer.id, outcome, at(10 + i)))));
      assert.equal(results.filter(Boolean).length, 1);
      const winner = results.indexOf(true);
      assert.deepEqual(await reads().getOffer(w.tenantId, offer.id), { ...offer, status: outcomes[winner], resolvedAt: at(10 + winner) });
    });

    // ---- decisions and the conversation's queue ---------------------------------------------

    it('returns a conversation’s decisions oldest first, with the explanation as it was written', async () => {
      const w = await tenantWorld();
      const [c1, c2] = [await w.newConversation(), await w.newConversation()];
      const explanation = {
        queueId: 'que_1', method: 'round-robin', appliedSkills: [{ skill: 'english', minProficiency: 5 }], waitedSeconds: 12.5,
        passedOver: [{ agentId: 'agt_1', reason: 'presence' }], preferredAgent: false, matchedRule: null, nested: { deep: { list: [1, 'two', true, null] } },
        why: 'first eligible member — «quoted» “text” 😀',
      };
      const kinds: RoutingDecision['kind'][] = ['queued', 'offered', 'overflow', 'assigned'];
      const decisions: RoutingDecision[] = kinds.map((kind, i) => ({
        id: deps.ids.next('rdc'), tenantId: w.tenantId, conversationId: c1.id, kind, at: at(i), explanation: { ...explanation, step: i },
      }));
      const elsewhere: RoutingDecision = { id: deps.ids.next('rdc'), tenantId: w.tenantId, conversationId: c2.id, kind: 'no-agent', at: at(1), explanation: {} };
      await write(async (r) => {
        // Written out of order: the list follows time, not insertion.
        for (const d of [decisions[2]!, elsewhere, decisions[0]!, decisions[3]!, decisions[1]!]) await r.insertDecision(d);
      });
      assert.deepEqual(await reads().listDecisions(w.tenantId, c1.id, 100), decisions);
      assert.deepEqual(await reads().listDecisions(w.tenantId, c1.id, 2), decisions.slice(0, 2));
      assert.deepEqual(await reads().listDecisions(w.tenantId, c2.id, 100), [elsewhere]);
    });

    it('keeps the conversation’s queue and priority in step with routing', async () => {
      const w = await tenantWorld();
      const q = await w.newQueue();
      const conv = await w.newConversation();
      await write((r) => r.setConversationQueue(w.tenantId, conv.id, q.id, 7, at(30)));
      assert.deepEqual(await harness.storage.read.getConversation(w.tenantId, conv.id), { ...conv, queueId: q.id, priority: 7, updatedAt: at(30) });
      await write((r) => r.setConversationQueue(w.tenantId, conv.id, null, 0, at(31)));
      assert.deepEqual(await harness.storage.read.getConversation(w.tenantId, conv.id), { ...conv, queueId: null, priority: 0, updatedAt: at(31) });
    });

    // ---- tenant isolation and atomicity -----------------------------------------------------

    it('finds nothing of a tenant through another tenant’s id', async () => {
      const a = await routedTenant('A');
      const b = await tenantWorld('B');
      const r = reads();
      assert.deepEqual(await r.listSkills(b.tenantId), []);
      assert.deepEqual(await r.listWorkstreams(b.tenantId), []);
      assert.equal(await r.getWorkstream(b.tenantId, a.ws.id), undefined);
      assert.deepEqual(await r.listRoundRobinPointers(b.tenantId), new Map());
      assert.equal(await r.getRoutingItem(b.tenantId, a.conv.id), undefined);
      assert.deepEqual(await r.listRoutingItems(b.tenantId, ITEM_STATUSES), []);
      assert.equal(await r.getOffer(b.tenantId, a.offer.id), undefined);
      assert.deepEqual(await r.listOffers(b.tenantId, {}), []);
      assert.deepEqual(await r.listOffers(b.tenantId, { agentId: a.ana.id, status: 'pending' }), []);
      assert.deepEqual(await r.listOffersOfConversation(b.tenantId, a.conv.id), []);
      assert.deepEqual(await r.listQueueReferrers(b.tenantId, a.queue.id), []);
      assert.deepEqual(await r.listDecisions(b.tenantId, a.conv.id, 100), []);
      assert.equal(await harness.storage.read.getAgent(b.tenantId, a.ana.id), undefined);
      // The same reads through the owner's id do find the rows: the misses above are not vacuous.
      assert.ok(await r.getOffer(a.tenantId, a.offer.id));
      assert.equal((await r.listQueueReferrers(a.tenantId, a.queue.id)).length, 1);
      assert.equal((await r.listDecisions(a.tenantId, a.conv.id, 100)).length, 1);
    });

    it('changes nothing of a tenant through another tenant’s id, conditional writes answering false', async () => {
      const a = await routedTenant('A');
      const b = await tenantWorld('B');
      const before = await snapshot(a);
      const item = before.items[0]!;
      const conditional = await write(async (r) => ({
        reserve: await r.reserveCapacity(b.tenantId, a.ana.id, 1, ['available'], at(99)),
        workstream: await r.updateWorkstream({ ...a.ws, tenantId: b.tenantId, name: 'hijacked', version: 2 }, 1),
        deleteWorkstream: await r.deleteWorkstream(b.tenantId, a.ws.id),
        queue: await r.updateQueue(b.tenantId, a.queue.id, { name: 'hijacked' }, 1, at(99)),
        deleteQueue: await r.deleteQueue(b.tenantId, a.other.id),
        member: await r.removeQueueMember(b.tenantId, a.queue.id, a.ana.id),
        item: await r.updateRoutingItem({ ...item, tenantId: b.tenantId, status: 'waiting', agentId: null, offerId: null }, 'offered'),
        offer: await r.resolveOffer(b.tenantId, a.offer.id, 'withdrawn', at(99)),
      }));
      assert.deepEqual(conditional, {
        reserve: false, workstream: false, deleteWorkstream: false, queue: false, deleteQueue: false, member: false, item: false, offer: false,
      });
      // Unconditional writes name the tenant too; aimed at another tenant's rows they must touch nothing.
      await write(async (r) => {
        await r.updateAgent(b.tenantId, a.ana.id, { displayName: 'hijacked', capacity: 99, attributes: {} });
        await r.setAgentPresence(b.tenantId, a.ana.id, 'offline', at(99));
        await r.releaseCapacity(b.tenantId, a.ana.id, 1);
        await r.setMissedOffers(b.tenantId, a.ana.id, 9);
        await r.setRoundRobinPointer(b.tenantId, a.queue.id, 'agt_nobody');
        await r.setConversationQueue(b.tenantId, a.conv.id, null, 0, at(99));
        await r.setAgentSkills(b.tenantId, a.ana.id, {});
        await r.setQueueRefs(b.tenantId, a.ws.id, []);
      });
      assert.deepEqual(await snapshot(a), before);
    });

    it('will not give another tenant’s agent skills or another tenant’s queue a referrer', async () => {
      const a = await routedTenant('A');
      const b = await routedTenant('B');
      const lone = await a.newQueue(); // referenced by nothing of A
      const before = await snapshot(a);
      // A skill set or a reference set named with tenant B but aimed at A's rows: nothing of A may change.
      await write(async (r) => {
        await r.setAgentSkills(b.tenantId, a.ana.id, { french: 4 });
        await r.setQueueRefs(b.tenantId, b.ws.id, [a.other.id, lone.id, b.queue.id]);
      }).catch(() => undefined); // refusing loudly is as good as refusing quietly
      assert.deepEqual(await snapshot(a), before);
      assert.deepEqual(await reads().listQueueReferrers(b.tenantId, a.other.id), []);
      assert.deepEqual(await reads().listQueueReferrers(b.tenantId, lone.id), []);
      // Had the reference been stored, A could no longer delete a queue its own referrer check calls unused.
      assert.deepEqual(await reads().listQueueReferrers(a.tenantId, lone.id), []);
      assert.equal(await write((r) => r.deleteQueue(a.tenantId, lone.id)), true);
    });

    it('leaves nothing behind when a transaction throws after routing writes', async () => {
      const a = await routedTenant('A');
      const conv2 = await a.newConversation();
      const before = await snapshot(a);
      const conv2Before = await harness.storage.read.getConversation(a.tenantId, conv2.id);
      const item = before.items[0]!;
      await assert.rejects(write(async (r) => {
        assert.equal(await r.insertSkill({ tenantId: a.tenantId, name: 'rolled-back', description: null, createdAt: at(70) }), true);
        await r.setAgentSkills(a.tenantId, a.ana.id, { english: 1, 'rolled-back': 2 });
        await r.updateAgent(a.tenantId, a.ana.id, { displayName: 'never', capacity: 9, attributes: { x: 1 } });
        await r.setAgentPresence(a.tenantId, a.ana.id, 'busy', at(70));
        assert.equal(await r.reserveCapacity(a.tenantId, a.ana.id, 2, ['busy'], at(70)), true);
        await r.setMissedOffers(a.tenantId, a.ana.id, 5);
        const ws2 = workstreamOf(a.tenantId, a.other.id, [a.other.id]);
        await r.insertWorkstream(ws2);
        assert.equal(await r.updateWorkstream({ ...a.ws, name: 'never', version: 2 }, 1), true);
        await r.setQueueRefs(a.tenantId, a.ws.id, [a.other.id]);
        assert.equal(await r.updateQueue(a.tenantId, a.queue.id, { name: 'never' }, 1, at(70)), true);
        assert.equal(await r.removeQueueMember(a.tenantId, a.other.id, a.ana.id), true);
        await r.setRoundRobinPointer(a.tenantId, a.other.id, a.ana.id);
        assert.equal(await r.resolveOffer(a.tenantId, a.offer.id, 'accepted', at(70)), true);
        assert.equal(await r.updateRoutingItem({ ...item, status: 'assigned', offerId: null }, 'offered'), true);
        await r.insertRoutingItem(itemOf(a.tenantId, conv2.id, a.ws.id, a.queue.id));
        await r.insertOffer(offerOf(a.tenantId, conv2.id, a.ana.id, a.queue.id, 70));
        await r.insertDecision({ id: deps.ids.next('rdc'), tenantId: a.tenantId, conversationId: a.conv.id, kind: 'assigned', at: at(70), explanation: {} });
        await r.setConversationQueue(a.tenantId, conv2.id, a.other.id, 4, at(70));
        throw new Error('boom after the routing writes');
      }), /boom/);
      assert.deepEqual(await snapshot(a), before);
      assert.equal(await reads().getRoutingItem(a.tenantId, conv2.id), undefined);
      assert.deepEqual(await reads().listOffersOfConversation(a.tenantId, conv2.id), []);
      assert.deepEqual(await harness.storage.read.getConversation(a.tenantId, conv2.id), conv2Before);
      // A later transaction sees the pre-failure rows: the skill name is free again, the workstream still at version 1.
      assert.equal(await write((r) => r.insertSkill({ tenantId: a.tenantId, name: 'rolled-back', description: null, createdAt: at(80) })), true);
      assert.equal(await write((r) => r.updateWorkstream({ ...a.ws, name: 'now', version: 2 }, 1)), true);
    });
  });
}
