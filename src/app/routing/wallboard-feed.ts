import type { Queue, SwitchboardEvent } from '../../core/model.js';
import { allowedOn, queueScope, SYSTEM_CALLER, type Caller } from '../caller.js';
import type { AppDeps } from '../deps.js';
import type { Scheduler } from '../ports/scheduler.js';
import { agentInScope } from '../scope.js';
import { requirePermission, requireTenant } from '../tenant-access.js';
import { computeQueueStats, type QueueStats } from './queue-stats.js';
import type { RoutingEngine } from './routing-engine.js';
import { boardAgents, boardEntry, pendingOffersByAgent } from './routing-views.js';

/**
 * The wallboard feed (issue 7): the figures of `GET /routing/stats` and `GET /routing/agents`,
 * pushed. Per tenant, one board computes every queue's and every agent's entry from the routing
 * engine's live state, at most once per interval and only after something changed, and keeps each
 * entry's JSON; every subscriber of the tenant gets the part its scope allows: a full snapshot when
 * it subscribes, then frames carrying only the entries that changed since the last frame it got.
 * The heavy part (statistics, JSON) is per tenant; per subscriber there is a filter, and
 * subscribers with the same scope and the same last frame share one frame.
 *
 * Example (the event gateway does this for `{"type":"subscribe","feed":"wallboard",...}`):
 *
 *   const sub = await feed.subscribe(caller, tenantId, { frame: (f) => send(f.body), failed: (e) => close(e) });
 *   ...
 *   sub.close();
 */

export interface WallboardSettings {
  /** Least time between two frames to one subscriber (and between two computations of a tenant). */
  readonly intervalMs: number;
  /**
   * While nothing happens, a tenant with subscribers is computed again this often (longest waits
   * grow, operating hours open and close); an entry whose only change is its longest wait is sent
   * at most this often.
   */
  readonly refreshMs: number;
}

export interface WallboardDeps extends AppDeps {
  readonly engine: RoutingEngine;
  readonly scheduler: Scheduler;
  readonly settings: WallboardSettings;
}

/**
 * One frame for a subscriber. `body` is the frame's JSON members after the subscription's own
 * (`"at":...,"queues":[...],"agents":[...],...,"full":...`, no braces): the same object, and the
 * same text, goes to every subscriber that gets the same update, so a transport can encode it once.
 */
export interface WallboardFrame {
  readonly full: boolean;
  readonly body: string;
}

export interface WallboardListener {
  frame(frame: WallboardFrame): void;
  /** The board could not be computed (the tenant is gone, the store failed): the subscription has ended. */
  failed(error: unknown): void;
}

export interface WallboardSubscription {
  close(): void;
}

/** Events after which the board may differ (statistics snapshots are the engine's own output, not input). */
export function changesWallboard(type: string): boolean {
  if (type === 'routing.queue_stats') return false;
  return type.startsWith('routing.') || type.startsWith('agent.') || type.startsWith('queue.') || type.startsWith('participant.') ||
    type === 'conversation.state_changed';
}

/** Callers with the same key see the same entries. */
function scopeKey(caller: Caller): string {
  const queues = queueScope(caller, 'queues.read');
  const reports = queueScope(caller, 'reports.read');
  if (queues === 'all' && reports === 'all') return '*';
  const text = (scope: typeof queues) => (scope === 'all' ? '*' : [...scope].sort().join(','));
  return `${text(queues)}|${text(reports)}|${caller.agentId ?? ''}`;
}

export class WallboardFeed {
  private readonly boards = new Map<string, TenantBoard>();
  private readonly unsubscribe: () => void;

  constructor(private readonly deps: WallboardDeps) {
    this.unsubscribe = deps.bus.subscribe((event: SwitchboardEvent) => {
      if (changesWallboard(event.type)) this.boards.get(event.tenantId)?.markDirty();
    });
  }

