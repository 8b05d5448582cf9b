/**
 * Bounds audit writes for refusals anyone can provoke at will (garbage tokens, a client hammering
 * a rate limit): at most `perWindow` entries per key (reason + address) per window. What is
 * dropped is only a repetition of an entry already written in the same second, so the log still
 * shows who tried what, without letting a flood of junk become a flood of rows.
 */
export class AuditThrottle {
  private readonly windows = new Map<string, { start: number; count: number }>();

  constructor(private readonly perWindow = 5, private readonly windowMs = 1_000, private readonly maxKeys = 10_000) {}

  /** Whether an entry for `key` may be written now (and counts it). */
  allow(key: string, now: number): boolean {
    const window = this.windows.get(key);
    if (window && now - window.start < this.windowMs) {
      window.count += 1;
      return window.count <= this.perWindow;
    }
    // A flood of distinct keys (spoofed reasons cannot happen; many addresses can) resets the table.
    if (!window && this.windows.size >= this.maxKeys) this.windows.clear();
    this.windows.set(key, { start: now, count: 1 });
    return true;
  }
}
