import { AgentIndex } from '../../src/app/routing/agent-index.js';
import { selectAgent, type AgentSnapshot, type QueueSnapshot } from '../../src/core/routing/agent-selection.js';
import { AgentsScan } from './agents-scan.js';
import { agentSnapshot, randomPresence, randomWork, Rng, ROUTABLE, toWorkRequest, type Population } from './population.js';

/**
 * B2 part 1: in-memory routing decisions. One simulated contact center runs N decisions through
 * a selector: each work item goes to a queue, the selector chooses an agent, the choice is applied
 * the way the engine applies an offer (capacity used, last assignment time, round-robin pointer),
 * 30% of offers are declined (capacity back, the agent excluded, a new decision), work ends at
 * random, and agents change presence. The same seeded run is made with the engine's AgentIndex,
 * with the brute-force scan `selectAgent` over the queue's snapshot, and with the O(agents) scan
 * over plain arrays (agents-scan.ts). Because the workload's random
 * draws do not depend on the selector, the runs stay identical exactly as long as every choice
 * is the same: the choices are compared one by one, and every 50th indexed decision is also checked
 * against the oracle on the spot.
 */

/** index: the engine's AgentIndex; scan: the oracle over the queue's members; agents: the O(agents) scan over plain arrays. */
export type SelectorKind = 'index' | 'scan' | 'agents';

export interface DecisionSample {
  readonly kind: SelectorKind;
  readonly decisions: number;
  /** Time inside select calls, ns. */
  readonly selectNs: number;
  /** Time keeping the selector up to date after each change (agent upserts, pointer moves), ns. */
  readonly upkeepNs: number;
  /** Per-decision select latency, ns. */
  readonly latencies: Float64Array;
  /** The agent chosen by each decision (null: nobody), for comparing the runs. */
  readonly choices: (string | null)[];
  /** Oracle disagreements found by the on-the-spot check (index runs only). */
  readonly violations: string[];
  readonly checked: number;
  /** Setup time (building the index), ms; not part of any figure. */
  readonly buildMs: number;
  readonly offered: number;
  readonly declined: number;
  readonly unmatched: number;
  readonly presenceChanges: number;
  readonly avgMembers: number;
  readonly avgCandidatesVisited: number;
  /** Select time by kind of decision (the queue's assignment method, or closest matching): where the time goes. */
  readonly byKind: ReadonlyMap<string, { count: number; ns: number }>;
}

interface Selector {
  select(queueId: string, work: ReturnType<typeof toWorkRequest>): string | null;
  /** The agent's snapshot changed (the simulation already holds the new one). */
  upsert(agent: AgentSnapshot): void;
  pointer(queueId: string, agentId: string): void;
}

const DECLINE_SHARE = 0.3;
const PRESENCE_CHURN_PER_ITEM = 0.1;
const CHECK_EVERY = 50;
/** Work in progress kept near this share of all capacity, so some agents are full and some free. */
const TARGET_UTILISATION = 0.4;

/**
 * One selector's run of the simulated contact center, advanced a work item at a time so that two
 * runs can take turns in short chunks (see runTrio): all then see the same machine, which on a
 * shared VM moves by tens of percent from one second to the next.
 */
export class DecisionRun {
  readonly kind: SelectorKind;
  private readonly rng: Rng;
  private readonly population: Population;
  private readonly ids: string[];
  private readonly queueIds: string[];
  private readonly agents: Map<string, AgentSnapshot>;
  private readonly totalCapacity: number;
  private readonly index: AgentIndex | undefined;
  private readonly selector: Selector;
  private readonly buildMs: number;
  private readonly latencies: Float64Array;
  private readonly choices: (string | null)[] = [];
  private readonly violations: string[] = [];
  private readonly active: { agentId: string; cost: number }[] = [];
  private readonly byKind = new Map<string, { count: number; ns: number }>();
  private visitedTotal = 0;
  private used = 0;
  private selectNs = 0;
  private upkeepNs = 0;
  private made = 0;
  private checked = 0;
  private offered = 0;
  private declined = 0;
  private unmatched = 0;
  private presenceChanges = 0;
  private now = Date.UTC(2026, 10, 23, 9, 0, 0);

