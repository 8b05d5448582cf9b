/**
 * The jose token crypto adapter, read as a specification: what a token must be to pass, and the
 * attacks that must not. Attack tokens are built by hand (base64url + node:crypto) so that the
 * adapter under test never helps make them.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import {
  createHmac, createPrivateKey, createPublicKey, generateKeyPairSync, sign as nodeSign, constants, type KeyObject,
} from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { JoseTokenCrypto } from '../../src/adapters/identity/jose-token-crypto.js';
import {
  isKeyImportError, type ClientAssertionExpectations, type Jwk, type TokenRejection, type VerifyExpectations,
  type VerifyResult,
} from '../../src/app/ports/token-crypto.js';
import type { SigningKey } from '../../src/core/identity/identity-model.js';

const tokenCrypto = new JoseTokenCrypto();

/** The injected "now": 2030-01-01, far from the wall clock, so a test that used it would fail. */
const NOW = Date.UTC(2030, 0, 1);
const NOW_S = NOW / 1000;
const ISSUER = 'https://switchboard.example/tenants/t_1';
const AUDIENCE = 'https://switchboard.example/v1';
const TOKEN_ENDPOINT = 'https://switchboard.example/oauth/token';
const CLIENT_ID = '6f1c3a52-5a7e-4d2b-9b0e-2f1d6c8e9a10';

const REJECTIONS: readonly TokenRejection[] = [
  'malformed', 'unsupported_algorithm', 'unknown_key', 'bad_signature', 'expired', 'not_yet_valid', 'wrong_issuer',
  'wrong_subject', 'wrong_audience', 'missing_claim', 'lifetime_too_long',
];

// ---- hand-made tokens ------------------------------------------------------------------------

const b64u = (value: unknown): string => Buffer.from(typeof value === 'string' ? value : JSON.stringify(value)).toString('base64url');
type Signer = (signingInput: string) => Buffer;

function craft(header: Record<string, unknown>, payload: unknown, signer: Signer | null): string {
  const input = `${b64u(header)}.${b64u(payload)}`;
  return `${input}.${signer ? signer(input).toString('base64url') : ''}`;
}

const privateKeyOf = (jwk: Jwk): KeyObject => createPrivateKey({ key: jwk as never, format: 'jwk' });
const rs256 = (privateJwk: Jwk): Signer => (input) => nodeSign('sha256', Buffer.from(input), privateKeyOf(privateJwk));
const ps256 = (privateJwk: Jwk): Signer => (input) =>
  nodeSign('sha256', Buffer.from(input), { key: privateKeyOf(privateJwk), padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: 32 });
const es256 = (privateJwk: Jwk): Signer => (input) =>
  nodeSign('sha256', Buffer.from(input), { key: privateKeyOf(privateJwk), dsaEncoding: 'ieee-p1363' });
const hs256 = (secret: string | Buffer): Signer => (input) => createHmac('sha256', secret).update(input).digest();

/** Replaces one part of a compact token. */
function withPart(token: string, index: 0 | 1 | 2, part: string): string {
  const parts = token.split('.');
  parts[index] = part;
  return parts.join('.');
}

// ---- keys ----------------------------------------------------------------------------------------

async function signingKey(kid: string, algorithm: 'RS256' | 'ES256' = 'RS256'): Promise<SigningKey> {
  const { publicKey, privateKey } = await tokenCrypto.generateSigningKey(kid, algorithm);
  return {
    id: kid, algorithm, publicKey, privateKey,
    createdAt: '2029-12-01T00:00:00.000Z', activatesAt: '2029-12-01T00:00:00.000Z',
    retiresAt: '2030-03-01T00:00:00.000Z', expiresAt: '2030-03-02T00:00:00.000Z',
  };
}

function rawKeyPair(type: 'rsa' | 'ec' | 'ed25519', options: { modulusLength?: number; namedCurve?: string } = {}) {
  const pair = type === 'rsa'
    ? generateKeyPairSync('rsa', { modulusLength: options.modulusLength ?? 2048 })
    : type === 'ec'
      ? generateKeyPairSync('ec', { namedCurve: options.namedCurve ?? 'P-256' })
      : generateKeyPairSync('ed25519');
  return {
    publicJwk: pair.publicKey.export({ format: 'jwk' }) as Jwk,
    privateJwk: pair.privateKey.export({ format: 'jwk' }) as Jwk,
    spkiPem: pair.publicKey.export({ type: 'spki', format: 'pem' }) as string,
    pkcs8Pem: pair.privateKey.export({ type: 'pkcs8', format: 'pem' }) as string,
  };
}

const keyA = await signingKey('key_a');
const keyB = await signingKey('key_b');
/** Another key pair that claims keyA's kid: the attacker's. */
const impostor = await signingKey('key_a');
/** An ES256 signing key (SWITCHBOARD_TOKEN_ALG=ES256). */
const keyEc = await signingKey('key_ec', 'ES256');
const publicPemA = createPublicKey({ key: keyA.publicKey as never, format: 'jwk' }).export({ type: 'spki', format: 'pem' }) as string;

const clientRsa = rawKeyPair('rsa');
const clientEc = rawKeyPair('ec');
const otherEc = rawKeyPair('ec');
const weakRsa = rawKeyPair('rsa', { modulusLength: 1024 });
const clientRsaKid = await tokenCrypto.thumbprint(clientRsa.publicJwk);
const clientEcKid = await tokenCrypto.thumbprint(clientEc.publicJwk);

const accessClaims = { iss: ISSUER, sub: 'usr_1', aud: AUDIENCE, iat: NOW_S, exp: NOW_S + 300, scope: 'conversations.read' };
const expectAccess: VerifyExpectations = { issuer: ISSUER, audience: AUDIENCE, now: NOW, clockToleranceSeconds: 0 };
const headerA = { alg: 'RS256', typ: 'JWT', kid: 'key_a' };

