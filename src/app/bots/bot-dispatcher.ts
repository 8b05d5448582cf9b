import {
  conversationUpdate, endOfConversation, eventActivityId, handoffStatus, messageForBot,
  type BotActivity, type BotConversationView, type EscalationTrigger,
} from '../../core/bots/bot-activity.js';
import type { BotConversation, BotDelivery, NewBotDelivery } from '../../core/bots/bot-model.js';
import { UNHEALTHY_AFTER_FAILURES, type BotRegistration } from '../../core/bots/bot-registration.js';
import { matchesEscalatePhrase } from '../../core/bots/escalation.js';
import { isTerminal, type ConversationState } from '../../core/conversation-lifecycle.js';
import type { Message, SwitchboardEvent } from '../../core/model.js';
import { DIRECTLINE_CHANNEL_ID } from '../../core/webchat/directline-activity.js';
import { SYSTEM_CALLER } from '../caller.js';
import type { BotPostResult } from '../ports/bot-endpoint.js';
import type { StoreReads, StoreTx } from '../ports/storage.js';
import { commit, type Emit } from '../unit-of-work.js';
import { serviceUrlFor, type BotDeps } from './bot-deps.js';
import { recordBotHealth } from './bot-registry.js';
import { escalateWithContext } from './escalate.js';

const EVENTS_PER_BATCH = 200;
const DUE_PER_PASS = 256;
/** A claimed delivery is due again this long after its attempt should have timed out (its node died). */
const LEASE_MARGIN_MS = 5_000;
/** How long a shutdown waits for deliveries in flight. */
const CLOSE_GRACE_MS = 2_000;

/** An escalation the log asked for, run after the batch that found it commits. */
interface FollowUp {
  readonly tenantId: string;
  readonly conversationId: string;
  readonly botId: string;
  readonly trigger: EscalationTrigger;
  readonly summary: string | null;
}

class CursorMoved extends Error {}

/**
 * Delivers the conversation to bots, reliably. Two halves:
 *
 * 1. **Log -> outbox.** For each tenant with bots, the dispatcher reads the event log after its
 *    cursor and turns events into deliveries: a conversation assigned to a bot starts it
 *    (`conversationUpdate`), the customer's messages follow, a person accepting an escalated
 *    conversation is `handoff.status` "accepted", the end is `endOfConversation` or
 *    `handoff.status` "completed"/"failed". Deliveries, the bots' parts in conversations and the
 *    cursor are written in one transaction, and each delivery has a dedupe key from its event, so
 *    a crash or a second node replaying a batch queues nothing twice and loses nothing.
 * 2. **Outbox -> bots.** Due deliveries are POSTed with the channel's JWT, one at a time per
 *    conversation (in order), many per bot. 5xx, 429, timeouts and refused connections are retried
 *    with backoff (Retry-After honoured); a delivery that still fails hands its conversation to
 *    people, and a bot failing repeatedly is marked unhealthy, stops being chosen by routing, and
 *    hands over all its conversations, so no customer waits on a dead bot.
 */
export class BotDispatcher {
  private readonly pumps = new Map<string, Promise<void>>();
  private readonly pumpAgain = new Set<string>();
  private readonly tenants = new Set<string>();
  /** Conversations with a delivery in flight or waiting for a retry (until the epoch ms given). */
  private readonly busy = new Map<string, number>();
  private readonly perBot = new Map<string, number>();
  private readonly attempts = new Set<Promise<void>>();
  private readonly views = new Map<string, BotConversationView>();
  private draining: Promise<void> | null = null;
  private drainAgain = false;
  private cancelTimer: (() => void) | null = null;
  private timerAt = Number.POSITIVE_INFINITY;
  private unsubscribe: (() => void) | null = null;
  private closed = false;

  constructor(private readonly deps: BotDeps, private readonly onError: (error: unknown, context: Record<string, unknown>) => void) {}

