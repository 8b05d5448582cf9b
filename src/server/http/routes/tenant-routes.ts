import type { FastifyInstance } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import type { AppDeps } from '../../../app/deps.js';
import { getTenant, listTenants } from '../../../app/queries/tenant-queries.js';
import { createTenant } from '../../../app/use-cases/create-tenant.js';
import { ErrorBody, TenantParams } from '../../../contracts/common.js';
import { CreateTenantBody } from '../../../contracts/requests.js';
import { TenantSchema } from '../../../contracts/resources.js';

export function tenantRoutes(app: FastifyInstance, deps: AppDeps): void {
  const r = app.withTypeProvider<TypeBoxTypeProvider>();
  const tags = ['tenants'];

  r.post('/v1/tenants', {
    schema: { tags, summary: 'Create a tenant (platform administrators)', body: CreateTenantBody, response: { 201: TenantSchema, '4xx': ErrorBody } },
  }, async (req, reply) => reply.code(201).send(await createTenant(deps, req.caller, req.body)));

  r.get('/v1/tenants', {
    schema: { tags, summary: 'List tenants', response: { 200: Type.Object({ items: Type.Array(TenantSchema) }) } },
  }, async (req) => ({ items: await listTenants(deps, req.caller) }));

  r.get('/v1/tenants/:tenantId', {
    schema: { tags, summary: 'Get a tenant', params: TenantParams, response: { 200: TenantSchema, '4xx': ErrorBody } },
  }, async (req) => getTenant(deps, req.caller, req.params.tenantId));
}