function assertRejected(result: VerifyResult, expected: TokenRejection | readonly TokenRejection[]): void {
  assert.equal(result.ok, false, `expected a rejection, got ${JSON.stringify(result)}`);
  if (result.ok) return;
  const allowed = typeof expected === 'string' ? [expected] : expected;
  assert.ok(allowed.includes(result.reason), `expected ${allowed.join(' or ')}, got ${result.reason}`);
}

// ---- specifications ------------------------------------------------------------------------------

describe('generateSigningKey', () => {
  it('makes an RS256 RSA 2048 pair whose public half has no private members', async () => {
    const { publicKey, privateKey } = await tokenCrypto.generateSigningKey('key_x');
    assert.deepEqual(Object.keys(publicKey).sort(), ['alg', 'e', 'kid', 'kty', 'n', 'use']);
    assert.equal(publicKey.kid, 'key_x');
    assert.equal(publicKey.alg, 'RS256');
    assert.equal(publicKey.use, 'sig');
    assert.equal(Buffer.from(publicKey.n as string, 'base64url').length * 8, 2048);
    for (const member of ['d', 'p', 'q', 'dp', 'dq', 'qi']) assert.equal(typeof privateKey[member], 'string', member);
    assert.equal(privateKey.kid, 'key_x');
    assert.equal(privateKey.n, publicKey.n);
  });

  it('makes a different key each time', async () => {
    assert.notEqual(keyA.publicKey.n, impostor.publicKey.n);
  });

  it('makes an ES256 EC P-256 pair on request, the public half without d', async () => {
    assert.deepEqual(Object.keys(keyEc.publicKey).sort(), ['alg', 'crv', 'kid', 'kty', 'use', 'x', 'y']);
    assert.deepEqual([keyEc.publicKey.kty, keyEc.publicKey.crv, keyEc.publicKey.alg, keyEc.publicKey.use], ['EC', 'P-256', 'ES256', 'sig']);
    assert.equal(typeof keyEc.privateKey.d, 'string');
    assert.equal(keyEc.privateKey.x, keyEc.publicKey.x);
  });
});

describe('sign', () => {
  it('puts exactly alg RS256, typ JWT and the kid in the header, and the claims as given', async () => {
    const token = await tokenCrypto.sign(accessClaims, keyA);
    const [header, payload] = token.split('.').slice(0, 2).map((p) => JSON.parse(Buffer.from(p, 'base64url').toString()));
    assert.deepEqual(header, headerA);
    assert.deepEqual(payload, accessClaims);
  });

  it('refuses a signing key without its private half', async () => {
    await assert.rejects(tokenCrypto.sign(accessClaims, { ...keyA, privateKey: keyA.publicKey }), TypeError);
  });

  // Imported keys are cached (per kid for signing, by material for verifying): the cache must
  // never answer with a key other than the one given.
  it('signs with the material it is given, even when another key used the same kid before', async () => {
    const crypto = new JoseTokenCrypto();
    const first = await crypto.sign(accessClaims, keyA);
    const second = await crypto.sign(accessClaims, impostor);
    assert.equal((await crypto.verify(first, [keyA], expectAccess)).ok, true);
    assert.equal((await crypto.verify(second, [impostor], expectAccess)).ok, true);
    assertRejected(await crypto.verify(second, [keyA], expectAccess), 'bad_signature');
    assert.equal((await crypto.verify(await crypto.sign(accessClaims, keyA), [keyA], expectAccess)).ok, true, 'and back');
  });

  it('verifies against the keys of each call only, whatever was verified before', async () => {
    const crypto = new JoseTokenCrypto();
    const token = await crypto.sign(accessClaims, keyA);
    assert.equal((await crypto.verify(token, [keyA, keyB], expectAccess)).ok, true);
    assertRejected(await crypto.verify(token, [keyB], expectAccess), 'unknown_key');
    assertRejected(await crypto.verify(token, [impostor], expectAccess), 'bad_signature');
    assertRejected(await crypto.verify(token, [], expectAccess), 'unknown_key');
  });

  it('signs ES256 with an EC key: header alg ES256, a 64-byte r||s signature, verified with the key set', async () => {
    const token = await tokenCrypto.sign(accessClaims, keyEc);
    const [header, , signature] = token.split('.');
    assert.deepEqual(JSON.parse(Buffer.from(header!, 'base64url').toString()), { alg: 'ES256', typ: 'JWT', kid: 'key_ec' });
    assert.equal(Buffer.from(signature!, 'base64url').length, 64);
    assert.deepEqual(await tokenCrypto.verify(token, [keyA, keyEc], expectAccess), { ok: true, claims: accessClaims, header: { alg: 'ES256', typ: 'JWT', kid: 'key_ec' } });
    assert.equal((await tokenCrypto.verify(token, [keyA.publicKey, keyEc.publicKey], expectAccess)).ok, true, 'as a JWKS too');
  });

  it('refuses a key record whose algorithm does not fit its key', async () => {
    await assert.rejects(tokenCrypto.sign(accessClaims, { ...keyEc, algorithm: 'RS256' }), TypeError);
    await assert.rejects(tokenCrypto.sign(accessClaims, { ...keyA, algorithm: 'ES256' }), TypeError);
    await assert.rejects(tokenCrypto.sign(accessClaims, { ...keyA, algorithm: 'PS256' as never }), TypeError);
    const token = await tokenCrypto.sign(accessClaims, keyEc);
    assertRejected(await tokenCrypto.verify(token, [{ ...keyEc, algorithm: 'RS256' }], expectAccess), 'unknown_key');
  });

  it('signs many tokens at once, each verifiable (signatures run off the event loop)', async () => {
    const crypto = new JoseTokenCrypto();
    const tokens = await Promise.all(Array.from({ length: 20 }, (_, i) => crypto.sign({ ...accessClaims, jti: `t${i}` }, i % 2 ? keyA : keyB)));
    for (const [i, token] of tokens.entries()) {
      const result = await crypto.verify(token, [keyA, keyB], expectAccess);
      assert.ok(result.ok && result.claims.jti === `t${i}`);
    }
  });
});

