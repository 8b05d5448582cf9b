import type { Actor, Conversation } from '../../core/model.js';
import { DEFAULT_QUEUE_ROUTING, type QueueRouting } from '../../core/routing/routing-model.js';
import { wrapUpDurationSeconds, type WrapUp, type WrapUpCode, type WrapUpEndReason } from '../../core/workspace/wrap-up.js';
import type { StoreReads, StoreTx } from '../ports/storage.js';
import type { Emit } from '../unit-of-work.js';

/** A wrap-up as the API shows it: the record with its duration. */
export type WrapUpView = WrapUp & { readonly durationSeconds: number | null };

export function wrapUpView(wrapUp: WrapUp): WrapUpView {
  return { ...wrapUp, durationSeconds: wrapUpDurationSeconds(wrapUp) };
}

export type WrapUpSettings = Pick<QueueRouting, 'wrapUpSeconds' | 'wrapUpCodes'>;

/** The wrap-up settings of the conversation's queue; a conversation in no queue gets the defaults. */
export async function wrapUpSettingsOf(reads: StoreReads, conversation: Conversation): Promise<WrapUpSettings> {
  const queue = conversation.queueId === null ? undefined : await reads.getQueue(conversation.tenantId, conversation.queueId);
  const routing = queue?.routing ?? DEFAULT_QUEUE_ROUTING;
  return { wrapUpSeconds: routing.wrapUpSeconds, wrapUpCodes: routing.wrapUpCodes };
}

/**
 * The agent whose work is wrapping up: the owner routing knows (read before the state change
 * releases it), else the first agent still taking part (consulted colleagues join later).
 */
async function owner(tx: StoreTx, conversation: Conversation): Promise<string | null> {
  const item = await tx.routing.getRoutingItem(conversation.tenantId, conversation.id);
  if (item?.status === 'assigned' && item.agentId !== null) return item.agentId;
  const participant = (await tx.listParticipants(conversation.tenantId, conversation.id)).find((p) => p.role === 'agent' && p.leftAt === null);
  return participant?.refId ?? null;
}

/**
 * Starts the conversation's wrap-up in the transaction that moves it to `wrap_up`. The deadline is
 * fixed now from the queue's `wrapUpSeconds`: changing the setting later does not shorten or
 * stretch a wrap-up that is running, and the stored deadline is what a restart re-arms.
 */
export async function startWrapUp(tx: StoreTx, conversation: Conversation, now: string): Promise<WrapUp> {
  const { wrapUpSeconds } = await wrapUpSettingsOf(tx, conversation);
  const wrapUp: WrapUp = {
    tenantId: conversation.tenantId, conversationId: conversation.id, queueId: conversation.queueId, agentId: await owner(tx, conversation),
    startedAt: now, dueAt: wrapUpSeconds > 0 ? new Date(Date.parse(now) + wrapUpSeconds * 1000).toISOString() : null,
    endedAt: null, endReason: null, code: null, label: null, notes: null, endedBy: null,
  };
  await tx.workspace.insertWrapUp(wrapUp);
  return wrapUp;
}

export interface WrapUpOutcome {
  readonly endReason: WrapUpEndReason;
  readonly code: WrapUpCode | null;
  readonly notes: string | null;
}

/** A close that is not the agent's finish: no code, no notes. */
export const CLOSED_WITHOUT_OUTCOME: WrapUpOutcome = Object.freeze({ endReason: 'closed', code: null, notes: null });

/**
 * Ends the conversation's wrap-up in the transaction that closes it, and emits
 * `conversation.wrapped_up` for reports. A conversation that entered wrap-up before wrap-ups were
 * recorded has no row: it gets one, started and ended now, so its outcome is kept all the same.
 */
export async function endWrapUp(
  tx: StoreTx, emit: Emit, actor: Actor, conversation: Conversation, outcome: WrapUpOutcome, now: string,
): Promise<WrapUp> {
  const { tenantId, id } = conversation;
  if (!(await tx.workspace.getWrapUp(tenantId, id))) await startWrapUp(tx, conversation, now);
  const end = { endedAt: now, endReason: outcome.endReason, code: outcome.code?.code ?? null, label: outcome.code?.label ?? null, notes: outcome.notes, endedBy: actor };
  if (!(await tx.workspace.endWrapUp(tenantId, id, end))) throw new Error(`wrap-up of ${id} ended twice in one transaction`);
  const wrapUp = (await tx.workspace.getWrapUp(tenantId, id))!;
  await emit('conversation.wrapped_up', tenantId, id, {
    queueId: wrapUp.queueId, agentId: wrapUp.agentId, code: wrapUp.code, label: wrapUp.label, notes: wrapUp.notes,
    startedAt: wrapUp.startedAt, endedAt: wrapUp.endedAt, durationSeconds: wrapUpDurationSeconds(wrapUp), endReason: wrapUp.endReason,
  });
  return wrapUp;
}
