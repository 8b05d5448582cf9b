// Bad input: every rejected request gets a 4xx with a documented code, the one error shape, and
// leaves the SQLite database exactly as it was (every row of every table, compared before/after).
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { ERROR_CODES, type ErrorCode } from '../../src/app/errors.js';
import { createAdminApiKey } from '../../src/app/use-cases/create-api-key.js';
import { assemble, type Switchboard } from '../../src/server/composition-root.js';
import { loadConfig } from '../../src/server/config.js';
import { ERROR_STATUS } from '../../src/server/http/error-status.js';
import { createLogger } from '../../src/server/logger.js';
import { snapshotSqlite, startTestServer, type TestServer } from '../support/test-server.js';
import { assertErrorBody, client, seedTenant, type Client, type Method, type TenantFixture } from './http-helpers.js';

interface Fixtures {
  readonly A: TenantFixture;
  readonly B: TenantFixture;
}

interface BadRequest {
  readonly method: Method;
  readonly url: string;
  /** An object is sent as JSON; a string or buffer as it is. */
  readonly payload?: unknown;
  readonly headers?: Record<string, string>;
}

interface Case {
  readonly name: string;
  readonly request: (f: Fixtures) => BadRequest;
  readonly status: number;
  readonly code: ErrorCode;
  /** Ids of tenant B presented through tenant A's paths: the answer must not carry B's data. */
  readonly crossTenant?: boolean;
}

const json = { 'content-type': 'application/json' };
const conv = (t: TenantFixture, id = t.conversationId) => `/v1/tenants/${t.tenantId}/conversations/${id}`;
const tenant = (t: TenantFixture) => `/v1/tenants/${t.tenantId}`;
const say = (text: string) => ({ senderRole: 'customer', text });
const MIB = 1024 * 1024;
/** A valid workstream body for tenant A, with the fields under test replaced. */
const ws = (t: TenantFixture, over: Record<string, unknown> = {}) => ({ name: 'Mail', channelTypes: ['email'], fallbackQueueId: t.queueId, ...over });

