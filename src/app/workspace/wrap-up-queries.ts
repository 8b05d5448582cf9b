import type { WrapUpCode } from '../../core/workspace/wrap-up.js';
import type { Caller } from '../caller.js';
import type { AppDeps } from '../deps.js';
import { readableConversation } from '../queries/conversation-queries.js';
import { wrapUpSettingsOf, wrapUpView, type WrapUpView } from './wrap-up-record.js';

export interface ConversationWrapUp {
  /** The settings of the conversation's queue now (a running wrap-up keeps the deadline it started with). */
  readonly wrapUpSeconds: number;
  readonly codes: WrapUpCode[];
  /** Finishing needs one of `codes`: the queue has some. */
  readonly codeRequired: boolean;
  /** The wrap-up, once started (running: `endedAt` null). */
  readonly wrapUp: WrapUpView | null;
}

/**
 * What a workspace needs to show the wrap-up of a conversation: its queue's codes and time, read
 * through the conversation, so an agent sees them for a conversation transferred to them from a
 * queue they are not a member of.
 */
export async function getConversationWrapUp(deps: AppDeps, caller: Caller, tenantId: string, conversationId: string): Promise<ConversationWrapUp> {
  const conversation = await readableConversation(deps, caller, tenantId, conversationId);
  const settings = await wrapUpSettingsOf(deps.storage.read, conversation);
  const wrapUp = await deps.storage.read.workspace.getWrapUp(tenantId, conversationId);
  return {
    wrapUpSeconds: settings.wrapUpSeconds, codes: [...settings.wrapUpCodes], codeRequired: settings.wrapUpCodes.length > 0,
    wrapUp: wrapUp ? wrapUpView(wrapUp) : null,
  };
}
