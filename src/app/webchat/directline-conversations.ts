import { randomBytes } from 'node:crypto';
import { combineRoles } from '../../core/identity/grants.js';
import { isTerminal } from '../../core/conversation-lifecycle.js';
import type { Channel, Conversation, Message } from '../../core/model.js';
import {
  activityId, DIRECTLINE_CHANNEL_ID, messageToActivity, parseWatermark, readInboundActivity, watermarkOf, type DirectLineActivity, type DirectLineWatermark, type InboundActivity,
} from '../../core/webchat/directline-activity.js';
import { readWebchatSettings } from '../../core/webchat/webchat-settings.js';
import type { Caller } from '../caller.js';
import { isSwitchboardError } from '../errors.js';
import type { ContextPatch } from '../use-cases/check-context.js';
import { createConversation } from '../use-cases/create-conversation.js';
import { postMessage, type UploadedFile } from '../use-cases/post-message.js';
import { ALLOWED_UPLOAD_TYPES, checkUpload, MAX_UPLOAD_BYTES, MAX_UPLOAD_FILES, safeFileName } from '../../core/webchat/upload-policy.js';
import type { DirectLinePrincipal } from './directline-auth.js';
import { DirectLineError } from './directline-error.js';
import { issueDirectLineToken, type DirectLineGrant, type PendingContext } from './directline-tokens.js';
import type { WebchatDeps } from './webchat-deps.js';

/** The context variable that remembers which Direct Line user a conversation's customer is. */
export const USER_ID_VARIABLE = 'webchat.userId';
const USER_ID = /^[A-Za-z0-9_:.@-]{1,128}$/;
const PAGE_SIZE = 500;

/** The customer acting through their client: may read and write their own conversation only (the token says which). */
export function customerCaller(tenantId: string, userId: string): Caller {
  return {
    actor: { kind: 'customer', id: userId }, tenants: [tenantId], isPlatformAdmin: false,
    grants: combineRoles([{ permissions: ['conversations.read', 'conversations.write'], queueIds: null }]),
  };
}

export interface ConversationAnswer {
  readonly conversationId: string;
  readonly token: string;
  readonly expiresIn: number;
  /** False when the token's conversation was already started (Direct Line answers 200, not 201). */
  readonly created: boolean;
}

export interface TokenRequest {
  readonly user?: { readonly id?: unknown; readonly name?: unknown } | undefined;
}

/** A new user id for a customer whose client named none: unguessable, so nobody can send as them. */
export function newUserId(): string {
  return `dl_${randomBytes(16).toString('base64url')}`;
}

/** The user a secret-holding server asks for (`user.id` becomes the enforced sender), or a fresh one. */
export function userFromRequest(body: TokenRequest | undefined): { userId: string; userName: string | null; given: boolean } {
  const id = body?.user?.id;
  const name = body?.user?.name;
  if (id !== undefined && (typeof id !== 'string' || !USER_ID.test(id))) throw new DirectLineError('BadArgument', 'user.id must be 1 to 128 letters, digits or _:.@-');
  if (name !== undefined && (typeof name !== 'string' || name.length > 200)) throw new DirectLineError('BadArgument', 'user.name must be text of at most 200 characters');
  return { userId: (id as string | undefined) ?? newUserId(), userName: (name as string | undefined) ?? null, given: id !== undefined };
}

/** `POST /tokens/generate` with a secret: a token for a conversation not started yet. */
export async function generateToken(deps: WebchatDeps, principal: DirectLinePrincipal, body: TokenRequest | undefined): Promise<ConversationAnswer> {
  if (principal.kind !== 'secret') throw new DirectLineError('Forbidden', 'Tokens are generated with a secret.');
  const { userId, userName, given } = userFromRequest(body);
  const conversationId = deps.ids.next('conv');
  const issued = await issueDirectLineToken(deps, {
    tenantId: principal.channel.tenantId, channelId: principal.channel.id, conversationId, userId, userName, secretId: principal.secretId,
    context: given ? { authenticated: true } : null,
  });
  return { conversationId, token: issued.token, expiresIn: issued.expiresIn, created: false };
}

/** `POST /tokens/refresh`: a fresh token for the same conversation and user. */
export async function refreshToken(deps: WebchatDeps, grant: DirectLineGrant): Promise<ConversationAnswer> {
  const issued = await issueDirectLineToken(deps, grant);
  return { conversationId: grant.conversationId, token: issued.token, expiresIn: issued.expiresIn, created: false };
}

