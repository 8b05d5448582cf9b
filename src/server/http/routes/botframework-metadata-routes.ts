/**
 * What a bot needs to trust Switchboard's Bot Framework channel, and to get a token from it
 * (PROTOCOLS.md 2.2, 2.6). Public (no authentication) and not part of the API's OpenAPI document:
 * they speak Bot Framework and App Service managed identity, not the Switchboard API.
 *
 *   GET /botframework/.well-known/openidconfiguration   ToBotFromChannelOpenIdMetadataUrl
 *   GET /botframework/.well-known/keys                  the channel's JWKS
 *   GET /botframework/msi/token                         managed identity tokens (IDENTITY_ENDPOINT)
 *
 * The token route answers in OAuth's error shape and is rate-limited per address like the token
 * endpoint, in an encapsulated scope with its own error handler and limiter.
 */
import { randomUUID } from 'node:crypto';
import rateLimit from '@fastify/rate-limit';
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { BotChannelCredentials } from '../../../app/bots/channel-credentials.js';
import { ManagedIdentityTokens } from '../../../app/bots/managed-identity-token.js';
import type { IdentityDeps } from '../../../app/identity/identity-deps.js';
import { SigningKeys } from '../../../app/identity/signing-keys.js';
import { TokenEndpoint } from '../../../app/identity/token-endpoint.js';
import { DEFAULT_TOKEN_RATE_LIMIT, type OAuthRouteOptions } from './oauth-routes.js';

export interface BotframeworkMetadataOptions {
  readonly credentials: BotChannelCredentials;
  /** The managed identity endpoint's token endpoint; built over `oauth.signingKeys` when absent. */
  readonly tokenEndpoint?: TokenEndpoint | undefined;
}

/** botbuilder keeps metadata and keys for 24 hours anyway; a proxy may keep them a while. */
const METADATA_CACHE = 'public, max-age=3600';

class MsiRateLimited extends Error {
  readonly statusCode = 429;
  constructor(readonly after: string) {
    super('rate limited');
  }
}

export function botframeworkMetadataRoutes(
  app: FastifyInstance, identity: IdentityDeps, options: BotframeworkMetadataOptions, oauth: OAuthRouteOptions = {},
): void {
  const { credentials } = options;
  const config = { public: true };
  const schema = { hide: true } as const;

  app.get('/botframework/.well-known/openidconfiguration', { config, schema }, async (_request, reply) => {
    reply.header('cache-control', METADATA_CACHE);
    return credentials.openIdMetadata();
  });
  app.get('/botframework/.well-known/keys', { config, schema }, async (_request, reply) => {
    reply.header('cache-control', METADATA_CACHE);
    return credentials.jwks();
  });

  const endpoint = options.tokenEndpoint ?? oauth.tokenEndpoint ?? new TokenEndpoint(identity, oauth.signingKeys ?? new SigningKeys(identity));
  const tokens = new ManagedIdentityTokens(identity, endpoint);
  const limit = oauth.tokenRateLimit ?? DEFAULT_TOKEN_RATE_LIMIT;
  const { publicUrl } = identity.identitySettings;

  app.register(async (scope) => {
    await scope.register(rateLimit, { global: false, errorResponseBuilder: (_request, context) => new MsiRateLimited(context.after) });
    scope.setErrorHandler((error: FastifyError, request, reply) => msiFailure(error, request, reply));

    scope.get('/botframework/msi/token', {
      config: { public: true, rateLimit: { max: limit.max, timeWindow: limit.timeWindowMs } },
      schema,
    }, async (request, reply) => {
      const header = request.headers['x-identity-header'];
      const agent = request.headers['user-agent'];
      const result = await tokens.issue({
        query: (request.query ?? {}) as Record<string, unknown>,
        identityHeader: typeof header === 'string' ? header : undefined,
        base: publicUrl ?? `${request.protocol}://${request.host}`,
        origin: { ip: request.ip ?? null, userAgent: typeof agent === 'string' ? agent.slice(0, 512) : null },
      });
      reply.header('cache-control', 'no-store').header('pragma', 'no-cache');
      if (result.ok) return reply.code(200).send(result.body);
      return sendError(reply, result.status, result.error, result.description);
    });
  });
}

function sendError(reply: FastifyReply, status: number, error: string, description: string): FastifyReply {
  return reply.code(status).header('cache-control', 'no-store').type('application/json; charset=utf-8').send({ error, error_description: description });
}

function msiFailure(error: FastifyError, request: FastifyRequest, reply: FastifyReply): FastifyReply {
  if (error instanceof MsiRateLimited) return sendError(reply, 429, 'slow_down', `Too many token requests from this address; retry in ${error.after}.`);
  if (typeof error.statusCode === 'number' && error.statusCode >= 400 && error.statusCode < 500) {
    return sendError(reply, 400, 'invalid_request', 'The request is malformed.');
  }
  const errorId = randomUUID();
  request.log.error({ err: error, errorId }, 'unexpected error at the managed identity endpoint');
  return sendError(reply, 500, 'server_error', `An unexpected error (errorId ${errorId}).`);
}
