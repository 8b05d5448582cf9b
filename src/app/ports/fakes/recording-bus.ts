import type { SwitchboardEvent } from '../../../core/model.js';
import { Subscribers, type Bus, type BusHandler } from '../bus.js';

/** A bus that delivers synchronously and remembers everything published, for assertions. */
export class RecordingBus implements Bus {
  readonly published: SwitchboardEvent[] = [];
  private readonly subscribers = new Subscribers();

  async publish(events: readonly SwitchboardEvent[]): Promise<void> {
    for (const event of events) {
      this.published.push(event);
      this.subscribers.deliver(event, () => undefined);
    }
  }
  subscribe(handler: BusHandler): () => void {
    return this.subscribers.add(handler);
  }
  async close(): Promise<void> {
    this.subscribers.clear();
  }
}
