import type { Agent, Queue } from '../../core/model.js';
import type { AgentSnapshot, Presence } from '../../core/routing/agent-selection.js';
import { DEFAULT_SERVICE_LEVEL_SECONDS, type RoutingItem } from '../../core/routing/routing-model.js';
import type { StoreReads } from '../ports/storage.js';
import { AgentIndex } from './agent-index.js';
import { compileWorkstream, type CompiledWorkstream } from './routing-config-checks.js';
import { WaitingLine } from './waiting-line.js';

/** Per-queue counters for real-time statistics, since the engine loaded the tenant. */
export interface QueueCounters {
  offered: number;
  accepted: number;
  rejected: number;
  timedOut: number;
  assigned: number;
  /** Sum and count of waits (ms) of conversations that left the line to an agent: the answered ones. */
  waitSum: number;
  waitCount: number;
  /** Answered ones whose wait was within the queue's service level threshold at the time. */
  withinServiceLevel: number;
}

const NO_COUNTS: QueueCounters = Object.freeze({ offered: 0, accepted: 0, rejected: 0, timedOut: 0, assigned: 0, waitSum: 0, waitCount: 0, withinServiceLevel: 0 });

export function toSnapshot(agent: Agent): AgentSnapshot {
  return {
    id: agent.id,
    presence: agent.presence,
    capacity: agent.capacity,
    used: agent.usedCapacity,
    skills: agent.skills,
    lastAssignedAt: agent.lastAssignedAt === null ? null : Date.parse(agent.lastAssignedAt),
    attributes: agent.attributes,
  };
}

/**
 * What the engine holds in memory for one tenant: agents in the ordered index, queues with their
 * waiting lines, compiled workstreams and the routing items in flight. It is a cache of the
 * database, rebuilt from it on load; every change is written to the database first.
 */
export class TenantRoutingState {
  readonly agents = new Map<string, Agent>();
  readonly queues = new Map<string, Queue>();
  readonly workstreams = new Map<string, CompiledWorkstream>();
  readonly items = new Map<string, RoutingItem>();
  readonly lines = new Map<string, WaitingLine>();
  readonly counters = new Map<string, QueueCounters>();
  /** Agent id -> conversations offered to or owned by it (so agent events need not scan every item). */
  readonly itemsOfAgent = new Map<string, Set<string>>();
  /** Agent id -> the queues it belongs to (for draining after the agent frees up). */
  readonly queuesOfAgent = new Map<string, Set<string>>();
  readonly index: AgentIndex;

  private constructor(readonly tenantId: string, readonly routablePresences: readonly Presence[]) {
    this.index = new AgentIndex(routablePresences);
  }

  static async load(reads: StoreReads, tenantId: string): Promise<TenantRoutingState> {
    const [agents, queues, workstreams, skills, pointers, items] = await Promise.all([
      reads.listAgents(tenantId),
      reads.listQueues(tenantId),
      reads.routing.listWorkstreams(tenantId),
      reads.routing.listSkills(tenantId),
      reads.routing.listRoundRobinPointers(tenantId),
      reads.routing.listRoutingItems(tenantId, ['waiting', 'offered', 'assigned']),
    ]);
    const queueIds = new Set(queues.map((q) => q.id));
    const skillNames = new Set(skills.map((s) => s.name));
    const compiled = workstreams.map((w) => compileWorkstream(w, queueIds, skillNames));
    const routable = new Set<Presence>(['available']);
    for (const c of compiled) for (const p of c.workstream.allowedPresences) routable.add(p);

    const state = new TenantRoutingState(tenantId, [...routable]);
    for (const c of compiled) state.workstreams.set(c.workstream.id, c);
    for (const agent of agents) state.putAgent(agent);
    for (const queue of queues) state.putQueue(queue, pointers.get(queue.id) ?? null);
    for (const item of items) state.putItem(item);
    return state;
  }

