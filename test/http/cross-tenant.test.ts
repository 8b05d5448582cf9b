// Strict tenant isolation (issue 4): tenant B's callers probe every route of the OpenAPI document
// with tenant A's ids. Each probe must answer exactly as if the ids had never existed (404, the
// same error as for a fresh id), carry none of A's data, and change nothing in A. The routes come
// from the document, not from a list here, so a new route is probed as soon as it is documented;
// one with a path parameter this file cannot fill fails the walk until a fixture is added.
//
// Callers of B: an application token (client credentials, every tenant permission consented), a
// delegated token (authorization code + PKCE for B's administrator, every scope) and a signed-in
// administrator session (cookie + X-CSRF-Token). API keys are not a caller kind here: the only
// keys are the platform administrator's bootstrap keys (src/app/api-key-authenticator.ts gives
// every key `tenants: 'all'`), so there is no tenant-scoped key to restrict to B.
import assert from 'node:assert/strict';
import { createHash, randomBytes, randomUUID, webcrypto } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import Database from 'better-sqlite3';
import { SignJWT } from 'jose';
import pg from 'pg';
import type WebSocket from 'ws';
import { SYSTEM_CALLER } from '../../src/app/caller.js';
import type { ErrorCode } from '../../src/app/errors.js';
import { registerApp } from '../../src/app/identity/app-registrations.js';
import { grantConsent } from '../../src/app/identity/consent.js';
import { ManualClock } from '../../src/app/ports/fakes/manual-clock.js';
import { ManualScheduler } from '../../src/app/ports/fakes/manual-scheduler.js';
import { TENANT_PERMISSIONS } from '../../src/core/identity/permissions.js';
import { ERROR_STATUS } from '../../src/server/http/error-status.js';
import { postgresSkip } from '../support/postgres.js';
import { startTestServer, type TestServer } from '../support/test-server.js';
import { assertErrorBody, client, seedTenant, type Client, type Method, type Reply } from './http-helpers.js';
import { clientCredentialsToken, confidentialApp, postToken, type OAuthServer, type TokenReply } from './oauth-fixtures.js';

const PASSWORD = 'correct horse battery staple';
const REDIRECT = 'http://127.0.0.1:8400/callback';
const BASE = '/v1/tenants/{tenantId}';

// ---- the two tenants ------------------------------------------------------------------------

/** Every id a route can name, of one tenant. */
interface Ids {
  tenantId: string;
  channelId: string;
  contactId: string;
  agentId: string;
  botAgentId: string;
  queueId: string;
  conversationId: string;
  participantId: string;
  closedConversationId: string;
  pickQueueId: string;
  workstreamId: string;
  pickWorkstreamId: string;
  offeredConversationId: string;
  offerId: string;
  activeConversationId: string;
  waitingConversationId: string;
  adminUserId: string;
  userId: string;
  groupId: string;
  roleId: string;
  assignmentId: string;
  appId: string;
  clientId: string;
  secretId: string;
  certificateId: string;
  consentId: string;
  directLineSecretId: string;
  quickReplyId: string;
  /** Not an id but a name routes refer to (agent skills, workstream requirements). */
  skillName: string;
}

interface TenantWorld {
  readonly ids: Ids;
  /** A word in every name, e-mail address, skill and URI of the tenant: it must never reach the other tenant. */
  readonly marker: string;
  /** Values besides ids that must never reach the other tenant (the client secret, the certificate thumbprint). */
  readonly secrets: readonly string[];
  readonly adminEmail: string;
  /** The private half of the certificate of the tenant's CRM app, for client assertions. */
  readonly crmKey: CryptoKey;
}

async function rsaKeyPair(): Promise<{ privateKey: CryptoKey; jwk: JsonWebKey }> {
  const pair = await webcrypto.subtle.generateKey(
    { name: 'RSASSA-PKCS1-v1_5', modulusLength: 2048, publicExponent: new Uint8Array([1, 0, 1]), hash: 'SHA-256' }, true, ['sign', 'verify'],
  ) as CryptoKeyPair;
  const jwk = await webcrypto.subtle.exportKey('jwk', pair.publicKey);
  return { privateKey: pair.privateKey, jwk: { kty: jwk.kty, n: jwk.n, e: jwk.e } };
}

/**
 * A tenant with one of everything that has an id in a route, made through the API with the
 * platform key: seedTenant's directory and conversations, then routing (skills, workstreams, a
 * pending offer, a conversation waiting in pick mode), people (an administrator with a password, an
 * agent user, a group, a custom role, an assignment), single sign-on settings, an app with a secret, a certificate and
 * consent, and a live session of the administrator (so a probe that ended A's sessions would show).
 */
async function seedWorld(sb: TestServer, admin: Client, name: string, crmUrl: string): Promise<TenantWorld> {
  const marker = name.toLowerCase();
  const f = await seedTenant(admin, name);
  const t = `/v1/tenants/${f.tenantId}`;
  // A second contact, so the contact list pages (its cursor is probed on B's list).
  await admin.ok('POST', `${t}/contacts`, 201, { displayName: `${name} second customer` });
  await admin.ok('POST', `${t}/skills`, 201, { name: `${marker}-billing` });
  await admin.ok('PATCH', `${t}/agents/${f.agentId}`, 200, { skills: { [`${marker}-billing`]: 5 } });
  const pickQueue = await admin.ok('POST', `${t}/queues`, 201, { name: `${name} pick queue`, memberIds: [f.agentId] });
  const ws = await admin.ok('POST', `${t}/workstreams`, 201, { name: `${name} chat`, channelTypes: ['webchat'], fallbackQueueId: f.queueId });
  const pickWs = await admin.ok('POST', `${t}/workstreams`, 201, { name: `${name} pick`, channelTypes: ['email'], fallbackQueueId: pickQueue.id, mode: 'pick' });
  await admin.ok('PUT', `${t}/agents/${f.agentId}/presence`, 200, { presence: 'available' });
  const offered = await admin.ok('POST', `${t}/conversations`, 201, { channelId: f.channelId, contactId: f.contactId });
  assert.equal((await admin.ok('POST', `${t}/conversations/${offered.id}/route`, 200, { workstreamId: ws.id })).status, 'offered');
  const offer = (await admin.ok('GET', `${t}/agents/${f.agentId}/offers?status=pending`, 200)).items[0];
  assert.ok(offer, 'the routed conversation is offered to the agent');
  // A second one, accepted: an active conversation (transfer and consult need one).
  const active = await admin.ok('POST', `${t}/conversations`, 201, { channelId: f.channelId, contactId: f.contactId });
  await admin.ok('POST', `${t}/conversations/${active.id}/route`, 200, { workstreamId: ws.id });
  const second = (await admin.ok('GET', `${t}/agents/${f.agentId}/offers?status=pending`, 200)).items.find((o: { conversationId: string }) => o.conversationId === active.id);
  await admin.ok('POST', `${t}/agents/${f.agentId}/offers/${second.id}/accept`, 200);
  const waiting = await admin.ok('POST', `${t}/conversations`, 201, { channelId: f.channelId, contactId: f.contactId });
  assert.equal((await admin.ok('POST', `${t}/conversations/${waiting.id}/route`, 200, { workstreamId: pickWs.id })).status, 'waiting');

  const adminEmail = `admin@${marker}.example`;
  const adminUser = await admin.ok('POST', `${t}/users`, 201, { email: adminEmail, displayName: `${name} Admin`, password: PASSWORD, roles: [{ role: 'administrator' }] });
  const agentUser = await admin.ok('POST', `${t}/users`, 201, { email: `agent@${marker}.example`, displayName: `${name} Agent`, agentId: f.agentId, roles: [{ role: 'agent' }] });
  const group = await admin.ok('POST', `${t}/groups`, 201, { name: `${name} supervisors`, externalId: `${marker}-supervisors` });
  await admin.ok('POST', `${t}/groups/${group.id}/members`, 204, { userId: agentUser.id });
  const role = await admin.ok('POST', `${t}/roles`, 201, { name: `${name} readers`, permissions: ['conversations.read'] });
  const assignment = await admin.ok('POST', `${t}/role-assignments`, 201, { principalType: 'group', principalId: group.id, role: 'supervisor', queueIds: [f.queueId] });

  const app = await admin.ok('POST', `${t}/apps`, 201, { name: `${name} CRM`, applicationPermissions: ['conversations.read'], redirectUris: [`https://${marker}.example/callback`] });
  const secret = await admin.ok('POST', `${t}/apps/${app.id}/secrets`, 201, { description: `${name} secret` });
  const crm = await rsaKeyPair();
  const certificate = await admin.ok('POST', `${t}/apps/${app.id}/certificates`, 201, { key: crm.jwk, description: `${name} certificate` });
  const consent = await admin.ok('POST', `${t}/enterprise-apps`, 201, { clientId: app.clientId });
  const ssoSecret = `${marker}-sso-secret-${randomBytes(8).toString('hex')}`;
  await admin.ok('PUT', `${t}/sso`, 200, { issuer: `https://idp.${marker}.example`, clientId: `${marker}-sso-client`, clientSecret: ssoSecret, roleMapping: { [`${marker}-admins`]: 'administrator' } });
  const dlSecret = await admin.ok('POST', `${t}/channels/${f.channelId}/directline-secrets`, 201);
  const quickReply = await admin.ok('POST', `${t}/queues/${f.queueId}/quick-replies`, 201, { title: `${name} greeting`, text: `Hello {{customer.name}} from ${name}` });
  const crmSecret = `${marker}-crm-key-${randomBytes(8).toString('hex')}`;
  await admin.ok('PUT', `${t}/crm-lookup`, 200, { url: `${crmUrl}/${marker}`, headers: { 'x-api-key': crmSecret } });
  // Two survey answers (the list pages, so its cursor is probed on B's list).
  await sb.deps.storage.transaction(async (tx) => {
    for (const [conversationId, rating] of [[f.conversationId, 5], [f.closedConversationId, 2]] as const) {
      await tx.webchat.insertSurvey({ conversationId, tenantId: f.tenantId, channelId: f.channelId, rating, comment: `${marker} survey`, createdAt: new Date().toISOString() });
    }
  });
  // The bot agent registered with the Bot Framework channel, disconnected so nothing is sent to it.
  await admin.ok('POST', `${t}/bots`, 201, { agentId: f.botAgentId, messagingEndpoint: `https://${marker}.example/api/messages`, state: 'disconnected' });
  await signIn(sb, f.tenantId, adminEmail);

  return {
    marker, adminEmail, crmKey: crm.privateKey, secrets: [secret.value, certificate.thumbprint, ssoSecret, dlSecret.value, crmSecret],
    ids: {
      ...f, pickQueueId: pickQueue.id, workstreamId: ws.id, pickWorkstreamId: pickWs.id, offeredConversationId: offered.id, offerId: offer.id, activeConversationId: active.id,
      waitingConversationId: waiting.id, adminUserId: adminUser.id, userId: agentUser.id, groupId: group.id, roleId: role.id,
      assignmentId: assignment.id, appId: app.id, clientId: app.clientId, secretId: secret.id, certificateId: certificate.id, consentId: consent.id,
      directLineSecretId: dlSecret.id, quickReplyId: quickReply.id, skillName: `${marker}-billing`,
    },
  };
}

