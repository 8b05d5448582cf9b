import type { FastifyRequest } from 'fastify';
import type { Caller, Origin } from '../../app/caller.js';
import { SwitchboardError } from '../../app/errors.js';
import type { IdentityDeps } from '../../app/identity/identity-deps.js';
import { checkCsrf, resolveSession, type AuthenticatedSession } from '../../app/identity/sessions.js';

/** The session cookie of the web app (HttpOnly, SameSite=Lax, Path=/, Secure off loopback http). */
export const SESSION_COOKIE = 'sb_session';
export const CSRF_HEADER = 'x-csrf-token';

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

/** One cookie's value from the Cookie header (the root hook runs outside the cookie plugin's scope). */
export function readCookie(request: FastifyRequest, name: string): string | undefined {
  const header = request.headers.cookie;
  if (typeof header !== 'string') return undefined;
  for (const part of header.split(';')) {
    const eq = part.indexOf('=');
    if (eq < 0 || part.slice(0, eq).trim() !== name) continue;
    const raw = part.slice(eq + 1).trim();
    try {
      return decodeURIComponent(raw.startsWith('"') && raw.endsWith('"') ? raw.slice(1, -1) : raw);
    } catch {
      return undefined;
    }
  }
  return undefined;
}

export function requestOrigin(request: FastifyRequest): Origin {
  const agent = request.headers['user-agent'];
  return { ip: request.ip ?? null, userAgent: typeof agent === 'string' ? agent.slice(0, 512) : null };
}

/** The live session the request's cookie names, if any (no CSRF check: for the session routes themselves). */
export function sessionOfRequest(identity: IdentityDeps, request: FastifyRequest): Promise<AuthenticatedSession | undefined> {
  const token = readCookie(request, SESSION_COOKIE);
  return token === undefined ? Promise.resolve(undefined) : resolveSession(identity, token, requestOrigin(request));
}

/**
 * Session authentication for the API: the caller of the `sb_session` cookie, or undefined. For a
 * method other than GET/HEAD/OPTIONS the `X-CSRF-Token` header must carry the token bound to the
 * session, else it throws `SB_ERR_CSRF` (403): a cross-site form or fetch carries the cookie but
 * cannot read the token. The hook asks for this only when no bearer token was presented (bearer
 * tokens take precedence: they are not sent by browsers on their own, so need no CSRF check).
 */
export function sessionAuthentication(identity: IdentityDeps): (request: FastifyRequest) => Promise<Caller | undefined> {
  return async (request) => {
    const found = await sessionOfRequest(identity, request);
    if (!found) return undefined;
    if (isWebSocketUpgrade(request) && !sameOriginUpgrade(identity, request)) {
      // A page elsewhere cannot read a CSRF token but can open a socket that carries the cookie
      // (another port of the same host is the same site): browsers always name the page's origin.
      throw new SwitchboardError('SB_ERR_CSRF', 'A WebSocket signed in with the session cookie must come from a page of this site (Origin).');
    }
    if (!SAFE_METHODS.has(request.method)) {
      const presented = request.headers[CSRF_HEADER];
      if (!checkCsrf(found.session, typeof presented === 'string' ? presented : undefined)) {
        throw new SwitchboardError('SB_ERR_CSRF');
      }
    }
    return found.caller;
  };
}

function isWebSocketUpgrade(request: FastifyRequest): boolean {
  const upgrade = request.headers.upgrade;
  return typeof upgrade === 'string' && upgrade.toLowerCase() === 'websocket';
}

/**
 * The upgrade's `Origin`, when sent, is this site: the scheme and host the request came in on, or
 * the configured public URL. Clients other than browsers send none (and hold the cookie
 * themselves); a browser always sends one, so a page of another origin is refused.
 */
function sameOriginUpgrade(identity: IdentityDeps, request: FastifyRequest): boolean {
  const origin = request.headers.origin;
  if (origin === undefined) return true;
  const own = new Set([`${request.protocol}://${request.host}`.toLowerCase()]);
  const publicUrl = identity.identitySettings.publicUrl;
  if (publicUrl) {
    try {
      own.add(new URL(publicUrl).origin.toLowerCase());
    } catch {
      // an invalid public URL is refused at configuration; nothing to add
    }
  }
  return own.has(origin.toLowerCase());
}
