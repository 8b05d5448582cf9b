import { monitorEventLoopDelay } from 'node:perf_hooks';
import { SYSTEM_CALLER } from '../../src/app/caller.js';
import { isSwitchboardError } from '../../src/app/errors.js';
import { changesWallboard } from '../../src/app/routing/wallboard-feed.js';
import { changeConversationState } from '../../src/app/use-cases/change-conversation-state.js';
import { createAdminApiKey } from '../../src/app/use-cases/create-api-key.js';
import { createAgent } from '../../src/app/use-cases/create-agent.js';
import { createChannel } from '../../src/app/use-cases/create-channel.js';
import { createConversation } from '../../src/app/use-cases/create-conversation.js';
import { createQueue } from '../../src/app/use-cases/create-queue.js';
import { createTenant } from '../../src/app/use-cases/create-tenant.js';
import { createWorkstream } from '../../src/app/use-cases/create-workstream.js';
import { setAgentPresence } from '../../src/app/use-cases/set-agent-presence.js';
import type { Presence } from '../../src/core/routing/agent-selection.js';
import { assemble } from '../../src/server/composition-root.js';
import { loadConfig } from '../../src/server/config.js';
import { Rng } from '../b2/population.js';
import { LatencyHistogram, shuffled } from '../lib/stats.js';

/**
 * B3's Switchboard (a child process of bench/b3-wallboard.ts, pinned to the server's core): the
 * server assembled exactly as `switchboard serve` assembles it (the composition root, configured
 * from the environment, SQLite in the data directory), from src/ under tsx, and in the same
 * process the load generator, which changes routing state through the real use cases, as the API
 * handlers would call them, so every change is committed and published on the bus like any other.
 *
 * Seeded through the use cases at start: one tenant, B3_QUEUES queues, B3_AGENTS agents (capacity
 * B3_CAPACITY, each a member of two queues, half of them available), a `messenger` channel (not
 * web chat, whose queue announcer would add its own messages) and a push workstream whose route
 * rules send `queue.n == k` to queue k, offers lasting an hour (none time out).
 *
 * The load, started by the first SIGUSR2 and running until the process ends (open loop, on a
 * schedule checked every 2 ms):
 * - presence changes at B3_PRESENCE_RATE per second: the next agent of a fixed shuffled order who
 *   has no offer pending goes from available to away or back (`setAgentPresence`; someone deciding
 *   on an offer does not walk away from it); the engine offers waiting work to an agent who came
 *   back, and an agent who left keeps the conversations already accepted;
 * - new conversations at B3_ARRIVAL_RATE per second (`createConversation` + `RoutingEngine.route`),
 *   spread over the queues;
 * - a workforce: each `routing.offered` is answered after 100-600 ms, rejected one time in ten
 *   (`reject`), otherwise accepted (`accept`); an accepted conversation is closed 0.5-2 s later
 *   (`changeConversationState` to closed, which releases the capacity).
 *
 * Every further SIGUSR2 prints `mark {json}`: cumulative counters (events on the bus by type, the
 * ones the wallboard feed counts as changes, operations issued, answered, failed, the process's
 * own CPU time from process.cpuUsage), and since the previous mark the commit latency of the
 * presence changes (from the change's time, its `presenceSince`, to the use case's answer after
 * the commit) and the event-loop delay. The benchmark takes windows as differences of two marks.
 * Prints `ready <url> <admin key> <tenant id>` once seeded and listening.
 */

const env = (name: string, fallback: number) => Number(process.env[name] ?? fallback);
const AGENTS = env('B3_AGENTS', 200);
const QUEUES = env('B3_QUEUES', 20);
const CAPACITY = env('B3_CAPACITY', 5);
const PRESENCE_RATE = env('B3_PRESENCE_RATE', 300);
const ARRIVAL_RATE = env('B3_ARRIVAL_RATE', 190);
const MAX_IN_FLIGHT = env('B3_MAX_IN_FLIGHT', 2000);
const REJECT_SHARE = 0.1;

const config = loadConfig(process.env, process.cwd());
const sb = await assemble(config);
const key = await createAdminApiKey(sb.deps, 'B3 wallboard benchmark');
const { deps, routing } = sb;
const rng = new Rng(3);

