import {
  applicableSkills, selectAgent, type AgentSnapshot, type AssignmentMethod, type Presence, type QueueSnapshot, type WorkRequest,
} from '../../core/routing/agent-selection.js';
import { AgentTable, CHANGED, CHANGED_ALL, SnapshotMap } from './member-orders/agent-table.js';
import { BestSkillOrder } from './member-orders/best-skill-order.js';
import { CustomOrder } from './member-orders/custom-order.js';
import { LongestIdleOrder } from './member-orders/longest-idle-order.js';
import type { MemberOrder } from './member-orders/member-order.js';
import { MemberSearch, type PassOverReason } from './member-orders/member-search.js';
import { HighestCapacityOrder, RoundRobinOrder } from './member-orders/rotating-orders.js';

export type { PassOverReason } from './member-orders/member-search.js';

/** A queue as the index is given it: the oracle's queue snapshot. */
export type IndexedQueue = QueueSnapshot;

export interface IndexedChoice {
  readonly agentId: string | null;
  /** Agents visited before the winner and why each was passed over (the cheap "why" of a decision). */
  readonly passedOver: readonly { readonly agentId: string; readonly reason: PassOverReason }[];
  /** How many candidates the search visited (for benchmarks/explanations). */
  readonly visited: number;
}

const ORDERS: Readonly<Record<AssignmentMethod, new (queue: QueueSnapshot, table: AgentTable) => MemberOrder>> = {
  'round-robin': RoundRobinOrder,
  'highest-capacity': HighestCapacityOrder,
  'longest-idle': LongestIdleOrder,
  'best-skill': BestSkillOrder,
  custom: CustomOrder,
};

/** An order's kind in a membership entry; REPEATED is added for a member listed more than once. */
const KIND: Readonly<Record<AssignmentMethod, number>> = { 'round-robin': 0, 'highest-capacity': 1, 'longest-idle': 2, 'best-skill': 3, custom: 4 };
const REPEATED = 8;
/** By kind: the changes (CHANGED bits) that order re-files for, candidacy always among them. */
const CARES = Int32Array.of(
  CHANGED.candidacy,
  CHANGED.candidacy | CHANGED.freeCapacity,
  CHANGED.candidacy | CHANGED.routable | CHANGED.lastAssignedAt,
  CHANGED.candidacy | CHANGED.profile,
  CHANGED.candidacy | CHANGED.profile,
);
/** Ints per membership entry: queue number, position (the first, if repeated), kind. */
const ENTRY = 3;
const NO_ENTRIES = new Int32Array(0);
const NO_WORDS = new Uint32Array(0);

/**
 * The routing engine's agent selector: chooses exactly what `selectAgent` (the brute-force oracle in
 * core/routing/agent-selection.ts) chooses, visiting only the first candidates in the method's
 * order when they are eligible. The agents' changing figures (free capacity, last assignment,
 * presence) live once, in an AgentTable indexed by slot; each queue keeps its members as slots,
 * ordered by its assignment method (member-orders/), holding only what that order needs. A
 * decision walks the order and stops at the first eligible agent.
 *
 * The design is set by upkeep, not by choosing: every offer, release and presence change is an
 * agent update, in every queue of the agent (7.5 of them in benchmark B2), and there are two or
 * three per decision. So an update writes the table and then touches a queue only for what that
 * queue's order ranks by: a candidacy bit, a capacity group's bit, an unlink and append in the
 * longest-idle list. The orders that rank by edits alone (skills, attributes) are not touched by
 * work at all.
 *
 * Example:
 *   const index = new AgentIndex(['available', 'busy']);
 *   index.upsertAgent(agent); index.setQueue({ id: 'q', method: 'round-robin', memberIds: [agent.id], lastRoundRobinId: null });
 *   index.select('q', work).agentId;
 */
