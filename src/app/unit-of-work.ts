import type { EventType, SwitchboardEvent } from '../core/model.js';
import type { Caller } from './caller.js';
import type { AppDeps } from './deps.js';
import { auditEntry, auditForEvent } from './identity/audit.js';
import type { StoreTx } from './ports/storage.js';

export type Emit = (type: EventType, tenantId: string, conversationId: string | null, payload: Record<string, unknown>) => Promise<void>;

/**
 * Runs a use case's writes and the events describing them in one transaction, then publishes the
 * events. Publishing happens only after the commit: a subscriber never hears of a change that was
 * rolled back, and a crash between commit and publish loses nothing because readers resume from
 * the event log, not from the bus. Administrative changes are audited in the same transaction.
 */
export async function commit<T>(
  deps: AppDeps,
  caller: Caller,
  work: (tx: StoreTx, emit: Emit, now: string) => Promise<T>,
): Promise<T> {
  const appended: SwitchboardEvent[] = [];
  const now = new Date(deps.clock.now()).toISOString();
  const result = await deps.storage.transaction(async (tx) => {
    const emit: Emit = async (type, tenantId, conversationId, payload) => {
      appended.push(await tx.appendEvent({ tenantId, type, conversationId, actor: caller.actor, occurredAt: now, payload }));
      const record = auditForEvent(type, payload);
      if (record) await tx.identity.appendAudit(auditEntry(caller, tenantId, record, now));
    };
    return work(tx, emit, now);
  });
  if (appended.length > 0) await deps.bus.publish(appended);
  return result;
}