interface Session {
  readonly cookie: string;
  readonly csrfToken: string;
}

async function signIn(sb: TestServer, tenantId: string, email: string, password = PASSWORD): Promise<Session> {
  const res = await sb.app.inject({ method: 'POST', url: '/v1/auth/password', headers: { 'content-type': 'application/json' }, payload: JSON.stringify({ tenantId, email, password }) });
  assert.equal(res.statusCode, 200, res.body);
  const raw = res.headers['set-cookie'];
  const cookie = (Array.isArray(raw) ? raw : raw ? [raw] : []).find((c) => c.startsWith('sb_session='))?.split(';')[0];
  assert.ok(cookie, 'the sign-in sets the session cookie');
  return { cookie, csrfToken: JSON.parse(res.body).csrfToken };
}

// ---- B's callers ----------------------------------------------------------------------------

interface Caller {
  readonly kind: string;
  readonly headers: Record<string, string>;
  readonly api: Client;
}

interface Callers {
  readonly all: readonly Caller[];
  /** B's public, multi-tenant app for the delegated flow, and an unredeemed authorization code of B. */
  readonly delegatedClientId: string;
  readonly spareCode: { code: string; verifier: string };
  readonly refreshToken: string;
  readonly opsApp: { clientId: string; secret: string };
}

function pkce(): { verifier: string; challenge: string } {
  const verifier = randomBytes(32).toString('base64url');
  return { verifier, challenge: createHash('sha256').update(verifier).digest('base64url') };
}

async function authorizationCode(sb: TestServer, tenantId: string, clientId: string, cookie: string, scope: string): Promise<{ code: string; verifier: string }> {
  const { verifier, challenge } = pkce();
  const query = new URLSearchParams({
    client_id: clientId, redirect_uri: REDIRECT, response_type: 'code', scope, state: 's', code_challenge: challenge, code_challenge_method: 'S256',
  });
  const res = await sb.app.inject({ method: 'GET', url: `/login/${tenantId}/oauth2/v2.0/authorize?${query}`, headers: { cookie } });
  assert.equal(res.statusCode, 302, res.body);
  const code = new URL(String(res.headers.location)).searchParams.get('code');
  assert.ok(code, `authorize answered ${String(res.headers.location)}`);
  return { code, verifier };
}

async function makeCallers(sb: TestServer, oauth: OAuthServer, b: TenantWorld): Promise<Callers> {
  const tenantId = b.ids.tenantId;
  const ops = await confidentialApp(oauth, tenantId, { name: `${b.marker} operations`, applicationPermissions: [...TENANT_PERMISSIONS] });
  const appToken = await clientCredentialsToken(oauth, tenantId, ops);

  const session = await signIn(sb, tenantId, b.adminEmail);
  const delegated = await registerApp(sb.identity, SYSTEM_CALLER, tenantId, {
    name: `${b.marker} console`, accountType: 'multi-tenant', publicClient: true, redirectUris: [REDIRECT], delegatedScopes: [...TENANT_PERMISSIONS],
  });
  await grantConsent(sb.identity, SYSTEM_CALLER, tenantId, delegated.clientId);
  const scope = ['openid', 'offline_access', ...TENANT_PERMISSIONS].join(' ');
  const first = await authorizationCode(sb, tenantId, delegated.clientId, session.cookie, scope);
  const redeemed = await postToken(oauth, tenantId, { grant_type: 'authorization_code', code: first.code, redirect_uri: REDIRECT, client_id: delegated.clientId, code_verifier: first.verifier });
  assert.equal(redeemed.status, 200, JSON.stringify(redeemed.body));
  const spareCode = await authorizationCode(sb, tenantId, delegated.clientId, session.cookie, scope);

  const bearer = (token: string) => ({ authorization: `Bearer ${token}` });
  const all = [
    { kind: 'application token', headers: bearer(appToken) },
    { kind: 'delegated token', headers: bearer(redeemed.body.access_token) },
    { kind: 'administrator session', headers: { cookie: session.cookie, 'x-csrf-token': session.csrfToken } },
  ].map((c) => ({ ...c, api: client(sb.app, c.headers) }));
  // The callers really are B's administrators: each reads B and may write there.
  for (const caller of all) {
    assert.equal((await caller.api.ok('GET', `/v1/tenants/${tenantId}`, 200)).id, tenantId, caller.kind);
    await caller.api.ok('POST', `/v1/tenants/${tenantId}/contacts`, 201, { displayName: `${b.marker} contact by ${caller.kind}` });
  }
  return { all, delegatedClientId: delegated.clientId, spareCode, refreshToken: redeemed.body.refresh_token, opsApp: { clientId: ops.app.clientId, secret: ops.secret } };
}

// ---- the OpenAPI document -------------------------------------------------------------------

type Schema = Record<string, any>;

