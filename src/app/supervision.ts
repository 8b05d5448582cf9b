import type { Conversation, Participant } from '../core/model.js';
import { allowedOn, type Caller } from './caller.js';
import type { AppDeps } from './deps.js';
import { isSwitchboardError, SwitchboardError } from './errors.js';
import { recordDenied } from './identity/audit.js';
import type { StoreReads } from './ports/storage.js';

const SUPERVISE = 'conversations.supervise';

/**
 * Moving a conversation that someone else handles (transferring it, changing its state) is a
 * supervisor's act: it needs `conversations.supervise` on its queue. "Handles" means an active
 * agent or bot participant; an agent acting on a conversation they take part in, or on one nobody
 * handles yet (waiting, open), needs only the permission of the action itself. Callers without
 * grants (the platform key, the system) are not checked.
 */
export async function assertHandlesOrSupervises(
  reads: StoreReads, caller: Caller, conversation: Conversation,
  /** The conversation's participants when the caller has read them already. */
  participants?: readonly Participant[],
): Promise<void> {
  if (caller.grants === undefined || allowedOn(caller, SUPERVISE, conversation.queueId)) return;
  const handlers = (participants ?? await reads.listParticipants(conversation.tenantId, conversation.id))
    .filter((p) => (p.role === 'agent' || p.role === 'bot') && p.leftAt === null)
    .map((p) => p.refId);
  if (handlers.length === 0 || (caller.agentId && handlers.includes(caller.agentId))) return;
  throw new SwitchboardError('SB_ERR_FORBIDDEN', `Someone else handles this conversation; acting on it needs the permission "${SUPERVISE}".`);
}

/**
 * Runs `work`, which checks supervision where the decision is made (on the locked row of a state
 * change, inside the tenant's routing step for a transfer), and writes a refusal to the audit log
 * afterwards: a denial is recorded in a transaction of its own, since the refused one rolls back.
 */
export async function auditingSupervision<T>(deps: AppDeps, caller: Caller, tenantId: string, work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (e) {
    if (isSwitchboardError(e) && e.code === 'SB_ERR_FORBIDDEN') await recordDenied(deps, caller, tenantId, SUPERVISE);
    throw e;
  }
}
