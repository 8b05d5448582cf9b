/** Wire schemas of the routing API: configuration, agent actions, explanations and statistics. */
import { Type } from 'typebox';
import { ASSIGNMENT_METHODS, PRESENCES } from '../core/routing/agent-selection.js';
import { WEEKDAYS } from '../core/routing/operating-hours.js';
import { DECISION_KINDS, ITEM_STATUSES, OFFER_STATUSES, WAITING_ORDERS, WORKSTREAM_MODES, type QueueRouting, type Workstream } from '../core/routing/routing-model.js';
import { Id, Name, Nullable, Timestamp, literals } from './common.js';
import { MAX_WRAP_UP_CODES, MAX_WRAP_UP_SECONDS } from '../core/workspace/wrap-up.js';
import { CONTEXT_TYPES } from '../core/context-variable.js';
import { AGENT_KINDS, CHANNEL_TYPES } from '../core/model.js';

const strict = { additionalProperties: false } as const;

// Declared here rather than imported from resources.ts, which itself builds on this file.
const ChannelTypeSchema = literals(CHANNEL_TYPES);
const ContextTypeSchema = literals(CONTEXT_TYPES);
export const PresenceSchema = literals(PRESENCES);
export const SkillName = Type.String({ minLength: 1, maxLength: 64, pattern: '^[A-Za-z0-9][A-Za-z0-9_.:-]*$' });
export const Proficiency = Type.Integer({ minimum: 1, maximum: 10 });
export const SkillMap = Type.Record(SkillName, Proficiency, { maxProperties: 100, description: 'Skill name -> proficiency 1-10.' });
export const AttributeMap = Type.Record(
  Type.String({ minLength: 1, maxLength: 64 }), Type.Union([Type.String({ maxLength: 200 }), Type.Number()]), { maxProperties: 50 },
);

export const SkillSchema = Type.Object({ tenantId: Id, name: Type.String(), description: Nullable(Type.String()), createdAt: Timestamp });
export const CreateSkillBody = Type.Object({ name: SkillName, description: Type.Optional(Type.Union([Type.String({ maxLength: 500 }), Type.Null()])) }, strict);

export const UpdateAgentBody = Type.Object(
  {
    displayName: Type.Optional(Name),
    email: Type.Optional(Type.Union([Type.String({ maxLength: 320 }), Type.Null()])),
    capacity: Type.Optional(Type.Integer({ minimum: 0, maximum: 10_000 })),
    skills: Type.Optional(SkillMap),
    attributes: Type.Optional(AttributeMap),
    /** Bots: the app registration (client id) the bot signs in as; null unbinds it. */
    appId: Type.Optional(Type.Union([Type.String({ minLength: 1, maxLength: 64 }), Type.Null()])),
  },
  strict,
);
export const PresenceBody = Type.Object({ presence: PresenceSchema }, strict);

