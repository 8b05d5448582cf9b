/**
 * Messages as Direct Line 3.0 activities (../shared/design/PROTOCOLS.md section 4): the ids,
 * the watermark, what a customer may send, and how a stored message looks to the customer's
 * client. Pure: the service decides who is asking, this decides what they see.
 */
import type { Message } from '../model.js';

export const DIRECTLINE_CHANNEL_ID = 'directline';
/** Direct Line's limit on one serialized activity. */
export const MAX_ACTIVITY_CHARS = 256 * 1024;
export const MAX_MESSAGE_TEXT = 10_000;
const SEQ_DIGITS = 7;

export interface ChannelAccount {
  readonly id: string;
  readonly name?: string | undefined;
  readonly role?: 'user' | 'bot' | undefined;
}

export interface DirectLineAttachment {
  readonly contentType: string;
  readonly contentUrl?: string | undefined;
  readonly name?: string | undefined;
}

export interface DirectLineActivity {
  readonly type: 'message' | 'typing' | 'endOfConversation' | 'event';
  readonly id?: string | undefined;
  readonly timestamp?: string | undefined;
  readonly channelId: string;
  readonly conversation: { readonly id: string };
  readonly from: ChannelAccount;
  readonly text?: string | undefined;
  readonly textFormat?: 'plain' | 'markdown' | undefined;
  readonly attachments?: readonly DirectLineAttachment[] | undefined;
  readonly channelData?: Readonly<Record<string, unknown>> | undefined;
  readonly locale?: string | undefined;
  readonly name?: string | undefined;
  readonly value?: unknown;
}

/** `{conversationId}|0000042`: what Direct Line clients expect, and unique per conversation. */
export function activityId(conversationId: string, seq: number): string {
  return `${conversationId}|${String(seq).padStart(SEQ_DIGITS, '0')}`;
}

/**
 * The sequence of a message from its activity id, when the id is one of this conversation's
 * (`{conversationId}|0000042`); undefined for anything else (another conversation's id, an event's).
 */
export function seqOfActivityId(conversationId: string, id: string): number | undefined {
  const prefix = `${conversationId}|`;
  if (!id.startsWith(prefix)) return undefined;
  const tail = id.slice(prefix.length);
  if (!/^\d{1,12}$/.test(tail)) return undefined;
  const seq = Number(tail);
  return seq >= 1 ? seq : undefined;
}

/**
 * Where a client stands: the sequence of the last message it has, and the last change (an edit or
 * delete of an earlier message, `message_revisions.change_no`) it has. Opaque to the client.
 */
export interface DirectLineWatermark {
  readonly seq: number;
  readonly change: number;
}

/**
 * `"42"`, or `"42.3"` once the conversation has changes: a conversation that never had an edit
 * keeps the plain sequences every client and stored watermark already use.
 */
export function watermarkOf(seq: number, change = 0): string {
  return change === 0 ? String(seq) : `${seq}.${change}`;
}

/** A client's watermark: the start when absent, undefined when it is not one of ours. */
export function parseWatermark(value: string | undefined | null): DirectLineWatermark | undefined {
  if (value === undefined || value === null || value === '') return { seq: 0, change: 0 };
  const match = /^(\d{1,12})(?:\.(\d{1,12}))?$/.exec(value);
  if (!match) return undefined;
  return { seq: Number(match[1]), change: match[2] === undefined ? 0 : Number(match[2]) };
}

/** Who is on the other side of the customer, as the customer's client names them. */
export interface ActivityView {
  readonly conversationId: string;
  /** The Direct Line user id the customer sends as. */
  readonly customerUserId: string;
  readonly customerName: string | null;
  /** Agent and bot display names by agent id. */
  readonly senderNames: ReadonlyMap<string, string>;
  /** The name Switchboard's own messages come from (the channel's title). */
  readonly channelTitle: string;
  /** The server's base URL: stored attachments have paths, clients need absolute URLs. */
  readonly baseUrl?: string | undefined;
}

/**
 * The activity a customer's client sees for a stored message, or undefined when the customer may
 * not see it (internal notes, whispers). The customer's own messages come back with their
 * `channelData` as sent: Web Chat finds its `clientActivityID` there to mark the message sent.
 */
