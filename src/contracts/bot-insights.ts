import { Type } from 'typebox';
import { ESCALATION_TRIGGERS } from '../core/bots/bot-insights.js';
import { Id, Nullable, Timestamp } from './common.js';

const strict = { additionalProperties: false } as const;

export const BotInsightsQuerySchema = Type.Object(
  {
    from: Type.Optional(Type.String({ format: 'date-time', description: 'Start of the window (inclusive, by when the bot got the conversation); default: to minus 7 days.' })),
    to: Type.Optional(Type.String({ format: 'date-time', description: 'End of the window (exclusive); default: now. At most 92 days after from.' })),
    botId: Type.Optional(Id),
    queueId: Type.Optional(Id),
  },
  strict,
);

const Count = Type.Integer({ minimum: 0 });

const Durations = Type.Union([
  Type.Object({
    p50: Type.Number({ description: 'Median, nearest rank.' }),
    p90: Type.Number({ description: '90th percentile, nearest rank.' }),
    mean: Type.Number(),
  }),
  Type.Null(),
], { description: 'Seconds; null when there is no sample.' });

const Csat = Type.Object({
  responses: Count,
  average: Nullable(Type.Number({ description: 'Mean rating 1-5, two decimals; null with no responses.' })),
});

const insightFields = {
  handled: Type.Integer({ minimum: 0, description: 'Conversations the bot got in the window (contained + escalated + open).' }),
  contained: Type.Integer({ minimum: 0, description: 'Ended while still with the bot (never escalated), by the bot or the customer.' }),
  escalated: Type.Integer({ minimum: 0, description: 'Escalated to people, whatever became of the handoff.' }),
  open: Type.Integer({ minimum: 0, description: 'Still with the bot, never escalated.' }),
  escalatedByTrigger: Type.Object(Object.fromEntries(ESCALATION_TRIGGERS.map((t) => [t, Count]))),
  handoffs: Type.Object({
    accepted: Type.Integer({ minimum: 0, description: 'A person accepted the escalated conversation.' }),
    failed: Type.Integer({ minimum: 0, description: 'Routing could not take it, or it ended before anyone accepted.' }),
    pending: Type.Integer({ minimum: 0, description: 'Waiting for a person.' }),
  }),
  timeToEscalationSeconds: Durations,
  escalationToAgentSeconds: Durations,
  csat: Type.Object({ botOnly: Csat, escalated: Csat }),
};

export const BotInsightsSchema = Type.Object({
  from: Timestamp,
  to: Timestamp,
  botId: Nullable(Type.String()),
  queueId: Nullable(Type.String()),
  ...insightFields,
  byBot: Type.Optional(Type.Array(Type.Object({
    botId: Id,
    displayName: Nullable(Type.String()),
    ...insightFields,
  }), { description: 'Per bot; only when no botId is given.' })),
});
