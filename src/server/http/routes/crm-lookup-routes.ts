import type { FastifyInstance } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import { lookUpCrm, type CrmLookupDeps } from '../../../app/workspace/crm-lookup.js';
import { deleteCrmLookup, getCrmLookup, putCrmLookup } from '../../../app/workspace/crm-lookup-settings.js';
import { ErrorBody, Id, TenantParams } from '../../../contracts/common.js';
import { CrmLookupSchema, CrmPanelSchema, PutCrmLookupBody } from '../../../contracts/workspace.js';

/** The tenant's CRM lookup (`integrations.configure`; header values write-only) and a conversation's screen pop. */
export function crmLookupRoutes(app: FastifyInstance, deps: CrmLookupDeps): void {
  const r = app.withTypeProvider<TypeBoxTypeProvider>();
  const path = '/v1/tenants/:tenantId/crm-lookup';
  const errors = { '4xx': ErrorBody, '5xx': ErrorBody };
  const tags = ['workspace'];

  r.get(path, {
    schema: { tags, summary: 'The CRM lookup settings, header values masked (404 SB_ERR_CRM_LOOKUP_NOT_CONFIGURED when there are none)', params: TenantParams, response: { 200: CrmLookupSchema, ...errors } },
  }, async (req) => getCrmLookup(deps, req.caller, req.params.tenantId));

  r.put(path, {
    schema: { tags, summary: 'Set the CRM lookup (replaces it; omitted headers keep the stored ones)', params: TenantParams, body: PutCrmLookupBody, response: { 200: CrmLookupSchema, ...errors } },
  }, async (req) => putCrmLookup(deps, req.caller, req.params.tenantId, req.body));

  r.delete(path, {
    schema: { tags, summary: 'Remove the CRM lookup (204)', params: TenantParams, response: { 204: Type.Null(), ...errors } },
  }, async (req, reply) => {
    await deleteCrmLookup(deps, req.caller, req.params.tenantId);
    return reply.code(204).send(null);
  });

  r.get('/v1/tenants/:tenantId/conversations/:conversationId/crm', {
    schema: {
      tags, summary: "The screen pop: the CRM lookup's fields for the conversation's customer, asked now (502 SB_ERR_CRM_LOOKUP_FAILED when it does not answer usably)",
      params: Type.Object({ tenantId: Id, conversationId: Id }), response: { 200: CrmPanelSchema, ...errors },
    },
  }, async (req, reply) => {
    const panel = await lookUpCrm(deps, req.caller, req.params.tenantId, req.params.conversationId);
    // Customer data from another system, fetched for this agent now: no cache may keep it.
    return reply.header('cache-control', 'no-store').send(panel);
  });
}
