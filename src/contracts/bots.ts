import { Type } from 'typebox';
import { BOT_AUTH_MODES, BOT_ROLES, BOT_STATES } from '../core/bots/bot-registration.js';
import { Id, Name, Nullable, Timestamp, literals } from './common.js';

const strict = { additionalProperties: false } as const;

const EntraSchema = Type.Object(
  {
    jwksUri: Type.Optional(Type.String({ maxLength: 2000, description: 'Default: Microsoft\'s public keys.' })),
    audience: Type.Optional(Type.String({ maxLength: 500, description: 'The token\'s aud (default https://api.botframework.com).' })),
    tenantIds: Type.Optional(Type.Array(Type.String({ maxLength: 36 }), { maxItems: 50, description: 'Entra tenants whose issuers are accepted; empty: any.' })),
  },
  strict,
);

/** Checked as a whole by the use case (`readBotSettings`), which lists every problem. */
const settingsFields = {
  messagingEndpoint: Type.Optional(Type.String({ maxLength: 2000, description: 'Where Switchboard POSTs activities (e.g. http://bot.internal:3978/api/messages).' })),
  state: Type.Optional(literals(BOT_STATES)),
  authMode: Type.Optional(literals(BOT_AUTH_MODES)),
  entra: Type.Optional(Nullable(EntraSchema)),
  role: Type.Optional(literals(BOT_ROLES)),
  escalatePhrases: Type.Optional(Type.Record(Type.String({ maxLength: 20 }), Type.Array(Type.String({ maxLength: 100 }), { maxItems: 50 }))),
  bridgedOnly: Type.Optional(Type.Boolean()),
  assistQueueIds: Type.Optional(Type.Array(Id, { maxItems: 50, description: 'Assist bots: the queues whose conversations it advises on once a person has them.' })),
};

export const RegisterBotBody = Type.Object(
  {
    ...settingsFields,
    agentId: Type.Optional(Id),
    displayName: Type.Optional(Name),
    appId: Type.Optional(Nullable(Type.String({ maxLength: 200 }))),
    capacity: Type.Optional(Type.Integer({ minimum: 1, maximum: 100_000 })),
    skills: Type.Optional(Type.Record(Type.String({ maxLength: 100 }), Type.Integer({ minimum: 1, maximum: 10 }))),
  },
  strict,
);

export const UpdateBotBody = Type.Object(settingsFields, strict);

export const BotSchema = Type.Object({
  id: Id,
  tenantId: Id,
  displayName: Type.String(),
  appId: Nullable(Type.String()),
  messagingEndpoint: Type.String(),
  state: literals(BOT_STATES),
  authMode: literals(BOT_AUTH_MODES),
  entra: Nullable(Type.Object({ jwksUri: Type.String(), audience: Type.String(), tenantIds: Type.Array(Type.String()) })),
  role: literals(BOT_ROLES),
  escalatePhrases: Type.Record(Type.String(), Type.Array(Type.String())),
  bridgedOnly: Type.Boolean(),
  assistQueueIds: Type.Array(Type.String()),
  health: Type.Object({
    status: Type.Union([Type.Literal('healthy'), Type.Literal('unhealthy')]),
    consecutiveFailures: Type.Integer(),
    lastFailureAt: Nullable(Type.String()),
    lastError: Nullable(Type.String()),
  }),
  presence: Type.String(),
  capacity: Type.Integer(),
  usedCapacity: Type.Integer(),
  serviceUrl: Type.String({ description: 'The Connector API base the bot calls (in every activity it receives).' }),
  createdAt: Timestamp,
  updatedAt: Timestamp,
});

export const AssistBotsSchema = Type.Object({
  conversationId: Id,
  items: Type.Array(Type.Object({
    botId: Id,
    displayName: Type.String(),
    active: Type.Boolean({ description: 'Advising in this conversation now (invited, or bound by one of its assistQueueIds).' }),
    since: Nullable(Timestamp),
  })),
});

export const InviteAssistBotBody = Type.Object({ botId: Id }, strict);

export const AssistPartSchema = Type.Object({
  conversationId: Id,
  botId: Id,
  state: Type.String(),
  since: Timestamp,
});
