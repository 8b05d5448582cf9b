import { isTerminal, type ConversationState } from '../../../core/conversation-lifecycle.js';
import type { ItemStatus } from '../../../core/routing/routing-model.js';

/**
 * The predicates of the partial indexes that cover only live rows (migration 13).
 *
 * A conversation or routing item changes state several times while it is routed (queued ->
 * offered -> active, waiting -> offered -> assigned), and an index keyed by the state moved its
 * entry to another part of the tree on every change: two leaf pages written per change, a fifth
 * of the WAL pages of a routing commit (B2). These indexes are keyed by the id, so a change
 * rewrites the entry where it already is (one leaf), and they hold only the rows that are not
 * finished, which stay few while the history grows.
 *
 * SQLite uses a partial index only when the query's WHERE clause contains the index's predicate
 * term for term, so the queries append these very strings. They are the migration's text too:
 * changing one needs a new migration that rebuilds its index.
 */
export const LIVE_CONVERSATION = "state NOT IN ('closed', 'abandoned')";
export const LIVE_ROUTING_ITEM = "status <> 'ended'";

/**
 * Whether every state asked for is one the live index holds, so that the query may use it. The
 * lifecycle's terminal states are the ones LIVE_CONVERSATION leaves out.
 */
export function onlyLiveConversationStates(states: readonly ConversationState[]): boolean {
  return states.length > 0 && !states.some(isTerminal);
}

export function onlyLiveItemStatuses(statuses: readonly ItemStatus[]): boolean {
  return statuses.length > 0 && !statuses.includes('ended');
}