const SkillRequirementSchema = Type.Object({ skill: SkillName, minProficiency: Proficiency }, strict);
const OrderKeySchema = Type.Object(
  { key: Type.String({ minLength: 1, maxLength: 80 }), direction: Type.Union([Type.Literal('asc'), Type.Literal('desc')]) }, strict,
);
const HHMM = Type.String({ pattern: '^([01][0-9]|2[0-4]):[0-5][0-9]$' });
const OperatingHoursSchema = Type.Object(
  {
    timeZone: Type.String({ minLength: 1, maxLength: 64 }),
    weekly: Type.Array(Type.Object({ day: literals(WEEKDAYS), open: HHMM, close: HHMM }, strict), { maxItems: 50 }),
    holidays: Type.Array(Type.Object({ date: Type.String({ pattern: '^[0-9]{4}-[0-9]{2}-[0-9]{2}$' }), name: Type.Optional(Type.String({ maxLength: 200 })) }, strict), { maxItems: 1000 }),
  },
  strict,
);
const OverflowRuleSchema = Type.Object(
  {
    id: Type.String({ minLength: 1, maxLength: 64 }),
    when: Type.Union([
      Type.Object({ kind: Type.Literal('out-of-hours') }, strict),
      Type.Object({ kind: Type.Literal('queue-length'), atLeast: Type.Integer({ minimum: 0 }) }, strict),
      Type.Object({ kind: Type.Literal('estimated-wait'), atLeastSeconds: Type.Integer({ minimum: 0 }) }, strict),
      Type.Object({ kind: Type.Literal('wait-exceeds'), seconds: Type.Integer({ minimum: 0 }) }, strict),
    ]),
    then: Type.Union([
      Type.Object({ kind: Type.Literal('transfer'), queueId: Id }, strict),
      Type.Object({ kind: Type.Literal('callback') }, strict),
      Type.Object({ kind: Type.Literal('message-and-end'), text: Type.String({ minLength: 1, maxLength: 4000 }) }, strict),
      Type.Object({ kind: Type.Literal('assign-anyway') }, strict),
    ]),
  },
  strict,
);
export const WrapUpCodeSchema = Type.Object(
  { code: Type.String({ minLength: 1, maxLength: 64, pattern: '^[A-Za-z0-9][A-Za-z0-9_.:-]*$' }), label: Type.String({ minLength: 1, maxLength: 200 }) }, strict,
);
const QueueRoutingFields = {
  assignmentMethod: literals(ASSIGNMENT_METHODS),
  customOrder: Type.Array(OrderKeySchema, { maxItems: 10 }),
  operatingHours: Type.Union([OperatingHoursSchema, Type.Null()]),
  overflow: Type.Array(OverflowRuleSchema, { maxItems: 20 }),
  serviceLevelSeconds: Type.Integer({ minimum: 1, maximum: 86_400, description: 'Answered within this many seconds counts toward the service level (default 20).' }),
  wrapUpSeconds: Type.Integer({ minimum: 0, maximum: MAX_WRAP_UP_SECONDS, description: 'Wrap-up closes by itself after this many seconds (default 60); 0: the agent ends it.' }),
  wrapUpCodes: Type.Array(WrapUpCodeSchema, { maxItems: MAX_WRAP_UP_CODES, description: 'The codes an agent picks from when wrapping up (one is then required); empty: none.' }),
};
/** Typed as the core's QueueRouting (readonly arrays) so handlers return model values unchanged. */
export const QueueRoutingSchema = Type.Unsafe<QueueRouting>(Type.Object(QueueRoutingFields));
export const QueueRoutingPatch = Type.Object(
  {
    assignmentMethod: Type.Optional(QueueRoutingFields.assignmentMethod),
    customOrder: Type.Optional(QueueRoutingFields.customOrder),
    operatingHours: Type.Optional(QueueRoutingFields.operatingHours),
    overflow: Type.Optional(QueueRoutingFields.overflow),
    serviceLevelSeconds: Type.Optional(QueueRoutingFields.serviceLevelSeconds),
    wrapUpSeconds: Type.Optional(QueueRoutingFields.wrapUpSeconds),
    wrapUpCodes: Type.Optional(QueueRoutingFields.wrapUpCodes),
  },
  strict,
);
export const UpdateQueueBody = Type.Object(
  {
    name: Type.Optional(Name),
    priority: Type.Optional(Type.Integer({ minimum: 0, maximum: 100 })),
    routing: Type.Optional(QueueRoutingPatch),
    expectedVersion: Type.Optional(Type.Integer({ minimum: 1 })),
  },
  strict,
);

