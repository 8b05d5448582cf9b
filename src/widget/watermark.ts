/**
 * The watermark a client keeps after an ActivitySet. Direct Line says a missing or null watermark
 * must not overwrite the previous one (a keep-alive, or a GET page with nothing new, has none).
 * Watermarks are opaque, but Switchboard's are sequence numbers: when both are numeric we never
 * move backwards: a late answer (a poll that raced the stream) must not make the next reconnect
 * ask again for activities we already hold.
 */
export function nextWatermark(previous: string | undefined, incoming: string | null | undefined): string | undefined {
  if (incoming === undefined || incoming === null || incoming === '') return previous;
  if (previous !== undefined && isSequence(previous) && isSequence(incoming) && Number(incoming) < Number(previous)) return previous;
  return incoming;
}

function isSequence(value: string): boolean {
  return /^\d{1,15}$/.test(value);
}

/**
 * The sequence of an activity id `{conversationId}|0000042`, or undefined when the id is not of
 * that shape (then the activity is ordered by arrival).
 */
export function sequenceOf(id: string | undefined): number | undefined {
  if (!id) return undefined;
  const bar = id.lastIndexOf('|');
  const tail = bar < 0 ? '' : id.slice(bar + 1);
  return /^\d{1,15}$/.test(tail) ? Number(tail) : undefined;
}
