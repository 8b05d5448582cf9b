/**
 * Read-only views computed from the engine's live state: the dry run (`simulate`), real-time queue
 * statistics, an agent's status and a pick-mode queue listing. None of them writes anything.
 */
import { checkContextVariable, type ContextVariable } from '../../core/context-variable.js';
import type { Agent, ChannelType } from '../../core/model.js';
import { selectAgent, type Ineligibility, type WorkRequest } from '../../core/routing/agent-selection.js';
import { workCost, type Offer } from '../../core/routing/routing-model.js';
import { allowedOn, isSelf, type Caller } from '../caller.js';
import { agentInScope } from '../scope.js';
import { SwitchboardError } from '../errors.js';
import type { StoreReads } from '../ports/storage.js';
import { computeQueueStats } from './queue-stats.js';
import { explainPlan, type RoutingEngine } from './routing-engine.js';
import type { TenantRoutingState } from './tenant-routing-state.js';

export interface SimulateInput {
  readonly workstreamId?: string | undefined;
  readonly channelType?: ChannelType | undefined;
  readonly context?: readonly { readonly name: string; readonly type: string; readonly value: unknown }[] | undefined;
  readonly priority?: number | undefined;
  readonly waitedSeconds?: number | undefined;
  readonly draw?: number | undefined;
}

/** Evaluates a context against the current rules and agents, exactly as routing would, changing nothing. */
export async function simulateRouting(engine: RoutingEngine, caller: Caller, tenantId: string, input: SimulateInput, randomDraw: number) {
  const context: ContextVariable[] = [];
  for (const raw of input.context ?? []) {
    const checked = checkContextVariable(raw.name, raw.type, raw.value);
    if (!checked.ok) throw new SwitchboardError('SB_ERR_INVALID_CONTEXT', checked.problem, { name: raw.name });
    context.push(checked.variable);
  }
  return engine.inspect(caller, tenantId, 'routing.read', (state, now) => {
    const compiled = input.workstreamId !== undefined
      ? state.workstreams.get(input.workstreamId)
      : [...state.workstreams.values()].find((c) => input.channelType !== undefined && c.workstream.channelTypes.includes(input.channelType));
    if (!compiled) {
      throw input.workstreamId !== undefined
        ? new SwitchboardError('SB_ERR_WORKSTREAM_NOT_FOUND')
        : new SwitchboardError('SB_ERR_NO_WORKSTREAM', 'Give a workstreamId, or a channelType that a workstream routes.');
    }
    const draw = input.draw ?? randomDraw;
    const plan = engine.planFor(state, compiled, context, input.priority ?? 0, draw, now);
    const ws = compiled.workstream;
    const work: WorkRequest = {
      cost: workCost(ws, plan.capacityProfile), requiredSkills: plan.requiredSkills, match: ws.skillMatch, relaxations: ws.relaxations,
      waitedSeconds: input.waitedSeconds ?? 0, allowedPresences: ws.allowedPresences, excluded: new Set(),
    };
    const queueId = plan.outcome.queueId;
    const snapshot = state.index.queueSnapshot(queueId);
    // The brute-force selection gives the full "why" (every member ranked or ruled out); the
    // indexed choice is what the engine would do, and the two must agree.
    const full = snapshot ? selectAgent(snapshot, state.index.agents(), work) : null;
    const indexed = ws.mode === 'push' ? state.index.select(queueId, work) : null;
    const reasons: Partial<Record<Ineligibility, number>> = {};
    for (const i of full?.ineligible ?? []) reasons[i.reason] = (reasons[i.reason] ?? 0) + 1;
    return {
      workstreamId: ws.id,
      mode: ws.mode,
      plan: explainPlan(plan),
      queueId,
      conditions: engine.conditionsOf(state, queueId, now),
      agentId: plan.outcome.kind === 'end' || ws.mode === 'pick' ? null : (indexed?.agentId ?? null),
      assignmentMethod: state.queues.get(queueId)?.routing.assignmentMethod ?? null,
      appliedSkills: full?.appliedSkills ?? [],
      ranked: (full?.ranked ?? []).slice(0, 20),
      eligibleCount: full?.ranked.length ?? 0,
      ineligibleByReason: reasons,
      ineligible: (full?.ineligible ?? []).slice(0, 50),
    };
  });
}

/** Real-time statistics of one queue (or every queue): the wallboard's numbers. */
export async function queueStatistics(engine: RoutingEngine, caller: Caller, tenantId: string, queueId?: string) {
  return engine.inspect(caller, tenantId, 'queues.read', (state, now) => {
    if (queueId !== undefined && (!state.queues.has(queueId) || !allowedOn(caller, 'queues.read', queueId))) throw new SwitchboardError('SB_ERR_QUEUE_NOT_FOUND');
    const ids = queueId !== undefined ? [queueId] : state.queuesByPriority().filter((id) => allowedOn(caller, 'queues.read', id));
    return computeQueueStats(state, (id) => engine.conditionsOf(state, id, now), now, ids);
  });
}