  constructor(population: Population, kind: SelectorKind, private readonly decisions: number, seed: number) {
    this.kind = kind;
    this.population = population;
    this.rng = new Rng(seed);
    this.latencies = new Float64Array(decisions);
    const ids = population.agents.map((a) => `agt_${String(a.n).padStart(5, '0')}`);
    this.ids = ids;
    const agents = new Map<string, AgentSnapshot>(population.agents.map((a) => [ids[a.n]!, agentSnapshot(a, ids[a.n]!)]));
    this.agents = agents;
    this.queueIds = population.queues.map((q) => `que_${String(q.n).padStart(3, '0')}`);
    const snapshots = new Map<string, QueueSnapshot>(population.queues.map((q) => [this.queueIds[q.n]!, {
      id: this.queueIds[q.n]!, method: q.method, memberIds: q.members.map((m) => ids[m]!), lastRoundRobinId: null, customOrder: q.customOrder,
    }]));
    this.totalCapacity = population.agents.reduce((sum, a) => sum + a.capacity, 0);

    const buildStart = process.hrtime.bigint();
    if (kind === 'index') {
      const built = new AgentIndex(ROUTABLE);
      for (const agent of agents.values()) built.upsertAgent(agent);
      for (const snapshot of snapshots.values()) built.setQueue(snapshot);
      this.index = built;
      this.selector = {
        select: (queueId, work) => {
          const choice = built.select(queueId, work);
          this.visitedTotal += choice.visited;
          return choice.agentId;
        },
        upsert: (agent) => built.upsertAgent(agent),
        pointer: (queueId, agentId) => built.setLastRoundRobin(queueId, agentId),
      };
    } else if (kind === 'agents') {
      const scan = new AgentsScan([...agents.values()], [...snapshots.values()]);
      this.index = undefined;
      this.selector = { select: (queueId, work) => scan.select(queueId, work), upsert: (agent) => scan.upsert(agent), pointer: (queueId, agentId) => scan.pointer(queueId, agentId) };
    } else {
      // The scan reads the simulation's own map of agents: it needs no upkeep beyond the pointer.
      this.index = undefined;
      this.selector = {
        select: (queueId, work) => selectAgent(snapshots.get(queueId)!, agents, work).agentId,
        upsert: () => undefined,
        pointer: (queueId, agentId) => snapshots.set(queueId, { ...snapshots.get(queueId)!, lastRoundRobinId: agentId }),
      };
    }
    this.buildMs = Number(process.hrtime.bigint() - buildStart) / 1e6;
  }

  get done(): boolean {
    return this.made >= this.decisions;
  }

  /** The agent chosen by decision `i` (null: nobody), for comparing two runs as they go. */
  choice(i: number): string | null | undefined {
    return this.choices[i];
  }

  get decisionsMade(): number {
    return this.made;
  }

  private update(agent: AgentSnapshot): void {
    this.agents.set(agent.id, agent);
    const t = process.hrtime.bigint();
    this.selector.upsert(agent);
    this.upkeepNs += Number(process.hrtime.bigint() - t);
  }

  /** One work item: offered until someone keeps it, nobody is eligible, or three offers were declined; then endings and churn. */
  step(): void {
    const { rng, agents } = this;
    this.now += 250;
    const queue = rng.pick(this.population.queues);
    const queueId = this.queueIds[queue.n]!;
    const shape = randomWork(rng, queue);
    const excluded = new Set<string>();
    const kind = shape.match === 'closest' ? 'closest matching (any method)' : queue.method;
    for (let attempt = 0; attempt < 3 && this.made < this.decisions; attempt++) {
      const work = toWorkRequest(shape, excluded);
      const t = process.hrtime.bigint();
      const chosen = this.selector.select(queueId, work);
      const dt = Number(process.hrtime.bigint() - t);
      this.selectNs += dt;
      this.latencies[this.made] = dt;
      const tally = this.byKind.get(kind) ?? { count: 0, ns: 0 };
      tally.count++;
      tally.ns += dt;
      this.byKind.set(kind, tally);
      this.choices.push(chosen);
      this.made++;
      if (this.index && this.made % CHECK_EVERY === 0) {
        this.checked++;
        const oracle = selectAgent(this.index.queueSnapshot(queueId)!, this.index.agents(), work).agentId;
        if (oracle !== chosen && this.violations.length < 10) this.violations.push(`decision ${this.made} in ${queueId}: index chose ${chosen}, oracle ${oracle}`);
      }
      if (chosen === null) {
        this.unmatched++;
        break;
      }
      this.offered++;
      const agent = agents.get(chosen)!;
      this.update({ ...agent, used: agent.used + shape.cost, lastAssignedAt: this.now });
      const tp = process.hrtime.bigint();
      this.selector.pointer(queueId, chosen);
      this.upkeepNs += Number(process.hrtime.bigint() - tp);
      if (rng.next() < DECLINE_SHARE) {
        this.declined++;
        const current = agents.get(chosen)!;
        this.update({ ...current, used: current.used - shape.cost });
        excluded.add(chosen);
        continue;
      }
      this.active.push({ agentId: chosen, cost: shape.cost });
      this.used += shape.cost;
      break;
    }

    // Conversations end: more of them while above the target load, so the load hovers around it.
    const endings = this.used > this.totalCapacity * TARGET_UTILISATION ? 2 : rng.chance(0.5) ? 1 : 0;
    for (let e = 0; e < endings && this.active.length > 0; e++) {
      const i = rng.int(0, this.active.length - 1);
      const ended = this.active[i]!;
      this.active[i] = this.active[this.active.length - 1]!;
      this.active.pop();
      this.used -= ended.cost;
      const agent = agents.get(ended.agentId)!;
      this.update({ ...agent, used: agent.used - ended.cost });
    }

    if (rng.chance(PRESENCE_CHURN_PER_ITEM)) {
      const agent = agents.get(this.ids[rng.int(0, this.ids.length - 1)]!)!;
      const presence = randomPresence(rng);
      if (presence !== agent.presence) {
        this.presenceChanges++;
        this.update({ ...agent, presence });
      }
    }
  }