  async start(): Promise<void> {
    for (const tenantId of await this.deps.storage.read.bots.listTenantsWithBots()) this.tenants.add(tenantId);
    this.unsubscribe = this.deps.bus.subscribe((event) => {
      if (event.type === 'bot.registered') this.tenants.add(event.tenantId);
      if (this.tenants.has(event.tenantId) && !event.type.startsWith('bot.health')) this.kick(event.tenantId);
    });
    for (const tenantId of this.tenants) this.kick(tenantId);
    this.drain();
  }

  async close(): Promise<void> {
    this.closed = true;
    this.unsubscribe?.();
    this.cancelTimer?.();
    await Promise.allSettled([...this.pumps.values(), this.draining ?? Promise.resolve()]);
    // Attempts in flight get a moment to finish, not their whole timeout: a bot that hangs must not
    // hold up a shutdown. One cut short stays pending (claimed) and is sent again after its lease.
    let timer: ReturnType<typeof setTimeout> | undefined;
    await Promise.race([Promise.allSettled([...this.attempts]), new Promise((resolve) => { timer = setTimeout(resolve, CLOSE_GRACE_MS); })]);
    clearTimeout(timer);
  }

  /** Resolves when nothing is being read from the log or delivered (tests, benchmarks). Deliveries waiting for a retry are not waited for. */
  async idle(): Promise<void> {
    for (;;) {
      const pending = [...this.pumps.values(), ...this.attempts, ...(this.draining ? [this.draining] : [])];
      if (pending.length === 0) return;
      await Promise.allSettled(pending);
    }
  }

  /** Hands every conversation a bot has to people (the bot was disconnected or is unhealthy). */
  async handOverAll(tenantId: string, botId: string, trigger: EscalationTrigger): Promise<void> {
    const parts = await this.deps.storage.read.bots.listBotConversations(tenantId, botId, 'active');
    for (const part of parts) {
      if (part.role !== 'primary') continue;
      await escalateWithContext(this.deps, tenantId, part.conversationId, botId, { trigger, context: {}, summary: null, transcript: null })
        .catch((error: unknown) => this.onError(error, { step: 'hand over', tenantId, conversationId: part.conversationId, botId }));
    }
  }

  // ---- log -> outbox ------------------------------------------------------------------------

  private kick(tenantId: string): void {
    if (this.closed) return;
    if (this.pumps.has(tenantId)) {
      this.pumpAgain.add(tenantId);
      return;
    }
    const run = (async () => {
      do {
        this.pumpAgain.delete(tenantId);
        while (!this.closed && (await this.pumpOnce(tenantId)) > 0) { /* until the log is read */ }
      } while (this.pumpAgain.has(tenantId) && !this.closed);
    })().catch((error: unknown) => this.onError(error, { step: 'read the log', tenantId })).finally(() => {
      this.pumps.delete(tenantId);
      if (this.pumpAgain.has(tenantId)) this.kick(tenantId);
      this.drain();
    });
    this.pumps.set(tenantId, run);
  }

  private async pumpOnce(tenantId: string): Promise<number> {
    const reads = this.deps.storage.read;
    const cursor = await reads.bots.getDispatchCursor(tenantId);
    const events = await reads.readEvents(tenantId, cursor, EVENTS_PER_BATCH);
    if (events.length === 0) return 0;
    const followUps: FollowUp[] = [];
    try {
      await commit(this.deps, SYSTEM_CALLER, async (tx, emit, now) => {
        followUps.length = 0;
        const batch = new Batch(tx, emit, tenantId, now, (c, bot) => this.viewFor(tx, tenantId, c, bot));
        for (const event of events) await this.plan(batch, event, followUps);
        await batch.flush();
        if (!(await tx.bots.advanceDispatchCursor(tenantId, cursor, events[events.length - 1]!.id))) throw new CursorMoved();
      });
    } catch (error) {
      if (error instanceof CursorMoved) return events.length; // another node took this batch: read on from where it left
      throw error;
    }
    for (const f of followUps) {
      await escalateWithContext(this.deps, f.tenantId, f.conversationId, f.botId, { trigger: f.trigger, context: {}, summary: f.summary, transcript: null })
        .catch((error: unknown) => this.onError(error, { step: 'escalate', conversationId: f.conversationId }));
    }
    if (followUps.length > 0) this.kick(tenantId);
    return events.length;
  }

