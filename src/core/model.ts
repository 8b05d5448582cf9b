/**
 * The conversation model (capability C1) as plain data. Storage adapters persist these shapes; the
 * HTTP layer serialises them unchanged. Times are RFC 3339 strings in UTC.
 */
import type { ContextVariable } from './context-variable.js';
import type { ConversationState } from './conversation-lifecycle.js';
import type { AttachmentMeta } from './message-request.js';
import type { Audience, MessageVisibility, ParticipantRole } from './message-visibility.js';
import type { Presence } from './routing/agent-selection.js';
import type { QueueRouting } from './routing/routing-model.js';

export interface Tenant {
  readonly id: string;
  readonly name: string;
  readonly createdAt: string;
}

export const CHANNEL_TYPES = ['webchat', 'email', 'sms', 'social', 'messenger', 'voice', 'api'] as const;
export type ChannelType = (typeof CHANNEL_TYPES)[number];

export interface Channel {
  readonly id: string;
  readonly tenantId: string;
  readonly type: ChannelType;
  readonly name: string;
  readonly config: Readonly<Record<string, unknown>>;
  readonly createdAt: string;
}

/** How a customer is addressed on one channel type (a web chat user id, an e-mail address, ...). */
export interface ContactIdentity {
  readonly channelType: ChannelType;
  readonly address: string;
}

export interface Contact {
  readonly id: string;
  readonly tenantId: string;
  readonly displayName: string | null;
  readonly attributes: Readonly<Record<string, string>>;
  readonly identities: ContactIdentity[];
  readonly createdAt: string;
}

export interface Conversation {
  readonly id: string;
  readonly tenantId: string;
  readonly channelId: string;
  readonly contactId: string;
  readonly state: ConversationState;
  readonly queueId: string | null;
  readonly subject: string | null;
  readonly priority: number;
  /** Sequence number of the newest message; 0 before the first one. */
  readonly lastSeq: number;
  readonly createdAt: string;
  readonly updatedAt: string;
  readonly closedAt: string | null;
}

export interface Participant {
  readonly id: string;
  readonly tenantId: string;
  readonly conversationId: string;
  readonly role: ParticipantRole;
  /** The contact or agent behind the participant. */
  readonly refId: string | null;
  readonly displayName: string | null;
  readonly audience: Audience;
  readonly joinedAt: string;
  readonly leftAt: string | null;
}

export type SenderRole = ParticipantRole | 'system';

export interface Message {
  readonly id: string;
  readonly tenantId: string;
  readonly conversationId: string;
  /** Per-conversation, gap-free, starting at 1: the order every client shows. */
  readonly seq: number;
  readonly senderRole: SenderRole;
  readonly senderId: string | null;
  readonly visibility: MessageVisibility;
  readonly text: string;
  readonly attachments: AttachmentMeta[];
  readonly idempotencyKey: string | null;
  /**
   * What the channel carries beside the text, kept as it came: a Direct Line activity's
   * `channelData` (Web Chat matches its `clientActivityID` to mark a message sent), or what
   * Switchboard tells a channel about its own messages (`switchboard.kind`: queue position, end).
   */
  readonly channelData: Readonly<Record<string, unknown>> | null;
  readonly createdAt: string;
  /** When its sender last edited it (core/message-revision.ts); null if never. */
  readonly editedAt: string | null;
  /** When its sender deleted it: a tombstone from then on (no text, attachments or channel data). */
  readonly deletedAt: string | null;
}

export type { ContextVariable };

/** A file sent in a conversation; its bytes are stored with it, found by an unguessable id. */
export interface StoredAttachment {
  /** 256 random bits: the id alone grants reading the file (an `<img src>` carries no credentials). */
  readonly id: string;
  readonly tenantId: string;
  readonly conversationId: string;
  readonly name: string;
  readonly contentType: string;
  readonly size: number;
  readonly createdAt: string;
}

export const AGENT_KINDS = ['human', 'bot'] as const;
export type AgentKind = (typeof AGENT_KINDS)[number];

export interface Agent {
  readonly id: string;
  readonly tenantId: string;
  readonly kind: AgentKind;
  readonly displayName: string;
  readonly email: string | null;
  /**
   * Bots only: the client id of the app registration the bot signs in as (its application user).
   * Unique in the tenant, so a token issued to that app acts as exactly this agent.
   */
  readonly appId: string | null;
  /** Capacity units; each routed conversation spends its workstream's cost while offered/active. */
  readonly capacity: number;
  readonly usedCapacity: number;
  readonly presence: Presence;
  readonly presenceSince: string;
  /** Skill name -> proficiency 1-10. */
  readonly skills: Readonly<Record<string, number>>;
  /** Sortable attributes for custom assignment orders (e.g. seniority). */
  readonly attributes: Readonly<Record<string, number | string>>;
  readonly lastAssignedAt: string | null;
  /** Offers let time out in a row; reset by an accept. */
  readonly missedOffers: number;
  readonly createdAt: string;
}

export interface Queue {
  readonly id: string;
  readonly tenantId: string;
  readonly name: string;
  readonly priority: number;
  readonly memberIds: string[];
  readonly routing: QueueRouting;
  /** Increases with every change of the queue's settings. */
  readonly version: number;
  readonly createdAt: string;
}

/** Who caused a change; recorded on every event. */
export interface Actor {
  readonly kind: 'admin' | 'system' | 'agent' | 'bot' | 'customer' | 'user' | 'app';
  readonly id: string | null;
}

export const EVENT_TYPES = [
  'tenant.created',
  'channel.created',
  'channel.updated',
  'channel.secret_created',
  'channel.secret_revoked',
  'webchat.survey_submitted',
  'contact.created',
  'conversation.created',
  'conversation.state_changed',
  'conversation.wrapped_up',
  'participant.added',
  'participant.left',
  'message.created',
  'message.updated',
  'message.deleted',
  'context.updated',
  'agent.created',
  'queue.created',
  'queue.member_added',
  'queue.member_removed',
  'queue.updated',
  'queue.deleted',
  'quick_reply.created',
  'quick_reply.updated',
  'quick_reply.deleted',
  'skill.created',
  'agent.updated',
  'agent.presence_changed',
  'workstream.created',
  'workstream.updated',
  'workstream.deleted',
  'routing.queued',
  'routing.offered',
  'routing.offer_accepted',
  'routing.offer_rejected',
  'routing.offer_timed_out',
  'routing.offer_withdrawn',
  'routing.assigned',
  'routing.overflowed',
  'routing.callback_requested',
  'routing.transferred',
  'routing.consult_started',
  'routing.released',
  'routing.queue_stats',
  'bot.registered',
  'bot.updated',
  'bot.health_changed',
  'bot.escalated',
  'bot.handoff_failed',
  'bot.ended',
  'bot.assist_invited',
  'bot.assist_dismissed',
] as const;
export type EventType = (typeof EVENT_TYPES)[number];

/** One entry of the event log: appended in the same transaction as the change it records. */
export interface SwitchboardEvent {
  /** Increases with commit order within a tenant; readers resume "after" an id. */
  readonly id: number;
  readonly tenantId: string;
  readonly type: EventType;
  readonly conversationId: string | null;
  readonly actor: Actor;
  readonly occurredAt: string;
  readonly payload: Readonly<Record<string, unknown>>;
}