interface Operation {
  readonly method: Method;
  readonly path: string;
  /** `METHOD path` with the tenant prefix shortened to `~`: the key of the tables below. */
  readonly key: string;
  readonly isPublic: boolean;
  readonly query: readonly string[];
  readonly body: Schema | undefined;
}

async function operations(sb: TestServer): Promise<Operation[]> {
  const res = await sb.app.inject({ method: 'GET', url: '/openapi.json' });
  assert.equal(res.statusCode, 200);
  const doc = res.json() as { paths: Record<string, Record<string, Schema>> };
  const found: Operation[] = [];
  for (const [path, methods] of Object.entries(doc.paths)) {
    for (const [method, op] of Object.entries(methods)) {
      if (!['get', 'post', 'put', 'patch', 'delete'].includes(method)) continue;
      const upper = method.toUpperCase() as Method;
      found.push({
        method: upper, path, key: `${upper} ${path.replace(BASE, '~')}`,
        isPublic: Array.isArray(op.security) && op.security.length === 0,
        query: (op.parameters ?? []).filter((p: Schema) => p.in === 'query').map((p: Schema) => p.name as string),
        body: op.requestBody?.content?.['application/json']?.schema,
      });
    }
  }
  return found;
}

/** Which fixture id fills `{param}` after a path segment. A new route with a new pair fails the walk until it is added here. */
const PATH_IDS: Record<string, keyof Ids> = {
  'tenants/{tenantId}': 'tenantId',
  'login/{tenantId}': 'tenantId',
  'channels/{id}': 'channelId',
  'contacts/{id}': 'contactId',
  'agents/{id}': 'agentId',
  'agents/{agentId}': 'agentId',
  'offers/{offerId}': 'offerId',
  'queues/{id}': 'queueId',
  'members/{agentId}': 'agentId',
  'waiting/{conversationId}': 'waitingConversationId',
  'conversations/{conversationId}': 'conversationId',
  'participants/{participantId}': 'participantId',
  'workstreams/{id}': 'workstreamId',
  'users/{id}': 'userId',
  'groups/{id}': 'groupId',
  'members/{userId}': 'userId',
  'roles/{id}': 'roleId',
  'role-assignments/{id}': 'assignmentId',
  'apps/{id}': 'appId',
  'secrets/{credentialId}': 'secretId',
  'certificates/{credentialId}': 'certificateId',
  'enterprise-apps/{id}': 'appId',
  'directline-secrets/{secretId}': 'directLineSecretId',
  'bots/{id}': 'botAgentId',
  'quick-replies/{replyId}': 'quickReplyId',
  'assist-bots/{botId}': 'botAgentId',
};

/** The path parameters of a path in order, each with the fixture that fills it (undefined: none yet). */
function pathParams(path: string): { slot: string; fixture: keyof Ids | undefined }[] {
  const segments = path.split('/');
  const params: { slot: string; fixture: keyof Ids | undefined }[] = [];
  segments.forEach((segment, i) => {
    if (!segment.startsWith('{')) return;
    const slot = `${segments[i - 1]}/${segment}`;
    params.push({ slot, fixture: PATH_IDS[slot] });
  });
  return params;
}

function fillPath(path: string, values: readonly string[]): string {
  let i = 0;
  return path.replace(/\{[^}]+\}/g, () => encodeURIComponent(values[i++]!));
}

// ---- request bodies -------------------------------------------------------------------------

/**
 * A valid body per route, naming the ids of the tenant being probed (A's) wherever the body refers
 * to something: the request A's own administrator could have sent. Routes missing here get a
 * minimal body built from their schema; either way a 400 shows the body needs fixing here.
 */
const BODIES: Record<string, (ids: Ids, probeKey: JsonWebKey) => unknown> = {
  'POST /v1/tenants': () => ({ name: 'Probe tenant' }),
  'POST ~/channels': () => ({ type: 'webchat', name: 'Probe chat' }),
  'PATCH ~/channels/{id}': () => ({ name: 'Probed chat', config: { title: 'Probed' } }),
  'POST ~/contacts': () => ({ displayName: 'Probe contact' }),
  'POST ~/agents': (ids) => ({ kind: 'bot', displayName: 'Probe bot', appId: ids.appId }),
  'PATCH ~/agents/{id}': () => ({ capacity: 9, displayName: 'Probed' }),
  'PUT ~/agents/{id}/presence': () => ({ presence: 'offline' }),
  'POST ~/queues': (ids) => ({ name: 'Probe queue', memberIds: [ids.agentId] }),
  'PATCH ~/queues/{id}': () => ({ priority: 42 }),
  'POST ~/queues/{id}/members': (ids) => ({ agentId: ids.botAgentId }),
  'POST ~/queues/{id}/waiting/{conversationId}/pick': (ids) => ({ agentId: ids.agentId }),
  'POST ~/conversations': (ids) => ({ channelId: ids.channelId, contactId: ids.contactId, queueId: ids.queueId }),
  'POST ~/conversations/{conversationId}/state': () => ({ to: 'closed' }),
  'POST ~/conversations/{conversationId}/participants': (ids) => ({ role: 'agent', agentId: ids.agentId }),
  'POST ~/conversations/{conversationId}/messages': () => ({ senderRole: 'customer', text: 'probe' }),
  'POST ~/conversations/{conversationId}/whisper': () => ({ text: 'probe whisper' }),
  'POST ~/conversations/{conversationId}/barge': () => ({}),
  'PATCH ~/conversations/{conversationId}/context': () => ({ 'order.id': { type: 'string', value: 'probe' } }),
  'POST ~/conversations/{conversationId}/route': (ids) => ({ workstreamId: ids.workstreamId }),
  'POST ~/conversations/{conversationId}/transfer': (ids) => ({ queueId: ids.pickQueueId, reason: 'probe' }),
  'POST ~/conversations/{conversationId}/consult': (ids) => ({ agentId: ids.agentId }),
  'POST ~/conversations/{conversationId}/assist-bots': (ids) => ({ botId: ids.botAgentId }),
  'POST ~/conversations/{conversationId}/typing': (ids) => ({ agentId: ids.agentId }),
  'POST ~/agents/{agentId}/offers/{offerId}/reject': () => ({ reason: 'probe' }),
  'POST ~/skills': () => ({ name: 'probe-skill' }),
  'POST ~/workstreams': (ids) => ({ name: 'Probe workstream', channelTypes: ['sms'], fallbackQueueId: ids.queueId }),
  'PUT ~/workstreams/{id}': (ids) => ({ name: 'Probe workstream', channelTypes: ['webchat'], fallbackQueueId: ids.pickQueueId }),
  'POST ~/routing/simulate': (ids) => ({ workstreamId: ids.workstreamId, channelType: 'webchat' }),
  'POST ~/users': (ids) => ({ email: 'probe@probe.example', displayName: 'Probe', agentId: ids.botAgentId, roles: [{ role: 'supervisor', queueIds: [ids.queueId] }] }),
  'PATCH ~/users/{id}': () => ({ status: 'disabled' }),
  'PUT ~/users/{id}/password': () => ({ password: 'another long probe password' }),
  'POST ~/groups': () => ({ name: 'Probe group' }),
  'POST ~/groups/{id}/members': (ids) => ({ userId: ids.adminUserId }),
  'POST ~/roles': () => ({ name: 'Probe role', permissions: ['conversations.read'] }),
  'POST ~/role-assignments': (ids) => ({ principalType: 'user', principalId: ids.userId, role: ids.roleId }),
  'POST ~/apps': () => ({ name: 'Probe app' }),
  'PATCH ~/apps/{id}': () => ({ name: 'Probed app', applicationPermissions: ['users.write'] }),
  'POST ~/apps/{id}/secrets': () => ({ description: 'probe' }),
  'POST ~/apps/{id}/certificates': (_ids, key) => ({ key, description: 'probe' }),
  'POST ~/enterprise-apps': (ids) => ({ clientId: ids.clientId }),
  'POST ~/bots': () => ({ displayName: 'Probe bot', messagingEndpoint: 'https://probe.example/api/messages' }),
  'PATCH ~/bots/{id}': () => ({ messagingEndpoint: 'https://probe.example/probed', escalatePhrases: { en: ['probe'] } }),
  'POST ~/queues/{id}/quick-replies': () => ({ title: 'Probe reply', text: 'Probe {{agent.name}}' }),
  'PATCH ~/queues/{id}/quick-replies/{replyId}': () => ({ title: 'Probed reply' }),
  'POST ~/conversations/{conversationId}/wrap-up': () => ({ notes: 'probe' }),
  'PUT ~/crm-lookup': () => ({ url: 'https://probe.example/lookup', headers: { 'x-api-key': 'probe' }, timeoutMs: 1000 }),
  'PUT ~/sso': () => ({ issuer: 'https://idp.probe.example', clientId: 'probe', clientSecret: 'probe-secret', autoProvision: true }),
};

