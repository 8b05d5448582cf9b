/**
 * Editing and deleting a message that was sent: who may, what an edit may carry, and what a
 * deleted message still shows (a tombstone). Pure: the use case finds the message and the author,
 * this decides. Only the sender may revise its own message, so a conversation's history cannot be
 * rewritten by anyone else in it; Switchboard's own notices (sender `system`) are never revised.
 */
import type { AttachmentMeta } from './message-request.js';
import type { Message, SenderRole } from './model.js';

/** Who asks to revise: the role and id a message was sent as. */
export interface MessageAuthor {
  readonly senderRole: SenderRole;
  readonly senderId: string | null;
}

/** The new content of an edited message. Visibility and sender never change with an edit. */
export interface MessageContent {
  readonly text: string;
  readonly attachments: readonly AttachmentMeta[];
  readonly channelData: Readonly<Record<string, unknown>> | null;
}

export type RevisionRequest = { readonly kind: 'update'; readonly content: MessageContent } | { readonly kind: 'delete' };

/**
 * Why a revision is refused: `not_sender` (someone else's message), `deleted` (an edit of a
 * message that is gone), `empty` (an edit that leaves neither text nor an attachment, as a send
 * would be refused).
 */
export type RevisionRefusal = 'not_sender' | 'deleted' | 'empty';

export type RevisionDecision =
  | { readonly ok: true; readonly next: Message; readonly kind: 'updated' | 'deleted' }
  /** A delete of a message already deleted: nothing to do, and a retry must not fail. */
  | { readonly ok: true; readonly next: null; readonly kind: 'unchanged' }
  | { readonly ok: false; readonly refusal: RevisionRefusal };

export function isSender(message: Message, author: MessageAuthor): boolean {
  if (message.senderRole === 'system' || author.senderRole === 'system') return false;
  return message.senderRole === author.senderRole && message.senderId !== null && message.senderId === author.senderId;
}

/** The message as it is served once deleted: in its place, with its sender and time, and nothing it said. */
export function tombstone(message: Message, at: string): Message {
  return { ...message, text: '', attachments: [], channelData: null, deletedAt: at };
}

export function decideRevision(message: Message, author: MessageAuthor, request: RevisionRequest, at: string): RevisionDecision {
  if (!isSender(message, author)) return { ok: false, refusal: 'not_sender' };
  if (request.kind === 'delete') {
    if (message.deletedAt !== null) return { ok: true, next: null, kind: 'unchanged' };
    return { ok: true, next: tombstone(message, at), kind: 'deleted' };
  }
  if (message.deletedAt !== null) return { ok: false, refusal: 'deleted' };
  const { text, attachments, channelData } = request.content;
  if (text.trim() === '' && attachments.length === 0) return { ok: false, refusal: 'empty' };
  return { ok: true, next: { ...message, text, attachments: [...attachments], channelData, editedAt: at }, kind: 'updated' };
}
