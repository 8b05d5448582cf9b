import { randomBytes } from 'node:crypto';
import type { RandomSource, Scheduler } from '../../app/ports/scheduler.js';

/** setTimeout behind the Scheduler port; Node caps a single timeout at about 24.8 days, so long waits hop. */
export class TimerScheduler implements Scheduler {
  private readonly timers = new Set<NodeJS.Timeout>();
  private static readonly MAX_DELAY = 2_000_000_000;

  constructor(private readonly now: () => number = Date.now) {}

  at(epochMs: number, task: () => void): () => void {
    let timer: NodeJS.Timeout;
    const arm = () => {
      const delay = Math.max(0, epochMs - this.now());
      timer = setTimeout(() => {
        this.timers.delete(timer);
        if (delay > TimerScheduler.MAX_DELAY) arm();
        else task();
      }, Math.min(delay, TimerScheduler.MAX_DELAY));
      this.timers.add(timer);
    };
    arm();
    return () => {
      clearTimeout(timer);
      this.timers.delete(timer);
    };
  }

  close(): void {
    for (const timer of this.timers) clearTimeout(timer);
    this.timers.clear();
  }
}

/** Uniform draws from the operating system's generator; each decision records its draw for replay. */
export class CryptoRandom implements RandomSource {
  next(): number {
    return randomBytes(6).readUIntBE(0, 6) / 2 ** 48;
  }
}
