/**
 * Member positions of one queue filed under numeric groups (a free capacity, a sum of
 * proficiencies), each group a bitset over the positions. The routing index re-files agents far
 * more often than it selects (every offer, release and presence change touches each queue the
 * agent is in), so filing must be nearly free: here it is one or two word writes, where a sorted
 * tree paid a delete and an insert with object keys. Selecting walks the groups in ascending order
 * and, inside a group, the set bits from the round-robin pointer onwards and then from the start:
 * the oracle's turn order, read straight off the bit positions.
 */
export class GroupedPositions {
  private readonly bits = new Map<number, Uint32Array>();
  private readonly counts = new Map<number, number>();
  /** Groups holding at least one position, ascending. Few (free capacities, skill sums), so an array. */
  private readonly groups: number[] = [];
  private readonly groupAt: Float64Array;
  private readonly filed: Uint8Array;

  constructor(readonly size: number) {
    this.groupAt = new Float64Array(size);
    this.filed = new Uint8Array(size);
  }

  /** Files `position` under `group`; undefined takes it out. */
  file(position: number, group: number | undefined): void {
    const wasFiled = this.filed[position] === 1;
    if (wasFiled && group === this.groupAt[position]) return;
    if (wasFiled) this.remove(position, this.groupAt[position]!);
    if (group === undefined) {
      this.filed[position] = 0;
      return;
    }
    let words = this.bits.get(group);
    if (!words) {
      words = new Uint32Array((this.size + 31) >>> 5);
      this.bits.set(group, words);
    }
    words[position >>> 5]! |= 1 << (position & 31);
    const count = this.counts.get(group) ?? 0;
    this.counts.set(group, count + 1);
    if (count === 0) this.groups.splice(this.insertionPoint(group), 0, group);
    this.groupAt[position] = group;
    this.filed[position] = 1;
  }

  /**
   * Visits positions group by group, ascending, from the first group >= `firstGroup` while
   * `within(group)` holds; inside a group the positions after `last` first, then those up to it.
   * Stops as soon as `visit` returns true, and then returns true.
   */
  walk(last: number, firstGroup: number, within: (group: number) => boolean, visit: (position: number) => boolean): boolean {
    const groups = this.groups;
    for (let g = this.insertionPoint(firstGroup); g < groups.length; g += 1) {
      const group = groups[g]!;
      if (!within(group)) return false;
      const words = this.bits.get(group)!;
      for (let p = nextSetBit(words, last + 1, this.size); p >= 0; p = nextSetBit(words, p + 1, this.size)) if (visit(p)) return true;
      for (let p = nextSetBit(words, 0, last + 1); p >= 0; p = nextSetBit(words, p + 1, last + 1)) if (visit(p)) return true;
    }
    return false;
  }

  private remove(position: number, group: number): void {
    this.bits.get(group)![position >>> 5]! &= ~(1 << (position & 31));
    const count = this.counts.get(group)! - 1;
    this.counts.set(group, count);
    if (count === 0) this.groups.splice(this.insertionPoint(group), 1);
  }

  /** Index of the first group >= `group`. */
  private insertionPoint(group: number): number {
    const groups = this.groups;
    let lo = 0;
    let hi = groups.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (groups[mid]! < group) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }
}

/** The first set bit at an index in [from, to), or -1. */
export function nextSetBit(words: Uint32Array, from: number, to: number): number {
  if (from < 0) from = 0;
  if (from >= to) return -1;
  let w = from >>> 5;
  const lastWord = (to - 1) >>> 5;
  let word = words[w]! & (~0 << (from & 31));
  for (;;) {
    if (word !== 0) {
      const bit = (w << 5) + 31 - Math.clz32(word & -word);
      return bit < to ? bit : -1;
    }
    w += 1;
    if (w > lastWord) return -1;
    word = words[w]!;
  }
}
