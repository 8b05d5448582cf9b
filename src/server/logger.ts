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

export function createLogger(level: LogLevel, destination?: pino.DestinationStream): Logger {
  return pino(
    {
      level,
      redact: { paths: REDACT_PATHS, censor: '[redacted]' },
      serializers: {
        // Tokens may travel in the query string (browser WebSockets); never log them.
        req: (req: { method: string; url: string; id: string; ip?: string }) => ({
          id: req.id,
          method: req.method,
          url: req.url.replace(/([?&](?:access_token|token)=)[^&]*/g, '$1[redacted]'),
          remoteAddress: req.ip,
        }),
        err: pino.stdSerializers.err,
      },
    },
    destination,
  );
}