  private async plan(batch: Batch, event: SwitchboardEvent, followUps: FollowUp[]): Promise<void> {
    const conversationId = event.conversationId;
    if (conversationId === null) return;
    const p = event.payload;
    switch (event.type) {
      case 'routing.assigned':
        if (p.bot === true) await this.botAssigned(batch, event, conversationId, p.agentId as string, (p.queueId as string | undefined) ?? null);
        else await this.personAccepted(batch, event, conversationId, (p.queueId as string | undefined) ?? null);
        return;
      case 'routing.offer_accepted':
        await this.personAccepted(batch, event, conversationId, (p.queueId as string | undefined) ?? null);
        return;
      case 'message.created':
        await this.messageCreated(batch, event, conversationId, p.message as Message, followUps);
        return;
      case 'conversation.state_changed':
        if (isTerminal(p.to as ConversationState)) await this.conversationEnded(batch, event, conversationId);
        return;
      case 'routing.transferred':
        if (typeof p.fromAgentId === 'string') await this.transferredAway(batch, event, conversationId, p.fromAgentId);
        return;
      case 'bot.assist_invited': {
        // inviteAssistBot wrote the part; the bot now hears what was said so far.
        const part = (await batch.parts(conversationId)).find((x) => x.botId === p.botId && x.role === 'assist' && x.state === 'active');
        const bot = part && (await batch.bot(part.botId));
        if (part && bot && bot.state === 'active') await this.greetAssistBot(batch, event, bot, part);
        return;
      }
      case 'bot.assist_dismissed': {
        const part = (await batch.parts(conversationId)).find((x) => x.botId === p.botId && x.role === 'assist');
        const bot = part && (await batch.bot(part.botId));
        if (part && bot) await batch.deliver(bot, part, event, (view) => endOfConversation(view, eventActivityId(conversationId, event.id), event.occurredAt, 'completedSuccessfully'));
        return;
      }
      case 'bot.handoff_failed': {
        const part = (await batch.parts(conversationId)).find((x) => x.botId === p.botId);
        const bot = part && (await batch.bot(part.botId));
        if (part && bot) await batch.deliver(bot, part, event, (view) => handoffStatus(view, eventActivityId(conversationId, event.id), event.occurredAt, 'failed', p.reason as string));
        return;
      }
      default:
    }
  }

  private async botAssigned(batch: Batch, event: SwitchboardEvent, conversationId: string, botId: string, queueId: string | null): Promise<void> {
    const bot = await batch.bot(botId);
    if (!bot || bot.state !== 'active' || bot.role !== 'primary') return;
    const earlier = await batch.parts(conversationId);
    const previous = earlier.find((x) => x.botId === botId);
    const part: BotConversation = {
      tenantId: batch.tenantId, conversationId, botId, role: 'primary', state: 'active', queueId, boundAt: event.occurredAt,
      escalatedAt: null, escalationTrigger: null, escalationContext: null, escalationSummary: null, transcript: null,
      handoffState: null, acceptedAt: null, endedAt: null, endedByBot: false,
      ...(previous ? { boundAt: previous.boundAt } : {}),
    };
    batch.put(part);
    const conversation = await batch.tx.getConversation(batch.tenantId, conversationId);
    const messages = conversation && conversation.lastSeq > 0 ? await batch.tx.listMessages(batch.tenantId, conversationId, 0, 500) : [];
    const handledBefore = earlier.length > 0 || messages.some((m) => m.senderRole === 'agent' || m.senderRole === 'bot');
    // A conversation coming to the bot from people carries what was said (the bot can pick it up);
    // a new one gets the customer's first messages as messages, to answer.
    await batch.deliver(bot, part, event, (view) => conversationUpdate(
      view, eventActivityId(conversationId, event.id), event.occurredAt,
      handledBefore ? messages.filter((m) => m.visibility === 'public').map((m) => messageForBot(m, view)) : [],
    ));
    if (!handledBefore) {
      for (const m of messages) if (m.senderRole === 'customer' && m.visibility === 'public') await batch.deliver(bot, part, event, (view) => messageForBot(m, view), `m${m.seq}`);
    }
  }

