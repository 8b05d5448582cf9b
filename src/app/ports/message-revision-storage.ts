import type { AttachmentMeta } from '../../core/message-request.js';
import type { Actor, Message } from '../../core/model.js';

/**
 * One edit or delete of a message, as the audit keeps it: the content the change replaced (so
 * every earlier version can be told from the revisions and the message), who changed it and when.
 * Never served by the API: a deleted message's text lives on here only.
 */
export interface MessageRevision {
  readonly tenantId: string;
  readonly conversationId: string;
  /** Per conversation, from 1, in commit order: the Direct Line feed of changes resumes after one. */
  readonly change: number;
  readonly messageId: string;
  readonly messageSeq: number;
  readonly kind: 'updated' | 'deleted';
  readonly previous: {
    readonly text: string;
    readonly attachments: readonly AttachmentMeta[];
    readonly channelData: Readonly<Record<string, unknown>> | null;
  };
  readonly actor: Actor;
  readonly at: string;
}

/** A change in the feed: which message changed (read it for its content now). */
export interface MessageChange {
  readonly change: number;
  readonly messageSeq: number;
}

/**
 * Revisions of sent messages (`storage.read.messageRevisions`, `tx.messageRevisions`): the
 * message's row holds its current content (a tombstone once deleted), the revisions what it held
 * before. Every read is confined to its tenant.
 */
export interface MessageRevisionReads {
  getMessageBySeq(tenantId: string, conversationId: string, seq: number): Promise<Message | undefined>;
  /** The messages with these sequences (those that exist), in sequence order. */
  listMessagesBySeq(tenantId: string, conversationId: string, seqs: readonly number[]): Promise<Message[]>;
  /** Changes after `afterChange`, oldest first. */
  listChanges(tenantId: string, conversationId: string, afterChange: number, limit: number): Promise<MessageChange[]>;
  /** One message's revisions, oldest first. */
  listRevisions(tenantId: string, conversationId: string, messageId: string): Promise<MessageRevision[]>;
}

export interface MessageRevisionTx extends MessageRevisionReads {
  /**
   * Stores a message's new content (an edit, or the tombstone of a delete) and the revision of
   * what it replaced, under the conversation's next change number, which it returns. Changes
   * nothing and returns undefined when the stored message is already deleted (or not there).
   * The caller holds the conversation's row lock, which orders change numbers.
   */
  reviseMessage(next: Message, revision: Omit<MessageRevision, 'change'>): Promise<number | undefined>;
  /**
   * Puts `message` (a tombstone) in place of the message in its earlier `message.created` and
   * `message.updated` events, so the event log no longer serves what a deleted message said.
   * Returns how many events it rewrote.
   */
  redactMessageEvents(message: Message): Promise<number>;
}
