import { sortValueReader, type AgentSnapshot, type OrderKey } from '../../../core/routing/agent-selection.js';
import { CHANGED } from './agent-table.js';
import { nextSetBitOfBoth, setBit, wordsFor } from './bitset.js';
import { SKILLS, type MemberSearch } from './member-search.js';
import { MemberOrder } from './member-order.js';

type Value = number | string | undefined;

/** How a key is read: the two figures that change on every offer come from the table, the rest from the snapshot. */
type KeyReader =
  | { readonly from: 'free' | 'since'; readonly descending: boolean }
  | { readonly from: 'snapshot'; readonly read: (agent: AgentSnapshot) => Value; readonly descending: boolean };

/** Members whose leading keys (see CustomOrder) are all equal, as a bitset over positions. */
interface KeyGroup {
  readonly values: readonly Value[];
  readonly words: Uint32Array;
}

/**
 * The oracle's comparison of one key's values: an agent without the value sorts after every agent
 * that has it, in either direction. Negative: `x` ranks first.
 */
function compareValues(x: Value, y: Value, descending: boolean): number {
  if (x === y) return 0;
  if (x === undefined) return 1;
  if (y === undefined) return -1;
  const cmp = x < y ? -1 : 1;
  return descending ? -cmp : cmp;
}

/**
 * Custom: the queue's sort keys, then member position. Free capacity and last assignment change on
 * every offer and release, so a sorted structure keyed on them would be re-filed all the time in
 * every custom queue of the agent. Instead the order splits its keys: the leading keys that only an
 * edit changes (attributes, skills) group the members, sorted once; the rest (from the first key
 * that changes with work) are compared live while a group is walked. A decision walks the groups
 * in order and, in the first group holding someone eligible, takes the best of that group by the
 * remaining keys; only an edit of an agent's skills or attributes re-groups. When the first key
 * already changes with work the queue is one group and each decision compares all its candidates
 * (still without touching the queue on an offer).
 */
export class CustomOrder extends MemberOrder {
  private readonly keys: readonly KeyReader[];
  /** How many leading keys group the members (they change only with an edit). */
  private readonly grouping: number;
  private groups: KeyGroup[] = [];
  private groupAt: (KeyGroup | undefined)[] = [];
  /** An edit moved someone to another group: regrouped at the next walk. */
  private stale = false;
  /** Passed-over candidates of the group being walked (position, slot, verdict each), kept until the group's winner is known. */
  private pending = new Int32Array(48);
  private pendingLength = 0;

  constructor(...args: ConstructorParameters<typeof MemberOrder>) {
    super(...args);
    const order: readonly OrderKey[] = this.customOrder ?? [];
    this.keys = order.map(({ key, direction }): KeyReader => {
      const descending = direction === 'desc';
      if (key === 'freeCapacity') return { from: 'free', descending };
      if (key === 'lastAssignedAt') return { from: 'since', descending };
      return { from: 'snapshot', read: sortValueReader(key), descending };
    });
    let grouping = 0;
    while (grouping < this.keys.length && this.keys[grouping]!.from === 'snapshot') grouping += 1;
    this.grouping = grouping;
  }

  walk(search: MemberSearch): void {
    if (this.stale) this.regroup();
    const slotAt = this.slotAt;
    const candidates = this.candidates;
    const size = this.size;
    const live = this.grouping < this.keys.length;
    for (let g = 0; g < this.groups.length; g += 1) {
      const words = this.groups[g]!.words;
      this.pendingLength = 0;
      let best = -1;
      for (let p = nextSetBitOfBoth(words, candidates, 0, size); p >= 0; p = nextSetBitOfBoth(words, candidates, p + 1, size)) {
        const slot = slotAt[p]!;
        search.visited += 1;
        const verdict = search.judge(slot);
        if (verdict === 0) {
          // Positions ascend within a group, so an equal later one never wins.
          if (best < 0 || this.compareLive(slot, slotAt[best]!) < 0) best = p;
          // Without live keys the first eligible in position order is the group's best.
          if (!live) break;
          continue;
        }
        if (verdict > 0) search.considerRunner(p, slot, verdict);
        this.hold(p, slot, verdict > 0 ? SKILLS : verdict);
      }
      const pending = this.pending;
      if (best >= 0) {
        const winner = slotAt[best]!;
        for (let i = 0; i < this.pendingLength; i += 3) {
          const cmp = this.compareLive(pending[i + 1]!, winner);
          if (cmp < 0 || (cmp === 0 && pending[i]! < best)) search.passOver(pending[i + 1]!, pending[i + 2]!);
        }
        search.winner = winner;
        search.winnerPosition = best;
        return;
      }
      for (let i = 0; i < this.pendingLength; i += 3) search.passOver(pending[i + 1]!, pending[i + 2]!);
    }
  }

