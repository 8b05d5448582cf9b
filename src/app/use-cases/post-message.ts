import { randomBytes } from 'node:crypto';
import { isTerminal } from '../../core/conversation-lifecycle.js';
import { sameMessageRequest, type AttachmentMeta, type MessageRequest } from '../../core/message-request.js';
import { canAuthor, type MessageVisibility } from '../../core/message-visibility.js';
import type { Message, SenderRole } from '../../core/model.js';
import type { Caller } from '../caller.js';
import { lockConversation } from '../conversation-lock.js';
import type { AppDeps } from '../deps.js';
import { SwitchboardError } from '../errors.js';
import { assertBargedIn, assertSupervises, requireSupervisorSender } from '../supervisor-sender.js';
import { requireTenant } from '../tenant-access.js';
import { commit } from '../unit-of-work.js';

export interface PostMessageInput {
  readonly senderRole: SenderRole;
  readonly senderId?: string | null | undefined;
  readonly visibility?: MessageVisibility | undefined;
  readonly text: string;
  readonly attachments?: readonly AttachmentMeta[] | undefined;
  /** A client retry with the same key returns the first message instead of storing a second copy. */
  readonly idempotencyKey?: string | undefined;
  /** Kept with the message as it came (a Direct Line activity's `channelData`). */
  readonly channelData?: Readonly<Record<string, unknown>> | null | undefined;
  /** Uploaded files: stored in the same transaction as the message, which lists them as attachments. */
  readonly files?: readonly UploadedFile[] | undefined;
}

export interface UploadedFile {
  readonly name: string;
  readonly contentType: string;
  readonly content: Buffer;
}

/** Where a stored attachment is served (relative: each client resolves it against the server's base URL). */
export function attachmentPath(id: string, name: string): string {
  return `/attachments/${id}/${encodeURIComponent(name)}`;
}

export interface MessagePosted {
  readonly message: Message;
  /** False when an earlier send with the same idempotency key is returned. */
  readonly created: boolean;
}

export async function postMessage(
  deps: AppDeps, caller: Caller, tenantId: string, conversationId: string, input: PostMessageInput,
): Promise<MessagePosted> {
  await requireTenant(deps, caller, tenantId, 'conversations.write');
  const asSupervisor = input.senderRole === 'supervisor';
  const request: MessageRequest = {
    senderRole: input.senderRole,
    senderId: asSupervisor ? await requireSupervisorSender(deps, caller, tenantId, input.senderId) : input.senderId ?? null,
    visibility: input.visibility ?? 'public',
    text: input.text,
    attachments: [...(input.attachments ?? []), ...(input.files ?? []).map((f) => ({ name: f.name, contentType: f.contentType, size: f.content.length }))],
  };
  if (!canAuthor(request.senderRole, request.visibility)) {
    throw new SwitchboardError('SB_ERR_NOT_ALLOWED_VISIBILITY', `A ${request.senderRole} may not post a ${request.visibility} message.`);
  }
  if (request.text.length === 0 && request.attachments.length === 0) {
    throw new SwitchboardError('SB_ERR_VALIDATION', 'A message needs text or at least one attachment.');
  }

  return commit(deps, caller, async (tx, emit, now) => {
    // The row lock orders concurrent sends (and retries) to one conversation.
    // Not yet "must be open": a retry of a message sent before the close still gets its answer.
    const conversation = await lockConversation(tx, caller, tenantId, conversationId, false);
    if (asSupervisor) assertSupervises(caller, conversation);

    if (input.idempotencyKey !== undefined) {
      const first = await tx.getMessageByIdempotencyKey(tenantId, conversationId, input.idempotencyKey);
      if (first) {
        if (!sameMessageRequest(first, request, { ignoreUrls: input.files !== undefined })) throw new SwitchboardError('SB_ERR_IDEMPOTENCY_CONFLICT');
        return { message: first, created: false };
      }
    }
    if (isTerminal(conversation.state)) throw new SwitchboardError('SB_ERR_CONVERSATION_CLOSED');
    if (asSupervisor) await assertBargedIn(tx, conversation, request.senderId!, request.visibility);

    const seq = await tx.nextMessageSeq(tenantId, conversationId, now);
    const stored = [...(input.attachments ?? [])];
    for (const file of input.files ?? []) {
      const id = `att_${randomBytes(32).toString('base64url')}`;
      await tx.insertAttachment({ id, tenantId, conversationId, name: file.name, contentType: file.contentType, size: file.content.length, createdAt: now }, file.content);
      stored.push({ name: file.name, contentType: file.contentType, size: file.content.length, url: attachmentPath(id, file.name) });
    }
    const message: Message = {
      id: deps.ids.next('msg'),
      tenantId,
      conversationId,
      seq,
      ...request,
      attachments: stored,
      idempotencyKey: input.idempotencyKey ?? null,
      channelData: input.channelData ?? null,
      createdAt: now,
      editedAt: null,
      deletedAt: null,
    };
    if (!(await tx.insertMessage(message))) throw new SwitchboardError('SB_ERR_IDEMPOTENCY_CONFLICT');
    await emit('message.created', tenantId, conversationId, { message });
    return { message, created: true };
  });
}
