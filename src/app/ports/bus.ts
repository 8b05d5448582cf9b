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