/** The smallest value a schema accepts, for routes without a body above (new routes). */
function minimal(schema: Schema): unknown {
  if (schema.anyOf) return minimal(schema.anyOf[0]);
  if (schema.enum) return schema.enum[0];
  if (schema.const !== undefined) return schema.const;
  switch (schema.type) {
    case 'object': {
      const out: Record<string, unknown> = {};
      for (const name of schema.required ?? []) out[name] = minimal(schema.properties?.[name] ?? {});
      return out;
    }
    case 'array': return Array.from({ length: schema.minItems ?? 0 }, () => minimal(schema.items ?? {}));
    case 'string': {
      if (schema.format === 'date-time') return new Date(Date.now() + 86_400_000).toISOString();
      if (schema.format === 'uri') return 'https://probe.example/';
      return 'probe_x'.padEnd(schema.minLength ?? 1, 'x');
    }
    case 'integer':
    case 'number': return schema.minimum ?? 1;
    case 'boolean': return false;
    default: return {};
  }
}

function bodyFor(op: Operation, ids: Ids, probeKey: JsonWebKey): unknown {
  const make = BODIES[op.key];
  if (make) return make(ids, probeKey);
  if (op.body) return minimal(op.body);
  return op.method === 'GET' || op.method === 'DELETE' ? undefined : {};
}

// ---- what a probe may answer ----------------------------------------------------------------

interface Probe {
  readonly method: Method;
  readonly url: string;
  readonly body: unknown;
  /** 404 unless the app reports the unknown reference as invalid input (an unknown skill name or overflow queue is a 400). */
  readonly status?: number;
}

/** Every string of A that must not reach B: ids, secrets and the marker word of its names. */
function forbiddenOf(a: TenantWorld): { ids: string[]; secrets: readonly string[]; marker: string } {
  return { ids: Object.values(a.ids), secrets: a.secrets, marker: a.marker };
}

/**
 * The response must carry nothing of A. An id the request itself named may come back in an error
 * message (it tells the caller nothing it did not send); any other id of A, a secret or a name
 * (every name of A holds its marker word) is a leak.
 */
function assertNothingOf(a: TenantWorld, reply: { body: unknown; headers: Record<string, unknown> }, sent: string, context: string): void {
  const text = `${typeof reply.body === 'string' ? reply.body : JSON.stringify(reply.body)} ${JSON.stringify(reply.headers)}`;
  const forbidden = forbiddenOf(a);
  if (!sent.toLowerCase().includes(forbidden.marker)) {
    assert.ok(!text.toLowerCase().includes(forbidden.marker), `${context}: the response names something of tenant A: ${text.slice(0, 400)}`);
  }
  for (const secret of forbidden.secrets) assert.ok(!text.includes(secret), `${context}: the response holds a secret of tenant A`);
  for (const id of forbidden.ids) {
    if (!sent.includes(id)) assert.ok(!text.includes(id), `${context}: the response holds A's id ${id}: ${text.slice(0, 400)}`);
  }
}

/** A's ids mapped to ids of the same shape that never existed, for the "exactly like missing" comparison. */
function missingIds(a: TenantWorld): Map<string, string> {
  const map = new Map<string, string>();
  for (const id of Object.values(a.ids)) {
    const cut = id.indexOf('_');
    // Same prefix and length, random rest: distinct for every id, so the answer can be mapped back.
    const rest = randomBytes(32).toString('hex').toUpperCase().slice(0, Math.max(8, id.length - cut - 1));
    map.set(id, /^[0-9a-f-]{36}$/.test(id) ? randomUUID() : `${id.slice(0, cut + 1)}${rest}`);
  }
  return map;
}

function replaceAll(text: string, map: ReadonlyMap<string, string>): string {
  let out = text;
  // Longest first, so an id that contains another is replaced whole.
  for (const [from, to] of [...map].sort((x, y) => y[0].length - x[0].length)) out = out.split(from).join(to);
  return out;
}

/** Every string and number in a value, for checking that error details only echo the request. */
function leaves(value: unknown): string[] {
  if (value === undefined || value === null) return [];
  if (typeof value === 'string' || typeof value === 'number') return [String(value)];
  if (typeof value === 'object') return Object.values(value as Record<string, unknown>).flatMap(leaves);
  return [];
}

function send(caller: Caller, probe: Probe): Promise<Reply> {
  return caller.api.call(probe.method, probe.url, probe.body);
}

/**
 * The probe answers 404 with an error body, nothing of A, and exactly what the same request with
 * never-existing ids answers: a caller of B cannot tell A's ids from made-up ones.
 */
async function assertHidden(caller: Caller, a: TenantWorld, missing: ReadonlyMap<string, string>, probe: Probe, context: string): Promise<void> {
  const reply = await send(caller, probe);
  const sent = `${probe.url} ${JSON.stringify(probe.body ?? null)}`;
  assert.equal(reply.status, probe.status ?? 404, `${context}: answered ${reply.status} ${JSON.stringify(reply.body).slice(0, 300)}`);
  assertErrorBody(reply.body, (reply.body as { error?: { code?: string } })?.error?.code ?? '?');
  // A route the filled path does not reach would answer 404 too, proving nothing.
  assert.notEqual(reply.body.error.code, 'SB_ERR_ROUTE_NOT_FOUND', `${context}: the probe missed the route`);
  // Exactly code and message; `details` only where it repeats what the request itself sent (a rule naming the body's queue id).
  const { code: _code, message: _message, details, ...rest } = reply.body.error as Record<string, unknown>;
  assert.deepEqual(rest, {}, `${context}: ${JSON.stringify(reply.body)}`);
  for (const leaf of leaves(details)) assert.ok(sent.includes(leaf), `${context}: details hold ${leaf}, which the request did not send`);
  assertNothingOf(a, reply, sent, context);

  const unknown: Probe = { method: probe.method, url: replaceAll(probe.url, missing), body: probe.body === undefined ? undefined : JSON.parse(replaceAll(JSON.stringify(probe.body), missing)) };
  const control = await send(caller, unknown);
  const back = new Map([...missing].map(([id, fake]) => [fake, id]));
  assert.equal(control.status, reply.status, `${context}: never-existing ids answer ${control.status}, A's ${reply.status}`);
  assert.deepEqual(JSON.parse(replaceAll(JSON.stringify(control.body), back)), reply.body, `${context}: A's ids answer differently from never-existing ones`);
}

// ---- A's rows, before and after --------------------------------------------------------------

/** Tables that hold no tenant's rows: platform keys and bookkeeping (one_time_keys: client assertion ids seen, against replay). */
const PLATFORM_TABLES = new Set(['api_keys', 'signing_keys', 'server_secrets', 'schema_migrations', 'one_time_keys']);

type Rows = Record<string, string[]>;

/**
 * Every row of the tenant in every table, read straight from the database (SQLite file or the
 * PostgreSQL schema of the test server): rows are compared as JSON, sorted, per table. A table with
 * neither a tenant_id column nor a place in PLATFORM_TABLES fails, so it cannot escape the check.
 */
