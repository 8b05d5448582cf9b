/**
 * The other reading of "brute-force eligibility scan": what an engine without per-queue lists does,
 * looking at every agent of the tenant for each decision (is it a member of the queue, and is it
 * eligible?) and ranking those that are. It is measured on a frozen state next to AgentIndex.select
 * on the same state and the same work, and must choose the same agent.
 */
import { AgentIndex } from '../../src/app/routing/agent-index.js';
import { selectAgent, type AgentSnapshot, type QueueSnapshot, type WorkRequest } from '../../src/core/routing/agent-selection.js';
import { agentSnapshot, randomWork, ROUTABLE, Rng, toWorkRequest, type Population } from './population.js';

export interface TenantScanSample {
  readonly decisions: number;
  readonly indexNs: number;
  readonly tenantScanNs: number;
  readonly disagreements: number;
}

export function measureTenantScan(population: Population, decisions: number, seed: number): TenantScanSample {
  const ids = population.agents.map((a) => `agt_${String(a.n).padStart(5, '0')}`);
  const agents = new Map<string, AgentSnapshot>(population.agents.map((a) => [ids[a.n]!, agentSnapshot(a, ids[a.n]!)]));
  const queueIds = population.queues.map((q) => `que_${String(q.n).padStart(3, '0')}`);
  const snapshots = new Map<string, QueueSnapshot>(population.queues.map((q) => [queueIds[q.n]!, {
    id: queueIds[q.n]!, method: q.method, memberIds: q.members.map((m) => ids[m]!), lastRoundRobinId: null, customOrder: q.customOrder,
  }]));
  // Each agent knows its queues and its place in each: the data a naive engine filters on.
  const placeIn = new Map<string, Map<string, number>>();
  for (const snapshot of snapshots.values()) {
    snapshot.memberIds.forEach((id, position) => {
      const places = placeIn.get(id) ?? new Map<string, number>();
      if (!places.has(snapshot.id)) places.set(snapshot.id, position);
      placeIn.set(id, places);
    });
  }
  const allAgents = [...agents.values()];
  const index = new AgentIndex(ROUTABLE);
  for (const agent of allAgents) index.upsertAgent(agent);
  for (const snapshot of snapshots.values()) index.setQueue(snapshot);

  const tenantScan = (queue: QueueSnapshot, work: WorkRequest): string | null => {
    const found: { id: string; position: number }[] = [];
    for (const agent of allAgents) {
      const position = placeIn.get(agent.id)?.get(queue.id);
      if (position === undefined || work.excluded.has(agent.id) || !work.allowedPresences.includes(agent.presence)) continue;
      if (agent.capacity - agent.used < work.cost) continue;
      found.push({ id: agent.id, position });
    }
    found.sort((a, b) => a.position - b.position);
    // Ranking the survivors in queue order: with no round-robin pointer the oracle's order over
    // them is the same as over the whole member list.
    return selectAgent({ ...queue, memberIds: found.map((f) => f.id) }, agents, work).agentId;
  };

  const rng = new Rng(seed);
  const work: { queue: QueueSnapshot; request: WorkRequest }[] = [];
  for (let i = 0; i < decisions; i++) {
    const spec = rng.pick(population.queues);
    work.push({ queue: snapshots.get(queueIds[spec.n]!)!, request: toWorkRequest(randomWork(rng, spec), new Set()) });
  }
  const chosen: (string | null)[] = [];
  let t = process.hrtime.bigint();
  for (const w of work) chosen.push(index.select(w.queue.id, w.request).agentId);
  const indexNs = Number(process.hrtime.bigint() - t);
  let disagreements = 0;
  t = process.hrtime.bigint();
  for (let i = 0; i < work.length; i++) if (tenantScan(work[i]!.queue, work[i]!.request) !== chosen[i]) disagreements++;
  const tenantScanNs = Number(process.hrtime.bigint() - t);
  return { decisions, indexNs, tenantScanNs, disagreements };
}
