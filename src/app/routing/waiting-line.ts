import BTreeModule from 'sorted-btree';
import type { RoutingItem } from '../../core/routing/routing-model.js';

// sorted-btree is CommonJS with `exports.default`; under Node's ESM loader the class is `.default`.
const BTree = BTreeModule.default;

interface LineKey {
  readonly priority: number;
  readonly orderAt: number;
  readonly conversationId: string;
}

/** Higher priority first, then first in first out, then id so that no two keys are equal. */
function compareKeys(a: LineKey, b: LineKey): number {
  return b.priority - a.priority || a.orderAt - b.orderAt || (a.conversationId < b.conversationId ? -1 : a.conversationId > b.conversationId ? 1 : 0);
}

/**
 * The conversations waiting in one queue, in the order they are served. A B+ tree keeps insertion,
 * removal and "who is next" at O(log n) for the tens of thousands of conversations a busy tenant
 * can have waiting.
 */
export class WaitingLine {
  private readonly tree = new BTree<LineKey, string>(undefined, compareKeys);
  private readonly keys = new Map<string, LineKey>();

  get size(): number {
    return this.tree.size;
  }

  add(item: RoutingItem): void {
    this.remove(item.conversationId);
    const key = { priority: item.priority, orderAt: item.orderAt, conversationId: item.conversationId };
    this.tree.set(key, item.conversationId);
    this.keys.set(item.conversationId, key);
  }

  remove(conversationId: string): boolean {
    const key = this.keys.get(conversationId);
    if (!key) return false;
    this.keys.delete(conversationId);
    return this.tree.delete(key);
  }

  has(conversationId: string): boolean {
    return this.keys.has(conversationId);
  }

  /**
   * Conversation ids in serving order. The next key is looked up after the caller resumes, relative
   * to the key just visited (which may have been removed meanwhile), so the walk survives removals.
   */
  *inOrder(): Generator<string> {
    let key = this.tree.minKey();
    while (key !== undefined) {
      yield key.conversationId;
      key = this.tree.nextHigherKey(key);
    }
  }

  /** 0-based place of a conversation in line (O(n); used for statistics and estimates only). */
  position(conversationId: string): number {
    let i = 0;
    for (const id of this.tree.values()) {
      if (id === conversationId) return i;
      i += 1;
    }
    return -1;
  }

  first(): string | undefined {
    const key = this.tree.minKey();
    return key?.conversationId;
  }
}
