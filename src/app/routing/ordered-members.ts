import sortedBtree from 'sorted-btree';
import type { AgentSnapshot } from '../../core/routing/agent-selection.js';

// sorted-btree is CommonJS with `exports.default`; from ESM the class sits one level down.
const BTreeClass = sortedBtree.default;
type BTree<K, V> = InstanceType<typeof sortedBtree.default<K, V>>;

/** One occurrence of an agent in a queue's member list. */
export interface Slot {
  readonly agentId: string;
  readonly position: number;
}

/** Every key ends with the member position: it makes keys unique and is the oracle's last tie-break. */
export interface MemberKey {
  readonly position: number;
}

/**
 * Keys of orders whose ties are broken by round-robin turn (round-robin, highest-capacity,
 * best-skill). The turn depends on the round-robin pointer, which moves on every assignment, so it
 * cannot be part of a stored key; the tree stores (group, position) instead and `rotating` reads
 * each group starting after the pointer's position, which is the turn order, without re-keying.
 */
export interface GroupKey extends MemberKey {
  readonly group: number;
}

export function compareGroupKeys(a: GroupKey, b: GroupKey): number {
  // Comparisons rather than subtraction: the search sentinels use positions of +-Infinity.
  if (a.group !== b.group) return a.group < b.group ? -1 : 1;
  return a.position < b.position ? -1 : a.position > b.position ? 1 : 0;
}

/**
 * The candidate members of one queue in one order. A member is filed under the key computed from
 * its snapshot when placed; the key is remembered per position because after an update the old
 * snapshot is gone and the tree can only delete by the exact key it holds.
 */
export class OrderedMembers<K extends MemberKey> {
  private readonly tree: BTree<K, string>;
  private readonly keyAt = new Map<number, K>();

  constructor(
    /** undefined: the agent cannot be chosen through this order, so it is left out. */
    private readonly keyOf: (agent: AgentSnapshot, position: number) => K | undefined,
    private readonly compare: (a: K, b: K) => number,
  ) {
    this.tree = new BTreeClass<K, string>(undefined, compare);
  }

  get size(): number {
    return this.tree.size;
  }

  /** Files the member at `position` under its current key; undefined takes it out. */
  place(position: number, agent: AgentSnapshot | undefined): void {
    const old = this.keyAt.get(position);
    const key = agent === undefined ? undefined : this.keyOf(agent, position);
    // Most updates (a conversation ending for a round-robin member, say) leave the key as it was:
    // re-filing would cost two tree operations for nothing, on every queue the agent belongs to.
    if (old !== undefined && key !== undefined && this.compare(old, key) === 0) return;
    if (old !== undefined) {
      this.tree.delete(old);
      this.keyAt.delete(position);
    }
    if (agent === undefined || key === undefined) return;
    this.tree.set(key, agent.id);
    this.keyAt.set(position, key);
  }

  *inOrder(): Generator<Slot> {
    for (const [key, agentId] of this.tree.entries()) yield { agentId, position: key.position };
  }

  /** Entries from `lowest` (or the next key above it) upwards. */
  entriesFrom(lowest: K): IterableIterator<[K, string]> {
    return this.tree.entries(lowest);
  }

  keyAfter(key: K): K | undefined {
    return this.tree.nextHigherKey(key);
  }
}

/**
 * Group by group in ascending order, starting with the first group >= `firstGroup` and stopping at
 * the first group for which `within` is false; inside a group, the members after position `last`
 * come first, then the rest from the start: the oracle's round-robin turn. Each group costs two
 * seeks, each member one step.
 */
export function* rotating(members: OrderedMembers<GroupKey>, last: number, firstGroup: number, within: (group: number) => boolean): Generator<Slot> {
  let head = members.keyAfter({ group: firstGroup, position: -Infinity });
  while (head !== undefined && within(head.group)) {
    const group = head.group;
    // Positions are integers, so last + 0.5 seeks to the first position after the pointer.
    for (const [key, agentId] of members.entriesFrom({ group, position: last + 0.5 })) {
      if (key.group !== group) break;
      yield { agentId, position: key.position };
    }
    for (const [key, agentId] of members.entriesFrom({ group, position: -Infinity })) {
      if (key.group !== group || key.position > last) break;
      yield { agentId, position: key.position };
    }
    head = members.keyAfter({ group, position: Infinity });
  }
}