/** The conversations offered to or owned by an agent, as the engine holds them now. */
function workOf(state: TenantRoutingState, agentId: string) {
  const out = [];
  for (const id of state.itemsOfAgent.get(agentId) ?? []) {
    const item = state.items.get(id);
    if (item && item.agentId === agentId) out.push({ conversationId: item.conversationId, status: item.status, queueId: item.queueId });
  }
  return out;
}

type AgentWork = ReturnType<typeof workOf>;

function statusView(agent: Agent, conversations: AgentWork, pendingOffers: readonly Offer[]) {
  return {
    agentId: agent.id, presence: agent.presence, presenceSince: agent.presenceSince, capacity: agent.capacity, usedCapacity: agent.usedCapacity,
    conversations, pendingOffers: [...pendingOffers], missedOffers: agent.missedOffers, lastAssignedAt: agent.lastAssignedAt,
  };
}

/** An agent's live status: presence and since when, load, conversations, pending offers. */
export async function agentStatus(engine: RoutingEngine, reads: StoreReads, caller: Caller, tenantId: string, agentId: string) {
  const permission = isSelf(caller, agentId) ? 'routing.act' : 'presence.read';
  const view = await engine.inspect(caller, tenantId, permission, (state) => {
    const agent = state.agents.get(agentId);
    if (!agent || !agentInScope(caller, permission, agentId, [...state.queues.values()])) throw new SwitchboardError('SB_ERR_AGENT_NOT_FOUND');
    return { agent, conversations: workOf(state, agentId) };
  });
  return statusView(view.agent, view.conversations, await reads.routing.listOffers(tenantId, { agentId, status: 'pending' }));
}

/** One line of the wallboard's agent list: an agent's status with who the agent is. */
export type AgentBoardEntry = ReturnType<typeof statusView> & { readonly displayName: string; readonly kind: Agent['kind'] };

/** The agents of the live state that `include` lets through, in creation order (ids are time-ordered), with their work. */
export function boardAgents(state: TenantRoutingState, include: (agentId: string) => boolean) {
  return [...state.agents.values()]
    .filter((a) => include(a.id))
    .sort((x, y) => (x.id < y.id ? -1 : 1))
    .map((agent) => ({ agent, conversations: workOf(state, agent.id) }));
}

/** Every pending offer of the tenant by agent: one read, not one per agent. */
export async function pendingOffersByAgent(reads: StoreReads, tenantId: string): Promise<Map<string, Offer[]>> {
  const pending = new Map<string, Offer[]>();
  for (const offer of await reads.routing.listOffers(tenantId, { status: 'pending' })) {
    const list = pending.get(offer.agentId) ?? [];
    list.push(offer);
    pending.set(offer.agentId, list);
  }
  return pending;
}

export function boardEntry(view: { readonly agent: Agent; readonly conversations: AgentWork }, pending: ReadonlyMap<string, readonly Offer[]>): AgentBoardEntry {
  const { agent, conversations } = view;
  return { ...statusView(agent, conversations, pending.get(agent.id) ?? []), displayName: agent.displayName, kind: agent.kind };
}

/**
 * The wallboard's agent list: the status of every agent the caller may see, in creation order. It
 * is a real-time report (`reports.read`), so an agent, who holds no reports, is refused; a
 * supervisor scoped to queues sees the members of those queues (and themselves).
 */
export async function listAgentStatuses(engine: RoutingEngine, reads: StoreReads, caller: Caller, tenantId: string): Promise<AgentBoardEntry[]> {
  const views = await engine.inspect(caller, tenantId, 'reports.read', (state) => {
    const queues = [...state.queues.values()];
    return boardAgents(state, (id) => agentInScope(caller, 'reports.read', id, queues));
  });
  const pending = await pendingOffersByAgent(reads, tenantId);
  return views.map((view) => boardEntry(view, pending));
}

/** The waiting line of a queue in serving order (what a pick-mode agent chooses from). */
export async function listWaiting(engine: RoutingEngine, caller: Caller, tenantId: string, queueId: string, limit: number) {
  return engine.inspect(caller, tenantId, 'queues.read', (state, now) => {
    const line = state.lines.get(queueId);
    if (!state.queues.has(queueId) || !line || !allowedOn(caller, 'queues.read', queueId)) throw new SwitchboardError('SB_ERR_QUEUE_NOT_FOUND');
    const out = [];
    for (const id of line.inOrder()) {
      const item = state.items.get(id)!;
      out.push({
        conversationId: id, priority: item.priority, waitedSeconds: (now - item.enteredAt) / 1000, requiredSkills: item.requiredSkills,
        callbackRequested: item.callbackRequestedAt !== null, mode: state.workstreams.get(item.workstreamId)?.workstream.mode ?? 'push',
      });
      if (out.length >= limit) break;
    }
    return out;
  });
}