async function tenantRows(sb: TestServer, tenantId: string): Promise<Rows> {
  const out: Rows = {};
  const add = (table: string, rows: unknown[]) => {
    out[table] = rows.map((r) => JSON.stringify(r)).sort();
  };
  const database = sb.config.database;
  if (database.kind === 'sqlite') {
    const db = new Database(database.path, { readonly: true });
    try {
      const tables = db.prepare("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name").all() as { name: string }[];
      for (const { name } of tables) {
        const columns = (db.prepare(`PRAGMA table_info("${name}")`).all() as { name: string }[]).map((c) => c.name);
        if (name === 'tenants') add(name, db.prepare('SELECT * FROM tenants WHERE id = ?').all(tenantId));
        else if (columns.includes('tenant_id')) add(name, db.prepare(`SELECT * FROM "${name}" WHERE tenant_id = ?`).all(tenantId));
        else assert.ok(PLATFORM_TABLES.has(name), `table ${name} has no tenant_id: add it to PLATFORM_TABLES if it holds no tenant's data`);
      }
    } finally {
      db.close();
    }
    return out;
  }
  const pgClient = new pg.Client({ connectionString: database.url });
  await pgClient.connect();
  try {
    const schema = database.schema ?? 'public';
    const tables = await pgClient.query<{ table_name: string; has_tenant: boolean }>(
      `SELECT table_name, bool_or(column_name = 'tenant_id') AS has_tenant FROM information_schema.columns WHERE table_schema = $1 GROUP BY table_name ORDER BY table_name`, [schema],
    );
    for (const { table_name: name, has_tenant: hasTenant } of tables.rows) {
      const qualified = `"${schema}"."${name}"`;
      if (name === 'tenants') add(name, (await pgClient.query(`SELECT * FROM ${qualified} WHERE id = $1`, [tenantId])).rows);
      else if (hasTenant) add(name, (await pgClient.query(`SELECT * FROM ${qualified} WHERE tenant_id = $1`, [tenantId])).rows);
      else assert.ok(PLATFORM_TABLES.has(name), `table ${name} has no tenant_id: add it to PLATFORM_TABLES if it holds no tenant's data`);
    }
  } finally {
    await pgClient.end();
  }
  return out;
}

/** B's rows less what its callers' requests write anyway: audit entries and session bookkeeping. */
function withoutBookkeeping(rows: Rows): Rows {
  return Object.fromEntries(Object.entries(rows).filter(([table]) => table !== 'audit_log' && table !== 'sessions'));
}

/** The rows a step added to a table, and the rows it removed or changed. */
function rowDiff(before: Rows, now: Rows, table: string): { added: string[]; gone: string[] } {
  const was = new Set(before[table] ?? []);
  const is = new Set(now[table] ?? []);
  return { added: [...is].filter((r) => !was.has(r)), gone: [...was].filter((r) => !is.has(r)) };
}

// ---- the suite ------------------------------------------------------------------------------

