import type { Caller } from '../../app/caller.js';
import type { AppDeps } from '../../app/deps.js';
import { SwitchboardError } from '../../app/errors.js';
import type { RoutingEngine } from '../../app/routing/routing-engine.js';
import { changeConversationState } from '../../app/use-cases/change-conversation-state.js';
import { postMessage } from '../../app/use-cases/post-message.js';
import { setAgentPresence } from '../../app/use-cases/set-agent-presence.js';
import type { ConversationFeed } from '../../app/webchat/conversation-feed.js';
import { announceAgentTyping } from '../../app/webchat/typing.js';
import { finishWrapUp } from '../../app/workspace/finish-wrap-up.js';
import { MAX_WRAP_UP_NOTES } from '../../core/workspace/wrap-up.js';
import { PRESENCES, type Presence } from '../../core/routing/agent-selection.js';
import { MESSAGE_VISIBILITIES, type MessageVisibility } from '../../core/message-visibility.js';

/**
 * What an agent can do over the WebSocket, so a workspace needs one connection for everything:
 * offers arrive as `routing.offered` events on a tenant subscription, and the agent answers with
 *   {"type":"command","id":"c1","tenantId","agentId","action":"accept","offerId"}
 * Actions: presence {presence}, accept {offerId}, reject {offerId, reason?},
 * message {conversationId, text, visibility?, idempotencyKey?}, wrap-up {conversationId},
 * finish-wrap-up {conversationId, code?, notes?} (POST .../wrap-up), close {conversationId},
 * typing {conversationId} (relayed to the customer, not stored). The answer is
 * {"type":"result","id","result"} or an error frame. Each action runs the same use case as its
 * REST route, with the same checks and errors.
 */
export type CommandFrame = Record<string, unknown> & { readonly id: string };

function checked(value: unknown, field: string, min: number, max: number): string {
  if (typeof value !== 'string' || value.length < min || value.length > max) {
    throw new SwitchboardError('SB_ERR_VALIDATION', `"${field}" must be a string of ${min}-${max} characters.`);
  }
  return value;
}
const text = (frame: CommandFrame, field: string, max = 200): string => checked(frame[field], field, 1, max);
const optionalText = (frame: CommandFrame, field: string, max: number, min = 1): string | undefined =>
  frame[field] === undefined ? undefined : checked(frame[field], field, min, max);

export async function runAgentCommand(deps: AppDeps, engine: RoutingEngine, caller: Caller, frame: CommandFrame, feed?: ConversationFeed): Promise<unknown> {
  const tenantId = text(frame, 'tenantId', 64);
  const agentId = text(frame, 'agentId', 64);
  switch (frame.action) {
    case 'presence': {
      const presence = frame.presence;
      if (typeof presence !== 'string' || !(PRESENCES as readonly string[]).includes(presence)) {
        throw new SwitchboardError('SB_ERR_VALIDATION', `"presence" must be one of ${PRESENCES.join(', ')}.`);
      }
      return setAgentPresence(deps, caller, tenantId, agentId, presence as Presence);
    }
    case 'accept':
      return engine.accept(caller, tenantId, text(frame, 'offerId', 64), agentId);
    case 'reject': {
      const reason = optionalText(frame, 'reason', 500);
      return engine.reject(caller, tenantId, text(frame, 'offerId', 64), agentId, reason);
    }
    case 'message': {
      const visibility = frame.visibility ?? 'public';
      if (typeof visibility !== 'string' || !(MESSAGE_VISIBILITIES as readonly string[]).includes(visibility)) {
        throw new SwitchboardError('SB_ERR_VALIDATION', `"visibility" must be one of ${MESSAGE_VISIBILITIES.join(', ')}.`);
      }
      const idempotencyKey = optionalText(frame, 'idempotencyKey', 200);
      const posted = await postMessage(deps, caller, tenantId, text(frame, 'conversationId', 64), {
        senderRole: 'agent', senderId: agentId, visibility: visibility as MessageVisibility, text: text(frame, 'text', 20_000), idempotencyKey,
      });
      return posted.message;
    }
    case 'wrap-up':
      return changeConversationState(deps, caller, tenantId, text(frame, 'conversationId', 64), { to: 'wrap_up', reason: `wrap-up by ${agentId}` });
    case 'finish-wrap-up':
      return finishWrapUp(deps, caller, tenantId, text(frame, 'conversationId', 64), {
        code: optionalText(frame, 'code', 64), notes: optionalText(frame, 'notes', MAX_WRAP_UP_NOTES, 0),
      });
    case 'close':
      return changeConversationState(deps, caller, tenantId, text(frame, 'conversationId', 64), { to: 'closed', reason: `closed by ${agentId}` });
    case 'typing':
      if (!feed) throw new SwitchboardError('SB_ERR_VALIDATION', 'Typing is relayed to web chat customers, and web chat is not running.');
      await announceAgentTyping(deps, feed, caller, tenantId, text(frame, 'conversationId', 64), agentId);
      return { relayed: true };
    default:
      throw new SwitchboardError('SB_ERR_VALIDATION', '"action" must be one of presence, accept, reject, message, wrap-up, finish-wrap-up, close, typing.');
  }
}
