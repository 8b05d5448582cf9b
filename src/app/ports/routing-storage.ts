import type { Agent } from '../../core/model.js';
import type { Presence } from '../../core/routing/agent-selection.js';
import type {
  ItemStatus, Offer, OfferStatus, QueueRouting, RoutingDecision, RoutingItem, Skill, Workstream,
} from '../../core/routing/routing-model.js';

export interface AgentPatch {
  readonly displayName?: string | undefined;
  readonly email?: string | null | undefined;
  readonly capacity?: number | undefined;
  readonly attributes?: Readonly<Record<string, number | string>> | undefined;
  /** The bot's application user (client id), or null to unbind it. Unique in the tenant. */
  readonly appId?: string | null | undefined;
}

export interface QueuePatch {
  readonly name?: string | undefined;
  readonly priority?: number | undefined;
  readonly routing?: QueueRouting | undefined;
}

/**
 * What routing and presence change on an agent. Everything else of an agent (capacity, skills,
 * attributes, names) changes only through `agent.updated`, so routing re-reads only this part
 * after a presence change or a release.
 */
export type AgentStatus = Pick<Agent, 'presence' | 'presenceSince' | 'usedCapacity' | 'lastAssignedAt' | 'missedOffers'>;

/** Routing reads. Like every tenant read, each takes the tenant id. */
export interface RoutingReads {
  listSkills(tenantId: string): Promise<Skill[]>;
  getAgentStatus(tenantId: string, agentId: string): Promise<AgentStatus | undefined>;
  listWorkstreams(tenantId: string): Promise<Workstream[]>;
  getWorkstream(tenantId: string, id: string): Promise<Workstream | undefined>;
  /** Round-robin pointers of a tenant's queues: queue id -> agent last chosen. */
  listRoundRobinPointers(tenantId: string): Promise<Map<string, string>>;
  getRoutingItem(tenantId: string, conversationId: string): Promise<RoutingItem | undefined>;
  listRoutingItems(tenantId: string, statuses: readonly ItemStatus[]): Promise<RoutingItem[]>;
  getOffer(tenantId: string, id: string): Promise<Offer | undefined>;
  listOffers(tenantId: string, filter: { readonly agentId?: string | undefined; readonly status?: OfferStatus | undefined }): Promise<Offer[]>;
  listOffersOfConversation(tenantId: string, conversationId: string): Promise<Offer[]>;
  /** Workstreams and queues whose rules name the queue. */
  listQueueReferrers(tenantId: string, queueId: string): Promise<string[]>;
  /** A conversation's routing decisions, oldest first. */
  listDecisions(tenantId: string, conversationId: string, limit: number): Promise<RoutingDecision[]>;
}

/**
 * Routing writes. The ones returning booleans are conditional (compare-and-set): they change nothing
 * and return false when the row no longer is as the caller believed, so two routing nodes (or an
 * engine and a stale cache) can never offer one conversation twice or overfill an agent.
 */
export interface RoutingTx extends RoutingReads {
  /** False when the skill name exists already. */
  insertSkill(skill: Skill): Promise<boolean>;
  setAgentSkills(tenantId: string, agentId: string, skills: Readonly<Record<string, number>>): Promise<void>;
  updateAgent(tenantId: string, agentId: string, patch: AgentPatch): Promise<void>;
  setAgentPresence(tenantId: string, agentId: string, presence: Presence, at: string): Promise<void>;
  /**
   * Takes `cost` units of the agent's capacity if they are free and its presence is one of
   * `presences`; records the assignment time. False (nothing changed) otherwise.
   */
  reserveCapacity(tenantId: string, agentId: string, cost: number, presences: readonly Presence[], at: string): Promise<boolean>;
  /** Gives units back; never below zero. */
  releaseCapacity(tenantId: string, agentId: string, cost: number): Promise<void>;
  setMissedOffers(tenantId: string, agentId: string, missed: number): Promise<void>;

  insertWorkstream(workstream: Workstream): Promise<void>;
  /** Replaces the workstream if its stored version is `expectedVersion`. */
  updateWorkstream(workstream: Workstream, expectedVersion: number): Promise<boolean>;
  deleteWorkstream(tenantId: string, id: string): Promise<boolean>;
  /** Records the queues a workstream's or queue's rules name (replacing the previous set). */
  setQueueRefs(tenantId: string, referrerId: string, queueIds: readonly string[]): Promise<void>;

  /** Applies the patch and increments the version if the stored version is `expectedVersion`. */
  updateQueue(tenantId: string, queueId: string, patch: QueuePatch, expectedVersion: number, at: string): Promise<boolean>;
  deleteQueue(tenantId: string, queueId: string): Promise<boolean>;
  removeQueueMember(tenantId: string, queueId: string, agentId: string): Promise<boolean>;
  setRoundRobinPointer(tenantId: string, queueId: string, agentId: string): Promise<void>;

  insertRoutingItem(item: RoutingItem): Promise<void>;
  /** Replaces the item if its stored status is `expectedStatus`. */
  updateRoutingItem(item: RoutingItem, expectedStatus: ItemStatus): Promise<boolean>;

  insertOffer(offer: Offer): Promise<void>;
  /** Moves a pending offer to its outcome; false if it was not pending any more. */
  resolveOffer(tenantId: string, offerId: string, status: Exclude<OfferStatus, 'pending'>, at: string): Promise<boolean>;

  insertDecision(decision: RoutingDecision): Promise<void>;
  /** Keeps the conversation's queue and priority columns in step with routing. */
  setConversationQueue(tenantId: string, conversationId: string, queueId: string | null, priority: number, at: string): Promise<void>;
}
