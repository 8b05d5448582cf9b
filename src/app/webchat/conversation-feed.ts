import { isTerminal, type ConversationState } from '../../core/conversation-lifecycle.js';
import type { SwitchboardEvent } from '../../core/model.js';
import type { ChannelAccount } from '../../core/webchat/directline-activity.js';
import type { Bus } from '../ports/bus.js';

/** The events after which a customer's view may have changed: a message, its edit or delete, the end. */
const WAKES: ReadonlySet<string> = new Set(['message.created', 'message.updated', 'message.deleted', 'conversation.state_changed']);

/**
 * Of the state changes only the end shows to the customer (its `endOfConversation`): the others
 * (queued, offered, assigned on the way from the bot to a person) would make every socket read
 * the store to find nothing, three or four times per handoff (B4).
 */
function wakes(event: SwitchboardEvent): boolean {
  if (!WAKES.has(event.type)) return false;
  return event.type !== 'conversation.state_changed' || isTerminal(event.payload.to as ConversationState);
}

/** What a customer's socket wants to hear about its conversation. */
export interface FeedListener {
  /** Something was committed (a message, a state change): read the store after your watermark. */
  changed(): void;
  /** Someone on the agent side is typing: relayed as it happens, never stored. */
  typing(from: ChannelAccount): void;
}

/** Who on the customer side is typing, for the agent side. */
export type CustomerTypingHandler = (tenantId: string, conversationId: string, userId: string) => void;

/**
 * One bus subscription for all the customer sockets of this process, fanned out by
 * conversation: 20,000 sockets must not mean 20,000 handlers run for every event. The store
 * stays the source of what a socket sends (it reads after its watermark on `changed`), so a
 * missed or repeated notification never loses or duplicates an activity.
 */
export class ConversationFeed {
  private readonly listeners = new Map<string, Set<FeedListener>>();
  private readonly typingHandlers = new Set<CustomerTypingHandler>();
  private readonly off: () => void;

  constructor(bus: Bus) {
    this.off = bus.subscribe((event) => this.onEvent(event));
  }

  private onEvent(event: SwitchboardEvent): void {
    if (event.conversationId === null) return;
    if (!wakes(event)) return;
    for (const listener of this.listeners.get(key(event.tenantId, event.conversationId)) ?? []) listener.changed();
  }

  watch(tenantId: string, conversationId: string, listener: FeedListener): () => void {
    const k = key(tenantId, conversationId);
    let set = this.listeners.get(k);
    if (!set) this.listeners.set(k, (set = new Set()));
    set.add(listener);
    return () => {
      set.delete(listener);
      if (set.size === 0) this.listeners.delete(k);
    };
  }

  /** An agent or bot types in the conversation. */
  agentTyping(tenantId: string, conversationId: string, from: ChannelAccount): void {
    for (const listener of this.listeners.get(key(tenantId, conversationId)) ?? []) listener.typing(from);
  }

  /** The customer types; agent-side sockets subscribe with `onCustomerTyping`. */
  customerTyping(tenantId: string, conversationId: string, userId: string): void {
    for (const handler of this.typingHandlers) handler(tenantId, conversationId, userId);
  }

  onCustomerTyping(handler: CustomerTypingHandler): () => void {
    this.typingHandlers.add(handler);
    return () => this.typingHandlers.delete(handler);
  }

  /** Sockets watching now (for tests and the stream benchmark). */
  get watching(): number {
    let n = 0;
    for (const set of this.listeners.values()) n += set.size;
    return n;
  }

  close(): void {
    this.off();
    this.listeners.clear();
    this.typingHandlers.clear();
  }
}

function key(tenantId: string, conversationId: string): string {
  return `${tenantId}/${conversationId}`;
}
