import type { SwitchboardEvent } from '../../core/model.js';

export type BusHandler = (event: SwitchboardEvent) => void;

/**
 * Fans committed events out to subscribers (WebSocket gateways, workers). Only committed events are
 * published: a subscriber never sees a change that was rolled back. Delivery is in publish order per
 * subscriber; a subscriber that throws does not stop delivery to the others. Example:
 *
 *   const off = bus.subscribe((e) => console.log(e.type));
 *   await bus.publish([event]);
 *   off();
 */
export interface Bus {
  publish(events: readonly SwitchboardEvent[]): Promise<void>;
  subscribe(handler: BusHandler): () => void;
  close(): Promise<void>;
}

/**
 * The subscriber list every Bus keeps: delivery in order to each handler, a throwing handler
 * reported and skipped, the same function subscribed twice counted twice.
 */
export class Subscribers {
  private readonly handlers = new Set<BusHandler>();

  add(handler: BusHandler): () => void {
    const entry: BusHandler = (event) => handler(event);
    this.handlers.add(entry);
    return () => {
      this.handlers.delete(entry);
    };
  }

  deliver(event: SwitchboardEvent, onError: (error: unknown, event: SwitchboardEvent) => void): void {
    for (const handler of [...this.handlers]) {
      try {
        handler(event);
      } catch (error) {
        onError(error, event);
      }
    }
  }

  clear(): void {
    this.handlers.clear();
  }
}
