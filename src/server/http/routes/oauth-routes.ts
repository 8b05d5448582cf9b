/**
 * Switchboard as an OAuth 2.0 authorization server (machine side), laid out like Microsoft
 * Entra's v2.0 endpoints with the tenant in the path (authority `https://host/login/{tenantId}`),
 * so MSAL-like clients and bots work by pointing their authority here (docs/OAUTH.md):
 *
 *   GET  /login/{t}/v2.0/.well-known/openid-configuration   discovery
 *   GET  /login/{t}/discovery/v2.0/keys                    JWKS (also /.well-known/jwks.json)
 *   POST /login/{t}/oauth2/v2.0/token                      token endpoint (form-encoded)
 *
 * These routes speak OAuth, not the Switchboard API: errors are RFC 6749 `{ error,
 * error_description }`, never `{"error":{"code"}}`, and the token endpoint takes
 * `application/x-www-form-urlencoded` only. That is why they live in an encapsulated plugin with
 * their own body parser, error handler and rate limit: the rest of the API stays JSON-only.
 */
import { randomUUID } from 'node:crypto';
import formbody from '@fastify/formbody';
import rateLimit from '@fastify/rate-limit';
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { Type } from 'typebox';
import type { Origin } from '../../../app/caller.js';
import type { IdentityDeps } from '../../../app/identity/identity-deps.js';
import {
  authorizationEndpointUrl, issuerUrl, jwksUrl, OIDC_SCOPES, tokenEndpointUrl, type OAuthErrorCode,
} from '../../../app/identity/oauth-tokens.js';
import { SigningKeys } from '../../../app/identity/signing-keys.js';
import {
  CLIENT_AUTH_METHODS, parseBasicAuthorization, SUPPORTED_GRANT_TYPES, TokenEndpoint,
} from '../../../app/identity/token-endpoint.js';
import { TENANT_PERMISSIONS } from '../../../core/identity/permissions.js';

export interface OAuthRouteOptions {
  /** Shared with the access token authenticator, so both see the same keys (built here when absent). */
  readonly signingKeys?: SigningKeys | undefined;
  readonly tokenEndpoint?: TokenEndpoint | undefined;
  /** Token requests allowed per client address per window; default 300 per minute. */
  readonly tokenRateLimit?: { readonly max: number; readonly timeWindowMs: number } | undefined;
}

export const DEFAULT_TOKEN_RATE_LIMIT = Object.freeze({ max: 300, timeWindowMs: 60_000 });

/** A token request is a few fields and perhaps a signed assertion: nothing near the API's body limit. */
const TOKEN_BODY_LIMIT = 64 * 1024;
const TenantPath = Type.Object({ tenantId: Type.String({ minLength: 1, maxLength: 100 }) });

/** Thrown by the rate limiter; the scope's error handler answers it as OAuth's `slow_down`. */
class TokenRateLimited extends Error {
  readonly statusCode = 429;
  constructor(readonly after: string) {
    super('rate limited');
  }
}