  /**
   * A person moved the bot's conversation elsewhere (the transfer API): for the bot that is a
   * handoff it did not ask for. Nothing more is delivered to it but how the handoff goes.
   */
  private async transferredAway(batch: Batch, event: SwitchboardEvent, conversationId: string, fromAgentId: string): Promise<void> {
    const part = (await batch.parts(conversationId)).find((x) => x.botId === fromAgentId && x.role === 'primary' && x.state === 'active');
    if (!part) return;
    batch.put({ ...part, state: 'escalated', escalatedAt: event.occurredAt, escalationTrigger: 'transfer', handoffState: 'pending' });
    await batch.tx.bots.cancelDeliveries(batch.tenantId, part.botId, event.occurredAt, conversationId);
  }

  private async personAccepted(batch: Batch, event: SwitchboardEvent, conversationId: string, queueId: string | null): Promise<void> {
    if (queueId !== null) await this.bindAssistBots(batch, event, conversationId, queueId);
    for (const part of await batch.parts(conversationId)) {
      if (part.handoffState !== 'pending') continue;
      const accepted = { ...part, handoffState: 'accepted' as const, acceptedAt: event.occurredAt };
      batch.put(accepted);
      const bot = await batch.bot(part.botId);
      if (bot) await batch.deliver(bot, accepted, event, (view) => handoffStatus(view, eventActivityId(conversationId, event.id), event.occurredAt, 'accepted'));
    }
  }

  /**
   * A person took a conversation of a queue that assist bots advise on: each such bot joins,
   * hears what was said so far (in the `conversationUpdate`'s transcript) and from now on what the
   * customer and the agent say; what it sends reaches the agent only.
   */
  private async bindAssistBots(batch: Batch, event: SwitchboardEvent, conversationId: string, queueId: string): Promise<void> {
    const parts = await batch.parts(conversationId);
    for (const bot of await batch.assistBots(queueId)) {
      if (parts.some((x) => x.botId === bot.id && x.state === 'active')) continue;
      const part: BotConversation = {
        tenantId: batch.tenantId, conversationId, botId: bot.id, role: 'assist', state: 'active', queueId, boundAt: event.occurredAt,
        escalatedAt: null, escalationTrigger: null, escalationContext: null, escalationSummary: null, transcript: null,
        handoffState: null, acceptedAt: null, endedAt: null, endedByBot: false,
      };
      batch.put(part);
      await this.greetAssistBot(batch, event, bot, part);
    }
  }

  /** An assist bot joining (by queue or invited): a `conversationUpdate` carrying the public transcript so far. */
  private async greetAssistBot(batch: Batch, event: SwitchboardEvent, bot: BotRegistration, part: BotConversation): Promise<void> {
    const messages = await batch.tx.listMessages(batch.tenantId, part.conversationId, 0, 500);
    await batch.deliver(bot, part, event, (view) => conversationUpdate(
      view, eventActivityId(part.conversationId, event.id), event.occurredAt, messages.filter((m) => m.visibility === 'public').map((m) => messageForBot(m, view)),
    ));
  }

