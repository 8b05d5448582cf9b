import type { SwitchboardEvent } from '../../core/model.js';
import { allowedOn, queueScope, type Caller } from '../caller.js';
import type { AppDeps } from '../deps.js';
import { SwitchboardError } from '../errors.js';
import { assertConversationInScope } from '../scope.js';
import { requireTenant } from '../tenant-access.js';

export const MAX_EVENTS_PER_READ = 1000;

export interface EventPage {
  /** The events the caller may see, oldest first. */
  readonly events: SwitchboardEvent[];
  /** Id of the last event read from the log (seen or filtered out): where the next read starts. */
  readonly lastId: number;
  /** True when the log had a full page: there may be more right after `lastId`. */
  readonly full: boolean;
}

/**
 * The event log of a tenant after an id, oldest first: how consumers catch up after a gap. A
 * queue-scoped caller (a supervisor, an agent) sees only events about conversations in its queues,
 * its own agent, and its queues; the cursor still moves past what it may not see.
 */
export async function readEventPage(
  deps: AppDeps, caller: Caller, tenantId: string, afterId = 0, limit = 100, conversationId?: string,
): Promise<EventPage> {
  await requireTenant(deps, caller, tenantId, 'events.read');
  const reads = deps.storage.read;
  if (conversationId !== undefined && queueScope(caller, 'events.read') !== 'all') {
    const conversation = await reads.getConversation(tenantId, conversationId);
    if (!conversation) throw new SwitchboardError('SB_ERR_CONVERSATION_NOT_FOUND');
    await assertConversationInScope(reads, caller, 'events.read', conversation);
  }
  const n = Math.min(Math.max(limit, 1), MAX_EVENTS_PER_READ);
  const raw = await reads.readEvents(tenantId, afterId, n, conversationId);
  const lastId = raw.length > 0 ? raw[raw.length - 1]!.id : afterId;
  const events = queueScope(caller, 'events.read') === 'all' || conversationId !== undefined ? raw : await visible(deps, caller, tenantId, raw);
  return { events, lastId, full: raw.length === n };
}

/**
 * What a caller may see of events already read from the log (all of the tenant's, oldest first):
 * the same rules as `readEventPage` applies to its own reads, for readers that share one read of
 * the log among several callers (the event stream). The caller's tenant access and `events.read`
 * are checked by its first `readEventPage`; a caller's grants do not change under it. A
 * conversation's events for a queue-scoped caller are checked against the conversation's queue
 * now, as every `readEventPage` of it does (a conversation transferred out of scope throws).
 */
export async function visibleEvents(
  deps: AppDeps, caller: Caller, tenantId: string, raw: readonly SwitchboardEvent[], conversationId?: string,
): Promise<readonly SwitchboardEvent[]> {
  if (conversationId !== undefined) {
    const own = raw.filter((e) => e.conversationId === conversationId);
    if (own.length > 0 && queueScope(caller, 'events.read') !== 'all') {
      const conversation = await deps.storage.read.getConversation(tenantId, conversationId);
      if (!conversation) throw new SwitchboardError('SB_ERR_CONVERSATION_NOT_FOUND');
      await assertConversationInScope(deps.storage.read, caller, 'events.read', conversation);
    }
    return own;
  }
  return queueScope(caller, 'events.read') === 'all' ? raw : visible(deps, caller, tenantId, raw);
}

export async function readEvents(
  deps: AppDeps, caller: Caller, tenantId: string, afterId = 0, limit = 100, conversationId?: string,
): Promise<SwitchboardEvent[]> {
  return (await readEventPage(deps, caller, tenantId, afterId, limit, conversationId)).events;
}

async function visible(deps: AppDeps, caller: Caller, tenantId: string, events: readonly SwitchboardEvent[]): Promise<SwitchboardEvent[]> {
  const queueOf = new Map<string, string | null | undefined>();
  const out: SwitchboardEvent[] = [];
  for (const event of events) {
    const agentId = event.payload.agentId;
    if (caller.agentId && agentId === caller.agentId) {
      out.push(event);
      continue;
    }
    if (event.conversationId !== null) {
      if (!queueOf.has(event.conversationId)) queueOf.set(event.conversationId, (await deps.storage.read.getConversation(tenantId, event.conversationId))?.queueId);
      const queueId = queueOf.get(event.conversationId);
      // The queue the conversation is in now: a conversation transferred away takes its history along.
      if (queueId !== undefined && allowedOn(caller, 'events.read', queueId)) out.push(event);
      continue;
    }
    const queueId = event.payload.queueId;
    if (typeof queueId === 'string' && allowedOn(caller, 'events.read', queueId)) out.push(event);
  }
  return out;
}
