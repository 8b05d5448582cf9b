/**
 * The watermark a client keeps after an ActivitySet. Direct Line says a missing or null watermark
 * must not overwrite the previous one (a keep-alive, or a GET page with nothing new, has none).
 * Watermarks are opaque, but Switchboard's are sequence numbers (`42`, or `42.3` with the count of
 * edits and deletes once there are some): when both are ours we never move backwards: a late
 * answer (a poll that raced the stream) must not make the next reconnect ask again for activities
 * we already hold.
 */
export function nextWatermark(previous: string | undefined, incoming: string | null | undefined): string | undefined {
  if (incoming === undefined || incoming === null || incoming === '') return previous;
  const [a, b] = [previous === undefined ? undefined : positionOf(previous), positionOf(incoming)];
  // `seq.change` once a conversation has edits: behind when neither part is ahead and one is behind.
  if (a && b && b.seq <= a.seq && b.change <= a.change && (b.seq < a.seq || b.change < a.change)) return previous;
  return incoming;
}

function positionOf(value: string): { seq: number; change: number } | undefined {
  const match = /^(\d{1,15})(?:\.(\d{1,15}))?$/.exec(value);
  return match ? { seq: Number(match[1]), change: Number(match[2] ?? 0) } : undefined;
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
