import type { Message } from './api.js';

/** The events that carry a message as its sender changed it: edited, or deleted (a tombstone). */
export function isMessageRevision(type: string): boolean {
  return type === 'message.updated' || type === 'message.deleted';
}

/**
 * The transcript with `revised` in place of the message of the same seq. One not loaded yet is
 * left out: the transcript's next read brings it as it is now.
 */
export function withRevision(known: readonly Message[], revised: Message): readonly Message[] {
  const i = known.findIndex((m) => m.seq === revised.seq);
  if (i < 0) return known;
  const next = [...known];
  next[i] = revised;
  return next;
}
