import type { Scheduler } from '../scheduler.js';
import type { ManualClock } from './manual-clock.js';

/** Tasks run only when the test moves the manual clock with `advance`, in time order. */
export class ManualScheduler implements Scheduler {
  private tasks: { at: number; seq: number; task: () => void }[] = [];
  private seq = 0;

  constructor(private readonly clock: ManualClock) {}

  at(epochMs: number, task: () => void): () => void {
    const entry = { at: epochMs, seq: this.seq++, task };
    this.tasks.push(entry);
    return () => {
      this.tasks = this.tasks.filter((t) => t !== entry);
    };
  }

  /** Moves the clock forward, running each due task at its own time. */
  advance(ms: number): void {
    const until = this.clock.now() + ms;
    for (;;) {
      const due = this.tasks.filter((t) => t.at <= until).sort((a, b) => a.at - b.at || a.seq - b.seq)[0];
      if (!due) break;
      this.tasks = this.tasks.filter((t) => t !== due);
      if (due.at > this.clock.now()) this.clock.set(due.at);
      due.task();
    }
    this.clock.set(until);
  }

  pending(): number {
    return this.tasks.length;
  }

  close(): void {
    this.tasks = [];
  }
}

/** A seeded generator (mulberry32): the same seed gives the same draws. */
export class SeededRandom {
  private state: number;
  constructor(seed: number) {
    this.state = seed >>> 0;
  }
  next(): number {
    this.state = (this.state + 0x6d2b79f5) >>> 0;
    let t = this.state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }
}
