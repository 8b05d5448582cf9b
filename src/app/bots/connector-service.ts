import { eventActivityId, readBotActivity, type BotChannelAccount, type BotIntent } from '../../core/bots/bot-activity.js';
import type { RevisionRefusal, RevisionRequest } from '../../core/message-revision.js';
import type { BotConversation } from '../../core/bots/bot-model.js';
import type { BotRegistration } from '../../core/bots/bot-registration.js';
import { isTerminal } from '../../core/conversation-lifecycle.js';
import type { Agent } from '../../core/model.js';
import { activityId, seqOfActivityId } from '../../core/webchat/directline-activity.js';
import { isSwitchboardError } from '../errors.js';
import { changeConversationState } from '../use-cases/change-conversation-state.js';
import { postMessage } from '../use-cases/post-message.js';
import { reviseMessage, type ReviseOutcome } from '../use-cases/revise-message.js';
import { DirectLineError } from '../webchat/directline-error.js';
import type { BotCallContext } from './bot-authenticator.js';
import type { BotDeps } from './bot-deps.js';
import { botCaller, escalateWithContext } from './escalate.js';

/**
 * The Connector API v3 a bot calls at its `serviceUrl` (PROTOCOLS.md section 3), as use cases.
 * Every call names a conversation; the calling bot must be bound to it (its primary bot, or an
 * assist bot advising its agent) and prove it is that bot per its auth mode. Errors are the Bot
 * Framework's shape and codes (`DirectLineError`: the same family), never Switchboard's, since
 * the SDK reads them.
 */
export interface ConnectorCall {
  readonly tenantId: string;
  readonly conversationId: string;
  readonly authorization: string | undefined;
  readonly context?: BotCallContext | undefined;
}

interface BoundBot {
  readonly bot: BotRegistration;
  readonly agent: Agent;
  readonly part: BotConversation;
}

/** Which bot is calling, checked: 404 for no such conversation, 401 for a bad token, 403 for a bot not bound to it. */
export async function boundCaller(deps: BotDeps, call: ConnectorCall): Promise<BoundBot> {
  const reads = deps.storage.read;
  const conversation = await reads.getConversation(call.tenantId, call.conversationId);
  if (!conversation) throw new DirectLineError('NotFound', 'The conversation does not exist.');
  const parts = (await reads.bots.listConversationBots(call.tenantId, call.conversationId)).filter((p) => p.state === 'active');
  // Several bots may be active (the primary and, later, assist bots): the token tells them apart;
  // without one, only an anonymous bot can be the caller.
  let refused: { status: 401 | 403; message: string } | null = null;
  const ordered = [...parts].sort((a, b) => (a.role === b.role ? 0 : a.role === 'primary' ? -1 : 1));
  for (const part of ordered) {
    const [bot, agent] = await Promise.all([reads.bots.getBot(call.tenantId, part.botId), reads.getAgent(call.tenantId, part.botId)]);
    if (!bot || !agent) continue;
    if (bot.authMode === 'none' && call.authorization !== undefined && ordered.length > 1) continue;
    const check = await deps.botAuthenticator.check(call.authorization, bot, agent.appId, call.context);
    if (check.ok) {
      if (bot.state === 'disconnected') throw new DirectLineError('Forbidden', 'The bot is disconnected.');
      return { bot, agent, part };
    }
    if (refused === null || check.status === 401) refused = { status: check.status, message: check.message };
  }
  if (refused?.status === 401) throw new DirectLineError('Unauthorized', refused.message);
  throw new DirectLineError('Forbidden', refused?.message ?? 'The conversation is not bound to the calling bot.');
}

export interface ResourceResponse {
  readonly id: string;
}

/**
 * `POST v3/conversations/{id}/activities[/{replyToId}]`: a bot's message goes to the customer
 * (or, under the Omnichannel convention without `deliveryMode: "bridged"`, to agents only; an
 * assist bot's always to agents only); an escalation hands the conversation over; the end closes it.
 */
