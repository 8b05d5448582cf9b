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
