import type { Actor, Agent, Participant, SwitchboardEvent } from '../../core/model.js';
import type { ConversationState } from '../../core/conversation-lifecycle.js';
import { applicableSkills, ownValue, type WorkRequest } from '../../core/routing/agent-selection.js';
import { isOpen } from '../../core/routing/operating-hours.js';
import { estimateWaitSeconds, MAX_OVERFLOW_RULES, nextOverflowDeadline, overflowWhileQueued, type OverflowAction, type QueueConditions } from '../../core/routing/overflow.js';
import { planRoute, type RoutePlan } from '../../core/routing/plan-route.js';
import { workCost, type Offer, type RoutingDecision, type RoutingItem } from '../../core/routing/routing-model.js';
import type { ContextVariable } from '../../core/context-variable.js';
import type { Permission } from '../../core/identity/permissions.js';
import { isSelf, type Caller } from '../caller.js';
import type { AppDeps } from '../deps.js';
import { SwitchboardError } from '../errors.js';
import type { RandomSource, Scheduler } from '../ports/scheduler.js';
import type { StoreTx } from '../ports/storage.js';
import { assertConversationInScope, assertQueueInScope } from '../scope.js';
import { assertHandlesOrSupervises, auditingSupervision } from '../supervision.js';
import { requireTenant } from '../tenant-access.js';
import { commit, type Emit } from '../unit-of-work.js';
import type { IndexedChoice } from './agent-index.js';
import type { CompiledWorkstream } from './routing-config-checks.js';
import { workRequestOf } from '../../core/routing/work-request.js';
import { computeQueueStats } from './queue-stats.js';
import { TenantRoutingState, toSnapshot } from './tenant-routing-state.js';

export interface RoutingEngineDeps extends AppDeps {
  readonly scheduler: Scheduler;
  readonly random: RandomSource;
  /** Called with failures of background work (timers, bus reactions); the server logs them. */
  readonly onError?: ((error: unknown, context: string) => void) | undefined;
  /** Milliseconds between `routing.queue_stats` snapshots of a tenant with routing activity; 0 or absent: none. */
  readonly statsIntervalMs?: number | undefined;
}

const ROUTING_ACTOR: Actor = Object.freeze({ kind: 'system', id: 'routing' });
const ROUTING_CALLER: Caller = Object.freeze({ actor: ROUTING_ACTOR, tenants: 'all', isPlatformAdmin: true });

/** A conditional write lost a race: the cached view was stale. Reload and decide again. */
class StaleView extends Error {
  constructor(readonly what: 'agent' | 'item' | 'conversation') {
    super(`routing: stale ${what}`);
  }
}

/** Events that change what routing knows; each makes the engine reload the affected rows. */
const AGENT_EVENTS = new Set(['agent.created', 'agent.updated', 'agent.presence_changed']);
const CONFIG_EVENTS = new Set(['queue.created', 'queue.updated', 'queue.deleted', 'queue.member_added', 'queue.member_removed', 'workstream.created', 'workstream.updated', 'workstream.deleted', 'skill.created']);

export interface RouteInput {
  readonly workstreamId?: string | undefined;
  /**
   * Variables set in the same transaction as the routing, and seen by its rules: a bot's
   * escalation context, so "set the context and route again" cannot half-happen.
   */
  readonly context?: readonly ContextVariable[] | undefined;
}

export interface RouteResult {
  readonly conversationId: string;
  readonly queueId: string;
  readonly status: RoutingItem['status'] | 'ended';
  readonly agentId: string | null;
  readonly plan: ReturnType<typeof explainPlan>;
}

/** An agent's accept or reject on its way into the tenant's next batch of answers. */
interface PendingAnswer {
  readonly kind: 'accept' | 'reject';
  readonly caller: Caller;
  readonly offerId: string;
  readonly agentId: string;
  readonly reason?: string | null;
  readonly resolve: (offer: Offer) => void;
  readonly reject: (error: unknown) => void;
}

/** A change checked against the state: the unit of work to commit, and what to do to the state once it has. */
interface PreparedChange {
  readonly work: (tx: StoreTx, emit: Emit) => Promise<void>;
  readonly apply: () => Promise<Offer>;
}

/** An offer (or a bot's assignment) chosen and applied to the engine's state, not yet committed (see `drain`). */
interface PendingOffer {
  readonly agentId: string;
  readonly conversationId: string;
  readonly work: (tx: StoreTx, emit: Emit) => Promise<void>;
  /** Puts the engine's state back as it was before the choice. */
  readonly undo: () => void;
  /** Timers and counters, once the offer is durable. */
  readonly committed: () => void;
}

/**
 * Most offers one `drain` commits in one transaction: enough that a burst of sign-ins shares its
 * commits, few enough that the first offer of a long pass is not held back for long.
 */
const MAX_OFFERS_PER_COMMIT = 64;

export type TransferTarget = { readonly queueId: string; readonly agentId?: undefined } | { readonly agentId: string; readonly queueId?: undefined };

/**
 * The unified routing engine (C2). It keeps each tenant's agents, queues and waiting conversations
 * in memory (loaded from the database on first use), decides with the indexed selector, and writes
 * every decision with conditional updates in one transaction with its events. Work for one tenant
 * runs one step at a time, so decisions never interleave inside a process; the conditional writes
 * keep the database right even if another node decides concurrently.
 */
export class RoutingEngine {
  private readonly states = new Map<string, Promise<TenantRoutingState>>();
  private readonly chains = new Map<string, Promise<unknown>>();
  private readonly offerTimers = new Map<string, () => void>();
  private readonly itemTimers = new Map<string, { at: number; cancel: () => void }>();
  private readonly statsTimers = new Map<string, () => void>();
  /** Answers to offers waiting for their tenant's next batch (see `answer`). */
  private readonly answers = new Map<string, PendingAnswer[]>();
  private unsubscribe: (() => void) | null = null;
  private closed = false;

  constructor(private readonly deps: RoutingEngineDeps) {}

  /** Subscribes to committed events and resumes every tenant with routing in flight (pending offers, waiting work). */
  async start(): Promise<void> {
    this.unsubscribe = this.deps.bus.subscribe((event) => this.onEvent(event));
    for (const tenant of await this.deps.storage.read.listTenants()) {
      const inFlight = await this.deps.storage.read.routing.listRoutingItems(tenant.id, ['waiting', 'offered']);
      if (inFlight.length > 0) await this.run(tenant.id, (state) => this.resume(state));
    }
  }

  async close(): Promise<void> {
    this.closed = true;
    this.unsubscribe?.();
    await this.idle();
    for (const cancel of this.offerTimers.values()) cancel();
    for (const t of this.itemTimers.values()) t.cancel();
    for (const cancel of this.statsTimers.values()) cancel();
    this.statsTimers.clear();
    this.offerTimers.clear();
    this.itemTimers.clear();
  }

  /** Resolves when every queued step has run (tests and graceful shutdown wait on it). */
  async idle(): Promise<void> {
    for (;;) {
      const pending = [...this.chains.values()];
      if (pending.length === 0) return;
      await Promise.allSettled(pending);
      if ([...this.chains.values()].every((c) => pending.includes(c))) return;
    }
  }

  // ---- commands -----------------------------------------------------------------------------

  /** Puts a conversation into routing: classification, route-to-queue, overflow, then assignment. */
  async route(caller: Caller, tenantId: string, conversationId: string, input: RouteInput = {}): Promise<RouteResult> {
    await requireTenant(this.deps, caller, tenantId, 'conversations.write');
    await this.assertConversationScope(caller, tenantId, conversationId);
    return this.run(tenantId, (state) => this.doRoute(state, caller, conversationId, input));
  }

  async accept(caller: Caller, tenantId: string, offerId: string, agentId: string): Promise<Offer> {
    await this.requireActingAs(caller, tenantId, agentId);
    return this.answer(tenantId, { kind: 'accept', caller, offerId, agentId });
  }

  async reject(caller: Caller, tenantId: string, offerId: string, agentId: string, reason?: string): Promise<Offer> {
    await this.requireActingAs(caller, tenantId, agentId);
    return this.answer(tenantId, { kind: 'reject', caller, offerId, agentId, reason: reason ?? null });
  }

  async pick(caller: Caller, tenantId: string, queueId: string, conversationId: string, agentId: string): Promise<RoutingItem> {
    await this.requireActingAs(caller, tenantId, agentId);
    assertQueueInScope(caller, 'routing.act', queueId);
    return this.run(tenantId, (state) => this.doPick(state, caller, queueId, conversationId, agentId));
  }

