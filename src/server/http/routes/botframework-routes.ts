import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import type { BotDeps } from '../../../app/bots/bot-deps.js';
import { serviceUrlFor } from '../../../app/bots/bot-deps.js';
import type { BotDispatcher } from '../../../app/bots/bot-dispatcher.js';
import { dismissAssistBot, inviteAssistBot, listAssistBots } from '../../../app/bots/assist-invitations.js';
import { getBot, listBots, registerBot, updateBot, type BotView } from '../../../app/bots/bot-registry.js';
import { conversationMembers, deleteActivity, sendActivity, updateActivity, type ConnectorCall } from '../../../app/bots/connector-service.js';
import { DirectLineError } from '../../../app/webchat/directline-error.js';
import { MAX_ACTIVITY_CHARS } from '../../../core/webchat/directline-activity.js';
import { AssistBotsSchema, AssistPartSchema, BotSchema, InviteAssistBotBody, RegisterBotBody, UpdateBotBody } from '../../../contracts/bots.js';
import { ErrorBody, Id, TenantItemParams, TenantParams } from '../../../contracts/common.js';
import { botFrameworkErrorHandler } from './directline-routes.js';

/** The bot as the API shows it: with the serviceUrl it is given, so an administrator can check it. */
function shown(deps: BotDeps, bot: BotView, request: FastifyRequest) {
  let base: string;
  try {
    base = deps.publicUrl();
  } catch {
    // Not listening (an in-process request): the address the request came to.
    base = `${request.protocol}://${request.host}`;
  }
  return {
    ...bot,
    entra: bot.entra && { ...bot.entra, tenantIds: [...bot.entra.tenantIds] },
    assistQueueIds: [...bot.assistQueueIds],
    escalatePhrases: Object.fromEntries(Object.entries(bot.escalatePhrases).map(([locale, list]) => [locale, [...list]])),
    serviceUrl: serviceUrlFor(base, bot.tenantId),
  };
}

/** Administering bots: `/v1/tenants/{t}/bots` (docs/BOTS.md). */
export function botAdminRoutes(app: FastifyInstance, deps: BotDeps, dispatcher: BotDispatcher): void {
  const r = app.withTypeProvider<TypeBoxTypeProvider>();
  const base = '/v1/tenants/:tenantId';
  const errors = { '4xx': ErrorBody };
  const tags = ['bots'];

  r.post(`${base}/bots`, {
    schema: { tags, summary: 'Register a bot with the Bot Framework channel (creates its bot agent unless agentId names one)', params: TenantParams, body: RegisterBotBody, response: { 201: BotSchema, ...errors } },
  }, async (req, reply) => reply.code(201).send(shown(deps, await registerBot(deps, req.caller, req.params.tenantId, req.body), req)));
  r.get(`${base}/bots`, {
    schema: { tags, summary: 'List the bots registered with the channel', params: TenantParams, response: { 200: Type.Object({ items: Type.Array(BotSchema) }), ...errors } },
  }, async (req) => ({ items: (await listBots(deps, req.caller, req.params.tenantId)).map((b) => shown(deps, b, req)) }));
  r.get(`${base}/bots/:id`, {
    schema: { tags, summary: 'Read a bot: settings, health, presence', params: TenantItemParams, response: { 200: BotSchema, ...errors } },
  }, async (req) => shown(deps, await getBot(deps, req.caller, req.params.tenantId, req.params.id), req));
  r.patch(`${base}/bots/:id`, {
    schema: { tags, summary: 'Change a bot; state "disconnected" stops all traffic to it and hands its conversations to people, "active" reconnects it (also after it was unhealthy)', params: TenantItemParams, body: UpdateBotBody, response: { 200: BotSchema, ...errors } },
  }, async (req) => {
    const { bot, disconnected } = await updateBot(deps, req.caller, req.params.tenantId, req.params.id, req.body);
    if (disconnected) await dispatcher.handOverAll(req.params.tenantId, bot.id, 'disconnected');
    return shown(deps, bot, req);
  });

  // Assist bots in one conversation: the agent who has it (or a supervisor of its queue) asks one in or sends it away.
  const assist = `${base}/conversations/:conversationId/assist-bots`;
  const AssistParams = Type.Object({ tenantId: Id, conversationId: Id });
  const assistTags = ['bots', 'supervision'];
  r.get(assist, {
    schema: { tags: assistTags, summary: 'The assist bots that advise in the conversation, and those that could be invited', params: AssistParams, response: { 200: AssistBotsSchema, ...errors } },
  }, async (req) => listAssistBots(deps, req.caller, req.params.tenantId, req.params.conversationId));
  r.post(assist, {
    schema: {
      tags: assistTags, summary: 'Invite an assist bot into this conversation: it hears the transcript and what follows, and advises the agent only (201 new, 200 already advising)',
      params: AssistParams, body: InviteAssistBotBody, response: { 200: AssistPartSchema, 201: AssistPartSchema, ...errors },
    },
  }, async (req, reply) => {
    const { part, created } = await inviteAssistBot(deps, req.caller, req.params.tenantId, req.params.conversationId, req.body.botId);
    return reply.code(created ? 201 : 200).send({ conversationId: part.conversationId, botId: part.botId, state: part.state, since: part.boundAt });
  });
  r.delete(`${assist}/:botId`, {
    schema: { tags: assistTags, summary: 'Send an assist bot away from this conversation (204); it hears endOfConversation', params: Type.Object({ tenantId: Id, conversationId: Id, botId: Id }), response: errors },
  }, async (req, reply) => {
    await dismissAssistBot(deps, req.caller, req.params.tenantId, req.params.conversationId, req.params.botId);
    return reply.code(204).send(undefined as never);
  });
}