/**
 * `POST /conversations`: starts the token's conversation (or a new one with a secret). Starting
 * creates the conversation, its customer and context (pre-chat answers, the page, the user) and
 * puts it into routing. Starting an already started conversation answers it again (200).
 */
export async function startConversation(deps: WebchatDeps, principal: DirectLinePrincipal, body: TokenRequest | undefined): Promise<ConversationAnswer> {
  const channel = principal.channel;
  let grant: Omit<DirectLineGrant, 'expiresAt'>;
  if (principal.kind === 'secret') {
    const { userId, userName, given } = userFromRequest(body);
    grant = {
      tenantId: channel.tenantId, channelId: channel.id, conversationId: deps.ids.next('conv'), userId, userName, secretId: principal.secretId,
      context: given ? { authenticated: true } : null,
    };
  } else {
    grant = principal.grant;
  }
  const existing = await deps.storage.read.getConversation(grant.tenantId, grant.conversationId);
  if (existing) {
    if (existing.channelId !== channel.id) throw new DirectLineError('Forbidden', 'The token is for another channel.');
    if (isTerminal(existing.state)) throw new DirectLineError('NotFound', 'The conversation has ended.');
    const issued = await issueDirectLineToken(deps, grant);
    return { conversationId: grant.conversationId, token: issued.token, expiresIn: issued.expiresIn, created: false };
  }
  const caller = customerCaller(grant.tenantId, grant.userId);
  try {
    await createConversation(deps, caller, grant.tenantId, {
      id: grant.conversationId, channelId: channel.id,
      customer: { address: grant.userId, displayName: grant.userName ?? undefined },
      context: contextOf(grant.userId, grant.context),
    });
  } catch (error) {
    // Two starts with one token raced (two tabs, a retry): the other one created it.
    if (!(await deps.storage.read.getConversation(grant.tenantId, grant.conversationId))) throw error;
    const issued = await issueDirectLineToken(deps, grant);
    return { conversationId: grant.conversationId, token: issued.token, expiresIn: issued.expiresIn, created: false };
  }
  // Routing failing (no workstream for web chat yet) must not lose the customer: the conversation
  // exists and is visible to agents; the failure is reported.
  await deps.routing.route(caller, grant.tenantId, grant.conversationId).catch((error: unknown) => {
    deps.onRoutingError?.(error, grant.conversationId);
  });
  const issued = await issueDirectLineToken(deps, { ...grant, context: null });
  return { conversationId: grant.conversationId, token: issued.token, expiresIn: issued.expiresIn, created: true };
}

/** The context a started conversation gets: pre-chat answers, the page, the user. */
function contextOf(userId: string, pending: PendingContext | null): ContextPatch {
  const context: Record<string, { type: string; value: unknown }> = { [USER_ID_VARIABLE]: { type: 'string', value: userId } };
  for (const [name, value] of Object.entries(pending?.prechat ?? {})) context[`prechat.${name}`] = { type: 'string', value };
  const page = pending?.page;
  if (page?.url) context['page.url'] = { type: 'string', value: page.url };
  if (page?.title) context['page.title'] = { type: 'string', value: page.title };
  if (page?.locale) context['customer.locale'] = { type: 'string', value: page.locale };
  context['customer.authenticated'] = { type: 'boolean', value: pending?.authenticated === true };
  if (pending?.authenticated) context['customer.id'] = { type: 'string', value: userId };
  return context;
}

/**
 * The conversation a caller names, checked: a token may name only its own conversation; a
 * secret any conversation of its channel. Ended conversations stay readable (`allowEnded`) so
 * a client can still fetch what it missed, the end included.
 */
export async function conversationFor(deps: WebchatDeps, principal: DirectLinePrincipal, conversationId: string, allowEnded: boolean): Promise<Conversation> {
  if (principal.kind === 'token' && principal.grant.conversationId !== conversationId) {
    throw new DirectLineError('Forbidden', 'The token is for another conversation.');
  }
  const conversation = await deps.storage.read.getConversation(principal.channel.tenantId, conversationId);
  if (!conversation || conversation.channelId !== principal.channel.id) throw new DirectLineError('NotFound', 'The conversation does not exist.');
  if (!allowEnded && isTerminal(conversation.state)) throw new DirectLineError('NotFound', 'The conversation has ended.');
  return conversation;
}