  async transfer(caller: Caller, tenantId: string, conversationId: string, target: TransferTarget, reason?: string): Promise<RoutingItem> {
    await requireTenant(this.deps, caller, tenantId, 'routing.act');
    await this.assertConversationScope(caller, tenantId, conversationId);
    return auditingSupervision(this.deps, caller, tenantId, () => this.run(tenantId, (state) => this.doTransfer(state, caller, conversationId, target, reason ?? null)));
  }

  async consult(caller: Caller, tenantId: string, conversationId: string, agentId: string): Promise<Participant> {
    await requireTenant(this.deps, caller, tenantId, 'routing.act');
    await this.assertConversationScope(caller, tenantId, conversationId);
    return this.run(tenantId, (state) => this.doConsult(state, caller, conversationId, agentId));
  }

  /** Runs `fn` against the tenant's loaded state (queries: simulate, statistics). */
  async inspect<T>(caller: Caller, tenantId: string, permission: Permission, fn: (state: TenantRoutingState, now: number) => T | Promise<T>): Promise<T> {
    await requireTenant(this.deps, caller, tenantId, permission);
    return this.run(tenantId, (state) => fn(state, this.deps.clock.now()), false);
  }

  /**
   * A person answers offers and picks work as themselves (`routing.act`); doing it in another
   * agent's name is an administrator's act (`agents.write`), as the bootstrap key does in tests.
   */
  private async requireActingAs(caller: Caller, tenantId: string, agentId: string): Promise<void> {
    await requireTenant(this.deps, caller, tenantId, isSelf(caller, agentId) ? 'routing.act' : 'agents.write');
  }

  /**
   * Checked before the step is queued, on the row as it is then: a scoped caller acts only on
   * conversations in its queues (or its own). Outside scope looks missing.
   */
  private async assertConversationScope(caller: Caller, tenantId: string, conversationId: string): Promise<void> {
    if (caller.grants === undefined) return;
    const conversation = await this.deps.storage.read.getConversation(tenantId, conversationId);
    if (!conversation) throw new SwitchboardError('SB_ERR_CONVERSATION_NOT_FOUND');
    await assertConversationInScope(this.deps.storage.read, caller, 'conversations.write', conversation);
  }

  /** The plan a context would get now, computed exactly as `route` does but written nowhere. */
  planFor(state: TenantRoutingState, compiled: CompiledWorkstream, context: readonly ContextVariable[], basePriority: number, draw: number, now: number): RoutePlan {
    const byName = new Map(context.map((v) => [v.name, v]));
    return planRoute({
      classification: compiled.classification,
      routeRules: compiled.routeRules,
      fallbackQueueId: compiled.workstream.fallbackQueueId,
      lookup: (name) => byName.get(name),
      draw,
      basePriority,
      overflowRulesOf: (queueId) => state.queues.get(queueId)?.routing.overflow ?? [],
      conditionsOf: (queueId) => this.conditionsOf(state, queueId, now),
    });
  }

  conditionsOf(state: TenantRoutingState, queueId: string, now: number): QueueConditions {
    const hours = state.queues.get(queueId)?.routing.operatingHours ?? null;
    const line = state.lines.get(queueId);
    return {
      open: hours === null || isOpen(hours, now),
      queueLength: line?.size ?? 0,
      estimatedWaitSeconds: this.estimatedWait(state, queueId, line?.size ?? 0),
    };
  }

  /** Expected wait of the conversation at 0-based `position` in the queue's line. */
  private estimatedWait(state: TenantRoutingState, queueId: string, position: number): number {
    const counters = state.counter(queueId);
    const serving = (state.queues.get(queueId)?.memberIds ?? []).filter((id) => {
      const a = state.agents.get(id);
      return a !== undefined && a.presence !== 'offline' && a.presence !== 'away';
    }).length;
    return estimateWaitSeconds({
      position,
      recentAverageWaitSeconds: counters.waitCount > 0 ? counters.waitSum / counters.waitCount / 1000 : null,
      recentAverageHandleSeconds: null,
      agentsServing: serving,
    });
  }

  /**
   * Where a waiting conversation stands: its queue, its 1-based place in line and the expected
   * wait; null when it is not waiting (offered, assigned, not routed). What customers are told.
   */
  async waitingPlace(tenantId: string, conversationId: string): Promise<{ queueId: string; position: number; estimatedWaitSeconds: number } | null> {
    return this.run(tenantId, (state) => {
      const item = state.items.get(conversationId);
      if (!item || item.status !== 'waiting') return null;
      const index = state.lines.get(item.queueId)?.position(conversationId) ?? -1;
      if (index < 0) return null;
      return { queueId: item.queueId, position: index + 1, estimatedWaitSeconds: this.estimatedWait(state, item.queueId, index) };
    }, false);
  }

  // ---- serialisation and loading ---------------------------------------------------------

  /** Queues a step for the tenant; `changes: false` for steps that only read (no statistics snapshot follows them). */
  private run<T>(tenantId: string, step: (state: TenantRoutingState) => Promise<T> | T, changes = true): Promise<T> {
    const previous = this.chains.get(tenantId) ?? Promise.resolve();
    const next = previous.then(async () => {
      const state = await this.stateOf(tenantId);
      if (changes) this.armStats(tenantId);
      return step(state);
    });
    const settled = next.then(() => undefined, () => undefined);
    this.chains.set(tenantId, settled);
    void settled.then(() => {
      if (this.chains.get(tenantId) === settled) this.chains.delete(tenantId);
    });
    return next;
  }

  /**
   * Wallboards get the queue figures as events too: after routing activity in a tenant, one
   * `routing.queue_stats` snapshot of all its queues follows within the interval (never more than
   * one per interval, and none while nothing happens).
   */
  private armStats(tenantId: string): void {
    const interval = this.deps.statsIntervalMs ?? 0;
    if (interval <= 0 || this.closed || this.statsTimers.has(tenantId)) return;
    const cancel = this.deps.scheduler.at(this.deps.clock.now() + interval, () => {
      this.statsTimers.delete(tenantId);
      this.run(tenantId, (state) => this.emitStats(state), false).catch((e) => this.deps.onError?.(e, 'queue statistics'));
    });
    this.statsTimers.set(tenantId, cancel);
  }

  private async emitStats(state: TenantRoutingState): Promise<void> {
    const now = this.deps.clock.now();
    const queues = computeQueueStats(state, (id) => this.conditionsOf(state, id, now), now, state.queuesByPriority());
    await commit(this.deps, ROUTING_CALLER, (_tx, emit) => emit('routing.queue_stats', state.tenantId, null, { at: new Date(now).toISOString(), queues }));
  }

  private stateOf(tenantId: string): Promise<TenantRoutingState> {
    let state = this.states.get(tenantId);
    if (!state) {
      state = TenantRoutingState.load(this.deps.storage.read, tenantId);
      this.states.set(tenantId, state);
      state.catch(() => this.states.delete(tenantId));
    }
    return state;
  }

  /**
   * After a restart: expire offers that ran out while down, re-arm the others, apply overflow that
   * fell due while down, re-arm the other deadlines of waiting conversations, serve the lines.
   */
  private async resume(state: TenantRoutingState): Promise<void> {
    const now = this.deps.clock.now();
    // Runs at start-up, before the server listens: one conversation whose rows disagree (a conflict
    // that would throw on every attempt) must not keep the whole server down, so it is reported and
    // the others resume.
    const isolated = async (conversationId: string, step: () => Promise<void>): Promise<void> => {
      try {
        await step();
      } catch (error) {
        this.deps.onError?.(error, `routing resume of conversation ${conversationId}`);
      }
    };
    for (const item of [...state.items.values()]) {
      if (item.status !== 'offered' || item.offerId === null) continue;
      const offerId = item.offerId;
      await isolated(item.conversationId, async () => {
        const offer = await this.deps.storage.read.routing.getOffer(state.tenantId, offerId);
        if (!offer || offer.status !== 'pending') return;
        // Expired while no engine ran: the agent could not have answered, so it is not a missed offer.
        if (Date.parse(offer.expiresAt) <= now) await this.doExpire(state, offer.id, false);
        else this.armOffer(state.tenantId, offer);
      });
    }
    // The timers of waiting conversations died with the old process, and `drain` re-arms only the
    // ones it reaches (it stops at the first conversation of a queue where nobody is free). Overflow
    // that fell due meanwhile applies now, one rule at a time as the timer would have; the bound
    // only guards against rules that keep sending a conversation back and forth.
    for (const conversationId of [...state.items.keys()]) {
      await isolated(conversationId, async () => {
        for (let applied = 0; applied <= MAX_OVERFLOW_RULES; applied += 1) {
          const item = state.items.get(conversationId);
          if (!item || item.status !== 'waiting') return;
          const due = overflowWhileQueued(state.queues.get(item.queueId)?.routing.overflow ?? [], (now - item.enteredAt) / 1000, new Set(item.overflowApplied));
          if (!due) return this.scheduleItem(state, item, now);
          await this.onItemTimer(state, conversationId);
        }
      });
    }
    await this.drain(state, state.queuesByPriority());
  }

