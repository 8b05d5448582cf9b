import type { AgentSnapshot, AssignmentMethod, OrderKey, QueueSnapshot, SkillRequirement } from '../../core/routing/agent-selection.js';
import { sortValueReader } from '../../core/routing/agent-selection.js';
import { GroupedPositions } from './grouped-positions.js';
import { OrderedMembers, type MemberKey } from './ordered-members.js';
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
 * the pointer (round robin has one group; highest-capacity's groups are negated free capacities, so
 * it can stop below the cost); longest-idle and custom follow their keys in a sorted tree (their
 * keys are arbitrary numbers and strings, and change less often: on an assignment, not on every
 * release); best-skill's order depends on the work's skills.
 */
type MethodOrder =
  | { readonly walk: 'rotating'; readonly groups: GroupedPositions; readonly groupIsFreeCapacity: boolean }
  | {
    readonly walk: 'sorted';
    readonly members: OrderedMembers<IdleKey> | OrderedMembers<CustomKey>;
    /** Whether a candidate's key is the same in both snapshots (cheaper than building the key to compare). */
    readonly sameKey: (was: AgentSnapshot, now: AgentSnapshot) => boolean;
  }
  | { readonly walk: 'by-skills' };

/** A best-skill order for one set of skill names: candidates holding them all, grouped by the sum of proficiencies. */
interface SkillOrder {
  readonly names: readonly string[];
  readonly groups: GroupedPositions;
}

/**
 * Best-skill orders are kept per set of required skill names, built on first use. Each one costs
 * an update per agent change, so a queue keeps only the most recently used few; an evicted one is
 * rebuilt (O(n)) if its skills are asked for again.
 */
const MAX_SKILL_ORDERS = 16;

