import type { FastifyInstance } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import type { AppDeps } from '../../../app/deps.js';
import { getContext, getConversation, listConversations, listMessages, listParticipants } from '../../../app/queries/conversation-queries.js';
import { readEvents } from '../../../app/queries/event-queries.js';
import { addParticipant } from '../../../app/use-cases/add-participant.js';
import { bargeIn } from '../../../app/use-cases/barge-in.js';
import { changeConversationState } from '../../../app/use-cases/change-conversation-state.js';
import { createConversation } from '../../../app/use-cases/create-conversation.js';
import { leaveConversation } from '../../../app/use-cases/leave-conversation.js';
import { postMessage } from '../../../app/use-cases/post-message.js';
import { setContext } from '../../../app/use-cases/set-context.js';
import { ErrorBody, Id, Page, TenantParams } from '../../../contracts/common.js';
import {
  AddParticipantBody, BargeBody, ChangeStateBody, ContextPatchBody, ConversationListQuery, CreateConversationBody, EventListQuery,
  MessageListQuery, PostMessageBody, WhisperBody,
} from '../../../contracts/requests.js';
import { ContextVariableSchema, ConversationSchema, EventSchema, MessageSchema, ParticipantSchema } from '../../../contracts/resources.js';

const ConversationParams = Type.Object({ tenantId: Id, conversationId: Id });
const ParticipantParams = Type.Object({ tenantId: Id, conversationId: Id, participantId: Id });
const IdempotencyHeaders = Type.Object({ 'idempotency-key': Type.Optional(Type.String({ minLength: 1, maxLength: 200 })) });