  private onEvent(event: SwitchboardEvent): void {
    if (this.closed || !this.states.has(event.tenantId)) return; // not loaded: it will load fresh from the database
    // Only events that change what routing knows queue a step (a step counts as activity for the
    // statistics snapshots, so reacting to everything would make the snapshots feed themselves).
    const relevant = AGENT_EVENTS.has(event.type) || CONFIG_EVENTS.has(event.type) || event.type === 'routing.released' ||
      (event.type === 'message.created' && (event.payload.message as { senderRole?: string } | undefined)?.senderRole === 'customer');
    if (!relevant) return;
    const tenantId = event.tenantId;
    const react = async (state: TenantRoutingState) => {
      if (AGENT_EVENTS.has(event.type)) {
        const agentId = (event.payload.agent as { id?: string } | undefined)?.id ?? (event.payload.agentId as string | undefined);
        if (agentId) {
          const agent = await this.refreshAgent(state, agentId, event.type === 'agent.presence_changed' ? 'status' : 'whole');
          await this.withdrawOffersAgentCannotTake(state, agentId, agent?.presence ?? null);
          await this.drain(state, state.agentQueuesByPriority(agentId));
        }
      } else if (CONFIG_EVENTS.has(event.type)) {
        await this.reload(tenantId);
      } else if (event.type === 'routing.released' && event.conversationId) {
        const item = await this.deps.storage.read.routing.getRoutingItem(tenantId, event.conversationId);
        if (item) state.putItem(item);
        this.cancelItemTimer(event.conversationId);
        const agentId = event.payload.agentId as string | null;
        if (agentId) {
          await this.refreshAgent(state, agentId);
          await this.drain(state, state.agentQueuesByPriority(agentId));
        }
      } else if (event.type === 'message.created' && event.conversationId) {
        await this.onCustomerMessage(state, event);
      }
    };
    this.run(tenantId, react).catch((error) => this.deps.onError?.(error, `routing reaction to ${event.type}`));
  }

  /** Configuration changed: rebuild the tenant from the database, keep timers, serve every line. */
  private async reload(tenantId: string): Promise<void> {
    // A load that failed has nothing to carry over.
    const previous = await this.states.get(tenantId)?.catch(() => undefined);
    const fresh = await TenantRoutingState.load(this.deps.storage.read, tenantId);
    // The statistics live only in memory: a settings change must not zero the wallboard.
    if (previous) fresh.keepCounters(previous);
    this.states.set(tenantId, Promise.resolve(fresh));
    await this.drain(fresh, fresh.queuesByPriority());
  }

  /**
   * Reads the agent again after something changed it in the database. `status`: only presence,
   * capacity used and the like (see AgentStatus), for an agent the state holds already: that is
   * all a presence change, an assignment or a release can change, and it is one row where the
   * whole agent is two queries (its skills too); a sign-in burst makes thousands of these.
   */
  private async refreshAgent(state: TenantRoutingState, agentId: string, part: 'status' | 'whole' = 'status'): Promise<Agent | undefined> {
    const held = part === 'status' ? state.agents.get(agentId) : undefined;
    if (held) {
      const status = await this.deps.storage.read.routing.getAgentStatus(state.tenantId, agentId);
      if (!status) return this.refreshAgent(state, agentId, 'whole');
      const agent: Agent = { ...held, ...status };
      state.putAgent(agent);
      return agent;
    }
    const agent = await this.deps.storage.read.getAgent(state.tenantId, agentId);
    if (agent) state.putAgent(agent);
    else {
      state.agents.delete(agentId);
      state.index.removeAgent(agentId);
    }
    return agent;
  }

  private async onCustomerMessage(state: TenantRoutingState, event: SwitchboardEvent): Promise<void> {
    const message = event.payload.message as { senderRole?: string; createdAt?: string } | undefined;
    if (message?.senderRole !== 'customer' || !event.conversationId) return;
    const item = state.items.get(event.conversationId);
    if (!item || item.status !== 'waiting') return;
    if (state.workstreams.get(item.workstreamId)?.workstream.waitingOrder !== 'last-customer-message') return;
    const next: RoutingItem = { ...item, orderAt: Date.parse(message.createdAt ?? event.occurredAt), updatedAt: this.deps.clock.now() };
    await this.deps.storage.transaction((tx) => tx.routing.updateRoutingItem(next, 'waiting'));
    state.putItem(next);
  }

  // ---- assignment -----------------------------------------------------------------------

  private workFor(state: TenantRoutingState, item: RoutingItem, now: number): WorkRequest | null {
    const compiled = state.workstreams.get(item.workstreamId);
    if (!compiled) return null;
    return workRequestOf(item, compiled.workstream, now);
  }

  /**
   * Serves the given queues in order until no waiting conversation there can be offered.
   *
   * The offers of one pass commit together, in one transaction (up to MAX_OFFERS_PER_COMMIT at a
   * time): each is chosen on the state the ones before it left, which is applied to memory the
   * moment it is chosen and put back if the transaction fails. A sign-in or a released
   * conversation typically yields several offers at once, and one commit instead of one each is
   * most of what an offer costs. All or none: if one offer's conditional write finds the database
   * moved on (another node, a change not yet heard of), every offer of the transaction is undone in
   * memory, the stale rows are read again and the pass starts over one offer per commit, as if
   * nothing had been chosen.
   */
  private async drain(state: TenantRoutingState, queueIds: readonly string[]): Promise<void> {
    const batch: PendingOffer[] = [];
    for (const queueId of queueIds) {
      const line = state.lines.get(queueId);
      if (!line || line.size === 0) continue;
      for (const conversationId of line.inOrder()) {
        const outcome = this.choose(state, conversationId);
        if (outcome === 'nobody-free') break; // no member of this queue can take anything now
        if (typeof outcome === 'string') continue;
        batch.push(outcome);
        if (batch.length >= MAX_OFFERS_PER_COMMIT && !(await this.commitOffers(state, batch.splice(0)))) return this.drainOneByOne(state, queueIds);
      }
    }
    if (batch.length > 0 && !(await this.commitOffers(state, batch))) await this.drainOneByOne(state, queueIds);
  }

  /** `drain` after a stale view: one offer per commit, each retried on its own (see `tryAssign`). */
  private async drainOneByOne(state: TenantRoutingState, queueIds: readonly string[]): Promise<void> {
    for (const queueId of queueIds) {
      const line = state.lines.get(queueId);
      if (!line || line.size === 0) continue;
      for (const conversationId of line.inOrder()) {
        if ((await this.tryAssign(state, conversationId)) === 'nobody-free') break;
      }
    }
  }

  /** Offers one waiting conversation, committed on its own, deciding again (up to three times) when the view was stale. */
  private async tryAssign(state: TenantRoutingState, conversationId: string): Promise<'offered' | 'no-match' | 'nobody-free' | 'skip'> {
    for (let attempt = 0; attempt < 3; attempt += 1) {
      const outcome = this.choose(state, conversationId);
      if (typeof outcome === 'string') return outcome;
      if (await this.commitOffers(state, [outcome])) return 'offered';
    }
    return 'no-match';
  }

