import type { StoreReads } from '../../app/ports/storage.js';
import type { SwitchboardEvent } from '../../core/model.js';
import { SerialLoop } from './serial-loop.js';

/** One read of a tenant's log, handed to every subscription of the tenant. */
export interface TailPage {
  /** Every event of the tenant (all conversations) committed with `after < id <= lastId`, oldest first. */
  readonly after: number;
  readonly lastId: number;
  readonly events: readonly SwitchboardEvent[];
  /** An event as JSON, encoded once however many sockets send it. */
  json(event: SwitchboardEvent): string;
}

export interface TailSubscriber {
  /** Set: it wants only this conversation's events, and is handed only the pages that hold some. */
  readonly conversationId: string | undefined;
  /** Sends what of the page it wants; never throws (a subscription fails on its own). */
  take(page: TailPage): Promise<void> | void;
  /** The log could not be read: the subscriber's client must resume from its last event id. */
  fail(error: unknown): void;
}

/**
 * The log of one tenant, read once per change for all its stream subscriptions. Every
 * subscription used to read the log after its own cursor on every event of its tenant, so ten
 * agents' sockets meant ten reads, ten authorisation checks and ten encodings of each event (B4:
 * the largest single cost of a handoff). The tail reads after its own cursor and hands each page
 * to every subscription; a subscription takes a page only when the page starts at or before its
 * own cursor, so the pages it sends stay contiguous: one that is behind (it resumed from an older
 * id) or busy catching up reads the log on its own until it meets the tail. The log, not the bus,
 * stays the source: a bus notification only says that the tail should read.
 *
 * A subscription to one conversation is handed only the pages holding an event of it: an agent
 * workspace subscribes to each of its conversations, so a tenant with 1,000 of them open offered
 * every message to 1,000 subscriptions, of which one wanted it (B1). A page without its events
 * changes nothing for it; the subscription knows it follows the tail (subscription in
 * event-gateway.ts), so it still takes the next page that concerns it without a read of its own.
 */
export class TenantEventTail<S extends TailSubscriber> {
  /** Every subscription of the tenant: the tenant-wide ones and those to one conversation. */
  readonly subscribers = new Set<S>();
  private readonly wide = new Set<S>();
  private readonly byConversation = new Map<string, Set<S>>();
  // Nobody's cursor moved past a failed read: each client resumes from its last id.
  private readonly loop = new SerialLoop(() => this.readOnce(), (error) => {
    for (const s of [...this.subscribers]) s.fail(error);
  });

  constructor(
    private readonly reads: StoreReads,
    readonly tenantId: string,
    /** Everything up to here was handed to the subscribers (or read before any of them needed it). */
    private cursor: number,
    private readonly pageSize: number,
  ) {}

  add(sub: S): void {
    this.subscribers.add(sub);
    if (sub.conversationId === undefined) {
      this.wide.add(sub);
      return;
    }
    let set = this.byConversation.get(sub.conversationId);
    if (!set) this.byConversation.set(sub.conversationId, (set = new Set()));
    set.add(sub);
  }

  remove(sub: S): void {
    this.subscribers.delete(sub);
    if (sub.conversationId === undefined) {
      this.wide.delete(sub);
      return;
    }
    const set = this.byConversation.get(sub.conversationId);
    set?.delete(sub);
    if (set?.size === 0) this.byConversation.delete(sub.conversationId);
  }

  /** A committed event of the tenant was published. */
  wake(eventId: number): void {
    if (eventId > this.cursor) void this.loop.run();
  }

  /** Reads and hands out pages until caught up; false when nobody listens any more. */
  private async readOnce(): Promise<boolean> {
    for (;;) {
      if (this.subscribers.size === 0) return false;
      const after = this.cursor;
      const events = await this.reads.readEvents(this.tenantId, after, this.pageSize);
      if (events.length === 0) return true;
      const lastId = events[events.length - 1]!.id;
      this.cursor = lastId;
      const read = page(after, lastId, events);
      await Promise.all([...this.concerned(events)].map((s) => s.take(read)));
      if (events.length < this.pageSize) return true;
    }
  }

  /** The tenant-wide subscriptions, and those to a conversation the events are about. */
  private concerned(events: readonly SwitchboardEvent[]): Set<S> {
    const out = new Set(this.wide);
    if (this.byConversation.size === 0) return out;
    let previous: string | null = null;
    for (const event of events) {
      // Runs of one conversation's events are common (a message and its routing): looked up once.
      if (event.conversationId === null || event.conversationId === previous) continue;
      previous = event.conversationId;
      for (const sub of this.byConversation.get(event.conversationId) ?? []) out.add(sub);
    }
    return out;
  }
}

function page(after: number, lastId: number, events: readonly SwitchboardEvent[]): TailPage {
  const encoded = new Map<SwitchboardEvent, string>();
  return {
    after, lastId, events,
    json(event) {
      let text = encoded.get(event);
      if (text === undefined) encoded.set(event, (text = JSON.stringify(event)));
      return text;
    },
  };
}