/** Conversations, their participants, messages and context, and the tenant's event log. */
export function conversationRoutes(app: FastifyInstance, deps: AppDeps): void {
  const r = app.withTypeProvider<TypeBoxTypeProvider>();
  const base = '/v1/tenants/:tenantId/conversations';
  const one = `${base}/:conversationId`;
  const errors = { '4xx': ErrorBody };
  const tags = ['conversations'];

  r.post(base, {
    schema: { tags, summary: 'Start a conversation', params: TenantParams, body: CreateConversationBody, response: { 201: ConversationSchema, ...errors } },
  }, async (req, reply) => reply.code(201).send((await createConversation(deps, req.caller, req.params.tenantId, req.body)).conversation));

  r.get(base, {
    schema: { tags, summary: 'List conversations, newest first, filtered', params: TenantParams, querystring: ConversationListQuery, response: { 200: Page(ConversationSchema), ...errors } },
  }, async (req) => {
    const { limit, cursor, state, channelId, contactId, queueId, agentId } = req.query;
    return listConversations(deps, req.caller, req.params.tenantId, { state, channelId, contactId, queueId, agentId }, limit, cursor);
  });

  r.get(one, {
    schema: { tags, summary: 'Get a conversation', params: ConversationParams, response: { 200: ConversationSchema, ...errors } },
  }, async (req) => getConversation(deps, req.caller, req.params.tenantId, req.params.conversationId));

  r.post(`${one}/state`, {
    schema: { tags, summary: 'Move a conversation through its lifecycle', params: ConversationParams, body: ChangeStateBody, response: { 200: ConversationSchema, ...errors } },
  }, async (req) => changeConversationState(deps, req.caller, req.params.tenantId, req.params.conversationId, req.body));

  r.get(`${one}/participants`, {
    schema: { tags, summary: 'List participants', params: ConversationParams, response: { 200: Type.Object({ items: Type.Array(ParticipantSchema) }), ...errors } },
  }, async (req) => ({ items: await listParticipants(deps, req.caller, req.params.tenantId, req.params.conversationId) }));

  r.post(`${one}/participants`, {
    schema: { tags, summary: 'Add a participant', params: ConversationParams, body: AddParticipantBody, response: { 201: ParticipantSchema, ...errors } },
  }, async (req, reply) => reply.code(201).send(await addParticipant(deps, req.caller, req.params.tenantId, req.params.conversationId, req.body)));

  r.delete(`${one}/participants/:participantId`, {
    schema: { tags, summary: 'A participant leaves (204)', params: ParticipantParams, response: errors },
  }, async (req, reply) => {
    await leaveConversation(deps, req.caller, req.params.tenantId, req.params.conversationId, req.params.participantId);
    return reply.code(204).send(undefined as never);
  });

  r.post(`${one}/messages`, {
    schema: {
      tags: ['messages'], summary: 'Post a message (201 new, 200 when an idempotent retry returns the first)',
      params: ConversationParams, headers: IdempotencyHeaders, body: PostMessageBody,
      response: { 200: MessageSchema, 201: MessageSchema, ...errors },
    },
  }, async (req, reply) => {
    const idempotencyKey = req.body.idempotencyKey ?? req.headers['idempotency-key'];
    const posted = await postMessage(deps, req.caller, req.params.tenantId, req.params.conversationId, { ...req.body, idempotencyKey });
    return reply.code(posted.created ? 201 : 200).send(posted.message);
  });

  r.post(`${one}/whisper`, {
    schema: {
      tags: ['supervision'], summary: 'Whisper to the agents: a supervisor message the customer and bots never see (201 new, 200 idempotent retry)',
      params: ConversationParams, headers: IdempotencyHeaders, body: WhisperBody, response: { 200: MessageSchema, 201: MessageSchema, ...errors },
    },
  }, async (req, reply) => {
    const idempotencyKey = req.body.idempotencyKey ?? req.headers['idempotency-key'];
    const posted = await postMessage(deps, req.caller, req.params.tenantId, req.params.conversationId, {
      senderRole: 'supervisor', visibility: 'whisper', text: req.body.text, idempotencyKey,
    });
    return reply.code(posted.created ? 201 : 200).send(posted.message);
  });

  r.post(`${one}/barge`, {
    schema: {
      tags: ['supervision'], summary: 'Barge in: the supervisor joins so the customer sees them (201 joined, 200 already in)',
      params: ConversationParams, body: BargeBody, response: { 200: ParticipantSchema, 201: ParticipantSchema, ...errors },
    },
  }, async (req, reply) => {
    const barged = await bargeIn(deps, req.caller, req.params.tenantId, req.params.conversationId);
    return reply.code(barged.created ? 201 : 200).send(barged.participant);
  });

  r.get(`${one}/messages`, {
    schema: {
      tags: ['messages'], summary: 'Messages after a sequence number, in order', params: ConversationParams, querystring: MessageListQuery,
      response: { 200: Type.Object({ items: Type.Array(MessageSchema), lastSeq: Type.Integer() }), ...errors },
    },
  }, async (req) => listMessages(deps, req.caller, req.params.tenantId, req.params.conversationId, req.query.after, req.query.limit));

  r.get(`${one}/context`, {
    schema: { tags: ['context'], summary: 'Get context variables', params: ConversationParams, response: { 200: Type.Object({ items: Type.Array(ContextVariableSchema) }), ...errors } },
  }, async (req) => ({ items: await getContext(deps, req.caller, req.params.tenantId, req.params.conversationId) }));

  r.patch(`${one}/context`, {
    schema: { tags: ['context'], summary: 'Set or remove context variables (all or nothing)', params: ConversationParams, body: ContextPatchBody, response: { 200: Type.Object({ items: Type.Array(ContextVariableSchema) }), ...errors } },
  }, async (req) => ({ items: await setContext(deps, req.caller, req.params.tenantId, req.params.conversationId, req.body) }));

  r.get('/v1/tenants/:tenantId/events', {
    schema: { tags: ['events'], summary: 'Read the event log after an id', params: TenantParams, querystring: EventListQuery, response: { 200: Type.Object({ items: Type.Array(EventSchema) }), ...errors } },
  }, async (req) => ({ items: await readEvents(deps, req.caller, req.params.tenantId, req.query.after, req.query.limit, req.query.conversationId) }));
}
