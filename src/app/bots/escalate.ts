import type { EscalationTrigger } from '../../core/bots/bot-activity.js';
import { escalationVariables } from '../../core/bots/escalation.js';
import type { ContextVariable } from '../../core/context-variable.js';
import type { Caller } from '../caller.js';
import { isSwitchboardError, SwitchboardError } from '../errors.js';
import { commit } from '../unit-of-work.js';
import type { BotDeps } from './bot-deps.js';

export interface EscalationRequest {
  readonly trigger: EscalationTrigger;
  /** The context the bot gathered; each key becomes a context variable of the same name. */
  readonly context: Readonly<Record<string, unknown>>;
  /** For the agent only: stored as an internal message from the bot. */
  readonly summary: string | null;
  readonly transcript: readonly unknown[] | null;
}

export type EscalationOutcome =
  | { readonly ok: true; readonly queueId: string; readonly status: string }
  | { readonly ok: false; readonly reason: string };

/** Who acts when a bot hands over: the bot itself, in its tenant only. */
export function botCaller(tenantId: string, botId: string): Caller {
  return { actor: { kind: 'bot', id: botId }, tenants: [tenantId], isPlatformAdmin: false };
}

/**
 * The one "escalate with context" use case every trigger ends in (a `handoff.initiate` event, an
 * Omnichannel `Escalate` command, Copilot Studio's context, an escalate phrase, a failing or
 * disconnected bot). First the bot's part becomes "escalated" with what it handed over (its
 * summary goes to the agent side as an internal message), so nothing more is delivered to it;
 * then routing runs again with the context set in the same transaction, so rules can pick the
 * queue, and never offers the conversation back to this bot. When routing cannot take it (no
 * queue member but the bot, no workstream), the bot keeps the conversation and hears
 * `handoff.status` "failed" with the reason.
 */
export async function escalateWithContext(deps: BotDeps, tenantId: string, conversationId: string, botId: string, request: EscalationRequest): Promise<EscalationOutcome> {
  const caller = botCaller(tenantId, botId);
  const given = escalationVariables(request.context);
  const skipped = given.skipped;
  // Set on every escalation, so a rule can send escalated conversations away from a bot-only queue
  // (`bot.escalated == true`) or by how they came (`bot.escalationTrigger == "phrase"`).
  const standard: ContextVariable[] = [
    { name: 'bot.escalated', type: 'boolean', value: true },
    { name: 'bot.escalationTrigger', type: 'string', value: request.trigger },
    { name: 'bot.id', type: 'string', value: botId },
  ];
  const variables = [...given.variables.filter((v) => !standard.some((s) => s.name === v.name)), ...standard];
  const marked = await commit(deps, caller, async (tx, emit, now) => {
    const part = await tx.bots.getBotConversation(tenantId, conversationId, botId);
    if (!part || part.role !== 'primary') throw new SwitchboardError('SB_ERR_BOT_NOT_BOUND');
    // A second escalation while the first is under way (a retried event, a phrase and the bot's own handoff) changes nothing.
    if (part.state !== 'active') return false;
    const conversation = await tx.lockConversation(tenantId, conversationId);
    if (!conversation || conversation.state !== 'bot') return false;
    await tx.bots.putBotConversation({
      ...part, state: 'escalated', escalatedAt: now, escalationTrigger: request.trigger, escalationContext: request.context,
      escalationSummary: request.summary, transcript: request.transcript, handoffState: 'pending',
    });
    await tx.bots.cancelDeliveries(tenantId, botId, now, conversationId);
    if (request.summary !== null) {
      const seq = await tx.nextMessageSeq(tenantId, conversationId, now);
      const message = {
        id: deps.ids.next('msg'), tenantId, conversationId, seq, senderRole: 'bot' as const, senderId: botId, visibility: 'internal' as const,
        text: request.summary.slice(0, 10_000), attachments: [], idempotencyKey: null,
        channelData: { switchboard: { kind: 'escalation-summary', trigger: request.trigger } }, createdAt: now, editedAt: null, deletedAt: null,
      };
      await tx.insertMessage(message);
      await emit('message.created', tenantId, conversationId, { message });
    }
    await emit('bot.escalated', tenantId, conversationId, {
      botId, trigger: request.trigger, variables: variables.map((v) => v.name), skipped, hasTranscript: request.transcript !== null,
    });
    return true;
  });
  if (!marked) return { ok: false, reason: 'the conversation is not with this bot any more' };
  try {
    const routed = await deps.routing.route(caller, tenantId, conversationId, { context: variables });
    return { ok: true, queueId: routed.queueId, status: routed.status };
  } catch (error) {
    if (!isSwitchboardError(error)) throw error;
    const reason = error.code === 'SB_ERR_TRANSFER_REJECTED' ? 'No agent other than the bot can take this conversation.' : error.message;
    await commit(deps, caller, async (tx, emit) => {
      const part = await tx.bots.getBotConversation(tenantId, conversationId, botId);
      if (!part || part.state !== 'escalated') return;
      // The bot keeps the conversation: it is still the one assigned to it.
      await tx.bots.putBotConversation({ ...part, state: 'active', handoffState: 'failed' });
      await emit('bot.handoff_failed', tenantId, conversationId, { botId, code: error.code, reason });
    });
    return { ok: false, reason };
  }
}
