import { HEALTHY, readBotSettings, type BotHealth, type BotRegistration, type BotSettingsInput } from '../../core/bots/bot-registration.js';
import type { Agent } from '../../core/model.js';
import type { Presence } from '../../core/routing/agent-selection.js';
import type { Caller } from '../caller.js';
import type { AppDeps } from '../deps.js';
import { SwitchboardError } from '../errors.js';
import type { StoreTx } from '../ports/storage.js';
import { requireTenant } from '../tenant-access.js';
import { commit, type Emit } from '../unit-of-work.js';
import { insertNewAgent } from '../use-cases/create-agent.js';

/** A bot as administrators see it: its registration with the agent fields that matter to it. */
export interface BotView extends BotRegistration {
  readonly displayName: string;
  readonly appId: string | null;
  readonly presence: Presence;
  readonly capacity: number;
  readonly usedCapacity: number;
}

export interface RegisterBotInput extends BotSettingsInput {
  /** An existing bot agent (made with `switchboard bots create`); without it a bot agent is created. */
  readonly agentId?: string | undefined;
  readonly displayName?: string | undefined;
  readonly appId?: string | null | undefined;
  readonly capacity?: number | undefined;
  readonly skills?: Readonly<Record<string, number>> | undefined;
}

export function botView(bot: BotRegistration, agent: Agent): BotView {
  return { ...bot, displayName: agent.displayName, appId: agent.appId, presence: agent.presence, capacity: agent.capacity, usedCapacity: agent.usedCapacity };
}

function invalid(problems: string[]): SwitchboardError {
  return new SwitchboardError('SB_ERR_INVALID_BOT_SETTINGS', problems.join('; '), { problems });
}

/**
 * Registers a bot with the Bot Framework channel: creates its agent (or takes an existing bot
 * agent) and its registration in one transaction. The dispatcher starts reading the tenant's log
 * from here on, not from its beginning.
 */
export async function registerBot(deps: AppDeps, caller: Caller, tenantId: string, input: RegisterBotInput): Promise<BotView> {
  await requireTenant(deps, caller, tenantId, 'agents.write');
  if (input.agentId === undefined && (input.displayName === undefined || input.displayName.trim() === '')) {
    throw invalid(['displayName is required when no agentId is given']);
  }
  if (input.agentId !== undefined && (input.displayName !== undefined || input.appId !== undefined || input.capacity !== undefined || input.skills !== undefined)) {
    throw invalid(['displayName, appId, capacity and skills belong to the agent: change them on the agent, not with an existing agentId']);
  }
  return commit(deps, caller, async (tx, emit, now) => {
    let agent: Agent;
    if (input.agentId !== undefined) {
      const found = await tx.getAgent(tenantId, input.agentId);
      if (!found) throw new SwitchboardError('SB_ERR_AGENT_NOT_FOUND');
      if (found.kind !== 'bot') throw new SwitchboardError('SB_ERR_NOT_A_BOT');
      agent = found;
    } else {
      const appId = input.appId ?? null;
      // Checked before the agent exists, so bad settings leave nothing behind.
      const early = readBotSettings(input, null, appId);
      if (!early.ok) throw invalid(early.problems);
      agent = await insertNewAgent(deps, tx, emit, tenantId, { kind: 'bot', displayName: input.displayName!.trim(), appId, capacity: input.capacity, skills: input.skills }, now);
    }
    const read = readBotSettings(input, null, agent.appId);
    if (!read.ok) throw invalid(read.problems);
    await checkQueues(tx, tenantId, read.settings.assistQueueIds);
    const bot: BotRegistration = { id: agent.id, tenantId, ...read.settings, health: HEALTHY, createdAt: now, updatedAt: now };
    if (!(await tx.bots.insertBot(bot))) throw new SwitchboardError('SB_ERR_BOT_EXISTS');
    const cursor = await tx.bots.getDispatchCursor(tenantId);
    if (cursor === 0) await tx.bots.advanceDispatchCursor(tenantId, 0, await tx.latestEventId(tenantId));
    await emit('bot.registered', tenantId, null, { botId: bot.id, appId: agent.appId, role: bot.role, authMode: bot.authMode });
    if (bot.state === 'disconnected') agent = await setPresence(tx, emit, tenantId, agent, 'offline', now);
    return botView(bot, agent);
  });
}

export async function getBot(deps: AppDeps, caller: Caller, tenantId: string, botId: string): Promise<BotView> {
  await requireTenant(deps, caller, tenantId, 'agents.read');
  const reads = deps.storage.read;
  const [bot, agent] = await Promise.all([reads.bots.getBot(tenantId, botId), reads.getAgent(tenantId, botId)]);
  if (!bot || !agent) throw new SwitchboardError('SB_ERR_BOT_NOT_FOUND');
  return botView(bot, agent);
}