type ConversationParams = { tenantId: string; conversationId: string };

/**
 * The Connector API v3 at each tenant's serviceUrl (`/botframework/{tenantId}/v3/...`,
 * PROTOCOLS.md section 3): what bots call to answer. Its own authentication (per bot,
 * `BotAuthenticator`) and Bot Framework error codes; hidden from the OpenAPI document.
 */
export async function connectorRoutes(app: FastifyInstance, deps: BotDeps): Promise<void> {
  await app.register(async (scope) => {
    scope.setErrorHandler(botFrameworkErrorHandler('Connector API'));
    const config = { public: true };
    const schema = { hide: true } as const;
    const bodyLimit = MAX_ACTIVITY_CHARS * 4;
    const prefix = '/botframework/:tenantId/v3/conversations/:conversationId';
    const call = (request: FastifyRequest<{ Params: ConversationParams }>): ConnectorCall => ({
      tenantId: request.params.tenantId,
      conversationId: request.params.conversationId,
      authorization: typeof request.headers.authorization === 'string' ? request.headers.authorization : undefined,
      context: { origin: { ip: request.ip, userAgent: request.headers['user-agent'] ?? null }, requestBase: `${request.protocol}://${request.host}` },
    });

    scope.post<{ Params: ConversationParams }>(`${prefix}/activities`, { config, schema, bodyLimit }, async (request) => sendActivity(deps, call(request), request.body));
    scope.post<{ Params: ConversationParams & { activityId: string } }>(`${prefix}/activities/:activityId`, { config, schema, bodyLimit }, async (request) => sendActivity(deps, call(request), request.body));
    scope.get<{ Params: ConversationParams }>(`${prefix}/members`, { config, schema }, async (request) => conversationMembers(deps, call(request)));
    scope.put<{ Params: ConversationParams & { activityId: string } }>(`${prefix}/activities/:activityId`, { config, schema, bodyLimit }, async (request) => (
      updateActivity(deps, call(request), request.params.activityId, request.body)));
    // 200 with no body, as the Connector answers DeleteActivity.
    scope.delete<{ Params: ConversationParams & { activityId: string } }>(`${prefix}/activities/:activityId`, { config, schema }, async (request, reply) => {
      await deleteActivity(deps, call(request), request.params.activityId);
      return reply.code(200).send();
    });
    // Proactive conversations: a contact center's customers come to it; a bot cannot open one.
    const noProactive = async (): Promise<never> => {
      throw new DirectLineError('BadArgument', 'This channel does not let bots create or list conversations; customers start them.');
    };
    scope.post('/botframework/:tenantId/v3/conversations', { config, schema, bodyLimit }, noProactive);
    scope.get('/botframework/:tenantId/v3/conversations', { config, schema }, noProactive);
  });
}
