import assert from 'node:assert/strict';
import type { FastifyInstance } from 'fastify';
import type { OutgoingHttpHeaders } from 'node:http';

/** A response as the tests look at it: the status and the parsed JSON body (or the raw text). */
export interface Reply<T = any> {
  readonly status: number;
  readonly body: T;
  readonly headers: Record<string, unknown>;
}

export type Method = 'GET' | 'POST' | 'PATCH' | 'DELETE' | 'PUT';

/**
 * A small client over `app.inject()`. Objects are sent as JSON; strings and buffers are sent as they
 * are (with whatever content type the caller gives), so malformed bodies can be tested too.
 */
export function client(app: FastifyInstance, auth: Record<string, string>) {
  async function call<T = any>(method: Method, url: string, payload?: unknown, headers: OutgoingHttpHeaders = {}): Promise<Reply<T>> {
    const raw = typeof payload === 'string' || Buffer.isBuffer(payload);
    const res = await app.inject({
      method,
      url,
      headers: { ...auth, ...(payload !== undefined && !raw ? { 'content-type': 'application/json' } : {}), ...headers } as Record<string, string>,
      ...(payload === undefined ? {} : { payload: raw ? (payload as string | Buffer) : JSON.stringify(payload) }),
    });
    let body: unknown = res.body;
    if (String(res.headers['content-type'] ?? '').startsWith('application/json') && res.body.length > 0) body = JSON.parse(res.body);
    return { status: res.statusCode, body: body as T, headers: res.headers as Record<string, unknown> };
  }
  /** Calls and asserts the status, returning the body: for the steps of a happy path. */
  async function ok<T = any>(method: Method, url: string, status: number, payload?: unknown, headers?: OutgoingHttpHeaders): Promise<T> {
    const reply = await call<T>(method, url, payload, headers);
    assert.equal(reply.status, status, `${method} ${url} answered ${reply.status}: ${JSON.stringify(reply.body).slice(0, 500)}`);
    return reply.body;
  }
  return { call, ok };
}

export type Client = ReturnType<typeof client>;

/** Every error leaves as {"error":{"code","message"}} (plus errorId on 5xx, details where a code has them). */
export function assertErrorBody(body: unknown, code: string): void {
  assert.ok(body && typeof body === 'object' && !Array.isArray(body), `error body is not an object: ${String(body)}`);
  assert.deepEqual(Object.keys(body), ['error'], 'the body holds only "error"');
  const error = (body as { error: Record<string, unknown> }).error;
  assert.equal(error.code, code, `expected ${code}, got ${JSON.stringify(error)}`);
  assert.equal(typeof error.message, 'string');
  assert.ok((error.message as string).length > 0, 'the message is not empty');
  for (const key of Object.keys(error)) assert.ok(['code', 'message', 'errorId', 'details'].includes(key), `unexpected key error.${key}`);
}

/** Calls, asserts the status and the error code, and returns the error (for its message and details). */
export async function refused(
  api: Client, method: Method, url: string, body: unknown, status: number, code: string,
): Promise<{ message: string; details?: Record<string, any> }> {
  const reply = await api.call(method, url, body);
  assert.equal(reply.status, status, `${method} ${url}: ${reply.status} ${JSON.stringify(reply.body)}`);
  assertErrorBody(reply.body, code);
  return reply.body.error;
}

export interface TenantFixture {
  readonly tenantId: string;
  readonly channelId: string;
  readonly contactId: string;
  readonly agentId: string;
  readonly botAgentId: string;
  readonly queueId: string;
  /** An open conversation with one message (idempotency key "first-send") and one context variable. */
  readonly conversationId: string;
  /** The customer participant of that conversation. */
  readonly participantId: string;
  /** A conversation that went open -> closed. */
  readonly closedConversationId: string;
}

/** A tenant with one of everything, created through the API. */
export async function seedTenant(api: Client, name: string): Promise<TenantFixture> {
  const tenant = await api.ok('POST', '/v1/tenants', 201, { name });
  const t = `/v1/tenants/${tenant.id}`;
  const channel = await api.ok('POST', `${t}/channels`, 201, { type: 'webchat', name: `${name} web chat` });
  const contact = await api.ok('POST', `${t}/contacts`, 201, { displayName: `${name} customer`, identities: [{ channelType: 'email', address: `${name.toLowerCase()}@example.com` }] });
  const agent = await api.ok('POST', `${t}/agents`, 201, { kind: 'human', displayName: `${name} agent`, capacity: 3 });
  const bot = await api.ok('POST', `${t}/agents`, 201, { kind: 'bot', displayName: `${name} bot` });
  const queue = await api.ok('POST', `${t}/queues`, 201, { name: `${name} queue`, memberIds: [agent.id] });
  const conversation = await api.ok('POST', `${t}/conversations`, 201, {
    channelId: channel.id, contactId: contact.id, context: { 'order.id': { type: 'string', value: 'A-1' } },
  });
  await api.ok('POST', `${t}/conversations/${conversation.id}/messages`, 201, { senderRole: 'customer', text: 'hello', idempotencyKey: 'first-send' });
  const participants = await api.ok('GET', `${t}/conversations/${conversation.id}/participants`, 200);
  const closed = await api.ok('POST', `${t}/conversations`, 201, { channelId: channel.id, contactId: contact.id });
  await api.ok('POST', `${t}/conversations/${closed.id}/state`, 200, { to: 'closed' });
  return {
    tenantId: tenant.id, channelId: channel.id, contactId: contact.id, agentId: agent.id, botAgentId: bot.id, queueId: queue.id,
    conversationId: conversation.id, participantId: participants.items[0].id, closedConversationId: closed.id,
  };
}

/** A person's session as a browser holds it: the cookie and the CSRF token writes carry. */
export interface SessionHeaders {
  readonly cookie: string;
  readonly 'x-csrf-token': string;
}

/** Signs a person in with their password and returns the headers of their session (for `client`, or a WebSocket upgrade). */
export async function signInWithPassword(app: FastifyInstance, tenantId: string, email: string, password: string): Promise<SessionHeaders> {
  const res = await app.inject({ method: 'POST', url: '/v1/auth/password', headers: { 'content-type': 'application/json' }, payload: JSON.stringify({ tenantId, email, password }) });
  assert.equal(res.statusCode, 200, `sign-in of ${email}: ${res.body}`);
  const raw = res.headers['set-cookie'];
  const cookie = (Array.isArray(raw) ? raw : raw ? [raw] : []).find((c) => c.startsWith('sb_session='))?.split(';')[0];
  assert.ok(cookie, 'the sign-in sets the session cookie');
  return { cookie, 'x-csrf-token': (JSON.parse(res.body) as { csrfToken: string }).csrfToken };
}