  /**
   * Chooses the agent for one waiting conversation, if any is eligible, and applies the offer to
   * the engine's state (see `drain`). Returns what happened otherwise, so `drain` can stop early
   * when the queue has no free agent at all.
   */
  private choose(state: TenantRoutingState, conversationId: string): PendingOffer | 'no-match' | 'nobody-free' | 'skip' {
    const item = state.items.get(conversationId);
    if (!item || item.status !== 'waiting') return 'skip';
    const compiled = state.workstreams.get(item.workstreamId);
    if (!compiled) return 'skip';
    if (compiled.workstream.mode === 'pick') {
      // Nobody is offered pick-mode work, but its timers (overflow while queued, relaxations)
      // still run, the same before and after a restart.
      this.scheduleItem(state, item, this.deps.clock.now());
      return 'skip';
    }
    const now = this.deps.clock.now();
    const work = this.workFor(state, item, now);
    if (!work) return 'skip';

    let choice: IndexedChoice;
    let preferred = false;
    if (item.preferredAgentId !== null && item.preferredUntil !== null && item.preferredUntil > now) {
      preferred = true;
      choice = this.preferredChoice(state, item.preferredAgentId, work);
    } else {
      choice = state.index.select(item.queueId, work);
    }
    this.scheduleItem(state, item, now);
    if (choice.agentId === null) {
      // Only "no member can take any work" may stop `drain`. An empty walk (visited 0) is not
      // that: best-skill walks only the agents holding this item's skills, highest-capacity stops
      // below this item's cost, so the next conversation in line may still fit someone.
      return !preferred && work.cost > 0 && !state.index.hasCandidates(item.queueId) ? 'nobody-free' : 'no-match';
    }
    return this.prepareOffer(state, item, choice, work, preferred, now);
  }

  private preferredChoice(state: TenantRoutingState, agentId: string, work: WorkRequest): IndexedChoice {
    const agent = state.agents.get(agentId);
    const snapshot = agent && toSnapshot(agent);
    const skills = applicableSkills(work);
    const fits = snapshot !== undefined && !work.excluded.has(agentId) && work.allowedPresences.includes(snapshot.presence) &&
      snapshot.capacity - snapshot.used >= work.cost && skills.every((s) => (ownValue(snapshot.skills, s.skill) ?? 0) >= s.minProficiency);
    return { agentId: fits ? agentId : null, passedOver: [], visited: 1 };
  }

  /** Builds an offer's unit of work (a bot's: its assignment) and applies it to the engine's state until it commits or is undone. */
  private prepareOffer(state: TenantRoutingState, item: RoutingItem, choice: IndexedChoice, work: WorkRequest, preferred: boolean, now: number): PendingOffer {
    const agentId = choice.agentId!;
    const agent = state.agents.get(agentId)!;
    const ws = state.workstreams.get(item.workstreamId)!.workstream;
    const queue = state.queues.get(item.queueId);
    const isBot = agent.kind === 'bot';
    const nowIso = new Date(now).toISOString();
    const offer: Offer | null = isBot ? null : {
      id: this.deps.ids.next('ofr'), tenantId: state.tenantId, conversationId: item.conversationId, agentId, queueId: item.queueId,
      status: 'pending', createdAt: nowIso, expiresAt: new Date(now + ws.offerTimeoutSeconds * 1000).toISOString(), resolvedAt: null,
    };
    const next: RoutingItem = { ...item, status: isBot ? 'assigned' : 'offered', agentId, offerId: offer?.id ?? null, updatedAt: now };
    const explanation = {
      queueId: item.queueId, method: queue?.routing.assignmentMethod ?? null, agentId, preferredAgent: preferred,
      appliedSkills: applicableSkills(work), waitedSeconds: work.waitedSeconds, excluded: [...work.excluded],
      passedOver: choice.passedOver, visited: choice.visited,
      why: preferred ? 'the preferred agent named by the conversation is eligible'
        : `first eligible member in ${queue?.routing.assignmentMethod ?? 'queue'} order`,
    };
    const pointerBefore = state.index.queueSnapshot(item.queueId)?.lastRoundRobinId ?? null;
    state.putAgent({ ...agent, usedCapacity: agent.usedCapacity + item.cost, lastAssignedAt: nowIso });
    state.index.setLastRoundRobin(item.queueId, agentId);
    state.putItem(next);
    return {
      agentId,
      conversationId: item.conversationId,
      work: async (tx, emit) => {
        if (!(await tx.routing.reserveCapacity(state.tenantId, agentId, item.cost, ws.allowedPresences, nowIso))) throw new StaleView('agent');
        if (!(await tx.routing.updateRoutingItem(next, 'waiting'))) throw new StaleView('item');
        const to = isBot ? 'bot' : 'offered';
        if (!(await tx.updateConversationState(state.tenantId, item.conversationId, 'queued', to, nowIso))) throw new StaleView('conversation');
        await tx.routing.setRoundRobinPointer(state.tenantId, item.queueId, agentId);
        await emit('conversation.state_changed', state.tenantId, item.conversationId, { from: 'queued', to, reason: 'routing' });
        await this.decide(tx, state.tenantId, item.conversationId, isBot ? 'assigned' : 'offered', nowIso, explanation);
        if (offer) {
          await tx.routing.insertOffer(offer);
          await emit('routing.offered', state.tenantId, item.conversationId, { offer, agentId, queueId: item.queueId });
        } else {
          await this.join(tx, emit, state.tenantId, item.conversationId, agent, 'bot', nowIso);
          await emit('routing.assigned', state.tenantId, item.conversationId, { agentId, queueId: item.queueId, bot: true });
        }
      },
      undo: () => {
        state.putItem(item);
        state.index.setLastRoundRobin(item.queueId, pointerBefore);
        state.putAgent(agent);
      },
      committed: () => {
        this.cancelItemTimer(item.conversationId);
        const counters = state.counter(item.queueId);
        if (offer) {
          counters.offered += 1;
          this.armOffer(state.tenantId, offer);
        } else {
          counters.assigned += 1;
          state.recordAnswer(item.queueId, now - item.enteredAt);
        }
      },
    };
  }

  /**
   * Commits offers chosen by `choose`, in their order, in one transaction. True when they are
   * durable. False when one found the database moved on: then none is, all are undone (latest
   * first, so each puts back what the one before it left) and the rows that were stale are read
   * again. Any other failure undoes them too and is thrown.
   */
  private async commitOffers(state: TenantRoutingState, offers: readonly PendingOffer[]): Promise<boolean> {
    let stale: PendingOffer | null = null;
    try {
      await commit(this.deps, ROUTING_CALLER, async (tx, emit) => {
        stale = null;
        for (const offer of offers) {
          try {
            await offer.work(tx, emit);
          } catch (error) {
            if (error instanceof StaleView) stale = offer;
            throw error;
          }
        }
      });
    } catch (error) {
      for (let i = offers.length - 1; i >= 0; i -= 1) offers[i]!.undo();
      if (!(error instanceof StaleView) || stale === null) throw error;
      const { agentId, conversationId } = stale as PendingOffer;
      await this.refreshAgent(state, agentId);
      const fresh = await this.deps.storage.read.routing.getRoutingItem(state.tenantId, conversationId);
      if (fresh) state.putItem(fresh);
      else state.forgetItem(conversationId);
      return false;
    }
    for (const offer of offers) offer.committed();
    return true;
  }

  private armOffer(tenantId: string, offer: Offer): void {
    this.offerTimers.get(offer.id)?.();
    const cancel = this.deps.scheduler.at(Date.parse(offer.expiresAt), () => {
      this.offerTimers.delete(offer.id);
      this.run(tenantId, (state) => this.doExpire(state, offer.id)).catch((e) => this.deps.onError?.(e, 'offer timeout'));
    });
    this.offerTimers.set(offer.id, cancel);
  }

  /** Wakes the engine for an item when something about it changes with time alone. */
  private scheduleItem(state: TenantRoutingState, item: RoutingItem, now: number): void {
    const deadlines: number[] = [];
    const ws = state.workstreams.get(item.workstreamId)?.workstream;
    for (const r of ws?.relaxations ?? []) deadlines.push(item.enteredAt + r.afterSeconds * 1000);
    for (const until of Object.values(item.excluded)) deadlines.push(until);
    if (item.preferredUntil !== null) deadlines.push(item.preferredUntil);
    const overflow = nextOverflowDeadline(state.queues.get(item.queueId)?.routing.overflow ?? [], item.enteredAt, new Set(item.overflowApplied));
    if (overflow !== null) deadlines.push(overflow);
    const next = Math.min(...deadlines.filter((d) => d > now));
    const existing = this.itemTimers.get(item.conversationId);
    if (!Number.isFinite(next)) return this.cancelItemTimer(item.conversationId);
    if (existing && existing.at === next) return;
    existing?.cancel();
    const cancel = this.deps.scheduler.at(next, () => {
      this.itemTimers.delete(item.conversationId);
      this.run(state.tenantId, (s) => this.onItemTimer(s, item.conversationId)).catch((e) => this.deps.onError?.(e, 'routing timer'));
    });
    this.itemTimers.set(item.conversationId, { at: next, cancel });
  }