/** The Direct Line user of a conversation, and the token for it (a secret's caller gets a new one). */
export async function reconnect(deps: WebchatDeps, principal: DirectLinePrincipal, bearer: string, conversationId: string): Promise<ConversationAnswer> {
  const conversation = await conversationFor(deps, principal, conversationId, false);
  if (principal.kind === 'token') return { conversationId, token: bearer, expiresIn: Math.max(0, Math.floor((principal.grant.expiresAt - deps.clock.now()) / 1000)), created: false };
  const userId = await userIdOf(deps, conversation);
  const issued = await issueDirectLineToken(deps, {
    tenantId: conversation.tenantId, channelId: conversation.channelId, conversationId, userId, userName: null, secretId: principal.secretId, context: null,
  });
  return { conversationId, token: issued.token, expiresIn: issued.expiresIn, created: false };
}

async function userIdOf(deps: WebchatDeps, conversation: Conversation): Promise<string> {
  const variable = (await deps.storage.read.getContext(conversation.tenantId, conversation.id)).find((v) => v.name === USER_ID_VARIABLE);
  return typeof variable?.value === 'string' ? variable.value : conversation.contactId;
}

export interface ActivitySet {
  readonly activities: DirectLineActivity[];
  readonly watermark: string;
}

/** An ActivitySet with the watermark after each of its activities: where a frame cut after one may resume. */
export interface MarkedActivitySet extends ActivitySet {
  readonly marks: readonly string[];
  /**
   * Both pages were short: nothing committed before the read is left after the watermark, so a
   * reader woken for each commit (the stream) need not read again to find that out.
   */
  readonly caughtUp: boolean;
}

/**
 * What the customer may see after the watermark, in sequence order. An ended conversation
 * answers its last activities (the end included) and 404 once the client has them all.
 */
export async function activitiesAfter(deps: WebchatDeps, principal: DirectLinePrincipal, conversationId: string, watermark: string | undefined, baseUrl?: string): Promise<ActivitySet> {
  const after = parseWatermark(watermark);
  if (after === undefined) throw new DirectLineError('BadArgument', 'The watermark is not one this service gave out.');
  const conversation = await conversationFor(deps, principal, conversationId, true);
  const set = await readActivities(deps, principal.channel, conversation, after, baseUrl);
  if (isTerminal(conversation.state) && set.activities.length === 0) throw new DirectLineError('NotFound', 'The conversation has ended.');
  return { activities: set.activities, watermark: set.watermark };
}

/**
 * Reads one page of the customer's view after `after`; the watermark moves past hidden messages
 * too. First the changes (edits, deletes) after the watermark's change: a changed message the
 * client already has (its seq at or before the watermark's) comes again under its id with its
 * content as it is now, which Web Chat and our widget put in place of the old one; a change of a
 * message the client has not had yet is skipped, since that message comes below as it is now.
 * Changes are read before messages, so a change committed in between is read with the next read
 * (at worst the same content twice), never lost. An ended conversation ends with an
 * `endOfConversation` activity at the sequence after its last message: not stored, yet at a fixed
 * place, so the stream and polling clients both get it exactly once, and a client that has it is
 * told 404 (ended) next.
 */