  result(): DecisionSample {
    const population = this.population;
    const avgMembers = population.queues.reduce((sum, q) => sum + q.members.length, 0) / population.queues.length;
    return {
      kind: this.kind, decisions: this.made, selectNs: this.selectNs, upkeepNs: this.upkeepNs, latencies: this.latencies.subarray(0, this.made),
      choices: this.choices, violations: this.violations, checked: this.checked, buildMs: this.buildMs, offered: this.offered, declined: this.declined,
      unmatched: this.unmatched, presenceChanges: this.presenceChanges, avgMembers,
      avgCandidatesVisited: this.kind === 'index' ? this.visitedTotal / this.made : Number.NaN, byKind: this.byKind,
    };
  }
}

/** Work items per turn when the runs alternate: long enough to keep caches warm, short next to the machine's swings. */
const CHUNK = 250;

export interface DecisionRuns {
  readonly index: DecisionSample;
  readonly scan: DecisionSample;
  readonly agents: DecisionSample;
  /** The first decision where a baseline chose differently from the index, if any. */
  readonly difference: string | undefined;
}

/**
 * The same seeded workload through the three selectors, taking turns every CHUNK work items
 * (`first` starts each turn, the others follow in a fixed order). Returns the samples and the first
 * decision where a baseline chose differently from the index.
 */
export function runTrio(population: Population, decisions: number, seed: number, first: SelectorKind): DecisionRuns {
  const runs = {
    index: new DecisionRun(population, 'index', decisions, seed),
    scan: new DecisionRun(population, 'scan', decisions, seed),
    agents: new DecisionRun(population, 'agents', decisions, seed),
  };
  const kinds: SelectorKind[] = ['index', 'scan', 'agents'];
  const order = [runs[first], ...kinds.filter((k) => k !== first).map((k) => runs[k])];
  let compared = 0;
  let difference: string | undefined;
  while (order.some((run) => !run.done)) {
    for (const run of order) for (let i = 0; i < CHUNK && !run.done; i++) run.step();
    // The runs consume the same random draws only while their choices agree, so stop at a divergence.
    const upTo = Math.min(...order.map((run) => run.decisionsMade));
    for (; compared < upTo && difference === undefined; compared++) {
      const a = runs.index.choice(compared);
      for (const baseline of [runs.scan, runs.agents]) {
        const b = baseline.choice(compared);
        if (a !== b && difference === undefined) difference = `decision ${compared + 1}: index chose ${a}, ${baseline.kind} chose ${b}`;
      }
    }
    if (difference) break;
  }
  return { index: runs.index.result(), scan: runs.scan.result(), agents: runs.agents.result(), difference };
}

/** Percentile (0-100), nearest rank, of a copy sorted ascending. */
export function percentile(values: Float64Array, p: number): number {
  const sorted = Float64Array.from(values).sort();
  if (sorted.length === 0) return Number.NaN;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))]!;
}
