import type { Bus, BusHandler } from '../../../app/ports/bus.js';
import type { SwitchboardEvent } from '../../../core/model.js';

/**
 * The single-node bus: delivers each published event to every subscriber, in publish order, before
 * `publish` resolves. A subscriber that throws is reported to `onError` and does not stop delivery
 * to the others.
 */
export class InProcessBus implements Bus {
  private readonly handlers = new Set<BusHandler>();
  private closed = false;

  constructor(private readonly onError: (error: unknown, event: SwitchboardEvent) => void = () => undefined) {}

  async publish(events: readonly SwitchboardEvent[]): Promise<void> {
    if (this.closed) return;
    for (const event of events) {
      for (const handler of [...this.handlers]) {
        try {
          handler(event);
        } catch (error) {
          this.onError(error, event);
        }
      }
    }
  }

  subscribe(handler: BusHandler): () => void {
    // Wrap so the same function subscribed twice gets two independent subscriptions.
    const entry: BusHandler = (event) => handler(event);
    this.handlers.add(entry);
    return () => {
      this.handlers.delete(entry);
    };
  }

  async close(): Promise<void> {
    this.closed = true;
    this.handlers.clear();
  }
}
