import type { BotConversation } from '../../core/bots/bot-model.js';
import type { BotRegistration } from '../../core/bots/bot-registration.js';
import type { Conversation } from '../../core/model.js';
import type { Caller } from '../caller.js';
import { lockConversation } from '../conversation-lock.js';
import type { AppDeps } from '../deps.js';
import { SwitchboardError } from '../errors.js';
import type { StoreReads } from '../ports/storage.js';
import { assertConversationInScope } from '../scope.js';
import { assertHandlesOrSupervises } from '../supervision.js';
import { requireTenant } from '../tenant-access.js';
import { commit } from '../unit-of-work.js';

/** An assist bot as the person handling a conversation sees it: enough to pick one. */
export interface AssistBotChoice {
  readonly botId: string;
  readonly displayName: string;
  /** Advising in this conversation right now. */
  readonly active: boolean;
  /** When it joined (null when not active). */
  readonly since: string | null;
}

export interface AssistBotsOfConversation {
  readonly conversationId: string;
  readonly items: AssistBotChoice[];
}

/**
 * Only a person can be advised: an assist bot joining a conversation nobody (or only a bot)
 * handles would hear the customer with no one to read its suggestions. Then the caller must be
 * that person, or supervise the conversation's queue.
 */
async function assertPersonHandlesForCaller(reads: StoreReads, caller: Caller, conversation: Conversation): Promise<void> {
  const participants = await reads.listParticipants(conversation.tenantId, conversation.id);
  if (!participants.some((p) => p.role === 'agent' && p.leftAt === null)) throw new SwitchboardError('SB_ERR_NOT_HANDLED');
  await assertHandlesOrSupervises(reads, caller, conversation, participants);
}

function assertCanAssist(bot: BotRegistration | undefined): BotRegistration {
  if (!bot) throw new SwitchboardError('SB_ERR_BOT_NOT_FOUND');
  if (bot.role !== 'assist') throw new SwitchboardError('SB_ERR_NOT_AN_ASSIST_BOT');
  if (bot.state !== 'active') throw new SwitchboardError('SB_ERR_BOT_DISCONNECTED');
  if (bot.health.status !== 'healthy') throw new SwitchboardError('SB_ERR_BOT_UNHEALTHY');
  return bot;
}

/**
 * The tenant's assist bots for one conversation: which advise in it now and which could be
 * invited (active and healthy). For the person handling the conversation or a supervisor of its
 * queue; reading needs `conversations.read`, not the bot administration permissions, because the
 * agent picks the bot.
 */
export async function listAssistBots(deps: AppDeps, caller: Caller, tenantId: string, conversationId: string): Promise<AssistBotsOfConversation> {
  await requireTenant(deps, caller, tenantId, 'conversations.read');
  const reads = deps.storage.read;
  const conversation = await reads.getConversation(tenantId, conversationId);
  if (!conversation) throw new SwitchboardError('SB_ERR_CONVERSATION_NOT_FOUND');
  await assertConversationInScope(reads, caller, 'conversations.read', conversation);
  const [bots, parts] = await Promise.all([reads.bots.listBots(tenantId), reads.bots.listConversationBots(tenantId, conversationId)]);
  const assist = bots.filter((b) => b.role === 'assist');
  // Names from the bots' own agents: a tenant has a few assist bots and may have thousands of agents.
  const agents = await Promise.all(assist.map((b) => reads.getAgent(tenantId, b.id)));
  const names = new Map(agents.flatMap((a) => (a ? [[a.id, a.displayName] as const] : [])));
  const items: AssistBotChoice[] = [];
  for (const bot of assist) {
    const part = parts.find((x) => x.botId === bot.id && x.role === 'assist' && x.state === 'active');
    if (!part && (bot.state !== 'active' || bot.health.status !== 'healthy')) continue;
    items.push({
      botId: bot.id, displayName: names.get(bot.id) ?? bot.id, active: part !== undefined,
      since: part?.boundAt ?? null,
    });
  }
  return { conversationId, items };
}

export interface AssistInvitation {
  readonly part: BotConversation;
  /** False when the bot already advised in the conversation (an invitation twice changes nothing). */
  readonly created: boolean;
}

/**
 * The person handling a conversation (or a supervisor of its queue) asks an assist bot in, for
 * this one conversation, whatever the bot's `assistQueueIds`. The bot's part is written here, so
 * the caller sees it at once; the `bot.assist_invited` event makes the dispatcher send the bot its
 * `conversationUpdate` with the transcript so far, after which it hears the conversation as a bot
 * bound by queue does.
 */
export async function inviteAssistBot(deps: AppDeps, caller: Caller, tenantId: string, conversationId: string, botId: string): Promise<AssistInvitation> {
  await requireTenant(deps, caller, tenantId, 'conversations.write');
  return commit(deps, caller, async (tx, emit, now) => {
    const conversation = await lockConversation(tx, caller, tenantId, conversationId, true);
    await assertPersonHandlesForCaller(tx, caller, conversation);
    const bot = assertCanAssist(await tx.bots.getBot(tenantId, botId));
    const current = await tx.bots.getBotConversation(tenantId, conversationId, botId);
    if (current && current.state === 'active') return { part: current, created: false };
    const part: BotConversation = {
      tenantId, conversationId, botId: bot.id, role: 'assist', state: 'active', queueId: conversation.queueId, boundAt: now,
      escalatedAt: null, escalationTrigger: null, escalationContext: null, escalationSummary: null, transcript: null,
      handoffState: null, acceptedAt: null, endedAt: null, endedByBot: false,
    };
    await tx.bots.putBotConversation(part);
    // Who invited is the event's actor.
    await emit('bot.assist_invited', tenantId, conversationId, { botId: bot.id });
    return { part, created: true };
  });
}

/**
 * Sends an assist bot away from one conversation (invited or bound by queue): it hears
 * `endOfConversation` and nothing more of it. The conversation itself goes on.
 */
export async function dismissAssistBot(deps: AppDeps, caller: Caller, tenantId: string, conversationId: string, botId: string): Promise<void> {
  await requireTenant(deps, caller, tenantId, 'conversations.write');
  await commit(deps, caller, async (tx, emit, now) => {
    const conversation = await lockConversation(tx, caller, tenantId, conversationId, true);
    await assertHandlesOrSupervises(tx, caller, conversation);
    const part = await tx.bots.getBotConversation(tenantId, conversationId, botId);
    if (!part || part.role !== 'assist' || part.state !== 'active') throw new SwitchboardError('SB_ERR_BOT_NOT_ASSISTING');
    await tx.bots.putBotConversation({ ...part, state: 'ended', endedAt: now });
    await emit('bot.assist_dismissed', tenantId, conversationId, { botId });
    await emit('bot.ended', tenantId, conversationId, { botId, role: 'assist', outcome: 'assisted', endedByBot: false });
  });
}
