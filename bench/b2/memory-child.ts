import { rmSync } from 'node:fs';
import { InProcessBus } from '../../src/adapters/bus/in-process/in-process-bus.js';
import { openSqliteStorage } from '../../src/adapters/storage/sqlite/sqlite-storage.js';
import { TimeOrderedIds } from '../../src/adapters/system/time-ordered-ids.js';
import { SYSTEM_CALLER } from '../../src/app/caller.js';
import { SeededRandom } from '../../src/app/ports/fakes/manual-scheduler.js';
import { RoutingEngine } from '../../src/app/routing/routing-engine.js';
import { workstreamFrom } from '../../src/app/routing/workstream-input.js';
import { DEFAULT_QUEUE_ROUTING, type RoutingItem } from '../../src/core/routing/routing-model.js';
import { DEFAULT_POPULATION, generatePopulation, randomWork, Rng, ROUTABLE, toWorkRequest } from './population.js';
import { VirtualTime } from './virtual-time.js';

/**
 * B2 part 3, run in its own process with --expose-gc (bench/b2/memory.ts starts it): the routing
 * engine's memory for the population's 5,000 agents and 200 queues plus N waiting conversations.
 *
 * The database is written directly (the store's insert methods, in two transactions, without the
 * use cases' checks and events), with every routable agent at full capacity, which is why the
 * conversations wait. Then, measured: a
 * RoutingEngine starts on it as a restarted server would (it loads the tenant, since work is
 * waiting, and tries each queue), and every best-skill queue is asked for each of its skill sets
 * so the lazily built orders exist too. Heap and RSS are read after forced garbage collections,
 * before and after, with the database connection already open in both.
 *
 * Prints one JSON line. Arguments: database path, conversations, seed.
 */

const gc = (globalThis as { gc?: () => void }).gc;
if (!gc) throw new Error('run with node --expose-gc');

function settle(): NodeJS.MemoryUsage {
  for (let i = 0; i < 4; i++) gc!();
  return process.memoryUsage();
}

