import { MAX_QUICK_REPLIES_PER_QUEUE, parseTemplate, templateVariables, type QuickReply } from '../../core/workspace/quick-reply.js';
import type { Caller } from '../caller.js';
import type { AppDeps } from '../deps.js';
import { SwitchboardError } from '../errors.js';
import { getQueue } from '../queries/directory-queries.js';
import type { StoreTx } from '../ports/storage.js';
import { requireTenant } from '../tenant-access.js';
import { commit } from '../unit-of-work.js';

/** A quick reply as the API shows it: the template with the variables it uses. */
export type QuickReplyView = QuickReply & { readonly variables: string[] };

export function quickReplyView(reply: QuickReply): QuickReplyView {
  const parsed = parseTemplate(reply.text);
  return { ...reply, variables: parsed.ok ? templateVariables(parsed.parts) : [] };
}

export interface QuickReplyInput {
  readonly title?: string | undefined;
  readonly text?: string | undefined;
}

/**
 * Checked at save time, like routing rules: a template that does not parse never reaches an
 * agent. Every problem is listed with its line and column.
 */
function checkInput(input: QuickReplyInput): void {
  const problems: { path: string; message: string; line?: number; column?: number }[] = [];
  if (input.title !== undefined && input.title.trim() === '') problems.push({ path: '/title', message: 'must not be blank' });
  if (input.text !== undefined) {
    if (input.text.trim() === '') problems.push({ path: '/text', message: 'must not be blank' });
    const parsed = parseTemplate(input.text);
    if (!parsed.ok) for (const p of parsed.problems) problems.push({ path: '/text', message: p.message, line: p.line, column: p.column });
  }
  if (problems.length === 0) return;
  const where = (p: (typeof problems)[number]) => (p.line === undefined ? '' : ` (line ${p.line}, column ${p.column})`);
  throw new SwitchboardError('SB_ERR_VALIDATION', `The quick reply is invalid: ${problems.map((p) => `${p.path} ${p.message}${where(p)}`).join('; ')}.`, { problems });
}

/** A queue's quick replies, for anyone who may read the queue (an agent: their queues). */
export async function listQuickReplies(deps: AppDeps, caller: Caller, tenantId: string, queueId: string): Promise<QuickReplyView[]> {
  await getQueue(deps, caller, tenantId, queueId);
  return (await deps.storage.read.workspace.listQuickReplies(tenantId, queueId)).map(quickReplyView);
}

export async function createQuickReply(
  deps: AppDeps, caller: Caller, tenantId: string, queueId: string, input: Required<QuickReplyInput>,
): Promise<QuickReplyView> {
  await requireTenant(deps, caller, tenantId, 'queues.write');
  checkInput(input);
  return commit(deps, caller, async (tx, emit, now) => {
    if (!(await tx.getQueue(tenantId, queueId))) throw new SwitchboardError('SB_ERR_QUEUE_NOT_FOUND');
    const count = (await tx.workspace.listQuickReplies(tenantId, queueId)).length;
    if (count >= MAX_QUICK_REPLIES_PER_QUEUE) {
      throw new SwitchboardError('SB_ERR_VALIDATION', `A queue holds at most ${MAX_QUICK_REPLIES_PER_QUEUE} quick replies; delete one first.`, { limit: MAX_QUICK_REPLIES_PER_QUEUE });
    }
    const reply: QuickReply = { id: deps.ids.next('qr'), tenantId, queueId, title: input.title, text: input.text, createdAt: now, updatedAt: now };
    await tx.workspace.insertQuickReply(reply);
    const view = quickReplyView(reply);
    await emit('quick_reply.created', tenantId, null, { quickReply: view, queueId });
    return view;
  });
}

/** The reply, if it belongs to this queue of the tenant; missing otherwise (a reply of another queue included). */
async function replyOf(tx: StoreTx, tenantId: string, queueId: string, replyId: string): Promise<QuickReply> {
  if (!(await tx.getQueue(tenantId, queueId))) throw new SwitchboardError('SB_ERR_QUEUE_NOT_FOUND');
  const reply = await tx.workspace.getQuickReply(tenantId, replyId);
  if (!reply || reply.queueId !== queueId) throw new SwitchboardError('SB_ERR_QUICK_REPLY_NOT_FOUND');
  return reply;
}

export async function updateQuickReply(
  deps: AppDeps, caller: Caller, tenantId: string, queueId: string, replyId: string, input: QuickReplyInput,
): Promise<QuickReplyView> {
  await requireTenant(deps, caller, tenantId, 'queues.write');
  checkInput(input);
  return commit(deps, caller, async (tx, emit, now) => {
    await replyOf(tx, tenantId, queueId, replyId);
    await tx.workspace.updateQuickReply(tenantId, replyId, { title: input.title, text: input.text }, now);
    const view = quickReplyView((await tx.workspace.getQuickReply(tenantId, replyId))!);
    await emit('quick_reply.updated', tenantId, null, { quickReply: view, queueId });
    return view;
  });
}

export async function deleteQuickReply(deps: AppDeps, caller: Caller, tenantId: string, queueId: string, replyId: string): Promise<void> {
  await requireTenant(deps, caller, tenantId, 'queues.write');
  await commit(deps, caller, async (tx, emit) => {
    await replyOf(tx, tenantId, queueId, replyId);
    await tx.workspace.deleteQuickReply(tenantId, replyId);
    await emit('quick_reply.deleted', tenantId, null, { quickReplyId: replyId, queueId });
  });
}
