import sortedBtree from 'sorted-btree';
import type { AgentSnapshot } from '../../core/routing/agent-selection.js';

// sorted-btree is CommonJS with `exports.default`; from ESM the class sits one level down.
const BTreeClass = sortedBtree.default;
type BTree<K, V> = InstanceType<typeof sortedBtree.default<K, V>>;

/** Every key ends with the member position: it makes keys unique and is the oracle's last tie-break. */
export interface MemberKey {
  readonly position: number;
}

/**
 * The candidate members of one queue in a sorted order (longest idle, custom sort keys: orders
 * whose keys are arbitrary numbers or strings, unlike the small integer groups of
 * GroupedPositions). A member is filed under the key computed from its snapshot when placed; the
 * key is remembered per position because after an update the old snapshot is gone and the tree can
 * only delete by the exact key it holds.
 */
export class OrderedMembers<K extends MemberKey> {
  private readonly tree: BTree<K, number>;
  private readonly keyAt = new Map<number, K>();

  constructor(
    /** undefined: the agent cannot be chosen through this order, so it is left out. */
    private readonly keyOf: (agent: AgentSnapshot, position: number) => K | undefined,
    private readonly compare: (a: K, b: K) => number,
  ) {
    this.tree = new BTreeClass<K, number>(undefined, compare);
  }

  get size(): number {
    return this.tree.size;
  }

  /** Files the member at `position` under its current key; undefined takes it out. */
  place(position: number, agent: AgentSnapshot | undefined): void {
    const old = this.keyAt.get(position);
    const key = agent === undefined ? undefined : this.keyOf(agent, position);
    // Most updates (a conversation ending for a longest-idle member, say) leave the key as it was:
    // re-filing would cost two tree operations for nothing, on every queue the agent belongs to.
    if (old !== undefined && key !== undefined && this.compare(old, key) === 0) return;
    if (old !== undefined) {
      this.tree.delete(old);
      this.keyAt.delete(position);
    }
    if (key === undefined) return;
    this.tree.set(key, position);
    this.keyAt.set(position, key);
  }

  /** Filed positions in key order. */
  positions(): IterableIterator<number> {
    return this.tree.values();
  }
}
