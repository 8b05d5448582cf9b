/**
 * Errors of the Direct Line endpoints. Direct Line clients read the HTTP status (DLJS: 403 means
 * the token expired, 404 that the conversation ended) and the body `{"error":{"code","message"}}`,
 * which is also Switchboard's own error shape; the codes are Direct Line's (docs/WEBCHAT.md).
 */
export const DIRECTLINE_ERRORS = {
  BadArgument: 400,
  MissingProperty: 400,
  Unauthorized: 401,
  TokenExpired: 403,
  Forbidden: 403,
  NotFound: 404,
  Conflict: 409,
  MessageSizeTooBig: 413,
  UnsupportedMediaType: 415,
  TooManyRequests: 429,
  ServiceError: 500,
} as const;

export type DirectLineErrorCode = keyof typeof DIRECTLINE_ERRORS;

export class DirectLineError extends Error {
  override readonly name = 'DirectLineError';
  readonly status: number;
  constructor(readonly code: DirectLineErrorCode, message: string) {
    super(message);
    this.status = DIRECTLINE_ERRORS[code];
  }
}
