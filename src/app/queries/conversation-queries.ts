import type { ContextVariable, Conversation, Message, Participant } from '../../core/model.js';
import { queueScope, type Caller } from '../caller.js';
import type { AppDeps } from '../deps.js';
import { SwitchboardError } from '../errors.js';
import { keysetPage, type Page } from '../pagination.js';
import type { ConversationFilter } from '../ports/storage.js';
import { assertConversationInScope } from '../scope.js';
import { requireTenant } from '../tenant-access.js';

export const MAX_MESSAGES_PER_READ = 500;

export async function getConversation(deps: AppDeps, caller: Caller, tenantId: string, id: string): Promise<Conversation> {
  return readableConversation(deps, caller, tenantId, id);
}

export async function listConversations(
  deps: AppDeps, caller: Caller, tenantId: string, filter: ConversationFilter, limit?: number, cursor?: string,
): Promise<Page<Conversation>> {
  await requireTenant(deps, caller, tenantId, 'conversations.read');
  const scope = queueScope(caller, 'conversations.read');
  const scoped: ConversationFilter = scope === 'all' ? filter : { ...filter, queueIds: [...scope] };
  return keysetPage(limit, cursor, (beforeId, n) => deps.storage.read.listConversations(tenantId, scoped, { beforeId, limit: n }));
}

export async function listParticipants(deps: AppDeps, caller: Caller, tenantId: string, conversationId: string): Promise<Participant[]> {
  await readableConversation(deps, caller, tenantId, conversationId);
  return deps.storage.read.listParticipants(tenantId, conversationId);
}

/** Messages with seq > afterSeq in order; a client resumes by passing the last seq it has. */
export async function listMessages(
  deps: AppDeps, caller: Caller, tenantId: string, conversationId: string, afterSeq = 0, limit = 100,
): Promise<{ items: Message[]; lastSeq: number }> {
  const conversation = await readableConversation(deps, caller, tenantId, conversationId);
  const items = await deps.storage.read.listMessages(tenantId, conversationId, afterSeq, Math.min(Math.max(limit, 1), MAX_MESSAGES_PER_READ));
  return { items, lastSeq: conversation.lastSeq };
}

export async function getContext(deps: AppDeps, caller: Caller, tenantId: string, conversationId: string): Promise<ContextVariable[]> {
  await readableConversation(deps, caller, tenantId, conversationId);
  return deps.storage.read.getContext(tenantId, conversationId);
}

/** The conversation, if it exists in the tenant and in the caller's scope for reading; missing otherwise. */
export async function readableConversation(deps: AppDeps, caller: Caller, tenantId: string, id: string): Promise<Conversation> {
  await requireTenant(deps, caller, tenantId, 'conversations.read');
  const conversation = await deps.storage.read.getConversation(tenantId, id);
  if (!conversation) throw new SwitchboardError('SB_ERR_CONVERSATION_NOT_FOUND');
  await assertConversationInScope(deps.storage.read, caller, 'conversations.read', conversation);
  return conversation;
}
