import type { FastifyInstance } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import { updateChannel } from '../../../app/use-cases/update-channel.js';
import { createDirectLineSecret, listDirectLineSecrets, revokeDirectLineSecret } from '../../../app/webchat/directline-secrets.js';
import { listSurveys } from '../../../app/webchat/survey-queries.js';
import type { WebchatDeps } from '../../../app/webchat/webchat-deps.js';
import { ErrorBody, TenantItemParams, TenantParams } from '../../../contracts/common.js';
import { ChannelSchema } from '../../../contracts/resources.js';
import {
  CreatedDirectLineSecretSchema, DirectLineSecretSchema, SecretParams, SurveyQuery, SurveySchema, UpdateChannelBody,
} from '../../../contracts/webchat.js';

/** Administering web chat channels: their settings, Direct Line secrets, and the survey answers. */
export function webchatAdminRoutes(app: FastifyInstance, deps: WebchatDeps): void {
  const r = app.withTypeProvider<TypeBoxTypeProvider>();
  const base = '/v1/tenants/:tenantId';
  const errors = { '4xx': ErrorBody };
  const tags = ['channels'];

  r.patch(`${base}/channels/:id`, {
    schema: { tags, summary: 'Rename a channel or replace its settings (web chat: docs/WEBCHAT.md)', params: TenantItemParams, body: UpdateChannelBody, response: { 200: ChannelSchema, ...errors } },
  }, async (req) => updateChannel(deps, req.caller, req.params.tenantId, req.params.id, req.body));
  r.post(`${base}/channels/:id/directline-secrets`, {
    schema: { tags, summary: 'Add a Direct Line secret to a web chat channel: the value is in this response only', params: TenantItemParams, response: { 201: CreatedDirectLineSecretSchema, ...errors } },
  }, async (req, reply) => reply.code(201).header('cache-control', 'no-store').send(await createDirectLineSecret(deps, req.caller, req.params.tenantId, req.params.id)));
  r.get(`${base}/channels/:id/directline-secrets`, {
    schema: { tags, summary: 'List a web chat channel\'s Direct Line secrets by hint (never their values)', params: TenantItemParams, response: { 200: Type.Object({ items: Type.Array(DirectLineSecretSchema) }), ...errors } },
  }, async (req) => ({ items: await listDirectLineSecrets(deps, req.caller, req.params.tenantId, req.params.id) }));
  r.delete(`${base}/channels/:id/directline-secrets/:secretId`, {
    schema: { tags, summary: 'Revoke a Direct Line secret (the tokens generated from it stop working too)', params: SecretParams, response: { 204: Type.Null(), ...errors } },
  }, async (req, reply) => {
    await revokeDirectLineSecret(deps, req.caller, req.params.tenantId, req.params.id, req.params.secretId);
    return reply.code(204).send(null);
  });
  r.get(`${base}/surveys`, {
    schema: { tags: ['reports'], summary: 'Satisfaction survey answers (CSAT 1-5 and comment), newest first', params: TenantParams, querystring: SurveyQuery, response: { 200: Type.Object({ items: Type.Array(SurveySchema), nextCursor: Type.Union([Type.String(), Type.Null()]) }), ...errors } },
  }, async (req) => listSurveys(deps, req.caller, req.params.tenantId, req.query));
}
