import { parseTemplate, renderTemplate, type QuickReply } from '../../core/workspace/quick-reply.js';
import type { Caller } from '../caller.js';
import type { AppDeps } from '../deps.js';
import type { StoreReads } from '../ports/storage.js';
import { readableConversation } from '../queries/conversation-queries.js';
import { supervisorIdentity } from '../supervisor-identity.js';

export interface RenderedQuickReply {
  readonly id: string;
  readonly title: string;
  /** Plain text: values were inserted as they are, and clients show it as text. */
  readonly text: string;
  readonly missing: string[];
}

/**
 * The name the customer knows the caller by, which is what `{{agent.name}}` should say: an agent's
 * display name, or for someone without an agent record (a supervisor who barged in) the name their
 * messages carry.
 */
async function callerName(reads: StoreReads, caller: Caller, tenantId: string): Promise<string | null> {
  if (caller.agentId) return (await reads.getAgent(tenantId, caller.agentId))?.displayName ?? null;
  return (await supervisorIdentity(reads, caller, tenantId)).displayName;
}

function render(reply: QuickReply, values: Parameters<typeof renderTemplate>[1]): RenderedQuickReply {
  const parsed = parseTemplate(reply.text);
  // Stored templates parsed when saved; one that no longer would is shown as written rather than lost.
  const { text, missing } = parsed.ok ? renderTemplate(parsed.parts, values) : { text: reply.text, missing: [] };
  return { id: reply.id, title: reply.title, text, missing };
}

/**
 * The quick replies of the conversation's queue, filled for it: the contact's display name, the
 * caller's name and the conversation's context variables, read when asked (the context changes as
 * the conversation goes on). A conversation in no queue has none.
 */
export async function renderQuickReplies(deps: AppDeps, caller: Caller, tenantId: string, conversationId: string): Promise<RenderedQuickReply[]> {
  const conversation = await readableConversation(deps, caller, tenantId, conversationId);
  if (conversation.queueId === null) return [];
  const reads = deps.storage.read;
  const replies = await reads.workspace.listQuickReplies(tenantId, conversation.queueId);
  if (replies.length === 0) return [];
  const values = {
    customerName: (await reads.getContact(tenantId, conversation.contactId))?.displayName ?? null,
    agentName: await callerName(reads, caller, tenantId),
    context: await reads.getContext(tenantId, conversationId),
  };
  return replies.map((reply) => render(reply, values));
}
