import type { FastifyInstance } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import type { AppDeps } from '../../../app/deps.js';
import { SwitchboardError } from '../../../app/errors.js';
import { getConversationRouting, listAgentOffers } from '../../../app/queries/routing-queries.js';
import type { RoutingEngine } from '../../../app/routing/routing-engine.js';
import { agentStatus, listAgentStatuses, listWaiting, queueStatistics, simulateRouting } from '../../../app/routing/routing-views.js';
import type { RoutingItem } from '../../../core/routing/routing-model.js';
import { OFFER_STATUSES } from '../../../core/routing/routing-model.js';
import { ErrorBody, Id, TenantItemParams, TenantParams } from '../../../contracts/common.js';
import { ParticipantSchema } from '../../../contracts/resources.js';
import {
  AgentBoardEntrySchema, AgentParams, AgentStatusSchema, ConsultBody, DecisionSchema, OfferParams, OfferSchema, PickBody, QueueStatsSchema, RejectBody,
  RouteBody, RouteResultSchema, RoutingItemSchema, SimulateBody, TransferBody,
} from '../../../contracts/routing.js';

const ConversationParams = Type.Object({ tenantId: Id, conversationId: Id });

function itemView(item: RoutingItem) {
  return {
    conversationId: item.conversationId, workstreamId: item.workstreamId, queueId: item.queueId, status: item.status, priority: item.priority,
    requiredSkills: [...item.requiredSkills], cost: item.cost, enteredAt: new Date(item.enteredAt).toISOString(), agentId: item.agentId,
    offerId: item.offerId, preferredAgentId: item.preferredAgentId, callbackRequested: item.callbackRequestedAt !== null, skillsDropped: item.skillsDropped,
  };
}