for (const database of ['sqlite', 'postgres'] as const) {
  describe(`cross-tenant probes (${database})`, async () => {
    const skip = database === 'postgres' ? await postgresSkip() : false;
    let sb: TestServer;
    let oauth: OAuthServer;
    let a: TenantWorld;
    let b: TenantWorld;
    let callers: Callers;
    let ops: Operation[];
    let missing: Map<string, string>;
    let probeKey: JsonWebKey;
    let aBefore: Rows;
    let bBefore: Rows;
    let crm: Server | undefined;

    before(async () => {
      if (skip) return;
      // Routing timers (offer expiry) must not fire during the walk: A's rows would change by themselves.
      sb = await startTestServer({ database, overrides: { scheduler: new ManualScheduler(new ManualClock(Date.now())), signInRateLimit: 1000 } });
      const admin = client(sb.app, sb.auth);
      oauth = { sb, base: 'http://localhost', admin };
      // Both tenants' CRM lookups answer from loopback (the screen pop route reads through it).
      const crmServer = createServer((req, res) => {
        req.resume();
        req.on('end', () => res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ fields: [{ label: 'Plan', value: 'Gold' }] })));
      });
      crm = crmServer;
      await new Promise<void>((resolve) => crmServer.listen(0, '127.0.0.1', resolve));
      const crmUrl = `http://127.0.0.1:${(crmServer.address() as AddressInfo).port}`;
      a = await seedWorld(sb, admin, 'Aardvark', crmUrl);
      b = await seedWorld(sb, admin, 'Bluebird', crmUrl);
      callers = await makeCallers(sb, oauth, b);
      ops = await operations(sb);
      missing = missingIds(a);
      probeKey = (await rsaKeyPair()).jwk;
      aBefore = await tenantRows(sb, a.ids.tenantId);
      bBefore = withoutBookkeeping(await tenantRows(sb, b.ids.tenantId));
    });
    after(async () => {
      await sb?.stop();
      crm?.closeAllConnections();
      await new Promise((resolve) => (crm ? crm.close(resolve) : resolve(undefined)));
    });

    /**
     * A's rows are exactly as before: nothing B did reached them. B's too, but for its audit log
     * and sessions: the probes named B's own paths, and a refused one must not have half-happened.
     */
    async function assertUnchanged(context: string): Promise<void> {
      assert.deepEqual(await tenantRows(sb, a.ids.tenantId), aBefore, `${context}: tenant A's rows changed`);
      assert.deepEqual(withoutBookkeeping(await tenantRows(sb, b.ids.tenantId)), bBefore, `${context}: tenant B's rows changed`);
    }

    it('can fill every path parameter of the document (add a fixture to PATH_IDS otherwise)', { skip }, (t) => {
      t.diagnostic(`${ops.length} operations in the OpenAPI document, ${ops.filter((o) => o.isPublic).length} of them public`);
      const unfilled = ops.flatMap((op) => pathParams(op.path).filter((p) => p.fixture === undefined).map((p) => `${op.key} (${p.slot})`));
      assert.deepEqual(unfilled, [], 'path parameters without a fixture');
      const tenantOps = ops.filter((op) => op.path.startsWith(`${BASE}/`)).length;
      assert.ok(tenantOps >= 70, `only ${tenantOps} tenant operations in the document`);
      const generated = ops.filter((op) => op.body && !BODIES[op.key] && !op.isPublic).map((op) => op.key);
      if (generated.length > 0) t.diagnostic(`bodies built from the schema (add them to BODIES if a probe answers 400): ${generated.join(', ')}`);
    });

    it("reads B's own resources through every GET route without meeting anything of A", { skip }, async () => {
      for (const op of ops.filter((o) => o.method === 'GET' && !o.isPublic && o.path.startsWith(BASE))) {
        const url = fillPath(op.path, pathParams(op.path).map((p) => b.ids[p.fixture!]));
        for (const caller of callers.all) {
          const reply = await caller.api.call('GET', url);
          assert.equal(reply.status, 200, `${caller.kind} GET ${url}: ${reply.status} ${JSON.stringify(reply.body).slice(0, 300)}`);
          assertNothingOf(a, reply, '', `${caller.kind} GET ${url}`);
        }
      }
      await assertUnchanged("B's reads");
    });

    it("answers every route called with A's ids (tenant A, or tenant B with A's resources) 404, exactly like never-existing ids", { skip }, async (t) => {
      let probes = 0;
      const walked = ops.filter((o) => !o.isPublic && o.path.startsWith(BASE));
      for (const op of walked) {
        const params = pathParams(op.path);
        const resources = params.slice(1).map((p) => p.fixture!);
        const body = bodyFor(op, a.ids, probeKey);
        // Tenant A with A's resources; then tenant B with its own leading resources and A's for the rest.
        const variants: string[][] = [[a.ids.tenantId, ...resources.map((r) => a.ids[r])]];
        for (let own = 0; own < resources.length; own++) {
          variants.push([b.ids.tenantId, ...resources.map((r, i) => (i < own ? b.ids[r] : a.ids[r]))]);
        }
        for (const values of variants) {
          const probe: Probe = { method: op.method, url: fillPath(op.path, values), body };
          for (const caller of callers.all) {
            await assertHidden(caller, a, missing, probe, `${caller.kind} ${op.method} ${probe.url}`);
            probes++;
          }
        }
      }
      assert.ok(probes > 300, `${probes} probes`);
      t.diagnostic(`${walked.length} tenant routes, ${probes} probes (each with its never-existing-id control) by ${callers.all.length} callers`);
      await assertUnchanged('the walk');
    });

    it('keeps platform routes platform-level: tenants cannot be created or listed by B, the rest shows nothing of A', { skip }, async () => {
      // Documented as platform administrators' (IDENTITY.md): B's callers get 403.
      const platformOnly = new Set(['POST /v1/tenants', 'GET /v1/tenants']);
      const platform = ops.filter((o) => !o.isPublic && !o.path.startsWith(BASE));
      assert.ok(platform.some((o) => o.key === 'POST /v1/tenants'));
      for (const op of platform) {
        assert.deepEqual(pathParams(op.path), [], `${op.key}: a platform route with path parameters needs its own probe`);
        for (const caller of callers.all) {
          const reply = await caller.api.call(op.method, op.path, bodyFor(op, a.ids, probeKey));
          const context = `${caller.kind} ${op.key}`;
          if (platformOnly.has(op.key)) {
            assert.equal(reply.status, 403, context);
            assertErrorBody(reply.body, 'SB_ERR_FORBIDDEN');
          } else {
            assert.equal(reply.status, 200, `${context}: ${reply.status}`);
          }
          assertNothingOf(a, reply, '', context);
        }
      }
      await assertUnchanged('the platform routes');
    });

    it("finds nothing when B's requests name A's ids in bodies (B's own paths)", { skip }, async () => {
      const B = b.ids;
      const A = a.ids;
      const at = (path: string) => path.replace('{tenantId}', B.tenantId);
      const probes: Probe[] = [
        { method: 'POST', url: at(`${BASE}/queues`), body: { name: 'Probe queue', memberIds: [A.agentId] } },
        { method: 'POST', url: at(`${BASE}/queues/${B.queueId}/members`), body: { agentId: A.agentId } },
        { method: 'POST', url: at(`${BASE}/conversations`), body: { channelId: A.channelId, customer: { address: 'probe-visitor' } } },
        { method: 'POST', url: at(`${BASE}/conversations`), body: { channelId: B.channelId, contactId: A.contactId } },
        { method: 'POST', url: at(`${BASE}/conversations`), body: { channelId: B.channelId, contactId: B.contactId, queueId: A.queueId } },
        { method: 'POST', url: at(`${BASE}/conversations/${B.conversationId}/participants`), body: { role: 'agent', agentId: A.agentId } },
        { method: 'POST', url: at(`${BASE}/conversations/${B.conversationId}/participants`), body: { role: 'bot', agentId: A.botAgentId } },
        { method: 'PATCH', url: at(`${BASE}/agents/${B.agentId}`), body: { skills: { [A.skillName]: 5 } }, status: 400 },
        { method: 'POST', url: at(`${BASE}/agents`), body: { kind: 'human', displayName: 'Probe', skills: { [A.skillName]: 5 } }, status: 400 },
        // Queue settings naming an unknown queue are invalid settings (400 SB_ERR_INVALID_QUEUE_SETTINGS), A's queue included.
        { method: 'PATCH', url: at(`${BASE}/queues/${B.queueId}`), body: { routing: { overflow: [{ id: 'o1', when: { kind: 'queue-length', atLeast: 5 }, then: { kind: 'transfer', queueId: A.queueId } }] } }, status: 400 },
        { method: 'POST', url: at(`${BASE}/queues`), body: { name: 'Probe queue', routing: { overflow: [{ id: 'o1', when: { kind: 'out-of-hours' }, then: { kind: 'transfer', queueId: A.queueId } }] } }, status: 400 },
        { method: 'POST', url: at(`${BASE}/workstreams`), body: { name: 'Probe', channelTypes: ['sms'], fallbackQueueId: B.queueId, routeRules: [{ id: 'r1', condition: 'true', queueId: A.queueId }] } },
        { method: 'PUT', url: at(`${BASE}/workstreams/${B.workstreamId}`), body: { name: 'Probe', channelTypes: ['webchat'], fallbackQueueId: B.queueId, routeRules: [{ id: 'r1', condition: 'true', queueId: A.queueId }] } },
        { method: 'POST', url: at(`${BASE}/conversations/${B.conversationId}/route`), body: { workstreamId: A.workstreamId } },
        { method: 'POST', url: at(`${BASE}/conversations/${B.activeConversationId}/transfer`), body: { queueId: A.queueId } },
        { method: 'POST', url: at(`${BASE}/conversations/${B.activeConversationId}/transfer`), body: { agentId: A.agentId } },
        { method: 'POST', url: at(`${BASE}/conversations/${B.activeConversationId}/consult`), body: { agentId: A.agentId } },
        { method: 'POST', url: at(`${BASE}/queues/${B.pickQueueId}/waiting/${B.waitingConversationId}/pick`), body: { agentId: A.agentId } },
        { method: 'POST', url: at(`${BASE}/workstreams`), body: { name: 'Probe', channelTypes: ['sms'], fallbackQueueId: A.queueId } },
        { method: 'PUT', url: at(`${BASE}/workstreams/${B.workstreamId}`), body: { name: 'Probe', channelTypes: ['webchat'], fallbackQueueId: A.queueId } },
        { method: 'POST', url: at(`${BASE}/routing/simulate`), body: { workstreamId: A.workstreamId } },
        { method: 'POST', url: at(`${BASE}/agents`), body: { kind: 'bot', displayName: 'Probe bot', appId: A.appId } },
        { method: 'PATCH', url: at(`${BASE}/agents/${B.botAgentId}`), body: { appId: A.appId } },
        { method: 'POST', url: at(`${BASE}/users`), body: { email: 'probe1@probe.example', displayName: 'Probe', agentId: A.agentId } },
        { method: 'POST', url: at(`${BASE}/users`), body: { email: 'probe2@probe.example', displayName: 'Probe', roles: [{ role: 'supervisor', queueIds: [A.queueId] }] } },
        { method: 'POST', url: at(`${BASE}/users`), body: { email: 'probe3@probe.example', displayName: 'Probe', roles: [{ role: A.roleId }] } },
        { method: 'PATCH', url: at(`${BASE}/users/${B.userId}`), body: { agentId: A.agentId } },
        { method: 'POST', url: at(`${BASE}/groups/${B.groupId}/members`), body: { userId: A.userId } },
        { method: 'POST', url: at(`${BASE}/role-assignments`), body: { principalType: 'user', principalId: A.userId, role: 'supervisor', queueIds: [B.queueId] } },
        { method: 'POST', url: at(`${BASE}/role-assignments`), body: { principalType: 'group', principalId: A.groupId, role: 'supervisor', queueIds: [B.queueId] } },
        { method: 'POST', url: at(`${BASE}/role-assignments`), body: { principalType: 'app', principalId: A.appId, role: 'bot' } },
        { method: 'POST', url: at(`${BASE}/role-assignments`), body: { principalType: 'user', principalId: B.userId, role: A.roleId } },
        { method: 'POST', url: at(`${BASE}/role-assignments`), body: { principalType: 'user', principalId: B.userId, role: 'supervisor', queueIds: [A.queueId] } },
        // A's app is single-tenant: it cannot be consented anywhere but in A.
        { method: 'POST', url: at(`${BASE}/enterprise-apps`), body: { clientId: A.clientId } },
      ];
      for (const probe of probes) {
        for (const caller of callers.all) await assertHidden(caller, a, missing, probe, `${caller.kind} ${probe.method} ${probe.url} ${JSON.stringify(probe.body)}`);
      }
      await assertUnchanged('the body probes');
    });

    it("returns nothing of A from B's lists filtered by A's ids or paged with A's cursors", { skip }, async () => {
      const B = b.ids;
      const A = a.ids;
      // Query parameters naming ids, filled with A's: each documented one must be listed here.
      const QUERY_IDS: Record<string, string[]> = {
        queueId: [A.queueId], agentId: [A.agentId], channelId: [A.channelId], contactId: [A.contactId], conversationId: [A.conversationId],
        actorId: [A.adminUserId, A.appId], targetId: [A.appId, A.userId, A.groupId, A.tenantId],
        principalId: [A.userId, A.groupId, A.appId], botId: [A.botAgentId],
      };
      const admin = client(sb.app, sb.auth);
      let filtered = 0;
      for (const op of ops.filter((o) => o.method === 'GET' && !o.isPublic && o.path.startsWith(BASE))) {
        const base = fillPath(op.path, pathParams(op.path).map((p) => B[p.fixture!]));
        for (const name of op.query.filter((q) => /Id$/.test(q))) {
          assert.ok(QUERY_IDS[name], `${op.key}: query parameter ${name} names an id; add A's to QUERY_IDS`);
          for (const value of QUERY_IDS[name]!) {
            const extra = name === 'principalId' ? `&principalType=${value === A.userId ? 'user' : value === A.groupId ? 'group' : 'app'}` : '';
            const url = `${base}?${name}=${encodeURIComponent(value)}${extra}`;
            for (const caller of callers.all) {
              const reply = await caller.api.call('GET', url);
              const context = `${caller.kind} GET ${url}`;
              if (reply.status === 404) assertErrorBody(reply.body, reply.body.error.code);
              else {
                assert.equal(reply.status, 200, `${context}: ${reply.status} ${JSON.stringify(reply.body).slice(0, 300)}`);
                assert.deepEqual(reply.body.items, [], `${context}: rows came back`);
              }
              assertNothingOf(a, reply, url, context);
              filtered++;
            }
          }
        }
        // A cursor from A's list, used on B's: B's rows at most, never A's.
        if (op.query.includes('cursor')) {
          const aList = await admin.ok('GET', `${fillPath(op.path, pathParams(op.path).map((p) => A[p.fixture!]))}?limit=1`, 200);
          assert.ok(aList.nextCursor, `${op.key}: A has more than one row, so its first page has a cursor`);
          for (const caller of callers.all) {
            const reply = await caller.api.call('GET', `${base}?cursor=${encodeURIComponent(aList.nextCursor)}`);
            assert.ok(reply.status === 200 || reply.status === 400, `${caller.kind} ${op.key} with A's cursor: ${reply.status}`);
            assertNothingOf(a, reply, '', `${caller.kind} ${op.key} with A's cursor`);
          }
        }
      }
      assert.ok(filtered >= 20, `${filtered} filtered lists`);
      await assertUnchanged('the filtered lists');
    });

    it('keeps the event stream to B: subscriptions and agent commands naming A are refused', { skip }, async () => {
      const A = a.ids;
      const B = b.ids;
      for (const caller of callers.all) {
        const socket = await sb.app.injectWS('/v1/stream', { headers: caller.headers });
        const frames: Record<string, any>[] = [];
        socket.on('message', (data: WebSocket.RawData) => frames.push(JSON.parse(data.toString())));
        const answer = async (frame: Record<string, unknown>): Promise<Record<string, any>> => {
          socket.send(JSON.stringify(frame));
          const deadline = Date.now() + 3000;
          for (;;) {
            const found = frames.find((f) => f.id === frame.id);
            if (found) return found;
            assert.ok(Date.now() < deadline, `no answer to ${JSON.stringify(frame)}`);
            await new Promise((resolve) => setTimeout(resolve, 5));
          }
        };
        try {
          const refused = [
            { type: 'subscribe', id: 's1', tenantId: A.tenantId },
            { type: 'subscribe', id: 's2', tenantId: A.tenantId, conversationId: A.conversationId, after: 0 },
            { type: 'subscribe', id: 's3', tenantId: B.tenantId, conversationId: A.conversationId, after: 0 },
            { type: 'command', id: 'c1', tenantId: A.tenantId, agentId: A.agentId, action: 'presence', presence: 'offline' },
            { type: 'command', id: 'c2', tenantId: B.tenantId, agentId: A.agentId, action: 'presence', presence: 'offline' },
            { type: 'command', id: 'c3', tenantId: B.tenantId, agentId: A.agentId, action: 'accept', offerId: A.offerId },
            { type: 'command', id: 'c4', tenantId: B.tenantId, agentId: B.agentId, action: 'reject', offerId: A.offerId },
            { type: 'command', id: 'c5', tenantId: B.tenantId, agentId: B.agentId, action: 'message', conversationId: A.conversationId, text: 'probe' },
            { type: 'command', id: 'c6', tenantId: B.tenantId, agentId: B.agentId, action: 'close', conversationId: A.conversationId },
            { type: 'command', id: 'c7', tenantId: B.tenantId, agentId: B.agentId, action: 'finish-wrap-up', conversationId: A.activeConversationId, notes: 'probe' },
          ];
          for (const frame of refused) {
            const reply = await answer(frame);
            const context = `${caller.kind} ${JSON.stringify(frame)}`;
            assert.equal(reply.type, 'error', `${context}: ${JSON.stringify(reply)}`);
            assert.equal(ERROR_STATUS[reply.error.code as ErrorCode], 404, `${context}: ${reply.error.code}`);
            assertNothingOf(a, { body: reply, headers: {} }, JSON.stringify(frame), context);
          }
          // B's own subscription still works on the same socket, and replays B's events only.
          const subscribed = await answer({ type: 'subscribe', id: 'own', tenantId: B.tenantId, after: 0 });
          assert.equal(subscribed.type, 'subscribed');
          await new Promise((resolve) => setTimeout(resolve, 50));
          const events = frames.filter((f) => f.type === 'event' && f.subscription === 'own');
          assert.ok(events.length > 5, `B's log replays (${events.length} events)`);
          for (const event of events) assert.equal(event.event.tenantId, B.tenantId);
          assertNothingOf(a, { body: events, headers: {} }, '', `${caller.kind} B's event replay`);
        } finally {
          socket.terminate();
        }
      }
      await assertUnchanged('the event stream');
    });

    it("answers the public routes for A without letting B's credentials in", { skip }, async () => {
      const A = a.ids;
      const B = b.ids;
      const anonymous = client(sb.app, {});
      const session = await signIn(sb, B.tenantId, b.adminEmail);
      const withSession = client(sb.app, { cookie: session.cookie, 'x-csrf-token': session.csrfToken });
      const tokenAtA = (params: Record<string, string>) => postToken(oauth, A.tenantId, params);
      const oauthRefused = (reply: TokenReply, status: number, error: string, context: string) => {
        assert.equal(reply.status, status, `${context}: ${reply.status} ${JSON.stringify(reply.body)}`);
        assert.deepEqual(Object.keys(reply.body).sort(), ['error', 'error_description'], context);
        assert.equal(reply.body.error, error, `${context}: ${JSON.stringify(reply.body)}`);
        assertNothingOf(a, reply, `/login/${A.tenantId}`, context);
      };

      const PUBLIC_PROBES: Record<string, () => Promise<void>> = {
        // B's administrator's password does not open A: the same answer as an unknown address, no cookie.
        'POST /v1/auth/password': async () => {
          const attempt = (email: string) => anonymous.call('POST', '/v1/auth/password', { tenantId: A.tenantId, email, password: PASSWORD });
          const cross = await attempt(b.adminEmail);
          const unknown = await attempt('nobody@nowhere.example');
          assert.equal(cross.status, 401);
          assertErrorBody(cross.body, 'SB_ERR_INVALID_CREDENTIALS');
          assert.deepEqual(cross.body, unknown.body);
          assert.equal(cross.headers['set-cookie'], undefined);
          assertNothingOf(a, cross, A.tenantId, 'sign-in at A with B credentials');
        },
        // B's session reads B only; signing it out touches no session of A (A's administrator's stays, checked by the row comparison).
        'GET /v1/session': async () => {
          const reply = await withSession.ok('GET', '/v1/session', 200);
          assert.equal(reply.tenant.id, B.tenantId);
          assert.equal(reply.user.tenantId, B.tenantId);
          assertNothingOf(a, { body: reply, headers: {} }, '', 'GET /v1/session with B cookie');
        },
        'POST /v1/auth/signout': async () => {
          const fresh = await signIn(sb, B.tenantId, b.adminEmail);
          const out = await client(sb.app, { cookie: fresh.cookie, 'x-csrf-token': fresh.csrfToken }).call('POST', '/v1/auth/signout');
          assert.equal(out.status, 204);
          assert.equal((await client(sb.app, { cookie: fresh.cookie }).call('GET', '/v1/session')).status, 401);
        },
        // Keys and metadata are public by nature; they carry nothing of A beyond its id in the URLs.
        'GET /.well-known/jwks.json': async () => {
          const reply = await anonymous.ok('GET', '/.well-known/jwks.json', 200);
          assert.ok(reply.keys.length > 0);
          assertNothingOf(a, { body: reply, headers: {} }, '', 'JWKS');
        },
        'GET /login/{tenantId}/discovery/v2.0/keys': async () => {
          const reply = await anonymous.ok('GET', `/login/${A.tenantId}/discovery/v2.0/keys`, 200);
          assert.deepEqual(reply, await anonymous.ok('GET', `/login/${B.tenantId}/discovery/v2.0/keys`, 200), 'the same key set for every tenant');
          assertNothingOf(a, { body: reply, headers: {} }, '', 'tenant JWKS');
        },
        'GET /login/{tenantId}/v2.0/.well-known/openid-configuration': async () => {
          const reply = await anonymous.ok('GET', `/login/${A.tenantId}/v2.0/.well-known/openid-configuration`, 200);
          assert.equal(reply.tenant_id, A.tenantId);
          assertNothingOf(a, { body: reply, headers: {} }, A.tenantId, 'discovery');
        },
        'POST /login/{tenantId}/oauth2/v2.0/token': async () => {
          // B's app with its secret: it authenticates, but is single-tenant in B.
          oauthRefused(await tokenAtA({ grant_type: 'client_credentials', client_id: callers.opsApp.clientId, client_secret: callers.opsApp.secret, scope: 'api://switchboard/.default' }),
            400, 'unauthorized_client', "B's app at A's token endpoint");
          const basic = Buffer.from(`${callers.opsApp.clientId}:${callers.opsApp.secret}`).toString('base64');
          oauthRefused(await postToken(oauth, A.tenantId, { grant_type: 'client_credentials', scope: 'api://switchboard/.default' }, { authorization: `Basic ${basic}` }),
            400, 'unauthorized_client', "B's app at A's token endpoint (Basic)");
          // A multi-tenant app of B may act in any tenant that consents; A did not.
          const published = await confidentialApp(oauth, B.tenantId, { name: `${b.marker} published`, accountType: 'multi-tenant', applicationPermissions: ['conversations.read'] });
          oauthRefused(await tokenAtA({ grant_type: 'client_credentials', client_id: published.app.clientId, client_secret: published.secret, scope: 'api://switchboard/.default' }),
            400, 'unauthorized_client', "B's multi-tenant app without A's consent");
          // B's CRM app with a client assertion signed by its certificate's key, addressed to A.
          const assertion = await new SignJWT({})
            .setProtectedHeader({ alg: 'RS256', kid: b.secrets[1]! })
            .setIssuer(b.ids.clientId).setSubject(b.ids.clientId).setAudience(`http://localhost:80/login/${A.tenantId}/oauth2/v2.0/token`)
            .setIssuedAt().setExpirationTime('5m').setJti(randomUUID())
            .sign(b.crmKey);
          oauthRefused(await tokenAtA({
            grant_type: 'client_credentials', client_id: b.ids.clientId, scope: 'api://switchboard/.default',
            client_assertion_type: 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer', client_assertion: assertion,
          }), 400, 'unauthorized_client', "B's app with a client assertion at A");
          // B's multi-tenant console app with B's authorization code and refresh token: both belong to B.
          oauthRefused(await tokenAtA({ grant_type: 'authorization_code', code: callers.spareCode.code, redirect_uri: REDIRECT, client_id: callers.delegatedClientId, code_verifier: callers.spareCode.verifier }),
            400, 'invalid_grant', "B's authorization code at A");
          oauthRefused(await tokenAtA({ grant_type: 'refresh_token', refresh_token: callers.refreshToken, client_id: callers.delegatedClientId }),
            400, 'invalid_grant', "B's refresh token at A");
          // A's app with B's ... nothing of A's is known to B; a made-up secret for A's client id is refused like any bad secret.
          oauthRefused(await tokenAtA({ grant_type: 'client_credentials', client_id: A.clientId, client_secret: callers.opsApp.secret }),
            400, 'invalid_client', "A's client id with B's secret");
          // The code presented at A was not used up there: it still works in B.
          const redeemed = await postToken(oauth, B.tenantId, { grant_type: 'authorization_code', code: callers.spareCode.code, redirect_uri: REDIRECT, client_id: callers.delegatedClientId, code_verifier: callers.spareCode.verifier });
          assert.equal(redeemed.status, 200, JSON.stringify(redeemed.body));
          // A token of B names B: A's routes refuse it as seen in the walk; its claims hold nothing of A.
          assert.equal(JSON.parse(Buffer.from(redeemed.body.access_token.split('.')[1], 'base64url').toString()).tid, B.tenantId);
        },
      };
      for (const op of ops.filter((o) => o.isPublic)) {
        const probe = PUBLIC_PROBES[op.key];
        assert.ok(probe, `${op.key} is public (security: []) and has no cross-tenant probe in PUBLIC_PROBES`);
        await probe();
      }

      // The sign-in pages (hidden from the document) with B's session: consent and authorize in A need a session of A.
      const page = (method: 'GET' | 'POST', url: string, form?: Record<string, string>) => sb.app.inject({
        method, url, headers: { cookie: session.cookie, ...(form ? { 'content-type': 'application/x-www-form-urlencoded' } : {}) },
        ...(form ? { payload: new URLSearchParams(form).toString() } : {}),
      });
      const consentQuery = `client_id=${callers.delegatedClientId}&redirect_uri=${encodeURIComponent(REDIRECT)}&state=x`;
      const own = await page('GET', `/login/${B.tenantId}/adminconsent?${consentQuery}`);
      assert.equal(own.statusCode, 200, 'B may see its own consent page');
      const csrf = /name="csrf_token" value="([^"]+)"/.exec(own.body)?.[1];
      assert.ok(csrf);
      const consentAtA = await page('GET', `/login/${A.tenantId}/adminconsent?${consentQuery}`);
      assert.equal(consentAtA.statusCode, 302);
      assert.match(String(consentAtA.headers.location), new RegExp(`^/login/${A.tenantId}/signin\\?`));
      const acceptAtA = await page('POST', `/login/${A.tenantId}/adminconsent`, { csrf_token: csrf, client_id: callers.delegatedClientId, redirect_uri: REDIRECT, action: 'accept' });
      assert.equal(acceptAtA.statusCode, 401, 'no consent in A with a session of B');
      const { challenge } = pkce();
      const authorizeAtA = await page('GET', `/login/${A.tenantId}/oauth2/v2.0/authorize?${consentQuery}&response_type=code&scope=openid&code_challenge=${challenge}&code_challenge_method=S256`);
      assert.equal(authorizeAtA.statusCode, 302);
      assert.match(String(authorizeAtA.headers.location), new RegExp(`^/login/${A.tenantId}/signin\\?`), 'no code for A from a session of B');
      for (const res of [consentAtA, acceptAtA, authorizeAtA]) assertNothingOf(a, { body: res.body, headers: res.headers }, A.tenantId, 'sign-in pages');

      // Refused attempts at A's endpoints are A's to see in its audit log; nothing else of A changed.
      const now = await tenantRows(sb, a.ids.tenantId);
      for (const table of Object.keys({ ...aBefore, ...now })) {
        const { added, gone } = rowDiff(aBefore, now, table);
        assert.deepEqual(gone, [], `${table}: rows of A changed or went`);
        if (table === 'audit_log') {
          for (const row of added) assert.notEqual(JSON.parse(row).outcome, 'success', `a successful action was audited in A: ${row}`);
        } else {
          assert.deepEqual(added, [], `${table}: rows were added to A`);
        }
      }
    });
  });
}