  putAgent(agent: Agent): void {
    this.agents.set(agent.id, agent);
    this.index.upsertAgent(toSnapshot(agent));
  }

  putQueue(queue: Queue, lastRoundRobinId: string | null): void {
    const previous = this.queues.get(queue.id);
    for (const id of previous?.memberIds ?? []) this.queuesOfAgent.get(id)?.delete(queue.id);
    this.queues.set(queue.id, queue);
    for (const id of queue.memberIds) {
      const set = this.queuesOfAgent.get(id) ?? new Set<string>();
      set.add(queue.id);
      this.queuesOfAgent.set(id, set);
    }
    this.index.setQueue({
      id: queue.id, method: queue.routing.assignmentMethod, memberIds: queue.memberIds, lastRoundRobinId, customOrder: queue.routing.customOrder,
    });
    if (!this.lines.has(queue.id)) this.lines.set(queue.id, new WaitingLine());
    if (!this.counters.has(queue.id)) this.counters.set(queue.id, { ...NO_COUNTS });
  }

  /** Records an item and keeps the waiting lines in step with its status. */
  putItem(item: RoutingItem): void {
    const previous = this.items.get(item.conversationId);
    if (previous) this.lines.get(previous.queueId)?.remove(item.conversationId);
    if (previous?.agentId) this.itemsOfAgent.get(previous.agentId)?.delete(item.conversationId);
    if (item.agentId && item.status !== 'ended') {
      const held = this.itemsOfAgent.get(item.agentId) ?? new Set<string>();
      held.add(item.conversationId);
      this.itemsOfAgent.set(item.agentId, held);
    }
    if (item.status === 'ended') {
      this.items.delete(item.conversationId);
      return;
    }
    this.items.set(item.conversationId, item);
    if (item.status === 'waiting') {
      let line = this.lines.get(item.queueId);
      if (!line) {
        line = new WaitingLine();
        this.lines.set(item.queueId, line);
      }
      line.add(item);
    }
  }

  /** Drops an item that no longer exists in the database, with its place in line. */
  forgetItem(conversationId: string): void {
    const item = this.items.get(conversationId);
    if (!item) return;
    this.lines.get(item.queueId)?.remove(conversationId);
    if (item.agentId) this.itemsOfAgent.get(item.agentId)?.delete(conversationId);
    this.items.delete(conversationId);
  }

  counter(queueId: string): QueueCounters {
    let c = this.counters.get(queueId);
    if (!c) {
      c = { ...NO_COUNTS };
      this.counters.set(queueId, c);
    }
    return c;
  }

  /**
   * A conversation left the queue's line to an agent (offer accepted, assigned directly, picked)
   * after waiting `waitedMs`: its wait counts toward the average and, against the threshold the
   * queue has now, toward the service level.
   */
  recordAnswer(queueId: string, waitedMs: number): void {
    const counters = this.counter(queueId);
    counters.waitSum += waitedMs;
    counters.waitCount += 1;
    const threshold = this.queues.get(queueId)?.routing.serviceLevelSeconds ?? DEFAULT_SERVICE_LEVEL_SECONDS;
    if (waitedMs <= threshold * 1000) counters.withinServiceLevel += 1;
  }

  /** Takes over the statistics of the queues that still exist from the state this one replaces. */
  keepCounters(previous: TenantRoutingState): void {
    for (const [queueId, counters] of previous.counters) if (this.queues.has(queueId)) this.counters.set(queueId, counters);
  }

  /** Queues of an agent, most important first: freed capacity serves them in this order. */
  agentQueuesByPriority(agentId: string): string[] {
    return [...(this.queuesOfAgent.get(agentId) ?? [])].sort((a, b) => (this.queues.get(b)?.priority ?? 0) - (this.queues.get(a)?.priority ?? 0));
  }

  queuesByPriority(): string[] {
    return [...this.queues.values()].sort((a, b) => b.priority - a.priority || (a.id < b.id ? -1 : 1)).map((q) => q.id);
  }
}
