import { CHANGED } from './agent-table.js';
import { hasBit } from './bitset.js';
import type { MemberSearch } from './member-search.js';
import { MemberOrder } from './member-order.js';

/**
 * Longest idle: the members in a routable presence, linked in the oracle's order (last assignment
 * time, never-assigned first, then member position). An offer stamps the agent with the current
 * time, which is the latest, so re-filing it is an unlink and an append at the tail: no tree, no
 * search. Only a time earlier than the tail's (a clock step back, an undone offer) or a member
 * coming back to a routable presence has to find its place, looking from both ends at once.
 * Members without free capacity stay linked (a release must not have to find their place again)
 * and are stepped over by the walk without being visited.
 */
export class LongestIdleOrder extends MemberOrder {
  /** Links by position; index `size` is the sentinel: next[size] is the head, prev[size] the tail. */
  private next = new Int32Array(1);
  private prev = new Int32Array(1);
  private linked = new Uint8Array(0);

  walk(search: MemberSearch): void {
    const end = this.size;
    const next = this.next;
    const candidates = this.candidates;
    const slotAt = this.slotAt;
    for (let p = next[end]!; p !== end; p = next[p]!) {
      if (hasBit(candidates, p) && search.visit(p, slotAt[p]!)) return;
    }
  }

  protected build(): void {
    const end = this.size;
    this.next = new Int32Array(end + 1);
    this.prev = new Int32Array(end + 1);
    this.linked = new Uint8Array(end);
    this.next[end] = end;
    this.prev[end] = end;
    const routable: number[] = [];
    for (let position = 0; position < end; position += 1) if (this.table.isRoutable(this.slotAt[position]!)) routable.push(position);
    routable.sort((a, b) => (this.before(a, b) ? -1 : 1));
    for (const position of routable) this.linkAfter(this.prev[end]!, position);
  }

  refileOne(position: number, slot: number, changed: number): void {
    if ((changed & (CHANGED.routable | CHANGED.lastAssignedAt)) === 0) return;
    if (this.linked[position] === 1) this.unlink(position);
    if (this.table.isRoutable(slot)) this.insert(position);
  }

  protected override refile(positions: readonly number[], slot: number, changed: number): void {
    if ((changed & (CHANGED.routable | CHANGED.lastAssignedAt)) === 0) return;
    const routable = this.table.isRoutable(slot);
    // All of a repeated member's positions out first: their keys changed together, and an insert
    // needs the rest of the list in order.
    for (let i = 0; i < positions.length; i += 1) if (this.linked[positions[i]!] === 1) this.unlink(positions[i]!);
    if (routable) for (let i = 0; i < positions.length; i += 1) this.insert(positions[i]!);
  }

  /** The oracle's order: earlier assignment first (never-assigned = -Infinity), then position. */
  private before(a: number, b: number): boolean {
    const table = this.table;
    const x = table.sinceOf(this.slotAt[a]!);
    const y = table.sinceOf(this.slotAt[b]!);
    return x < y || (x === y && a < b);
  }

  private insert(position: number): void {
    const end = this.size;
    let fromTail = this.prev[end]!;
    let fromHead = this.next[end]!;
    // Keys are unique (the position breaks ties), so exactly one gap fits; one step from each end at a time.
    for (;;) {
      if (fromTail === end || this.before(fromTail, position)) return this.linkAfter(fromTail, position);
      if (this.before(position, fromHead)) return this.linkAfter(this.prev[fromHead]!, position);
      fromTail = this.prev[fromTail]!;
      fromHead = this.next[fromHead]!;
    }
  }

  private linkAfter(after: number, position: number): void {
    const following = this.next[after]!;
    this.next[after] = position;
    this.prev[position] = after;
    this.next[position] = following;
    this.prev[following] = position;
    this.linked[position] = 1;
  }

  private unlink(position: number): void {
    const before = this.prev[position]!;
    const after = this.next[position]!;
    this.next[before] = after;
    this.prev[after] = before;
    this.linked[position] = 0;
  }
}