/** Routing in action: enter routing, offers, pick, transfer, consult, explanations, dry run, statistics. */
export function routingRoutes(app: FastifyInstance, deps: AppDeps, engine: RoutingEngine): void {
  const r = app.withTypeProvider<TypeBoxTypeProvider>();
  const base = '/v1/tenants/:tenantId';
  const errors = { '4xx': ErrorBody };

  r.post(`${base}/conversations/:conversationId/route`, {
    schema: {
      tags: ['routing'], summary: 'Route a conversation: classify, choose a queue, offer it to an agent', params: ConversationParams,
      body: Type.Optional(RouteBody), response: { 200: RouteResultSchema, ...errors },
    },
  }, async (req) => engine.route(req.caller, req.params.tenantId, req.params.conversationId, req.body ?? {}));

  r.get(`${base}/conversations/:conversationId/routing`, {
    schema: {
      tags: ['routing'], summary: 'Where a conversation stands in routing, and why (every decision)', params: ConversationParams,
      response: { 200: Type.Object({ item: Type.Union([RoutingItemSchema, Type.Null()]), decisions: Type.Array(DecisionSchema), offers: Type.Array(OfferSchema) }), ...errors },
    },
  }, async (req) => {
    const view = await getConversationRouting(deps, req.caller, req.params.tenantId, req.params.conversationId);
    return { item: view.item && itemView(view.item), decisions: view.decisions, offers: view.offers };
  });

  r.post(`${base}/conversations/:conversationId/transfer`, {
    schema: { tags: ['routing'], summary: 'Transfer to a queue (routing runs again) or to a named agent', params: ConversationParams, body: TransferBody, response: { 200: RoutingItemSchema, ...errors } },
  }, async (req) => {
    const { queueId, agentId, reason } = req.body;
    if ((queueId === undefined) === (agentId === undefined)) throw new SwitchboardError('SB_ERR_VALIDATION', 'Give exactly one of queueId or agentId.');
    const target = queueId !== undefined ? { queueId } : { agentId: agentId! };
    return itemView(await engine.transfer(req.caller, req.params.tenantId, req.params.conversationId, target, reason));
  });

  r.post(`${base}/conversations/:conversationId/consult`, {
    schema: { tags: ['routing'], summary: 'Invite a second agent without moving ownership', params: ConversationParams, body: ConsultBody, response: { 201: ParticipantSchema, ...errors } },
  }, async (req, reply) => reply.code(201).send(await engine.consult(req.caller, req.params.tenantId, req.params.conversationId, req.body.agentId)));

  r.get(`${base}/agents/:agentId/offers`, {
    schema: {
      tags: ['routing'], summary: "An agent's offers", params: AgentParams,
      querystring: Type.Object({ status: Type.Optional(Type.Unsafe<(typeof OFFER_STATUSES)[number]>({ type: 'string', enum: [...OFFER_STATUSES] })) }, { additionalProperties: false }),
      response: { 200: Type.Object({ items: Type.Array(OfferSchema) }), ...errors },
    },
  }, async (req) => ({ items: await listAgentOffers(deps, req.caller, req.params.tenantId, req.params.agentId, req.query.status) }));
  r.post(`${base}/agents/:agentId/offers/:offerId/accept`, {
    schema: { tags: ['routing'], summary: 'Accept an offer: the conversation becomes active with this agent', params: OfferParams, response: { 200: OfferSchema, ...errors } },
  }, async (req) => engine.accept(req.caller, req.params.tenantId, req.params.offerId, req.params.agentId));
  r.post(`${base}/agents/:agentId/offers/:offerId/reject`, {
    schema: { tags: ['routing'], summary: 'Reject an offer: the conversation goes to the next agent', params: OfferParams, body: Type.Optional(RejectBody), response: { 200: OfferSchema, ...errors } },
  }, async (req) => engine.reject(req.caller, req.params.tenantId, req.params.offerId, req.params.agentId, req.body?.reason));
  r.get(`${base}/agents/:agentId/status`, {
    schema: { tags: ['routing'], summary: "An agent's presence, load and work", params: AgentParams, response: { 200: AgentStatusSchema, ...errors } },
  }, async (req) => agentStatus(engine, deps.storage.read, req.caller, req.params.tenantId, req.params.agentId));

  r.get(`${base}/queues/:id/waiting`, {
    schema: {
      tags: ['queues'], summary: 'Conversations waiting in a queue, in serving order', params: TenantItemParams,
      querystring: Type.Object({ limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 500, default: 100 })) }, { additionalProperties: false }),
      response: { 200: Type.Object({ items: Type.Array(Type.Record(Type.String(), Type.Unknown())) }), ...errors },
    },
  }, async (req) => ({ items: await listWaiting(engine, req.caller, req.params.tenantId, req.params.id, req.query.limit ?? 100) }));
  r.post(`${base}/queues/:id/waiting/:conversationId/pick`, {
    schema: {
      tags: ['queues'], summary: 'Pick mode: an agent takes a waiting conversation (only one agent can)', params: Type.Object({ tenantId: Id, id: Id, conversationId: Id }),
      body: PickBody, response: { 200: RoutingItemSchema, ...errors },
    },
  }, async (req) => itemView(await engine.pick(req.caller, req.params.tenantId, req.params.id, req.params.conversationId, req.body.agentId)));
  r.get(`${base}/queues/:id/stats`, {
    schema: { tags: ['queues'], summary: 'Real-time statistics of a queue', params: TenantItemParams, response: { 200: QueueStatsSchema, ...errors } },
  }, async (req) => (await queueStatistics(engine, req.caller, req.params.tenantId, req.params.id))[0]!);
  r.get(`${base}/routing/stats`, {
    schema: { tags: ['routing'], summary: 'Real-time statistics of every queue', params: TenantParams, response: { 200: Type.Object({ items: Type.Array(QueueStatsSchema) }), ...errors } },
  }, async (req) => ({ items: await queueStatistics(engine, req.caller, req.params.tenantId) }));

  r.get(`${base}/routing/agents`, {
    schema: {
      tags: ['routing'], summary: "The wallboard's agents: each one's presence, load and work, for the agents in scope", params: TenantParams,
      response: { 200: Type.Object({ items: Type.Array(AgentBoardEntrySchema) }), ...errors },
    },
  }, async (req) => ({ items: await listAgentStatuses(engine, deps.storage.read, req.caller, req.params.tenantId) }));

  r.post(`${base}/routing/simulate`, {
    schema: {
      tags: ['routing'], summary: 'Dry run: the decision and explanation a context would get now; changes nothing', params: TenantParams,
      body: SimulateBody, response: { 200: Type.Record(Type.String(), Type.Unknown()), ...errors },
    },
  }, async (req) => simulateRouting(engine, req.caller, req.params.tenantId, req.body, Math.random()));
}
