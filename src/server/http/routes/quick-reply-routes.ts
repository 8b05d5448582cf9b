import type { FastifyInstance } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import type { AppDeps } from '../../../app/deps.js';
import { createQuickReply, deleteQuickReply, listQuickReplies, updateQuickReply } from '../../../app/workspace/quick-replies.js';
import { renderQuickReplies } from '../../../app/workspace/quick-reply-rendering.js';
import { ErrorBody, Id, TenantItemParams } from '../../../contracts/common.js';
import { CreateQuickReplyBody, QuickReplyParams, QuickReplySchema, RenderedQuickReplySchema, UpdateQuickReplyBody } from '../../../contracts/workspace.js';

/** A queue's quick replies (templates), and the ones of a conversation's queue filled for it. */
export function quickReplyRoutes(app: FastifyInstance, deps: AppDeps): void {
  const r = app.withTypeProvider<TypeBoxTypeProvider>();
  const base = '/v1/tenants/:tenantId/queues/:id/quick-replies';
  const errors = { '4xx': ErrorBody };
  const tags = ['workspace'];

  r.get(base, {
    schema: { tags, summary: "A queue's quick replies, in creation order", params: TenantItemParams, response: { 200: Type.Object({ items: Type.Array(QuickReplySchema) }), ...errors } },
  }, async (req) => ({ items: await listQuickReplies(deps, req.caller, req.params.tenantId, req.params.id) }));

  r.post(base, {
    schema: { tags, summary: 'Add a quick reply to a queue (the template is checked: line and column of each problem)', params: TenantItemParams, body: CreateQuickReplyBody, response: { 201: QuickReplySchema, ...errors } },
  }, async (req, reply) => reply.code(201).send(await createQuickReply(deps, req.caller, req.params.tenantId, req.params.id, req.body)));

  r.patch(`${base}/:replyId`, {
    schema: { tags, summary: 'Change the title or text of a quick reply', params: QuickReplyParams, body: UpdateQuickReplyBody, response: { 200: QuickReplySchema, ...errors } },
  }, async (req) => updateQuickReply(deps, req.caller, req.params.tenantId, req.params.id, req.params.replyId, req.body));

  r.delete(`${base}/:replyId`, {
    schema: { tags, summary: 'Delete a quick reply (204)', params: QuickReplyParams, response: { 204: Type.Null(), ...errors } },
  }, async (req, reply) => {
    await deleteQuickReply(deps, req.caller, req.params.tenantId, req.params.id, req.params.replyId);
    return reply.code(204).send(null);
  });

  r.get('/v1/tenants/:tenantId/conversations/:conversationId/quick-replies', {
    schema: {
      tags, summary: "The quick replies of the conversation's queue, filled for it (plain text; missing values listed)",
      params: Type.Object({ tenantId: Id, conversationId: Id }), response: { 200: Type.Object({ items: Type.Array(RenderedQuickReplySchema) }), ...errors },
    },
  }, async (req) => ({ items: await renderQuickReplies(deps, req.caller, req.params.tenantId, req.params.conversationId) }));
}