describe('verify (access tokens)', () => {
  it('round trip: what sign makes, verify accepts, with claims and header', async () => {
    const result = await tokenCrypto.verify(await tokenCrypto.sign(accessClaims, keyA), [keyA, keyB], expectAccess);
    assert.deepEqual(result, { ok: true, claims: accessClaims, header: headerA });
  });

  type Case = {
    readonly name: string;
    readonly token: () => string | Promise<string>;
    readonly keys?: readonly SigningKey[] | readonly Jwk[];
    readonly expect?: Partial<VerifyExpectations>;
    /** 'ok', or the rejection(s) allowed. */
    readonly result: 'ok' | TokenRejection | readonly TokenRejection[];
  };
  const signA = (claims: Record<string, unknown>) => craft(headerA, claims, rs256(keyA.privateKey));
  const cases: readonly Case[] = [
    // keys and rotation
    { name: 'a token from the previous key, both keys published', token: () => tokenCrypto.sign(accessClaims, keyB), result: 'ok' },
    { name: 'the keys given as public JWKs (a JWKS)', token: () => tokenCrypto.sign(accessClaims, keyA), keys: [keyA.publicKey, keyB.publicKey], result: 'ok' },
    { name: 'a kid that is not in the set', token: () => tokenCrypto.sign(accessClaims, keyB), keys: [keyA], result: 'unknown_key' },
    { name: 'no kid and exactly one key', token: () => craft({ alg: 'RS256', typ: 'JWT' }, accessClaims, rs256(keyA.privateKey)), keys: [keyA], result: 'ok' },
    { name: 'no kid and two keys', token: () => craft({ alg: 'RS256', typ: 'JWT' }, accessClaims, rs256(keyA.privateKey)), result: 'unknown_key' },
    { name: 'an empty key set', token: () => tokenCrypto.sign(accessClaims, keyA), keys: [], result: 'unknown_key' },
    { name: 'a kid that is not a string', token: () => craft({ alg: 'RS256', kid: 7 }, accessClaims, rs256(keyA.privateKey)), result: 'malformed' },

    // algorithm attacks
    { name: 'alg none, no signature', token: () => craft({ alg: 'none', typ: 'JWT', kid: 'key_a' }, accessClaims, null), result: 'unsupported_algorithm' },
    { name: 'alg None, no signature', token: () => craft({ alg: 'None', kid: 'key_a' }, accessClaims, null), result: 'unsupported_algorithm' },
    { name: 'alg none with a signature from the right key', token: () => withPart(craft({ alg: 'none', kid: 'key_a' }, accessClaims, null), 2, 'c2ln'), result: 'unsupported_algorithm' },
    { name: 'HS256 keyed with the public key PEM (key confusion)', token: () => craft({ ...headerA, alg: 'HS256' }, accessClaims, hs256(publicPemA)), result: ['unsupported_algorithm', 'bad_signature'] },
    { name: 'HS256 keyed with the public JWK JSON', token: () => craft({ ...headerA, alg: 'HS256' }, accessClaims, hs256(JSON.stringify(keyA.publicKey))), result: ['unsupported_algorithm', 'bad_signature'] },
    { name: 'HS256 keyed with the modulus bytes', token: () => craft({ ...headerA, alg: 'HS256' }, accessClaims, hs256(Buffer.from(keyA.publicKey.n as string, 'base64url'))), result: ['unsupported_algorithm', 'bad_signature'] },
    { name: 'HS256 keyed with the PEM, given JWKs', token: () => craft({ ...headerA, alg: 'HS256' }, accessClaims, hs256(publicPemA)), keys: [keyA.publicKey], result: ['unsupported_algorithm', 'bad_signature'] },
    { name: 'PS256 from the right key (access tokens are RS256 only)', token: () => craft({ ...headerA, alg: 'PS256' }, accessClaims, ps256(keyA.privateKey)), result: 'unsupported_algorithm' },
    { name: 'RS512', token: () => craft({ ...headerA, alg: 'RS512' }, accessClaims, rs256(keyA.privateKey)), result: 'unsupported_algorithm' },
    { name: 'ES256 against an RSA key', token: () => craft({ ...headerA, alg: 'ES256' }, accessClaims, es256(clientEc.privateJwk)), result: 'unsupported_algorithm' },
    { name: 'ES256 against an RSA key, our EC key also published', token: () => craft({ ...headerA, alg: 'ES256' }, accessClaims, es256(keyEc.privateKey)), keys: [keyA, keyEc], result: 'unsupported_algorithm' },
    { name: 'RS256 against our EC key', token: () => craft({ alg: 'RS256', typ: 'JWT', kid: 'key_ec' }, accessClaims, rs256(keyA.privateKey)), keys: [keyA, keyEc], result: 'unsupported_algorithm' },
    { name: 'ES256 from another EC key with our EC kid', token: () => craft({ alg: 'ES256', typ: 'JWT', kid: 'key_ec' }, accessClaims, es256(otherEc.privateJwk)), keys: [keyA, keyEc], result: 'bad_signature' },
    { name: 'HS256 keyed with our EC public JWK', token: () => craft({ alg: 'HS256', typ: 'JWT', kid: 'key_ec' }, accessClaims, hs256(JSON.stringify(keyEc.publicKey))), keys: [keyEc], result: 'unsupported_algorithm' },
    { name: 'alg missing', token: () => craft({ typ: 'JWT', kid: 'key_a' }, accessClaims, rs256(keyA.privateKey)), result: 'malformed' },
    { name: 'a published JWK marked for another alg', token: () => tokenCrypto.sign(accessClaims, keyA), keys: [{ ...keyA.publicKey, alg: 'PS256' }], result: 'unsupported_algorithm' },
    { name: 'a published JWK marked use enc', token: () => tokenCrypto.sign(accessClaims, keyA), keys: [{ ...keyA.publicKey, use: 'enc' }], result: 'unsupported_algorithm' },

    // signatures
    { name: 'another key with the same kid', token: () => tokenCrypto.sign(accessClaims, impostor), result: 'bad_signature' },
    { name: 'the attacker key embedded in the header (jwk)', token: () => craft({ ...headerA, jwk: impostor.publicKey }, accessClaims, rs256(impostor.privateKey)), result: 'bad_signature' },
    { name: 'a jku / x5u pointing at the attacker', token: () => craft({ ...headerA, jku: 'https://evil.example/jwks', x5u: 'https://evil.example/c.pem' }, accessClaims, rs256(impostor.privateKey)), result: 'bad_signature' },
    { name: 'tampered payload (sub changed)', token: async () => withPart(await tokenCrypto.sign(accessClaims, keyA), 1, b64u({ ...accessClaims, sub: 'usr_admin' })), result: 'bad_signature' },
    { name: 'tampered payload (exp extended)', token: async () => withPart(await tokenCrypto.sign(accessClaims, keyA), 1, b64u({ ...accessClaims, exp: NOW_S + 86_400 * 365 })), result: 'bad_signature' },
    { name: 'tampered header (typ changed)', token: async () => withPart(await tokenCrypto.sign(accessClaims, keyA), 0, b64u({ ...headerA, typ: 'at+jwt' })), result: 'bad_signature' },
    { name: 'signature removed', token: async () => withPart(await tokenCrypto.sign(accessClaims, keyA), 2, ''), result: 'bad_signature' },
    { name: 'signature truncated', token: async () => (await tokenCrypto.sign(accessClaims, keyA)).slice(0, -8), result: 'bad_signature' },
    { name: 'signature of another token', token: async () => withPart(await tokenCrypto.sign(accessClaims, keyA), 2, (await tokenCrypto.sign({ ...accessClaims, sub: 'x' }, keyA)).split('.')[2]!), result: 'bad_signature' },

    // time, against the injected now
    { name: 'exp one second ago', token: () => signA({ ...accessClaims, exp: NOW_S - 1 }), result: 'expired' },
    { name: 'exp exactly now', token: () => signA({ ...accessClaims, exp: NOW_S }), result: 'expired' },
    { name: 'exp 20 s ago within a 30 s tolerance', token: () => signA({ ...accessClaims, exp: NOW_S - 20 }), expect: { clockToleranceSeconds: 30 }, result: 'ok' },
    { name: 'exp 31 s ago beyond a 30 s tolerance', token: () => signA({ ...accessClaims, exp: NOW_S - 31 }), expect: { clockToleranceSeconds: 30 }, result: 'expired' },
    { name: 'nbf a minute ahead', token: () => signA({ ...accessClaims, nbf: NOW_S + 60 }), result: 'not_yet_valid' },
    { name: 'nbf 20 s ahead within a 30 s tolerance', token: () => signA({ ...accessClaims, nbf: NOW_S + 20 }), expect: { clockToleranceSeconds: 30 }, result: 'ok' },
    { name: 'nbf now', token: () => signA({ ...accessClaims, nbf: NOW_S }), result: 'ok' },
    { name: 'valid in 2001 at the injected 2001 (not the wall clock)', token: () => signA({ ...accessClaims, exp: Date.UTC(2001, 0, 1, 0, 5) / 1000 }), expect: { now: Date.UTC(2001, 0, 1) }, result: 'ok' },
    { name: 'a negative tolerance counts as none', token: () => signA({ ...accessClaims, exp: NOW_S + 1 }), expect: { clockToleranceSeconds: -3600 }, result: 'ok' },

    // claims
    { name: 'no exp', token: () => signA({ iss: ISSUER, aud: AUDIENCE, sub: 'usr_1' }), result: 'missing_claim' },
    { name: 'a required claim absent', token: () => signA({ ...accessClaims, scope: undefined }), expect: { requiredClaims: ['scope'] }, result: 'missing_claim' },
    { name: 'exp a string', token: () => signA({ ...accessClaims, exp: String(NOW_S + 300) }), result: 'malformed' },
    { name: 'nbf a string', token: () => signA({ ...accessClaims, nbf: 'yesterday' }), result: 'malformed' },
    { name: 'another issuer', token: () => signA({ ...accessClaims, iss: 'https://evil.example' }), result: 'wrong_issuer' },
    { name: 'no iss when one is expected', token: () => signA({ ...accessClaims, iss: undefined }), result: 'missing_claim' },
    { name: 'an issuer predicate that accepts', token: () => signA(accessClaims), expect: { issuer: (iss) => iss.startsWith('https://switchboard.example/tenants/') }, result: 'ok' },
    { name: 'an issuer predicate that refuses', token: () => signA({ ...accessClaims, iss: 'https://evil.example' }), expect: { issuer: (iss) => iss.startsWith('https://switchboard.example/tenants/') }, result: 'wrong_issuer' },
    { name: 'an issuer predicate that throws', token: () => signA(accessClaims), expect: { issuer: () => { throw new Error('boom'); } }, result: 'wrong_issuer' },
    { name: 'an issuer predicate and iss a number', token: () => signA({ ...accessClaims, iss: 42 }), expect: { issuer: () => true }, result: 'wrong_issuer' },
    { name: 'an issuer predicate and no iss', token: () => signA({ ...accessClaims, iss: undefined }), expect: { issuer: () => true }, result: 'missing_claim' },
    { name: 'another audience', token: () => signA({ ...accessClaims, aud: 'https://other.example' }), result: 'wrong_audience' },
    { name: 'no aud when one is expected', token: () => signA({ ...accessClaims, aud: undefined }), result: 'missing_claim' },
    { name: 'aud an array containing ours', token: () => signA({ ...accessClaims, aud: ['https://other.example', AUDIENCE] }), result: 'ok' },
    { name: 'one of several expected audiences', token: () => signA(accessClaims), expect: { audience: ['https://other.example', AUDIENCE] }, result: 'ok' },
    { name: 'iss and aud unchecked when not expected', token: () => signA({ exp: NOW_S + 60 }), expect: { issuer: undefined, audience: undefined }, result: 'ok' },

    // not tokens at all
    ...[
      '', 'garbage', 'a.b', 'a.b.c', '...', 'a..c', '.b.c', 'eyJ.eyJ.', ' ' + 'x'.repeat(10), 'e30.e30.e30.e30.e30',
      `${b64u('null')}.${b64u(accessClaims)}.`, `${b64u('[]')}.${b64u(accessClaims)}.`, `${b64u('"RS256"')}.${b64u(accessClaims)}.`,
      `${b64u('{"alg":"RS256"')}.${b64u(accessClaims)}.`, 'ey!J.ey$J.sig', 'x'.repeat(40_000) + '.e30.e30',
    ].map((text): Case => ({ name: `garbage ${JSON.stringify(text.length > 40 ? `${text.slice(0, 20)}... (${text.length})` : text)}`, token: () => text, result: 'malformed' })),
    { name: 'a JWE-shaped five-part token', token: () => `${b64u({ alg: 'RSA-OAEP', enc: 'A256GCM', kid: 'key_a' })}.a.b.c.d`, result: 'malformed' },
    { name: 'claims that are not JSON, correctly signed', token: () => { const input = `${b64u(headerA)}.${b64u('not json')}`; return `${input}.${rs256(keyA.privateKey)(input).toString('base64url')}`; }, result: 'malformed' },
    { name: 'claims that are a JSON array, correctly signed', token: () => craft(headerA, [1, 2], rs256(keyA.privateKey)), result: 'malformed' },
    { name: 'an unknown critical header, correctly signed', token: () => craft({ ...headerA, crit: ['exp-ext'], 'exp-ext': 1 }, accessClaims, rs256(keyA.privateKey)), result: 'malformed' },
  ];

  for (const c of cases) {
    it(`${c.result === 'ok' ? 'accepts' : 'rejects'} ${c.name}${c.result === 'ok' ? '' : ` (${[c.result].flat().join(' or ')})`}`, async () => {
      const result = await tokenCrypto.verify(await c.token(), c.keys ?? [keyA, keyB], { ...expectAccess, ...c.expect });
      if (c.result === 'ok') assert.equal(result.ok, true, JSON.stringify(result));
      else assertRejected(result, c.result);
    });
  }

  it('never throws: not a string, and a thousand random mutations of a valid token', async () => {
    for (const notAToken of [null, undefined, 42, {}, [], Symbol('t')]) {
      assertRejected(await tokenCrypto.verify(notAToken as unknown as string, [keyA], expectAccess), 'malformed');
    }
    const token = await tokenCrypto.sign(accessClaims, keyA);
    const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_.=+/ {}"';
    let seed = 7;
    const random = (n: number) => { seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31; return seed % n; };
    for (let i = 0; i < 1000; i++) {
      const at = random(token.length);
      const mutated = token.slice(0, at) + alphabet[random(alphabet.length)] + token.slice(at + 1 + random(3));
      const result = await tokenCrypto.verify(mutated, [keyA], expectAccess);
      assert.ok(result.ok ? mutated === token || result.claims.sub === 'usr_1' : REJECTIONS.includes(result.reason), mutated);
    }
  });
});