const CASES: Case[] = [
  // ---- malformed JSON --------------------------------------------------------------------
  { name: 'a body that is not JSON', request: ({ A }) => ({ method: 'POST', url: `${conv(A)}/messages`, payload: '{"senderRole":', headers: json }), status: 400, code: 'SB_ERR_MALFORMED_JSON' },
  { name: 'an empty body declared as JSON', request: ({ A }) => ({ method: 'POST', url: `${conv(A)}/messages`, payload: '', headers: json }), status: 400, code: 'SB_ERR_MALFORMED_JSON' },
  { name: 'JSON with a trailing comma', request: ({ A }) => ({ method: 'POST', url: `${conv(A)}/messages`, payload: '{"senderRole":"customer","text":"hi",}', headers: json }), status: 400, code: 'SB_ERR_MALFORMED_JSON' },
  { name: 'a "__proto__" key at the top level', request: ({ A }) => ({ method: 'POST', url: `${conv(A)}/messages`, payload: '{"senderRole":"customer","text":"hi","__proto__":{"isAdmin":true}}', headers: json }), status: 400, code: 'SB_ERR_MALFORMED_JSON' },
  { name: 'a "__proto__" key nested in a context patch', request: ({ A }) => ({ method: 'PATCH', url: `${conv(A)}/context`, payload: '{"x":{"type":"string","value":"a","__proto__":{"polluted":1}}}', headers: json }), status: 400, code: 'SB_ERR_MALFORMED_JSON' },
  { name: 'a "constructor.prototype" key', request: ({ A }) => ({ method: 'POST', url: `/v1/tenants`, payload: '{"name":"x","constructor":{"prototype":{"polluted":1}}}', headers: json }), status: 400, code: 'SB_ERR_MALFORMED_JSON' },

  // ---- schema violations -----------------------------------------------------------------
  { name: 'a message without text', request: ({ A }) => ({ method: 'POST', url: `${conv(A)}/messages`, payload: { senderRole: 'customer' } }), status: 400, code: 'SB_ERR_VALIDATION' },
  { name: 'a message with an unknown field', request: ({ A }) => ({ method: 'POST', url: `${conv(A)}/messages`, payload: { ...say('hi'), sender: 'typo' } }), status: 400, code: 'SB_ERR_VALIDATION' },
  { name: 'a message whose text is a number (no silent coercion to "42")', request: ({ A }) => ({ method: 'POST', url: `${conv(A)}/messages`, payload: { senderRole: 'customer', text: 42 } }), status: 400, code: 'SB_ERR_VALIDATION' },
  { name: 'a message whose text is an array (no silent unwrapping)', request: ({ A }) => ({ method: 'POST', url: `${conv(A)}/messages`, payload: { senderRole: 'customer', text: ['hi'] } }), status: 400, code: 'SB_ERR_VALIDATION' },
  { name: 'a message whose text is null', request: ({ A }) => ({ method: 'POST', url: `${conv(A)}/messages`, payload: { senderRole: 'customer', text: null } }), status: 400, code: 'SB_ERR_VALIDATION' },
  { name: 'a message with an unknown sender role', request: ({ A }) => ({ method: 'POST', url: `${conv(A)}/messages`, payload: { senderRole: 'robot', text: 'hi' } }), status: 400, code: 'SB_ERR_VALIDATION' },
  { name: 'a message longer than 20000 characters', request: ({ A }) => ({ method: 'POST', url: `${conv(A)}/messages`, payload: say('x'.repeat(20_001)) }), status: 400, code: 'SB_ERR_VALIDATION' },
  { name: 'an empty message (no text, no attachment)', request: ({ A }) => ({ method: 'POST', url: `${conv(A)}/messages`, payload: say('') }), status: 400, code: 'SB_ERR_VALIDATION' },
  { name: 'an attachment with a malformed content type', request: ({ A }) => ({ method: 'POST', url: `${conv(A)}/messages`, payload: { ...say('see file'), attachments: [{ name: 'a.png', contentType: 'image png', size: 3 }] } }), status: 400, code: 'SB_ERR_VALIDATION' },
  { name: 'a JSON array where an object is expected', request: ({ A }) => ({ method: 'POST', url: `${conv(A)}/messages`, payload: [say('hi')] }), status: 400, code: 'SB_ERR_VALIDATION' },
  { name: 'an empty Idempotency-Key header', request: ({ A }) => ({ method: 'POST', url: `${conv(A)}/messages`, payload: say('hi'), headers: { 'idempotency-key': '' } }), status: 400, code: 'SB_ERR_VALIDATION' },
  { name: 'a priority given as a string', request: ({ A }) => ({ method: 'POST', url: `${tenant(A)}/conversations`, payload: { channelId: A.channelId, contactId: A.contactId, priority: '5' } }), status: 400, code: 'SB_ERR_VALIDATION' },
  { name: 'a conversation with both contactId and customer', request: ({ A }) => ({ method: 'POST', url: `${tenant(A)}/conversations`, payload: { channelId: A.channelId, contactId: A.contactId, customer: { address: 'someone' } } }), status: 400, code: 'SB_ERR_VALIDATION' },
  { name: 'a conversation with neither contactId nor customer', request: ({ A }) => ({ method: 'POST', url: `${tenant(A)}/conversations`, payload: { channelId: A.channelId } }), status: 400, code: 'SB_ERR_VALIDATION' },
  { name: 'a channel of an unknown type', request: ({ A }) => ({ method: 'POST', url: `${tenant(A)}/channels`, payload: { type: 'pigeon', name: 'Coop' } }), status: 400, code: 'SB_ERR_VALIDATION' },
  { name: 'a tenant with an empty name', request: () => ({ method: 'POST', url: '/v1/tenants', payload: { name: '' } }), status: 400, code: 'SB_ERR_VALIDATION' },
  { name: 'a state change to an unknown state', request: ({ A }) => ({ method: 'POST', url: `${conv(A)}/state`, payload: { to: 'sleeping' } }), status: 400, code: 'SB_ERR_VALIDATION' },
  { name: 'a context variable of an unknown type', request: ({ A }) => ({ method: 'PATCH', url: `${conv(A)}/context`, payload: { x: { type: 'money', value: 5 } } }), status: 400, code: 'SB_ERR_VALIDATION' },
  { name: 'an agent participant without an agentId', request: ({ A }) => ({ method: 'POST', url: `${conv(A)}/participants`, payload: { role: 'agent' } }), status: 400, code: 'SB_ERR_VALIDATION' },
  { name: 'a human agent joining as a bot', request: ({ A }) => ({ method: 'POST', url: `${conv(A)}/participants`, payload: { role: 'bot', agentId: A.agentId } }), status: 400, code: 'SB_ERR_VALIDATION' },
  { name: 'an id with characters outside [A-Za-z0-9_-] in the path', request: ({ A }) => ({ method: 'POST', url: `${conv(A, 'conv%20x%3B')}/messages`, payload: say('hi') }), status: 400, code: 'SB_ERR_VALIDATION' },
  { name: 'a page size of 0', request: ({ A }) => ({ method: 'GET', url: `${tenant(A)}/conversations?limit=0` }), status: 400, code: 'SB_ERR_VALIDATION' },
  { name: 'a page size that is not a number', request: ({ A }) => ({ method: 'GET', url: `${tenant(A)}/conversations?limit=ten` }), status: 400, code: 'SB_ERR_VALIDATION' },
  { name: 'an unknown query parameter', request: ({ A }) => ({ method: 'GET', url: `${tenant(A)}/conversations?stat=open` }), status: 400, code: 'SB_ERR_VALIDATION' },
  { name: 'an unknown state filter', request: ({ A }) => ({ method: 'GET', url: `${tenant(A)}/conversations?state=sleeping` }), status: 400, code: 'SB_ERR_VALIDATION' },
  { name: 'a negative "after" for messages', request: ({ A }) => ({ method: 'GET', url: `${conv(A)}/messages?after=-1` }), status: 400, code: 'SB_ERR_VALIDATION' },

  // ---- unknown ids ---------------------------------------------------------------------
  { name: 'an unknown tenant', request: () => ({ method: 'GET', url: '/v1/tenants/ten_does_not_exist' }), status: 404, code: 'SB_ERR_TENANT_NOT_FOUND' },
  { name: 'a message to an unknown tenant', request: ({ A }) => ({ method: 'POST', url: `/v1/tenants/ten_nope/conversations/${A.conversationId}/messages`, payload: say('hi') }), status: 404, code: 'SB_ERR_TENANT_NOT_FOUND' },
  { name: 'an unknown conversation (get)', request: ({ A }) => ({ method: 'GET', url: conv(A, 'conv_nope') }), status: 404, code: 'SB_ERR_CONVERSATION_NOT_FOUND' },
  { name: 'a message to an unknown conversation', request: ({ A }) => ({ method: 'POST', url: `${conv(A, 'conv_nope')}/messages`, payload: say('hi') }), status: 404, code: 'SB_ERR_CONVERSATION_NOT_FOUND' },
  { name: 'a state change of an unknown conversation', request: ({ A }) => ({ method: 'POST', url: `${conv(A, 'conv_nope')}/state`, payload: { to: 'queued' } }), status: 404, code: 'SB_ERR_CONVERSATION_NOT_FOUND' },
  { name: 'a context patch of an unknown conversation', request: ({ A }) => ({ method: 'PATCH', url: `${conv(A, 'conv_nope')}/context`, payload: { x: { type: 'string', value: 'a' } } }), status: 404, code: 'SB_ERR_CONVERSATION_NOT_FOUND' },
  { name: 'an unknown participant leaving', request: ({ A }) => ({ method: 'DELETE', url: `${conv(A)}/participants/par_nope` }), status: 404, code: 'SB_ERR_PARTICIPANT_NOT_FOUND' },
  { name: 'a conversation on an unknown channel', request: ({ A }) => ({ method: 'POST', url: `${tenant(A)}/conversations`, payload: { channelId: 'chn_nope', contactId: A.contactId } }), status: 404, code: 'SB_ERR_CHANNEL_NOT_FOUND' },
  { name: 'a conversation with an unknown contact', request: ({ A }) => ({ method: 'POST', url: `${tenant(A)}/conversations`, payload: { channelId: A.channelId, contactId: 'con_nope' } }), status: 404, code: 'SB_ERR_CONTACT_NOT_FOUND' },
  { name: 'a conversation in an unknown queue', request: ({ A }) => ({ method: 'POST', url: `${tenant(A)}/conversations`, payload: { channelId: A.channelId, contactId: A.contactId, queueId: 'que_nope' } }), status: 404, code: 'SB_ERR_QUEUE_NOT_FOUND' },
  { name: 'a queue with an unknown member', request: ({ A }) => ({ method: 'POST', url: `${tenant(A)}/queues`, payload: { name: 'Q', memberIds: [A.agentId, 'agt_nope'] } }), status: 404, code: 'SB_ERR_AGENT_NOT_FOUND' },
  { name: 'an unknown route', request: () => ({ method: 'GET', url: '/v1/nothing-here' }), status: 404, code: 'SB_ERR_ROUTE_NOT_FOUND' },

  // ---- ids of another tenant (tenant A's paths, tenant B's ids) --------------------------
  ...([
    ['get', 'GET', ''], ['messages (list)', 'GET', '/messages'], ['participants (list)', 'GET', '/participants'], ['context (get)', 'GET', '/context'],
  ] as const).map(([what, method, suffix]): Case => ({
    name: `another tenant's conversation: ${what}`, crossTenant: true, status: 404, code: 'SB_ERR_CONVERSATION_NOT_FOUND',
    request: ({ A, B }) => ({ method, url: `${conv(A, B.conversationId)}${suffix}` }),
  })),
  { name: "another tenant's conversation: post a message", crossTenant: true, request: ({ A, B }) => ({ method: 'POST', url: `${conv(A, B.conversationId)}/messages`, payload: say('hi') }), status: 404, code: 'SB_ERR_CONVERSATION_NOT_FOUND' },
  { name: "another tenant's conversation: replay its idempotency key", crossTenant: true, request: ({ A, B }) => ({ method: 'POST', url: `${conv(A, B.conversationId)}/messages`, payload: { ...say('hello'), idempotencyKey: 'first-send' } }), status: 404, code: 'SB_ERR_CONVERSATION_NOT_FOUND' },
  { name: "another tenant's conversation: change its state", crossTenant: true, request: ({ A, B }) => ({ method: 'POST', url: `${conv(A, B.conversationId)}/state`, payload: { to: 'closed' } }), status: 404, code: 'SB_ERR_CONVERSATION_NOT_FOUND' },
  { name: "another tenant's conversation: patch its context", crossTenant: true, request: ({ A, B }) => ({ method: 'PATCH', url: `${conv(A, B.conversationId)}/context`, payload: { 'order.id': null } }), status: 404, code: 'SB_ERR_CONVERSATION_NOT_FOUND' },
  { name: "another tenant's conversation: add a participant", crossTenant: true, request: ({ A, B }) => ({ method: 'POST', url: `${conv(A, B.conversationId)}/participants`, payload: { role: 'agent', agentId: A.agentId } }), status: 404, code: 'SB_ERR_CONVERSATION_NOT_FOUND' },
  { name: "another tenant's conversation: its participant leaves", crossTenant: true, request: ({ A, B }) => ({ method: 'DELETE', url: `${conv(A, B.conversationId)}/participants/${B.participantId}` }), status: 404, code: 'SB_ERR_CONVERSATION_NOT_FOUND' },
  { name: "another tenant's participant, under our conversation", crossTenant: true, request: ({ A, B }) => ({ method: 'DELETE', url: `${conv(A)}/participants/${B.participantId}` }), status: 404, code: 'SB_ERR_PARTICIPANT_NOT_FOUND' },
  { name: "another tenant's channel (get)", crossTenant: true, request: ({ A, B }) => ({ method: 'GET', url: `${tenant(A)}/channels/${B.channelId}` }), status: 404, code: 'SB_ERR_CHANNEL_NOT_FOUND' },
  { name: "another tenant's contact (get)", crossTenant: true, request: ({ A, B }) => ({ method: 'GET', url: `${tenant(A)}/contacts/${B.contactId}` }), status: 404, code: 'SB_ERR_CONTACT_NOT_FOUND' },
  { name: "another tenant's agent (get)", crossTenant: true, request: ({ A, B }) => ({ method: 'GET', url: `${tenant(A)}/agents/${B.agentId}` }), status: 404, code: 'SB_ERR_AGENT_NOT_FOUND' },
  { name: "another tenant's queue (get)", crossTenant: true, request: ({ A, B }) => ({ method: 'GET', url: `${tenant(A)}/queues/${B.queueId}` }), status: 404, code: 'SB_ERR_QUEUE_NOT_FOUND' },
  { name: "a conversation on another tenant's channel", crossTenant: true, request: ({ A, B }) => ({ method: 'POST', url: `${tenant(A)}/conversations`, payload: { channelId: B.channelId, contactId: A.contactId } }), status: 404, code: 'SB_ERR_CHANNEL_NOT_FOUND' },
  { name: "a conversation with another tenant's contact", crossTenant: true, request: ({ A, B }) => ({ method: 'POST', url: `${tenant(A)}/conversations`, payload: { channelId: A.channelId, contactId: B.contactId } }), status: 404, code: 'SB_ERR_CONTACT_NOT_FOUND' },
  { name: "a conversation in another tenant's queue", crossTenant: true, request: ({ A, B }) => ({ method: 'POST', url: `${tenant(A)}/conversations`, payload: { channelId: A.channelId, contactId: A.contactId, queueId: B.queueId } }), status: 404, code: 'SB_ERR_QUEUE_NOT_FOUND' },
  { name: "another tenant's agent joining our conversation", crossTenant: true, request: ({ A, B }) => ({ method: 'POST', url: `${conv(A)}/participants`, payload: { role: 'agent', agentId: B.agentId } }), status: 404, code: 'SB_ERR_AGENT_NOT_FOUND' },
  { name: "another tenant's agent added to our queue", crossTenant: true, request: ({ A, B }) => ({ method: 'POST', url: `${tenant(A)}/queues/${A.queueId}/members`, payload: { agentId: B.agentId } }), status: 404, code: 'SB_ERR_AGENT_NOT_FOUND' },
  { name: "our agent added to another tenant's queue", crossTenant: true, request: ({ A, B }) => ({ method: 'POST', url: `${tenant(A)}/queues/${B.queueId}/members`, payload: { agentId: A.agentId } }), status: 404, code: 'SB_ERR_QUEUE_NOT_FOUND' },
  { name: "a new queue with another tenant's agent as member", crossTenant: true, request: ({ A, B }) => ({ method: 'POST', url: `${tenant(A)}/queues`, payload: { name: 'Poached', memberIds: [B.agentId] } }), status: 404, code: 'SB_ERR_AGENT_NOT_FOUND' },

  // ---- oversized bodies and wrong content types ----------------------------------------
  { name: 'a body over the 1 MiB limit', request: ({ A }) => ({ method: 'POST', url: `${conv(A)}/messages`, payload: JSON.stringify(say('x'.repeat(MIB))), headers: json }), status: 413, code: 'SB_ERR_BODY_TOO_LARGE' },
  { name: 'a body one byte over the limit', request: ({ A }) => ({ method: 'PATCH', url: `${conv(A)}/context`, payload: padTo(MIB + 1), headers: json }), status: 413, code: 'SB_ERR_BODY_TOO_LARGE' },
  { name: 'a text/plain body', request: ({ A }) => ({ method: 'POST', url: `${conv(A)}/messages`, payload: 'hello', headers: { 'content-type': 'text/plain' } }), status: 415, code: 'SB_ERR_UNSUPPORTED_MEDIA_TYPE' },
  { name: 'a JSON body labelled text/plain', request: ({ A }) => ({ method: 'POST', url: `${conv(A)}/messages`, payload: JSON.stringify(say('hi')), headers: { 'content-type': 'text/plain; charset=utf-8' } }), status: 415, code: 'SB_ERR_UNSUPPORTED_MEDIA_TYPE' },
  { name: 'an XML body', request: ({ A }) => ({ method: 'POST', url: `${conv(A)}/messages`, payload: '<message>hi</message>', headers: { 'content-type': 'application/xml' } }), status: 415, code: 'SB_ERR_UNSUPPORTED_MEDIA_TYPE' },
  { name: 'a form-encoded body', request: () => ({ method: 'POST', url: '/v1/tenants', payload: 'name=Evil', headers: { 'content-type': 'application/x-www-form-urlencoded' } }), status: 415, code: 'SB_ERR_UNSUPPORTED_MEDIA_TYPE' },

  // ---- lifecycle -----------------------------------------------------------------------
  { name: 'an illegal transition open -> wrap_up', request: ({ A }) => ({ method: 'POST', url: `${conv(A)}/state`, payload: { to: 'wrap_up' } }), status: 409, code: 'SB_ERR_ILLEGAL_TRANSITION' },
  { name: 'an illegal transition open -> offered', request: ({ A }) => ({ method: 'POST', url: `${conv(A)}/state`, payload: { to: 'offered' } }), status: 409, code: 'SB_ERR_ILLEGAL_TRANSITION' },
  { name: 'a transition to the current state (open -> open)', request: ({ A }) => ({ method: 'POST', url: `${conv(A)}/state`, payload: { to: 'open' } }), status: 409, code: 'SB_ERR_ILLEGAL_TRANSITION' },
  { name: 'leaving a final state (closed -> active)', request: ({ A }) => ({ method: 'POST', url: `${conv(A, A.closedConversationId)}/state`, payload: { to: 'active' } }), status: 409, code: 'SB_ERR_ILLEGAL_TRANSITION' },
  { name: 'reopening a closed conversation (closed -> open)', request: ({ A }) => ({ method: 'POST', url: `${conv(A, A.closedConversationId)}/state`, payload: { to: 'open' } }), status: 409, code: 'SB_ERR_ILLEGAL_TRANSITION' },
  { name: 'a transition whose expectedState is stale', request: ({ A }) => ({ method: 'POST', url: `${conv(A)}/state`, payload: { to: 'queued', expectedState: 'bot' } }), status: 409, code: 'SB_ERR_STATE_CONFLICT' },
  { name: 'a message to a closed conversation', request: ({ A }) => ({ method: 'POST', url: `${conv(A, A.closedConversationId)}/messages`, payload: say('anyone?') }), status: 409, code: 'SB_ERR_CONVERSATION_CLOSED' },
  { name: 'a participant joining a closed conversation', request: ({ A }) => ({ method: 'POST', url: `${conv(A, A.closedConversationId)}/participants`, payload: { role: 'agent', agentId: A.agentId } }), status: 409, code: 'SB_ERR_CONVERSATION_CLOSED' },
  { name: 'a context patch on a closed conversation', request: ({ A }) => ({ method: 'PATCH', url: `${conv(A, A.closedConversationId)}/context`, payload: { x: { type: 'string', value: 'late' } } }), status: 409, code: 'SB_ERR_CONVERSATION_CLOSED' },

  // ---- idempotency -----------------------------------------------------------------------
  { name: 'a reused idempotency key with a different text', request: ({ A }) => ({ method: 'POST', url: `${conv(A)}/messages`, payload: { ...say('hello!'), idempotencyKey: 'first-send' } }), status: 409, code: 'SB_ERR_IDEMPOTENCY_CONFLICT' },
  { name: 'a reused idempotency key with a different sender', request: ({ A }) => ({ method: 'POST', url: `${conv(A)}/messages`, payload: { senderRole: 'agent', text: 'hello', idempotencyKey: 'first-send' } }), status: 409, code: 'SB_ERR_IDEMPOTENCY_CONFLICT' },
  { name: 'a reused Idempotency-Key header with a different body', request: ({ A }) => ({ method: 'POST', url: `${conv(A)}/messages`, payload: say('something else'), headers: { 'idempotency-key': 'first-send' } }), status: 409, code: 'SB_ERR_IDEMPOTENCY_CONFLICT' },

  // ---- context values ----------------------------------------------------------------------
  { name: 'a number variable given a string', request: ({ A }) => ({ method: 'PATCH', url: `${conv(A)}/context`, payload: { total: { type: 'number', value: '12' } } }), status: 400, code: 'SB_ERR_INVALID_CONTEXT' },
  { name: 'a datetime without a zone', request: ({ A }) => ({ method: 'PATCH', url: `${conv(A)}/context`, payload: { due: { type: 'datetime', value: '2026-01-31T09:00:00' } } }), status: 400, code: 'SB_ERR_INVALID_CONTEXT' },
  { name: 'a list holding an object', request: ({ A }) => ({ method: 'PATCH', url: `${conv(A)}/context`, payload: { tags: { type: 'list', value: ['a', { b: 1 }] } } }), status: 400, code: 'SB_ERR_INVALID_CONTEXT' },
  { name: 'a deeply nested list (400 000 levels)', request: ({ A }) => ({ method: 'PATCH', url: `${conv(A)}/context`, payload: `{"tags":{"type":"list","value":${'['.repeat(400_000)}${']'.repeat(400_000)}}}`, headers: json }), status: 400, code: 'SB_ERR_INVALID_CONTEXT' },
  { name: 'a variable name starting with a digit', request: ({ A }) => ({ method: 'PATCH', url: `${conv(A)}/context`, payload: { '1st': { type: 'string', value: 'a' } } }), status: 400, code: 'SB_ERR_INVALID_CONTEXT' },
  { name: 'removing a variable with an invalid name', request: ({ A }) => ({ method: 'PATCH', url: `${conv(A)}/context`, payload: { 'bad name': null } }), status: 400, code: 'SB_ERR_INVALID_CONTEXT' },
  { name: 'one valid and one invalid variable (neither is set)', request: ({ A }) => ({ method: 'PATCH', url: `${conv(A)}/context`, payload: { good: { type: 'boolean', value: true }, bad: { type: 'boolean', value: 'yes' } } }), status: 400, code: 'SB_ERR_INVALID_CONTEXT' },
  { name: 'a new conversation whose context is invalid', request: ({ A }) => ({ method: 'POST', url: `${tenant(A)}/conversations`, payload: { channelId: A.channelId, contactId: A.contactId, context: { n: { type: 'number', value: 'NaN' } } } }), status: 400, code: 'SB_ERR_INVALID_CONTEXT' },
  { name: 'a new conversation removing a variable', request: ({ A }) => ({ method: 'POST', url: `${tenant(A)}/conversations`, payload: { channelId: A.channelId, contactId: A.contactId, context: { n: null } } }), status: 400, code: 'SB_ERR_INVALID_CONTEXT' },

  // ---- cursors, visibility, conflicts --------------------------------------------------------
  { name: 'a cursor that is not base64 JSON', request: ({ A }) => ({ method: 'GET', url: `${tenant(A)}/conversations?cursor=not-a-cursor` }), status: 400, code: 'SB_ERR_INVALID_CURSOR' },
  { name: 'a cursor of the wrong shape', request: ({ A }) => ({ method: 'GET', url: `${tenant(A)}/contacts?cursor=${Buffer.from('{"x":1}').toString('base64url')}` }), status: 400, code: 'SB_ERR_INVALID_CURSOR' },
  { name: 'a customer posting an internal message', request: ({ A }) => ({ method: 'POST', url: `${conv(A)}/messages`, payload: { ...say('psst'), visibility: 'internal' } }), status: 403, code: 'SB_ERR_NOT_ALLOWED_VISIBILITY' },
  { name: 'a customer posting a whisper', request: ({ A }) => ({ method: 'POST', url: `${conv(A)}/messages`, payload: { ...say('psst'), visibility: 'whisper' } }), status: 403, code: 'SB_ERR_NOT_ALLOWED_VISIBILITY' },
  { name: 'an agent posting a whisper (supervisors only)', request: ({ A }) => ({ method: 'POST', url: `${conv(A)}/messages`, payload: { senderRole: 'agent', senderId: A.agentId, text: 'psst', visibility: 'whisper' } }), status: 403, code: 'SB_ERR_NOT_ALLOWED_VISIBILITY' },
  // ---- supervision ------------------------------------------------------------------------
  { name: 'a whisper without text', request: ({ A }) => ({ method: 'POST', url: `${conv(A)}/whisper`, payload: { text: '' } }), status: 400, code: 'SB_ERR_VALIDATION' },
  { name: 'a whisper naming its sender (a supervisor whispers as themselves)', request: ({ A }) => ({ method: 'POST', url: `${conv(A)}/whisper`, payload: { text: 'psst', senderId: A.agentId } }), status: 400, code: 'SB_ERR_VALIDATION' },
  { name: 'a whisper in a closed conversation', request: ({ A }) => ({ method: 'POST', url: `${conv(A, A.closedConversationId)}/whisper`, payload: { text: 'psst' } }), status: 409, code: 'SB_ERR_CONVERSATION_CLOSED' },
  { name: "a whisper in another tenant's conversation", request: ({ A, B }) => ({ method: 'POST', url: `${conv(A, B.conversationId)}/whisper`, payload: { text: 'psst' } }), status: 404, code: 'SB_ERR_CONVERSATION_NOT_FOUND', crossTenant: true },
  { name: 'a barge with a body', request: ({ A }) => ({ method: 'POST', url: `${conv(A)}/barge`, payload: { as: 'someone else' } }), status: 400, code: 'SB_ERR_VALIDATION' },
  { name: 'a barge into a closed conversation', request: ({ A }) => ({ method: 'POST', url: `${conv(A, A.closedConversationId)}/barge` }), status: 409, code: 'SB_ERR_CONVERSATION_CLOSED' },
  { name: 'a supervisor speaking to the customer without barging in', request: ({ A }) => ({ method: 'POST', url: `${conv(A)}/messages`, payload: { senderRole: 'supervisor', visibility: 'public', text: 'Hello' } }), status: 409, code: 'SB_ERR_NOT_BARGED_IN' },
  { name: 'a supervisor message in the name of someone else', request: ({ A }) => ({ method: 'POST', url: `${conv(A)}/messages`, payload: { senderRole: 'supervisor', senderId: A.agentId, visibility: 'whisper', text: 'psst' } }), status: 403, code: 'SB_ERR_FORBIDDEN' },
  { name: 'a supervisor joining through the participant route', request: ({ A }) => ({ method: 'POST', url: `${conv(A)}/participants`, payload: { role: 'supervisor', agentId: A.agentId } }), status: 400, code: 'SB_ERR_VALIDATION' },
  { name: 'a service level threshold of 0 seconds', request: ({ A }) => ({ method: 'PATCH', url: `${tenant(A)}/queues/${A.queueId}`, payload: { routing: { serviceLevelSeconds: 0 } } }), status: 400, code: 'SB_ERR_VALIDATION' },
  { name: 'an agent filter that is not an id', request: ({ A }) => ({ method: 'GET', url: `${tenant(A)}/conversations?agentId=${encodeURIComponent('<script>')}` }), status: 400, code: 'SB_ERR_VALIDATION' },
  { name: 'an agent added to a queue twice', request: ({ A }) => ({ method: 'POST', url: `${tenant(A)}/queues/${A.queueId}/members`, payload: { agentId: A.agentId } }), status: 409, code: 'SB_ERR_ALREADY_MEMBER' },
  { name: 'a contact claiming an identity another contact holds', request: ({ A }) => ({ method: 'POST', url: `${tenant(A)}/contacts`, payload: { displayName: 'Impostor', identities: [{ channelType: 'email', address: 'a@example.com' }] } }), status: 409, code: 'SB_ERR_CONTACT_IDENTITY_TAKEN' },

  // ---- routing configuration and agent actions --------------------------------------------
  { name: 'a route rule whose condition does not parse', request: ({ A }) => ({ method: 'POST', url: `${tenant(A)}/workstreams`, payload: ws(A, { routeRules: [{ id: 'r', condition: 'customer.tier = "gold"', queueId: A.queueId }] }) }), status: 400, code: 'SB_ERR_INVALID_RULE' },
  { name: 'a classification rule whose condition does not parse', request: ({ A }) => ({ method: 'POST', url: `${tenant(A)}/workstreams`, payload: ws(A, { classificationRules: [{ id: 'c', condition: '(a == 1', set: { priority: 3 } }] }) }), status: 400, code: 'SB_ERR_INVALID_RULE' },
  { name: 'a route rule naming a queue that does not exist', request: ({ A }) => ({ method: 'POST', url: `${tenant(A)}/workstreams`, payload: ws(A, { routeRules: [{ id: 'r', condition: 'true', queueId: 'que_missing' }] }) }), status: 404, code: 'SB_ERR_QUEUE_NOT_FOUND' },
  { name: "a route rule naming another tenant's queue", request: ({ A, B }) => ({ method: 'POST', url: `${tenant(A)}/workstreams`, payload: ws(A, { routeRules: [{ id: 'r', condition: 'true', queueId: B.queueId }] }) }), status: 404, code: 'SB_ERR_QUEUE_NOT_FOUND', crossTenant: true },
  { name: "a fallback queue of another tenant", request: ({ A, B }) => ({ method: 'POST', url: `${tenant(A)}/workstreams`, payload: { ...ws(A), fallbackQueueId: B.queueId } }), status: 404, code: 'SB_ERR_QUEUE_NOT_FOUND', crossTenant: true },
  { name: 'a percentage split not summing to 100', request: ({ A }) => ({ method: 'POST', url: `${tenant(A)}/workstreams`, payload: ws(A, { routeRules: [{ id: 'r', condition: 'true', split: [{ queueId: A.queueId, percent: 99 }] }] }) }), status: 400, code: 'SB_ERR_INVALID_RULE' },
  { name: 'a split over more than five queues', request: ({ A }) => ({ method: 'POST', url: `${tenant(A)}/workstreams`, payload: ws(A, { routeRules: [{ id: 'r', condition: 'true', split: Array.from({ length: 6 }, () => ({ queueId: A.queueId, percent: 10 })) }] }) }), status: 400, code: 'SB_ERR_INVALID_RULE' },
  { name: 'a route rule with both a queue and a split', request: ({ A }) => ({ method: 'POST', url: `${tenant(A)}/workstreams`, payload: ws(A, { routeRules: [{ id: 'r', condition: 'true', queueId: A.queueId, split: [{ queueId: A.queueId, percent: 100 }] }] }) }), status: 400, code: 'SB_ERR_INVALID_RULE' },
  { name: 'a classification rule requiring an unknown skill', request: ({ A }) => ({ method: 'POST', url: `${tenant(A)}/workstreams`, payload: ws(A, { classificationRules: [{ id: 'c', condition: 'true', set: { requiredSkills: [{ skill: 'klingon', minProficiency: 4 }] } }] }) }), status: 400, code: 'SB_ERR_INVALID_RULE' },
  { name: 'two rules with the same id', request: ({ A }) => ({ method: 'POST', url: `${tenant(A)}/workstreams`, payload: ws(A, { routeRules: [{ id: 'r', condition: 'true', queueId: A.queueId }, { id: 'r', condition: 'false', queueId: A.queueId }] }) }), status: 400, code: 'SB_ERR_INVALID_RULE' },
  { name: 'a workstream with an offer timeout of 0', request: ({ A }) => ({ method: 'POST', url: `${tenant(A)}/workstreams`, payload: ws(A, { offerTimeoutSeconds: 0 }) }), status: 400, code: 'SB_ERR_VALIDATION' },
  { name: 'a workstream with an unknown presence', request: ({ A }) => ({ method: 'POST', url: `${tenant(A)}/workstreams`, payload: ws(A, { allowedPresences: ['sleepy'] }) }), status: 400, code: 'SB_ERR_VALIDATION' },
  { name: 'a workstream that does not exist', request: ({ A }) => ({ method: 'PUT', url: `${tenant(A)}/workstreams/wks_missing`, payload: ws(A) }), status: 404, code: 'SB_ERR_WORKSTREAM_NOT_FOUND' },
  { name: 'a negative agent capacity', request: ({ A }) => ({ method: 'PATCH', url: `${tenant(A)}/agents/${A.agentId}`, payload: { capacity: -1 } }), status: 400, code: 'SB_ERR_VALIDATION' },
  { name: 'an agent skill that is not defined', request: ({ A }) => ({ method: 'PATCH', url: `${tenant(A)}/agents/${A.agentId}`, payload: { skills: { klingon: 4 } } }), status: 400, code: 'SB_ERR_SKILL_NOT_FOUND' },
  { name: 'a proficiency of 11', request: ({ A }) => ({ method: 'PATCH', url: `${tenant(A)}/agents/${A.agentId}`, payload: { skills: { english: 11 } } }), status: 400, code: 'SB_ERR_VALIDATION' },
  { name: 'an unknown presence', request: ({ A }) => ({ method: 'PUT', url: `${tenant(A)}/agents/${A.agentId}/presence`, payload: { presence: 'napping' } }), status: 400, code: 'SB_ERR_VALIDATION' },
  { name: "another tenant's agent's presence", request: ({ A, B }) => ({ method: 'PUT', url: `${tenant(A)}/agents/${B.agentId}/presence`, payload: { presence: 'available' } }), status: 404, code: 'SB_ERR_AGENT_NOT_FOUND', crossTenant: true },
  { name: 'a custom assignment method without sort keys', request: ({ A }) => ({ method: 'PATCH', url: `${tenant(A)}/queues/${A.queueId}`, payload: { routing: { assignmentMethod: 'custom', customOrder: [] } } }), status: 400, code: 'SB_ERR_INVALID_QUEUE_SETTINGS' },
  { name: 'operating hours in an unknown time zone', request: ({ A }) => ({ method: 'PATCH', url: `${tenant(A)}/queues/${A.queueId}`, payload: { routing: { operatingHours: { timeZone: 'Mars/Olympus_Mons', weekly: [{ day: 'mon', open: '09:00', close: '17:00' }], holidays: [] } } } }), status: 400, code: 'SB_ERR_INVALID_QUEUE_SETTINGS' },
  { name: 'an overflow transfer to the queue itself', request: ({ A }) => ({ method: 'PATCH', url: `${tenant(A)}/queues/${A.queueId}`, payload: { routing: { overflow: [{ id: 'o', when: { kind: 'wait-exceeds', seconds: 60 }, then: { kind: 'transfer', queueId: A.queueId } }] } } }), status: 400, code: 'SB_ERR_INVALID_QUEUE_SETTINGS' },
  { name: "an overflow transfer to another tenant's queue", request: ({ A, B }) => ({ method: 'PATCH', url: `${tenant(A)}/queues/${A.queueId}`, payload: { routing: { overflow: [{ id: 'o', when: { kind: 'wait-exceeds', seconds: 60 }, then: { kind: 'transfer', queueId: B.queueId } }] } } }), status: 400, code: 'SB_ERR_INVALID_QUEUE_SETTINGS', crossTenant: true },
  { name: 'a stale queue version', request: ({ A }) => ({ method: 'PATCH', url: `${tenant(A)}/queues/${A.queueId}`, payload: { priority: 3, expectedVersion: 7 } }), status: 409, code: 'SB_ERR_VERSION_CONFLICT' },
  { name: 'removing an agent that is not a member', request: ({ A }) => ({ method: 'DELETE', url: `${tenant(A)}/queues/${A.queueId}/members/${A.botAgentId}` }), status: 404, code: 'SB_ERR_NOT_A_MEMBER' },
  { name: 'routing a conversation no workstream covers', request: ({ A }) => ({ method: 'POST', url: `${conv(A)}/route`, payload: {} }), status: 409, code: 'SB_ERR_NO_WORKSTREAM' },
  { name: "routing another tenant's conversation", request: ({ A, B }) => ({ method: 'POST', url: `${conv(A, B.conversationId)}/route`, payload: {} }), status: 404, code: 'SB_ERR_CONVERSATION_NOT_FOUND', crossTenant: true },
  { name: 'routing a closed conversation', request: ({ A }) => ({ method: 'POST', url: `${conv(A, A.closedConversationId)}/route`, payload: {} }), status: 409, code: 'SB_ERR_NOT_ROUTABLE' },
  { name: 'transferring a conversation nobody handles', request: ({ A }) => ({ method: 'POST', url: `${conv(A)}/transfer`, payload: { queueId: A.queueId } }), status: 409, code: 'SB_ERR_NOT_ROUTABLE' },
  { name: 'a transfer to both a queue and an agent', request: ({ A }) => ({ method: 'POST', url: `${conv(A)}/transfer`, payload: { queueId: A.queueId, agentId: A.agentId } }), status: 400, code: 'SB_ERR_VALIDATION' },
  { name: 'accepting an offer that does not exist', request: ({ A }) => ({ method: 'POST', url: `${tenant(A)}/agents/${A.agentId}/offers/ofr_missing/accept` }), status: 404, code: 'SB_ERR_OFFER_NOT_FOUND' },
  { name: 'picking from a queue that does not exist', request: ({ A }) => ({ method: 'POST', url: `${tenant(A)}/queues/que_missing/waiting/${A.conversationId}/pick`, payload: { agentId: A.agentId } }), status: 404, code: 'SB_ERR_QUEUE_NOT_FOUND' },
  { name: 'picking a conversation that is not waiting', request: ({ A }) => ({ method: 'POST', url: `${tenant(A)}/queues/${A.queueId}/waiting/${A.conversationId}/pick`, payload: { agentId: A.agentId } }), status: 409, code: 'SB_ERR_NOT_WAITING' },
  { name: 'a dry run with no workstream for the channel', request: ({ A }) => ({ method: 'POST', url: `${tenant(A)}/routing/simulate`, payload: { channelType: 'email' } }), status: 409, code: 'SB_ERR_NO_WORKSTREAM' },
  { name: 'a dry run with an invalid context variable', request: ({ A }) => ({ method: 'POST', url: `${tenant(A)}/routing/simulate`, payload: { channelType: 'webchat', context: [{ name: 'n', type: 'number', value: 'x' }] } }), status: 400, code: 'SB_ERR_INVALID_CONTEXT' },
];

