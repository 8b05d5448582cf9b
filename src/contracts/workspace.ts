/** Wire schemas of the agent workspace: wrap-up, quick replies, the CRM lookup (docs/API.md, "Agent workspace"). */
import { Type } from 'typebox';
import { WRAP_UP_END_REASONS, MAX_WRAP_UP_NOTES } from '../core/workspace/wrap-up.js';
import { MAX_QUICK_REPLY_TEXT, MAX_QUICK_REPLY_TITLE } from '../core/workspace/quick-reply.js';
import { DEFAULT_CRM_TIMEOUT_MS, MAX_CRM_HEADERS, MAX_CRM_TIMEOUT_MS, MAX_CRM_URL_LENGTH, MIN_CRM_TIMEOUT_MS } from '../core/workspace/crm-lookup.js';
import { Id, Nullable, Timestamp, literals } from './common.js';
import { ConversationSchema } from './resources.js';
import { WrapUpCodeSchema } from './routing.js';

const strict = { additionalProperties: false } as const;

// ---- wrap-up --------------------------------------------------------------------------------

export const WrapUpSchema = Type.Object({
  tenantId: Id, conversationId: Id, queueId: Nullable(Id), agentId: Nullable(Id),
  startedAt: Timestamp, dueAt: Nullable(Timestamp), endedAt: Nullable(Timestamp),
  endReason: Type.Union([literals(WRAP_UP_END_REASONS), Type.Null()], { description: 'finished (by the agent), timed-out, closed (another way); null while running.' }),
  code: Nullable(Type.String()), label: Nullable(Type.String()), notes: Nullable(Type.String()),
  endedBy: Type.Union([Type.Object({ kind: Type.String(), id: Nullable(Type.String()) }), Type.Null()]),
  durationSeconds: Nullable(Type.Number({ description: 'From start to end, to the millisecond; null while running.' })),
});

export const ConversationWrapUpSchema = Type.Object({
  wrapUpSeconds: Type.Integer({ description: "The queue's wrap-up time now; 0: no automatic end." }),
  codes: Type.Array(WrapUpCodeSchema),
  codeRequired: Type.Boolean(),
  wrapUp: Type.Union([WrapUpSchema, Type.Null()]),
});

export const FinishWrapUpBody = Type.Object(
  {
    code: Type.Optional(Type.String({ minLength: 1, maxLength: 64, description: "One of the queue's codes; required when it has codes." })),
    notes: Type.Optional(Type.String({ maxLength: MAX_WRAP_UP_NOTES })),
  },
  strict,
);

export const FinishedWrapUpSchema = Type.Object({ conversation: ConversationSchema, wrapUp: WrapUpSchema });

// ---- quick replies --------------------------------------------------------------------------

const Title = Type.String({ minLength: 1, maxLength: MAX_QUICK_REPLY_TITLE });
const TemplateText = Type.String({
  minLength: 1, maxLength: MAX_QUICK_REPLY_TEXT,
  description: 'Plain text with {{customer.name}}, {{agent.name}} and {{context.<variable name>}}.',
});

export const QuickReplySchema = Type.Object({
  id: Id, tenantId: Id, queueId: Id, title: Type.String(), text: Type.String(),
  variables: Type.Array(Type.String(), { description: 'The variables the text uses, in order of first use.' }),
  createdAt: Timestamp, updatedAt: Timestamp,
});
export const CreateQuickReplyBody = Type.Object({ title: Title, text: TemplateText }, strict);
export const UpdateQuickReplyBody = Type.Object({ title: Type.Optional(Title), text: Type.Optional(TemplateText) }, { ...strict, minProperties: 1 });
export const QuickReplyParams = Type.Object({ tenantId: Id, id: Id, replyId: Id });

export const RenderedQuickReplySchema = Type.Object({
  id: Id, title: Type.String(),
  text: Type.String({ description: 'The template filled for this conversation: plain text, to be shown as text.' }),
  missing: Type.Array(Type.String(), { description: 'Variables without a value (left empty in text).' }),
});

// ---- CRM lookup -----------------------------------------------------------------------------

const HeaderMap = Type.Record(Type.String({ minLength: 1, maxLength: 100 }), Type.String({ maxLength: 4000 }), { maxProperties: MAX_CRM_HEADERS });

export const PutCrmLookupBody = Type.Object(
  {
    url: Type.String({ minLength: 1, maxLength: MAX_CRM_URL_LENGTH, description: 'http or https; receives a POST per lookup.' }),
    headers: Type.Optional(Type.Union([HeaderMap, Type.Null()], { description: 'Sent with every lookup. Omitted: the stored headers are kept; null or {}: none.' })),
    timeoutMs: Type.Optional(Type.Integer({ minimum: MIN_CRM_TIMEOUT_MS, maximum: MAX_CRM_TIMEOUT_MS, default: DEFAULT_CRM_TIMEOUT_MS })),
  },
  strict,
);

export const CrmLookupSchema = Type.Object({
  tenantId: Id, url: Type.String(),
  headers: Type.Record(Type.String(), Type.String(), { description: 'Header values masked: their first 3 characters and "…" (only "…" under 16 characters).' }),
  timeoutMs: Type.Integer(), updatedAt: Timestamp,
});

export const CrmPanelSchema = Type.Object({
  fields: Type.Array(Type.Object({ label: Type.String(), value: Type.String(), url: Type.Optional(Type.String()) })),
  fetchedAt: Timestamp,
});
