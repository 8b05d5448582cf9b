import { Subscribers, type Bus, type BusHandler } from '../../../app/ports/bus.js';
import type { SwitchboardEvent } from '../../../core/model.js';

/**
 * The single-node bus: delivers each published event to every subscriber, in publish order, before
 * `publish` resolves. A subscriber that throws is reported to `onError` and does not stop delivery
 * to the others.
 */
export class InProcessBus implements Bus {
  private readonly subscribers = new Subscribers();
  private closed = false;

  constructor(private readonly onError: (error: unknown, event: SwitchboardEvent) => void = () => undefined) {}

  async publish(events: readonly SwitchboardEvent[]): Promise<void> {
    if (this.closed) return;
    for (const event of events) this.subscribers.deliver(event, this.onError);
  }

  subscribe(handler: BusHandler): () => void {
    return this.subscribers.add(handler);
  }

  async close(): Promise<void> {
    this.closed = true;
    this.subscribers.clear();
  }
}
