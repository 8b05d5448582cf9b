import { Type } from 'typebox';
import { CONTEXT_TYPES } from '../core/context-variable.js';
import { CONVERSATION_STATES } from '../core/conversation-lifecycle.js';
import { AUDIENCES, MESSAGE_VISIBILITIES, PARTICIPANT_ROLES } from '../core/message-visibility.js';
import { AGENT_KINDS, CHANNEL_TYPES, EVENT_TYPES } from '../core/model.js';
import { Id, Nullable, Timestamp, literals } from './common.js';
import { AttributeMap, PresenceSchema, QueueRoutingSchema } from './routing.js';


export const ConversationStateSchema = literals(CONVERSATION_STATES);
export const ChannelTypeSchema = literals(CHANNEL_TYPES);
export const ParticipantRoleSchema = literals(PARTICIPANT_ROLES);
export const AudienceSchema = literals(AUDIENCES);
export const VisibilitySchema = literals(MESSAGE_VISIBILITIES);
export const ContextTypeSchema = literals(CONTEXT_TYPES);
export const AgentKindSchema = literals(AGENT_KINDS);
export const SenderRoleSchema = Type.Union([ParticipantRoleSchema, Type.Literal('system')]);

export const TenantSchema = Type.Object({ id: Id, name: Type.String(), createdAt: Timestamp }, );

export const ChannelSchema = Type.Object(
  { id: Id, tenantId: Id, type: ChannelTypeSchema, name: Type.String(), config: Type.Record(Type.String(), Type.Unknown()), createdAt: Timestamp },
);

export const ContactIdentitySchema = Type.Object(
  { channelType: ChannelTypeSchema, address: Type.String({ minLength: 1, maxLength: 320 }) },
  { additionalProperties: false },
);

export const ContactSchema = Type.Object(
  {
    id: Id, tenantId: Id, displayName: Nullable(Type.String()), attributes: Type.Record(Type.String(), Type.String()),
    identities: Type.Array(ContactIdentitySchema), createdAt: Timestamp,
  },
);

export const ConversationSchema = Type.Object(
  {
    id: Id, tenantId: Id, channelId: Id, contactId: Id, state: ConversationStateSchema, queueId: Nullable(Id),
    subject: Nullable(Type.String()), priority: Type.Integer(), lastSeq: Type.Integer(),
    createdAt: Timestamp, updatedAt: Timestamp, closedAt: Nullable(Timestamp),
  },
);

export const ParticipantSchema = Type.Object(
  {
    id: Id, tenantId: Id, conversationId: Id, role: ParticipantRoleSchema, refId: Nullable(Id), displayName: Nullable(Type.String()),
    audience: AudienceSchema, joinedAt: Timestamp, leftAt: Nullable(Timestamp),
  },
);

export const AttachmentSchema = Type.Object(
  {
    name: Type.String({ minLength: 1, maxLength: 255 }),
    contentType: Type.String({ minLength: 3, maxLength: 127, pattern: '^[\\w.+-]+/[\\w.+-]+$' }),
    size: Type.Integer({ minimum: 0 }),
    url: Type.Optional(Type.String({ maxLength: 2048 })),
  },
  { additionalProperties: false },
);

export const MessageSchema = Type.Object(
  {
    id: Id, tenantId: Id, conversationId: Id, seq: Type.Integer({ minimum: 1 }), senderRole: SenderRoleSchema, senderId: Nullable(Id),
    visibility: VisibilitySchema, text: Type.String(), attachments: Type.Array(AttachmentSchema), idempotencyKey: Nullable(Type.String()),
    channelData: Nullable(Type.Record(Type.String(), Type.Unknown())), createdAt: Timestamp,
    // When its sender last edited it (a bot through the Connector API); when it deleted it (then
    // text, attachments and channelData are empty: a tombstone). Null if never.
    editedAt: Nullable(Timestamp), deletedAt: Nullable(Timestamp),
  },
);

export const ContextVariableSchema = Type.Object(
  { name: Type.String(), type: ContextTypeSchema, value: Type.Unknown() },
);

export const AgentSchema = Type.Object(
  {
    id: Id, tenantId: Id, kind: AgentKindSchema, displayName: Type.String(), email: Nullable(Type.String()),
    appId: Nullable(Type.String({ description: 'Bots: the client id of the app registration the bot signs in as; unique in the tenant.' })), capacity: Type.Integer(),
    usedCapacity: Type.Integer(), presence: PresenceSchema, presenceSince: Timestamp, skills: Type.Record(Type.String(), Type.Integer()),
    attributes: AttributeMap, lastAssignedAt: Nullable(Type.String()), missedOffers: Type.Integer(), createdAt: Timestamp,
  },
);

export const QueueSchema = Type.Object(
  {
    id: Id, tenantId: Id, name: Type.String(), priority: Type.Integer(), memberIds: Type.Array(Id), routing: QueueRoutingSchema,
    version: Type.Integer(), createdAt: Timestamp,
  },
);

export const EventSchema = Type.Object(
  {
    id: Type.Integer(), tenantId: Id, type: literals(EVENT_TYPES), conversationId: Nullable(Id),
    actor: Type.Object({ kind: Type.String(), id: Nullable(Type.String()) }), occurredAt: Timestamp,
    payload: Type.Record(Type.String(), Type.Unknown()),
  },
);
