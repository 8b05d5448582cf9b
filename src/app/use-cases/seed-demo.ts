import { SYSTEM_CALLER } from '../caller.js';
import type { AppDeps } from '../deps.js';
import type { Agent, Channel, Conversation, Queue, Tenant } from '../../core/model.js';
import { changeConversationState } from './change-conversation-state.js';
import { createAgent } from './create-agent.js';
import { createChannel } from './create-channel.js';
import { createConversation } from './create-conversation.js';
import { createQueue } from './create-queue.js';
import { createTenant } from './create-tenant.js';
import { postMessage } from './post-message.js';

export const DEMO_TENANT_NAME = 'Demo Contact Center';

export interface DemoData {
  readonly created: boolean;
  readonly tenant: Tenant;
  readonly channel?: Channel;
  readonly queues?: Queue[];
  readonly agents?: Agent[];
  readonly conversation?: Conversation;
}

/**
 * Seeds a demo tenant: a web chat channel, two queues, two agents, and one waiting conversation
 * with a short transcript and context. Running it again changes nothing. Later issues add their
 * parts here (the bot, the widget page).
 */
export async function seedDemo(deps: AppDeps): Promise<DemoData> {
  const existing = (await deps.storage.read.listTenants()).find((t) => t.name === DEMO_TENANT_NAME);
  if (existing) return { created: false, tenant: existing };

  const c = SYSTEM_CALLER;
  const tenant = await createTenant(deps, c, { name: DEMO_TENANT_NAME });
  const channel = await createChannel(deps, c, tenant.id, { type: 'webchat', name: 'Website chat', config: { greeting: 'Hi! How can we help?' } });
  const alice = await createAgent(deps, c, tenant.id, { kind: 'human', displayName: 'Alice Agent', email: 'alice@demo.example', capacity: 3 });
  const bob = await createAgent(deps, c, tenant.id, { kind: 'human', displayName: 'Bob Agent', email: 'bob@demo.example', capacity: 2 });
  const general = await createQueue(deps, c, tenant.id, { name: 'General support', priority: 1, memberIds: [alice.id, bob.id] });
  const billing = await createQueue(deps, c, tenant.id, { name: 'Billing', priority: 2, memberIds: [bob.id] });

  const { conversation } = await createConversation(deps, c, tenant.id, {
    channelId: channel.id,
    customer: { address: 'visitor-demo-1', displayName: 'Dana Customer' },
    subject: 'Question about my invoice',
    queueId: billing.id,
    context: {
      'customer.tier': { type: 'string', value: 'gold' },
      'customer.language': { type: 'string', value: 'en' },
      'page.url': { type: 'string', value: 'https://shop.demo.example/billing' },
    },
  });
  await postMessage(deps, c, tenant.id, conversation.id, { senderRole: 'customer', senderId: conversation.contactId, text: 'Hello, I was charged twice for order 1042.', idempotencyKey: 'demo-1' });
  await postMessage(deps, c, tenant.id, conversation.id, { senderRole: 'system', text: 'You are number 1 in the queue.', idempotencyKey: 'demo-2' });
  const queued = await changeConversationState(deps, c, tenant.id, conversation.id, { to: 'queued', reason: 'demo' });
  return { created: true, tenant, channel, queues: [general, billing], agents: [alice, bob], conversation: queued };
}