export async function listBots(deps: AppDeps, caller: Caller, tenantId: string): Promise<BotView[]> {
  await requireTenant(deps, caller, tenantId, 'agents.read');
  const reads = deps.storage.read;
  const [bots, agents] = await Promise.all([reads.bots.listBots(tenantId), reads.listAgents(tenantId)]);
  const byId = new Map(agents.map((a) => [a.id, a]));
  return bots.flatMap((b) => (byId.has(b.id) ? [botView(b, byId.get(b.id)!)] : []));
}

export interface BotUpdate {
  readonly bot: BotView;
  /** The bot was disconnected by this change: its open conversations must go to people. */
  readonly disconnected: boolean;
}

/**
 * Changes a bot's settings. Disconnecting stops all traffic to it at once (its pending deliveries
 * are cancelled and routing stops choosing it); the caller then escalates its open conversations.
 * Reconnecting makes it healthy and available again.
 */
export async function updateBot(deps: AppDeps, caller: Caller, tenantId: string, botId: string, input: BotSettingsInput): Promise<BotUpdate> {
  await requireTenant(deps, caller, tenantId, 'agents.write');
  return commit(deps, caller, async (tx, emit, now) => {
    const [current, found] = await Promise.all([tx.bots.getBot(tenantId, botId), tx.getAgent(tenantId, botId)]);
    if (!current || !found) throw new SwitchboardError('SB_ERR_BOT_NOT_FOUND');
    const read = readBotSettings(input, current, found.appId);
    if (!read.ok) throw invalid(read.problems);
    // Saying "active" again is also how an administrator puts an unhealthy bot back to work.
    const reconnecting = read.settings.state === 'active' && (current.state === 'disconnected' || (input.state === 'active' && current.health.status === 'unhealthy'));
    const disconnecting = current.state === 'active' && read.settings.state === 'disconnected';
    const health = reconnecting ? HEALTHY : current.health;
    const bot: BotRegistration = { ...current, ...read.settings, health, updatedAt: now };
    await tx.bots.updateBot(bot);
    if (reconnecting) await tx.bots.setBotHealth(tenantId, botId, HEALTHY, now);
    await emit('bot.updated', tenantId, null, { botId, changed: Object.keys(input), state: bot.state });
    let agent = found;
    if (disconnecting) {
      await tx.bots.cancelDeliveries(tenantId, botId, now);
      agent = await setPresence(tx, emit, tenantId, agent, 'offline', now);
    }
    if (reconnecting) agent = await setPresence(tx, emit, tenantId, agent, 'available', now);
    return { bot: botView(bot, agent), disconnected: disconnecting };
  });
}

/**
 * Records a delivery outcome in the bot's health. Returns the new health and whether this outcome
 * made the bot unhealthy (routing then stops choosing it: its presence goes offline).
 */
export async function recordBotHealth(deps: AppDeps, caller: Caller, tenantId: string, botId: string, failed: boolean, error: string | null, unhealthyAfter: number): Promise<{ health: BotHealth; becameUnhealthy: boolean } | undefined> {
  return commit(deps, caller, async (tx, emit, now) => {
    const bot = await tx.bots.getBot(tenantId, botId);
    if (!bot) return undefined;
    const before = bot.health;
    const failures = failed ? before.consecutiveFailures + 1 : 0;
    const status = failed && failures >= unhealthyAfter ? 'unhealthy' : failed ? before.status : before.status === 'unhealthy' ? 'unhealthy' : 'healthy';
    const health: BotHealth = failed
      ? { status, consecutiveFailures: failures, lastFailureAt: now, lastError: error }
      : { ...before, status, consecutiveFailures: 0 };
    if (health.status === before.status && health.consecutiveFailures === before.consecutiveFailures && health.lastError === before.lastError) return { health, becameUnhealthy: false };
    await tx.bots.setBotHealth(tenantId, botId, health, now);
    const becameUnhealthy = before.status !== 'unhealthy' && health.status === 'unhealthy';
    if (becameUnhealthy) {
      await emit('bot.health_changed', tenantId, null, { botId, from: before.status, to: health.status, lastError: error });
      const agent = await tx.getAgent(tenantId, botId);
      if (agent) await setPresence(tx, emit, tenantId, agent, 'offline', now);
    }
    return { health, becameUnhealthy };
  });
}

/** The queues an assist bot advises on must be the tenant's (another tenant's look missing). */
async function checkQueues(tx: StoreTx, tenantId: string, queueIds: readonly string[]): Promise<void> {
  for (const queueId of queueIds) {
    if (!(await tx.getQueue(tenantId, queueId))) throw new SwitchboardError('SB_ERR_QUEUE_NOT_FOUND', `Queue ${queueId} does not exist in this tenant.`, { queueId });
  }
}

async function setPresence(tx: StoreTx, emit: Emit, tenantId: string, agent: Agent, presence: Presence, now: string): Promise<Agent> {
  if (agent.presence === presence) return agent;
  await tx.routing.setAgentPresence(tenantId, agent.id, presence, now);
  await emit('agent.presence_changed', tenantId, null, { agentId: agent.id, from: agent.presence, to: presence });
  return { ...agent, presence, presenceSince: now };
}
