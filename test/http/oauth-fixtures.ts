/**
 * Shared set-up of the OAuth suites (`oauth-token.test.ts`, `token-attacks.test.ts`): a real
 * server listening on loopback (openid-client talks HTTP to it), tenants, applications with
 * secrets, certificates and consent made through the app-layer use cases, and raw token requests.
 */
import assert from 'node:assert/strict';
import { webcrypto } from 'node:crypto';
import type { AppRegistration } from '../../src/core/identity/identity-model.js';
import { SYSTEM_CALLER } from '../../src/app/caller.js';
import { addAppCertificate, addAppSecret } from '../../src/app/identity/app-credentials.js';
import { registerApp, type RegisterAppInput } from '../../src/app/identity/app-registrations.js';
import { grantConsent } from '../../src/app/identity/consent.js';
import { startTestServer, type TestOverrides, type TestServer } from '../support/test-server.js';
import { client, type Client } from './http-helpers.js';

export interface OAuthServer {
  readonly sb: TestServer;
  /** `http://127.0.0.1:<port>`. */
  readonly base: string;
  /** Admin API client over inject. */
  readonly admin: Client;
}

export async function startOAuthServer(options: { database?: 'sqlite' | 'postgres'; env?: Record<string, string>; overrides?: TestOverrides } = {}): Promise<OAuthServer> {
  const sb = await startTestServer(options);
  const address = await sb.app.listen({ host: '127.0.0.1', port: 0 });
  return { sb, base: address, admin: client(sb.app, sb.auth) };
}

export async function createTenant(server: OAuthServer, name: string): Promise<string> {
  return (await server.admin.ok('POST', '/v1/tenants', 201, { name })).id as string;
}

export interface TestApp {
  readonly app: AppRegistration;
  readonly secret: string;
}

/** A confidential app with one secret; consented in its tenant unless `consent: false`. */
export async function confidentialApp(
  server: OAuthServer, tenantId: string, input: Partial<RegisterAppInput> & { consent?: boolean } = {},
): Promise<TestApp> {
  const { consent = true, ...rest } = input;
  const app = await registerApp(server.sb.identity, SYSTEM_CALLER, tenantId, {
    name: 'Test bot', applicationPermissions: ['conversations.read'], ...rest,
  });
  const secret = await addAppSecret(server.sb.identity, SYSTEM_CALLER, tenantId, app.id, { description: 'test' });
  if (consent) await grantConsent(server.sb.identity, SYSTEM_CALLER, tenantId, app.clientId);
  return { app, secret: secret.value };
}

/** An RSA key pair for `private_key_jwt`: the public half is registered as the app's certificate. */
export async function addRsaCertificate(server: OAuthServer, tenantId: string, appId: string): Promise<{ privateKey: CryptoKey; kid: string }> {
  const pair = await webcrypto.subtle.generateKey(
    { name: 'RSASSA-PKCS1-v1_5', modulusLength: 2048, publicExponent: new Uint8Array([1, 0, 1]), hash: 'SHA-256' }, true, ['sign', 'verify'],
  ) as CryptoKeyPair;
  const jwk = await webcrypto.subtle.exportKey('jwk', pair.publicKey);
  const certificate = await addAppCertificate(server.sb.identity, SYSTEM_CALLER, tenantId, appId, { key: { kty: jwk.kty, n: jwk.n, e: jwk.e } });
  return { privateKey: pair.privateKey, kid: certificate.thumbprint };
}

export interface TokenReply {
  readonly status: number;
  readonly body: any;
  readonly headers: Record<string, unknown>;
}

/** A raw form-encoded POST to a tenant's token endpoint, over inject. */
export async function postToken(
  server: OAuthServer, tenantId: string, params: Record<string, string>, headers: Record<string, string> = {},
): Promise<TokenReply> {
  const res = await server.sb.app.inject({
    method: 'POST', url: `/login/${tenantId}/oauth2/v2.0/token`,
    headers: { 'content-type': 'application/x-www-form-urlencoded', ...headers },
    payload: new URLSearchParams(params).toString(),
  });
  return { status: res.statusCode, body: res.body.length > 0 ? JSON.parse(res.body) : undefined, headers: res.headers as Record<string, unknown> };
}

export async function clientCredentialsToken(server: OAuthServer, tenantId: string, app: TestApp, scope = 'api://switchboard/.default'): Promise<string> {
  const reply = await postToken(server, tenantId, { grant_type: 'client_credentials', client_id: app.app.clientId, client_secret: app.secret, scope });
  assert.equal(reply.status, 200, JSON.stringify(reply.body));
  return reply.body.access_token as string;
}

/** Asserts an OAuth error body (RFC 6749 section 5.2): exactly `error` and `error_description`. */
export function assertOAuthError(reply: TokenReply, status: number, error: string): void {
  assert.equal(reply.status, status, `expected ${status} ${error}, got ${reply.status} ${JSON.stringify(reply.body)}`);
  assert.deepEqual(Object.keys(reply.body).sort(), ['error', 'error_description']);
  assert.equal(reply.body.error, error, JSON.stringify(reply.body));
  assert.equal(typeof reply.body.error_description, 'string');
  assert.equal(reply.headers['cache-control'], 'no-store');
}

/** A GET with a bearer token, over inject. */
export async function getWith(server: OAuthServer, token: string, url: string): Promise<{ status: number; body: any }> {
  const res = await server.sb.app.inject({ method: 'GET', url, headers: { authorization: `Bearer ${token}` } });
  return { status: res.statusCode, body: res.body.length > 0 ? JSON.parse(res.body) : undefined };
}

/** The claims of a JWT, unverified: for looking at what we issued. */
export function claimsOf(token: string): Record<string, any> {
  return JSON.parse(Buffer.from(token.split('.')[1]!, 'base64url').toString('utf8'));
}

/** Audit entries of one action (tenant-level, or platform-level with null), newest first. */
export async function auditOf(server: OAuthServer, tenantId: string | null, action: string) {
  return server.sb.identity.storage.read.identity.listAudit(tenantId, { action }, { limit: 200 });
}

/** Retries an assertion for a while: for audit entries written after the response was sent. */
export { eventually } from '../support/eventually.js';

/** A form-encoded POST to the token endpoint over real HTTP (the issuer is then the listening address). */
export async function postTokenHttp(server: OAuthServer, tenantId: string, params: Record<string, string>): Promise<TokenReply> {
  const res = await fetch(`${server.base}/login/${tenantId}/oauth2/v2.0/token`, {
    method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: new URLSearchParams(params).toString(),
  });
  return { status: res.status, body: await res.json(), headers: Object.fromEntries(res.headers) };
}
