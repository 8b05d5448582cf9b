import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import cookie from '@fastify/cookie';
import formbody from '@fastify/formbody';
import rateLimit from '@fastify/rate-limit';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import { isSwitchboardError, SwitchboardError, type ErrorCode } from '../../../app/errors.js';
import { issueAuthorizationCode } from '../../../app/identity/authorization-codes.js';
import { activeConsent } from '../../../app/identity/app-registrations.js';
import { consentRequest, grantConsent, recordConsentDenied } from '../../../app/identity/consent.js';
import type { IdentityDeps } from '../../../app/identity/identity-deps.js';
import { rotateCsrf, signInWithPassword, signOut, checkCsrf, type SignedIn } from '../../../app/identity/sessions.js';
import { beginSso, completeSso, ssoAvailable, ssoRedirectUri, SSO_ATTEMPT_MS } from '../../../app/identity/sso.js';
import type { OidcRelyingParty } from '../../../app/ports/oidc-client.js';
import type { User } from '../../../core/identity/identity-model.js';
import { isPermission, PERMISSIONS } from '../../../core/identity/permissions.js';
import { ERROR_STATUS } from '../error-status.js';
import { readCookie, requestOrigin, SESSION_COOKIE, sessionOfRequest, CSRF_HEADER } from '../session-authentication.js';

export interface SessionRoutesOptions {
  /** Sign-in attempts (JSON and form) per IP address per minute; default 20. */
  readonly signInRateLimit?: number | undefined;
}

const SSO_COOKIE = 'sb_sso';
const LOGIN_CSRF_COOKIE = 'sb_login';
/** OpenID Connect scopes a client may always ask for: they are not permissions. */
const OIDC_SCOPES = new Set(['openid', 'profile', 'email', 'offline_access']);
const TENANT_ID = /^[A-Za-z0-9_-]{1,64}$/;

// ---- small helpers --------------------------------------------------------------------------

function isLoopback(hostname: string): boolean {
  const host = hostname.toLowerCase();
  return host === 'localhost' || host === '[::1]' || host === '::1' || /^127(?:\.\d{1,3}){3}$/.test(host);
}

/**
 * Cookies are `Secure` always, except on plain http to a loopback host (local development and the
 * tests), where a browser would otherwise never send them back. Behind a TLS-terminating proxy the
 * request is seen as http from a non-loopback host, so the cookie stays Secure.
 */
function secureCookies(request: FastifyRequest): boolean {
  return !(request.protocol === 'http' && isLoopback(request.hostname));
}

/** Where people reach this Switchboard: the configured public URL, else the scheme and host the request came in on. */
export function baseUrl(identity: IdentityDeps, request: FastifyRequest): string {
  return identity.identitySettings.publicUrl ?? `${request.protocol}://${request.host}`;
}

/** A `return_to` is a path on this site: starts with one `/`, no scheme, no `//` or `/\` (protocol-relative), no control characters. */
export function safeReturnTo(value: unknown): string {
  if (typeof value !== 'string' || value.length === 0 || value.length > 2048) return '/';
  if (!value.startsWith('/') || value.startsWith('//') || value.startsWith('/\\')) return '/';
  // eslint-disable-next-line no-control-regex
  if (/[\u0000-\u001f\u007f\\]/.test(value)) return '/';
  return value;
}

function esc(value: unknown): string {
  return String(value).replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
}

function first(value: unknown): string | undefined {
  if (Array.isArray(value)) return first(value[0]);
  return typeof value === 'string' ? value : undefined;
}

function formOf(request: FastifyRequest): Record<string, string | undefined> {
  const body = request.body;
  const out: Record<string, string | undefined> = {};
  if (body && typeof body === 'object') for (const [k, v] of Object.entries(body as Record<string, unknown>)) out[k] = first(v);
  return out;
}

function queryOf(request: FastifyRequest): Record<string, string | undefined> {
  const out: Record<string, string | undefined> = {};
  for (const [k, v] of Object.entries((request.query ?? {}) as Record<string, unknown>)) out[k] = first(v);
  return out;
}

function sameToken(a: string | undefined, b: string | undefined): boolean {
  if (!a || !b) return false;
  const x = createHash('sha256').update(a).digest();
  const y = createHash('sha256').update(b).digest();
  return timingSafeEqual(x, y);
}