export async function readActivities(deps: WebchatDeps, channel: Channel, conversation: Conversation, after: DirectLineWatermark, baseUrl?: string): Promise<MarkedActivitySet> {
  const reads = deps.storage.read;
  const changes = await reads.messageRevisions.listChanges(conversation.tenantId, conversation.id, after.change, PAGE_SIZE);
  const change = changes.at(-1)?.change ?? after.change;
  const had = changes.filter((c) => c.messageSeq <= after.seq);
  const changed = had.length === 0 ? [] : await reads.messageRevisions.listMessagesBySeq(conversation.tenantId, conversation.id, had.map((c) => c.messageSeq));
  const messages = await reads.listMessages(conversation.tenantId, conversation.id, after.seq, PAGE_SIZE);
  const activities: DirectLineActivity[] = [];
  const marks: string[] = [];
  // Nothing new (a reconnect that is up to date, most polls): no view to build, so no contact,
  // context or agent reads for it.
  if (messages.length > 0 || changed.length > 0) {
    const view = { ...(await viewOf(deps, channel, conversation, [...changed, ...messages])), baseUrl };
    // In the order of each message's last change, so that a frame cut after one resumes correctly:
    // a change at or before its mark is either sent already or due again with a later change.
    const lastChange = new Map<number, number>();
    for (const c of had) lastChange.set(c.messageSeq, c.change);
    const byLastChange = [...changed].sort((a, b) => lastChange.get(a.seq)! - lastChange.get(b.seq)!);
    for (const message of byLastChange) {
      const activity = messageToActivity(message, view);
      if (activity) {
        activities.push(activity);
        marks.push(watermarkOf(after.seq, lastChange.get(message.seq)!));
      }
    }
    for (const message of messages) {
      const activity = messageToActivity(message, view);
      if (activity) {
        activities.push(activity);
        marks.push(watermarkOf(message.seq, change));
      }
    }
  }
  let last = messages.at(-1)?.seq ?? after.seq;
  const caughtUp = messages.length < PAGE_SIZE && changes.length < PAGE_SIZE;
  if (caughtUp && isTerminal(conversation.state) && last <= conversation.lastSeq) {
    last = conversation.lastSeq + 1;
    const settings = readWebchatSettings(channel.config, channel.name);
    const csat = settings.ok && settings.settings.csatEnabled && (await surveyOffered(deps, conversation));
    activities.push(endOfConversation(conversation.id, last, conversation.closedAt ?? conversation.updatedAt, channelTitleOf(channel), csat));
    marks.push(watermarkOf(last, change));
  }
  return { activities, watermark: watermarkOf(last, change), marks, caughtUp };
}

/**
 * Whether the customer is offered the satisfaction survey at the end: the channel's setting, unless
 * whoever ended the conversation set its context variable `survey.offered` to false (an agent's
 * "close without survey", a bot that already asked).
 */
export const SURVEY_OFFERED_VARIABLE = 'survey.offered';

async function surveyOffered(deps: WebchatDeps, conversation: Conversation): Promise<boolean> {
  const context = await deps.storage.read.getContext(conversation.tenantId, conversation.id);
  const flag = context.find((v) => v.name === SURVEY_OFFERED_VARIABLE);
  return !(flag?.type === 'boolean' && flag.value === false);
}

function endOfConversation(conversationId: string, seq: number, at: string, title: string, csat: boolean): DirectLineActivity {
  return {
    type: 'endOfConversation', id: activityId(conversationId, seq), timestamp: at, channelId: DIRECTLINE_CHANNEL_ID,
    conversation: { id: conversationId }, from: { id: 'switchboard', name: title, role: 'bot' }, channelData: { switchboard: { kind: 'ended', csat } },
  };
}

async function viewOf(deps: WebchatDeps, channel: Channel, conversation: Conversation, messages: readonly Message[]) {
  const reads = deps.storage.read;
  const senderNames = new Map<string, string>();
  const idsOf = (keep: (m: Message) => boolean) => new Set(messages.filter((m) => keep(m) && m.senderId).map((m) => m.senderId!));
  for (const id of idsOf((m) => m.senderRole === 'agent' || m.senderRole === 'bot')) {
    const agent = await reads.getAgent(conversation.tenantId, id);
    if (agent) senderNames.set(id, agent.displayName);
  }
  // A supervisor is no agent: their name is the one they barged in with (the participant's).
  const supervisors = idsOf((m) => m.senderRole === 'supervisor');
  if (supervisors.size > 0) {
    for (const p of await reads.listParticipants(conversation.tenantId, conversation.id)) {
      if (p.role === 'supervisor' && p.refId && p.displayName && supervisors.has(p.refId)) senderNames.set(p.refId, p.displayName);
    }
  }
  const contact = await reads.getContact(conversation.tenantId, conversation.contactId);
  return {
    conversationId: conversation.id, customerUserId: await userIdOf(deps, conversation), customerName: contact?.displayName ?? null, senderNames,
    channelTitle: channelTitleOf(channel),
  };
}

/** The name Switchboard's own activities come from: the channel's title, or its name. */
function channelTitleOf(channel: Channel): string {
  const settings = readWebchatSettings(channel.config, channel.name);
  return settings.ok ? settings.settings.title : channel.name;
}

export interface PostedActivity {
  readonly id: string;
  /** Set for a typing activity: relayed to the agents, never stored. */
  readonly typing?: { readonly tenantId: string; readonly conversationId: string; readonly userId: string } | undefined;
}