const tenantId = (await createTenant(deps, SYSTEM_CALLER, { name: 'B3 wallboard' })).id;
const agentIds: string[] = [];
const presence = new Map<string, Presence>();
/** Agent id -> offers pending for it (from the bus). */
const pendingOffers = new Map<string, number>();
for (let i = 0; i < AGENTS; i++) {
  const initial: Presence = i % 2 === 0 ? 'available' : 'away';
  const agent = await createAgent(deps, SYSTEM_CALLER, tenantId, { kind: 'human', displayName: `Agent ${i}`, capacity: CAPACITY, presence: initial });
  agentIds.push(agent.id);
  presence.set(agent.id, initial);
}
const queueIds: string[] = [];
for (let q = 0; q < QUEUES; q++) {
  // Each agent is in its home queue and one other, so queues share agents as real ones do.
  const members = agentIds.filter((_, i) => i % QUEUES === q || (i * 7 + 3) % QUEUES === q);
  queueIds.push((await createQueue(deps, SYSTEM_CALLER, tenantId, { name: `Queue ${q}`, memberIds: members })).id);
}
const channelId = (await createChannel(deps, SYSTEM_CALLER, tenantId, { type: 'messenger', name: 'Messenger' })).id;
const workstreamId = (await createWorkstream(deps, SYSTEM_CALLER, tenantId, {
  name: 'Messages', channelTypes: ['messenger'], fallbackQueueId: queueIds[0]!, offerTimeoutSeconds: 3600,
  routeRules: queueIds.map((queueId, k) => ({ id: `queue-${k}`, condition: `queue.n == ${k}`, queueId })),
})).id;

// ---- counters --------------------------------------------------------------------------------

const events = new Map<string, number>();
let changes = 0;
const ops = {
  presence: 0, presenceFailed: 0, arrivals: 0, arrivalsFailed: 0, accepts: 0, rejects: 0, answersStale: 0, closes: 0, closesFailed: 0,
  /** Operations the schedule wanted while MAX_IN_FLIGHT were still unanswered: the server fell behind. */
  skipped: 0,
};
let inFlight = 0;
let maxInFlight = 0;
const errors = new Map<string, number>();
let commitLatency = new LatencyHistogram();
const delay = monitorEventLoopDelay({ resolution: 10 });
delay.enable();

function failed(what: string, error: unknown): void {
  const text = `${what}: ${isSwitchboardError(error) ? error.code : (error as Error).message}`.slice(0, 160);
  errors.set(text, (errors.get(text) ?? 0) + 1);
}

/** Counts one operation in flight until `work` settles. */
function track(work: () => Promise<void>): void {
  inFlight += 1;
  maxInFlight = Math.max(maxInFlight, inFlight);
  void work().finally(() => {
    inFlight -= 1;
  });
}

const OFFER_ENDS = new Set(['routing.offer_accepted', 'routing.offer_rejected', 'routing.offer_withdrawn', 'routing.offer_timed_out']);
const later = (minMs: number, maxMs: number, task: () => void) => setTimeout(task, rng.int(minMs, maxMs));

deps.bus.subscribe((event) => {
  events.set(event.type, (events.get(event.type) ?? 0) + 1);
  if (changesWallboard(event.type)) changes += 1;
  if (event.tenantId !== tenantId) return;
  if (event.type === 'agent.presence_changed') presence.set(event.payload.agentId as string, event.payload.to as Presence);
  if (event.type === 'routing.offered' || OFFER_ENDS.has(event.type)) {
    const agentId = (event.payload.agentId ?? (event.payload.offer as { agentId?: string } | undefined)?.agentId) as string;
    pendingOffers.set(agentId, (pendingOffers.get(agentId) ?? 0) + (event.type === 'routing.offered' ? 1 : -1));
  }
  if (running && event.type === 'routing.offered') {
    const offerId = (event.payload.offer as { id: string }).id;
    const agentId = event.payload.agentId as string;
    const conversationId = event.conversationId!;
    later(100, 600, () => track(() => answer(offerId, agentId, conversationId)));
  }
});

