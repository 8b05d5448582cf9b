import type { SwitchboardEvent } from '../../core/model.js';
import { isTerminal } from '../../core/conversation-lifecycle.js';
import { describeWait, fillTemplate, readWebchatSettings, type WebchatSettings } from '../../core/webchat/webchat-settings.js';
import { SYSTEM_CALLER } from '../caller.js';
import { postMessage } from '../use-cases/post-message.js';
import type { WebchatDeps } from './webchat-deps.js';

/** Where a waiting conversation stands (the routing engine answers). */
export interface WaitingPlaces {
  waitingPlace(tenantId: string, conversationId: string): Promise<{ queueId: string; position: number; estimatedWaitSeconds: number } | null>;
}

/** Routing changes that can move a customer's place in line. */
const LINE_EVENTS = new Set<SwitchboardEvent['type']>([
  'routing.queued', 'routing.offered', 'routing.offer_rejected', 'routing.offer_timed_out', 'routing.offer_withdrawn', 'routing.overflowed',
  'routing.released', 'routing.assigned', 'routing.offer_accepted', 'agent.presence_changed', 'conversation.state_changed',
]);

interface Waiting {
  readonly tenantId: string;
  readonly settings: WebchatSettings;
  /** The text last told, so the same place is not announced twice. */
  told: string | null;
}

/**
 * Tells web chat customers where they stand while they wait ("You are number 3 in line.
 * Estimated wait: about 2 minutes.") whenever that changes, and who joined when an agent takes
 * the conversation. The messages are the channel's (`messages.queued`, `messages.assigned`) and
 * are stored as system messages with `channelData.switchboard.kind` "queue" or "assigned", so
 * every client gets them in order with the rest, and our widget shows the place as a banner.
 * Changes are gathered per tenant for `settleMs` so a burst of routing events gives one update.
 */
export class QueueAnnouncer {
  private readonly waiting = new Map<string, Waiting>();
  private readonly pending = new Map<string, ReturnType<typeof setTimeout>>();
  private readonly off: () => void;
  private closed = false;

  constructor(private readonly deps: WebchatDeps, private readonly places: WaitingPlaces, private readonly settleMs = 250) {
    this.off = deps.bus.subscribe((event) => this.onEvent(event));
  }

  private onEvent(event: SwitchboardEvent): void {
    if (this.closed || !LINE_EVENTS.has(event.type)) return;
    const conversationId = event.conversationId;
    const react = async () => {
      if (conversationId !== null) {
        if (event.type === 'routing.queued' && !this.waiting.has(conversationId)) {
          const settings = await this.webchatSettings(event.tenantId, conversationId);
          if (settings) this.waiting.set(conversationId, { tenantId: event.tenantId, settings, told: null });
        } else if ((event.type === 'routing.assigned' || event.type === 'routing.offer_accepted') && this.waiting.has(conversationId)) {
          const entry = this.waiting.get(conversationId)!;
          this.waiting.delete(conversationId);
          await this.announceAssigned(entry, conversationId, event.payload.agentId as string | undefined);
        } else if (event.type === 'conversation.state_changed' && isTerminal(event.payload.to as never)) {
          this.waiting.delete(conversationId);
        }
      }
      this.settle(event.tenantId);
    };
    react().catch((error: unknown) => this.deps.onRoutingError?.(error, conversationId ?? ''));
  }

  private async webchatSettings(tenantId: string, conversationId: string): Promise<WebchatSettings | undefined> {
    const conversation = await this.deps.storage.read.getConversation(tenantId, conversationId);
    if (!conversation) return undefined;
    const channel = await this.deps.storage.read.getChannel(tenantId, conversation.channelId);
    if (!channel || channel.type !== 'webchat') return undefined;
    const read = readWebchatSettings(channel.config, channel.name);
    return read.ok ? read.settings : undefined;
  }

  private settle(tenantId: string): void {
    if (this.pending.has(tenantId) || ![...this.waiting.values()].some((w) => w.tenantId === tenantId)) return;
    const timer = setTimeout(() => {
      this.pending.delete(tenantId);
      this.announcePlaces(tenantId).catch((error: unknown) => this.deps.onRoutingError?.(error, ''));
    }, this.settleMs);
    timer.unref();
    this.pending.set(tenantId, timer);
  }

  private async announcePlaces(tenantId: string): Promise<void> {
    for (const [conversationId, entry] of this.waiting) {
      if (this.closed) return;
      if (entry.tenantId !== tenantId) continue;
      const place = await this.places.waitingPlace(tenantId, conversationId);
      if (!place) continue;
      const text = fillTemplate(entry.settings.messages.queued, { position: place.position, wait: describeWait(place.estimatedWaitSeconds) });
      if (text === entry.told) continue;
      entry.told = text;
      await this.say(tenantId, conversationId, text, { kind: 'queue', position: place.position, estimatedWaitSeconds: place.estimatedWaitSeconds });
    }
  }

  private async announceAssigned(entry: Waiting, conversationId: string, agentId: string | undefined): Promise<void> {
    const agent = agentId ? await this.deps.storage.read.getAgent(entry.tenantId, agentId) : undefined;
    const name = agent?.displayName ?? 'An agent';
    await this.say(entry.tenantId, conversationId, fillTemplate(entry.settings.messages.assigned, { agent: name }), { kind: 'assigned', agent: name });
  }

  private async say(tenantId: string, conversationId: string, text: string, own: Record<string, unknown>): Promise<void> {
    try {
      await postMessage(this.deps, SYSTEM_CALLER, tenantId, conversationId, { senderRole: 'system', text, channelData: { switchboard: own } });
    } catch (error) {
      // Closed meanwhile: nobody is waiting to hear it.
      if ((error as { code?: string }).code !== 'SB_ERR_CONVERSATION_CLOSED') throw error;
    }
  }

  close(): void {
    this.closed = true;
    this.off();
    for (const timer of this.pending.values()) clearTimeout(timer);
    this.pending.clear();
    this.waiting.clear();
  }
}
