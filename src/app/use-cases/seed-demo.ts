import { SYSTEM_CALLER } from '../caller.js';
import type { AppDeps } from '../deps.js';
import type { Agent, Channel, Conversation, Queue, Tenant } from '../../core/model.js';
import type { Workstream } from '../../core/routing/routing-model.js';
import type { Caller } from '../caller.js';
import { createAgent } from './create-agent.js';
import { createChannel } from './create-channel.js';
import { createConversation } from './create-conversation.js';
import { createQueue } from './create-queue.js';
import { createSkill } from './create-skill.js';
import { createWorkstream } from './create-workstream.js';
import { createTenant } from './create-tenant.js';
import { postMessage } from './post-message.js';

export const DEMO_TENANT_NAME = 'Demo Contact Center';

export interface DemoData {
  readonly created: boolean;
  readonly tenant: Tenant;
  readonly channel?: Channel;
  readonly queues?: Queue[];
  readonly agents?: Agent[];
  readonly workstream?: Workstream;
  readonly conversation?: Conversation;
}

/** What the seed needs of the routing engine: putting the demo conversation into routing. */
export interface DemoRouter {
  route(caller: Caller, tenantId: string, conversationId: string): Promise<unknown>;
}

/**
 * Seeds a demo tenant: a web chat channel, skills, two queues, two agents (signed out), a web chat
 * workstream whose rules send billing questions to Billing, and one conversation routed there,
 * waiting with a short transcript and context. Running it again changes nothing. Later issues add
 * their parts here (the bot, the widget page).
 */
export async function seedDemo(deps: AppDeps, router: DemoRouter): Promise<DemoData> {
  const existing = (await deps.storage.read.listTenants()).find((t) => t.name === DEMO_TENANT_NAME);
  if (existing) return { created: false, tenant: existing };

  const c = SYSTEM_CALLER;
  const tenant = await createTenant(deps, c, { name: DEMO_TENANT_NAME });
  // Its settings are what the widget on the demo page (GET /webchat/demo) shows: docs/WEBCHAT.md.
  const channel = await createChannel(deps, c, tenant.id, {
    type: 'webchat', name: 'Website chat',
    config: {
      title: 'Demo Support',
      prechat: { fields: [
        { name: 'name', label: 'Your name', type: 'text', required: true, maxLength: 80 },
        { name: 'email', label: 'E-mail (optional)', type: 'email' },
        { name: 'topic', label: 'What is it about?', type: 'select', required: true, options: ['Billing', 'Orders', 'Something else'] },
      ] },
      csat: { enabled: true },
    },
  });
  for (const name of ['english', 'french', 'billing']) await createSkill(deps, c, tenant.id, { name });
  const alice = await createAgent(deps, c, tenant.id, { kind: 'human', displayName: 'Alice Agent', email: 'alice@demo.example', capacity: 3, skills: { english: 9, french: 6 } });
  const bob = await createAgent(deps, c, tenant.id, { kind: 'human', displayName: 'Bob Agent', email: 'bob@demo.example', capacity: 2, skills: { english: 7, billing: 8 } });
  const general = await createQueue(deps, c, tenant.id, { name: 'General support', priority: 1, memberIds: [alice.id, bob.id], routing: { assignmentMethod: 'longest-idle' } });
  const billing = await createQueue(deps, c, tenant.id, {
    name: 'Billing', priority: 2, memberIds: [bob.id],
    routing: {
      assignmentMethod: 'best-skill', wrapUpSeconds: 120,
      wrapUpCodes: [{ code: 'refund-issued', label: 'Refund issued' }, { code: 'explained', label: 'Charge explained' }, { code: 'follow-up', label: 'Needs a follow-up' }],
    },
  });
  const workstream = await createWorkstream(deps, c, tenant.id, {
    name: 'Website chat', channelTypes: ['webchat'], fallbackQueueId: general.id,
    classificationRules: [
      { id: 'gold-first', condition: 'customer.tier == "gold"', set: { priority: 5 } },
      { id: 'billing-skill', condition: 'page.url contains "/billing"', set: { requiredSkills: [{ skill: 'billing', minProficiency: 5 }] } },
    ],
    routeRules: [{ id: 'billing-pages', condition: 'page.url contains "/billing"', queueId: billing.id }],
  });

  const { conversation } = await createConversation(deps, c, tenant.id, {
    channelId: channel.id,
    customer: { address: 'visitor-demo-1', displayName: 'Dana Customer' },
    subject: 'Question about my invoice',
    context: {
      'customer.tier': { type: 'string', value: 'gold' },
      'customer.language': { type: 'string', value: 'en' },
      'page.url': { type: 'string', value: 'https://shop.demo.example/billing' },
    },
  });
  await postMessage(deps, c, tenant.id, conversation.id, { senderRole: 'customer', senderId: conversation.contactId, text: 'Hello, I was charged twice for order 1042.', idempotencyKey: 'demo-1' });
  await postMessage(deps, c, tenant.id, conversation.id, { senderRole: 'system', text: 'You are number 1 in the queue.', idempotencyKey: 'demo-2' });
  await router.route(c, tenant.id, conversation.id);
  const routed = (await deps.storage.read.getConversation(tenant.id, conversation.id)) ?? conversation;
  return { created: true, tenant, channel, queues: [general, billing], agents: [alice, bob], workstream, conversation: routed };
}