/** A JSON context patch of exactly `size` bytes. */
function padTo(size: number): string {
  const head = '{"pad":{"type":"string","value":"';
  const tail = '"}}';
  return head + 'x'.repeat(size - head.length - tail.length) + tail;
}

describe('bad input: 4xx with a documented code, and the database unchanged', () => {
  let server: TestServer;
  let api: Client;
  let fixtures: Fixtures;

  before(async () => {
    server = await startTestServer({ database: 'sqlite' });
    api = client(server.app, server.auth);
    fixtures = { A: await seedTenant(api, 'A'), B: await seedTenant(api, 'B') };
  });
  after(async () => server?.stop());

  it('covers every kind of bad input the issue names, each with a code from the catalogue and its documented status', () => {
    const codes = new Set(CASES.map((c) => c.code));
    for (const code of [
      'SB_ERR_MALFORMED_JSON', 'SB_ERR_VALIDATION', 'SB_ERR_CONVERSATION_NOT_FOUND', 'SB_ERR_BODY_TOO_LARGE', 'SB_ERR_UNSUPPORTED_MEDIA_TYPE',
      'SB_ERR_ILLEGAL_TRANSITION', 'SB_ERR_IDEMPOTENCY_CONFLICT', 'SB_ERR_INVALID_CONTEXT', 'SB_ERR_CONVERSATION_CLOSED', 'SB_ERR_INVALID_CURSOR',
      'SB_ERR_NOT_ALLOWED_VISIBILITY',
    ] as const) assert.ok(codes.has(code), `a case for ${code}`);
    assert.ok(CASES.some((c) => c.crossTenant), 'cross-tenant cases');
    for (const c of CASES) {
      assert.ok(c.code in ERROR_CODES, `${c.name}: ${c.code} is in the catalogue`);
      assert.equal(ERROR_STATUS[c.code], c.status, `${c.name}: ${c.code} maps to ${c.status}`);
    }
    assert.equal(new Set(CASES.map((c) => c.name)).size, CASES.length, 'case names are unique');
  });

  for (const c of CASES) {
    it(`${c.name} -> ${c.status} ${c.code}`, async () => {
      const request = c.request(fixtures);
      const before = snapshotSqlite(server.dbPath!);
      const reply = await api.call(request.method, request.url, request.payload, request.headers);
      assert.equal(reply.status, c.status, `answered ${reply.status}: ${JSON.stringify(reply.body).slice(0, 300)}`);
      assertErrorBody(reply.body, c.code);
      assert.match(String(reply.headers['content-type']), /^application\/json/);
      assert.equal((reply.body as { error: { errorId?: string } }).error.errorId, undefined, 'a 4xx carries no errorId');
      if (c.crossTenant) {
        assert.ok(!JSON.stringify(reply.body).includes(fixtures.B.tenantId), 'nothing of the other tenant comes back');
      }
      assert.equal(snapshotSqlite(server.dbPath!), before, 'the database is unchanged');
    });
  }

  it('sets neither variable of a patch with one good and one bad variable', async () => {
    const path = `${conv(fixtures.A)}/context`;
    const reply = await api.call('PATCH', path, { good: { type: 'string', value: 'ok' }, bad: { type: 'number', value: 'nope' } });
    assert.equal(reply.status, 400);
    assertErrorBody(reply.body, 'SB_ERR_INVALID_CONTEXT');
    assert.match(reply.body.error.message, /"bad"/, 'the message names the bad variable');
    const context = await api.ok('GET', path, 200);
    assert.deepEqual(context.items, [{ name: 'order.id', type: 'string', value: 'A-1' }]);
  });

  it("never returns another tenant's data through list filters", async () => {
    const { A, B } = fixtures;
    const events = await api.ok('GET', `${tenant(A)}/events?conversationId=${B.conversationId}`, 200);
    assert.deepEqual(events.items, []);
    const conversations = await api.ok('GET', `${tenant(A)}/conversations?contactId=${B.contactId}`, 200);
    assert.deepEqual(conversations.items, []);
    const byChannel = await api.ok('GET', `${tenant(A)}/conversations?channelId=${B.channelId}`, 200);
    assert.deepEqual(byChannel.items, []);
  });

  it('keeps serving correct requests after all of the above', async () => {
    const { A } = fixtures;
    const message = await api.ok('POST', `${conv(A)}/messages`, 201, say('still here'));
    assert.equal(message.seq, 2, 'no rejected request used up a sequence number');
  });
});

