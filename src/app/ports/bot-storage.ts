import type { BotConversation, BotDelivery, NewBotDelivery } from '../../core/bots/bot-model.js';
import type { BotHealth, BotRegistration } from '../../core/bots/bot-registration.js';

/**
 * Bot Framework channel storage (`storage.read.bots`, `tx.bots`): registrations, each bot's part
 * in conversations, the delivery outbox and the cursor of the event log it is filled from.
 * Everything is tenant-scoped.
 */
export interface BotReads {
  getBot(tenantId: string, botId: string): Promise<BotRegistration | undefined>;
  /** Oldest first. */
  listBots(tenantId: string): Promise<BotRegistration[]>;
  getBotConversation(tenantId: string, conversationId: string, botId: string): Promise<BotConversation | undefined>;
  /** Every bot's part in one conversation, oldest first. */
  listConversationBots(tenantId: string, conversationId: string): Promise<BotConversation[]>;
  /** One bot's conversations in a state, oldest first. */
  listBotConversations(tenantId: string, botId: string, state: BotConversation['state']): Promise<BotConversation[]>;
  /** For insights: every part a bot (or all bots) played with `boundAt` in [from, to). */
  listBotConversationsBetween(tenantId: string, from: string, to: string, botId?: string): Promise<BotConversation[]>;
  /** The id of the last event of the tenant the dispatcher has turned into deliveries (0 at first). */
  getDispatchCursor(tenantId: string): Promise<number>;
  /** Across tenants, by id: each conversation's oldest pending delivery, when it is due at `now` (epoch ms). */
  listDueDeliveries(now: number, limit: number): Promise<BotDelivery[]>;
  /** Epoch ms of the earliest pending delivery, or null. */
  nextDeliveryDue(): Promise<number | null>;
  getDelivery(tenantId: string, id: number): Promise<BotDelivery | undefined>;
  /** Oldest first. */
  listDeliveries(tenantId: string, conversationId: string): Promise<BotDelivery[]>;
  /** Tenants with at least one registered bot (the dispatcher reads only their logs). */
  listTenantsWithBots(): Promise<string[]>;
}

export interface BotTx extends BotReads {
  /** False when the tenant already has a registration for this agent. */
  insertBot(bot: BotRegistration): Promise<boolean>;
  /** Replaces settings and `updatedAt` (not health); false when there is none. */
  updateBot(bot: BotRegistration): Promise<boolean>;
  setBotHealth(tenantId: string, botId: string, health: BotHealth, at: string): Promise<boolean>;
  deleteBot(tenantId: string, botId: string): Promise<boolean>;
  /** Inserts or replaces the bot's part in the conversation. */
  putBotConversation(part: BotConversation): Promise<void>;
  /** Moves the cursor forward only (false when `from` is not the current value: another node moved it). */
  advanceDispatchCursor(tenantId: string, from: number, to: number): Promise<boolean>;
  /** False (and nothing written) when a delivery with the same dedupe key exists. */
  insertDelivery(delivery: NewBotDelivery): Promise<boolean>;
  /**
   * Takes a due delivery for one attempt: moves its `nextAttemptAt` from `expectedNextAttemptAt`
   * (what the caller read) to `leaseUntil`, only if nobody did first. Of several nodes reading the
   * same due delivery, exactly one gets true and POSTs it; if that node dies mid-attempt, the
   * delivery is due again when the lease runs out.
   */
  claimDelivery(tenantId: string, id: number, expectedNextAttemptAt: number, leaseUntil: number): Promise<boolean>;
  /** Records an attempt: the new status, count, next time and error; only from `pending`. */
  updateDelivery(tenantId: string, id: number, change: { status: BotDelivery['status']; attempts: number; nextAttemptAt: number; lastError: string | null; doneAt: string | null }): Promise<boolean>;
  /** Cancels a bot's pending deliveries (disconnected, escalated); returns how many. */
  cancelDeliveries(tenantId: string, botId: string, at: string, conversationId?: string): Promise<number>;
}