export class AgentIndex {
  private readonly table: AgentTable;
  private readonly search: MemberSearch;
  private readonly routable: ReadonlySet<Presence>;
  private readonly agentsById: SnapshotMap;
  private readonly queues = new Map<string, MemberOrder>();
  /**
   * Slot -> the queues listing the agent (seen or not yet: an agent added later must land in them),
   * as ENTRY ints each. Flat, because an update reads them for every queue of the agent, and a
   * queue whose order does not rank by what changed is then skipped without being touched.
   */
  private readonly membershipsAt: Int32Array[] = [];
  /** Queue number -> its order, and the same split by kind, so that each call site sees one class. */
  private readonly orderAt: (MemberOrder | undefined)[] = [];
  private readonly candidatesAt: Uint32Array[] = [];
  private readonly capacityAt: (HighestCapacityOrder | undefined)[] = [];
  private readonly idleAt: (LongestIdleOrder | undefined)[] = [];
  private readonly skillAt: (BestSkillOrder | undefined)[] = [];
  private readonly customAt: (CustomOrder | undefined)[] = [];
  private readonly numberOf = new Map<string, number>();
  private readonly freeNumbers: number[] = [];
  /**
   * The last decision's queue and chosen agent: the engine moves that queue's pointer to that agent
   * and re-files that agent right after deciding, and both then skip their map lookups.
   */
  private recentQueueId: string | undefined;
  private recentOrder: MemberOrder | undefined;
  private recentSlot = -1;
  private recentPosition = -1;

  /** Agents whose presence is not routable are never candidates, whatever a work item allows. */
  constructor(routablePresences: readonly Presence[]) {
    this.routable = new Set(routablePresences);
    this.table = new AgentTable(routablePresences);
    this.search = new MemberSearch(this.table);
    this.agentsById = new SnapshotMap(this.table);
  }

  upsertAgent(agent: AgentSnapshot): void {
    const slot = this.recentSlot >= 0 && this.table.ids[this.recentSlot] === agent.id ? this.recentSlot : this.table.slotFor(agent.id);
    const changed = this.table.write(slot, agent);
    if (changed !== 0) this.refile(slot, changed);
  }

  removeAgent(agentId: string): void {
    this.forgetRecent();
    const slot = this.table.slot(agentId);
    if (slot === undefined || this.table.snapshots[slot] === undefined) return;
    this.table.write(slot, undefined);
    this.refile(slot, CHANGED_ALL);
    if ((this.membershipsAt[slot] ?? NO_ENTRIES).length === 0) this.table.release(slot);
  }

  setQueue(queue: IndexedQueue): void {
    this.forgetRecent();
    this.removeQueue(queue.id);
    const order = new ORDERS[queue.method](queue, this.table);
    order.fileAll();
    const number = this.freeNumbers.pop() ?? this.orderAt.length;
    this.numberOf.set(queue.id, number);
    this.queues.set(queue.id, order);
    this.orderAt[number] = order;
    this.candidatesAt[number] = order.candidates;
    this.capacityAt[number] = order instanceof HighestCapacityOrder ? order : undefined;
    this.idleAt[number] = order instanceof LongestIdleOrder ? order : undefined;
    this.skillAt[number] = order instanceof BestSkillOrder ? order : undefined;
    this.customAt[number] = order instanceof CustomOrder ? order : undefined;
    const kind = KIND[queue.method];
    const seen = new Set<number>();
    order.slotAt.forEach((slot, position) => {
      if (seen.has(slot)) return;
      seen.add(slot);
      // Kept dense (filled up to the slot in order): a sparse write far past the end would turn the
      // array into a dictionary, and this lookup is on every agent update.
      while (this.membershipsAt.length <= slot) this.membershipsAt.push(NO_ENTRIES);
      const entries = this.membershipsAt[slot]!;
      const grown = new Int32Array(entries.length + ENTRY);
      grown.set(entries);
      grown[entries.length] = number;
      grown[entries.length + 1] = position;
      grown[entries.length + 2] = order.repeatedPositions(slot) === undefined ? kind : kind + REPEATED;
      this.membershipsAt[slot] = grown;
    });
  }

  removeQueue(queueId: string): void {
    this.forgetRecent();
    const order = this.queues.get(queueId);
    const number = this.numberOf.get(queueId);
    if (!order || number === undefined) return;
    this.queues.delete(queueId);
    this.numberOf.delete(queueId);
    this.orderAt[number] = undefined;
    this.candidatesAt[number] = NO_WORDS;
    this.capacityAt[number] = undefined;
    this.idleAt[number] = undefined;
    this.skillAt[number] = undefined;
    this.customAt[number] = undefined;
    this.freeNumbers.push(number);
    for (const slot of new Set(order.slotAt)) {
      const entries = this.membershipsAt[slot] ?? NO_ENTRIES;
      const kept: number[] = [];
      for (let k = 0; k < entries.length; k += ENTRY) if (entries[k] !== number) kept.push(entries[k]!, entries[k + 1]!, entries[k + 2]!);
      this.membershipsAt[slot] = kept.length === 0 ? NO_ENTRIES : Int32Array.from(kept);
      if (kept.length === 0 && this.table.snapshots[slot] === undefined) this.table.release(slot);
    }
  }

