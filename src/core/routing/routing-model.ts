/**
 * The routing model (capability C2) as plain data: what administrators configure (skills,
 * workstreams with their rules, queue settings) and the state the engine keeps per conversation
 * (a routing item) and per offer. Storage persists these shapes; the API serialises them.
 */
import type { ChannelType } from '../model.js';
import type { ContextVariable } from '../context-variable.js';
import type { AssignmentMethod, OrderKey, Presence, Relaxation, SkillRequirement } from './agent-selection.js';
import type { OperatingHours } from './operating-hours.js';
import type { OverflowRule } from './overflow.js';
import { DEFAULT_WRAP_UP_SECONDS, type WrapUpCode } from '../workspace/wrap-up.js';

export interface Skill {
  readonly tenantId: string;
  readonly name: string;
  readonly description: string | null;
  readonly createdAt: string;
}

/** What a matching classification rule sets; conditions are kept as source text and parsed on load. */
export interface ClassificationRuleDef {
  readonly id: string;
  readonly condition: string;
  readonly set: {
    readonly priority?: number | undefined;
    readonly requiredSkills?: readonly SkillRequirement[] | undefined;
    readonly capacityProfile?: string | undefined;
    readonly variables?: readonly ContextVariable[] | undefined;
  };
}

export type RouteTargetDef =
  | { readonly queueId: string; readonly split?: undefined }
  | { readonly queueId?: undefined; readonly split: readonly { readonly queueId: string; readonly percent: number }[] };

export type RouteRuleDef = { readonly id: string; readonly condition: string } & RouteTargetDef;

export const WORKSTREAM_MODES = ['push', 'pick'] as const;
export type WorkstreamMode = (typeof WORKSTREAM_MODES)[number];

export const WAITING_ORDERS = ['queue-entry', 'last-customer-message'] as const;
export type WaitingOrder = (typeof WAITING_ORDERS)[number];

export interface Workstream {
  readonly id: string;
  readonly tenantId: string;
  readonly name: string;
  /** Conversations on channels of these types are routed by this workstream. */
  readonly channelTypes: readonly ChannelType[];
  readonly mode: WorkstreamMode;
  readonly allowedPresences: readonly Presence[];
  /** Capacity units a conversation consumes while offered or active. */
  readonly cost: number;
  /**
   * Named costs a classification rule can choose (`capacityProfile`), e.g. {"video": 3}: with
   * capacity 3, an agent then takes three chats or one video call.
   */
  readonly capacityProfiles: Readonly<Record<string, number>>;
  readonly wrapUpConsumesCapacity: boolean;
  readonly offerTimeoutSeconds: number;
  /** How long an agent who rejected (or let time out) an offer is skipped for that conversation. */
  readonly rejectionSkipSeconds: number;
  /** Missed offers in a row after which an agent is set `away`; 0 disables it. */
  readonly missedOffersBeforeAway: number;
  readonly waitingOrder: WaitingOrder;
  readonly skillMatch: 'exact' | 'closest';
  readonly relaxations: readonly Relaxation[];
  /** Context variable naming an agent id to try first, and for how long. */
  readonly preferredAgentVariable: string | null;
  readonly preferredAgentSeconds: number;
  readonly classificationRules: readonly ClassificationRuleDef[];
  readonly routeRules: readonly RouteRuleDef[];
  readonly fallbackQueueId: string;
  readonly version: number;
  readonly createdAt: string;
  readonly updatedAt: string;
}

/** Capacity units a conversation costs: its classified capacity profile's, else the workstream's. */
export function workCost(workstream: Pick<Workstream, 'cost' | 'capacityProfiles'>, capacityProfile: string | null): number {
  return (capacityProfile !== null ? workstream.capacityProfiles[capacityProfile] : undefined) ?? workstream.cost;
}

/** Routing settings of a queue (the queue's name, priority and members live on `Queue`). */
export interface QueueRouting {
  readonly assignmentMethod: AssignmentMethod;
  readonly customOrder: readonly OrderKey[];
  readonly operatingHours: OperatingHours | null;
  readonly overflow: readonly OverflowRule[];
  /** Service level: a conversation answered within this many seconds of entering the queue counts as within target. */
  readonly serviceLevelSeconds: number;
  /** How long wrap-up lasts before the conversation closes by itself; 0: until the agent ends it. */
  readonly wrapUpSeconds: number;
  /** The dispositions an agent picks from when wrapping up; empty: none asked. */
  readonly wrapUpCodes: readonly WrapUpCode[];
}

/** The common contact-centre target ("80% answered in 20 s") names 20 seconds; queues may set their own. */
export const DEFAULT_SERVICE_LEVEL_SECONDS = 20;

export const DEFAULT_QUEUE_ROUTING: QueueRouting = Object.freeze({
  assignmentMethod: 'highest-capacity',
  customOrder: [],
  operatingHours: null,
  overflow: [],
  serviceLevelSeconds: DEFAULT_SERVICE_LEVEL_SECONDS,
  wrapUpSeconds: DEFAULT_WRAP_UP_SECONDS,
  wrapUpCodes: [],
});

/** Where a conversation stands in routing; one per conversation that entered routing. */
export const ITEM_STATUSES = ['waiting', 'offered', 'assigned', 'ended'] as const;
export type ItemStatus = (typeof ITEM_STATUSES)[number];

export interface RoutingItem {
  readonly conversationId: string;
  readonly tenantId: string;
  readonly workstreamId: string;
  readonly queueId: string;
  readonly status: ItemStatus;
  readonly priority: number;
  readonly requiredSkills: readonly SkillRequirement[];
  readonly cost: number;
  /** Epoch ms the conversation entered its current queue (relaxations and overflow count from here). */
  readonly enteredAt: number;
  /** Epoch ms used for first-in-first-out within a priority (entry or last customer message). */
  readonly orderAt: number;
  readonly preferredAgentId: string | null;
  readonly preferredUntil: number | null;
  /** Agent id -> epoch ms until which the agent is skipped for this conversation. */
  readonly excluded: Readonly<Record<string, number>>;
  /** Ids of the overflow rules already applied while queued (each applies once). */
  readonly overflowApplied: readonly string[];
  /** Skill requirements were dropped by an `assign-anyway` overflow. */
  readonly skillsDropped: boolean;
  readonly callbackRequestedAt: number | null;
  /** The agent holding this conversation's capacity (offered or owner), or null. */
  readonly agentId: string | null;
  readonly offerId: string | null;
  readonly updatedAt: number;
}

export const OFFER_STATUSES = ['pending', 'accepted', 'rejected', 'timed_out', 'withdrawn'] as const;
export type OfferStatus = (typeof OFFER_STATUSES)[number];

export interface Offer {
  readonly id: string;
  readonly tenantId: string;
  readonly conversationId: string;
  readonly agentId: string;
  readonly queueId: string;
  readonly status: OfferStatus;
  readonly createdAt: string;
  readonly expiresAt: string;
  readonly resolvedAt: string | null;
}

export const DECISION_KINDS = ['queued', 'offered', 'assigned', 'no-agent', 'overflow', 'transferred', 'picked'] as const;
export type DecisionKind = (typeof DECISION_KINDS)[number];

/** One routing decision and its reasons, kept for `GET /conversations/:id/routing`. */
export interface RoutingDecision {
  readonly id: string;
  readonly tenantId: string;
  readonly conversationId: string;
  readonly kind: DecisionKind;
  readonly at: string;
  readonly explanation: Readonly<Record<string, unknown>>;
}
