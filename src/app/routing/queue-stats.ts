import type { QueueConditions } from '../../core/routing/overflow.js';
import type { TenantRoutingState } from './tenant-routing-state.js';

export interface QueueStats {
  readonly queueId: string;
  readonly name: string;
  readonly waiting: number;
  readonly offered: number;
  readonly longestWaitSeconds: number;
  readonly averageWaitSeconds: number | null;
  readonly estimatedWaitSeconds: number;
  readonly open: boolean;
  readonly agentsByPresence: Record<string, number>;
  readonly offers: { readonly made: number; readonly accepted: number; readonly rejected: number; readonly timedOut: number };
  readonly assignedDirectly: number;
  /** Share of the answered conversations (accepted offers, direct assignments, picks) answered within the threshold. */
  readonly serviceLevel: { readonly thresholdSeconds: number; readonly answered: number; readonly withinThreshold: number; readonly percent: number | null };
}

/** The real-time numbers of the given queues, from the engine's live state (the wallboard's figures). */
export function computeQueueStats(
  state: TenantRoutingState, conditionsOf: (queueId: string) => QueueConditions, now: number, queueIds: readonly string[],
): QueueStats[] {
  return queueIds.map((id) => {
    const queue = state.queues.get(id)!;
    const counters = state.counter(id);
    let longest = 0;
    let offered = 0;
    for (const item of state.items.values()) {
      if (item.queueId !== id) continue;
      if (item.status === 'waiting') longest = Math.max(longest, now - item.enteredAt);
      if (item.status === 'offered') offered += 1;
    }
    const agentsByPresence: Record<string, number> = {};
    for (const memberId of queue.memberIds) {
      const agent = state.agents.get(memberId);
      if (agent) agentsByPresence[agent.presence] = (agentsByPresence[agent.presence] ?? 0) + 1;
    }
    const conditions = conditionsOf(id);
    return {
      queueId: id, name: queue.name, waiting: state.lines.get(id)?.size ?? 0, offered, longestWaitSeconds: longest / 1000,
      averageWaitSeconds: counters.waitCount > 0 ? counters.waitSum / counters.waitCount / 1000 : null,
      estimatedWaitSeconds: conditions.estimatedWaitSeconds, open: conditions.open, agentsByPresence,
      offers: { made: counters.offered, accepted: counters.accepted, rejected: counters.rejected, timedOut: counters.timedOut },
      assignedDirectly: counters.assigned,
      serviceLevel: {
        thresholdSeconds: queue.routing.serviceLevelSeconds, answered: counters.waitCount, withinThreshold: counters.withinServiceLevel,
        // One decimal: enough for a wallboard, and stable in snapshots.
        percent: counters.waitCount > 0 ? Math.round((counters.withinServiceLevel / counters.waitCount) * 1000) / 10 : null,
      },
    };
  });
}
