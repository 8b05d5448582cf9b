import { randomUUID } from 'node:crypto';
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { ERROR_CODES, isSwitchboardError, type ErrorCode } from '../../app/errors.js';
import { ERROR_STATUS } from './error-status.js';

// Fastify's own request errors, translated into our catalogue.
const FASTIFY_CODES: Readonly<Record<string, ErrorCode>> = {
  FST_ERR_CTP_INVALID_JSON_BODY: 'SB_ERR_MALFORMED_JSON',
  FST_ERR_CTP_EMPTY_JSON_BODY: 'SB_ERR_MALFORMED_JSON',
  FST_ERR_CTP_INVALID_MEDIA_TYPE: 'SB_ERR_UNSUPPORTED_MEDIA_TYPE',
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: 'SB_ERR_VALIDATION',
  FST_ERR_CTP_BODY_TOO_LARGE: 'SB_ERR_BODY_TOO_LARGE',
  FST_ERR_VALIDATION: 'SB_ERR_VALIDATION',
};

export function sendError(reply: FastifyReply, code: ErrorCode, message: string, extra?: { errorId?: string; details?: unknown }): FastifyReply {
  const error: Record<string, unknown> = { code, message };
  if (extra?.errorId) error.errorId = extra.errorId;
  if (extra?.details) error.details = extra.details;
  return reply.code(ERROR_STATUS[code]).type('application/json; charset=utf-8').send({ error });
}

/** Every failure leaves as `{"error":{"code","message"}}`; unexpected ones get a logged errorId. */
export function installErrorHandling(app: FastifyInstance, bodyLimit: number): void {
  app.setNotFoundHandler((request: FastifyRequest, reply: FastifyReply) =>
    sendError(reply, 'SB_ERR_ROUTE_NOT_FOUND', `No route for ${request.method} ${request.url.split('?')[0]}.`),
  );

  app.setErrorHandler((error: FastifyError, request: FastifyRequest, reply: FastifyReply) => {
    if (isSwitchboardError(error)) {
      return sendError(reply, error.code, error.message, error.details ? { details: error.details } : undefined);
    }
    if (error.validation) {
      const problems = error.validation.map((v) => `${error.validationContext ?? 'request'}${v.instancePath || ''} ${v.message ?? 'is invalid'}`.trim());
      return sendError(reply, 'SB_ERR_VALIDATION', problems.join('; '), { details: { problems } });
    }
    const mapped = error.code ? FASTIFY_CODES[error.code] : undefined;
    if (mapped) {
      const message = mapped === 'SB_ERR_BODY_TOO_LARGE' ? `The request body exceeds ${bodyLimit} bytes.` : ERROR_CODES[mapped];
      return sendError(reply, mapped, message);
    }
    if (typeof error.statusCode === 'number' && error.statusCode >= 400 && error.statusCode < 500) {
      return sendError(reply, 'SB_ERR_VALIDATION', error.message);
    }
    const errorId = randomUUID();
    request.log.error({ err: error, errorId }, 'unexpected error');
    return sendError(reply, 'SB_ERR_INTERNAL', ERROR_CODES.SB_ERR_INTERNAL, { errorId });
  });
}
