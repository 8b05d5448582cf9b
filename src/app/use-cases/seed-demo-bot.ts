import { registerBot, updateBot } from '../bots/bot-registry.js';
import { SYSTEM_CALLER } from '../caller.js';
import type { AppDeps } from '../deps.js';
import { createQueue } from './create-queue.js';
import { DEMO_TENANT_NAME } from './seed-demo.js';
import { updateWorkstream } from './update-workstream.js';

export const DEMO_BOT_NAME = 'Demo FAQ bot';

export interface DemoBotSetup {
  readonly tenantId: string;
  readonly botId: string;
  /** False when the demo bot was already there (its endpoint may have been moved). */
  readonly created: boolean;
}

/**
 * Puts the demo bot in front of the demo tenant's web chat (the demo started by `npm start`):
 * a bot registered with the Bot Framework channel, a "Bot first" queue holding it as the
 * workstream's fallback, and a rule that sends what it escalates to General support (billing
 * questions go to Billing by the bot's own context). The bot itself runs in the server
 * (`server/demo/demo-bot.ts`) at `endpoint`, which changes with the port: a later start moves it.
 * Without the demo tenant this does nothing.
 */
/**
 * The demo tenant and, when a demo bot of that name is registered already, that bot with its
 * endpoint moved to `endpoint` (a later start listens on another port).
 */
async function findDemoBot(deps: AppDeps, name: string, endpoint: string): Promise<{ tenantId: string; existing?: DemoBotSetup } | undefined> {
  const reads = deps.storage.read;
  const tenant = (await reads.listTenants()).find((t) => t.name === DEMO_TENANT_NAME);
  if (!tenant) return undefined;
  const agent = (await reads.listAgents(tenant.id)).find((a) => a.kind === 'bot' && a.displayName === name);
  const bot = agent && (await reads.bots.getBot(tenant.id, agent.id));
  if (!agent || !bot) return { tenantId: tenant.id };
  if (bot.messagingEndpoint !== endpoint) await updateBot(deps, SYSTEM_CALLER, tenant.id, agent.id, { messagingEndpoint: endpoint });
  return { tenantId: tenant.id, existing: { tenantId: tenant.id, botId: agent.id, created: false } };
}

export async function ensureDemoBot(deps: AppDeps, endpoint: string): Promise<DemoBotSetup | undefined> {
  const found = await findDemoBot(deps, DEMO_BOT_NAME, endpoint);
  if (!found || found.existing) return found?.existing;
  const reads = deps.storage.read;
  const c = SYSTEM_CALLER;
  const tenantId = found.tenantId;
  const bot = await registerBot(deps, c, tenantId, { displayName: DEMO_BOT_NAME, messagingEndpoint: endpoint, authMode: 'none' });
  const queues = await reads.listQueues(tenantId);
  const general = queues.find((q) => q.name === 'General support');
  const billing = queues.find((q) => q.name === 'Billing');
  const botFirst = await createQueue(deps, c, tenantId, { name: 'Bot first', priority: 0, memberIds: [bot.id] });
  const workstream = (await reads.routing.listWorkstreams(tenantId)).find((w) => w.channelTypes.includes('webchat'));
  if (workstream && general) {
    await updateWorkstream(deps, c, tenantId, workstream.id, {
      ...workstream,
      fallbackQueueId: botFirst.id,
      routeRules: [
        ...workstream.routeRules,
        ...(billing ? [{ id: 'bot-billing', condition: 'BotHandoffTopic == "Billing"', queueId: billing.id }] : []),
        { id: 'after-the-bot', condition: 'bot.escalated == true', queueId: general.id },
      ],
    });
  }
  return { tenantId, botId: bot.id, created: true };
}

export const DEMO_ADVISER_NAME = 'Demo reply adviser';

/**
 * The demo's assist bot: on no queue, so it advises only where an agent invites it (the
 * workspace's "Assist bots…"). Like the demo bot it runs in the server at `endpoint`; a later
 * start moves it. Without the demo tenant this does nothing.
 */
export async function ensureDemoAdviser(deps: AppDeps, endpoint: string): Promise<DemoBotSetup | undefined> {
  const found = await findDemoBot(deps, DEMO_ADVISER_NAME, endpoint);
  if (!found || found.existing) return found?.existing;
  const registered = await registerBot(deps, SYSTEM_CALLER, found.tenantId, { displayName: DEMO_ADVISER_NAME, messagingEndpoint: endpoint, authMode: 'none', role: 'assist' });
  return { tenantId: found.tenantId, botId: registered.id, created: true };
}
