/** Web chat records as plain data; times are RFC 3339 strings in UTC, as in the conversation model. */

/** A Direct Line secret of a web chat channel: for the site's servers, never for pages. */
export interface DirectLineSecret {
  readonly id: string;
  readonly tenantId: string;
  readonly channelId: string;
  /** Keyed hash (HMAC) of the value; the value itself is shown once and never stored. */
  readonly secretHash: string;
  /** The first characters of the value, so an administrator can tell secrets apart. */
  readonly hint: string;
  readonly createdAt: string;
  readonly revokedAt: string | null;
}

/** A customer's answer to the post-chat satisfaction survey: one per conversation. */
export interface SatisfactionSurvey {
  readonly conversationId: string;
  readonly tenantId: string;
  readonly channelId: string;
  /** 1 (very unhappy) to 5 (very happy). */
  readonly rating: number;
  readonly comment: string | null;
  readonly createdAt: string;
}
