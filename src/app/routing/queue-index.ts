import type { AgentSnapshot, AssignmentMethod, OrderKey, QueueSnapshot, SkillRequirement } from '../../core/routing/agent-selection.js';
import { sortValue } from '../../core/routing/agent-selection.js';
import { OrderedMembers, compareGroupKeys, rotating, type GroupKey, type MemberKey, type Slot } from './ordered-members.js';
import { canonicalSkills, minimumSum, proficiencySum } from './skill-fit.js';

/** A queue as the index is given it: the oracle's queue snapshot. */
export type IndexedQueue = QueueSnapshot;

/** Returns the agent if it may be chosen at all (routable presence, free capacity), else undefined. */
export type CandidateLookup = (agentId: string) => AgentSnapshot | undefined;

interface IdleKey extends MemberKey {
  /** lastAssignedAt, never-assigned as -Infinity like the oracle. */
  readonly since: number;
}

interface CustomKey extends MemberKey {
  readonly values: readonly (number | string | undefined)[];
}

/**
 * How a method's candidates are walked: round-robin and highest-capacity rotate through groups from
 * the pointer (highest-capacity's groups being free capacities, so it can stop below the cost);
 * longest-idle and custom follow their keys; best-skill's order depends on the work's skills.
 */
type MethodOrder =
  | { readonly walk: 'rotating'; readonly members: OrderedMembers<GroupKey>; readonly groupIsFreeCapacity: boolean }
  | { readonly walk: 'sorted'; readonly members: OrderedMembers<IdleKey> | OrderedMembers<CustomKey> }
  | { readonly walk: 'by-skills' };

/**
 * Best-skill orders are kept per set of required skill names, built on first use. Each one costs
 * an O(log n) update per agent change, so a queue keeps only the most recently used few; an
 * evicted one is rebuilt (O(n log n)) if its skills are asked for again.
 */
const MAX_SKILL_ORDERS = 16;

/**
 * One queue's candidates, ordered the way its assignment method ranks them. Only agents that can
 * be chosen at all are filed (see CandidateLookup), so a full or logged-off agent costs nothing
 * when selecting. Every member list occurrence is filed separately, as the oracle ranks them.
 */
export class QueueIndex {
  readonly id: string;
  readonly method: AssignmentMethod;
  private readonly memberIds: readonly string[];
  private readonly customOrder: readonly OrderKey[] | undefined;
  private lastRoundRobinId: string | null;
  private readonly positions = new Map<string, number[]>();
  private readonly order: MethodOrder;
  private readonly skillOrders = new Map<string, OrderedMembers<GroupKey>>();
  /** Positions whose agent is a candidate, whatever a work item asks (see hasCandidates). */
  private readonly candidatePositions = new Set<number>();
  /** The skills each candidate was last filed with in the skill orders (absent: not filed). */
  private readonly filedSkills = new Map<string, AgentSnapshot['skills']>();

  constructor(queue: IndexedQueue, private readonly candidate: CandidateLookup) {
    this.id = queue.id;
    this.method = queue.method;
    // Copies: positions are filed in the trees, so the caller must not be able to shift them.
    this.memberIds = Object.freeze([...queue.memberIds]);
    this.customOrder = queue.customOrder === undefined ? undefined : Object.freeze([...queue.customOrder]);
    this.lastRoundRobinId = queue.lastRoundRobinId;
    this.memberIds.forEach((id, position) => {
      const list = this.positions.get(id);
      if (list) list.push(position);
      else this.positions.set(id, [position]);
    });
    this.order = this.methodOrder();
    for (const id of this.positions.keys()) this.place(id, candidate(id));
  }

  /** Distinct member ids. */
  members(): IterableIterator<string> {
    return this.positions.keys();
  }

  /** Re-files every occurrence of the agent from its current snapshot (undefined: not a candidate). */
  place(agentId: string, agent: AgentSnapshot | undefined): void {
    const positions = this.positions.get(agentId);
    if (!positions) return;
    // Skill orders key on skills alone: a candidate whose skills object is the one it was filed
    // with (a change of load or idle time) keeps its place in all of them, which saves up to
    // MAX_SKILL_ORDERS key computations per queue on most updates.
    const skillsUnchanged = agent !== undefined && this.filedSkills.get(agentId) === agent.skills;
    if (agent) this.filedSkills.set(agentId, agent.skills);
    else this.filedSkills.delete(agentId);
    for (const position of positions) {
      if (agent) this.candidatePositions.add(position);
      else this.candidatePositions.delete(position);
      if (this.order.walk !== 'by-skills') this.order.members.place(position, agent);
      if (!skillsUnchanged) for (const members of this.skillOrders.values()) members.place(position, agent);
    }
  }

  /**
   * Whether any member could be chosen for some work now (a routable presence and free capacity).
   * Unlike an empty walk of `candidates`, this does not depend on one work item's skills or cost:
   * best-skill walks only agents holding the item's skills and highest-capacity stops below the
   * item's cost, so a walk that visits nobody says nothing about the next item in line.
   */
  hasCandidates(): boolean {
    return this.candidatePositions.size > 0;
  }

  setLastRoundRobin(agentId: string | null): void {
    this.lastRoundRobinId = agentId;
  }