describe('verifyClientAssertion (RFC 7523 private_key_jwt)', () => {
  const assertionClaims = { iss: CLIENT_ID, sub: CLIENT_ID, aud: TOKEN_ENDPOINT, jti: 'c2f7e0a4-1', iat: NOW_S, exp: NOW_S + 60 };
  const expectAssertion: ClientAssertionExpectations = {
    clientId: CLIENT_ID, audience: TOKEN_ENDPOINT, now: NOW, clockToleranceSeconds: 0, maxLifetimeSeconds: 300,
  };
  const rsaHeader = { alg: 'RS256', typ: 'JWT', kid: clientRsaKid };
  const ecHeader = { alg: 'ES256', typ: 'JWT', kid: clientEcKid };
  const byRsa = (claims: Record<string, unknown>, header: Record<string, unknown> = rsaHeader) => craft(header, claims, rs256(clientRsa.privateJwk));
  const byEc = (claims: Record<string, unknown>, header: Record<string, unknown> = ecHeader) => craft(header, claims, es256(clientEc.privateJwk));

  type Case = {
    readonly name: string;
    readonly token: () => string;
    readonly keys?: readonly Jwk[];
    readonly expect?: Partial<ClientAssertionExpectations>;
    readonly result: 'ok' | TokenRejection | readonly TokenRejection[];
  };
  const cases: readonly Case[] = [
    { name: 'RS256 from a registered RSA key, kid = its thumbprint', token: () => byRsa(assertionClaims), result: 'ok' },
    { name: 'PS256 from a registered RSA key', token: () => craft({ ...rsaHeader, alg: 'PS256' }, assertionClaims, ps256(clientRsa.privateJwk)), result: 'ok' },
    { name: 'ES256 from a registered EC P-256 key', token: () => byEc(assertionClaims), result: 'ok' },
    { name: 'the kid member of the registered JWK', token: () => byRsa(assertionClaims, { alg: 'RS256', kid: 'my-key-1' }), keys: [{ ...clientRsa.publicJwk, kid: 'my-key-1' }], result: 'ok' },
    { name: 'no kid and exactly one registered key', token: () => byEc(assertionClaims, { alg: 'ES256' }), keys: [clientEc.publicJwk], result: 'ok' },
    { name: 'no kid and two registered keys', token: () => byEc(assertionClaims, { alg: 'ES256' }), result: 'unknown_key' },
    { name: 'a kid that is not registered', token: () => byEc(assertionClaims, { ...ecHeader, kid: 'nope' }), result: 'unknown_key' },
    { name: 'aud an array containing the token endpoint', token: () => byRsa({ ...assertionClaims, aud: [TOKEN_ENDPOINT, 'https://x.example'] }), result: 'ok' },
    { name: 'exp exactly the maximum lifetime ahead', token: () => byRsa({ ...assertionClaims, exp: NOW_S + 300 }), result: 'ok' },
    { name: 'exp the maximum lifetime plus the tolerance ahead', token: () => byRsa({ ...assertionClaims, exp: NOW_S + 330 }), expect: { clockToleranceSeconds: 30 }, result: 'ok' },

    { name: 'iss another client', token: () => byRsa({ ...assertionClaims, iss: 'other-client' }), result: 'wrong_issuer' },
    { name: 'sub another client', token: () => byRsa({ ...assertionClaims, sub: 'other-client' }), result: 'wrong_subject' },
    { name: 'iss and sub both another client', token: () => byRsa({ ...assertionClaims, iss: 'other-client', sub: 'other-client' }), result: 'wrong_issuer' },
    { name: 'no sub', token: () => byRsa({ ...assertionClaims, sub: undefined }), result: 'missing_claim' },
    { name: 'no jti', token: () => byRsa({ ...assertionClaims, jti: undefined }), result: 'missing_claim' },
    { name: 'an empty jti', token: () => byRsa({ ...assertionClaims, jti: '' }), result: 'missing_claim' },
    { name: 'a jti that is not a string', token: () => byRsa({ ...assertionClaims, jti: 12 }), result: 'malformed' },
    { name: 'no exp', token: () => byRsa({ ...assertionClaims, exp: undefined }), result: 'missing_claim' },
    { name: 'exp an hour ahead (maximum 5 minutes)', token: () => byRsa({ ...assertionClaims, exp: NOW_S + 3600 }), result: 'lifetime_too_long' },
    { name: 'exp one second past the maximum', token: () => byRsa({ ...assertionClaims, exp: NOW_S + 301 }), result: 'lifetime_too_long' },
    { name: 'exp in the past', token: () => byRsa({ ...assertionClaims, exp: NOW_S - 5 }), result: 'expired' },
    { name: 'nbf ahead', token: () => byRsa({ ...assertionClaims, nbf: NOW_S + 60 }), result: 'not_yet_valid' },
    { name: 'aud another endpoint', token: () => byRsa({ ...assertionClaims, aud: 'https://other.example/token' }), result: 'wrong_audience' },
    { name: 'aud the issuer rather than the token endpoint', token: () => byRsa({ ...assertionClaims, aud: ISSUER }), result: 'wrong_audience' },
    { name: 'no aud', token: () => byRsa({ ...assertionClaims, aud: undefined }), result: 'missing_claim' },

    { name: 'alg none', token: () => craft({ alg: 'none', kid: clientRsaKid }, assertionClaims, null), result: 'unsupported_algorithm' },
    { name: 'HS256 keyed with the registered public key PEM', token: () => craft({ ...rsaHeader, alg: 'HS256' }, assertionClaims, hs256(clientRsa.spkiPem)), result: ['unsupported_algorithm', 'bad_signature'] },
    { name: 'HS256 keyed with the registered EC JWK', token: () => craft({ ...ecHeader, alg: 'HS256' }, assertionClaims, hs256(JSON.stringify(clientEc.publicJwk))), result: ['unsupported_algorithm', 'bad_signature'] },
    { name: 'ES256 claimed for an RSA key', token: () => craft({ ...rsaHeader, alg: 'ES256' }, assertionClaims, es256(clientEc.privateJwk)), result: 'unsupported_algorithm' },
    { name: 'RS256 claimed for an EC key', token: () => craft({ ...ecHeader, alg: 'RS256' }, assertionClaims, rs256(clientRsa.privateJwk)), result: 'unsupported_algorithm' },
    { name: 'PS256 for an RSA key registered as RS256 only', token: () => craft({ ...rsaHeader, alg: 'PS256' }, assertionClaims, ps256(clientRsa.privateJwk)), keys: [{ ...clientRsa.publicJwk, alg: 'RS256' }], result: 'unsupported_algorithm' },
    { name: 'ES384', token: () => byEc(assertionClaims, { ...ecHeader, alg: 'ES384' }), result: 'unsupported_algorithm' },
    { name: 'another EC key sending the registered key\'s thumbprint', token: () => craft(ecHeader, assertionClaims, es256(otherEc.privateJwk)), result: 'bad_signature' },
    { name: 'the attacker key embedded in the header', token: () => craft({ ...ecHeader, jwk: otherEc.publicJwk }, assertionClaims, es256(otherEc.privateJwk)), result: 'bad_signature' },
    { name: 'tampered payload (sub to another client)', token: () => withPart(byRsa(assertionClaims), 1, b64u({ ...assertionClaims, iss: 'c2', sub: 'c2' })), result: 'bad_signature' },
    { name: 'an RSA key under 2048 bits registered anyway', token: () => craft({ alg: 'RS256' }, assertionClaims, rs256(weakRsa.privateJwk)), keys: [weakRsa.publicJwk], result: 'unknown_key' },
    { name: 'garbage', token: () => 'not-a-jwt', result: 'malformed' },
  ];

  for (const c of cases) {
    it(`${c.result === 'ok' ? 'accepts' : 'rejects'} ${c.name}${c.result === 'ok' ? '' : ` (${[c.result].flat().join(' or ')})`}`, async () => {
      const result = await tokenCrypto.verifyClientAssertion(c.token(), c.keys ?? [clientRsa.publicJwk, clientEc.publicJwk], { ...expectAssertion, ...c.expect });
      if (c.result === 'ok') assert.equal(result.ok, true, JSON.stringify(result));
      else assertRejected(result, c.result);
    });
  }

  it('returns the jti (for the caller\'s replay check) and the header', async () => {
    const result = await tokenCrypto.verifyClientAssertion(byEc(assertionClaims), [clientEc.publicJwk], expectAssertion);
    assert.ok(result.ok);
    assert.equal(result.claims.jti, 'c2f7e0a4-1');
    assert.deepEqual(result.header, ecHeader);
  });

  it('does not accept our own access token as a client assertion', async () => {
    const token = await tokenCrypto.sign({ ...assertionClaims }, keyA);
    assertRejected(await tokenCrypto.verifyClientAssertion(token, [clientRsa.publicJwk], expectAssertion), 'unknown_key');
  });
});


