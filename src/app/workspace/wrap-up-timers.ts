import type { Caller } from '../caller.js';
import type { AppDeps } from '../deps.js';
import type { Scheduler } from '../ports/scheduler.js';
import type { SwitchboardEvent } from '../../core/model.js';
import type { WrapUp } from '../../core/workspace/wrap-up.js';
import { commit } from '../unit-of-work.js';
import { moveConversation } from '../use-cases/change-conversation-state.js';

export interface WrapUpTimerDeps extends AppDeps {
  readonly scheduler: Scheduler;
  /** Failures of a timer's close (the server logs them). */
  readonly onError?: ((error: unknown, context: string) => void) | undefined;
}

const TIMER_CALLER: Caller = Object.freeze({ actor: Object.freeze({ kind: 'system', id: 'wrap-up' }), tenants: 'all', isPlatformAdmin: true });

export const WRAP_UP_TIME_ENDED = 'wrap-up time ended';

/**
 * Closes a conversation whose wrap-up time ran out, if it is still wrapping up: the agent may
 * have finished it meanwhile (here or on another node), which the locked row tells. Ends the
 * wrap-up as `timed-out` without a code; the close gives back the capacity wrap-up held.
 */
export async function endWrapUpOnTime(deps: AppDeps, tenantId: string, conversationId: string): Promise<boolean> {
  return commit(deps, TIMER_CALLER, async (tx, emit, now) => {
    const conversation = await tx.lockConversation(tenantId, conversationId);
    const wrapUp = await tx.workspace.getWrapUp(tenantId, conversationId);
    if (conversation?.state !== 'wrap_up' || !wrapUp || wrapUp.endedAt !== null || wrapUp.dueAt === null) return false;
    if (Date.parse(wrapUp.dueAt) > Date.parse(now)) return false;
    await moveConversation(tx, emit, TIMER_CALLER.actor, conversation, 'closed', WRAP_UP_TIME_ENDED, now, { endReason: 'timed-out', code: null, notes: null });
    return true;
  });
}

/**
 * The automatic end of wrap-up: a timer per running wrap-up, armed when a conversation enters
 * `wrap_up` (from the committed event) and, on start, from the stored deadlines, so a restart
 * loses none; those that fell due while no server ran end at once. A timer that fires late or
 * twice does no harm: the close checks the stored state. Timers are per process, like routing's:
 * a wrap-up started on another node is armed here only by the next start.
 */
export class WrapUpTimers {
  private readonly timers = new Map<string, () => void>();
  private readonly running = new Set<Promise<unknown>>();
  private unsubscribe: (() => void) | null = null;
  private closed = false;

  constructor(private readonly deps: WrapUpTimerDeps) {}

  async start(): Promise<void> {
    // Subscribed first: a wrap-up that starts while the stored ones are read is armed by its event.
    this.unsubscribe = this.deps.bus.subscribe((event) => this.onEvent(event));
    const now = this.deps.clock.now();
    for (const tenant of await this.deps.storage.read.listTenants()) {
      for (const wrapUp of await this.deps.storage.read.workspace.listPendingWrapUps(tenant.id)) {
        if (wrapUp.dueAt !== null && Date.parse(wrapUp.dueAt) <= now) await this.expire(wrapUp.tenantId, wrapUp.conversationId);
        else this.arm(wrapUp);
      }
    }
  }

  /** Resolves when every close a timer started has finished (tests and shutdown wait on it). */
  async idle(): Promise<void> {
    while (this.running.size > 0) await Promise.allSettled([...this.running]);
  }

  async close(): Promise<void> {
    this.closed = true;
    this.unsubscribe?.();
    for (const cancel of this.timers.values()) cancel();
    this.timers.clear();
    await this.idle();
  }

  private onEvent(event: SwitchboardEvent): void {
    if (this.closed || event.type !== 'conversation.state_changed' || event.conversationId === null) return;
    const { tenantId, conversationId } = event;
    if (event.payload.to === 'wrap_up') {
      this.track(this.deps.storage.read.workspace.getWrapUp(tenantId, conversationId).then((wrapUp) => wrapUp && this.arm(wrapUp)), conversationId);
    } else if (event.payload.from === 'wrap_up') {
      this.timers.get(key(tenantId, conversationId))?.();
      this.timers.delete(key(tenantId, conversationId));
    }
  }

  private arm(wrapUp: WrapUp): void {
    const id = key(wrapUp.tenantId, wrapUp.conversationId);
    if (this.closed || wrapUp.dueAt === null || wrapUp.endedAt !== null || this.timers.has(id)) return;
    const cancel = this.deps.scheduler.at(Date.parse(wrapUp.dueAt), () => {
      this.timers.delete(id);
      this.track(this.expire(wrapUp.tenantId, wrapUp.conversationId), wrapUp.conversationId);
    });
    this.timers.set(id, cancel);
  }

  private async expire(tenantId: string, conversationId: string): Promise<void> {
    try {
      await endWrapUpOnTime(this.deps, tenantId, conversationId);
    } catch (error) {
      this.deps.onError?.(error, `automatic end of the wrap-up of conversation ${conversationId}`);
    }
  }

  private track(work: Promise<unknown>, conversationId: string): void {
    const tracked = work.catch((error: unknown) => this.deps.onError?.(error, `wrap-up timer of conversation ${conversationId}`));
    this.running.add(tracked);
    void tracked.finally(() => this.running.delete(tracked));
  }
}

function key(tenantId: string, conversationId: string): string {
  return `${tenantId}/${conversationId}`;
}
