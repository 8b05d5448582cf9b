/**
 * Attacks on JWT authentication of API calls, through the real server: tokens that are expired,
 * not yet valid, signed with another key, unsigned (`alg: none`), HMAC-signed with our public key
 * (RS/HS confusion), carrying a key of their own, meant for another audience or issuer, tampered
 * (a forged `tid`), of a revoked application, with roles beyond consent, or plain garbage. Each is
 * refused with 401 (or 403/404 where the principal is genuine but not allowed there), and each
 * refusal leaves an `access.denied` audit entry with its reason; a flood of garbage leaves only a
 * few.
 */
import assert from 'node:assert/strict';
import { createPublicKey } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { SignJWT, exportJWK, generateKeyPair } from 'jose';
import { SYSTEM_CALLER } from '../../src/app/caller.js';
import { revokeConsent } from '../../src/app/identity/consent.js';
import type { AuditEntry, SigningKey } from '../../src/core/identity/identity-model.js';
import { assertErrorBody } from './http-helpers.js';
import {
  auditOf, claimsOf, clientCredentialsToken, confidentialApp, createTenant, getWith, startOAuthServer, type OAuthServer, type TestApp,
} from './oauth-fixtures.js';

const b64 = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');

describe('Access token attacks', () => {
  let server: OAuthServer;
  let tenantA: string;
  let tenantB: string;
  let bot: TestApp;
  let valid: string;
  let key: SigningKey;
  let claims: Record<string, any>;
  const now = () => Math.floor(Date.now() / 1000);

  before(async () => {
    server = await startOAuthServer();
    tenantA = await createTenant(server, 'Acme');
    tenantB = await createTenant(server, 'Globex');
    bot = await confidentialApp(server, tenantA, { applicationPermissions: ['conversations.read'] });
    valid = await clientCredentialsToken(server, tenantA, bot);
    claims = claimsOf(valid);
    [key] = await server.sb.identity.storage.read.identity.listSigningKeys() as [SigningKey];
  });
  after(async () => server?.sb.stop());

  /** Signs claims with our real signing key: everything but the claim under test is genuine. */
  const ours = (overrides: Record<string, unknown>) => server.sb.identity.tokenCrypto.sign({ ...claims, jti: `${Math.random()}`, ...overrides }, key);
  const conversations = (tenantId: string) => `/v1/tenants/${tenantId}/conversations`;

  let lastSeen = 0;
  let sender = 0;
  /** The access.denied entries (of a tenant, or platform-level) written since the previous call. */
  async function newDenials(tenantId: string | null): Promise<AuditEntry[]> {
    const entries = (await auditOf(server, tenantId, 'access.denied')).filter((e) => e.id > lastSeen);
    for (const e of entries) lastSeen = Math.max(lastSeen, e.id);
    return entries;
  }

  /** Sends the token, expects 401 SB_ERR_UNAUTHENTICATED and one new audit entry with the reason. */
  async function refused(token: string, reason: string, auditTenant: string | null = tenantA, url = conversations(tenantA)): Promise<void> {
    await newDenials(auditTenant);
    // Each case from its own address: audit entries are throttled per reason and address.
    const ip = `10.0.${Math.floor(++sender / 250)}.${sender % 250}`;
    const res = await server.sb.app.inject({ method: 'GET', url, remoteAddress: ip, headers: { authorization: `Bearer ${token}` } });
    const reply = { status: res.statusCode, body: JSON.parse(res.body) };
    assert.equal(reply.status, 401, `expected 401 for ${reason}, got ${reply.status} ${JSON.stringify(reply.body)}`);
    assertErrorBody(reply.body, 'SB_ERR_UNAUTHENTICATED');
    const entries = await newDenials(auditTenant);
    assert.ok(entries.some((e) => e.details.reason === reason && e.outcome === 'denied' && e.ip === ip),
      `no access.denied entry with reason ${reason} in ${auditTenant ?? 'platform'}: ${JSON.stringify(entries.map((e) => e.details))}`);
  }

  it('accepts the genuine token (the baseline of every case below)', async () => {
    assert.equal((await getWith(server, valid, conversations(tenantA))).status, 200);
    assert.equal((await getWith(server, await ours({}), conversations(tenantA))).status, 200);
  });

  it('refuses expired and not-yet-valid tokens beyond 60 s of clock skew, and accepts them within it', async () => {
    await refused(await ours({ iat: now() - 3700, nbf: now() - 3700, exp: now() - 90 }), 'expired');
    assert.equal((await getWith(server, await ours({ exp: now() - 30 }), conversations(tenantA))).status, 200, 'within the tolerance');
    await refused(await ours({ iat: now() + 600, nbf: now() + 600, exp: now() + 4200 }), 'not_yet_valid');
    assert.equal((await getWith(server, await ours({ nbf: now() + 30 }), conversations(tenantA))).status, 200, 'within the tolerance');
  });

  it('refuses a token signed by another key under our kid, and one naming a kid we never had', async () => {
    const pair = await server.sb.identity.tokenCrypto.generateSigningKey(key.id);
    const impostor: SigningKey = { ...key, publicKey: pair.publicKey, privateKey: pair.privateKey };
    await refused(await server.sb.identity.tokenCrypto.sign({ ...claims }, impostor), 'bad_signature');
    await refused(await server.sb.identity.tokenCrypto.sign({ ...claims }, { ...impostor, id: 'sk_someone_elses' }), 'unknown_key');
  });

  it('refuses alg none, and HS256 signed with our public key (RS/HS confusion)', async () => {
    await refused(`${b64({ alg: 'none', typ: 'JWT', kid: key.id })}.${b64({ ...claims, exp: now() + 600 })}.`, 'unsupported_algorithm');
    const pem = createPublicKey({ key: key.publicKey as any, format: 'jwk' }).export({ type: 'spki', format: 'pem' }) as string;
    for (const secret of [pem, JSON.stringify(key.publicKey), Buffer.from(String(key.publicKey.n), 'base64url')]) {
      const bytes = typeof secret === 'string' ? new TextEncoder().encode(secret) : new Uint8Array(secret);
      const hs = await new SignJWT({ ...claims }).setProtectedHeader({ alg: 'HS256', typ: 'JWT', kid: key.id }).sign(bytes);
      await refused(hs, 'unsupported_algorithm');
    }
  });

  it('refuses a token carrying its own key (jwk header) signed by that key', async () => {
    const { privateKey, publicKey } = await generateKeyPair('RS256');
    const jwk = await exportJWK(publicKey);
    const token = await new SignJWT({ ...claims }).setProtectedHeader({ alg: 'RS256', typ: 'JWT', kid: key.id, jwk }).sign(privateKey);
    await refused(token, 'bad_signature');
  });

  it('refuses a wrong audience (another API, or an ID token used as an access token) and a wrong issuer', async () => {
    await refused(await ours({ aud: 'https://graph.microsoft.com' }), 'wrong_audience');
    await refused(await ours({ aud: bot.app.clientId }), 'wrong_audience');
    await refused(await ours({ iss: `https://login.microsoftonline.com/${tenantA}/v2.0` }), 'wrong_issuer');
    await refused(await ours({ iss: claims.iss.replace(tenantA, tenantB) }), 'wrong_issuer');
    await refused(await ours({ iss: undefined }), 'missing_claim');
  });

  it('a token of tenant A on tenant B routes is 404, as if B did not exist', async () => {
    const reply = await getWith(server, valid, conversations(tenantB));
    assert.equal(reply.status, 404);
    assertErrorBody(reply.body, 'SB_ERR_TENANT_NOT_FOUND');
  });

  it('refuses a token whose tid was changed (the signature no longer matches), audited in the tenant it names', async () => {
    // The genuine token was just accepted, so its caller is cached under its signature's end: a
    // forgery carrying that signature must still be verified in full, not taken from the cache.
    assert.equal((await getWith(server, valid, conversations(tenantA))).status, 200);
    const [header, , signature] = valid.split('.');
    const forged = `${header}.${b64({ ...claims, tid: tenantB, iss: claims.iss.replace(tenantA, tenantB) })}.${signature}`;
    await refused(forged, 'bad_signature', tenantB, conversations(tenantB));
    // A tid naming no tenant is audited at platform level.
    const nowhere = `${header}.${b64({ ...claims, tid: 'ten_nowhere' })}.${signature}`;
    await refused(nowhere, 'bad_signature', null, conversations(tenantA));
  });

  it('restricts a token to what the tenant granted: roles beyond consent give nothing (403)', async () => {
    const greedy = await ours({ roles: ['conversations.read', 'channels.write', 'tenants.manage'] });
    assert.equal((await getWith(server, greedy, conversations(tenantA))).status, 200);
    const reply = await server.sb.app.inject({
      method: 'POST', url: `/v1/tenants/${tenantA}/channels`, headers: { authorization: `Bearer ${greedy}`, 'content-type': 'application/json' },
      payload: JSON.stringify({ type: 'webchat', name: 'sneaky' }),
    });
    assert.equal(reply.statusCode, 403);
    assertErrorBody(JSON.parse(reply.body), 'SB_ERR_FORBIDDEN');
    assert.ok((await auditOf(server, tenantA, 'access.denied')).some((e) => e.details.permission === 'channels.write' && e.actorId === bot.app.id));
    assert.equal((await getWith(server, greedy, '/v1/tenants')).status, 403, 'no platform permission through a token');
  });

  it('refuses tokens of the wrong type or for principals that do not exist', async () => {
    await refused(await ours({ idtyp: undefined }), 'missing_claim');
    await refused(await ours({ idtyp: 'device' }), 'wrong_token_type');
    await refused(await ours({ sub: 'app_does_not_exist' }), 'app_not_found');
    await refused(await ours({ idtyp: 'user', sub: 'usr_nobody', scp: 'conversations.read' }), 'user_not_found');
  });

  it('refuses garbage', async () => {
    await refused('garbage', 'malformed', null);
    await refused('e30.e30', 'malformed', null);
    await refused('eyJhbGciOiJSUzI1NiJ9.e30.c2ln!', 'malformed', null);
    // Well-formed but with a made-up signature: refused by the signature before any claim is read.
    await refused('eyJhbGciOiJSUzI1NiJ9.bm90LWpzb24.c2ln', 'bad_signature', null);
    await refused(`${valid}x.y`, 'malformed', null);
  });

  it('refuses the token of an application whose consent was revoked', async () => {
    const doomed = await confidentialApp(server, tenantA);
    const token = await clientCredentialsToken(server, tenantA, doomed);
    assert.equal((await getWith(server, token, conversations(tenantA))).status, 200);
    await revokeConsent(server.sb.identity, SYSTEM_CALLER, tenantA, doomed.app.id);
    await refused(token, 'consent_revoked');
  });
});