describe('thumbprint (RFC 7638)', () => {
  const rfcKey = {
    kty: 'RSA',
    n: '0vx7agoebGcQSuuPiLJXZptN9nndrQmbXEps2aiAFbWhM78LhWx4cbbfAAtVT86zwu1RK7aPFFxuhDR1L6tSoc_BJECPebWKRXjBZCiFV4n3oknjhMstn64tZ_2W-5JsGY4Hc5n9yBXArwl93lqt7_RN5w6Cf0h4QyQ5v-65YGjQR0_FDW2QvzqY368QQMicAtaSqzs8KJZgnYb9c7d0zgdAZHzu6qMQvRL5hajrn1n91CbOpbISD08qNLyrdkt-bFTWhAI4vMQFh6WeZu0fM4lFd2NcRwr3XPksINHaQ-G_xBniIqbw0Ls1jF44-csFCur-kEgU8awapJzKnqDKgw',
    e: 'AQAB',
    alg: 'RS256',
    kid: '2011-04-29',
  };

  it('is the value of the RFC\'s example (section 3.1)', async () => {
    assert.equal(await tokenCrypto.thumbprint(rfcKey), 'NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs');
  });

  it('ignores members other than the required ones, and is the same for the private half', async () => {
    assert.equal(await tokenCrypto.thumbprint({ ...rfcKey, use: 'sig', kid: 'other' }), 'NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs');
    assert.equal(await tokenCrypto.thumbprint(keyA.privateKey), await tokenCrypto.thumbprint(keyA.publicKey));
  });
});