  /**
   * Checks that the caller may read the stream (`events.read`), the queues' statistics
   * (`queues.read`, as `GET /routing/stats`) and the agents' board (`reports.read`, as
   * `GET /routing/agents`), then delivers the full snapshot to `listener` before resolving.
   */
  async subscribe(caller: Caller, tenantId: string, listener: WallboardListener): Promise<WallboardSubscription> {
    await requireTenant(this.deps, caller, tenantId, 'events.read');
    await requirePermission(this.deps, caller, tenantId, 'queues.read');
    await requirePermission(this.deps, caller, tenantId, 'reports.read');
    let board = this.boards.get(tenantId);
    if (!board) {
      board = new TenantBoard(tenantId, this.deps, (closed) => {
        // Only itself: a board that closes late must not drop the tenant's next one.
        if (this.boards.get(tenantId) === closed) this.boards.delete(tenantId);
      });
      this.boards.set(tenantId, board);
    }
    const subscriber = new Subscriber(caller, listener);
    await board.add(subscriber);
    return { close: () => board.remove(subscriber) };
  }

  /** Boards with subscribers (tests check that nothing is left behind). */
  get tenants(): number {
    return this.boards.size;
  }

  close(): void {
    this.unsubscribe();
    for (const board of [...this.boards.values()]) board.close();
    this.boards.clear();
  }
}

class Subscriber {
  readonly scope: string;
  /** The board generation this subscriber was last brought up to (-1: waiting for its snapshot). */
  synced = -1;
  sentQueues: ReadonlySet<string> = new Set();
  sentAgents: ReadonlySet<string> = new Set();
  lastSentAt = Number.NEGATIVE_INFINITY;
  closed = false;

  constructor(readonly caller: Caller, readonly listener: WallboardListener) {
    this.scope = scopeKey(caller);
  }
}

interface Entry {
  readonly json: string;
  /** The generation in which the entry last changed (as far as subscribers are told). */
  readonly changedAt: number;
}

interface QueueEntry extends Entry {
  /** The entry's JSON without the longest wait, which grows by itself while anything waits. */
  readonly stable: string;
  readonly sentLongestWait: number;
  readonly sentAt: number;
}

/** What one scope sees in one generation, in the board's order. */
interface Visible {
  readonly queues: readonly string[];
  readonly agents: readonly string[];
  readonly queueSet: ReadonlySet<string>;
  readonly agentSet: ReadonlySet<string>;
}

/** One tenant's board: its entries, its subscribers, one timer. */
class TenantBoard {
  private readonly subscribers = new Set<Subscriber>();
  private generation = 0;
  private computedAt = Number.NEGATIVE_INFINITY;
  private at = '';
  private queues = new Map<string, QueueEntry>();
  private agents = new Map<string, Entry>();
  private queueOrder: readonly string[] = [];
  private agentOrder: readonly string[] = [];
  private queueRows: readonly Queue[] = [];
  /** Per scope key, for the current generation; frames per scope and starting generation, for the current delivery. */
  private visible = new Map<string, Visible>();
  private frames = new Map<string, WallboardFrame | null>();
  private framesGeneration = -1;

  private dirty = false;
  private ticking = false;
  private lastTickAt = Number.NEGATIVE_INFINITY;
  private timer: { readonly due: number; readonly cancel: () => void } | undefined;
  /** Computations run one after another; a subscriber joins the one that has not started yet. */
  private chain: Promise<void> = Promise.resolve();
  private queued: Promise<void> | undefined;
  private closed = false;

  constructor(readonly tenantId: string, private readonly deps: WallboardDeps, private readonly onClosed: (board: TenantBoard) => void) {}

  async add(subscriber: Subscriber): Promise<void> {
    this.subscribers.add(subscriber);
    try {
      await this.compute();
    } catch (error) {
      this.remove(subscriber);
      throw error;
    }
    if (subscriber.closed) return;
    const frame = this.fullFrame(subscriber);
    this.advance(subscriber, true);
    subscriber.listener.frame(frame);
    this.arm();
  }

