import type { FastifyInstance } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import type { AppDeps } from '../../../app/deps.js';
import { getAgent, getChannel, getContact, getQueue, listAgents, listChannels, listContacts, listQueues } from '../../../app/queries/directory-queries.js';
import { addQueueMember } from '../../../app/use-cases/add-queue-member.js';
import { createAgent } from '../../../app/use-cases/create-agent.js';
import { createChannel } from '../../../app/use-cases/create-channel.js';
import { createContact } from '../../../app/use-cases/create-contact.js';
import { createQueue } from '../../../app/use-cases/create-queue.js';
import { ErrorBody, Page, PageQuery, TenantItemParams, TenantParams } from '../../../contracts/common.js';
import { AddQueueMemberBody, CreateAgentBody, CreateChannelBody, CreateContactBody, CreateQueueBody } from '../../../contracts/requests.js';
import { AgentSchema, ChannelSchema, ContactSchema, QueueSchema } from '../../../contracts/resources.js';

/** Channels, contacts, agents and queues: the tenant's directory. */
export function directoryRoutes(app: FastifyInstance, deps: AppDeps): void {
  const r = app.withTypeProvider<TypeBoxTypeProvider>();
  const base = '/v1/tenants/:tenantId';
  const errors = { '4xx': ErrorBody };

  r.post(`${base}/channels`, {
    schema: { tags: ['channels'], summary: 'Create a channel', params: TenantParams, body: CreateChannelBody, response: { 201: ChannelSchema, ...errors } },
  }, async (req, reply) => reply.code(201).send(await createChannel(deps, req.caller, req.params.tenantId, req.body)));
  r.get(`${base}/channels`, {
    schema: { tags: ['channels'], summary: 'List channels', params: TenantParams, response: { 200: Type.Object({ items: Type.Array(ChannelSchema) }), ...errors } },
  }, async (req) => ({ items: await listChannels(deps, req.caller, req.params.tenantId) }));
  r.get(`${base}/channels/:id`, {
    schema: { tags: ['channels'], summary: 'Get a channel', params: TenantItemParams, response: { 200: ChannelSchema, ...errors } },
  }, async (req) => getChannel(deps, req.caller, req.params.tenantId, req.params.id));

  r.post(`${base}/contacts`, {
    schema: { tags: ['contacts'], summary: 'Create a contact (a customer)', params: TenantParams, body: CreateContactBody, response: { 201: ContactSchema, ...errors } },
  }, async (req, reply) => reply.code(201).send(await createContact(deps, req.caller, req.params.tenantId, req.body)));
  r.get(`${base}/contacts`, {
    schema: { tags: ['contacts'], summary: 'List contacts, newest first', params: TenantParams, querystring: PageQuery, response: { 200: Page(ContactSchema), ...errors } },
  }, async (req) => listContacts(deps, req.caller, req.params.tenantId, req.query.limit, req.query.cursor));
  r.get(`${base}/contacts/:id`, {
    schema: { tags: ['contacts'], summary: 'Get a contact', params: TenantItemParams, response: { 200: ContactSchema, ...errors } },
  }, async (req) => getContact(deps, req.caller, req.params.tenantId, req.params.id));

  r.post(`${base}/agents`, {
    schema: { tags: ['agents'], summary: 'Create an agent (human or bot)', params: TenantParams, body: CreateAgentBody, response: { 201: AgentSchema, ...errors } },
  }, async (req, reply) => reply.code(201).send(await createAgent(deps, req.caller, req.params.tenantId, req.body)));
  r.get(`${base}/agents`, {
    schema: { tags: ['agents'], summary: 'List agents', params: TenantParams, response: { 200: Type.Object({ items: Type.Array(AgentSchema) }), ...errors } },
  }, async (req) => ({ items: await listAgents(deps, req.caller, req.params.tenantId) }));
  r.get(`${base}/agents/:id`, {
    schema: { tags: ['agents'], summary: 'Get an agent', params: TenantItemParams, response: { 200: AgentSchema, ...errors } },
  }, async (req) => getAgent(deps, req.caller, req.params.tenantId, req.params.id));

  r.post(`${base}/queues`, {
    schema: { tags: ['queues'], summary: 'Create a queue', params: TenantParams, body: CreateQueueBody, response: { 201: QueueSchema, ...errors } },
  }, async (req, reply) => reply.code(201).send(await createQueue(deps, req.caller, req.params.tenantId, req.body)));
  r.get(`${base}/queues`, {
    schema: { tags: ['queues'], summary: 'List queues', params: TenantParams, response: { 200: Type.Object({ items: Type.Array(QueueSchema) }), ...errors } },
  }, async (req) => ({ items: await listQueues(deps, req.caller, req.params.tenantId) }));
  r.get(`${base}/queues/:id`, {
    schema: { tags: ['queues'], summary: 'Get a queue', params: TenantItemParams, response: { 200: QueueSchema, ...errors } },
  }, async (req) => getQueue(deps, req.caller, req.params.tenantId, req.params.id));
  r.post(`${base}/queues/:id/members`, {
    schema: { tags: ['queues'], summary: 'Add an agent to a queue', params: TenantItemParams, body: AddQueueMemberBody, response: { 200: QueueSchema, ...errors } },
  }, async (req) => addQueueMember(deps, req.caller, req.params.tenantId, req.params.id, req.body.agentId));
}