export function messageToActivity(message: Message, view: ActivityView): DirectLineActivity | undefined {
  if (message.visibility !== 'public') return undefined;
  const base = {
    id: activityId(view.conversationId, message.seq),
    // The first timestamp, also after an edit: Web Chat orders by it, so a revised message stays in its place.
    timestamp: message.createdAt,
    channelId: DIRECTLINE_CHANNEL_ID,
    conversation: { id: view.conversationId },
  };
  if (message.deletedAt !== null) return deletedActivity(message, view, base);
  const absolute = (url: string | undefined) => (url?.startsWith('/') && view.baseUrl ? `${view.baseUrl}${url}` : url);
  const attachments = message.attachments.length === 0 ? undefined : message.attachments.map((a) => ({ contentType: a.contentType, contentUrl: absolute(a.url), name: a.name }));
  if (message.senderRole === 'customer') {
    return {
      ...base, type: 'message', from: { id: view.customerUserId, ...(view.customerName ? { name: view.customerName } : {}), role: 'user' },
      text: message.text, attachments, ...(message.channelData ? { channelData: message.channelData } : {}),
    };
  }
  const own = (message.channelData?.switchboard ?? null) as Record<string, unknown> | null;
  if (message.senderRole === 'system') {
    const from: ChannelAccount = { id: 'switchboard', name: view.channelTitle, role: 'bot' };
    if (own?.kind === 'ended') return { ...base, type: 'endOfConversation', from, channelData: { switchboard: own } };
    return { ...base, type: 'message', from, text: message.text, attachments, channelData: { switchboard: own ?? { kind: 'notice' } } };
  }
  const senderId = message.senderId ?? message.senderRole;
  const edited = message.editedAt !== null ? { editedAt: message.editedAt } : {};
  return {
    ...base, type: 'message', from: { id: senderId, name: view.senderNames.get(senderId) ?? message.senderRole, role: 'bot' },
    text: message.text, attachments, channelData: { ...(message.channelData ?? {}), switchboard: { ...(own ?? {}), senderRole: message.senderRole, ...edited } },
  };
}

/**
 * A deleted message, sent again under its id: a `message` with neither text nor attachments. Web
 * Chat replaces the activity it holds with that id and draws no bubble for an empty message
 * (botframework-webchat 4.18: `upsertActivityWithSort`, `createCoreMiddleware`); Switchboard's
 * widget removes it on `switchboard.deletedAt`. Web Chat renders no `messageDelete` activity.
 */
function deletedActivity(message: Message, view: ActivityView, base: Pick<DirectLineActivity, 'id' | 'timestamp' | 'channelId' | 'conversation'>): DirectLineActivity {
  const senderId = message.senderId ?? message.senderRole;
  const from: ChannelAccount = message.senderRole === 'customer'
    ? { id: view.customerUserId, ...(view.customerName ? { name: view.customerName } : {}), role: 'user' }
    : { id: senderId, name: view.senderNames.get(senderId) ?? message.senderRole, role: 'bot' };
  return { ...base, type: 'message', from, channelData: { switchboard: { senderRole: message.senderRole, deletedAt: message.deletedAt } } };
}

/** What a customer's client may send: a message or a typing indicator. */
export interface InboundActivity {
  readonly type: 'message' | 'typing';
  readonly text: string;
  readonly channelData: Readonly<Record<string, unknown>> | null;
  /** `channelData.clientActivityID`: the retry key. */
  readonly clientActivityId: string | null;
  readonly locale: string | null;
}

export type InboundResult = { readonly ok: true; readonly activity: InboundActivity } | { readonly ok: false; readonly problem: string };

/**
 * Checks an activity a customer's client posted. `from.id` must be there (Direct Line requires
 * it) but is not trusted: the service sends as the user the token names.
 */
export function readInboundActivity(body: unknown, options: { readonly allowEmptyText?: boolean } = {}): InboundResult {
  if (!body || typeof body !== 'object' || Array.isArray(body)) return { ok: false, problem: 'the activity must be a JSON object' };
  const a = body as Record<string, unknown>;
  if (JSON.stringify(a).length > MAX_ACTIVITY_CHARS) return { ok: false, problem: `the activity is larger than ${MAX_ACTIVITY_CHARS} characters` };
  if (a.type !== 'message' && a.type !== 'typing') return { ok: false, problem: 'type must be "message" or "typing"' };
  const from = a.from as Record<string, unknown> | undefined;
  if (!from || typeof from !== 'object' || typeof from.id !== 'string' || from.id.length === 0) return { ok: false, problem: 'from.id is required' };
  if (a.text !== undefined && typeof a.text !== 'string') return { ok: false, problem: 'text must be a string' };
  const text = (a.text as string | undefined) ?? '';
  if (text.length > MAX_MESSAGE_TEXT) return { ok: false, problem: `text is longer than ${MAX_MESSAGE_TEXT} characters` };
  if (a.channelData !== undefined && (a.channelData === null || typeof a.channelData !== 'object' || Array.isArray(a.channelData))) {
    return { ok: false, problem: 'channelData must be an object' };
  }
  const channelData = (a.channelData as Record<string, unknown> | undefined) ?? null;
  const clientId = channelData?.clientActivityID;
  if (clientId !== undefined && (typeof clientId !== 'string' || clientId.length === 0 || clientId.length > 200)) {
    return { ok: false, problem: 'channelData.clientActivityID must be a string of 1 to 200 characters' };
  }
  if (a.attachments !== undefined && (!Array.isArray(a.attachments) || a.attachments.length > 0)) {
    return { ok: false, problem: 'attachments are sent with the upload endpoint' };
  }
  if (a.type === 'message' && text.trim() === '' && !options.allowEmptyText) return { ok: false, problem: 'a message needs text' };
  const locale = typeof a.locale === 'string' && a.locale.length <= 20 ? a.locale : null;
  return { ok: true, activity: { type: a.type, text, channelData, clientActivityId: (clientId as string | undefined) ?? null, locale } };
}
