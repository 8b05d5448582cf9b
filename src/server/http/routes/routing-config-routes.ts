import type { FastifyInstance } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import type { AppDeps } from '../../../app/deps.js';
import { getWorkstream, listSkills, listWorkstreams } from '../../../app/queries/routing-queries.js';
// Rule variables arrive untyped and are checked at save time (checkClassificationOutcome).
import type { WorkstreamInput } from '../../../app/routing/workstream-input.js';
import { createSkill } from '../../../app/use-cases/create-skill.js';
import { createWorkstream } from '../../../app/use-cases/create-workstream.js';
import { deleteQueue } from '../../../app/use-cases/delete-queue.js';
import { deleteWorkstream } from '../../../app/use-cases/delete-workstream.js';
import { removeQueueMember } from '../../../app/use-cases/remove-queue-member.js';
import { setAgentPresence } from '../../../app/use-cases/set-agent-presence.js';
import { updateAgent } from '../../../app/use-cases/update-agent.js';
import { updateQueue } from '../../../app/use-cases/update-queue.js';
import { updateWorkstream } from '../../../app/use-cases/update-workstream.js';
import { ErrorBody, Id, TenantItemParams, TenantParams } from '../../../contracts/common.js';
import { AgentSchema, QueueSchema } from '../../../contracts/resources.js';
import {
  CreateSkillBody, PresenceBody, SkillSchema, UpdateAgentBody, UpdateQueueBody, UpdateWorkstreamBody, WorkstreamBody, WorkstreamSchema,
} from '../../../contracts/routing.js';

/** Routing configuration: skills, agent profiles and presence, workstreams, queue settings. */
export function routingConfigRoutes(app: FastifyInstance, deps: AppDeps): void {
  const r = app.withTypeProvider<TypeBoxTypeProvider>();
  const base = '/v1/tenants/:tenantId';
  const errors = { '4xx': ErrorBody };

  r.post(`${base}/skills`, {
    schema: { tags: ['routing'], summary: 'Define a skill', params: TenantParams, body: CreateSkillBody, response: { 201: SkillSchema, ...errors } },
  }, async (req, reply) => reply.code(201).send(await createSkill(deps, req.caller, req.params.tenantId, req.body)));
  r.get(`${base}/skills`, {
    schema: { tags: ['routing'], summary: 'List skills', params: TenantParams, response: { 200: Type.Object({ items: Type.Array(SkillSchema) }), ...errors } },
  }, async (req) => ({ items: await listSkills(deps, req.caller, req.params.tenantId) }));

  r.patch(`${base}/agents/:id`, {
    schema: { tags: ['agents'], summary: 'Change an agent (capacity, skills, attributes, name)', params: TenantItemParams, body: UpdateAgentBody, response: { 200: AgentSchema, ...errors } },
  }, async (req) => updateAgent(deps, req.caller, req.params.tenantId, req.params.id, req.body));
  r.put(`${base}/agents/:id/presence`, {
    schema: { tags: ['agents'], summary: "Set an agent's presence; waiting work may be offered at once", params: TenantItemParams, body: PresenceBody, response: { 200: AgentSchema, ...errors } },
  }, async (req) => setAgentPresence(deps, req.caller, req.params.tenantId, req.params.id, req.body.presence));

  r.post(`${base}/workstreams`, {
    schema: { tags: ['routing'], summary: 'Create a workstream with its rules', params: TenantParams, body: WorkstreamBody, response: { 201: WorkstreamSchema, ...errors } },
  }, async (req, reply) => reply.code(201).send(await createWorkstream(deps, req.caller, req.params.tenantId, req.body as WorkstreamInput)));
  r.get(`${base}/workstreams`, {
    schema: { tags: ['routing'], summary: 'List workstreams', params: TenantParams, response: { 200: Type.Object({ items: Type.Array(WorkstreamSchema) }), ...errors } },
  }, async (req) => ({ items: await listWorkstreams(deps, req.caller, req.params.tenantId) }));
  r.get(`${base}/workstreams/:id`, {
    schema: { tags: ['routing'], summary: 'Get a workstream', params: TenantItemParams, response: { 200: WorkstreamSchema, ...errors } },
  }, async (req) => getWorkstream(deps, req.caller, req.params.tenantId, req.params.id));
  r.put(`${base}/workstreams/:id`, {
    schema: { tags: ['routing'], summary: 'Replace a workstream (new version)', params: TenantItemParams, body: UpdateWorkstreamBody, response: { 200: WorkstreamSchema, ...errors } },
  }, async (req) => updateWorkstream(deps, req.caller, req.params.tenantId, req.params.id, req.body as WorkstreamInput));
  r.delete(`${base}/workstreams/:id`, {
    schema: { tags: ['routing'], summary: 'Delete a workstream no conversation is routed by', params: TenantItemParams, response: { 204: Type.Null(), ...errors } },
  }, async (req, reply) => {
    await deleteWorkstream(deps, req.caller, req.params.tenantId, req.params.id);
    return reply.code(204).send(null);
  });

  r.patch(`${base}/queues/:id`, {
    schema: { tags: ['queues'], summary: 'Change a queue: priority, assignment method, hours, overflow', params: TenantItemParams, body: UpdateQueueBody, response: { 200: QueueSchema, ...errors } },
  }, async (req) => updateQueue(deps, req.caller, req.params.tenantId, req.params.id, req.body));
  r.delete(`${base}/queues/:id`, {
    schema: { tags: ['queues'], summary: 'Delete a queue no rule names and no conversation is in', params: TenantItemParams, response: { 204: Type.Null(), ...errors } },
  }, async (req, reply) => {
    await deleteQueue(deps, req.caller, req.params.tenantId, req.params.id);
    return reply.code(204).send(null);
  });
  r.delete(`${base}/queues/:id/members/:agentId`, {
    schema: { tags: ['queues'], summary: 'Remove an agent from a queue', params: Type.Object({ tenantId: Id, id: Id, agentId: Id }), response: { 204: Type.Null(), ...errors } },
  }, async (req, reply) => {
    await removeQueueMember(deps, req.caller, req.params.tenantId, req.params.id, req.params.agentId);
    return reply.code(204).send(null);
  });
}
