import type { FastifyInstance } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import type { AppDeps } from '../../../app/deps.js';
import type { ConversationFeed } from '../../../app/webchat/conversation-feed.js';
import { announceAgentTyping } from '../../../app/webchat/typing.js';
import { ErrorBody, Id } from '../../../contracts/common.js';

/** An agent's typing indicator (the workspace sends it while the agent types; also a WebSocket command). */
export function typingRoutes(app: FastifyInstance, deps: AppDeps, feed: ConversationFeed): void {
  const r = app.withTypeProvider<TypeBoxTypeProvider>();
  r.post('/v1/tenants/:tenantId/conversations/:conversationId/typing', {
    schema: {
      tags: ['conversations'], summary: 'An agent is typing: shown to the customer (web chat), never stored',
      params: Type.Object({ tenantId: Id, conversationId: Id }), body: Type.Object({ agentId: Id }, { additionalProperties: false }),
      response: { 204: Type.Null(), '4xx': ErrorBody },
    },
  }, async (req, reply) => {
    await announceAgentTyping(deps, feed, req.caller, req.params.tenantId, req.params.conversationId, req.body.agentId);
    return reply.code(204).send(null);
  });
}
