/**
 * Bot Framework activities between Switchboard's channel and a bot (../shared/design/PROTOCOLS.md
 * sections 1, 3 and 5): what the channel sends (conversation start, the customer's messages,
 * `handoff.status`, the end) and what a bot's Connector API call means (a message for the
 * customer, a summary only agents see, an escalation, the end). Pure: the service decides which
 * conversation and bot, this decides the shapes.
 */
import type { AttachmentMeta } from '../message-request.js';
import type { Message } from '../model.js';
import { activityId, MAX_ACTIVITY_CHARS, MAX_MESSAGE_TEXT } from '../webchat/directline-activity.js';

export interface BotChannelAccount {
  readonly id: string;
  readonly name?: string | undefined;
  readonly role?: 'user' | 'bot' | undefined;
}

export interface BotAttachment {
  readonly contentType: string;
  readonly contentUrl?: string | undefined;
  readonly content?: unknown;
  readonly name?: string | undefined;
  readonly thumbnailUrl?: string | undefined;
}

/** An activity as it goes to a bot. */
export interface BotActivity {
  readonly type: 'message' | 'conversationUpdate' | 'event' | 'endOfConversation';
  readonly id: string;
  readonly timestamp: string;
  readonly serviceUrl: string;
  readonly channelId: string;
  readonly from: BotChannelAccount;
  readonly recipient: BotChannelAccount;
  readonly conversation: { readonly id: string };
  readonly text?: string | undefined;
  readonly textFormat?: 'plain' | undefined;
  readonly locale?: string | undefined;
  readonly attachments?: readonly BotAttachment[] | undefined;
  readonly channelData?: Readonly<Record<string, unknown>> | undefined;
  readonly membersAdded?: readonly BotChannelAccount[] | undefined;
  readonly name?: string | undefined;
  readonly value?: unknown;
  readonly code?: string | undefined;
}

/** Who is talking in one conversation, as the bot sees them. */
export interface BotConversationView {
  readonly conversationId: string;
  /** Stable per tenant: bots keep it with their conversation references. */
  readonly serviceUrl: string;
  /** `directline` for web chat; the channel type otherwise. */
  readonly channelId: string;
  /** The bot's app id when it has one (the token's `aud`), its agent id otherwise. */
  readonly bot: BotChannelAccount;
  readonly customer: BotChannelAccount;
  readonly locale?: string | undefined;
  /** The server's base URL, to make stored attachments' paths absolute. */
  readonly baseUrl?: string | undefined;
}

function envelope(view: BotConversationView, id: string, timestamp: string) {
  return {
    id, timestamp, serviceUrl: view.serviceUrl, channelId: view.channelId,
    recipient: { ...view.bot, role: 'bot' as const }, conversation: { id: view.conversationId },
    ...(view.locale ? { locale: view.locale } : {}),
  };
}

/** Ids of activities that are not messages: unique per conversation and stable across retries. */
export function eventActivityId(conversationId: string, eventId: number): string {
  return `${conversationId}|e${eventId}`;
}

/**
 * The conversation starts for the bot: the bot and the customer are members. A conversation
 * handed to the bot later (a transfer) carries what was said before in
 * `channelData.switchboard.transcript`, so the bot can pick it up.
 */
export function conversationUpdate(view: BotConversationView, id: string, timestamp: string, transcript: readonly BotActivity[] = []): BotActivity {
  return {
    ...envelope(view, id, timestamp), type: 'conversationUpdate', from: { ...view.customer, role: 'user' },
    membersAdded: [{ id: view.bot.id, ...(view.bot.name ? { name: view.bot.name } : {}) }, { id: view.customer.id, ...(view.customer.name ? { name: view.customer.name } : {}) }],
    ...(transcript.length > 0 ? { channelData: { switchboard: { transcript } } } : {}),
  };
}

/**
 * A stored message as the bot receives it. The customer's messages come from the customer; for
 * an assist bot, an agent's messages come from the agent (`channelData.switchboard.senderRole`).
 */
export function messageForBot(message: Message, view: BotConversationView, senderName?: string): BotActivity {
  const absolute = (url: string | undefined) => (url?.startsWith('/') && view.baseUrl ? `${view.baseUrl}${url}` : url);
  const fromCustomer = message.senderRole === 'customer';
  const from: BotChannelAccount = fromCustomer
    ? { ...view.customer, role: 'user' }
    : { id: message.senderId ?? message.senderRole, ...(senderName ? { name: senderName } : {}), role: message.senderRole === 'bot' ? 'bot' : 'user' };
  const channelData = { ...(fromCustomer ? message.channelData ?? {} : {}), switchboard: { senderRole: message.senderRole, visibility: message.visibility, seq: message.seq } };
  return {
    ...envelope(view, activityId(view.conversationId, message.seq), message.createdAt), type: 'message', from,
    text: message.text, textFormat: 'plain',
    ...(message.attachments.length > 0 ? { attachments: message.attachments.map((a) => ({ contentType: a.contentType, contentUrl: absolute(a.url), name: a.name })) } : {}),
    channelData,
  };
}

