import { CHANGED } from './agent-table.js';
import { clearBit, nextSetBitOfBoth, setBit, wordsFor } from './bitset.js';
import type { MemberSearch } from './member-search.js';
import { MemberOrder } from './member-order.js';

/**
 * Offers the positions set in `words` (and in `also`, when given) in the oracle's round-robin turn
 * order: those after the pointer, then from the top up to it. Returns true when one won.
 */
export function walkTurns(order: MemberOrder, words: Uint32Array, also: Uint32Array | undefined, search: MemberSearch): boolean {
  const slotAt = order.slotAt;
  const last = order.lastPosition;
  const size = order.size;
  const both = also ?? words;
  for (let p = nextSetBitOfBoth(words, both, last + 1, size); p >= 0; p = nextSetBitOfBoth(words, both, p + 1, size)) if (search.visit(p, slotAt[p]!)) return true;
  for (let p = nextSetBitOfBoth(words, both, 0, last + 1); p >= 0; p = nextSetBitOfBoth(words, both, p + 1, last + 1)) if (search.visit(p, slotAt[p]!)) return true;
  return false;
}

/** Round robin: the candidates themselves, in turn order. Nothing to re-file beyond candidacy. */
export class RoundRobinOrder extends MemberOrder {
  walk(search: MemberSearch): void {
    walkTurns(this, this.candidates, undefined, search);
  }

  protected build(): void {}

  refileOne(): void {}
}

/** The candidates with one free capacity. */
interface CapacityGroup {
  readonly free: number;
  readonly words: Uint32Array;
  count: number;
}

/**
 * Highest capacity: candidates grouped by free capacity, groups walked from the most free, each in
 * turn order; the walk stops at the first group below the work's cost (nobody after has enough).
 * A release or an offer moves the member's bit from one group to the next: two word writes.
 */
export class HighestCapacityOrder extends MemberOrder {
  /** Non-empty groups, most free capacity first. Few (capacities are small numbers), so an array. */
  private readonly groups: CapacityGroup[] = [];
  /** Groups that emptied, kept for their (all-zero) words: the top group empties and refills all day. */
  private readonly spare = new Map<number, CapacityGroup>();
  private groupAt: (CapacityGroup | undefined)[] = [];

  walk(search: MemberSearch): void {
    const groups = this.groups;
    for (let g = 0; g < groups.length; g += 1) {
      const group = groups[g]!;
      if (group.free < search.cost) return;
      if (walkTurns(this, group.words, undefined, search)) return;
    }
  }

  protected build(): void {
    this.groupAt = new Array<CapacityGroup | undefined>(this.size).fill(undefined);
    for (let position = 0; position < this.size; position += 1) this.place(position, this.slotAt[position]!);
  }

  refileOne(position: number, slot: number, changed: number): void {
    if ((changed & (CHANGED.candidacy | CHANGED.freeCapacity)) !== 0) this.place(position, slot);
  }

  private place(position: number, slot: number): void {
    const table = this.table;
    const free = table.isCandidate(slot) ? table.freeOf(slot) : undefined;
    const was = this.groupAt[position];
    if (was !== undefined && was.free === free) return;
    if (was !== undefined) {
      clearBit(was.words, position);
      was.count -= 1;
      if (was.count === 0) {
        this.groups.splice(this.groups.indexOf(was), 1);
        this.spare.set(was.free, was);
      }
    }
    if (free === undefined) {
      this.groupAt[position] = undefined;
      return;
    }
    const group = this.groupFor(free);
    setBit(group.words, position);
    group.count += 1;
    this.groupAt[position] = group;
  }

  private groupFor(free: number): CapacityGroup {
    const groups = this.groups;
    let at = 0;
    while (at < groups.length && groups[at]!.free > free) at += 1;
    const found = groups[at];
    if (found !== undefined && found.free === free) return found;
    const group = this.spare.get(free) ?? { free, words: wordsFor(this.size), count: 0 };
    this.spare.delete(free);
    groups.splice(at, 0, group);
    return group;
  }
}
