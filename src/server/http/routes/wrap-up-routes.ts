import type { FastifyInstance } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import type { AppDeps } from '../../../app/deps.js';
import { finishWrapUp } from '../../../app/workspace/finish-wrap-up.js';
import { getConversationWrapUp } from '../../../app/workspace/wrap-up-queries.js';
import { ErrorBody, Id } from '../../../contracts/common.js';
import { ConversationWrapUpSchema, FinishedWrapUpSchema, FinishWrapUpBody } from '../../../contracts/workspace.js';

const ConversationParams = Type.Object({ tenantId: Id, conversationId: Id });

/** Wrap-up of a conversation: the queue's codes and time with the record, and the agent's finish. */
export function wrapUpRoutes(app: FastifyInstance, deps: AppDeps): void {
  const r = app.withTypeProvider<TypeBoxTypeProvider>();
  const path = '/v1/tenants/:tenantId/conversations/:conversationId/wrap-up';
  const errors = { '4xx': ErrorBody };
  const tags = ['workspace'];

  r.get(path, {
    schema: { tags, summary: "The conversation's wrap-up: its queue's codes and time, and the record once started", params: ConversationParams, response: { 200: ConversationWrapUpSchema, ...errors } },
  }, async (req) => getConversationWrapUp(deps, req.caller, req.params.tenantId, req.params.conversationId));

  r.post(path, {
    schema: {
      tags, summary: 'Finish wrap-up: record the code and notes and close the conversation (an active one goes through wrap_up)',
      params: ConversationParams, body: FinishWrapUpBody, response: { 200: FinishedWrapUpSchema, ...errors },
    },
  }, async (req) => finishWrapUp(deps, req.caller, req.params.tenantId, req.params.conversationId, req.body));
}
