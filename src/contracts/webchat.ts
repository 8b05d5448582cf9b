import { Type } from 'typebox';
import { Id, Name, Nullable, Timestamp } from './common.js';

const strict = { additionalProperties: false } as const;

export const UpdateChannelBody = Type.Object(
  {
    name: Type.Optional(Name),
    config: Type.Optional(Type.Record(Type.String(), Type.Unknown(), { description: 'Replaces the settings; web chat settings: docs/WEBCHAT.md.' })),
  },
  strict,
);

export const DirectLineSecretSchema = Type.Object({
  id: Id, tenantId: Id, channelId: Id, hint: Type.String(), createdAt: Timestamp, revokedAt: Nullable(Type.String()),
});
export const CreatedDirectLineSecretSchema = Type.Object({
  id: Id, tenantId: Id, channelId: Id, hint: Type.String(), createdAt: Timestamp, revokedAt: Nullable(Type.String()),
  value: Type.String({ description: 'The secret itself (for the site\'s server, never a page): shown in this response only.' }),
});
export const SecretParams = Type.Object({ tenantId: Id, id: Id, secretId: Id });

export const SurveySchema = Type.Object({
  conversationId: Id, tenantId: Id, channelId: Id, rating: Type.Integer({ minimum: 1, maximum: 5 }), comment: Nullable(Type.String()), createdAt: Timestamp,
});
export const SurveyQuery = Type.Object(
  {
    channelId: Type.Optional(Id),
    limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 200, default: 50 })),
    cursor: Type.Optional(Type.String({ maxLength: 512 })),
  },
  strict,
);

// ---- the widget's public endpoints -------------------------------------------------------
export const WidgetTokenBody = Type.Object(
  {
    user: Type.Optional(Type.Object({ name: Type.Optional(Type.String({ maxLength: 200 })) }, strict)),
    prechat: Type.Optional(Type.Record(Type.String({ maxLength: 40 }), Type.Unknown(), { maxProperties: 20 })),
    page: Type.Optional(Type.Object({
      url: Type.Optional(Type.String({ maxLength: 2000 })), locale: Type.Optional(Type.String({ maxLength: 35 })), title: Type.Optional(Type.String({ maxLength: 300 })),
    }, strict)),
  },
  strict,
);
export const SurveyBody = Type.Object(
  { rating: Type.Integer({ minimum: 1, maximum: 5 }), comment: Type.Optional(Type.String({ maxLength: 2000 })) },
  strict,
);
