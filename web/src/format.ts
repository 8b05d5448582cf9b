/** Small formatting helpers shared by the views. */

export function errorText(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** "42 s" or "3 min 07 s". */
export function duration(seconds: number): string {
  const s = Math.max(0, Math.floor(seconds));
  const m = Math.floor(s / 60);
  return m > 0 ? `${m} min ${String(s % 60).padStart(2, '0')} s` : `${s} s`;
}

export function time(iso: string): string {
  return new Date(iso).toLocaleTimeString([], { hour: '2-digit', minute: '2-digit' });
}