  private async messageCreated(batch: Batch, event: SwitchboardEvent, conversationId: string, message: Message, followUps: FollowUp[]): Promise<void> {
    if (message.visibility !== 'public') return;
    if (message.senderRole === 'agent') {
      // Assist bots hear the agent too; the primary bot has handed over by then.
      for (const part of await batch.parts(conversationId)) {
        if (part.state !== 'active' || part.role !== 'assist') continue;
        const bot = await batch.bot(part.botId);
        if (bot && bot.state === 'active') await batch.deliver(bot, part, event, (view) => messageForBot(message, view));
      }
      return;
    }
    if (message.senderRole !== 'customer') return;
    for (const part of await batch.parts(conversationId)) {
      if (part.state !== 'active') continue;
      if (part.role === 'assist') {
        const bot = await batch.bot(part.botId);
        if (bot && bot.state === 'active') await batch.deliver(bot, part, event, (view) => messageForBot(message, view));
        continue;
      }
      const bot = await batch.bot(part.botId);
      if (!bot || bot.state !== 'active') continue;
      const locale = await batch.locale(conversationId, message);
      const phrase = matchesEscalatePhrase(message.text, locale, bot.escalatePhrases);
      if (phrase !== null) {
        // The customer asked for a person: the bot does not get the message, people do.
        followUps.push({ tenantId: batch.tenantId, conversationId, botId: bot.id, trigger: 'phrase', summary: null });
        continue;
      }
      await batch.deliver(bot, part, event, (view) => messageForBot(message, view));
    }
  }

  private async conversationEnded(batch: Batch, event: SwitchboardEvent, conversationId: string): Promise<void> {
    for (const part of await batch.parts(conversationId)) {
      if (part.state === 'ended') continue;
      const bot = await batch.bot(part.botId);
      const endedByBot = event.actor.kind === 'bot' && event.actor.id === part.botId;
      if (part.state === 'active') {
        const ended = { ...part, state: 'ended' as const, endedAt: event.occurredAt, endedByBot };
        batch.put(ended);
        if (bot && !endedByBot) await batch.deliver(bot, ended, event, (view) => endOfConversation(view, eventActivityId(conversationId, event.id), event.occurredAt, event.actor.kind === 'customer' ? 'userCancelled' : 'completedSuccessfully'));
        batch.emit(conversationId, { botId: part.botId, role: part.role, outcome: part.role === 'primary' ? 'contained' : 'assisted', endedByBot });
        continue;
      }
      // Escalated: the handoff is over, one way or the other.
      const state = part.handoffState === 'accepted' ? 'completed' as const : 'failed' as const;
      const ended = { ...part, state: 'ended' as const, endedAt: event.occurredAt, handoffState: state };
      batch.put(ended);
      if (bot) {
        await batch.deliver(bot, ended, event, (view) => handoffStatus(
          view, eventActivityId(conversationId, event.id), event.occurredAt, state, state === 'failed' ? 'The conversation ended before an agent accepted it.' : undefined,
        ));
      }
      batch.emit(conversationId, { botId: part.botId, role: part.role, outcome: 'escalated', handoff: state });
    }
  }

  // ---- outbox -> bots -----------------------------------------------------------------------

  private drain(): void {
    if (this.closed) return;
    if (this.draining) {
      this.drainAgain = true;
      return;
    }
    this.draining = (async () => {
      do {
        this.drainAgain = false;
        await this.drainOnce();
      } while (this.drainAgain && !this.closed);
    })().catch((error: unknown) => this.onError(error, { step: 'deliver' })).finally(() => {
      this.draining = null;
    });
  }

