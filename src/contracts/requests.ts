import { Type } from 'typebox';
import { AttachmentSchema, AudienceSchema, AgentKindSchema, ChannelTypeSchema, ContactIdentitySchema, ConversationStateSchema, ContextTypeSchema, ParticipantRoleSchema, SenderRoleSchema, VisibilitySchema } from './resources.js';
import { Id, Name, PageQuery } from './common.js';
import { AttributeMap, PresenceSchema, QueueRoutingPatch, SkillMap } from './routing.js';

const strict = { additionalProperties: false } as const;
/** A client id (`clientId` of an app registration). */
const AppClientId = Type.String({ minLength: 1, maxLength: 64 });

export const CreateTenantBody = Type.Object({ name: Name }, strict);

export const CreateChannelBody = Type.Object(
  { type: ChannelTypeSchema, name: Name, config: Type.Optional(Type.Record(Type.String(), Type.Unknown())) },
  strict,
);

export const CreateContactBody = Type.Object(
  {
    displayName: Type.Optional(Type.Union([Type.String({ maxLength: 200 }), Type.Null()])),
    attributes: Type.Optional(Type.Record(Type.String({ maxLength: 100 }), Type.String({ maxLength: 2000 }), { maxProperties: 100 })),
    identities: Type.Optional(Type.Array(ContactIdentitySchema, { maxItems: 20 })),
  },
  strict,
);

export const ContextPatchBody = Type.Record(
  Type.String({ maxLength: 100 }),
  Type.Union([Type.Object({ type: ContextTypeSchema, value: Type.Unknown() }, strict), Type.Null()]),
  { maxProperties: 200, description: 'Variables to set ({type, value}) or, with null, to remove.' },
);

export const CreateConversationBody = Type.Object(
  {
    channelId: Id,
    contactId: Type.Optional(Id),
    customer: Type.Optional(Type.Object({ address: Type.String({ minLength: 1, maxLength: 320 }), displayName: Type.Optional(Type.String({ maxLength: 200 })) }, strict)),
    subject: Type.Optional(Type.String({ maxLength: 500 })),
    priority: Type.Optional(Type.Integer({ minimum: 0, maximum: 100 })),
    queueId: Type.Optional(Id),
    context: Type.Optional(ContextPatchBody),
  },
  strict,
);

export const ConversationListQuery = Type.Object(
  {
    ...PageQuery.properties,
    state: Type.Optional(Type.Array(ConversationStateSchema, { maxItems: 8 })),
    channelId: Type.Optional(Id),
    contactId: Type.Optional(Id),
    queueId: Type.Optional(Id),
    agentId: Type.Optional(Id),
  },
  strict,
);

export const ChangeStateBody = Type.Object(
  { to: ConversationStateSchema, reason: Type.Optional(Type.String({ maxLength: 500 })), expectedState: Type.Optional(ConversationStateSchema) },
  strict,
);

export const AddParticipantBody = Type.Object(
  { role: ParticipantRoleSchema, agentId: Type.Optional(Id), audience: Type.Optional(AudienceSchema) },
  strict,
);

export const PostMessageBody = Type.Object(
  {
    senderRole: SenderRoleSchema,
    senderId: Type.Optional(Type.Union([Id, Type.Null()])),
    visibility: Type.Optional(VisibilitySchema),
    text: Type.String({ maxLength: 20_000 }),
    attachments: Type.Optional(Type.Array(AttachmentSchema, { maxItems: 20 })),
    idempotencyKey: Type.Optional(Type.String({ minLength: 1, maxLength: 200 })),
  },
  strict,
);

/** A whisper: text for the agents only (the customer and bots never get it). The same text limit as a message. */
export const WhisperBody = Type.Object(
  {
    text: Type.String({ minLength: 1, maxLength: 20_000 }),
    idempotencyKey: Type.Optional(Type.String({ minLength: 1, maxLength: 200 })),
  },
  strict,
);

/** Barging in takes no input (no body, or an empty object): the supervisor joins as themselves. */
export const BargeBody = Type.Union([Type.Object({}, strict), Type.Null()]);

export const MessageListQuery = Type.Object(
  { after: Type.Optional(Type.Integer({ minimum: 0, default: 0 })), limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 500, default: 100 })) },
  strict,
);

export const CreateAgentBody = Type.Object(
  {
    kind: AgentKindSchema,
    displayName: Name,
    email: Type.Optional(Type.Union([Type.String({ maxLength: 320 }), Type.Null()])),
    capacity: Type.Optional(Type.Integer({ minimum: 0, maximum: 10_000 })),
    skills: Type.Optional(SkillMap),
    attributes: Type.Optional(AttributeMap),
    presence: Type.Optional(PresenceSchema),
    appId: Type.Optional(Type.Union([AppClientId, Type.Null()])),
  },
  strict,
);

export const CreateQueueBody = Type.Object(
  {
    name: Name, priority: Type.Optional(Type.Integer({ minimum: 0, maximum: 100 })), memberIds: Type.Optional(Type.Array(Id, { maxItems: 10_000 })),
    routing: Type.Optional(QueueRoutingPatch),
  },
  strict,
);

export const AddQueueMemberBody = Type.Object({ agentId: Id }, strict);

export const EventListQuery = Type.Object(
  {
    after: Type.Optional(Type.Integer({ minimum: 0, default: 0 })),
    limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 1000, default: 100 })),
    conversationId: Type.Optional(Id),
  },
  strict,
);
