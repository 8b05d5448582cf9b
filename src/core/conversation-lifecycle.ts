/**
 * The conversation lifecycle: which state a conversation may move to from which.
 *
 *   open -> bot -> queued -> offered -> active -> wrap_up -> closed
 *                                                         \-> abandoned (customer left unanswered)
 *
 * Back-edges exist where real work needs them: an offer that is rejected or times out goes back to
 * `queued`; a transfer moves an `active` conversation back to `queued` (or to a bot queue); a bot
 * escalation moves `bot` to `queued`. `closed` and `abandoned` are terminal.
 */
export const CONVERSATION_STATES = [
  'open',
  'bot',
  'queued',
  'offered',
  'active',
  'wrap_up',
  'closed',
  'abandoned',
] as const;

export type ConversationState = (typeof CONVERSATION_STATES)[number];

const TRANSITIONS: Readonly<Record<ConversationState, readonly ConversationState[]>> = {
  open: ['bot', 'queued', 'active', 'closed', 'abandoned'],
  bot: ['queued', 'closed', 'abandoned'],
  queued: ['offered', 'active', 'bot', 'closed', 'abandoned'],
  offered: ['active', 'queued', 'abandoned'],
  active: ['wrap_up', 'queued', 'bot', 'closed'],
  wrap_up: ['closed'],
  closed: [],
  abandoned: [],
};

export type TransitionResult =
  | { readonly ok: true; readonly from: ConversationState; readonly to: ConversationState }
  | { readonly ok: false; readonly reason: 'illegal_transition' | 'terminal_state' | 'same_state'; readonly allowed: readonly ConversationState[] };

export function isConversationState(value: string): value is ConversationState {
  return (CONVERSATION_STATES as readonly string[]).includes(value);
}

export function isTerminal(state: ConversationState): boolean {
  return TRANSITIONS[state].length === 0;
}

export function allowedTransitions(from: ConversationState): readonly ConversationState[] {
  return TRANSITIONS[from];
}

/** Decides whether `from -> to` is a legal lifecycle step; never throws. */
export function transition(from: ConversationState, to: ConversationState): TransitionResult {
  const allowed = TRANSITIONS[from];
  if (from === to) return { ok: false, reason: 'same_state', allowed };
  if (allowed.length === 0) return { ok: false, reason: 'terminal_state', allowed };
  if (!allowed.includes(to)) return { ok: false, reason: 'illegal_transition', allowed };
  return { ok: true, from, to };
}