const always = (): boolean => true;

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
  private readonly skillOrders = new Map<string, SkillOrder>();
  /** The candidate's snapshot at each position (undefined: not a candidate), read by the walks. */
  private readonly candidateAt: (AgentSnapshot | undefined)[];
  /** Positions whose agent is a candidate, whatever a work item asks (see hasCandidates). */
  private candidateCount = 0;

  constructor(queue: IndexedQueue, candidate: CandidateLookup) {
    this.id = queue.id;
    this.method = queue.method;
    // Copies: positions are filed in the orders, so the caller must not be able to shift them.
    this.memberIds = Object.freeze([...queue.memberIds]);
    this.customOrder = queue.customOrder === undefined ? undefined : Object.freeze([...queue.customOrder]);
    this.lastRoundRobinId = queue.lastRoundRobinId;
    this.candidateAt = new Array<AgentSnapshot | undefined>(this.memberIds.length).fill(undefined);
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

  /** The agent's positions in the member list (undefined: not a member), for `placeAt`. */
  positionsOf(agentId: string): readonly number[] | undefined {
    return this.positions.get(agentId);
  }

  /** Re-files every occurrence of the agent from its current snapshot (undefined: not a candidate). */
  place(agentId: string, agent: AgentSnapshot | undefined): void {
    const positions = this.positions.get(agentId);
    if (positions) this.placeAt(positions, agent);
  }

  /** `place` with the agent's positions already looked up (the index keeps them per agent). */
  placeAt(positions: readonly number[], agent: AgentSnapshot | undefined): void {
    const order = this.order;
    for (const position of positions) {
      const was = this.candidateAt[position];
      this.candidateAt[position] = agent;
      if (was === undefined && agent !== undefined) this.candidateCount += 1;
      else if (was !== undefined && agent === undefined) this.candidateCount -= 1;
      switch (order.walk) {
        case 'rotating':
          order.groups.file(position, agent === undefined ? undefined : order.groupIsFreeCapacity ? -(agent.capacity - agent.used) : 0);
          break;
        case 'sorted':
          if (was !== undefined && agent !== undefined && order.sameKey(was, agent)) break;
          order.members.place(position, agent);
          break;
        case 'by-skills':
          // Skill orders key on skills alone: a candidate that stays one with the same skills object
          // (a change of load or idle time) keeps its place in all of them.
          if (was !== undefined && agent !== undefined && was.skills === agent.skills) break;
          for (const skillOrder of this.skillOrders.values()) {
            skillOrder.groups.file(position, agent === undefined ? undefined : proficiencySum(agent, skillOrder.names));
          }
          break;
      }
    }
  }

  /**
   * Whether any member could be chosen for some work now (a routable presence and free capacity).
   * Unlike an empty walk, this does not depend on one work item's skills or cost: best-skill walks
   * only agents holding the item's skills and highest-capacity stops below the item's cost, so a
   * walk that visits nobody says nothing about the next item in line.
   */
  hasCandidates(): boolean {
    return this.candidateCount > 0;
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
   * Visits the candidates in the method's order until `visit` returns true, so a search that
   * finds its agent early stops early. Two departures from a plain walk, both only leaving out
   * agents the oracle would reject: highest-capacity stops at the first free capacity below the
   * cost (everyone after has less), and best-skill starts at the sum of the minimum proficiencies
   * (an agent meeting every minimum has at least that sum); with closest matching it then walks the
   * lower sums too, since someone who falls short may still be the closest.
   */
  walk(cost: number, skills: readonly SkillRequirement[], exact: boolean, visit: (agent: AgentSnapshot, position: number) => boolean): void {
    const last = this.lastPosition();
    const candidateAt = this.candidateAt;
    const atPosition = (position: number): boolean => visit(candidateAt[position]!, position);
    switch (this.order.walk) {
      case 'rotating':
        this.order.groups.walk(last, -Infinity, this.order.groupIsFreeCapacity ? (group) => -group >= cost : always, atPosition);
        return;
      case 'sorted':
        for (const position of this.order.members.positions()) if (atPosition(position)) return;
        return;
      case 'by-skills': {
        const canonical = canonicalSkills(skills);
        const fit = this.skillOrder(canonical.map((s) => s.skill));
        const floor = minimumSum(canonical);
        if (fit.walk(last, floor, always, atPosition)) return;
        if (!exact) fit.walk(last, -Infinity, (group) => group < floor, atPosition);
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
    const size = this.memberIds.length;
    switch (this.method) {
      case 'round-robin':
        return { walk: 'rotating', groups: new GroupedPositions(size), groupIsFreeCapacity: false };
      case 'highest-capacity':
        // Negated so that the ascending walk meets the largest free capacity first.
        return { walk: 'rotating', groups: new GroupedPositions(size), groupIsFreeCapacity: true };
      case 'longest-idle':
        return {
          walk: 'sorted',
          members: new OrderedMembers<IdleKey>((agent, position) => ({ since: agent.lastAssignedAt ?? -Infinity, position }), compareIdle),
          sameKey: (was, now) => was.lastAssignedAt === now.lastAssignedAt,
        };
      case 'custom': {
        const order = this.customOrder ?? [];
        const readers = order.map(({ key }) => sortValueReader(key));
        const members = new OrderedMembers<CustomKey>(
          (agent, position) => ({ values: readers.map((read) => read(agent)), position }),
          (a, b) => compareCustom(order, a, b),
        );
        const sameKey = (was: AgentSnapshot, now: AgentSnapshot): boolean => {
          for (const read of readers) if (read(was) !== read(now)) return false;
          return true;
        };
        return { walk: 'sorted', members, sameKey };
      }
      case 'best-skill':
        return { walk: 'by-skills' };
    }
  }

  /**
   * Among agents who meet every minimum, surplus = sum(proficiency) - sum(minimum), and the minimums
   * are the same for all of them; so ordering by the sum of proficiencies over the required names
   * (with repeats) is the oracle's surplus order, and one order serves every minimum over those
   * names. Agents lacking one of the skills can never be chosen and are left out.
   */
  private skillOrder(names: readonly string[]): GroupedPositions {
    // Joined by NUL, which names practically never hold (JSON otherwise; the prefixes keep the two
    // kinds of key apart): stringifying on every select was a measurable share of best-skill's time.
    const key = names.some((name) => name.includes('\0')) ? `j${JSON.stringify(names)}` : `n${names.join('\0')}`;
    const known = this.skillOrders.get(key);
    if (known) {
      // Re-inserted at the end: Map order doubles as recency for eviction.
      this.skillOrders.delete(key);
      this.skillOrders.set(key, known);
      return known.groups;
    }
    const groups = new GroupedPositions(this.memberIds.length);
    this.candidateAt.forEach((agent, position) => {
      if (agent) groups.file(position, proficiencySum(agent, names));
    });
    this.skillOrders.set(key, { names: [...names], groups });
    if (this.skillOrders.size > MAX_SKILL_ORDERS) {
      const oldest = this.skillOrders.keys().next().value;
      if (oldest !== undefined) this.skillOrders.delete(oldest);
    }
    return groups;
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