export function oauthRoutes(app: FastifyInstance, identity: IdentityDeps, options: OAuthRouteOptions = {}): void {
  const signingKeys = options.signingKeys ?? new SigningKeys(identity);
  const endpoint = options.tokenEndpoint ?? new TokenEndpoint(identity, signingKeys);
  const limit = options.tokenRateLimit ?? DEFAULT_TOKEN_RATE_LIMIT;
  const { publicUrl } = identity.identitySettings;
  const baseOf = (request: FastifyRequest): string => publicUrl ?? `${request.protocol}://${request.host}`;
  const originOf = (request: FastifyRequest): Origin => ({ ip: request.ip ?? null, userAgent: request.headers['user-agent'] ?? null });

  const recordRefused = (request: FastifyRequest, reason: 'rate_limited' | 'malformed_request', error: OAuthErrorCode): void => {
    const tenantId = (request.params as { tenantId?: unknown } | undefined)?.tenantId;
    endpoint.recordRefusedRequest(typeof tenantId === 'string' ? tenantId : null, originOf(request), reason, error)
      .catch((failure: unknown) => request.log.error({ err: failure }, 'audit of a refused token request failed'));
  };

  const jwks = async (_request: FastifyRequest, reply: FastifyReply) => {
    // Keys are published an hour before they sign, so a client may cache this for a while.
    reply.header('cache-control', 'public, max-age=600');
    return { keys: await signingKeys.jwks() };
  };

  app.register(async (scope) => {
    // JSON is the API's format, not OAuth's: here a JSON body is an unsupported media type.
    scope.removeContentTypeParser('application/json');
    await scope.register(formbody, { bodyLimit: TOKEN_BODY_LIMIT });
    await scope.register(rateLimit, {
      global: false,
      errorResponseBuilder: (_request, context) => new TokenRateLimited(context.after),
      onExceeded: (request) => recordRefused(request, 'rate_limited', 'slow_down'),
    });
    scope.setErrorHandler((error: FastifyError, request, reply) => {
      const answered = oauthFailure(error, request, reply);
      // The handler audits what it refuses; these never reached it.
      if (reply.statusCode === 400 && request.method === 'POST') recordRefused(request, 'malformed_request', 'invalid_request');
      return answered;
    });

    scope.get('/.well-known/jwks.json', { config: { public: true }, schema: { tags: ['oauth'], summary: 'Token signing keys (JWKS)', security: [] } }, jwks);
    scope.get('/login/:tenantId/discovery/v2.0/keys', {
      config: { public: true }, schema: { tags: ['oauth'], summary: 'Token signing keys (JWKS)', params: TenantPath, security: [] },
    }, jwks);

    scope.get<{ Params: { tenantId: string } }>('/login/:tenantId/v2.0/.well-known/openid-configuration', {
      config: { public: true }, schema: { tags: ['oauth'], summary: 'OpenID Connect discovery document of a tenant', params: TenantPath, security: [] },
    }, async (request, reply) => {
      const { tenantId } = request.params;
      if (!(await identity.storage.read.getTenant(tenantId))) {
        return reply.code(404).header('cache-control', 'no-store').send({ error: 'invalid_tenant', error_description: `Tenant '${tenantId}' not found.` });
      }
      const base = baseOf(request);
      reply.header('cache-control', 'public, max-age=3600');
      return {
        issuer: issuerUrl(base, tenantId),
        authorization_endpoint: authorizationEndpointUrl(base, tenantId),
        token_endpoint: tokenEndpointUrl(base, tenantId),
        jwks_uri: jwksUrl(base, tenantId),
        response_types_supported: ['code'],
        response_modes_supported: ['query'],
        subject_types_supported: ['public'],
        id_token_signing_alg_values_supported: [identity.identitySettings.tokenAlgorithm],
        grant_types_supported: [...SUPPORTED_GRANT_TYPES],
        token_endpoint_auth_methods_supported: [...CLIENT_AUTH_METHODS],
        token_endpoint_auth_signing_alg_values_supported: ['RS256', 'PS256', 'ES256'],
        code_challenge_methods_supported: ['S256'],
        scopes_supported: [...TENANT_PERMISSIONS, ...OIDC_SCOPES],
        claims_supported: ['iss', 'sub', 'aud', 'exp', 'iat', 'nbf', 'tid', 'oid', 'azp', 'appid', 'roles', 'scp', 'idtyp', 'ver', 'nonce', 'preferred_username', 'name', 'email'],
        tenant_id: tenantId,
      };
    });

    scope.post<{ Params: { tenantId: string } }>('/login/:tenantId/oauth2/v2.0/token', {
      config: { public: true, rateLimit: { max: limit.max, timeWindow: limit.timeWindowMs } },
      bodyLimit: TOKEN_BODY_LIMIT,
      schema: { tags: ['oauth'], summary: 'OAuth 2.0 token endpoint (RFC 6749; form-encoded; OAuth error bodies)', params: TenantPath, security: [] },
    }, async (request, reply) => {
      const body = request.body;
      const form = typeof body === 'object' && body !== null && !Buffer.isBuffer(body) ? (body as Record<string, unknown>) : {};
      const result = await endpoint.handle({
        tenantId: request.params.tenantId,
        form,
        basic: parseBasicAuthorization(request.headers.authorization),
        base: baseOf(request),
        origin: originOf(request),
      });
      reply.header('cache-control', 'no-store').header('pragma', 'no-cache');
      if (result.ok) return reply.code(200).send(result.body);
      if (result.basicChallenge) reply.header('www-authenticate', 'Basic realm="switchboard", charset="UTF-8"');
      return sendOAuthError(reply, result.error === 'invalid_client' && result.basicChallenge ? 401 : 400, result.error, result.description);
    });
  });
}

function sendOAuthError(reply: FastifyReply, status: number, error: OAuthErrorCode | 'invalid_tenant', description: string): FastifyReply {
  return reply.code(status).header('cache-control', 'no-store').type('application/json; charset=utf-8').send({ error, error_description: description });
}

/** Errors raised before or outside the handler (body parsing, params, the rate limit), in OAuth's shape. */
function oauthFailure(error: FastifyError, request: FastifyRequest, reply: FastifyReply): FastifyReply {
  if (error instanceof TokenRateLimited) {
    return sendOAuthError(reply, 429, 'slow_down', `Too many token requests from this address; retry in ${error.after}.`);
  }
  if (error.code === 'FST_ERR_CTP_INVALID_MEDIA_TYPE') {
    return sendOAuthError(reply, 400, 'invalid_request', 'Send the token request as application/x-www-form-urlencoded.');
  }
  if (error.code === 'FST_ERR_CTP_BODY_TOO_LARGE') return sendOAuthError(reply, 400, 'invalid_request', 'The request body is too large.');
  if (error.validation) return sendOAuthError(reply, 400, 'invalid_request', 'The request is malformed (path or parameters).');
  if (typeof error.statusCode === 'number' && error.statusCode >= 400 && error.statusCode < 500) {
    return sendOAuthError(reply, 400, 'invalid_request', 'The request is malformed.');
  }
  const errorId = randomUUID();
  request.log.error({ err: error, errorId }, 'unexpected error at the OAuth endpoints');
  return sendOAuthError(reply, 500, 'server_error', `An unexpected error (errorId ${errorId}).`);
}