  private cancelItemTimer(conversationId: string): void {
    this.itemTimers.get(conversationId)?.cancel();
    this.itemTimers.delete(conversationId);
  }

  private async onItemTimer(state: TenantRoutingState, conversationId: string): Promise<void> {
    const item = state.items.get(conversationId);
    if (!item || item.status !== 'waiting') return;
    const now = this.deps.clock.now();
    const rule = overflowWhileQueued(state.queues.get(item.queueId)?.routing.overflow ?? [], (now - item.enteredAt) / 1000, new Set(item.overflowApplied));
    if (rule) {
      await this.applyQueuedOverflow(state, item, rule.id, rule.then, now);
      return;
    }
    await this.tryAssign(state, conversationId);
  }

  private async applyQueuedOverflow(state: TenantRoutingState, item: RoutingItem, ruleId: string, action: OverflowAction, now: number): Promise<void> {
    const nowIso = new Date(now).toISOString();
    const applied = [...item.overflowApplied, ruleId];
    let next: RoutingItem = { ...item, overflowApplied: applied, updatedAt: now };
    if (action.kind === 'transfer') next = { ...next, queueId: action.queueId, enteredAt: now, overflowApplied: [] };
    if (action.kind === 'assign-anyway') next = { ...next, skillsDropped: true };
    if (action.kind === 'callback') next = { ...next, callbackRequestedAt: item.callbackRequestedAt ?? now };
    if (action.kind === 'message-and-end') next = { ...next, status: 'ended' };
    await commit(this.deps, ROUTING_CALLER, async (tx, emit) => {
      if (!(await tx.routing.updateRoutingItem(next, 'waiting'))) throw new StaleView('item');
      await this.decide(tx, state.tenantId, item.conversationId, 'overflow', nowIso, { queueId: item.queueId, ruleId, action, while: 'queued' });
      await emit('routing.overflowed', state.tenantId, item.conversationId, { queueId: item.queueId, ruleId, action: action.kind, toQueueId: next.queueId });
      if (action.kind === 'transfer') await tx.routing.setConversationQueue(state.tenantId, item.conversationId, next.queueId, next.priority, nowIso);
      if (action.kind === 'callback') await emit('routing.callback_requested', state.tenantId, item.conversationId, { queueId: item.queueId });
      if (action.kind === 'message-and-end') await this.endWithMessage(tx, emit, state.tenantId, item.conversationId, 'queued', action.text, nowIso);
    });
    state.putItem(next);
    if (next.status === 'waiting') await this.tryAssign(state, item.conversationId);
  }

  // ---- command bodies ---------------------------------------------------------------------

  private async doRoute(state: TenantRoutingState, caller: Caller, conversationId: string, input: RouteInput): Promise<RouteResult> {
    const reads = this.deps.storage.read;
    const conversation = await reads.getConversation(state.tenantId, conversationId);
    if (!conversation) throw new SwitchboardError('SB_ERR_CONVERSATION_NOT_FOUND');
    if (!['open', 'bot'].includes(conversation.state)) {
      throw new SwitchboardError('SB_ERR_NOT_ROUTABLE', `A ${conversation.state} conversation cannot enter routing; transfer an active one instead.`, { state: conversation.state });
    }
    const existing = await reads.routing.getRoutingItem(state.tenantId, conversationId);
    if (existing && (existing.status === 'waiting' || existing.status === 'offered')) {
      throw new SwitchboardError('SB_ERR_NOT_ROUTABLE', 'The conversation is already waiting for an agent.', { status: existing.status });
    }
    let compiled: CompiledWorkstream | undefined;
    if (input.workstreamId !== undefined) {
      compiled = state.workstreams.get(input.workstreamId);
      if (!compiled) throw new SwitchboardError('SB_ERR_WORKSTREAM_NOT_FOUND');
    } else {
      const channel = await reads.getChannel(state.tenantId, conversation.channelId);
      compiled = [...state.workstreams.values()].find((c) => channel !== undefined && c.workstream.channelTypes.includes(channel.type));
      if (!compiled) throw new SwitchboardError('SB_ERR_NO_WORKSTREAM', `No workstream routes ${channel?.type ?? 'this'} conversations.`);
    }
    const ws = compiled.workstream;
    const now = this.deps.clock.now();
    const nowIso = new Date(now).toISOString();
    const given = input.context ?? [];
    const stored = await reads.getContext(state.tenantId, conversationId);
    const context = given.length === 0 ? stored : [...stored.filter((v) => !given.some((g) => g.name === v.name)), ...given];
    const plan = this.planFor(state, compiled, context, conversation.priority, this.deps.random.next(), now);
    const queueId = plan.outcome.queueId;

    // A bot handing over: its capacity comes back and it is not offered this conversation again.
    const escalatingBot = conversation.state === 'bot' && existing?.status === 'assigned' ? existing.agentId : null;
    if (escalatingBot !== null) this.assertQueueHasOthers(state, queueId, escalatingBot);
    const preferredVar = ws.preferredAgentVariable === null ? undefined : context.find((v) => v.name === ws.preferredAgentVariable);
    const preferredAgentId = preferredVar?.type === 'string' && state.agents.has(preferredVar.value as string) ? (preferredVar.value as string) : null;
    const item: RoutingItem = {
      conversationId, tenantId: state.tenantId, workstreamId: ws.id, queueId,
      status: plan.outcome.kind === 'end' ? 'ended' : 'waiting',
      priority: plan.priority, requiredSkills: plan.requiredSkills, cost: workCost(ws, plan.capacityProfile), enteredAt: now, orderAt: now,
      preferredAgentId, preferredUntil: preferredAgentId !== null && ws.preferredAgentSeconds > 0 ? now + ws.preferredAgentSeconds * 1000 : null,
      excluded: escalatingBot !== null ? { [escalatingBot]: Number.MAX_SAFE_INTEGER } : {},
      overflowApplied: [], skillsDropped: false,
      callbackRequestedAt: plan.outcome.kind === 'queue' && plan.outcome.callback ? now : null,
      agentId: null, offerId: null, updatedAt: now,
    };
    const explanation = explainPlan(plan);
    await commit(this.deps, caller, async (tx, emit) => {
      const locked = await tx.lockConversation(state.tenantId, conversationId);
      if (!locked || locked.state !== conversation.state) throw new SwitchboardError('SB_ERR_STATE_CONFLICT');
      if (escalatingBot !== null && existing) {
        await tx.routing.releaseCapacity(state.tenantId, escalatingBot, existing.cost);
        await this.leave(tx, emit, state.tenantId, conversationId, escalatingBot, nowIso);
      }
      for (const v of given) await tx.setContextVariable(state.tenantId, conversationId, v, nowIso);
      if (given.length > 0) await emit('context.updated', state.tenantId, conversationId, { set: given, removed: [], by: escalatingBot ? 'escalation' : 'routing' });
      for (const v of plan.variables) await tx.setContextVariable(state.tenantId, conversationId, v, nowIso);
      if (plan.variables.length > 0) await emit('context.updated', state.tenantId, conversationId, { set: plan.variables, removed: [], by: 'classification' });
      if (existing) {
        if (!(await tx.routing.updateRoutingItem(item, existing.status))) throw new SwitchboardError('SB_ERR_STATE_CONFLICT');
      } else {
        await tx.routing.insertRoutingItem(item);
      }
      await tx.routing.setConversationQueue(state.tenantId, conversationId, queueId, item.priority, nowIso);
      await this.decide(tx, state.tenantId, conversationId, plan.overflow.length > 0 ? 'overflow' : 'queued', nowIso, explanation);
      if (plan.outcome.kind === 'end') {
        await emit('routing.overflowed', state.tenantId, conversationId, { queueId, overflow: plan.overflow });
        await this.endWithMessage(tx, emit, state.tenantId, conversationId, conversation.state, plan.outcome.text, nowIso);
        return;
      }
      if (!(await tx.updateConversationState(state.tenantId, conversationId, conversation.state, 'queued', nowIso))) throw new SwitchboardError('SB_ERR_STATE_CONFLICT');
      await emit('conversation.state_changed', state.tenantId, conversationId, { from: conversation.state, to: 'queued', reason: escalatingBot ? 'escalation' : 'routing' });
      await emit('routing.queued', state.tenantId, conversationId, {
        queueId, workstreamId: ws.id, priority: item.priority, requiredSkills: item.requiredSkills, ruleId: plan.route.ruleId, draw: plan.draw,
      });
      if (plan.overflow.length > 0) await emit('routing.overflowed', state.tenantId, conversationId, { queueId, overflow: plan.overflow });
      if (item.callbackRequestedAt !== null) await emit('routing.callback_requested', state.tenantId, conversationId, { queueId });
    });
    if (escalatingBot !== null) await this.refreshAgent(state, escalatingBot);
    state.putItem(item);
    if (item.status === 'waiting') await this.tryAssign(state, conversationId);
    const after = state.items.get(conversationId);
    return { conversationId, queueId, status: after?.status ?? 'ended', agentId: after?.agentId ?? null, plan: explanation };
  }