  setLastRoundRobin(queueId: string, agentId: string | null): void {
    const recent = this.recentOrder;
    if (recent !== undefined && queueId === this.recentQueueId && agentId !== null && agentId === this.table.ids[this.recentSlot]
      && recent.repeatedPositions(this.recentSlot) === undefined) {
      recent.setLastRoundRobinAt(agentId, this.recentPosition);
      return;
    }
    this.queues.get(queueId)?.setLastRoundRobin(agentId);
  }

  /**
   * Whether any member of the queue could be chosen for some work now (a routable presence and free
   * capacity). Unlike an empty walk, this does not depend on one work item's skills or cost:
   * best-skill walks only agents holding the item's skills and highest-capacity stops below the
   * item's cost, so a walk that visits nobody says nothing about the next item in line.
   */
  hasCandidates(queueId: string): boolean {
    return this.queues.get(queueId)?.hasCandidates() ?? false;
  }

  getAgent(agentId: string): AgentSnapshot | undefined {
    return this.table.snapshot(agentId);
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
    const order = this.queues.get(queueId);
    if (!order) return { agentId: null, passedOver: [], visited: 0 };
    if (!(work.cost > 0)) return this.scanAll(order, work);
    // Relaxations are rare; without them the required skills apply as they are.
    const skills = work.relaxations.length === 0 ? work.requiredSkills : applicableSkills(work);
    const search = this.search;
    search.begin(work, skills, order);
    order.walk(search);
    this.recentQueueId = queueId;
    this.recentOrder = order;
    this.recentSlot = search.chosenSlot();
    this.recentPosition = search.chosenPosition();
    return search.result();
  }

  private forgetRecent(): void {
    this.recentQueueId = undefined;
    this.recentOrder = undefined;
    this.recentSlot = -1;
    this.recentPosition = -1;
  }

  /**
   * Re-files the agent in each queue whose order ranks by what changed. Members listed once (all of
   * them, in practice) take the fast path: the candidacy bit is flipped here, and the order is
   * reached through the array of its kind; a member listed twice goes through the order's general
   * update with all its positions.
   */
  private refile(slot: number, changed: number): void {
    const entries = this.membershipsAt[slot];
    if (entries === undefined) return;
    const candidacy = (changed & CHANGED.candidacy) !== 0;
    const candidate = this.table.isCandidate(slot);
    for (let k = 0; k < entries.length; k += ENTRY) {
      const number = entries[k]!;
      const position = entries[k + 1]!;
      const kind = entries[k + 2]!;
      if (kind >= REPEATED) {
        const order = this.orderAt[number]!;
        order.update(order.repeatedPositions(slot)!, slot, changed);
        continue;
      }
      if ((changed & CARES[kind]!) === 0) continue;
      if (candidacy) {
        const words = this.candidatesAt[number]!;
        if (candidate) words[position >>> 5]! |= 1 << (position & 31);
        else words[position >>> 5]! &= ~(1 << (position & 31));
      }
      switch (kind) {
        case 1:
          this.capacityAt[number]!.refileOne(position, slot, changed);
          break;
        case 2:
          this.idleAt[number]!.refileOne(position, slot, changed);
          break;
        case 3:
          this.skillAt[number]!.refileOne(position, slot, changed);
          break;
        case 4:
          this.customAt[number]!.refileOne(position, slot, changed);
          break;
        default:
          break;
      }
    }
  }

  /**
   * A cost of 0 or less (or NaN) makes agents without free capacity eligible in the oracle, and the
   * orders do not hold them; such a request is answered by the oracle itself over all members rather
   * than weakening the orders for a case routing never produces.
   */
  private scanAll(order: MemberOrder, work: WorkRequest): IndexedChoice {
    const routableOnly = { ...work, allowedPresences: work.allowedPresences.filter((p) => this.routable.has(p)) };
    const selection = selectAgent(order.snapshot(), this.agentsById, routableOnly);
    const passedOver = selection.ineligible.flatMap(({ agentId, reason }) => (reason === 'not_a_member_snapshot' ? [] : [{ agentId, reason }]));
    return { agentId: selection.agentId, passedOver, visited: passedOver.length + selection.ranked.length };
  }
}
