import type { EventType, SwitchboardEvent } from '../core/model.js';
import type { Caller } from './caller.js';
import type { AppDeps } from './deps.js';
import { auditEntry, auditForEvent } from './identity/audit.js';
import type { StoreTx } from './ports/storage.js';

export type Emit = (type: EventType, tenantId: string, conversationId: string | null, payload: Record<string, unknown>) => Promise<void>;

/**
 * PostgreSQL aborts one of two transactions that lock rows in opposite orders (deadlock_detected)
 * or that cannot be serialised (serialization_failure); its documentation's remedy is to run the
 * transaction again. Nothing of an aborted attempt was written or published, so a use case's
 * unit of work is simply run again, a few times, after a short random pause. SQLite has one
 * writer and never answers these.
 */
const RETRYABLE_SQLSTATES = new Set(['40P01', '40001']);
const MAX_ATTEMPTS = 4;

function isRetryable(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' && RETRYABLE_SQLSTATES.has(code);
}

/**
 * Runs a use case's writes and the events describing them in one transaction, then publishes the
 * events. Publishing happens only after the commit: a subscriber never hears of a change that was
 * rolled back, and a crash between commit and publish loses nothing because readers resume from
 * the event log, not from the bus. Administrative changes are audited in the same transaction.
 * `work` may run more than once (see RETRYABLE_SQLSTATES), so it must only talk to the store.
 */
export async function commit<T>(
  deps: AppDeps,
  caller: Caller,
  work: (tx: StoreTx, emit: Emit, now: string) => Promise<T>,
): Promise<T> {
  const now = new Date(deps.clock.now()).toISOString();
  for (let attempt = 1; ; attempt += 1) {
    // Each attempt collects its own events: those of an aborted one were never stored.
    const appended: SwitchboardEvent[] = [];
    let result: T;
    try {
      result = await deps.storage.transaction(async (tx) => {
        const emit: Emit = async (type, tenantId, conversationId, payload) => {
          appended.push(await tx.appendEvent({ tenantId, type, conversationId, actor: caller.actor, occurredAt: now, payload }));
          const record = auditForEvent(type, payload);
          if (record) await tx.identity.appendAudit(auditEntry(caller, tenantId, record, now));
        };
        return work(tx, emit, now);
      });
    } catch (error) {
      if (attempt >= MAX_ATTEMPTS || !isRetryable(error)) throw error;
      await new Promise((resolve) => setTimeout(resolve, 5 + Math.random() * 20 * attempt));
      continue;
    }
    if (appended.length > 0) await deps.bus.publish(appended);
    return result;
  }
}