  /**
   * Closest matching, equal shortfalls: the earlier group wins (groups are walked in order), and
   * within a group the live keys, then the position, decide.
   */
  override outranks(_search: MemberSearch, laterPosition: number, laterSlot: number, earlierPosition: number, earlierSlot: number): boolean {
    const g = this.groupAt[laterPosition];
    if (g !== this.groupAt[earlierPosition]) return false;
    const cmp = this.compareLive(laterSlot, earlierSlot);
    return cmp < 0 || (cmp === 0 && laterPosition < earlierPosition);
  }

  protected build(): void {
    this.regroup();
  }

  refileOne(position: number, slot: number, changed: number): void {
    if ((changed & CHANGED.profile) === 0 || this.grouping === 0 || this.stale) return;
    const group = this.groupAt[position];
    if (group === undefined || !sameValues(group.values, this.groupValues(slot))) this.stale = true;
  }

  private hold(position: number, slot: number, verdict: number): void {
    if (this.pendingLength + 3 > this.pending.length) {
      const grown = new Int32Array(this.pending.length * 2);
      grown.set(this.pending);
      this.pending = grown;
    }
    this.pending[this.pendingLength] = position;
    this.pending[this.pendingLength + 1] = slot;
    this.pending[this.pendingLength + 2] = verdict;
    this.pendingLength += 3;
  }

  /** The live keys (from the first that changes with work) of two agents: negative when `a` ranks first. */
  private compareLive(a: number, b: number): number {
    const table = this.table;
    for (let i = this.grouping; i < this.keys.length; i += 1) {
      const key = this.keys[i]!;
      let x: Value;
      let y: Value;
      if (key.from === 'snapshot') {
        x = key.read(table.snapshots[a]!);
        y = key.read(table.snapshots[b]!);
      } else if (key.from === 'free') {
        x = table.freeOf(a);
        y = table.freeOf(b);
      } else {
        x = table.sinceOf(a);
        y = table.sinceOf(b);
      }
      const cmp = compareValues(x, y, key.descending);
      if (cmp !== 0) return cmp;
    }
    return 0;
  }

  private groupValues(slot: number): Value[] {
    const agent = this.table.snapshots[slot];
    const values: Value[] = [];
    for (let i = 0; i < this.grouping; i += 1) {
      const key = this.keys[i]!;
      values.push(agent === undefined || key.from !== 'snapshot' ? undefined : key.read(agent));
    }
    return values;
  }

  /** Sorts the members by the grouping keys and files each run of equal values as one group. */
  private regroup(): void {
    this.stale = false;
    const size = this.size;
    const entries = Array.from({ length: size }, (_, position) => ({ position, values: this.groupValues(this.slotAt[position]!) }));
    entries.sort((a, b) => this.compareGroups(a.values, b.values) || a.position - b.position);
    this.groups = [];
    this.groupAt = new Array<KeyGroup | undefined>(size).fill(undefined);
    let current: KeyGroup | undefined;
    for (const entry of entries) {
      if (current === undefined || !sameValues(current.values, entry.values)) {
        current = { values: entry.values, words: wordsFor(size) };
        this.groups.push(current);
      }
      setBit(current.words, entry.position);
      this.groupAt[entry.position] = current;
    }
  }

  private compareGroups(a: readonly Value[], b: readonly Value[]): number {
    for (let i = 0; i < this.grouping; i += 1) {
      const cmp = compareValues(a[i], b[i], this.keys[i]!.descending);
      if (cmp !== 0) return cmp;
    }
    return 0;
  }
}

function sameValues(a: readonly Value[], b: readonly Value[]): boolean {
  for (let i = 0; i < a.length; i += 1) if (a[i] !== b[i]) return false;
  return true;
}