export async function sendActivity(deps: BotDeps, call: ConnectorCall, body: unknown): Promise<ResourceResponse> {
  const { bot, part } = await boundCaller(deps, call);
  throttle(deps, call, bot);
  const read = readBotActivity(body, { bridgedOnly: bot.bridgedOnly });
  if (!read.ok) throw new DirectLineError('BadArgument', read.problem);
  const intent = read.intent;
  const caller = botCaller(call.tenantId, bot.id);
  const { tenantId, conversationId } = call;
  try {
    switch (intent.kind) {
      case 'message': {
        const assist = part.role === 'assist';
        const own = (body as { id?: unknown }).id;
        const { message } = await postMessage(deps, caller, tenantId, conversationId, {
          senderRole: 'bot', senderId: bot.id, visibility: assist ? 'internal' : intent.visibility, text: intent.text,
          attachments: intent.attachments,
          channelData: storedChannelData(intent, assist),
          // botbuilder deletes `id` before sending; a bot that sets one gets exactly-once retries.
          idempotencyKey: typeof own === 'string' && own.length > 0 && own.length <= 200 ? `bf:${own}` : undefined,
        });
        return { id: activityId(conversationId, message.seq) };
      }
      case 'escalate': {
        if (part.role !== 'primary') throw new DirectLineError('BadArgument', 'An assist bot cannot escalate; it advises the agent who has the conversation.');
        await escalateWithContext(deps, tenantId, conversationId, bot.id, {
          trigger: intent.trigger, context: intent.context, summary: intent.summary, transcript: intent.transcript,
        });
        return { id: `${conversationId}|h${deps.ids.next('hof')}` };
      }
      case 'end': {
        if (part.role !== 'primary') throw new DirectLineError('BadArgument', 'An assist bot cannot end the conversation.');
        const conversation = await deps.storage.read.getConversation(tenantId, conversationId);
        if (conversation && !isTerminal(conversation.state)) {
          await changeConversationState(deps, caller, tenantId, conversationId, { to: 'closed', reason: intent.trigger === 'omnichannel' ? 'bot ended (EndConversation)' : 'bot ended' });
        }
        return { id: eventActivityId(conversationId, await deps.storage.read.latestEventId(tenantId)) };
      }
      case 'typing':
      case 'ignored':
        return { id: `${conversationId}|x${deps.ids.next('act')}` };
    }
  } catch (error) {
    if (isSwitchboardError(error)) {
      if (error.code === 'SB_ERR_CONVERSATION_CLOSED' || error.code === 'SB_ERR_ILLEGAL_TRANSITION') throw new DirectLineError('BadArgument', 'The conversation has ended.');
      if (error.code === 'SB_ERR_IDEMPOTENCY_CONFLICT') throw new DirectLineError('Conflict', 'An activity with this id was already sent with other content.');
      if (error.code === 'SB_ERR_VALIDATION') throw new DirectLineError('BadArgument', error.message);
    }
    throw error;
  }
}

/** Beyond the per-conversation or per-bot rate, 429 (botbuilder honours the Retry-After). */
function throttle(deps: BotDeps, call: ConnectorCall, bot: BotRegistration): void {
  const now = deps.clock.now();
  if (!deps.connectorRate.conversation.allow(`${call.tenantId}/${call.conversationId}`, now) || !deps.connectorRate.bot.allow(`${call.tenantId}/${bot.id}`, now)) {
    throw new DirectLineError('TooManyRequests', 'The bot sends too fast; slow down.');
  }
}

type MessageIntent = Extract<BotIntent, { kind: 'message' }>;

/** What a bot's message keeps beside its text: its channelData, its cards, and an assist bot's mark. */
function storedChannelData(intent: MessageIntent, assist: boolean): Record<string, unknown> {
  return {
    ...(intent.channelData ?? {}),
    ...(intent.inlineAttachments.length > 0 || assist ? { switchboard: { ...(assist ? { kind: 'suggestion' } : {}), ...(intent.inlineAttachments.length > 0 ? { attachments: intent.inlineAttachments } : {}) } } : {}),
  };
}

/** The message an activity id names in the call's conversation: 404 for an id of anything else. */
function messageSeq(call: ConnectorCall, id: string): number {
  const seq = seqOfActivityId(call.conversationId, id);
  if (seq === undefined) throw new DirectLineError('NotFound', 'The activity does not exist in this conversation.');
  return seq;
}

/** A refused revision in the Bot Framework's terms. Nothing was changed. */
function refused(refusal: RevisionRefusal | 'not_found'): DirectLineError {
  switch (refusal) {
    case 'not_found':
      return new DirectLineError('NotFound', 'The activity does not exist in this conversation.');
    case 'deleted':
      return new DirectLineError('NotFound', 'The activity was deleted.');
    case 'not_sender':
      return new DirectLineError('Forbidden', 'The activity was not sent by the calling bot; a bot updates or deletes only its own activities.');
    case 'empty':
      return new DirectLineError('BadArgument', 'a message needs text or an attachment');
  }
}