async function answer(offerId: string, agentId: string, conversationId: string): Promise<void> {
  const reject = rng.chance(REJECT_SHARE);
  try {
    if (reject) await routing.reject(SYSTEM_CALLER, tenantId, offerId, agentId, 'busy');
    else await routing.accept(SYSTEM_CALLER, tenantId, offerId, agentId);
  } catch (error) {
    // Withdrawn meanwhile (the agent went away): the offer is no longer pending.
    ops.answersStale += 1;
    if (!isSwitchboardError(error)) failed('answer', error);
    return;
  }
  if (reject) {
    ops.rejects += 1;
    return;
  }
  ops.accepts += 1;
  later(500, 2000, () => track(async () => {
    try {
      await changeConversationState(deps, SYSTEM_CALLER, tenantId, conversationId, { to: 'closed' });
      ops.closes += 1;
    } catch (error) {
      ops.closesFailed += 1;
      failed('close', error);
    }
  }));
}

const order = shuffled(agentIds.length, 3);
let nextAgent = 0;
async function changePresence(): Promise<void> {
  let agentId = agentIds[order[nextAgent++ % order.length]!]!;
  for (let tries = 0; (pendingOffers.get(agentId) ?? 0) > 0 && tries < agentIds.length; tries++) agentId = agentIds[order[nextAgent++ % order.length]!]!;
  const to: Presence = presence.get(agentId) === 'available' ? 'away' : 'available';
  presence.set(agentId, to);
  try {
    const agent = await setAgentPresence(deps, SYSTEM_CALLER, tenantId, agentId, to);
    commitLatency.record(Date.now() - Date.parse(agent.presenceSince));
    ops.presence += 1;
  } catch (error) {
    ops.presenceFailed += 1;
    failed('presence', error);
  }
}

let arrivals = 0;
async function arrive(): Promise<void> {
  const n = arrivals++;
  try {
    const created = await createConversation(deps, SYSTEM_CALLER, tenantId, {
      channelId, customer: { address: `customer-${n}` }, context: { 'queue.n': { type: 'number', value: n % QUEUES } },
    });
    await routing.route(SYSTEM_CALLER, tenantId, created.conversation.id, { workstreamId });
    ops.arrivals += 1;
  } catch (error) {
    ops.arrivalsFailed += 1;
    failed('arrival', error);
  }
}

// ---- the schedule ------------------------------------------------------------------------------

let running = false;
function startLoad(): void {
  running = true;
  const started = performance.now();
  let presenceDue = 0;
  let arrivalsDue = 0;
  const issue = (work: () => Promise<void>) => {
    if (inFlight >= MAX_IN_FLIGHT) ops.skipped += 1;
    else track(work);
  };
  setInterval(() => {
    const seconds = (performance.now() - started) / 1000;
    for (const due = Math.floor(seconds * PRESENCE_RATE); presenceDue < due; presenceDue++) issue(changePresence);
    for (const due = Math.floor(seconds * ARRIVAL_RATE); arrivalsDue < due; arrivalsDue++) issue(arrive);
  }, 2);
}

async function mark(): Promise<void> {
  // Everything at the moment of the signal; then how many conversations wait (a step in the engine's queue).
  const cpu = process.cpuUsage();
  const ms = (ns: number) => Math.round(ns / 1e4) / 100;
  const line = {
    at: Date.now(), cpuSeconds: (cpu.user + cpu.system) / 1e6, events: Object.fromEntries(events), changes, ops: { ...ops }, inFlight, maxInFlight,
    commitLatency: commitLatency.toJSON(), eld: { p50: ms(delay.percentile(50)), p99: ms(delay.percentile(99)), max: ms(delay.max) },
    errors: [...errors].sort((a, b) => b[1] - a[1]).slice(0, 5),
  };
  commitLatency = new LatencyHistogram();
  delay.reset();
  maxInFlight = inFlight;
  const waiting = await routing.inspect(SYSTEM_CALLER, tenantId, 'queues.read', (state) => [...state.lines.values()].reduce((n, l) => n + l.size, 0));
  process.stdout.write(`mark ${JSON.stringify({ ...line, waiting })}\n`);
}

process.on('SIGUSR2', () => {
  if (!running) startLoad();
  void mark();
});

const address = await sb.app.listen({ host: '127.0.0.1', port: 0 });
process.stdout.write(`ready ${address} ${key.token} ${tenantId}\n`);
const stop = () => {
  running = false;
  sb.close().then(() => process.exit(0), () => process.exit(1));
};
process.once('SIGTERM', stop);
process.once('SIGINT', stop);