const ContextVariableInput = Type.Object({ name: Type.String({ minLength: 1, maxLength: 100 }), type: ContextTypeSchema, value: Type.Unknown() }, strict);
const Condition = Type.String({ minLength: 1, maxLength: 4000, description: 'An expression in the rule language (docs/RULES.md).' });
const ClassificationRuleSchema = Type.Object(
  {
    id: Type.String({ minLength: 1, maxLength: 64 }),
    condition: Condition,
    set: Type.Object(
      {
        priority: Type.Optional(Type.Integer()),
        requiredSkills: Type.Optional(Type.Array(SkillRequirementSchema, { maxItems: 20 })),
        capacityProfile: Type.Optional(Type.String({ maxLength: 100 })),
        variables: Type.Optional(Type.Array(ContextVariableInput, { maxItems: 50 })),
      },
      strict,
    ),
  },
  strict,
);
const RouteRuleSchema = Type.Object(
  {
    id: Type.String({ minLength: 1, maxLength: 64 }),
    condition: Condition,
    queueId: Type.Optional(Id),
    split: Type.Optional(Type.Array(Type.Object({ queueId: Id, percent: Type.Integer() }, strict), { maxItems: 10 })),
  },
  strict,
);
const RelaxationSchema = Type.Object(
  { afterSeconds: Type.Integer({ minimum: 0, maximum: 86_400 }), dropSkills: Type.Array(SkillName, { minItems: 1, maxItems: 20 }) }, strict,
);

const WorkstreamFields = {
  name: Name,
  channelTypes: Type.Array(ChannelTypeSchema, { minItems: 1, maxItems: 7 }),
  mode: Type.Optional(literals(WORKSTREAM_MODES)),
  allowedPresences: Type.Optional(Type.Array(PresenceSchema, { minItems: 1, maxItems: 8 })),
  cost: Type.Optional(Type.Integer({ minimum: 1, maximum: 1000 })),
  capacityProfiles: Type.Optional(Type.Record(Type.String({ minLength: 1, maxLength: 100 }), Type.Integer({ minimum: 1, maximum: 1000 }), { maxProperties: 20 })),
  wrapUpConsumesCapacity: Type.Optional(Type.Boolean()),
  offerTimeoutSeconds: Type.Optional(Type.Integer({ minimum: 5, maximum: 3600 })),
  rejectionSkipSeconds: Type.Optional(Type.Integer({ minimum: 0, maximum: 86_400 })),
  missedOffersBeforeAway: Type.Optional(Type.Integer({ minimum: 0, maximum: 100 })),
  waitingOrder: Type.Optional(literals(WAITING_ORDERS)),
  skillMatch: Type.Optional(Type.Union([Type.Literal('exact'), Type.Literal('closest')])),
  relaxations: Type.Optional(Type.Array(RelaxationSchema, { maxItems: 10 })),
  preferredAgentVariable: Type.Optional(Type.Union([Type.String({ minLength: 1, maxLength: 100 }), Type.Null()])),
  preferredAgentSeconds: Type.Optional(Type.Integer({ minimum: 0, maximum: 3600 })),
  classificationRules: Type.Optional(Type.Array(ClassificationRuleSchema, { maxItems: 100 })),
  routeRules: Type.Optional(Type.Array(RouteRuleSchema, { maxItems: 100 })),
  fallbackQueueId: Id,
};
export const WorkstreamBody = Type.Object(WorkstreamFields, strict);
export const UpdateWorkstreamBody = Type.Object({ ...WorkstreamFields, expectedVersion: Type.Optional(Type.Integer({ minimum: 1 })) }, strict);
export const WorkstreamSchema = Type.Unsafe<Workstream>(Type.Object({
  id: Id, tenantId: Id, name: Type.String(), channelTypes: Type.Array(ChannelTypeSchema), mode: literals(WORKSTREAM_MODES),
  allowedPresences: Type.Array(PresenceSchema), cost: Type.Integer(), capacityProfiles: Type.Record(Type.String(), Type.Integer()),
  wrapUpConsumesCapacity: Type.Boolean(),
  offerTimeoutSeconds: Type.Integer(), rejectionSkipSeconds: Type.Integer(), missedOffersBeforeAway: Type.Integer(),
  waitingOrder: literals(WAITING_ORDERS), skillMatch: Type.String(), relaxations: Type.Array(Type.Unknown()),
  preferredAgentVariable: Nullable(Type.String()), preferredAgentSeconds: Type.Integer(),
  classificationRules: Type.Array(Type.Unknown()), routeRules: Type.Array(Type.Unknown()), fallbackQueueId: Id,
  version: Type.Integer(), createdAt: Timestamp, updatedAt: Timestamp,
}));