describe('unexpected failures: 5xx with an errorId that is in the log', () => {
  let sb: Switchboard | undefined;
  let dir: string;
  const logLines: string[] = [];

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'sb-5xx-'));
    const config = loadConfig({ SWITCHBOARD_DATA_DIR: dir, SWITCHBOARD_LOG_LEVEL: 'error' }, dir);
    sb = await assemble(config, { logger: createLogger('error', { write: (line: string) => void logLines.push(line) }) });
  });
  after(async () => {
    await sb?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('answers 500 SB_ERR_INTERNAL with an errorId, logged with the error, when the database is gone', async () => {
    const key = await createAdminApiKey(sb!.deps, 'test');
    const api = client(sb!.app, { authorization: `Bearer ${key.token}` });
    const tenant = await api.ok('POST', '/v1/tenants', 201, { name: 'Doomed' });

    // Deterministic fault: the storage is closed under the running server.
    await sb!.deps.storage.close();
    const reply = await api.call('GET', `/v1/tenants/${tenant.id}/conversations`);
    assert.equal(reply.status, 500);
    assertErrorBody(reply.body, 'SB_ERR_INTERNAL');
    const { errorId, message } = (reply.body as { error: { errorId: string; message: string } }).error;
    assert.match(errorId, /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);
    assert.doesNotMatch(message, /database|sqlite|not open/i, 'the internal cause is not shown to the client');

    const logged = logLines.map((line) => JSON.parse(line) as { errorId?: string; level: number; err?: { message?: string } }).find((l) => l.errorId === errorId);
    assert.ok(logged, `the log has an entry with errorId ${errorId}`);
    assert.ok(logged.level >= 50, 'logged as an error');
    assert.ok(logged.err?.message, 'with the underlying error');

    const ready = await api.call('GET', '/readyz');
    assert.equal(ready.status, 503);
    assertErrorBody(ready.body, 'SB_ERR_UNAVAILABLE');
    assert.equal(ready.headers['retry-after'], '5');
  });
});