export type HandoffState = 'accepted' | 'failed' | 'completed';

/** `handoff.status` (PROTOCOLS.md 5.1): the hub tells the bot how its handoff went. */
export function handoffStatus(view: BotConversationView, id: string, timestamp: string, state: HandoffState, message?: string): BotActivity {
  return {
    ...envelope(view, id, timestamp), type: 'event', name: 'handoff.status', from: { id: 'switchboard', name: 'Switchboard' },
    value: { state, ...(message !== undefined ? { message } : {}) },
  };
}

export function endOfConversation(view: BotConversationView, id: string, timestamp: string, code: 'completedSuccessfully' | 'userCancelled' | 'channelFailed' | 'unknown'): BotActivity {
  return { ...envelope(view, id, timestamp), type: 'endOfConversation', from: { ...view.customer, role: 'user' }, code };
}

// ---- bot -> channel ---------------------------------------------------------------------------

/** `transfer`: a person moved the bot's conversation elsewhere (the transfer API), not the bot. */
export type EscalationTrigger = 'handoff' | 'omnichannel' | 'copilot' | 'phrase' | 'unhealthy' | 'disconnected' | 'transfer';

/** What a bot's activity asks of the channel. */
export type BotIntent =
  | {
    readonly kind: 'message';
    readonly text: string;
    /** `internal`: only agents see it (a non-bridged message under the Omnichannel convention). */
    readonly visibility: 'public' | 'internal';
    readonly attachments: readonly AttachmentMeta[];
    /** Cards and other inline attachments, passed on to the customer's client as they came. */
    readonly inlineAttachments: readonly BotAttachment[];
    readonly channelData: Readonly<Record<string, unknown>> | null;
  }
  | {
    readonly kind: 'escalate';
    readonly trigger: 'handoff' | 'omnichannel' | 'copilot';
    /** The context the bot gathered, as it sent it. */
    readonly context: Readonly<Record<string, unknown>>;
    /** Shown only to the agent. */
    readonly summary: string | null;
    /** The `Transcript` attachment's activities, kept with the conversation. */
    readonly transcript: readonly unknown[] | null;
  }
  | { readonly kind: 'end'; readonly trigger: 'omnichannel' | 'endOfConversation'; readonly code: string | null }
  | { readonly kind: 'typing' }
  | { readonly kind: 'ignored'; readonly reason: string };

export type BotIntentResult = { readonly ok: true; readonly intent: BotIntent } | { readonly ok: false; readonly problem: string };

const MAX_ATTACHMENTS = 20;

/**
 * Reads an activity a bot posted to the Connector API. `bridgedOnly` is the bot's Omnichannel
 * setting: its messages reach the customer only with `channelData.deliveryMode = "bridged"`.
 * Types a channel need not support (`trace`, `handoff`, `invoke`, ...) are ignored, as the
 * Activity spec tells channels to do, rather than refused.
 */
export function readBotActivity(body: unknown, options: { readonly bridgedOnly: boolean }): BotIntentResult {
  if (!body || typeof body !== 'object' || Array.isArray(body)) return { ok: false, problem: 'the activity must be a JSON object' };
  const a = body as Record<string, unknown>;
  if (JSON.stringify(a).length > MAX_ACTIVITY_CHARS) return { ok: false, problem: `the activity is larger than ${MAX_ACTIVITY_CHARS} characters` };
  if (typeof a.type !== 'string' || a.type === '') return { ok: false, problem: 'type is required' };
  if (a.text !== undefined && a.text !== null && typeof a.text !== 'string') return { ok: false, problem: 'text must be a string' };
  const text = typeof a.text === 'string' ? a.text : '';
  if (text.length > MAX_MESSAGE_TEXT) return { ok: false, problem: `text is longer than ${MAX_MESSAGE_TEXT} characters` };
  if (a.channelData !== undefined && a.channelData !== null && (typeof a.channelData !== 'object' || Array.isArray(a.channelData))) {
    return { ok: false, problem: 'channelData must be an object' };
  }
  const channelData = (a.channelData ?? null) as Record<string, unknown> | null;
  const attachments = readAttachments(a.attachments);
  if (!attachments.ok) return attachments;

  switch (a.type) {
    case 'message': {
      const tags = channelData?.tags;
      if (tags !== undefined) {
        const command = readTags(tags);
        if (!command.ok) return command;
        if (command.type === 'Escalate') return { ok: true, intent: { kind: 'escalate', trigger: 'omnichannel', context: command.context, summary: text.trim() || null, transcript: null } };
        if (command.type === 'EndConversation') return { ok: true, intent: { kind: 'end', trigger: 'omnichannel', code: null } };
      }
      if (text.trim() === '' && attachments.list.length === 0) return { ok: false, problem: 'a message needs text or an attachment' };
      const bridged = channelData?.deliveryMode === 'bridged';
      const linked = attachments.list.filter((x) => typeof x.contentUrl === 'string' && x.content === undefined);
      const inline = attachments.list.filter((x) => !(typeof x.contentUrl === 'string' && x.content === undefined));
      return {
        ok: true,
        intent: {
          kind: 'message', text, visibility: options.bridgedOnly && !bridged ? 'internal' : 'public',
          attachments: linked.map((x) => ({ name: x.name ?? 'attachment', contentType: x.contentType, size: 0, url: x.contentUrl })),
          inlineAttachments: inline, channelData,
        },
      };
    }
    case 'event': {
      if (a.name !== 'handoff.initiate') return { ok: true, intent: { kind: 'ignored', reason: `event ${typeof a.name === 'string' ? a.name.slice(0, 60) : '(no name)'}` } };
      if (a.value !== undefined && a.value !== null && (typeof a.value !== 'object' || Array.isArray(a.value))) {
        return { ok: false, problem: 'the value of handoff.initiate must be an object (the handoff context)' };
      }
      const context = (a.value ?? {}) as Record<string, unknown>;
      const transcript = attachments.list.find((x) => x.name === 'Transcript' && x.contentType === 'application/json');
      const activities = (transcript?.content as { activities?: unknown } | undefined)?.activities;
      const copilot = Object.keys(context).some((k) => k.startsWith('va_'));
      const summary = copilot ? stringOr(context.va_AgentMessage) : stringOr(context.MessageToAgent) ?? stringOr(context.summary);
      return {
        ok: true,
        intent: { kind: 'escalate', trigger: copilot ? 'copilot' : 'handoff', context, summary: summary ?? (text.trim() || null), transcript: Array.isArray(activities) ? activities : null },
      };
    }
    case 'endOfConversation':
      return { ok: true, intent: { kind: 'end', trigger: 'endOfConversation', code: typeof a.code === 'string' ? a.code.slice(0, 60) : null } };
    case 'typing':
      return { ok: true, intent: { kind: 'typing' } };
    default:
      return { ok: true, intent: { kind: 'ignored', reason: `activity type ${a.type.slice(0, 40)}` } };
  }
}