  private assertQueueHasOthers(state: TenantRoutingState, queueId: string, botId: string): void {
    const others = (state.queues.get(queueId)?.memberIds ?? []).filter((id) => id !== botId);
    if (others.length === 0) {
      throw new SwitchboardError('SB_ERR_TRANSFER_REJECTED', `Queue ${queueId} has no member other than the bot ${botId} that is handing the conversation over.`, { queueId, agentId: botId });
    }
  }

  private async loadOffer(state: TenantRoutingState, offerId: string, agentId: string): Promise<Offer> {
    const offer = await this.deps.storage.read.routing.getOffer(state.tenantId, offerId);
    if (!offer) throw new SwitchboardError('SB_ERR_OFFER_NOT_FOUND');
    if (offer.agentId !== agentId) throw new SwitchboardError('SB_ERR_OFFER_NOT_YOURS');
    if (offer.status === 'timed_out') throw new SwitchboardError('SB_ERR_OFFER_EXPIRED');
    if (offer.status !== 'pending') throw new SwitchboardError('SB_ERR_OFFER_RESOLVED', `The offer is already ${offer.status}.`, { status: offer.status });
    if (Date.parse(offer.expiresAt) <= this.deps.clock.now()) {
      await this.doExpire(state, offer.id);
      throw new SwitchboardError('SB_ERR_OFFER_EXPIRED');
    }
    return offer;
  }

  /**
   * Agents' answers to offers, batched per tenant: the answers that arrive while the tenant's
   * previous step runs (a burst of offers draws a burst of answers) are checked one by one, then
   * committed together, each in its own unit of work (one failing leaves the others), so they share
   * one group commit instead of taking one each; a rejected offer's conversation is then offered
   * again, one decision at a time as always. Only accepts and rejects are batched: neither reads
   * what another answer of the batch writes (an accept sets the agent's missed offers to 0, a
   * reject gives capacity back relative to what is stored), unlike timeouts, which count misses.
   */
  private answer(tenantId: string, answer: Omit<PendingAnswer, 'resolve' | 'reject'>): Promise<Offer> {
    return new Promise<Offer>((resolve, reject) => {
      let batch = this.answers.get(tenantId);
      if (!batch) {
        const fresh: PendingAnswer[] = [];
        this.answers.set(tenantId, (batch = fresh));
        // Answers arriving once the step has begun start the next batch.
        const close = () => {
          if (this.answers.get(tenantId) === fresh) this.answers.delete(tenantId);
        };
        this.run(tenantId, (state) => {
          close();
          return this.doAnswers(state, fresh);
        }).catch((error) => {
          // The tenant's state could not be loaded, say: every answer not settled yet hears why.
          close();
          for (const a of fresh) a.reject(error);
        });
      }
      batch.push({ ...answer, resolve, reject });
    });
  }

  private async doAnswers(state: TenantRoutingState, batch: readonly PendingAnswer[]): Promise<void> {
    const prepared: Array<{ answer: PendingAnswer; change: PreparedChange }> = [];
    for (const answer of batch) {
      try {
        const offer = await this.loadOffer(state, answer.offerId, answer.agentId);
        const change = answer.kind === 'accept'
          ? await this.prepareAccept(state, offer)
          : await this.prepareDecline(state, offer, 'rejected', answer.reason ?? null);
        prepared.push({ answer, change });
      } catch (error) {
        answer.reject(error);
      }
    }
    // Issued together, so the driver runs them in one batch (on PostgreSQL, side by side: each
    // still checks its own rows with conditional writes).
    const outcomes = await Promise.allSettled(prepared.map(({ answer, change }) => commit(this.deps, answer.caller, change.work)));
    for (const [i, outcome] of outcomes.entries()) {
      const { answer, change } = prepared[i]!;
      if (outcome.status === 'rejected') {
        answer.reject(outcome.reason);
        continue;
      }
      try {
        answer.resolve(await change.apply());
      } catch (error) {
        answer.reject(error);
      }
    }
  }

  /** Checks an accept against the offer and the engine's state and builds its unit of work; `apply` updates the state after the commit. */
  private async prepareAccept(state: TenantRoutingState, offer: Offer): Promise<PreparedChange> {
    const { id: offerId, agentId } = offer;
    const item = state.items.get(offer.conversationId) ?? (await this.deps.storage.read.routing.getRoutingItem(state.tenantId, offer.conversationId));
    if (!item || item.status !== 'offered' || item.offerId !== offerId) throw new SwitchboardError('SB_ERR_OFFER_RESOLVED');
    const agent = state.agents.get(agentId) ?? (await this.refreshAgent(state, agentId));
    if (!agent) throw new SwitchboardError('SB_ERR_AGENT_NOT_FOUND');
    const now = this.deps.clock.now();
    const nowIso = new Date(now).toISOString();
    const next: RoutingItem = { ...item, status: 'assigned', offerId: null, updatedAt: now };
    return {
      work: async (tx, emit) => {
        if (!(await tx.routing.resolveOffer(state.tenantId, offerId, 'accepted', nowIso))) throw new SwitchboardError('SB_ERR_OFFER_RESOLVED');
        if (!(await tx.routing.updateRoutingItem(next, 'offered'))) throw new SwitchboardError('SB_ERR_OFFER_RESOLVED');
        if (!(await tx.updateConversationState(state.tenantId, offer.conversationId, 'offered', 'active', nowIso))) throw new SwitchboardError('SB_ERR_STATE_CONFLICT');
        await tx.routing.setMissedOffers(state.tenantId, agentId, 0);
        await emit('conversation.state_changed', state.tenantId, offer.conversationId, { from: 'offered', to: 'active', reason: 'offer accepted' });
        await this.join(tx, emit, state.tenantId, offer.conversationId, agent, 'agent', nowIso);
        await this.decide(tx, state.tenantId, offer.conversationId, 'assigned', nowIso, { agentId, offerId, queueId: item.queueId });
        await emit('routing.offer_accepted', state.tenantId, offer.conversationId, { offerId, agentId, queueId: item.queueId });
      },
      apply: async () => {
        this.offerTimers.get(offerId)?.();
        this.offerTimers.delete(offerId);
        // The agent as the state holds it now: another answer of the same batch may have changed it.
        const current = state.agents.get(agentId);
        if (current) state.putAgent({ ...current, missedOffers: 0 });
        state.putItem(next);
        state.counter(item.queueId).accepted += 1;
        state.recordAnswer(item.queueId, now - item.enteredAt);
        return { ...offer, status: 'accepted', resolvedAt: nowIso };
      },
    };
  }

  private async doExpire(state: TenantRoutingState, offerId: string, countsAsMissed = true): Promise<void> {
    const offer = await this.deps.storage.read.routing.getOffer(state.tenantId, offerId);
    if (!offer || offer.status !== 'pending') return;
    try {
      await this.decline(state, ROUTING_CALLER, offer, 'timed_out', countsAsMissed ? null : 'expired while routing was stopped', countsAsMissed);
    } catch (error) {
      // The read above can be stale: a request outside the engine (the customer leaving, say) may
      // withdraw the offer before decline's conditional write. Nothing is left to expire then, and
      // the routing.released event of that request brings the engine up to date; not a failure.
      if (error instanceof SwitchboardError && error.code === 'SB_ERR_OFFER_RESOLVED') return;
      throw error;
    }
  }

