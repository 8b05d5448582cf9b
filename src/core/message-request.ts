import type { MessageVisibility, ParticipantRole } from './message-visibility.js';

/** Attachment metadata; the bytes live elsewhere (a later issue adds the blob store). */
export interface AttachmentMeta {
  readonly name: string;
  readonly contentType: string;
  readonly size: number;
  readonly url?: string | undefined;
}

/** The parts of a send that an idempotent retry must repeat exactly. */
export interface MessageRequest {
  readonly senderRole: ParticipantRole | 'system';
  readonly senderId: string | null;
  readonly visibility: MessageVisibility;
  readonly text: string;
  readonly attachments: AttachmentMeta[];
}

/**
 * A retry with the same idempotency key must carry the same message; if it does not, the client has
 * reused a key for a different message, which is a bug we report rather than silently hide.
 */
export function sameMessageRequest(a: MessageRequest, b: MessageRequest, options: { readonly ignoreUrls?: boolean } = {}): boolean {
  if (a.senderRole !== b.senderRole || a.senderId !== b.senderId) return false;
  if (a.visibility !== b.visibility || a.text !== b.text) return false;
  if (a.attachments.length !== b.attachments.length) return false;
  return a.attachments.every((x, i) => {
    const y = b.attachments[i]!;
    // Uploaded files get their URL when stored, so a retry of an upload cannot repeat it.
    return x.name === y.name && x.contentType === y.contentType && x.size === y.size && (options.ignoreUrls || (x.url ?? null) === (y.url ?? null));
  });
}
