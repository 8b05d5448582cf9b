import type { ConversationState } from '../../core/conversation-lifecycle.js';
import type { RoutingItem } from '../../core/routing/routing-model.js';
import type { StoreTx } from '../ports/storage.js';
import type { Emit } from '../unit-of-work.js';
import { SwitchboardError } from '../errors.js';

/**
 * While routing holds a conversation (waiting, offered, or owned by an agent), only routing moves it
 * between queued, offered, bot and active: a manual move would leave a pending offer or reserved
 * capacity behind. Ending it (closed, abandoned) and wrap-up stay open to everyone.
 */
export async function assertRoutingAllows(tx: StoreTx, tenantId: string, conversationId: string, to: ConversationState): Promise<void> {
  if (to === 'closed' || to === 'abandoned' || to === 'wrap_up') return;
  const item = await tx.routing.getRoutingItem(tenantId, conversationId);
  if (!item || item.status === 'ended') return;
  const how = item.status === 'assigned' ? 'transfer it (POST .../transfer)' : 'accept or reject the offer, or pick it';
  throw new SwitchboardError('SB_ERR_ILLEGAL_TRANSITION', `Routing holds this conversation (${item.status}); ${how} instead of setting its state.`, {
    routingStatus: item.status, to,
  });
}

/**
 * Keeps routing in step when a conversation's state changes outside the engine (an agent ends it,
 * a customer leaves, wrap-up finishes): a waiting or offered conversation leaves its queue, and the
 * agent's capacity comes back when the work is over. Runs inside the state change's transaction,
 * so capacity is never released for a change that did not commit.
 */
export async function releaseOnStateChange(
  tx: StoreTx, emit: Emit, tenantId: string, conversationId: string, to: ConversationState, now: string,
): Promise<void> {
  const item = await tx.routing.getRoutingItem(tenantId, conversationId);
  if (!item || item.status === 'ended') return;
  const ending = to === 'closed' || to === 'abandoned';
  let keepsCapacity = false;
  if (to === 'wrap_up' && item.status === 'assigned') {
    const workstream = await tx.routing.getWorkstream(tenantId, item.workstreamId);
    keepsCapacity = workstream?.wrapUpConsumesCapacity ?? false;
    if (keepsCapacity) return;
  }
  if (!ending && to !== 'wrap_up') return;

  if (item.status === 'offered' && item.offerId) await tx.routing.resolveOffer(tenantId, item.offerId, 'withdrawn', now);
  if (item.agentId !== null) await tx.routing.releaseCapacity(tenantId, item.agentId, item.cost);
  const next: RoutingItem = {
    ...item,
    // After wrap-up started the item stays assigned (the agent still owns it) but holds no capacity.
    status: ending ? 'ended' : item.status,
    agentId: ending || to === 'wrap_up' ? null : item.agentId,
    offerId: null,
    updatedAt: Date.parse(now),
  };
  await tx.routing.updateRoutingItem(next, item.status);
  await emit('routing.released', tenantId, conversationId, {
    agentId: item.agentId, cost: item.agentId === null ? 0 : item.cost, queueId: item.queueId, previousStatus: item.status, state: to,
  });
}
