import type { Agent, Channel, Contact, Queue } from '../../core/model.js';
import { allowedOn, queueScope, type Caller } from '../caller.js';
import type { AppDeps } from '../deps.js';
import { SwitchboardError } from '../errors.js';
import { keysetPage, type Page } from '../pagination.js';
import { agentInScope } from '../scope.js';
import { requireTenant } from '../tenant-access.js';

/**
 * Reads of a tenant's directory: channels, contacts, agents and queues. Queues and agents are
 * filtered by the caller's queue scope: a supervisor of two queues sees those two and their members.
 */
export async function listChannels(deps: AppDeps, caller: Caller, tenantId: string): Promise<Channel[]> {
  await requireTenant(deps, caller, tenantId, 'channels.read');
  return deps.storage.read.listChannels(tenantId);
}

export async function getChannel(deps: AppDeps, caller: Caller, tenantId: string, id: string): Promise<Channel> {
  await requireTenant(deps, caller, tenantId, 'channels.read');
  return found(await deps.storage.read.getChannel(tenantId, id), 'SB_ERR_CHANNEL_NOT_FOUND');
}

export async function getContact(deps: AppDeps, caller: Caller, tenantId: string, id: string): Promise<Contact> {
  await requireTenant(deps, caller, tenantId, 'contacts.read');
  return found(await deps.storage.read.getContact(tenantId, id), 'SB_ERR_CONTACT_NOT_FOUND');
}

export async function listContacts(deps: AppDeps, caller: Caller, tenantId: string, limit?: number, cursor?: string): Promise<Page<Contact>> {
  await requireTenant(deps, caller, tenantId, 'contacts.read');
  return keysetPage(limit, cursor, (beforeId, n) => deps.storage.read.listContacts(tenantId, { beforeId, limit: n }));
}

export async function listAgents(deps: AppDeps, caller: Caller, tenantId: string): Promise<Agent[]> {
  await requireTenant(deps, caller, tenantId, 'agents.read');
  const agents = await deps.storage.read.listAgents(tenantId);
  if (queueScope(caller, 'agents.read') === 'all') return agents;
  const queues = await deps.storage.read.listQueues(tenantId);
  return agents.filter((a) => agentInScope(caller, 'agents.read', a.id, queues));
}

export async function getAgent(deps: AppDeps, caller: Caller, tenantId: string, id: string): Promise<Agent> {
  await requireTenant(deps, caller, tenantId, 'agents.read');
  const agent = found(await deps.storage.read.getAgent(tenantId, id), 'SB_ERR_AGENT_NOT_FOUND');
  if (queueScope(caller, 'agents.read') !== 'all' && !agentInScope(caller, 'agents.read', id, await deps.storage.read.listQueues(tenantId))) {
    throw new SwitchboardError('SB_ERR_AGENT_NOT_FOUND');
  }
  return agent;
}

export async function listQueues(deps: AppDeps, caller: Caller, tenantId: string): Promise<Queue[]> {
  await requireTenant(deps, caller, tenantId, 'queues.read');
  return (await deps.storage.read.listQueues(tenantId)).filter((q) => allowedOn(caller, 'queues.read', q.id));
}

export async function getQueue(deps: AppDeps, caller: Caller, tenantId: string, id: string): Promise<Queue> {
  await requireTenant(deps, caller, tenantId, 'queues.read');
  const queue = found(await deps.storage.read.getQueue(tenantId, id), 'SB_ERR_QUEUE_NOT_FOUND');
  if (!allowedOn(caller, 'queues.read', id)) throw new SwitchboardError('SB_ERR_QUEUE_NOT_FOUND');
  return queue;
}

function found<T>(value: T | undefined, code: 'SB_ERR_CHANNEL_NOT_FOUND' | 'SB_ERR_CONTACT_NOT_FOUND' | 'SB_ERR_AGENT_NOT_FOUND' | 'SB_ERR_QUEUE_NOT_FOUND'): T {
  if (value === undefined) throw new SwitchboardError(code);
  return value;
}
