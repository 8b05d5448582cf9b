import pino, { type Logger } from 'pino';
import type { LogLevel } from './config.js';

/**
 * Structured logs. Credentials, message bodies and personal data are redacted by path, so a debug
 * log can be shared without leaking a customer's words or an API key.
 */
export const REDACT_PATHS = [
  'req.headers.authorization',
  'req.headers.cookie',
  'req.headers["x-api-key"]',
  '*.text',
  '*.token',
  '*.secret',
  '*.password',
  '*.email',
  '*.phone',
  '*.address',
  'message.text',
  'event.payload',
];

/** Query parameters whose values are credentials (OAuth 2.0 and OpenID Connect names, our stream token). */
const QUERY_CREDENTIALS = /([?&](?:access_token|token|t|code|state|client_secret|refresh_token|id_token|id_token_hint|client_assertion|password)=)[^&#]*/g;

export function createLogger(level: LogLevel, destination?: pino.DestinationStream): Logger {
  return pino(
    {
      level,
      redact: { paths: REDACT_PATHS, censor: '[redacted]' },
      serializers: {
        // Credentials may travel in the query string: tokens of browser WebSockets, and the
        // authorization code (with its state) on the sign-in callbacks. Never log them.
        req: (req: { method: string; url: string; id: string; ip?: string }) => ({
          id: req.id,
          method: req.method,
          url: req.url.replace(QUERY_CREDENTIALS, '$1[redacted]'),
          remoteAddress: req.ip,
        }),
        err: pino.stdSerializers.err,
      },
    },
    destination,
  );
}
