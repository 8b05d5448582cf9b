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
