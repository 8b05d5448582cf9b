/**
 * Who is typing right now. A typing activity says "I am typing" once; Direct Line has no "stopped"
 * signal, so each one holds for a timeout (Web Chat uses about five seconds) and ends early when a
 * message from the same sender arrives.
 */
export interface Typist {
  readonly id: string;
  readonly name: string | undefined;
  readonly until: number;
}

export class TypingTracker {
  readonly #typists = new Map<string, Typist>();

  readonly #timeoutMs: number;

  constructor(timeoutMs = 5000) {
    this.#timeoutMs = timeoutMs;
  }

  start(id: string, name: string | undefined, now: number): void {
    this.#typists.set(id, { id, name, until: now + this.#timeoutMs });
  }

  stop(id: string): boolean {
    return this.#typists.delete(id);
  }

  clear(): void {
    this.#typists.clear();
  }

  /** Typists whose indicator has not run out at `now`, in the order they started. */
  active(now: number): Typist[] {
    return [...this.#typists.values()].filter((t) => t.until > now);
  }

  /** When the next indicator runs out, for a timer that re-renders then; undefined when none is shown. */
  nextExpiry(now: number): number | undefined {
    let next: number | undefined;
    for (const t of this.#typists.values()) if (t.until > now && (next === undefined || t.until < next)) next = t.until;
    return next;
  }
}