describe('importPublicKey', () => {
  const accepted = async (input: string | Jwk): Promise<Jwk> => {
    const result = await tokenCrypto.importPublicKey(input);
    assert.ok(!isKeyImportError(result), `refused: ${JSON.stringify(result)}`);
    return result;
  };
  const noPrivateMembers = (jwk: Jwk) => {
    for (const member of ['d', 'p', 'q', 'dp', 'dq', 'qi', 'k']) assert.equal(jwk[member], undefined, member);
  };

  it('reads a PEM SPKI RSA key into the public JWK, kid = thumbprint', async () => {
    const jwk = await accepted(clientRsa.spkiPem);
    assert.equal(jwk.kty, 'RSA');
    assert.equal(jwk.n, clientRsa.publicJwk.n);
    assert.equal(jwk.e, clientRsa.publicJwk.e);
    assert.equal(jwk.kid, clientRsaKid);
    assert.equal(jwk.use, 'sig');
    noPrivateMembers(jwk);
  });

  it('reads a PEM SPKI EC P-256 key, even with text around it', async () => {
    const jwk = await accepted(`uploaded by ops\n\n${clientEc.spkiPem}\n`);
    assert.deepEqual({ kty: jwk.kty, crv: jwk.crv, x: jwk.x, y: jwk.y }, clientEc.publicJwk);
    assert.equal(jwk.kid, clientEcKid);
  });

  it('reads a public JWK as an object or as JSON text, keeping its kid and alg, dropping the rest', async () => {
    const given = { ...clientRsa.publicJwk, kid: 'my-key-1', alg: 'PS256', x5t: 'abc', ext: true };
    for (const input of [given, JSON.stringify(given)]) {
      const jwk = await accepted(input);
      assert.deepEqual(jwk, { kty: 'RSA', n: clientRsa.publicJwk.n, e: clientRsa.publicJwk.e, kid: 'my-key-1', use: 'sig', alg: 'PS256' });
    }
  });

  it('gives keys that verify assertions signed with their private halves', async () => {
    const jwk = await accepted(clientEc.spkiPem);
    const token = craft({ alg: 'ES256', kid: jwk.kid }, { iss: CLIENT_ID, sub: CLIENT_ID, aud: TOKEN_ENDPOINT, jti: 'j', exp: NOW_S + 60 }, es256(clientEc.privateJwk));
    const result = await tokenCrypto.verifyClientAssertion(token, [jwk], { clientId: CLIENT_ID, audience: TOKEN_ENDPOINT, now: NOW, clockToleranceSeconds: 0, maxLifetimeSeconds: 300 });
    assert.equal(result.ok, true, JSON.stringify(result));
  });

  const p384 = rawKeyPair('ec', { namedCurve: 'P-384' });
  const ed25519 = rawKeyPair('ed25519');
  const pkcs1Private = createPrivateKey(clientRsa.pkcs8Pem).export({ type: 'pkcs1', format: 'pem' }) as string;
  const sec1Private = createPrivateKey(clientEc.pkcs8Pem).export({ type: 'sec1', format: 'pem' }) as string;
  const pkcs1Public = createPublicKey(clientRsa.spkiPem).export({ type: 'pkcs1', format: 'pem' }) as string;
  const offCurve = { ...clientEc.publicJwk, y: clientEc.publicJwk.x };
  const refusals: ReadonlyArray<readonly [string, string | Jwk, RegExp]> = [
    ['a private RSA JWK', clientRsa.privateJwk, /private key/],
    ['a private EC JWK', clientEc.privateJwk, /private key/],
    ['our own private signing key', keyA.privateKey, /private key/],
    ['a symmetric oct JWK', { kty: 'oct', k: 'c2VjcmV0LXNlY3JldC1zZWNyZXQtc2VjcmV0' }, /symmetric/],
    ['a symmetric oct JWK as JSON', JSON.stringify({ kty: 'oct', k: 'c2VjcmV0' }), /symmetric/],
    ['a PKCS#8 private key PEM', clientRsa.pkcs8Pem, /private key/],
    ['a PKCS#1 RSA private key PEM', pkcs1Private, /private key/],
    ['a SEC1 EC private key PEM', sec1Private, /private key/],
    ['a PKCS#1 RSA public key PEM', pkcs1Public, /PKCS#1/],
    ['an EC P-384 key (SPKI)', p384.spkiPem, /RSA .* EC P-256/],
    ['an EC P-384 key (JWK)', p384.publicJwk, /P-384/],
    ['an Ed25519 key (SPKI)', ed25519.spkiPem, /RSA .* EC P-256/],
    ['an Ed25519 key (JWK)', ed25519.publicJwk, /OKP/],
    ['an RSA 1024 key (SPKI)', weakRsa.spkiPem, /1024 bits/],
    ['an RSA 1024 key (JWK)', weakRsa.publicJwk, /1024 bits/],
    ['a key marked use enc', { ...clientRsa.publicJwk, use: 'enc' }, /"use": "enc"/],
    ['a key marked for RSA-OAEP', { ...clientRsa.publicJwk, alg: 'RSA-OAEP' }, /RSA-OAEP/],
    ['an EC key marked RS256', { ...clientEc.publicJwk, alg: 'RS256' }, /ES256/],
    ['an EC point not on the curve', offCurve, /not valid/],
    ['an RSA JWK without e', { kty: 'RSA', n: clientRsa.publicJwk.n }, /missing/],
    ['a JWK without kty', { n: 'abc', e: 'AQAB' }, /kty/],
    ['invalid JSON', '{"kty": "RSA", ', /not valid JSON/],
    ['a JSON array', [] as unknown as Jwk, /JSON object/],
    ['plain text', 'hello', /Expected a PEM/],
    ['a PEM with a mangled body', '-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----', /RSA .* EC P-256/],
    ['a CSR', '-----BEGIN CERTIFICATE REQUEST-----\nAAAA\n-----END CERTIFICATE REQUEST-----', /not a public key or certificate/],
  ];
  for (const [name, input, message] of refusals) {
    it(`refuses ${name}`, async () => {
      const result = await tokenCrypto.importPublicKey(input);
      assert.ok(isKeyImportError(result), `accepted: ${JSON.stringify(result)}`);
      assert.match(result.error, message);
    });
  }

  describe('from X.509 certificates (made with openssl at test time)', () => {
    const hasOpenssl = (() => {
      try {
        execFileSync('openssl', ['version'], { stdio: 'ignore' });
        return true;
      } catch {
        return false;
      }
    })();
    const dir = mkdtempSync(join(tmpdir(), 'sb-x509-'));
    after(() => rmSync(dir, { recursive: true, force: true }));

    const selfSigned = (name: string, keyArgs: readonly string[]) => {
      const keyPath = join(dir, `${name}.key`);
      const certPath = join(dir, `${name}.crt`);
      execFileSync('openssl', ['req', '-x509', ...keyArgs, '-keyout', keyPath, '-out', certPath, '-days', '2', '-nodes', '-subj', `/CN=${name}`], { stdio: 'ignore' });
      return { cert: readFileSync(certPath, 'utf8'), privateJwk: createPrivateKey(readFileSync(keyPath, 'utf8')).export({ format: 'jwk' }) as Jwk };
    };

    const certificates: ReadonlyArray<readonly [string, readonly string[], 'RS256' | 'ES256']> = [
      ['RSA 2048', ['-newkey', 'rsa:2048'], 'RS256'],
      ['EC P-256', ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1'], 'ES256'],
    ];
    for (const [name, keyArgs, alg] of certificates) {
      it(`reads a ${name} certificate into its public key, which verifies the holder's assertions`, { skip: !hasOpenssl && 'openssl is not installed' }, async () => {
        const { cert, privateJwk } = selfSigned(name.replace(/\W/g, ''), keyArgs);
        const jwk = await accepted(cert);
        noPrivateMembers(jwk);
        assert.equal(jwk.kid, await tokenCrypto.thumbprint(privateJwk));
        const claims = { iss: CLIENT_ID, sub: CLIENT_ID, aud: TOKEN_ENDPOINT, jti: 'j1', exp: NOW_S + 60 };
        const token = craft({ alg, kid: jwk.kid }, claims, alg === 'RS256' ? rs256(privateJwk) : es256(privateJwk));
        const result = await tokenCrypto.verifyClientAssertion(token, [jwk], { clientId: CLIENT_ID, audience: TOKEN_ENDPOINT, now: NOW, clockToleranceSeconds: 0, maxLifetimeSeconds: 300 });
        assert.equal(result.ok, true, JSON.stringify(result));
      });
    }

    it('refuses a certificate for an EC P-384 key', { skip: !hasOpenssl && 'openssl is not installed' }, async () => {
      const { cert } = selfSigned('p384', ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:secp384r1']);
      const result = await tokenCrypto.importPublicKey(cert);
      assert.ok(isKeyImportError(result));
      assert.match(result.error, /RSA .* EC P-256/);
    });
  });
});
