import type { SwitchboardEvent } from '../../../core/model.js';
import type { Bus, BusHandler } from '../bus.js';

/** A bus that delivers synchronously and remembers everything published, for assertions. */
export class RecordingBus implements Bus {
  readonly published: SwitchboardEvent[] = [];
  private readonly handlers = new Set<BusHandler>();

  async publish(events: readonly SwitchboardEvent[]): Promise<void> {
    for (const event of events) {
      this.published.push(event);
      for (const handler of this.handlers) {
        try {
          handler(event);
        } catch {
          // A failing subscriber must not block the others (same rule as the real adapters).
        }
      }
    }
  }
  subscribe(handler: BusHandler): () => void {
    const entry: BusHandler = (event) => handler(event);
    this.handlers.add(entry);
    return () => {
      this.handlers.delete(entry);
    };
  }
  async close(): Promise<void> {
    this.handlers.clear();
  }
}
