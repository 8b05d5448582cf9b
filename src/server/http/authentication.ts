import type { FastifyRequest } from 'fastify';
import type { Caller, Origin } from '../../app/caller.js';

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

/** An admin API key: `key_<id>.<secret>`, exactly one dot. */
const API_KEY = /^key_[A-Za-z0-9_]+\.[0-9a-f]+$/;

export interface BearerAuthenticators {
  /** The bootstrap admin keys (`ApiKeyAuthenticator`). */
  readonly apiKey: (token: string) => Promise<Caller | undefined>;
  /**
   * Our OAuth access tokens (`AccessTokenAuthenticator`): a Caller, or a refusal it has already
   * audited. `requestBase` is `{scheme}://{host}` of the request.
   */
  readonly accessToken: (token: string, requestBase: string, origin: Origin) => Promise<Caller | undefined | { readonly rejected: string }>;
}

/**
 * Bearer authentication for the API: an admin API key by its shape, anything else as an access
 * token (a JWT, three dot-separated parts; whatever else was sent is refused and audited there as
 * malformed, so garbage credentials leave a trace too).
 */
export function bearerAuthentication(authenticators: BearerAuthenticators): Authenticate {
  return async (request) => {
    const token = presentedToken(request);
    if (token === undefined) return undefined;
    if (API_KEY.test(token)) return authenticators.apiKey(token);
    const agent = request.headers['user-agent'];
    const origin: Origin = { ip: request.ip ?? null, userAgent: typeof agent === 'string' ? agent.slice(0, 512) : null };
    const outcome = await authenticators.accessToken(token, `${request.protocol}://${request.host}`, origin);
    return outcome !== undefined && 'actor' in outcome ? outcome : undefined;
  };
}
