/** Small helpers for reporting: medians, and numbers written the way the summary lines use them. */

export function median(values: readonly number[]): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
}

export const int = (n: number): string => Math.round(n).toLocaleString('en-US');
export const pct = (ratio: number): string => `${(ratio * 100).toFixed(1)}%`;
export const ms = (n: number): string => (n >= 10 ? n.toFixed(0) : n.toFixed(1));
export const cores = (n: number | undefined): string => (n === undefined ? 'n/a' : n.toFixed(2));

/** Left-aligned text table: the first row is the header. */
export function table(rows: readonly (readonly string[])[]): string {
  const widths = rows[0]!.map((_, column) => Math.max(...rows.map((row) => row[column]?.length ?? 0)));
  return rows.map((row) => row.map((cell, column) => (column === 0 ? cell.padEnd(widths[column]!) : cell.padStart(widths[column]!))).join('  ').trimEnd()).join('\n');
}

/** A fixed pseudo-random order of n items (xorshift from `seed`): the same order in every run. */
export function shuffled(n: number, seed: number): Uint32Array {
  const order = Uint32Array.from({ length: n }, (_, i) => i);
  let state = (seed * 2654435761) >>> 0 || 1;
  for (let i = n - 1; i > 0; i--) {
    state ^= state << 13;
    state >>>= 0;
    state ^= state >>> 17;
    state ^= state << 5;
    state >>>= 0;
    const j = state % (i + 1);
    [order[i], order[j]] = [order[j]!, order[i]!];
  }
  return order;
}

/**
 * Latencies in milliseconds as counts per bucket (0.05 ms wide below 10 ms, 1 ms wide up to 120 s,
 * longer ones in the last bucket), so millions of samples cost a fixed 120,200 counters and can
 * cross process boundaries as the few buckets that are not empty.
 */
export class LatencyHistogram {
  private static readonly FINE = 200;
  private static readonly SIZE = LatencyHistogram.FINE + 120_000;
  private readonly counts = new Uint32Array(LatencyHistogram.SIZE);
  count = 0;
  max = 0;

  record(ms: number): void {
    const v = Math.max(0, ms);
    const i = v < 10 ? Math.floor(v * 20) : Math.min(LatencyHistogram.SIZE - 1, LatencyHistogram.FINE + Math.floor(v - 10));
    this.counts[i]! += 1;
    this.count += 1;
    if (v > this.max) this.max = v;
  }

  /** The upper edge of the bucket holding quantile `q` (0..1); NaN when empty. */
  quantile(q: number): number {
    if (this.count === 0) return Number.NaN;
    const rank = Math.max(1, Math.ceil(q * this.count));
    let seen = 0;
    for (let i = 0; i < this.counts.length; i++) {
      seen += this.counts[i]!;
      if (seen >= rank) return Math.min(this.max, i < LatencyHistogram.FINE ? (i + 1) / 20 : i - LatencyHistogram.FINE + 11);
    }
    return this.max;
  }

  /** The non-empty buckets, for IPC. */
  toJSON(): { buckets: [number, number][]; count: number; max: number } {
    const buckets: [number, number][] = [];
    this.counts.forEach((n, i) => {
      if (n > 0) buckets.push([i, n]);
    });
    return { buckets, count: this.count, max: this.max };
  }

  static merge(parts: readonly ReturnType<LatencyHistogram['toJSON']>[]): LatencyHistogram {
    const merged = new LatencyHistogram();
    for (const part of parts) {
      for (const [i, n] of part.buckets) merged.counts[i]! += n;
      merged.count += part.count;
      merged.max = Math.max(merged.max, part.max);
    }
    return merged;
  }
}
