import {
  applicableSkills, selectAgent, type AgentSnapshot, type Presence, type QueueSnapshot, type SkillRequirement, type WorkRequest,
} from '../../core/routing/agent-selection.js';
import { QueueIndex, type IndexedQueue } from './queue-index.js';
import { shortfall, surplus } from './skill-fit.js';

export type { IndexedQueue } from './queue-index.js';

export type PassOverReason = 'excluded' | 'presence' | 'capacity' | 'skills';

export interface IndexedChoice {
  readonly agentId: string | null;
  /** Agents visited before the winner and why each was passed over (the cheap "why" of a decision). */
  readonly passedOver: readonly { readonly agentId: string; readonly reason: PassOverReason }[];
  /** How many candidates the search visited (for benchmarks/explanations). */
  readonly visited: number;
}

interface Membership {
  readonly queue: QueueIndex;
  readonly positions: readonly number[];
}

/** Someone who falls short of the skills, kept in case nobody meets them all (closest matching). */
interface Runner {
  readonly agent: AgentSnapshot;
  readonly position: number;
  readonly gap: number;
  /** How many passedOver entries precede this agent. */
  readonly passedOverBefore: number;
}

/**
 * The routing engine's agent selector: chooses exactly what `selectAgent` (the brute-force oracle in
 * core/routing/agent-selection.ts) chooses, visiting only the first candidates in the method's
 * order when they are eligible. Each queue keeps its members ordered by its assignment method
 * (see QueueIndex: bitsets grouped by free capacity or skill sum for the rotating methods, sorted
 * trees for longest-idle and custom), holding only agents that could ever be chosen: a routable
 * presence and free capacity. A decision walks that order and stops at the first eligible agent.
 * An agent update re-files it in each of its queues: a bit or two for the rotating methods, a tree
 * delete and insert for the sorted ones only when the key changed. Upkeep matters as much as the
 * walk, because every offer, release and presence change is an update, in every queue of the agent.
 *
 * Example:
 *   const index = new AgentIndex(['available', 'busy']);
 *   index.upsertAgent(agent); index.setQueue({ id: 'q', method: 'round-robin', memberIds: [agent.id], lastRoundRobinId: null });
 *   index.select('q', work).agentId;
 */
export class AgentIndex {
  private readonly routable: ReadonlySet<Presence>;
  private readonly agentsById = new Map<string, AgentSnapshot>();
  private readonly queues = new Map<string, QueueIndex>();
  /**
   * Member id -> the queues listing it with its positions there, upserted or not: an agent added
   * later must land in them. Kept per agent so that an update, the most frequent operation, looks
   * nothing up per queue.
   */
  private readonly queuesOf = new Map<string, Membership[]>();

  /** Agents whose presence is not routable are never candidates, whatever a work item allows. */
  constructor(routablePresences: readonly Presence[]) {
    this.routable = new Set(routablePresences);
  }

  upsertAgent(agent: AgentSnapshot): void {
    this.agentsById.set(agent.id, agent);
    const candidate = this.isCandidate(agent) ? agent : undefined;
    const queues = this.queuesOf.get(agent.id);
    if (queues) for (const { queue, positions } of queues) queue.placeAt(positions, candidate);
  }

  removeAgent(agentId: string): void {
    if (!this.agentsById.delete(agentId)) return;
    for (const { queue, positions } of this.queuesOf.get(agentId) ?? []) queue.placeAt(positions, undefined);
  }

  setQueue(queue: IndexedQueue): void {
    this.removeQueue(queue.id);
    const index = new QueueIndex(queue, this.candidate);
    this.queues.set(queue.id, index);
    for (const agentId of index.members()) {
      const membership: Membership = { queue: index, positions: index.positionsOf(agentId)! };
      const memberOf = this.queuesOf.get(agentId);
      if (memberOf) memberOf.push(membership);
      else this.queuesOf.set(agentId, [membership]);
    }
  }

  removeQueue(queueId: string): void {
    const index = this.queues.get(queueId);
    if (!index) return;
    this.queues.delete(queueId);
    for (const agentId of index.members()) {
      const memberOf = this.queuesOf.get(agentId)?.filter((m) => m.queue !== index);
      if (memberOf === undefined || memberOf.length === 0) this.queuesOf.delete(agentId);
      else this.queuesOf.set(agentId, memberOf);
    }
  }

  setLastRoundRobin(queueId: string, agentId: string | null): void {
    this.queues.get(queueId)?.setLastRoundRobin(agentId);
  }

  /** Whether any member of the queue could be chosen for some work now (see QueueIndex.hasCandidates). */
  hasCandidates(queueId: string): boolean {
    return this.queues.get(queueId)?.hasCandidates() ?? false;
  }

