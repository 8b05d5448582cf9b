/**
 * Who sees which message. Customers see only public messages; internal notes and bot summaries are
 * for the agent side; a whisper goes from a supervisor to the agents only (the customer and bots
 * never see it). Later issues (assist bots, whisper/barge) build on these rules.
 */
export const PARTICIPANT_ROLES = ['customer', 'bot', 'agent', 'supervisor'] as const;
export type ParticipantRole = (typeof PARTICIPANT_ROLES)[number];

export const MESSAGE_VISIBILITIES = ['public', 'internal', 'whisper'] as const;
export type MessageVisibility = (typeof MESSAGE_VISIBILITIES)[number];

/** What a participant is allowed to see; `customer` means public only, `agent` the agent side too. */
export const AUDIENCES = ['customer', 'agent', 'supervisor'] as const;
export type Audience = (typeof AUDIENCES)[number];

export function defaultAudience(role: ParticipantRole): Audience {
  switch (role) {
    case 'customer':
    case 'bot':
      return 'customer';
    case 'agent':
      return 'agent';
    case 'supervisor':
      return 'supervisor';
  }
}

export function canSee(audience: Audience, visibility: MessageVisibility): boolean {
  if (visibility === 'public') return true;
  return audience === 'agent' || audience === 'supervisor';
}

/** Which roles may author a message with a given visibility. */
export function canAuthor(role: ParticipantRole | 'system', visibility: MessageVisibility): boolean {
  if (visibility === 'public') return true;
  if (visibility === 'internal') return role !== 'customer';
  return role === 'supervisor';
}
