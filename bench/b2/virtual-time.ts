import type { Clock } from '../../src/app/ports/clock.js';
import type { Scheduler } from '../../src/app/ports/scheduler.js';

/**
 * Wall-clock time that the benchmark can move forward, with a scheduler that runs tasks only when
 * told to. Offer timeouts are part of the B2 workload, and waiting 30 real seconds for them would
 * measure sleep; instead the benchmark lets the engine finish what it can, then jumps the clock past
 * the timeouts. Between jumps the clock runs at real speed, so timestamps (longest idle, offer
 * expiry) stay realistic. Tasks are kept in a Map so cancelling one (every accepted offer cancels
 * its timeout) costs O(1), like clearTimeout, and the fake never dominates the profile.
 */
export class VirtualTime implements Clock, Scheduler {
  private offset = 0;
  private sequence = 0;
  private readonly tasks = new Map<number, { at: number; task: () => void }>();

  now(): number {
    return Date.now() + this.offset;
  }

  at(epochMs: number, task: () => void): () => void {
    const id = this.sequence++;
    this.tasks.set(id, { at: epochMs, task });
    return () => void this.tasks.delete(id);
  }

  /** Moves the clock forward and runs every task now due, in time order (then in scheduling order). */
  advance(ms: number): number {
    this.offset += ms;
    const now = this.now();
    const due = [...this.tasks.entries()].filter(([, t]) => t.at <= now).sort((a, b) => a[1].at - b[1].at || a[0] - b[0]);
    for (const [id, { task }] of due) {
      // A task may cancel a later one that was due in the same jump.
      if (!this.tasks.delete(id)) continue;
      task();
    }
    return due.length;
  }

  pending(): number {
    return this.tasks.size;
  }

  close(): void {
    this.tasks.clear();
  }
}