  /** Idempotent: a subscription closed twice (after a failure, then by its socket) changes nothing the second time. */
  remove(subscriber: Subscriber): void {
    subscriber.closed = true;
    if (!this.subscribers.delete(subscriber)) return;
    if (this.subscribers.size === 0) this.close();
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.timer?.cancel();
    this.timer = undefined;
    this.onClosed(this);
  }

  markDirty(): void {
    this.dirty = true;
    this.arm();
  }

  /**
   * One timer per board: the next frame is due an interval after the last delivery when something
   * changed (at once after a quiet spell), otherwise a refresh is due `refreshMs` after the last
   * computation. A change while a later refresh is armed brings the timer forward.
   */
  private arm(): void {
    if (this.closed || this.ticking) return;
    const { intervalMs, refreshMs } = this.deps.settings;
    const now = this.deps.clock.now();
    let due = this.computedAt + refreshMs;
    if (this.dirty) due = this.lastTickAt + intervalMs;
    for (const s of this.subscribers) if (s.synced >= 0 && s.synced < this.generation) due = Math.min(due, s.lastSentAt + intervalMs);
    due = Math.max(due, now);
    if (this.timer && this.timer.due <= due) return;
    this.timer?.cancel();
    const cancel = this.deps.scheduler.at(due, () => {
      this.timer = undefined;
      void this.tick();
    });
    this.timer = { due, cancel };
  }

  private async tick(): Promise<void> {
    if (this.closed) return;
    this.ticking = true;
    try {
      this.dirty = false;
      this.lastTickAt = this.deps.clock.now();
      await this.compute();
      this.deliver();
    } catch (error) {
      for (const s of [...this.subscribers]) {
        this.remove(s);
        s.listener.failed(error);
      }
    } finally {
      this.ticking = false;
      this.arm();
    }
  }

  private compute(): Promise<void> {
    if (this.queued) return this.queued;
    const run = this.chain.then(() => {
      this.queued = undefined;
      return this.recompute();
    });
    this.queued = run;
    this.chain = run.catch(() => undefined);
    return run;
  }

  /** Everything, for everybody: the engine's state read once, then the pending offers once. */
  private async recompute(): Promise<void> {
    const { engine } = this.deps;
    const view = await engine.inspect(SYSTEM_CALLER, this.tenantId, 'queues.read', (state, now) => ({
      now,
      queues: computeQueueStats(state, (id) => engine.conditionsOf(state, id, now), now, state.queuesByPriority()),
      agents: boardAgents(state, () => true),
      queueRows: [...state.queues.values()],
    }));
    const pending = await pendingOffersByAgent(this.deps.storage.read, this.tenantId);
    const generation = this.generation + 1;
    const queues = new Map<string, QueueEntry>();
    for (const q of view.queues) queues.set(q.queueId, this.queueEntry(q, this.queues.get(q.queueId), generation, view.now));
    const agents = new Map<string, Entry>();
    for (const a of view.agents) {
      const json = JSON.stringify(boardEntry(a, pending));
      const previous = this.agents.get(a.agent.id);
      agents.set(a.agent.id, previous?.json === json ? previous : { json, changedAt: generation });
    }
    this.generation = generation;
    this.computedAt = view.now;
    this.at = new Date(view.now).toISOString();
    this.queues = queues;
    this.agents = agents;
    this.queueOrder = view.queues.map((q) => q.queueId);
    this.agentOrder = view.agents.map((a) => a.agent.id);
    this.queueRows = view.queueRows;
    this.visible.clear();
  }

  private queueEntry(stats: QueueStats, previous: QueueEntry | undefined, generation: number, now: number): QueueEntry {
    const json = JSON.stringify(stats);
    const { longestWaitSeconds, ...rest } = stats;
    const stable = JSON.stringify(rest);
    const changed = previous === undefined || previous.stable !== stable ||
      (previous.sentLongestWait !== longestWaitSeconds && now - previous.sentAt >= this.deps.settings.refreshMs);
    // A snapshot always shows the current longest wait, whether or not subscribers were told it.
    return changed ? { json, stable, sentLongestWait: longestWaitSeconds, sentAt: now, changedAt: generation } : { ...previous, json };
  }