  private async drainOnce(): Promise<void> {
    const now = this.deps.clock.now();
    const reads = this.deps.storage.read.bots;
    const due = await reads.listDueDeliveries(now, DUE_PER_PASS);
    const blocked = new Set<string>();
    let started = 0;
    for (const delivery of due) {
      const key = `${delivery.tenantId}/${delivery.conversationId}`;
      // One at a time per conversation, in id order: a later one waits behind one being retried.
      if (blocked.has(key)) continue;
      blocked.add(key);
      const busyUntil = this.busy.get(key);
      if (busyUntil !== undefined && busyUntil > now) continue;
      const botKey = `${delivery.tenantId}/${delivery.botId}`;
      if ((this.perBot.get(botKey) ?? 0) >= this.deps.settings.perBotConcurrency) continue;
      this.busy.set(key, Number.POSITIVE_INFINITY);
      this.perBot.set(botKey, (this.perBot.get(botKey) ?? 0) + 1);
      const attempt = this.attempt(delivery).catch((error: unknown) => this.onError(error, { step: 'deliver', deliveryId: delivery.id })).finally(() => {
        this.perBot.set(botKey, (this.perBot.get(botKey) ?? 1) - 1);
        if (this.busy.get(key) === Number.POSITIVE_INFINITY) this.busy.delete(key);
        this.attempts.delete(attempt);
        this.drain();
      });
      this.attempts.add(attempt);
      started += 1;
    }
    const next = await reads.nextDeliveryDue();
    if (next !== null && next > now) this.wakeAt(next);
    // A full page may hide more due deliveries: read again, but only if this pass started some. A
    // pass that started none (every bot at its limit) would otherwise spin on synchronous reads
    // and starve the event loop; the next finished attempt drains again instead.
    else if (next !== null && due.length === DUE_PER_PASS && started > 0) this.drainAgain = true;
  }

  private wakeAt(at: number): void {
    if (at >= this.timerAt && this.cancelTimer) return;
    this.cancelTimer?.();
    this.timerAt = at;
    this.cancelTimer = this.deps.scheduler.at(at, () => {
      this.cancelTimer = null;
      this.timerAt = Number.POSITIVE_INFINITY;
      this.drain();
    });
  }

  private async attempt(delivery: BotDelivery): Promise<void> {
    const { tenantId, botId, conversationId } = delivery;
    const reads = this.deps.storage.read;
    const [bot, agent] = await Promise.all([reads.bots.getBot(tenantId, botId), reads.getAgent(tenantId, botId)]);
    const settings = this.deps.settings;
    if (!bot || !agent || bot.state === 'disconnected') {
      await this.finish(delivery, 'cancelled', delivery.attempts, 'the bot is disconnected');
      return;
    }
    // Another node may have read the same due delivery: only the one that claims it sends it.
    const lease = this.deps.clock.now() + settings.deliveryTimeoutMs + LEASE_MARGIN_MS;
    if (!(await commit(this.deps, SYSTEM_CALLER, (tx) => tx.bots.claimDelivery(tenantId, delivery.id, delivery.nextAttemptAt, lease)))) return;
    const serviceUrl = serviceUrlFor(this.deps.publicUrl(), tenantId);
    const bearer = agent.appId === null ? null : await this.deps.channelCredentials.channelToken(agent.appId, serviceUrl);
    const result = await this.deps.botEndpoint.post({ url: bot.messagingEndpoint, body: JSON.stringify(delivery.activity), bearer, timeoutMs: settings.deliveryTimeoutMs });
    const attempts = delivery.attempts + 1;
    const verdict = judge(result);
    if (verdict.ok) {
      await this.finish(delivery, 'delivered', attempts, null);
      if (bot.health.consecutiveFailures > 0) await recordBotHealth(this.deps, SYSTEM_CALLER, tenantId, botId, false, null, UNHEALTHY_AFTER_FAILURES);
      return;
    }
    if (verdict.retry && attempts < settings.deliveryAttempts) {
      const backoff = settings.retryBaseMs * 2 ** (attempts - 1) * (0.75 + this.jitter() * 0.5);
      const at = this.deps.clock.now() + Math.max(backoff, (verdict.retryAfterSeconds ?? 0) * 1000);
      await commit(this.deps, SYSTEM_CALLER, (tx) => tx.bots.updateDelivery(tenantId, delivery.id, { status: 'pending', attempts, nextAttemptAt: Math.ceil(at), lastError: verdict.error, doneAt: null }));
      this.busy.set(`${tenantId}/${conversationId}`, Math.ceil(at));
      this.wakeAt(Math.ceil(at));
      return;
    }
    await this.finish(delivery, 'failed', attempts, verdict.error);
    const recorded = await recordBotHealth(this.deps, SYSTEM_CALLER, tenantId, botId, true, verdict.error, UNHEALTHY_AFTER_FAILURES);
    // The customer is not left waiting on a bot that did not get their message.
    const part = await reads.bots.getBotConversation(tenantId, conversationId, botId);
    if (part?.state === 'active' && part.role === 'primary') {
      await escalateWithContext(this.deps, tenantId, conversationId, botId, { trigger: 'unhealthy', context: {}, summary: null, transcript: null });
    }
    if (recorded?.becameUnhealthy) await this.handOverAll(tenantId, botId, 'unhealthy');
  }