async function main(): Promise<void> {
  const [path, conversationsText, seedText] = process.argv.slice(2);
  if (!path) throw new Error('usage: memory-child DB CONVERSATIONS SEED');
  const conversations = Number(conversationsText ?? 50_000);
  const seed = Number(seedText ?? 7);
  const population = generatePopulation(DEFAULT_POPULATION);
  const rng = new Rng(seed);
  const time = new VirtualTime();
  const ids = new TimeOrderedIds(() => time.now());
  const at = new Date(time.now()).toISOString();
  const tenantId = ids.next('ten');
  const agentIds = population.agents.map(() => ids.next('agt'));
  const queueIds = population.queues.map(() => ids.next('que'));

  const setupStarted = Date.now();
  let storage = openSqliteStorage({ path, synchronous: 'NORMAL' }, () => time.now());
  await storage.migrate();
  await storage.transaction(async (tx) => {
    await tx.insertTenant({ id: tenantId, name: 'B2 memory', createdAt: at });
    for (const name of population.skillNames) await tx.routing.insertSkill({ tenantId, name, description: null, createdAt: at });
    for (const a of population.agents) {
      // Everyone who could take work is full: that is why 50,000 conversations wait.
      const used = ROUTABLE.includes(a.presence) ? a.capacity : 0;
      await tx.insertAgent({
        id: agentIds[a.n]!, tenantId, kind: 'human', displayName: `Agent ${a.n}`, email: null, appId: null, capacity: a.capacity, usedCapacity: used,
        presence: a.presence, presenceSince: at, skills: a.skills, attributes: a.attributes,
        lastAssignedAt: used > 0 ? new Date(time.now() - rng.int(0, 3_600_000)).toISOString() : null, missedOffers: 0, createdAt: at,
      });
    }
  });
  const channelId = ids.next('chn');
  const contactId = ids.next('con');
  const workstreamId = ids.next('wks');
  await storage.transaction(async (tx) => {
    for (const q of population.queues) {
      await tx.insertQueue({
        id: queueIds[q.n]!, tenantId, name: `Queue ${q.n}`, priority: q.priority, memberIds: [], version: 1, createdAt: at,
        routing: { ...DEFAULT_QUEUE_ROUTING, assignmentMethod: q.method, customOrder: q.customOrder },
      });
      for (const m of q.members) await tx.addQueueMember(tenantId, queueIds[q.n]!, agentIds[m]!, at);
    }
    await tx.insertChannel({ id: channelId, tenantId, type: 'webchat', name: 'Web chat', config: {}, createdAt: at });
    await tx.routing.insertWorkstream(workstreamFrom(
      { name: 'Chat', channelTypes: ['webchat'], fallbackQueueId: queueIds[0]! },
      { id: workstreamId, tenantId, version: 1, createdAt: at, updatedAt: at },
    ));
    // One customer for all: contacts are not routing state, and the engine never loads them.
    await tx.insertContact({ id: contactId, tenantId, displayName: 'Customer', attributes: {}, identities: [{ channelType: 'webchat', address: 'customer' }], createdAt: at });
    for (let i = 0; i < conversations; i++) {
      const queue = rng.pick(population.queues);
      const work = randomWork(rng, queue);
      const conversationId = ids.next('conv');
      const entered = time.now() - rng.int(0, 1_800_000);
      const priority = rng.int(0, 2);
      await tx.insertConversation({
        id: conversationId, tenantId, channelId, contactId, state: 'queued', queueId: queueIds[queue.n]!, subject: null, priority,
        lastSeq: 0, createdAt: new Date(entered).toISOString(), updatedAt: new Date(entered).toISOString(), closedAt: null,
      });
      // One in ten was offered before and declined: its skip list names that agent.
      const excluded: Record<string, number> = rng.chance(0.1) ? { [agentIds[rng.pick(queue.members)]!]: time.now() + 300_000 } : {};
      const item: RoutingItem = {
        conversationId, tenantId, workstreamId, queueId: queueIds[queue.n]!, status: 'waiting', priority, requiredSkills: work.requiredSkills,
        cost: 1, enteredAt: entered, orderAt: entered, preferredAgentId: null, preferredUntil: null, excluded, overflowApplied: [],
        skillsDropped: false, callbackRequestedAt: null, agentId: null, offerId: null, updatedAt: entered,
      };
      await tx.routing.insertRoutingItem(item);
    }
  });
  await storage.close();
  const setupSeconds = (Date.now() - setupStarted) / 1000;

  // Measured from here: the engine, over a storage that is already open in both readings.
  storage = openSqliteStorage({ path, synchronous: 'NORMAL' }, () => time.now());
  const bus = new InProcessBus();
  const engine = new RoutingEngine({ storage, bus, clock: time, ids, scheduler: time, random: new SeededRandom(seed) });
  await storage.read.getTenant(tenantId);
  const before = settle();
  const loadStarted = Date.now();
  await engine.start();
  await engine.idle();
  const loadSeconds = (Date.now() - loadStarted) / 1000;
  const shape = await engine.inspect(SYSTEM_CALLER, tenantId, 'routing.read', (state) => {
    // Ask every queue for each kind of work it gets, so best-skill queues build their skill orders.
    for (const q of population.queues) {
      for (let i = 0; i < 12; i++) state.index.select(queueIds[q.n]!, toWorkRequest(randomWork(rng, q), new Set()));
    }
    let waiting = 0;
    for (const line of state.lines.values()) waiting += line.size;
    return { agents: state.agents.size, queues: state.queues.size, items: state.items.size, waiting };
  });
  const after = settle();
  const offersMade = (await storage.read.routing.listOffers(tenantId, {})).length;
  process.stdout.write(`${JSON.stringify({
    conversations, setupSeconds, loadSeconds, shape, offersMade, timersPending: time.pending(),
    heapUsedBefore: before.heapUsed, heapUsedAfter: after.heapUsed, rssBefore: before.rss, rssAfter: after.rss,
    externalBefore: before.external, externalAfter: after.external,
  })}\n`);
  await engine.close();
  await storage.close();
  rmSync(path, { force: true });
}

await main();