  private visibleTo(subscriber: Subscriber): Visible {
    let visible = this.visible.get(subscriber.scope);
    if (!visible) {
      const caller = subscriber.caller;
      // The rules of the REST reads: queues by `queues.read`, agents by `reports.read` (members of the queues in scope, and oneself).
      const queues = this.queueOrder.filter((id) => allowedOn(caller, 'queues.read', id));
      const agents = this.agentOrder.filter((id) => agentInScope(caller, 'reports.read', id, this.queueRows));
      visible = { queues, agents, queueSet: new Set(queues), agentSet: new Set(agents) };
      this.visible.set(subscriber.scope, visible);
    }
    return visible;
  }

  /** Frames are shared within one generation: by scope for snapshots, by scope and starting generation for deltas. */
  private framesOf(generation: number): Map<string, WallboardFrame | null> {
    if (this.framesGeneration !== generation) {
      this.frames.clear();
      this.framesGeneration = generation;
    }
    return this.frames;
  }

  private fullFrame(subscriber: Subscriber): WallboardFrame {
    const frames = this.framesOf(this.generation);
    const key = `full|${subscriber.scope}`;
    const cached = frames.get(key);
    if (cached) return cached;
    const v = this.visibleTo(subscriber);
    const frame = {
      full: true,
      body: `"at":"${this.at}","queues":[${v.queues.map((id) => this.queues.get(id)!.json).join(',')}],` +
        `"agents":[${v.agents.map((id) => this.agents.get(id)!.json).join(',')}],"full":true`,
    };
    frames.set(key, frame);
    return frame;
  }

  /** What changed for this subscriber since its last frame; null when nothing did. */
  private delta(subscriber: Subscriber): WallboardFrame | null {
    const frames = this.framesOf(this.generation);
    const key = `${subscriber.synced}|${subscriber.scope}`;
    const cached = frames.get(key);
    if (cached !== undefined) return cached;
    const v = this.visibleTo(subscriber);
    const since = subscriber.synced;
    const queues = v.queues.filter((id) => this.queues.get(id)!.changedAt > since || !subscriber.sentQueues.has(id));
    const agents = v.agents.filter((id) => this.agents.get(id)!.changedAt > since || !subscriber.sentAgents.has(id));
    const removedQueues = [...subscriber.sentQueues].filter((id) => !v.queueSet.has(id));
    const removedAgents = [...subscriber.sentAgents].filter((id) => !v.agentSet.has(id));
    let frame: WallboardFrame | null = null;
    if (queues.length + agents.length + removedQueues.length + removedAgents.length > 0) {
      const body = `"at":"${this.at}","queues":[${queues.map((id) => this.queues.get(id)!.json).join(',')}],` +
        `"agents":[${agents.map((id) => this.agents.get(id)!.json).join(',')}],` +
        `"removedQueueIds":${JSON.stringify(removedQueues)},"removedAgentIds":${JSON.stringify(removedAgents)},"full":false`;
      frame = { full: false, body };
    }
    frames.set(key, frame);
    return frame;
  }

  /** Sends each subscriber what changed for it, unless it got a frame less than an interval ago (it gets it later). */
  private deliver(): void {
    const now = this.deps.clock.now();
    for (const subscriber of [...this.subscribers]) {
      if (subscriber.closed || subscriber.synced < 0 || subscriber.synced === this.generation) continue;
      if (now - subscriber.lastSentAt < this.deps.settings.intervalMs) continue;
      const frame = this.delta(subscriber);
      this.advance(subscriber, frame !== null, now);
      if (frame) subscriber.listener.frame(frame);
    }
  }

  private advance(subscriber: Subscriber, sent: boolean, now = this.deps.clock.now()): void {
    const v = this.visibleTo(subscriber);
    subscriber.synced = this.generation;
    subscriber.sentQueues = v.queueSet;
    subscriber.sentAgents = v.agentSet;
    if (sent) subscriber.lastSentAt = now;
  }
}
