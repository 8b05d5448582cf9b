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
 */
export class TenantEventTail<S extends TailSubscriber> {
  readonly subscribers = new Set<S>();
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
      await Promise.all([...this.subscribers].map((s) => s.take(page(after, lastId, events))));
      if (events.length < this.pageSize) return true;
    }
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
