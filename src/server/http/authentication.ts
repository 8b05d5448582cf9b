import type { FastifyRequest } from 'fastify';
import type { Caller } from '../../app/caller.js';

/**
 * The swappable authentication hook: given a request, who is calling (or nobody). The bootstrap
 * version accepts the admin API key; the identity issue replaces it with OAuth 2.0 tokens and
 * sessions without touching the routes.
 */
export type Authenticate = (request: FastifyRequest) => Promise<Caller | undefined>;

/** `Authorization: Bearer <token>`, or `?access_token=` for browser WebSockets that cannot set headers. */
export function presentedToken(request: FastifyRequest): string | undefined {
  const header = request.headers.authorization;
  if (typeof header === 'string' && header.startsWith('Bearer ')) return header.slice(7).trim() || undefined;
  const query = request.query as Record<string, unknown> | undefined;
  const fromQuery = query?.access_token;
  return typeof fromQuery === 'string' && fromQuery.length > 0 ? fromQuery : undefined;
}

export function apiKeyAuthentication(authenticateToken: (token: string) => Promise<Caller | undefined>): Authenticate {
  return async (request) => {
    const token = presentedToken(request);
    return token === undefined ? undefined : authenticateToken(token);
  };
}