export const RouteBody = Type.Object({ workstreamId: Type.Optional(Id) }, strict);
export const RoutingItemSchema = Type.Object({
  conversationId: Id, workstreamId: Id, queueId: Id, status: literals(ITEM_STATUSES), priority: Type.Integer(),
  requiredSkills: Type.Array(Type.Unknown()), cost: Type.Integer(), enteredAt: Timestamp, agentId: Nullable(Id), offerId: Nullable(Id),
  preferredAgentId: Nullable(Id), callbackRequested: Type.Boolean(), skillsDropped: Type.Boolean(),
});
export const RouteResultSchema = Type.Object({
  conversationId: Id, queueId: Id, status: Type.String(), agentId: Nullable(Id), plan: Type.Record(Type.String(), Type.Unknown()),
});
export const OfferSchema = Type.Object({
  id: Id, tenantId: Id, conversationId: Id, agentId: Id, queueId: Id, status: literals(OFFER_STATUSES),
  createdAt: Timestamp, expiresAt: Timestamp, resolvedAt: Nullable(Type.String()),
});
export const OfferParams = Type.Object({ tenantId: Id, agentId: Id, offerId: Id });
export const AgentParams = Type.Object({ tenantId: Id, agentId: Id });
export const RejectBody = Type.Object({ reason: Type.Optional(Type.String({ maxLength: 500 })) }, strict);
export const PickBody = Type.Object({ agentId: Id }, strict);
export const TransferBody = Type.Object(
  { queueId: Type.Optional(Id), agentId: Type.Optional(Id), reason: Type.Optional(Type.String({ maxLength: 500 })) }, strict,
);
export const ConsultBody = Type.Object({ agentId: Id }, strict);
export const DecisionSchema = Type.Object({
  id: Id, conversationId: Id, kind: literals(DECISION_KINDS), at: Timestamp, explanation: Type.Record(Type.String(), Type.Unknown()),
});
export const SimulateBody = Type.Object(
  {
    workstreamId: Type.Optional(Id),
    channelType: Type.Optional(ChannelTypeSchema),
    context: Type.Optional(Type.Array(ContextVariableInput, { maxItems: 200 })),
    priority: Type.Optional(Type.Integer({ minimum: 0, maximum: 100 })),
    waitedSeconds: Type.Optional(Type.Integer({ minimum: 0 })),
    draw: Type.Optional(Type.Number({ minimum: 0, exclusiveMaximum: 1, description: 'Fix the random draw for splits (default: random).' })),
  },
  strict,
);
export const QueueStatsSchema = Type.Object({
  queueId: Id, name: Type.String(), waiting: Type.Integer(), offered: Type.Integer(), longestWaitSeconds: Type.Number(),
  averageWaitSeconds: Nullable(Type.Number()), estimatedWaitSeconds: Type.Number(), open: Type.Boolean(),
  agentsByPresence: Type.Record(Type.String(), Type.Integer()),
  offers: Type.Object({ made: Type.Integer(), accepted: Type.Integer(), rejected: Type.Integer(), timedOut: Type.Integer() }),
  assignedDirectly: Type.Integer(),
  serviceLevel: Type.Object({
    thresholdSeconds: Type.Integer(), answered: Type.Integer(), withinThreshold: Type.Integer(),
    percent: Nullable(Type.Number({ description: 'withinThreshold / answered x 100; null before the first answer.' })),
  }),
});
const AgentStatusFields = {
  agentId: Id, presence: PresenceSchema, presenceSince: Timestamp, capacity: Type.Integer(), usedCapacity: Type.Integer(),
  conversations: Type.Array(Type.Object({ conversationId: Id, status: Type.String(), queueId: Id })),
  pendingOffers: Type.Array(OfferSchema), missedOffers: Type.Integer(), lastAssignedAt: Nullable(Type.String()),
};
export const AgentStatusSchema = Type.Object(AgentStatusFields);
/** One line of the wallboard's agent list: the status with who the agent is. */
export const AgentBoardEntrySchema = Type.Object({ ...AgentStatusFields, displayName: Type.String(), kind: literals(AGENT_KINDS) });
