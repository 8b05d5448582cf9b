/** Time, injected so tests (and replays) control it. Example: `clock.now()` -> 1767225600000. */
export interface Clock {
  /** Milliseconds since the Unix epoch. */
  now(): number;
}