  private jitter(): number {
    return (this.deps.clock.now() % 1000) / 1000;
  }

  private async finish(delivery: BotDelivery, status: 'delivered' | 'failed' | 'cancelled', attempts: number, error: string | null): Promise<void> {
    await commit(this.deps, SYSTEM_CALLER, async (tx, _emit, now) => {
      await tx.bots.updateDelivery(delivery.tenantId, delivery.id, { status, attempts, nextAttemptAt: delivery.nextAttemptAt, lastError: error, doneAt: now });
    });
  }

  /** The view of a conversation a bot gets: who the customer is, the channel, the serviceUrl. Cached: none of it changes. */
  async viewFor(reads: StoreReads, tenantId: string, conversationId: string, bot: BotRegistration): Promise<BotConversationView> {
    const key = `${tenantId}/${conversationId}/${bot.id}`;
    const cached = this.views.get(key);
    if (cached) return cached;
    const [conversation, agent] = await Promise.all([reads.getConversation(tenantId, conversationId), reads.getAgent(tenantId, bot.id)]);
    const [contact, channel] = conversation
      ? await Promise.all([reads.getContact(tenantId, conversation.contactId), reads.getChannel(tenantId, conversation.channelId)])
      : [undefined, undefined];
    const identity = contact?.identities.find((i) => i.channelType === channel?.type) ?? contact?.identities[0];
    const publicUrl = this.deps.publicUrl();
    const view: BotConversationView = {
      conversationId,
      serviceUrl: serviceUrlFor(publicUrl, tenantId),
      channelId: channel?.type === 'webchat' ? DIRECTLINE_CHANNEL_ID : channel?.type ?? 'api',
      bot: { id: agent?.appId ?? bot.id, name: agent?.displayName },
      customer: { id: identity?.address ?? conversation?.contactId ?? 'customer', ...(contact?.displayName ? { name: contact.displayName } : {}) },
      baseUrl: publicUrl,
    };
    if (this.views.size > 10_000) this.views.clear();
    this.views.set(key, view);
    return view;
  }
}

type Verdict = { readonly ok: true } | { readonly ok: false; readonly retry: boolean; readonly error: string; readonly retryAfterSeconds: number | null };

/** What a bot's answer means. 2xx: delivered; 5xx, 408, 429, timeouts, refused: try again; other 4xx: the bot refused it (no retry). */
function judge(result: BotPostResult): Verdict {
  if (result.kind === 'timeout') return { ok: false, retry: true, error: 'timeout', retryAfterSeconds: null };
  if (result.kind === 'unreachable') return { ok: false, retry: true, error: `unreachable (${result.detail.slice(0, 60)})`, retryAfterSeconds: null };
  if (result.status >= 200 && result.status < 300) return { ok: true };
  const retry = result.status >= 500 || result.status === 408 || result.status === 429;
  return { ok: false, retry, error: `HTTP ${result.status}`, retryAfterSeconds: result.retryAfterSeconds };
}