  getAgent(agentId: string): AgentSnapshot | undefined {
    return this.agentsById.get(agentId);
  }

  /** The queue and agents as the oracle sees them, for explanations and tests. */
  queueSnapshot(queueId: string): QueueSnapshot | undefined {
    return this.queues.get(queueId)?.snapshot();
  }

  agents(): ReadonlyMap<string, AgentSnapshot> {
    return this.agentsById;
  }

  /**
   * Exact matching: the first eligible candidate in the method's order is the oracle's first.
   * Closest matching: the oracle ranks by shortfall before the method, so the first candidate with
   * no shortfall still wins at once (nobody can beat a shortfall of 0, and among those the method
   * order decides); only when nobody meets every requirement does the walk go through all of the
   * queue's candidates, keeping the best of those who fall short. That full walk is O(n), accepted
   * because it is the rare case and its answer needs every shortfall.
   */
  select(queueId: string, work: WorkRequest): IndexedChoice {
    const queue = this.queues.get(queueId);
    if (!queue) return { agentId: null, passedOver: [], visited: 0 };
    if (!(work.cost > 0)) return this.scanAll(queue, work);
    const skills = applicableSkills(work);
    const exact = work.match === 'exact';
    const passedOver: { agentId: string; reason: PassOverReason }[] = [];
    let visited = 0;
    let best: Runner | undefined;
    let winner: string | null = null;
    queue.walk(work.cost, skills, exact, (agent, position) => {
      visited += 1;
      const reason = passOverReason(agent, work);
      if (reason) {
        passedOver.push({ agentId: agent.id, reason });
        return false;
      }
      const gap = shortfall(agent, skills);
      if (gap === 0) {
        winner = agent.id;
        return true;
      }
      if (gap !== undefined && !exact) {
        const runner: Runner = { agent, position, gap, passedOverBefore: passedOver.length };
        if (!best || outranks(queue, skills, runner, best)) best = runner;
      }
      passedOver.push({ agentId: agent.id, reason: 'skills' });
      return false;
    });
    if (winner !== null) return { agentId: winner, passedOver, visited };
    const runnerUp = best as Runner | undefined;
    if (!runnerUp) return { agentId: null, passedOver, visited };
    return { agentId: runnerUp.agent.id, passedOver: passedOver.slice(0, runnerUp.passedOverBefore), visited };
  }

  private readonly candidate = (agentId: string): AgentSnapshot | undefined => {
    const agent = this.agentsById.get(agentId);
    return agent && this.isCandidate(agent) ? agent : undefined;
  };

  private isCandidate(agent: AgentSnapshot): boolean {
    return this.routable.has(agent.presence) && agent.capacity - agent.used > 0;
  }

  /**
   * A cost of 0 or less (or NaN) makes agents without free capacity eligible in the oracle, and the
   * trees do not hold them; such a request is answered by the oracle itself over all members rather
   * than weakening the trees for a case routing never produces.
   */
  private scanAll(queue: QueueIndex, work: WorkRequest): IndexedChoice {
    const routableOnly = { ...work, allowedPresences: work.allowedPresences.filter((p) => this.routable.has(p)) };
    const selection = selectAgent(queue.snapshot(), this.agentsById, routableOnly);
    const passedOver = selection.ineligible.flatMap(({ agentId, reason }) => (reason === 'not_a_member_snapshot' ? [] : [{ agentId, reason }]));
    return { agentId: selection.agentId, passedOver, visited: passedOver.length + selection.ranked.length };
  }
}

/** The oracle's checks before skills, in the oracle's order (so the reason reported is the same). */
function passOverReason(agent: AgentSnapshot, work: WorkRequest): Exclude<PassOverReason, 'skills'> | undefined {
  if (work.excluded.has(agent.id)) return 'excluded';
  if (!work.allowedPresences.includes(agent.presence)) return 'presence';
  if (agent.capacity - agent.used < work.cost) return 'capacity';
  return undefined;
}

/**
 * Whether `later` ranks before `earlier` among those who fall short (visited in that order). The
 * walk follows the method's order except for best-skill, whose trees group agents by the sum of
 * proficiencies and whose closest walk visits the low sums last; so best-skill compares the
 * oracle's keys explicitly, and every other method lets the earlier visit win ties.
 */
function outranks(queue: QueueIndex, skills: readonly SkillRequirement[], later: Runner, earlier: Runner): boolean {
  if (later.gap !== earlier.gap) return later.gap < earlier.gap;
  if (queue.method !== 'best-skill') return false;
  const a = surplus(later.agent, skills);
  const b = surplus(earlier.agent, skills);
  if (a !== b) return a < b;
  return queue.turn(later.position) < queue.turn(earlier.position);
}