describe('Access token audit flood', () => {
  let server: OAuthServer;
  before(async () => {
    server = await startOAuthServer();
  });
  after(async () => server?.sb.stop());

  it('a flood of garbage tokens is refused every time but audited only a few times per second', async () => {
    const started = Date.now();
    for (let i = 0; i < 200; i++) {
      const reply = await getWith(server, `garbage-${i}`, '/v1/tenants');
      assert.equal(reply.status, 401);
    }
    const seconds = Math.ceil((Date.now() - started) / 1000) + 1;
    const entries = (await auditOf(server, null, 'access.denied')).filter((e) => e.details.reason === 'malformed');
    assert.ok(entries.length >= 1, 'the flood is visible in the audit log');
    assert.ok(entries.length <= 5 * seconds, `${entries.length} audit entries for 200 garbage tokens in ${seconds} s`);
  });
});

describe('Access token issuer with a configured public URL', () => {
  let server: OAuthServer;
  before(async () => {
    server = await startOAuthServer({ env: { SWITCHBOARD_PUBLIC_URL: 'https://cc.example.test' } });
  });
  after(async () => server?.sb.stop());

  it('issues for the public URL and refuses any other base', async () => {
    const tenant = await createTenant(server, 'Public');
    const bot = await confidentialApp(server, tenant);
    const token = await clientCredentialsToken(server, tenant, bot);
    const claims = claimsOf(token);
    assert.equal(claims.iss, `https://cc.example.test/login/${tenant}/v2.0`);
    assert.equal((await getWith(server, token, `/v1/tenants/${tenant}/conversations`)).status, 200);
    const [key] = await server.sb.identity.storage.read.identity.listSigningKeys();
    const local = await server.sb.identity.tokenCrypto.sign({ ...claims, iss: `http://localhost:80/login/${tenant}/v2.0` }, key!);
    const reply = await getWith(server, local, `/v1/tenants/${tenant}/conversations`);
    assert.equal(reply.status, 401);
    assert.ok((await auditOf(server, tenant, 'access.denied')).some((e) => e.details.reason === 'wrong_issuer'));
  });
});