/** The CSRF token of the HTML forms of a session: derived from the cookie value, which a cross-site page cannot read. */
function formCsrf(sessionToken: string): string {
  return createHash('sha256').update(`switchboard-form-csrf\u0000${sessionToken}`).digest('base64url');
}

function withParams(uri: string, params: Record<string, string | undefined>): string {
  const url = new URL(uri);
  for (const [k, v] of Object.entries(params)) if (v !== undefined) url.searchParams.append(k, v);
  return url.href;
}

function userView(user: User) {
  return { id: user.id, tenantId: user.tenantId, email: user.email, displayName: user.displayName, status: user.status, agentId: user.agentId };
}

function signinUrl(tenantId: string, returnTo: string): string {
  return `/login/${encodeURIComponent(tenantId)}/signin?return_to=${encodeURIComponent(returnTo)}`;
}

// ---- HTML -----------------------------------------------------------------------------------

const CSS = `
*{box-sizing:border-box}body{margin:0;font:16px/1.5 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;background:#f4f5f7;color:#1d2330}
main{max-width:30rem;margin:4rem auto;padding:2rem;background:#fff;border-radius:.75rem;box-shadow:0 1px 3px rgba(0,0,0,.12)}
h1{font-size:1.4rem;margin:0 0 1rem}label{display:block;font-weight:600;margin:.75rem 0 .25rem}
input[type=email],input[type=password]{width:100%;padding:.6rem .7rem;border:1px solid #b8bfcc;border-radius:.4rem;font:inherit}
input:focus,button:focus,a:focus{outline:3px solid #7aa7ff;outline-offset:1px}
button,.button{display:inline-block;margin-top:1.25rem;padding:.6rem 1.1rem;border:0;border-radius:.4rem;font:inherit;font-weight:600;cursor:pointer;text-decoration:none}
.primary{background:#2457d6;color:#fff}.secondary{background:#e4e7ed;color:#1d2330}
.error{background:#fdecec;color:#8a1c1c;padding:.75rem 1rem;border-radius:.4rem;margin-bottom:1rem}
.muted{color:#5b6475;font-size:.9rem}dl{margin:0}dt{font-weight:600;margin-top:.5rem}dd{margin:0 0 .25rem}
ul.perms{padding-left:1.1rem}ul.perms li{margin:.35rem 0}code{font-size:.9em;background:#f0f2f5;padding:0 .25rem;border-radius:.2rem}
.or{margin:1.25rem 0 0;text-align:center;color:#5b6475}`;

function page(reply: FastifyReply, status: number, title: string, body: string): FastifyReply {
  const html = `<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">`
    + `<title>${esc(title)} · Switchboard</title><style>${CSS}</style></head><body><main>${body}</main></body></html>`;
  return reply.code(status)
    .header('content-type', 'text/html; charset=utf-8')
    .header('cache-control', 'no-store')
    .header('x-frame-options', 'DENY')
    .header('referrer-policy', 'no-referrer')
    .header('x-content-type-options', 'nosniff')
    .header('content-security-policy', "default-src 'none'; style-src 'unsafe-inline'; frame-ancestors 'none'; base-uri 'none'")
    .send(html);
}

function errorPage(reply: FastifyReply, status: number, title: string, reason: string, extra = ''): FastifyReply {
  return page(reply, status, title, `<h1>${esc(title)}</h1><p class="error" role="alert">${esc(reason)}</p>${extra}`);
}

function errorPageFor(reply: FastifyReply, err: unknown, title: string): FastifyReply {
  if (!isSwitchboardError(err)) throw err;
  const reason = typeof (err.details as { reason?: unknown } | undefined)?.reason === 'string' ? ` (${(err.details as { reason: string }).reason})` : '';
  return errorPage(reply, ERROR_STATUS[err.code as ErrorCode] ?? 400, title, `${err.message}${reason}`);
}

// ---- the routes -----------------------------------------------------------------------------

/**
 * People's sign-in for the web app: the JSON API (`/v1/auth/*`, `/v1/session`) and the
 * server-rendered pages under `/login/{tenant}/` (sign-in, SSO, admin consent, OAuth authorize).
 * All public: they authenticate by the session cookie themselves. Cookie, form and rate-limit
 * plugins are registered in this plugin only, so the rest of the API stays JSON-only.
 */