function stringOr(value: unknown): string | null {
  return typeof value === 'string' && value.trim() !== '' ? value : null;
}

type TagsResult = { readonly ok: true; readonly type: string; readonly context: Record<string, unknown> } | { readonly ok: false; readonly problem: string };

/** `channelData.tags`: the Omnichannel command, a JSON string (PROTOCOLS.md 5.2); an object is accepted too. */
function readTags(tags: unknown): TagsResult {
  let command: unknown = tags;
  if (typeof tags === 'string') {
    try {
      command = JSON.parse(tags);
    } catch {
      // Omnichannel also uses plain-text tags for other purposes; only a command object is ours.
      return { ok: true, type: '', context: {} };
    }
  }
  if (!command || typeof command !== 'object' || Array.isArray(command)) return { ok: true, type: '', context: {} };
  const c = command as Record<string, unknown>;
  if (c.type !== 'Escalate' && c.type !== 'EndConversation') return { ok: true, type: '', context: {} };
  if (c.context !== undefined && c.context !== null && (typeof c.context !== 'object' || Array.isArray(c.context))) {
    return { ok: false, problem: 'channelData.tags: context must be an object' };
  }
  return { ok: true, type: c.type, context: (c.context ?? {}) as Record<string, unknown> };
}

type AttachmentsResult = { readonly ok: true; readonly list: readonly BotAttachment[] } | { readonly ok: false; readonly problem: string };

function readAttachments(value: unknown): AttachmentsResult {
  if (value === undefined || value === null) return { ok: true, list: [] };
  if (!Array.isArray(value)) return { ok: false, problem: 'attachments must be a list' };
  if (value.length > MAX_ATTACHMENTS) return { ok: false, problem: `at most ${MAX_ATTACHMENTS} attachments` };
  const list: BotAttachment[] = [];
  for (const [i, raw] of value.entries()) {
    if (!raw || typeof raw !== 'object' || Array.isArray(raw)) return { ok: false, problem: `attachments[${i}] must be an object` };
    const x = raw as Record<string, unknown>;
    if (typeof x.contentType !== 'string' || x.contentType === '' || x.contentType.length > 200) return { ok: false, problem: `attachments[${i}].contentType is required` };
    if (x.contentUrl !== undefined && (typeof x.contentUrl !== 'string' || !/^(https?:|data:)/.test(x.contentUrl))) {
      return { ok: false, problem: `attachments[${i}].contentUrl must be an http(s) or data URL` };
    }
    if (x.name !== undefined && typeof x.name !== 'string') return { ok: false, problem: `attachments[${i}].name must be a string` };
    list.push({
      contentType: x.contentType,
      ...(typeof x.contentUrl === 'string' ? { contentUrl: x.contentUrl } : {}),
      ...(x.content !== undefined ? { content: x.content } : {}),
      ...(typeof x.name === 'string' ? { name: x.name.slice(0, 200) } : {}),
      ...(typeof x.thumbnailUrl === 'string' ? { thumbnailUrl: x.thumbnailUrl } : {}),
    });
  }
  return { ok: true, list };
}