  /**
   * An agent who signs out (or turns to a presence the workstream does not route to) while an
   * offer is pending cannot answer it: the offer is withdrawn at once and the conversation goes to
   * the next agent, instead of waiting out the timeout and counting as a missed offer.
   */
  private async withdrawOffersAgentCannotTake(state: TenantRoutingState, agentId: string, presence: string | null): Promise<void> {
    for (const conversationId of [...(state.itemsOfAgent.get(agentId) ?? [])]) {
      const item = state.items.get(conversationId);
      if (!item || item.status !== 'offered' || item.agentId !== agentId || item.offerId === null) continue;
      const allowed = state.workstreams.get(item.workstreamId)?.workstream.allowedPresences ?? [];
      if (presence !== null && (allowed as readonly string[]).includes(presence)) continue;
      const offer = await this.deps.storage.read.routing.getOffer(state.tenantId, item.offerId);
      if (!offer || offer.status !== 'pending') continue;
      await this.decline(state, ROUTING_CALLER, offer, 'withdrawn', `agent is ${presence ?? 'gone'}`);
    }
  }

  /**
   * Reject, timeout and withdrawal: the agent gets its capacity back (and, unless withdrawn, is
   * skipped for a while); the conversation waits again and goes to the next agent.
   */
  private async decline(
    state: TenantRoutingState, caller: Caller, offer: Offer, outcome: 'rejected' | 'timed_out' | 'withdrawn', reason: string | null, countsAsMissed = true,
  ): Promise<Offer> {
    const change = await this.prepareDecline(state, offer, outcome, reason, countsAsMissed);
    await commit(this.deps, caller, change.work);
    return change.apply();
  }

  private async prepareDecline(
    state: TenantRoutingState, offer: Offer, outcome: 'rejected' | 'timed_out' | 'withdrawn', reason: string | null, countsAsMissed = true,
  ): Promise<PreparedChange> {
    const item = state.items.get(offer.conversationId) ?? (await this.deps.storage.read.routing.getRoutingItem(state.tenantId, offer.conversationId));
    if (!item || item.status !== 'offered' || item.offerId !== offer.id) throw new SwitchboardError('SB_ERR_OFFER_RESOLVED');
    const ws = state.workstreams.get(item.workstreamId)?.workstream;
    const agent = state.agents.get(offer.agentId) ?? (await this.refreshAgent(state, offer.agentId));
    const now = this.deps.clock.now();
    const nowIso = new Date(now).toISOString();
    const skipMs = outcome === 'withdrawn' ? 0 : (ws?.rejectionSkipSeconds ?? 0) * 1000;
    const excluded = { ...item.excluded };
    if (skipMs > 0) excluded[offer.agentId] = now + skipMs;
    const next: RoutingItem = { ...item, status: 'waiting', agentId: null, offerId: null, excluded, updatedAt: now };
    const missed = outcome === 'timed_out' && countsAsMissed ? (agent?.missedOffers ?? 0) + 1 : (agent?.missedOffers ?? 0);
    const setAway = outcome === 'timed_out' && countsAsMissed && ws !== undefined && ws.missedOffersBeforeAway > 0 && missed >= ws.missedOffersBeforeAway;
    return {
      work: async (tx, emit) => {
        if (!(await tx.routing.resolveOffer(state.tenantId, offer.id, outcome, nowIso))) throw new SwitchboardError('SB_ERR_OFFER_RESOLVED');
        if (!(await tx.routing.updateRoutingItem(next, 'offered'))) throw new SwitchboardError('SB_ERR_OFFER_RESOLVED');
        await tx.routing.releaseCapacity(state.tenantId, offer.agentId, item.cost);
        if (!(await tx.updateConversationState(state.tenantId, offer.conversationId, 'offered', 'queued', nowIso))) throw new SwitchboardError('SB_ERR_STATE_CONFLICT');
        const said = { rejected: 'offer rejected', timed_out: 'offer timed out', withdrawn: 'offer withdrawn' }[outcome];
        await emit('conversation.state_changed', state.tenantId, offer.conversationId, { from: 'offered', to: 'queued', reason: said });
        const type = ({ rejected: 'routing.offer_rejected', timed_out: 'routing.offer_timed_out', withdrawn: 'routing.offer_withdrawn' } as const)[outcome];
        await emit(type, state.tenantId, offer.conversationId, {
          offerId: offer.id, agentId: offer.agentId, queueId: item.queueId, reason, skippedUntil: skipMs > 0 ? new Date(now + skipMs).toISOString() : null,
        });
        if (outcome === 'timed_out' && countsAsMissed) await tx.routing.setMissedOffers(state.tenantId, offer.agentId, setAway ? 0 : missed);
        if (setAway) {
          await tx.routing.setAgentPresence(state.tenantId, offer.agentId, 'away', nowIso);
          await emit('agent.presence_changed', state.tenantId, null, { agentId: offer.agentId, from: agent?.presence ?? null, to: 'away', reason: `${missed} offers timed out in a row` });
        }
      },
      apply: async () => {
        this.offerTimers.get(offer.id)?.();
        this.offerTimers.delete(offer.id);
        // The agent as the state holds it now: another answer of the same batch may have given
        // capacity back or (an accept) cleared its missed offers, which only a timeout counts.
        const current = state.agents.get(offer.agentId);
        if (current) {
          const counted = outcome === 'timed_out' && countsAsMissed;
          state.putAgent({
            ...current, usedCapacity: Math.max(0, current.usedCapacity - item.cost), missedOffers: counted ? (setAway ? 0 : missed) : current.missedOffers,
            ...(setAway ? { presence: 'away' as const, presenceSince: nowIso } : {}),
          });
        }
        state.putItem(next);
        const counters = state.counter(item.queueId);
        if (outcome === 'rejected') counters.rejected += 1;
        else if (outcome === 'timed_out') counters.timedOut += 1;
        await this.tryAssign(state, offer.conversationId);
        await this.drain(state, state.agentQueuesByPriority(offer.agentId));
        return { ...offer, status: outcome, resolvedAt: nowIso };
      },
    };
  }

  private async doPick(state: TenantRoutingState, caller: Caller, queueId: string, conversationId: string, agentId: string): Promise<RoutingItem> {
    const queue = state.queues.get(queueId);
    if (!queue) throw new SwitchboardError('SB_ERR_QUEUE_NOT_FOUND');
    const agent = state.agents.get(agentId);
    if (!agent) throw new SwitchboardError('SB_ERR_AGENT_NOT_FOUND');
    if (!queue.memberIds.includes(agentId)) throw new SwitchboardError('SB_ERR_NOT_A_MEMBER', `Agent ${agentId} is not a member of queue ${queueId}.`);
    const item = state.items.get(conversationId);
    if (!item || item.status !== 'waiting' || item.queueId !== queueId) throw new SwitchboardError('SB_ERR_NOT_WAITING');
    const ws = state.workstreams.get(item.workstreamId)?.workstream;
    if (!ws || ws.mode !== 'pick') throw new SwitchboardError('SB_ERR_PICK_NOT_ALLOWED', 'This conversation is offered by the engine (push mode); it cannot be picked.');
    if (!ws.allowedPresences.includes(agent.presence)) {
      throw new SwitchboardError('SB_ERR_PICK_NOT_ALLOWED', `An agent who is ${agent.presence} cannot pick work in this workstream.`, { presence: agent.presence });
    }
    const now = this.deps.clock.now();
    const nowIso = new Date(now).toISOString();
    const next: RoutingItem = { ...item, status: 'assigned', agentId, updatedAt: now };
    await commit(this.deps, caller, async (tx, emit) => {
      if (!(await tx.routing.reserveCapacity(state.tenantId, agentId, item.cost, ws.allowedPresences, nowIso))) throw new SwitchboardError('SB_ERR_CAPACITY_EXCEEDED');
      if (!(await tx.routing.updateRoutingItem(next, 'waiting'))) throw new SwitchboardError('SB_ERR_NOT_WAITING');
      if (!(await tx.updateConversationState(state.tenantId, conversationId, 'queued', 'active', nowIso))) throw new SwitchboardError('SB_ERR_NOT_WAITING');
      await emit('conversation.state_changed', state.tenantId, conversationId, { from: 'queued', to: 'active', reason: 'picked' });
      await this.join(tx, emit, state.tenantId, conversationId, agent, 'agent', nowIso);
      await this.decide(tx, state.tenantId, conversationId, 'picked', nowIso, { queueId, agentId, waitedSeconds: (now - item.enteredAt) / 1000 });
      await emit('routing.assigned', state.tenantId, conversationId, { agentId, queueId, picked: true });
    });
    state.putAgent({ ...agent, usedCapacity: agent.usedCapacity + item.cost, lastAssignedAt: nowIso });
    state.putItem(next);
    state.counter(queueId).assigned += 1;
    state.recordAnswer(queueId, now - item.enteredAt);
    return next;
  }

