/**
 * Runs a task at a moment in time (epoch ms, on the same clock as `Clock`). The routing engine uses
 * it for offer timeouts, relaxations and overflow; tests drive it with a manual clock. Example:
 *
 *   const cancel = scheduler.at(clock.now() + 30_000, () => expireOffer(id));
 */
export interface Scheduler {
  at(epochMs: number, task: () => void): () => void;
  /** Cancels every pending task (on shutdown). */
  close(): void;
}

/** A uniform number in [0, 1); seeded in tests so percentage splits replay. */
export interface RandomSource {
  next(): number;
}
