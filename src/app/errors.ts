/**
 * The one error type of Switchboard and its closed catalogue of codes. Use cases return values for
 * expected outcomes and raise `SwitchboardError` for requests that cannot be honoured; the HTTP
 * status for each code is decided only at the edge (`src/server/http/error-status.ts`).
 * `docs/ERRORS.md` documents every code; a test fails when the two drift apart.
 */
export const ERROR_CODES = {
  SB_ERR_VALIDATION: 'The request does not match the schema of the route.',
  SB_ERR_MALFORMED_JSON: 'The request body is not valid JSON.',
  SB_ERR_UNSUPPORTED_MEDIA_TYPE: 'The request body has a content type the route does not accept.',
  SB_ERR_BODY_TOO_LARGE: 'The request body is larger than the configured limit.',
  SB_ERR_UNAUTHENTICATED: 'No valid credentials were presented.',
  SB_ERR_FORBIDDEN: 'The credentials do not allow this action.',
  SB_ERR_ROUTE_NOT_FOUND: 'No route matches the method and path.',
  SB_ERR_TENANT_NOT_FOUND: 'The tenant does not exist.',
  SB_ERR_CHANNEL_NOT_FOUND: 'The channel does not exist in this tenant.',
  SB_ERR_CONTACT_NOT_FOUND: 'The contact does not exist in this tenant.',
  SB_ERR_CONVERSATION_NOT_FOUND: 'The conversation does not exist in this tenant.',
  SB_ERR_AGENT_NOT_FOUND: 'The agent does not exist in this tenant.',
  SB_ERR_QUEUE_NOT_FOUND: 'The queue does not exist in this tenant.',
  SB_ERR_PARTICIPANT_NOT_FOUND: 'The participant does not exist in this conversation.',
  SB_ERR_ILLEGAL_TRANSITION: 'The conversation cannot move from its current state to the requested one.',
  SB_ERR_STATE_CONFLICT: 'The conversation changed state concurrently; read it again and retry.',
  SB_ERR_CONVERSATION_CLOSED: 'The conversation is closed or abandoned and accepts no more changes.',
  SB_ERR_IDEMPOTENCY_CONFLICT: 'The idempotency key was already used for a different request.',
  SB_ERR_CONTACT_IDENTITY_TAKEN: 'The channel identity already belongs to another contact.',
  SB_ERR_ALREADY_MEMBER: 'The agent is already a member of the queue.',
  SB_ERR_INVALID_CONTEXT: 'A context variable has an invalid name, type or value.',
  SB_ERR_NOT_ALLOWED_VISIBILITY: 'The sender may not post a message with that visibility.',
  SB_ERR_NOT_BARGED_IN: 'A supervisor speaks to the customer only after barging in (POST .../barge); whispers need no barge.',
  SB_ERR_INVALID_CURSOR: 'The pagination cursor is malformed.',
  SB_ERR_SKILL_NOT_FOUND: 'A named skill is not defined in this tenant.',
  SB_ERR_SKILL_EXISTS: 'A skill with that name already exists in this tenant.',
  SB_ERR_INVALID_SKILLS: 'Skill proficiencies must be whole numbers from 1 to 10.',
  SB_ERR_WORKSTREAM_NOT_FOUND: 'The workstream does not exist in this tenant.',
  SB_ERR_INVALID_RULE: 'A routing rule is invalid (expression, target, split or settings); details say which and where.',
  SB_ERR_INVALID_QUEUE_SETTINGS: 'Queue routing settings are invalid (assignment order, operating hours, overflow rules or wrap-up codes).',
  SB_ERR_INVALID_WORKSTREAM: 'Workstream settings are invalid or clash with another workstream.',
  SB_ERR_QUEUE_IN_USE: 'The queue is still named by a routing rule, a fallback or an overflow rule.',
  SB_ERR_VERSION_CONFLICT: 'The resource changed since the version given; read it again and retry.',
  SB_ERR_NOT_A_MEMBER: 'The agent is not a member of the queue.',
  SB_ERR_NO_WORKSTREAM: 'No workstream routes conversations of this channel type.',
  SB_ERR_NOT_ROUTABLE: 'The conversation is not in a state from which it can be routed.',
  SB_ERR_OFFER_NOT_FOUND: 'The offer does not exist in this tenant.',
  SB_ERR_OFFER_NOT_YOURS: 'The offer was made to another agent.',
  SB_ERR_OFFER_EXPIRED: 'The offer timed out before it was answered.',
  SB_ERR_OFFER_RESOLVED: 'The offer was already accepted, rejected or withdrawn.',
  SB_ERR_NOT_WAITING: 'The conversation is not waiting in that queue (someone else took it, or it left).',
  SB_ERR_PICK_NOT_ALLOWED: 'The conversation is routed in push mode, or the agent is not eligible to pick it.',
  SB_ERR_CAPACITY_EXCEEDED: 'The agent has no free capacity for this conversation.',
  SB_ERR_TRANSFER_REJECTED: 'The transfer target cannot take the conversation.',
  SB_ERR_USER_NOT_FOUND: 'The user does not exist in this tenant.',
  SB_ERR_USER_EXISTS: 'A user with that e-mail address already exists in this tenant.',
  SB_ERR_GROUP_NOT_FOUND: 'The group does not exist in this tenant.',
  SB_ERR_GROUP_EXISTS: 'A group with that name already exists in this tenant.',
  SB_ERR_ROLE_NOT_FOUND: 'The role is neither a built-in role nor a custom role of this tenant.',
  SB_ERR_ROLE_EXISTS: 'A custom role with that name already exists in this tenant.',
  SB_ERR_ROLE_IN_USE: 'The custom role is still assigned; remove its assignments first.',
  SB_ERR_INVALID_PERMISSION: 'A permission or scope is not in the documented catalogue (docs/IDENTITY.md), or may not be granted here.',
  SB_ERR_ASSIGNMENT_NOT_FOUND: 'The role assignment does not exist in this tenant.',
  SB_ERR_APP_NOT_FOUND: 'The application is not registered, or not present in this tenant.',
  SB_ERR_INVALID_APP: 'Application settings are invalid (redirect URIs, account type, client type); details say which.',
  SB_ERR_SECRET_NOT_FOUND: 'The client secret does not exist for this application.',
  SB_ERR_INVALID_SECRET_EXPIRY: 'The secret expiry is in the past or beyond the configured maximum.',
  SB_ERR_CERTIFICATE_NOT_FOUND: 'The certificate credential does not exist for this application.',
  SB_ERR_INVALID_CERTIFICATE: 'The certificate or public key cannot be used (not a public RSA or P-256 key, or already registered).',
  SB_ERR_CONSENT_NOT_FOUND: 'The application has no consent (enterprise application) in this tenant.',
  SB_ERR_NOT_A_WEBCHAT_CHANNEL: 'The channel is not a web chat channel; Direct Line secrets and surveys belong to web chat channels.',
  SB_ERR_INVALID_CHANNEL_SETTINGS: 'The channel settings are invalid; details list every problem.',
  SB_ERR_SURVEY_EXISTS: 'The conversation already has a satisfaction survey answer.',
  SB_ERR_BOT_APP_IN_USE: 'Another bot agent of this tenant already signs in as that application: an app id is unique per tenant.',
  SB_ERR_APP_ID_FOR_BOTS_ONLY: 'Only a bot agent can be bound to an application (appId).',
  SB_ERR_INVALID_CREDENTIALS: 'The e-mail address or password is wrong, or the account cannot sign in.',
  SB_ERR_ACCOUNT_LOCKED: 'Too many failed sign-ins: the account is locked for a while.',
  SB_ERR_RATE_LIMITED: 'Too many requests from this address or for this account; retry after the time in Retry-After.',
  SB_ERR_CSRF: 'A state-changing request with a session cookie lacks the matching X-CSRF-Token header.',
  SB_ERR_SSO_NOT_CONFIGURED: 'The tenant has no single sign-on provider configured (or it is disabled).',
  SB_ERR_SSO_FAILED: 'Single sign-on did not complete: the provider refused, the state did not match, or the user may not sign in.',
  SB_ERR_INVALID_OIDC_CONNECTION: 'The single sign-on settings are invalid (issuer URL, client id, claim names or role mapping).',
  SB_ERR_PASSWORD_TOO_WEAK: 'The password is shorter than 12 characters or longer than 256.',
  SB_ERR_BOT_NOT_FOUND: 'The bot is not registered with the Bot Framework channel in this tenant.',
  SB_ERR_BOT_EXISTS: 'The agent already has a bot registration.',
  SB_ERR_NOT_A_BOT: 'Only an agent of kind bot can be registered as a bot.',
  SB_ERR_INVALID_BOT_SETTINGS: 'The bot settings are invalid (endpoint, auth mode, Entra settings, phrases); details list every problem.',
  SB_ERR_BOT_DISCONNECTED: 'The bot is disconnected; reconnect it before it can act.',
  SB_ERR_BOT_NOT_BOUND: 'The conversation is not bound to the calling bot.',
  SB_ERR_QUICK_REPLY_NOT_FOUND: 'The quick reply does not exist in this queue.',
  SB_ERR_CRM_LOOKUP_NOT_CONFIGURED: 'The tenant has no CRM lookup configured.',
  SB_ERR_INVALID_CRM_LOOKUP: 'The CRM lookup settings are invalid (URL, headers or timeout); details list every problem.',
  SB_ERR_CRM_LOOKUP_FAILED: 'The CRM lookup did not answer usably (unreachable, too slow, an error status, a redirect or an invalid answer); details.reason says which.',
  SB_ERR_CONFIG_INVALID: 'The configuration has problems; each one is listed.',
  SB_ERR_UNAVAILABLE: 'A dependency (the database) is not available; retry later.',
  SB_ERR_INTERNAL: 'An unexpected error; the response carries an errorId that is in the server log.',
} as const;

export type ErrorCode = keyof typeof ERROR_CODES;

export class SwitchboardError extends Error {
  override readonly name = 'SwitchboardError';
  constructor(
    readonly code: ErrorCode,
    message: string = ERROR_CODES[code],
    readonly details?: Readonly<Record<string, unknown>>,
  ) {
    super(message);
  }
}

export function isSwitchboardError(value: unknown): value is SwitchboardError {
  return value instanceof SwitchboardError;
}