  private async doTransfer(state: TenantRoutingState, caller: Caller, conversationId: string, target: TransferTarget, reason: string | null): Promise<RoutingItem> {
    const reads = this.deps.storage.read;
    const conversation = await reads.getConversation(state.tenantId, conversationId);
    if (!conversation) throw new SwitchboardError('SB_ERR_CONVERSATION_NOT_FOUND');
    // Inside the tenant's step, so the owner cannot change between this check and the transfer.
    await assertHandlesOrSupervises(reads, caller, conversation);
    const item = state.items.get(conversationId);
    if (!item || item.status !== 'assigned' || !['active', 'bot'].includes(conversation.state)) {
      throw new SwitchboardError('SB_ERR_NOT_ROUTABLE', 'Only a conversation an agent or bot is handling can be transferred.', { state: conversation.state });
    }
    const owner = item.agentId;
    const ws = state.workstreams.get(item.workstreamId)?.workstream;
    const queueId = target.queueId ?? item.queueId;
    if (!state.queues.has(queueId)) throw new SwitchboardError('SB_ERR_QUEUE_NOT_FOUND');
    const ownerAgent = owner === null ? undefined : state.agents.get(owner);
    if (target.queueId !== undefined && ownerAgent?.kind === 'bot') this.assertQueueHasOthers(state, queueId, ownerAgent.id);
    let targetAgent: Agent | undefined;
    if (target.agentId !== undefined) {
      targetAgent = state.agents.get(target.agentId);
      if (!targetAgent) throw new SwitchboardError('SB_ERR_AGENT_NOT_FOUND');
      if (target.agentId === owner) throw new SwitchboardError('SB_ERR_TRANSFER_REJECTED', 'The agent already owns the conversation.');
      if (!ws || !ws.allowedPresences.includes(targetAgent.presence) || targetAgent.capacity - targetAgent.usedCapacity < item.cost) {
        throw new SwitchboardError('SB_ERR_TRANSFER_REJECTED', `Agent ${targetAgent.id} cannot take the conversation now (presence ${targetAgent.presence}, free capacity ${targetAgent.capacity - targetAgent.usedCapacity}).`);
      }
    }
    const now = this.deps.clock.now();
    const nowIso = new Date(now).toISOString();
    const excluded = { ...item.excluded };
    if (owner !== null) excluded[owner] = ownerAgent?.kind === 'bot' ? Number.MAX_SAFE_INTEGER : now + (ws?.rejectionSkipSeconds ?? 0) * 1000;
    const next: RoutingItem = {
      ...item, status: 'waiting', queueId, agentId: null, offerId: null, enteredAt: now, orderAt: now, excluded, overflowApplied: [],
      preferredAgentId: targetAgent?.id ?? null, preferredUntil: targetAgent ? now + (ws?.offerTimeoutSeconds ?? 30) * 1000 : null, updatedAt: now,
    };
    await commit(this.deps, caller, async (tx, emit) => {
      if (!(await tx.routing.updateRoutingItem(next, 'assigned'))) throw new SwitchboardError('SB_ERR_STATE_CONFLICT');
      if (owner !== null) {
        await tx.routing.releaseCapacity(state.tenantId, owner, item.cost);
        await this.leave(tx, emit, state.tenantId, conversationId, owner, nowIso);
      }
      if (!(await tx.updateConversationState(state.tenantId, conversationId, conversation.state, 'queued', nowIso))) throw new SwitchboardError('SB_ERR_STATE_CONFLICT');
      await tx.routing.setConversationQueue(state.tenantId, conversationId, queueId, next.priority, nowIso);
      await emit('conversation.state_changed', state.tenantId, conversationId, { from: conversation.state, to: 'queued', reason: 'transfer' });
      await this.decide(tx, state.tenantId, conversationId, 'transferred', nowIso, { from: owner, toQueueId: queueId, toAgentId: targetAgent?.id ?? null, reason });
      await emit('routing.transferred', state.tenantId, conversationId, { fromAgentId: owner, toQueueId: queueId, toAgentId: targetAgent?.id ?? null, reason });
    });
    if (owner !== null) await this.refreshAgent(state, owner);
    state.putItem(next);
    await this.tryAssign(state, conversationId);
    if (owner !== null) await this.drain(state, state.agentQueuesByPriority(owner));
    return state.items.get(conversationId) ?? next;
  }

  private async doConsult(state: TenantRoutingState, caller: Caller, conversationId: string, agentId: string): Promise<Participant> {
    const conversation = await this.deps.storage.read.getConversation(state.tenantId, conversationId);
    if (!conversation) throw new SwitchboardError('SB_ERR_CONVERSATION_NOT_FOUND');
    if (conversation.state !== 'active') throw new SwitchboardError('SB_ERR_NOT_ROUTABLE', 'Only an active conversation can have a consult.', { state: conversation.state });
    const agent = state.agents.get(agentId);
    if (!agent || agent.kind !== 'human') throw new SwitchboardError('SB_ERR_AGENT_NOT_FOUND');
    const nowIso = new Date(this.deps.clock.now()).toISOString();
    const participants = await this.deps.storage.read.listParticipants(state.tenantId, conversationId);
    if (participants.some((p) => p.refId === agentId && p.leftAt === null)) throw new SwitchboardError('SB_ERR_TRANSFER_REJECTED', 'The agent is already in the conversation.');
    return commit(this.deps, caller, async (tx, emit) => {
      const participant = await this.join(tx, emit, state.tenantId, conversationId, agent, 'agent', nowIso);
      await emit('routing.consult_started', state.tenantId, conversationId, { agentId, participantId: participant.id });
      return participant;
    });
  }

  // ---- shared writes ----------------------------------------------------------------------

  private async decide(tx: StoreTx, tenantId: string, conversationId: string, kind: RoutingDecision['kind'], at: string, explanation: Record<string, unknown>): Promise<void> {
    await tx.routing.insertDecision({ id: this.deps.ids.next('rdc'), tenantId, conversationId, kind, at, explanation });
  }

  private async join(tx: StoreTx, emit: Emit, tenantId: string, conversationId: string, agent: Agent, role: 'agent' | 'bot', at: string): Promise<Participant> {
    const participant: Participant = {
      id: this.deps.ids.next('par'), tenantId, conversationId, role, refId: agent.id, displayName: agent.displayName,
      audience: role === 'bot' ? 'customer' : 'agent', joinedAt: at, leftAt: null,
    };
    await tx.insertParticipant(participant);
    await emit('participant.added', tenantId, conversationId, { participant });
    return participant;
  }

  private async leave(tx: StoreTx, emit: Emit, tenantId: string, conversationId: string, agentId: string, at: string): Promise<void> {
    for (const p of await tx.listParticipants(tenantId, conversationId)) {
      if (p.refId === agentId && p.leftAt === null && (await tx.markParticipantLeft(tenantId, p.id, at))) {
        await emit('participant.left', tenantId, conversationId, { participantId: p.id });
      }
    }
  }

  private async endWithMessage(tx: StoreTx, emit: Emit, tenantId: string, conversationId: string, from: ConversationState, text: string, at: string): Promise<void> {
    const seq = await tx.nextMessageSeq(tenantId, conversationId, at);
    const message = {
      id: this.deps.ids.next('msg'), tenantId, conversationId, seq, senderRole: 'system' as const, senderId: null, visibility: 'public' as const,
      text, attachments: [], idempotencyKey: null, channelData: null, createdAt: at, editedAt: null, deletedAt: null,
    };
    await tx.insertMessage(message);
    await emit('message.created', tenantId, conversationId, { message });
    if (!(await tx.updateConversationState(tenantId, conversationId, from, 'closed', at))) throw new SwitchboardError('SB_ERR_STATE_CONFLICT');
    await emit('conversation.state_changed', tenantId, conversationId, { from, to: 'closed', reason: 'overflow' });
  }
}

/** The stored "why" of a routing plan: every rule evaluated, the queue, the overflow taken. */
export function explainPlan(plan: RoutePlan) {
  return {
    outcome: plan.outcome,
    priority: plan.priority,
    requiredSkills: plan.requiredSkills,
    capacityProfile: plan.capacityProfile,
    classification: plan.classification.evaluated,
    variablesSet: plan.variables.map((v) => v.name),
    routeRules: plan.route.evaluated,
    matchedRule: plan.route.ruleId,
    draw: plan.draw,
    overflow: plan.overflow,
  };
}