  snapshot(): QueueSnapshot {
    return { id: this.id, method: this.method, memberIds: this.memberIds, lastRoundRobinId: this.lastRoundRobinId, customOrder: this.customOrder };
  }

  /** The oracle's round-robin turn of a position: 0 for the member right after the pointer. */
  turn(position: number): number {
    const n = this.memberIds.length;
    return (position - this.lastPosition() - 1 + n) % n;
  }

  /**
   * Candidates in the method's order, lazily, so a search that finds its agent early stops early.
   * Two departures from a plain walk, both only leaving out agents the oracle would reject:
   * highest-capacity stops at the first free capacity below the cost (everyone after has less), and
   * best-skill starts at the sum of the minimum proficiencies (an agent meeting every minimum has at
   * least that sum); with closest matching it then walks the lower sums too, since someone who
   * falls short may still be the closest.
   */
  *candidates(cost: number, skills: readonly SkillRequirement[], exact: boolean): Generator<Slot> {
    const last = this.lastPosition();
    switch (this.order.walk) {
      case 'rotating':
        yield* rotating(this.order.members, last, -Infinity, this.order.groupIsFreeCapacity ? (group) => -group >= cost : () => true);
        return;
      case 'sorted':
        yield* this.order.members.inOrder();
        return;
      case 'by-skills': {
        const canonical = canonicalSkills(skills);
        const fit = this.skillOrder(canonical.map((s) => s.skill));
        const floor = minimumSum(canonical);
        yield* rotating(fit, last, floor, () => true);
        if (!exact) yield* rotating(fit, last, -Infinity, (group) => group < floor);
        return;
      }
    }
  }

  private lastPosition(): number {
    if (this.lastRoundRobinId === null) return -1;
    // indexOf semantics: a repeated member counts from its first occurrence, a stranger as none.
    return this.positions.get(this.lastRoundRobinId)?.[0] ?? -1;
  }

  private methodOrder(): MethodOrder {
    switch (this.method) {
      case 'round-robin':
        return { walk: 'rotating', members: new OrderedMembers<GroupKey>((_agent, position) => ({ group: 0, position }), compareGroupKeys), groupIsFreeCapacity: false };
      case 'highest-capacity': {
        // Negated so that the ascending tree walks the largest free capacity first.
        const members = new OrderedMembers<GroupKey>((agent, position) => ({ group: -(agent.capacity - agent.used), position }), compareGroupKeys);
        return { walk: 'rotating', members, groupIsFreeCapacity: true };
      }
      case 'longest-idle':
        return { walk: 'sorted', members: new OrderedMembers<IdleKey>((agent, position) => ({ since: agent.lastAssignedAt ?? -Infinity, position }), compareIdle) };
      case 'custom': {
        const order = this.customOrder ?? [];
        const members = new OrderedMembers<CustomKey>(
          (agent, position) => ({ values: order.map(({ key }) => sortValue(agent, key)), position }),
          (a, b) => compareCustom(order, a, b),
        );
        return { walk: 'sorted', members };
      }
      case 'best-skill':
        return { walk: 'by-skills' };
    }
  }

  /**
   * Among agents who meet every minimum, surplus = sum(proficiency) - sum(minimum), and the minimums
   * are the same for all of them; so ordering by the sum of proficiencies over the required names
   * (with repeats) is the oracle's surplus order, and one tree serves every minimum over those names.
   * Agents lacking one of the skills can never be chosen and are left out.
   */
  private skillOrder(names: readonly string[]): OrderedMembers<GroupKey> {
    const key = JSON.stringify(names);
    const known = this.skillOrders.get(key);
    if (known) {
      // Re-inserted at the end: Map order doubles as recency for eviction.
      this.skillOrders.delete(key);
      this.skillOrders.set(key, known);
      return known;
    }
    const members = new OrderedMembers<GroupKey>((agent, position) => {
      const group = proficiencySum(agent, names);
      return group === undefined ? undefined : { group, position };
    }, compareGroupKeys);
    for (const [id, positions] of this.positions) {
      const agent = this.candidate(id);
      if (agent) for (const position of positions) members.place(position, agent);
    }
    this.skillOrders.set(key, members);
    if (this.skillOrders.size > MAX_SKILL_ORDERS) {
      const oldest = this.skillOrders.keys().next().value;
      if (oldest !== undefined) this.skillOrders.delete(oldest);
    }
    return members;
  }
}

function compareIdle(a: IdleKey, b: IdleKey): number {
  if (a.since !== b.since) return a.since < b.since ? -1 : 1;
  return a.position - b.position;
}

/**
 * A total order (what a B-tree needs) as long as each key's values are all numbers or all strings,
 * which is also what makes the oracle's sort well defined.
 */
function compareCustom(order: readonly OrderKey[], a: CustomKey, b: CustomKey): number {
  for (let i = 0; i < order.length; i += 1) {
    const x = a.values[i];
    const y = b.values[i];
    if (x === y) continue;
    // An agent without the attribute sorts after every agent that has it, in either direction.
    if (x === undefined) return 1;
    if (y === undefined) return -1;
    const cmp = x < y ? -1 : 1;
    return order[i]!.direction === 'asc' ? cmp : -cmp;
  }
  return a.position - b.position;
}