export function sessionRoutes(app: FastifyInstance, identity: IdentityDeps, relyingParty: OidcRelyingParty, options: SessionRoutesOptions = {}): void {
  void app.register(async (scope) => {
    await scope.register(cookie);
    await scope.register(formbody, { bodyLimit: 16 * 1024 });
    await scope.register(rateLimit, {
      global: false,
      errorResponseBuilder: (_request, context) => new SwitchboardError('SB_ERR_RATE_LIMITED', `Too many sign-in attempts from this address; retry in ${context.after}.`),
    });
    const limited = { max: options.signInRateLimit ?? 20, timeWindow: 60_000 };
    const r = scope.withTypeProvider<TypeBoxTypeProvider>();
    const pub = { public: true } as const;

    const setSessionCookie = (request: FastifyRequest, reply: FastifyReply, signedIn: SignedIn) => {
      reply.setCookie(SESSION_COOKIE, signedIn.token, {
        httpOnly: true, sameSite: 'lax', path: '/', secure: secureCookies(request), expires: new Date(signedIn.session.expiresAt),
      });
    };
    const clearCookie = (request: FastifyRequest, reply: FastifyReply, name: string, path: string) => {
      reply.clearCookie(name, { httpOnly: true, sameSite: 'lax', path, secure: secureCookies(request) });
    };
    /** The session of the request if it belongs to `tenantId`. */
    const tenantSession = async (request: FastifyRequest, tenantId: string) => {
      const found = await sessionOfRequest(identity, request);
      return found && found.session.tenantId === tenantId ? found : undefined;
    };

    // ---- JSON API ---------------------------------------------------------------------------

    r.post('/v1/auth/password', {
      config: { ...pub, rateLimit: limited },
      schema: {
        tags: ['sessions'], security: [], summary: 'Sign in with a local password (sets the sb_session cookie)',
        body: Type.Object({ tenantId: Type.String({ minLength: 1, maxLength: 64 }), email: Type.String({ maxLength: 320 }), password: Type.String({ maxLength: 1024 }) }, { additionalProperties: false }),
      },
    }, async (req, reply) => {
      const signedIn = await signInWithPassword(identity, { ...req.body, origin: requestOrigin(req) });
      setSessionCookie(req, reply, signedIn);
      return { user: userView(signedIn.user), csrfToken: signedIn.csrfToken, expiresAt: signedIn.session.expiresAt };
    });

    r.post('/v1/auth/signout', { config: pub, schema: { tags: ['sessions'], security: [], summary: 'Sign out (ends the session of the cookie)' } }, async (req, reply) => {
      const token = readCookie(req, SESSION_COOKIE);
      const found = await sessionOfRequest(identity, req);
      if (found) {
        const presented = req.headers[CSRF_HEADER];
        if (!checkCsrf(found.session, typeof presented === 'string' ? presented : undefined)) throw new SwitchboardError('SB_ERR_CSRF');
      }
      if (token !== undefined) await signOut(identity, token, requestOrigin(req));
      clearCookie(req, reply, SESSION_COOKIE, '/');
      return reply.code(204).send();
    });

    r.get('/v1/session', {
      config: pub,
      schema: { tags: ['sessions'], security: [], summary: 'The signed-in person, their tenant and permissions, and a fresh CSRF token' },
    }, async (req) => {
      const found = await sessionOfRequest(identity, req);
      if (!found) throw new SwitchboardError('SB_ERR_UNAUTHENTICATED', 'No live session: sign in first.');
      // The stored CSRF value is a hash, so the token cannot be read back: a new one is issued (the old one stops working).
      const csrfToken = await rotateCsrf(identity, found.session);
      const tenant = await identity.storage.read.getTenant(found.session.tenantId);
      const grants = found.caller.grants;
      const permissions = grants ? [...grants.scopes.keys()].sort() : [];
      const queueScopes: Record<string, 'all' | string[]> = {};
      if (grants) for (const [p, s] of grants.scopes) queueScopes[p] = s === 'all' ? 'all' : [...s].sort();
      return {
        user: userView(found.user),
        tenant: tenant ? { id: tenant.id, name: tenant.name } : { id: found.session.tenantId },
        permissions, queueScopes, csrfToken,
        session: { id: found.session.id, method: found.session.method, createdAt: found.session.createdAt, expiresAt: found.session.expiresAt },
      };
    });

    // ---- sign-in page -----------------------------------------------------------------------

    const renderSignin = async (req: FastifyRequest, reply: FastifyReply, tenantId: string, returnTo: string, status: number, error?: string, email = '') => {
      const tenant = TENANT_ID.test(tenantId) ? await identity.storage.read.getTenant(tenantId) : undefined;
      if (!tenant) return errorPage(reply, 404, 'Sign-in', 'There is no such organisation.');
      const loginToken = randomBytes(32).toString('base64url');
      reply.setCookie(LOGIN_CSRF_COOKIE, loginToken, { httpOnly: true, sameSite: 'strict', path: `/login/${tenantId}`, secure: secureCookies(req), maxAge: 3600 });
      const sso = await ssoAvailable(identity, tenantId);
      let provider = '';
      if (sso) {
        try { provider = new URL(sso.issuer).host; } catch { provider = 'your organisation'; }
      }
      const ssoLink = sso
        ? `<p class="or">or</p><a class="button secondary" href="/login/${esc(encodeURIComponent(tenantId))}/sso/start?return_to=${esc(encodeURIComponent(returnTo))}">Sign in with ${esc(provider)}</a>`
        : '';
      return page(reply, status, `Sign in to ${tenant.name}`, `<h1>Sign in to ${esc(tenant.name)}</h1>`
        + (error ? `<p class="error" role="alert">${esc(error)}</p>` : '')
        + `<form method="post" action="/login/${esc(encodeURIComponent(tenantId))}/signin">`
        + `<input type="hidden" name="return_to" value="${esc(returnTo)}"><input type="hidden" name="login_token" value="${esc(loginToken)}">`
        + `<label for="email">E-mail address</label><input id="email" name="email" type="email" autocomplete="username" required value="${esc(email)}">`
        + `<label for="password">Password</label><input id="password" name="password" type="password" autocomplete="current-password" required>`
        + `<button class="primary" type="submit">Sign in</button></form>${ssoLink}`);
    };

    scope.get<{ Params: { tenantId: string } }>('/login/:tenantId/signin', { config: pub, schema: { hide: true } }, async (req, reply) => {
      return renderSignin(req, reply, req.params.tenantId, safeReturnTo(queryOf(req).return_to), 200);
    });

    scope.post<{ Params: { tenantId: string } }>('/login/:tenantId/signin', { config: { ...pub, rateLimit: limited }, schema: { hide: true } }, async (req, reply) => {
      const { tenantId } = req.params;
      const form = formOf(req);
      const returnTo = safeReturnTo(form.return_to);
      if (!sameToken(form.login_token, readCookie(req, LOGIN_CSRF_COOKIE))) {
        return renderSignin(req, reply, tenantId, returnTo, 403, 'The sign-in form expired. Please try again.', form.email ?? '');
      }
      try {
        const signedIn = await signInWithPassword(identity, { tenantId, email: form.email ?? '', password: form.password ?? '', origin: requestOrigin(req) });
        setSessionCookie(req, reply, signedIn);
        clearCookie(req, reply, LOGIN_CSRF_COOKIE, `/login/${tenantId}`);
        return reply.redirect(returnTo, 302);
      } catch (err) {
        if (!isSwitchboardError(err)) throw err;
        return renderSignin(req, reply, tenantId, returnTo, ERROR_STATUS[err.code], err.message, form.email ?? '');
      }
    });

    // ---- single sign-on -----------------------------------------------------------------------

    const callbackUri = (req: FastifyRequest, tenantId: string) => ssoRedirectUri(baseUrl(identity, req), tenantId);

    scope.get<{ Params: { tenantId: string } }>('/login/:tenantId/sso/start', { config: pub, schema: { hide: true } }, async (req, reply) => {
      const { tenantId } = req.params;
      try {
        const start = await beginSso(identity, relyingParty, tenantId, callbackUri(req, tenantId), safeReturnTo(queryOf(req).return_to), requestOrigin(req));
        reply.setCookie(SSO_COOKIE, start.attemptId, {
          httpOnly: true, sameSite: 'lax', path: `/login/${tenantId}/sso`, secure: secureCookies(req), maxAge: Math.floor(SSO_ATTEMPT_MS / 1000),
        });
        return reply.redirect(start.authorizationUrl, 302);
      } catch (err) {
        return errorPageFor(reply, err, 'Single sign-on');
      }
    });

    scope.get<{ Params: { tenantId: string } }>('/login/:tenantId/sso/callback', { config: pub, schema: { hide: true } }, async (req, reply) => {
      const { tenantId } = req.params;
      const attemptId = readCookie(req, SSO_COOKIE);
      clearCookie(req, reply, SSO_COOKIE, `/login/${tenantId}/sso`);
      try {
        const signedIn = await completeSso(identity, relyingParty, {
          tenantId, attemptId, callbackUrl: `${baseUrl(identity, req)}${req.url}`, origin: requestOrigin(req),
        });
        setSessionCookie(req, reply, signedIn);
        return reply.redirect(safeReturnTo(signedIn.returnTo), 302);
      } catch (err) {
        if (!isSwitchboardError(err)) throw err;
        const again = `<p><a class="button secondary" href="${esc(signinUrl(tenantId, '/'))}">Back to sign-in</a></p>`;
        const reason = String((err.details as { reason?: unknown } | undefined)?.reason ?? err.code);
        return errorPage(reply, ERROR_STATUS[err.code], 'Single sign-on failed', `${err.message} Reason: ${reason}.`, again);
      }
    });

    // ---- admin consent ------------------------------------------------------------------------

    const permissionList = (names: readonly string[]) => names.length === 0
      ? '<p class="muted">None.</p>'
      : `<ul class="perms">${names.map((n) => `<li><code>${esc(n)}</code>: ${esc(isPermission(n) ? PERMISSIONS[n] : 'Unknown permission.')}</li>`).join('')}</ul>`;

    scope.get<{ Params: { tenantId: string } }>('/login/:tenantId/adminconsent', { config: pub, schema: { hide: true } }, async (req, reply) => {
      const { tenantId } = req.params;
      const q = queryOf(req);
      const found = await tenantSession(req, tenantId);
      if (!found) return reply.redirect(signinUrl(tenantId, req.url), 302);
      if (!q.client_id || !q.redirect_uri) return errorPage(reply, 400, 'Admin consent', 'The link is incomplete: client_id and redirect_uri are required.');
      let request;
      try {
        request = await consentRequest(identity, found.caller, tenantId, q.client_id, q.redirect_uri);
      } catch (err) {
        return errorPageFor(reply, err, 'Admin consent');
      }
      const publisher = await identity.storage.read.getTenant(request.app.tenantId);
      const token = readCookie(req, SESSION_COOKIE)!;
      const hidden = (name: string, value: string | undefined) => (value === undefined ? '' : `<input type="hidden" name="${name}" value="${esc(value)}">`);
      return page(reply, 200, 'Admin consent', `<h1>Allow ${esc(request.app.name)}?</h1>`
        + `<p>${esc(request.app.name)} asks for access to your organisation. If you accept, it gets these permissions for everyone in the organisation.</p>`
        + `<dl><dt>Application</dt><dd>${esc(request.app.name)} <span class="muted">(${esc(request.app.clientId)})</span></dd>`
        + `<dt>Publisher</dt><dd>${esc(publisher?.name ?? request.app.tenantId)}${request.app.tenantId === tenantId ? ' (your organisation)' : ''}</dd>`
        + `<dt>Account type</dt><dd>${esc(request.app.accountType)}</dd></dl>`
        + `<h2>Application permissions</h2><p class="muted">What the app may do as itself, without a signed-in person.</p>${permissionList(request.applicationPermissions)}`
        + `<h2>Delegated permissions</h2><p class="muted">What the app may do for a signed-in person, never beyond what that person may do.</p>${permissionList(request.delegatedScopes)}`
        + `<form method="post" action="/login/${esc(encodeURIComponent(tenantId))}/adminconsent">`
        + hidden('csrf_token', formCsrf(token)) + hidden('client_id', q.client_id) + hidden('redirect_uri', q.redirect_uri) + hidden('state', q.state)
        + `<button class="primary" type="submit" name="action" value="accept">Accept</button> `
        + `<button class="secondary" type="submit" name="action" value="cancel">Cancel</button></form>`);
    });

    scope.post<{ Params: { tenantId: string } }>('/login/:tenantId/adminconsent', { config: pub, schema: { hide: true } }, async (req, reply) => {
      const { tenantId } = req.params;
      const form = formOf(req);
      const found = await tenantSession(req, tenantId);
      if (!found) return errorPage(reply, 401, 'Admin consent', 'Your session ended. Open the consent link again.');
      if (!sameToken(form.csrf_token, formCsrf(readCookie(req, SESSION_COOKIE)!))) {
        return errorPage(reply, 403, 'Admin consent', 'The form did not come from this site (CSRF check failed). Open the consent link again.');
      }
      if (!form.client_id || !form.redirect_uri) return errorPage(reply, 400, 'Admin consent', 'client_id and redirect_uri are required.');
      try {
        // Checks the redirect URI against the registered ones before anything is sent there.
        await consentRequest(identity, found.caller, tenantId, form.client_id, form.redirect_uri);
        if (form.action === 'accept') {
          await grantConsent(identity, found.caller, tenantId, form.client_id);
          return reply.redirect(withParams(form.redirect_uri, { admin_consent: 'True', tenant: tenantId, state: form.state }), 302);
        }
        await recordConsentDenied(identity, found.caller, tenantId, form.client_id);
        return reply.redirect(withParams(form.redirect_uri, {
          error: 'access_denied', error_description: 'The administrator declined to grant consent.', state: form.state,
        }), 302);
      } catch (err) {
        return errorPageFor(reply, err, 'Admin consent');
      }
    });

    // ---- OAuth 2.0 authorize ------------------------------------------------------------------

    scope.get<{ Params: { tenantId: string } }>('/login/:tenantId/oauth2/v2.0/authorize', { config: pub, schema: { hide: true } }, async (req, reply) => {
      const { tenantId } = req.params;
      const q = queryOf(req);
      const title = 'Sign-in to an application';
      if (!q.client_id || !q.redirect_uri) return errorPage(reply, 400, title, 'The request is incomplete: client_id and redirect_uri are required.');
      const app = await identity.storage.read.identity.getAppByClientId(q.client_id);
      if (!app || (app.accountType === 'single-tenant' && app.tenantId !== tenantId)) return errorPage(reply, 400, title, 'There is no such application in this organisation.');
      // Exact match, or the error stays here: an unregistered URI never receives a redirect.
      if (!app.redirectUris.includes(q.redirect_uri)) return errorPage(reply, 400, title, 'The redirect_uri is not registered for this application (it must match exactly).');
      const back = (error: string, description: string) => reply.redirect(withParams(q.redirect_uri!, { error, error_description: description, state: q.state }), 302);

      if (q.response_type !== 'code') return back('unsupported_response_type', 'Only response_type=code is supported.');
      const method = q.code_challenge === undefined ? undefined : q.code_challenge_method ?? 'plain';
      if (method !== undefined && method !== 'S256') return back('invalid_request', 'Only the S256 code_challenge_method is supported.');
      if (app.publicClient && q.code_challenge === undefined) return back('invalid_request', 'A public client must send a code_challenge (PKCE, S256).');
      const scopes = [...new Set((q.scope ?? '').split(' ').filter((s) => s.length > 0))];
      if (scopes.some((s) => !OIDC_SCOPES.has(s) && !isPermission(s))) return back('invalid_scope', 'The scope names an unknown permission.');

      const found = await tenantSession(req, tenantId);
      if (!found) return reply.redirect(signinUrl(tenantId, req.url), 302);

      const consent = activeConsent(await identity.storage.read.identity.getConsent(tenantId, app.id));
      const missing = scopes.filter((s) => !OIDC_SCOPES.has(s) && !(consent?.delegatedScopes as readonly string[] | undefined)?.includes(s));
      if (!consent || missing.length > 0) {
        return back('consent_required', missing.length > 0 ? `No admin consent for: ${missing.join(' ')}.` : 'The application has no admin consent in this organisation.');
      }
      let code: string;
      try {
        code = await issueAuthorizationCode(identity, {
          tenantId, appId: app.id, userId: found.user.id, redirectUri: q.redirect_uri, scopes,
          codeChallenge: q.code_challenge ?? null, codeChallengeMethod: q.code_challenge === undefined ? null : 'S256', nonce: q.nonce ?? null,
        });
      } catch (err) {
        if (isSwitchboardError(err) && err.code === 'SB_ERR_VALIDATION') return back('invalid_request', err.message);
        throw err;
      }
      return reply.redirect(withParams(q.redirect_uri, { code, state: q.state }), 302);
    });
  });
}