/**
 * `POST /conversations/{id}/activities`: a message is stored as the customer's (once per
 * `channelData.clientActivityID`), whatever `from.id` claims; typing is handed back for relaying.
 */
export async function postActivity(deps: WebchatDeps, principal: DirectLinePrincipal, conversationId: string, body: unknown): Promise<PostedActivity> {
  const read = readInboundActivity(body);
  if (!read.ok) throw new DirectLineError(read.problem.startsWith('the activity is larger') ? 'MessageSizeTooBig' : 'BadArgument', read.problem);
  const conversation = await conversationFor(deps, principal, conversationId, false);
  const userId = principal.kind === 'token' ? principal.grant.userId : await userIdOf(deps, conversation);
  if (read.activity.type === 'typing') {
    return { id: `${conversationId}|typing`, typing: { tenantId: conversation.tenantId, conversationId, userId } };
  }
  return sendAsCustomer(deps, conversation, userId, read.activity);
}

/** Stores the customer's message (once per clientActivityID), answering in Direct Line's terms. */
async function sendAsCustomer(
  deps: WebchatDeps, conversation: Conversation, userId: string, activity: InboundActivity, files?: readonly UploadedFile[],
): Promise<PostedActivity> {
  try {
    const posted = await postMessage(deps, customerCaller(conversation.tenantId, userId), conversation.tenantId, conversation.id, {
      senderRole: 'customer', text: activity.text, channelData: activity.channelData, files,
      ...(activity.clientActivityId ? { idempotencyKey: activity.clientActivityId } : {}),
    });
    return { id: activityId(conversation.id, posted.message.seq) };
  } catch (error) {
    if (isSwitchboardError(error) && error.code === 'SB_ERR_IDEMPOTENCY_CONFLICT') throw new DirectLineError('Conflict', 'The clientActivityID was already used for another activity.');
    if (isSwitchboardError(error) && error.code === 'SB_ERR_CONVERSATION_CLOSED') throw new DirectLineError('NotFound', 'The conversation has ended.');
    throw error;
  }
}

/**
 * `POST /conversations/{id}/upload`: files (multipart parts named `file`) and optionally the
 * activity they belong to (part `activity`); stored with one customer message, in one
 * transaction. Refused whole when any file is of a forbidden type or size: nothing is stored.
 */
export async function uploadActivity(
  deps: WebchatDeps, principal: DirectLinePrincipal, conversationId: string, activity: unknown, files: readonly UploadedFile[],
): Promise<PostedActivity> {
  if (files.length === 0) throw new DirectLineError('BadArgument', 'Send at least one part named "file".');
  if (files.length > MAX_UPLOAD_FILES) throw new DirectLineError('BadArgument', `At most ${MAX_UPLOAD_FILES} files per activity.`);
  for (const file of files) {
    const checked = checkUpload(file.contentType, file.content);
    if (!checked.ok) {
      if (checked.reason === 'size') throw new DirectLineError('MessageSizeTooBig', `Each file must be 1 byte to ${MAX_UPLOAD_BYTES} bytes.`);
      throw new DirectLineError('UnsupportedMediaType', `Files may be ${ALLOWED_UPLOAD_TYPES.join(', ')}, and must be what they say they are.`);
    }
  }
  // The activity part lists the attachments without their bytes; they arrive as the files.
  const template = activity === undefined ? { type: 'message', from: { id: 'upload' }, text: '' } : activity;
  const withoutAttachments = template && typeof template === 'object' ? { ...(template as Record<string, unknown>), attachments: undefined, text: (template as { text?: unknown }).text ?? '' } : template;
  const read = readInboundActivity(withoutAttachments, { allowEmptyText: true });
  if (!read.ok || read.activity.type !== 'message') throw new DirectLineError('BadArgument', read.ok ? 'Uploads belong to a message activity.' : read.problem);
  const conversation = await conversationFor(deps, principal, conversationId, false);
  const userId = principal.kind === 'token' ? principal.grant.userId : await userIdOf(deps, conversation);
  return sendAsCustomer(deps, conversation, userId, read.activity,
    files.map((f) => ({ ...f, name: safeFileName(f.name), contentType: f.contentType.split(';')[0]!.trim().toLowerCase() })));
}
