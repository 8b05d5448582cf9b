/**
 * How long to wait before retry number `attempt` (0 for the first): doubling from `baseMs` up to
 * `maxMs`, then drawn between half and all of that. The jitter matters after an outage of the
 * server: every open widget reconnects at once otherwise, in lockstep, each time it fails.
 */
export function backoffDelay(attempt: number, random: () => number, baseMs = 1000, maxMs = 30_000): number {
  const ceiling = Math.min(maxMs, baseMs * 2 ** Math.min(Math.max(0, attempt), 20));
  return Math.round(ceiling / 2 + (ceiling / 2) * Math.min(1, Math.max(0, random())));
}