/**
 * One batch of the log being turned into deliveries, inside its transaction: the bots' parts as
 * this batch has changed them so far (a conversation assigned and messaged in one batch), and the
 * deliveries to insert.
 */
class Batch {
  private readonly partsByConversation = new Map<string, BotConversation[]>();
  private readonly changed = new Map<string, BotConversation>();
  private readonly bots = new Map<string, BotRegistration | undefined>();
  private all: BotRegistration[] | undefined;
  private readonly locales = new Map<string, string | null>();
  private readonly deliveries: NewBotDelivery[] = [];
  private readonly events: { conversationId: string; payload: Record<string, unknown> }[] = [];

  constructor(
    readonly tx: StoreTx,
    private readonly emitEvent: Emit,
    readonly tenantId: string,
    private readonly now: string,
    private readonly viewFor: (conversationId: string, bot: BotRegistration) => Promise<BotConversationView>,
  ) {}

  async parts(conversationId: string): Promise<BotConversation[]> {
    let parts = this.partsByConversation.get(conversationId);
    if (!parts) {
      parts = await this.tx.bots.listConversationBots(this.tenantId, conversationId);
      this.partsByConversation.set(conversationId, parts);
    }
    return parts;
  }

  put(part: BotConversation): void {
    const parts = this.partsByConversation.get(part.conversationId) ?? [];
    const i = parts.findIndex((x) => x.botId === part.botId);
    if (i >= 0) parts[i] = part;
    else parts.push(part);
    this.partsByConversation.set(part.conversationId, parts);
    this.changed.set(`${part.conversationId}/${part.botId}`, part);
  }

  /** The tenant's active, healthy assist bots that advise on a queue. */
  async assistBots(queueId: string): Promise<BotRegistration[]> {
    this.all ??= await this.tx.bots.listBots(this.tenantId);
    return this.all.filter((b) => b.role === 'assist' && b.state === 'active' && b.health.status === 'healthy' && b.assistQueueIds.includes(queueId));
  }

  async bot(botId: string): Promise<BotRegistration | undefined> {
    if (!this.bots.has(botId)) this.bots.set(botId, await this.tx.bots.getBot(this.tenantId, botId));
    return this.bots.get(botId);
  }

  /** The customer's locale: the message's own, else the conversation's `customer.locale`, else unknown. */
  async locale(conversationId: string, message: Message): Promise<string | null> {
    const own = message.channelData?.locale;
    if (typeof own === 'string') return own;
    if (!this.locales.has(conversationId)) {
      const context = await this.tx.getContext(this.tenantId, conversationId);
      const v = context.find((x) => x.name === 'customer.locale');
      this.locales.set(conversationId, typeof v?.value === 'string' ? v.value : null);
    }
    return this.locales.get(conversationId) ?? null;
  }

  async deliver(bot: BotRegistration, part: BotConversation, event: SwitchboardEvent, build: (view: BotConversationView) => BotActivity, suffix = ''): Promise<void> {
    const view = await this.viewFor(part.conversationId, bot);
    const activity = build(view);
    this.deliveries.push({
      tenantId: this.tenantId, botId: bot.id, conversationId: part.conversationId, dedupeKey: `${event.id}:${bot.id}${suffix}`,
      activity: activity as unknown as Record<string, unknown>, nextAttemptAt: 0, createdAt: this.now,
    });
  }

  emit(conversationId: string, payload: Record<string, unknown>): void {
    this.events.push({ conversationId, payload });
  }

  async flush(): Promise<void> {
    for (const part of this.changed.values()) await this.tx.bots.putBotConversation(part);
    for (const d of this.deliveries) await this.tx.bots.insertDelivery(d);
    for (const e of this.events) await this.emitEvent('bot.ended', this.tenantId, e.conversationId, e.payload);
  }
}
