import type { Caller } from './caller.js';
import type { StoreReads } from './ports/storage.js';

/** Who a supervisor is inside a conversation: the id participants and messages name, and the name people see. */
export interface SupervisorIdentity {
  readonly id: string;
  readonly displayName: string;
}

/**
 * The id a caller supervises under: a person's user id (not their agent id, which routing owns:
 * a supervisor barging in is not taking the conversation as an agent), an application's id, or
 * the admin key's id. A barged supervisor's participant `refId` and their messages' `senderId`
 * are this id, which is how the customer's channel finds their name.
 */
export function supervisorId(caller: Caller): string {
  return caller.actor.id ?? caller.actor.kind;
}

const FALLBACK_NAME = 'Supervisor';

export async function supervisorIdentity(reads: StoreReads, caller: Caller, tenantId: string): Promise<SupervisorIdentity> {
  const id = supervisorId(caller);
  if (caller.actor.kind === 'user' && caller.actor.id) {
    return { id, displayName: (await reads.identity.getUser(tenantId, id))?.displayName ?? FALLBACK_NAME };
  }
  if (caller.actor.kind === 'app' && caller.actor.id) {
    return { id, displayName: (await reads.identity.getApp(id))?.name ?? FALLBACK_NAME };
  }
  // The platform's admin key (and the system) have no name of their own.
  return { id, displayName: FALLBACK_NAME };
}