async function revise(deps: BotDeps, call: ConnectorCall, bot: BotRegistration, seq: number, request: RevisionRequest): Promise<void> {
  let outcome: ReviseOutcome;
  try {
    outcome = await reviseMessage(deps, botCaller(call.tenantId, bot.id), call.tenantId, call.conversationId, seq, { senderRole: 'bot', senderId: bot.id }, request);
  } catch (error) {
    if (isSwitchboardError(error) && error.code === 'SB_ERR_CONVERSATION_CLOSED') throw new DirectLineError('BadArgument', 'The conversation has ended.');
    throw error;
  }
  if (!outcome.ok) throw refused(outcome.refusal);
}

/**
 * `PUT v3/conversations/{id}/activities/{activityId}` (botbuilder's `context.updateActivity`): the
 * calling bot's own message gets new text and attachments, checked as a send is; it keeps its id,
 * place, time and visibility, and the customer's client shows it in place of the old one. The
 * activity must be a `message` (an escalation or the end cannot be an edit).
 */
export async function updateActivity(deps: BotDeps, call: ConnectorCall, activityIdParam: string, body: unknown): Promise<ResourceResponse> {
  const { bot, part } = await boundCaller(deps, call);
  throttle(deps, call, bot);
  const seq = messageSeq(call, activityIdParam);
  const own = body && typeof body === 'object' ? (body as { id?: unknown }).id : undefined;
  if (own !== undefined && own !== null && own !== activityIdParam) throw new DirectLineError('BadArgument', 'The activity\'s id is not the one in the path.');
  const read = readBotActivity(body, { bridgedOnly: bot.bridgedOnly });
  if (!read.ok) throw new DirectLineError(read.problem.startsWith('the activity is larger') ? 'MessageSizeTooBig' : 'BadArgument', read.problem);
  if (read.intent.kind !== 'message') throw new DirectLineError('BadArgument', 'An update replaces a message: the activity must be a message with text or attachments.');
  const intent = read.intent;
  await revise(deps, call, bot, seq, {
    kind: 'update', content: { text: intent.text, attachments: intent.attachments, channelData: storedChannelData(intent, part.role === 'assist') },
  });
  return { id: activityId(call.conversationId, seq) };
}

/**
 * `DELETE v3/conversations/{id}/activities/{activityId}` (`context.deleteActivity`): the calling
 * bot's own message is deleted: its text and attachments are no longer served to anyone (the
 * customer's client removes it), a revision keeps them for audit. Deleting it again answers 200.
 */
export async function deleteActivity(deps: BotDeps, call: ConnectorCall, activityIdParam: string): Promise<void> {
  const { bot } = await boundCaller(deps, call);
  throttle(deps, call, bot);
  await revise(deps, call, bot, messageSeq(call, activityIdParam), { kind: 'delete' });
}

/** `GET v3/conversations/{id}/members`: the bot and the customer. */
export async function conversationMembers(deps: BotDeps, call: ConnectorCall): Promise<BotChannelAccount[]> {
  const { agent } = await boundCaller(deps, call);
  const reads = deps.storage.read;
  const conversation = await reads.getConversation(call.tenantId, call.conversationId);
  const contact = conversation ? await reads.getContact(call.tenantId, conversation.contactId) : undefined;
  const address = contact?.identities[0]?.address ?? conversation?.contactId ?? 'customer';
  return [
    { id: agent.appId ?? agent.id, name: agent.displayName, role: 'bot' },
    { id: address, ...(contact?.displayName ? { name: contact.displayName } : {}), role: 'user' },
  ];
}

/**
 * Contains a flooding bot: at most `perSecond` Connector calls per bot per second (a sliding pair
 * of one-second windows), in this process. Beyond it the bot gets 429 and its customers are not
 * flooded; botbuilder surfaces the error to the bot's turn.
 */
export class ConnectorRateLimit {
  private readonly windows = new Map<string, { start: number; count: number; previous: number }>();

  constructor(private readonly perSecond: number) {}

  allow(key: string, now: number): boolean {
    const second = Math.floor(now / 1000) * 1000;
    let w = this.windows.get(key);
    if (!w || second - w.start >= 2000) w = { start: second, count: 0, previous: 0 };
    else if (second !== w.start) w = { start: second, count: 0, previous: w.count };
    const weight = 1 - (now - second) / 1000;
    if (w.count + w.previous * weight >= this.perSecond) {
      this.windows.set(key, w);
      return false;
    }
    w.count += 1;
    this.windows.set(key, w);
    if (this.windows.size > 100_000) this.windows.clear();
    return true;
  }
}
