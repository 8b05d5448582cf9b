/**
 * What the Bot Framework channel keeps besides registrations: which bot has which conversation
 * (and how that ended: contained, escalated), and the deliveries to bots waiting or done (the
 * outbox that makes "nothing lost" hold across restarts). Plain data; times are RFC 3339 UTC.
 */
import type { EscalationTrigger, HandoffState } from './bot-activity.js';

export const BOT_CONVERSATION_STATES = ['active', 'escalated', 'ended'] as const;
export type BotConversationState = (typeof BOT_CONVERSATION_STATES)[number];

/** One bot's part in one conversation (a primary bot handling it, or an assist bot advising). */
export interface BotConversation {
  readonly tenantId: string;
  readonly conversationId: string;
  readonly botId: string;
  readonly role: 'primary' | 'assist';
  readonly state: BotConversationState;
  readonly queueId: string | null;
  readonly boundAt: string;
  readonly escalatedAt: string | null;
  readonly escalationTrigger: EscalationTrigger | null;
  /** The context the bot handed over, as it sent it. */
  readonly escalationContext: Readonly<Record<string, unknown>> | null;
  readonly escalationSummary: string | null;
  /** The `Transcript` attachment's activities. */
  readonly transcript: readonly unknown[] | null;
  /** Where the handoff is: null before an escalation. */
  readonly handoffState: 'pending' | HandoffState | null;
  /** When a person accepted the escalated conversation. */
  readonly acceptedAt: string | null;
  readonly endedAt: string | null;
  /** True when the bot ended the conversation itself (contained). */
  readonly endedByBot: boolean;
}

export const BOT_DELIVERY_STATUSES = ['pending', 'delivered', 'failed', 'cancelled'] as const;
export type BotDeliveryStatus = (typeof BOT_DELIVERY_STATUSES)[number];

/** One activity to POST to one bot's messaging endpoint. */
export interface BotDelivery {
  /** Increases in the order deliveries were queued; a conversation's go out in this order. */
  readonly id: number;
  readonly tenantId: string;
  readonly botId: string;
  readonly conversationId: string;
  /** Unique per tenant: what made it (`{eventId}:{botId}`), so a replayed event queues nothing new. */
  readonly dedupeKey: string;
  readonly activity: Readonly<Record<string, unknown>>;
  readonly status: BotDeliveryStatus;
  readonly attempts: number;
  /** Epoch ms: not before this (backoff). */
  readonly nextAttemptAt: number;
  readonly lastError: string | null;
  readonly createdAt: string;
  readonly doneAt: string | null;
}

export type NewBotDelivery = Omit<BotDelivery, 'id' | 'status' | 'attempts' | 'lastError' | 'doneAt'>;
