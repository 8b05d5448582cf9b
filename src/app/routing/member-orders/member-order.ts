import type { AssignmentMethod, OrderKey, QueueSnapshot } from '../../../core/routing/agent-selection.js';
import type { AgentTable } from './agent-table.js';
import { CHANGED } from './agent-table.js';
import { clearBit, setBit, wordsFor } from './bitset.js';
import type { MemberSearch, TieBreak } from './member-search.js';

/**
 * One queue's members as its assignment method ranks them. The member list is held as slots of
 * the index's AgentTable (position -> slot), and every queue keeps a bitset of the positions whose
 * agent could be chosen now (a routable presence and free capacity), updated only when that
 * changes. Each method adds what its order needs (see the subclasses) and re-files a member only
 * for the changes its order depends on: an offer, a release or a presence change touches every
 * queue of the agent, so this upkeep is as much of the work as choosing. Every occurrence of a
 * member listed twice is filed on its own, as the oracle ranks them.
 */
export abstract class MemberOrder implements TieBreak {
  readonly id: string;
  readonly method: AssignmentMethod;
  readonly memberIds: readonly string[];
  readonly customOrder: readonly OrderKey[] | undefined;
  /** Position -> the member's slot in the table. */
  readonly slotAt: Int32Array;
  /**
   * Positions whose agent is a candidate now, whatever a work item asks. The index flips these bits
   * itself on the hot path (AgentIndex.refile), so they must only ever mirror AgentTable.candidate.
   */
  readonly candidates: Uint32Array;
  lastRoundRobinId: string | null;
  /** The position the round robin continues after (-1: from the top). */
  lastPosition = -1;
  private readonly firstPosition = new Map<string, number>();
  /** Slot -> positions, for members listed more than once (rare: the index takes a slower path for them). */
  private readonly repeated = new Map<number, number[]>();

  constructor(queue: QueueSnapshot, protected readonly table: AgentTable) {
    this.id = queue.id;
    this.method = queue.method;
    // Copies: positions are filed in the orders, so the caller must not be able to shift them.
    this.memberIds = Object.freeze([...queue.memberIds]);
    this.customOrder = queue.customOrder === undefined ? undefined : Object.freeze([...queue.customOrder]);
    this.slotAt = new Int32Array(this.memberIds.length);
    this.candidates = wordsFor(this.memberIds.length);
    this.memberIds.forEach((id, position) => {
      const slot = table.slotFor(id);
      this.slotAt[position] = slot;
      const first = this.firstPosition.get(id);
      if (first === undefined) this.firstPosition.set(id, position);
      else this.repeated.set(slot, [...(this.repeated.get(slot) ?? [first]), position]);
    });
    this.lastRoundRobinId = null;
    this.setLastRoundRobin(queue.lastRoundRobinId);
  }

  get size(): number {
    return this.memberIds.length;
  }

  /** Files every position from the table as it is now (once the subclass is constructed). */
  fileAll(): void {
    for (let position = 0; position < this.size; position += 1) {
      const slot = this.slotAt[position]!;
      if (this.table.isCandidate(slot)) this.markCandidate(position, true);
    }
    this.build();
  }

  /** The positions of a member listed more than once, undefined for one listed once. */
  repeatedPositions(slot: number): readonly number[] | undefined {
    return this.repeated.get(slot);
  }

  /** Every position of a member after its agent changed by `changed` (CHANGED bits): the general path. */
  update(positions: readonly number[], slot: number, changed: number): void {
    if ((changed & CHANGED.candidacy) !== 0) {
      const now = this.table.isCandidate(slot);
      for (let i = 0; i < positions.length; i += 1) this.markCandidate(positions[i]!, now);
    }
    this.refile(positions, slot, changed);
  }

  hasCandidates(): boolean {
    const words = this.candidates;
    for (let w = 0; w < words.length; w += 1) if (words[w] !== 0) return true;
    return false;
  }

  /**
   * Re-files one position of a member listed once (candidacy is already marked). This is the hot
   * path: AgentIndex calls it through arrays that hold one kind of order each, so that every call
   * site sees a single class.
   */
  abstract refileOne(position: number, slot: number, changed: number): void;

  /** `setLastRoundRobin` for a member listed once whose position is known (the one just chosen). */
  setLastRoundRobinAt(agentId: string, position: number): void {
    this.lastRoundRobinId = agentId;
    this.lastPosition = position;
  }

  setLastRoundRobin(agentId: string | null): void {
    this.lastRoundRobinId = agentId;
    // indexOf semantics: a repeated member counts from its first occurrence, a stranger as none.
    this.lastPosition = agentId === null ? -1 : this.firstPosition.get(agentId) ?? -1;
  }

  snapshot(): QueueSnapshot {
    return { id: this.id, method: this.method, memberIds: this.memberIds, lastRoundRobinId: this.lastRoundRobinId, customOrder: this.customOrder };
  }

  /** The oracle's round-robin turn of a position: 0 for the member right after the pointer. */
  turn(position: number): number {
    const n = this.size;
    return (position - this.lastPosition - 1 + n) % n;
  }

  /** Closest matching: by default the walk is the method's order, so the earlier visit wins a tie. */
  outranks(_search: MemberSearch, _laterPosition: number, _laterSlot: number, _earlierPosition: number, _earlierSlot: number): boolean {
    return false;
  }

  /** Walks the candidates in the method's order, offering each to `search` until one wins. */
  abstract walk(search: MemberSearch): void;

  /** The order's own structures, from the table as it is now (after the candidates are marked). */
  protected abstract build(): void;

  /** Re-files all positions of one member for what changed (candidacy is already marked). */
  protected refile(positions: readonly number[], slot: number, changed: number): void {
    for (let i = 0; i < positions.length; i += 1) this.refileOne(positions[i]!, slot, changed);
  }

  private markCandidate(position: number, candidate: boolean): void {
    if (candidate) setBit(this.candidates, position);
    else clearBit(this.candidates, position);
  }
}
