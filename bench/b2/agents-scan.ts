/**
 * Baseline (a) of B2 as BENCHMARKS.md words it: a brute-force O(agents) eligibility scan over plain
 * arrays. Every decision looks at every agent of the tenant: is it a member of the queue (one typed
 * array per queue, agent slot -> member position), is its presence allowed, has it the capacity,
 * does it meet the skills; and keeps the best of those who are by the queue's method, in one pass
 * without sorting or allocating. Its upkeep is a few array writes per agent change.
 *
 * It must choose what the oracle `selectAgent` chooses (the decision runs compare every choice), so
 * it ranks exactly as the oracle does: shortfall first under closest matching, then the method,
 * then the member position. Each agent is a member of a queue at most once in the B2 population,
 * which is what lets one position per agent and queue stand for the oracle's walk of the list.
 */
import {
  applicableSkills, shortfall, sortValueReader, surplus, type AgentSnapshot, type AssignmentMethod, type Presence, type QueueSnapshot, type WorkRequest,
} from '../../src/core/routing/agent-selection.js';

interface ScanQueue {
  readonly method: AssignmentMethod;
  readonly size: number;
  /** Agent slot -> position in the member list, -1 for agents who are not members. */
  readonly positionOf: Int32Array;
  readonly readers: readonly ((agent: AgentSnapshot) => number | string | undefined)[];
  readonly directions: readonly ('asc' | 'desc')[];
  /** Position of the member last chosen (round-robin pointer), -1 for none. */
  last: number;
}

export class AgentsScan {
  private readonly slotOf = new Map<string, number>();
  private readonly ids: string[];
  private readonly presence: Uint8Array;
  private readonly free: Float64Array;
  private readonly lastAssigned: Float64Array;
  /** The snapshots, for skills and custom attributes. */
  private readonly snapshots: AgentSnapshot[];
  private readonly presenceCode = new Map<Presence, number>();
  private readonly queues = new Map<string, ScanQueue>();

  constructor(agents: readonly AgentSnapshot[], queues: readonly QueueSnapshot[]) {
    this.ids = agents.map((a) => a.id);
    this.snapshots = [...agents];
    this.presence = new Uint8Array(agents.length);
    this.free = new Float64Array(agents.length);
    this.lastAssigned = new Float64Array(agents.length);
    agents.forEach((agent, slot) => {
      this.slotOf.set(agent.id, slot);
      this.write(slot, agent);
    });
    for (const queue of queues) {
      const positionOf = new Int32Array(agents.length).fill(-1);
      queue.memberIds.forEach((id, position) => {
        const slot = this.slotOf.get(id)!;
        if (positionOf[slot] !== -1) throw new Error(`${id} is listed twice in ${queue.id}: the scan keeps one position per member`);
        positionOf[slot] = position;
      });
      const order = queue.customOrder ?? [];
      this.queues.set(queue.id, {
        method: queue.method, size: queue.memberIds.length, positionOf, last: -1,
        readers: order.map(({ key }) => sortValueReader(key)), directions: order.map(({ direction }) => direction),
      });
    }
  }

  upsert(agent: AgentSnapshot): void {
    const slot = this.slotOf.get(agent.id)!;
    this.snapshots[slot] = agent;
    this.write(slot, agent);
  }

  pointer(queueId: string, agentId: string): void {
    const queue = this.queues.get(queueId)!;
    queue.last = queue.positionOf[this.slotOf.get(agentId)!]!;
  }

  select(queueId: string, work: WorkRequest): string | null {
    const queue = this.queues.get(queueId)!;
    const skills = applicableSkills(work);
    const exact = work.match === 'exact';
    let allowed = 0;
    for (const p of work.allowedPresences) allowed |= 1 << this.code(p);
    const { positionOf, size, last, method } = queue;
    const turn = (position: number) => (position - last - 1 + size) % size;
    let best = -1;
    let bestGap = 0;
    for (let slot = 0; slot < positionOf.length; slot++) {
      const position = positionOf[slot]!;
      if (position < 0) continue;
      if ((allowed & (1 << this.presence[slot]!)) === 0 || this.free[slot]! < work.cost) continue;
      const agent = this.snapshots[slot]!;
      if (work.excluded.has(agent.id)) continue;
      const gap = shortfall(agent, skills);
      if (gap === undefined || (exact && gap > 0)) continue;
      if (best >= 0) {
        if (gap !== bestGap) {
          if (gap > bestGap) continue;
        } else {
          const b = this.snapshots[best]!;
          const bestPosition = positionOf[best]!;
          let cmp: number;
          switch (method) {
            case 'highest-capacity':
              cmp = this.free[best]! - this.free[slot]! || turn(position) - turn(bestPosition);
              break;
            case 'round-robin':
              cmp = turn(position) - turn(bestPosition);
              break;
            case 'longest-idle':
              cmp = this.lastAssigned[slot]! - this.lastAssigned[best]! || position - bestPosition;
              break;
            case 'best-skill':
              cmp = surplus(agent, skills) - surplus(b, skills) || turn(position) - turn(bestPosition);
              break;
            case 'custom':
              cmp = this.compareCustom(queue, agent, b) || position - bestPosition;
              break;
          }
          if (!(cmp < 0)) continue;
        }
      }
      best = slot;
      bestGap = gap;
    }
    return best < 0 ? null : this.ids[best]!;
  }

  private write(slot: number, agent: AgentSnapshot): void {
    this.presence[slot] = this.code(agent.presence);
    this.free[slot] = agent.capacity - agent.used;
    this.lastAssigned[slot] = agent.lastAssignedAt ?? -Infinity;
  }

  private code(presence: Presence): number {
    let code = this.presenceCode.get(presence);
    if (code === undefined) {
      code = this.presenceCode.size;
      this.presenceCode.set(presence, code);
    }
    return code;
  }

  /** The oracle's custom comparison: an agent lacking a value sorts after every agent that has it. */
  private compareCustom(queue: ScanQueue, a: AgentSnapshot, b: AgentSnapshot): number {
    for (let i = 0; i < queue.readers.length; i++) {
      const x = queue.readers[i]!(a);
      const y = queue.readers[i]!(b);
      if (x === y) continue;
      if (x === undefined) return 1;
      if (y === undefined) return -1;
      const cmp = x < y ? -1 : 1;
      return queue.directions[i] === 'asc' ? cmp : -cmp;
    }
    return 0;
  }
}
