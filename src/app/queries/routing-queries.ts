import type { Offer, OfferStatus, RoutingDecision, RoutingItem, Skill, Workstream } from '../../core/routing/routing-model.js';
import { isSelf, type Caller } from '../caller.js';
import type { AppDeps } from '../deps.js';
import { SwitchboardError } from '../errors.js';
import { assertAgentInScope, assertConversationInScope } from '../scope.js';
import { requireTenant } from '../tenant-access.js';

/** Reads of routing configuration and history that need no engine state. */
export async function listSkills(deps: AppDeps, caller: Caller, tenantId: string): Promise<Skill[]> {
  await requireTenant(deps, caller, tenantId, 'routing.read');
  return deps.storage.read.routing.listSkills(tenantId);
}

export async function listWorkstreams(deps: AppDeps, caller: Caller, tenantId: string): Promise<Workstream[]> {
  await requireTenant(deps, caller, tenantId, 'routing.read');
  return deps.storage.read.routing.listWorkstreams(tenantId);
}

export async function getWorkstream(deps: AppDeps, caller: Caller, tenantId: string, id: string): Promise<Workstream> {
  await requireTenant(deps, caller, tenantId, 'routing.read');
  const workstream = await deps.storage.read.routing.getWorkstream(tenantId, id);
  if (!workstream) throw new SwitchboardError('SB_ERR_WORKSTREAM_NOT_FOUND');
  return workstream;
}

export interface ConversationRouting {
  readonly item: RoutingItem | null;
  readonly decisions: RoutingDecision[];
  readonly offers: Offer[];
}

/** Where a conversation stands in routing and every decision taken about it, with reasons. */
export async function getConversationRouting(deps: AppDeps, caller: Caller, tenantId: string, conversationId: string): Promise<ConversationRouting> {
  await requireTenant(deps, caller, tenantId, 'conversations.read');
  const reads = deps.storage.read;
  const conversation = await reads.getConversation(tenantId, conversationId);
  if (!conversation) throw new SwitchboardError('SB_ERR_CONVERSATION_NOT_FOUND');
  await assertConversationInScope(reads, caller, 'conversations.read', conversation);
  const [item, decisions, offers] = await Promise.all([
    reads.routing.getRoutingItem(tenantId, conversationId),
    reads.routing.listDecisions(tenantId, conversationId, 500),
    reads.routing.listOffersOfConversation(tenantId, conversationId),
  ]);
  return { item: item ?? null, decisions, offers };
}

export async function listAgentOffers(deps: AppDeps, caller: Caller, tenantId: string, agentId: string, status?: OfferStatus): Promise<Offer[]> {
  // An agent reads their own offers; reading someone else's is reading that agent's status.
  const self = isSelf(caller, agentId);
  await requireTenant(deps, caller, tenantId, self ? 'routing.act' : 'agents.read');
  if (!(await deps.storage.read.getAgent(tenantId, agentId))) throw new SwitchboardError('SB_ERR_AGENT_NOT_FOUND');
  if (!self) await assertAgentInScope(deps.storage.read, caller, tenantId, 'agents.read', agentId);
  return deps.storage.read.routing.listOffers(tenantId, { agentId, status });
}
