/**
 * `TokenCrypto`: verification and key handling with the `jose` package (WebCrypto underneath),
 * signing with `node:crypto`. Signing keys are RS256 (RSA 2048, the default) or ES256 (EC P-256).
 *
 * Verification is built so that the token never chooses how it is checked: the header's `alg` and
 * `kid` only select among keys and algorithms we decided on beforehand. That is what defeats the
 * classic JWT attacks: `alg: none`, HS256 with the RSA public key as the HMAC secret (key
 * confusion), keys embedded in the header (`jwk`, `jku`, `x5c`), and RSA/EC algorithm swaps.
 *
 * The verifications never throw: a token is input from whoever sent the request, and every way it
 * can be wrong is an answer (a `TokenRejection` the caller turns into a 401), not an exception that
 * would surface as a 500 and put attacker-chosen text in the error log.
 *
 * Speed (docs/BENCHMARKS.md, token issuance): imported keys are cached. Importing an RSA key and
 * signing with it the first time costs more than a signature (the key is parsed and checked, and
 * OpenSSL sets up its Montgomery and blinding state on first use): ~1.2 ms against ~0.4 ms with a
 * key that is kept. Private keys are cached per kid and re-imported when the stored material of that
 * kid differs; public keys by their material, so a cache hit is always the very key that was given.
 * RS256 signing uses `node:crypto` with a callback, so the RSA operation (~0.4 ms, the largest
 * cost of issuing a token) runs on libuv's thread pool, in parallel with the main thread parsing,
 * authorizing and answering the next requests. ES256 signs in ~0.03 ms, on the event loop.
 */
import { Buffer } from 'node:buffer';
import { createPrivateKey, sign as cryptoSign, type KeyObject } from 'node:crypto';
import { availableParallelism } from 'node:os';
import {
  calculateJwkThumbprint, decodeProtectedHeader, errors, exportJWK, generateKeyPair, importJWK, importSPKI, importX509,
  jwtVerify, type CryptoKey, type JWK, type JWTVerifyOptions,
} from 'jose';
import type { SigningAlgorithm, SigningKey } from '../../core/identity/identity-model.js';
import type {
  ClientAssertionExpectations, Jwk, KeyImportError, TokenClaims, TokenCrypto, TokenHeader, TokenRejection,
  VerifyExpectations, VerifyResult,
} from '../../app/ports/token-crypto.js';

/** Longer than this is not a token we issue or a client would send; refuse before parsing. */
const MAX_TOKEN_LENGTH = 32 * 1024;
/** Three base64url parts; the signature may be empty only so that `alg: none` is named as such. */
const COMPACT_JWS = /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*$/;
const MIN_RSA_BITS = 2048;

/**
 * Our access tokens: RS256 (the default) or ES256 (`SWITCHBOARD_TOKEN_ALG`), and nothing else. Each
 * of our keys verifies its own algorithm only (RSA keys RS256, EC P-256 keys ES256), so a token
 * cannot swap one for the other.
 */
const ACCESS_TOKEN_ALGORITHMS: ReadonlySet<string> = new Set(['RS256', 'ES256']);
/** Client assertions: what the registered key's type allows (RFC 7518 names). */
const RSA_ASSERTION_ALGORITHMS = ['RS256', 'PS256'] as const;
const EC_ASSERTION_ALGORITHMS = ['ES256'] as const;
const ASSERTION_ALGORITHMS: ReadonlySet<string> = new Set([...RSA_ASSERTION_ALGORITHMS, ...EC_ASSERTION_ALGORITHMS]);

const PRIVATE_MEMBERS = ['d', 'p', 'q', 'dp', 'dq', 'qi', 'oth', 'k'] as const;

/**
 * Bounds of the key caches. Signing keys rotate every few weeks (a handful are live at once); public
 * keys are ours plus the certificates of clients that authenticate with assertions. When a cache is
 * full its oldest entry goes: a miss only costs an import.
 */
const MAX_CACHED_SIGNING_KEYS = 16;
const MAX_CACHED_PUBLIC_KEYS = 1_000;

/**
 * Signatures handed to libuv's thread pool at once; more wait here. The pool (4 threads unless
 * UV_THREADPOOL_SIZE says otherwise) also does file system and DNS work, which must not queue
 * behind a hundred signatures; and more signatures in parallel than there are cores gains nothing.
 */
const DEFAULT_SIGNING_CONCURRENCY = Math.max(1, Math.min(availableParallelism(), 3));

export interface JoseTokenCryptoOptions {
  /** Signatures computed in parallel on the thread pool (default: the cores, at most 3). */
  readonly signingConcurrency?: number;
}

/** The public members of an RSA or EC P-256 key; nothing else ever reaches `importJWK`. */
type PublicMembers =
  | { readonly kty: 'RSA'; readonly n: string; readonly e: string }
  | { readonly kty: 'EC'; readonly crv: 'P-256'; readonly x: string; readonly y: string };

/** A key we are willing to verify with: the kids it answers to and the algorithms it may be used with. */
interface Candidate {
  readonly kids: readonly string[];
  readonly key: PublicMembers;
  readonly algorithms: readonly string[];
}

type Rejection = { readonly ok: false; readonly reason: TokenRejection };
const reject = (reason: TokenRejection): Rejection => ({ ok: false, reason });

export class JoseTokenCrypto implements TokenCrypto {
  /** kid -> the private key as imported, with the material it was imported from. */
  private readonly signingKeys = new Map<string, { readonly material: string; readonly key: KeyObject }>();
  /** `alg` + public members -> the imported verification key. */
  private readonly publicKeys = new Map<string, Promise<CryptoKey>>();
  private readonly signingConcurrency: number;
  private signing = 0;
  /** Signatures waiting for a slot, first come first served. */
  private readonly signQueue: Array<() => void> = [];

  constructor(options: JoseTokenCryptoOptions = {}) {
    this.signingConcurrency = Math.max(1, Math.floor(options.signingConcurrency ?? DEFAULT_SIGNING_CONCURRENCY));
  }

  async generateSigningKey(kid: string, algorithm: SigningAlgorithm = 'RS256'): Promise<{ publicKey: Jwk; privateKey: Jwk }> {
    const labels = { kid, alg: algorithm, use: 'sig' } as const;
    // extractable: the private key is stored (as a JWK) so that every node signs with the same key.
    if (algorithm === 'ES256') {
      const pair = await generateKeyPair('ES256', { extractable: true });
      const publicJwk = await exportJWK(pair.publicKey);
      const privateJwk = await exportJWK(pair.privateKey);
      return {
        publicKey: { kty: 'EC', ...labels, crv: publicJwk.crv, x: publicJwk.x, y: publicJwk.y },
        privateKey: { ...privateJwk, kty: 'EC', ...labels },
      };
    }
    if (algorithm !== 'RS256') throw new TypeError(`unsupported signing algorithm ${String(algorithm)}`);
    const pair = await generateKeyPair('RS256', { modulusLength: 2048, extractable: true });
    const publicJwk = await exportJWK(pair.publicKey);
    const privateJwk = await exportJWK(pair.privateKey);
    return {
      publicKey: { kty: 'RSA', ...labels, n: publicJwk.n, e: publicJwk.e },
      privateKey: { ...privateJwk, kty: 'RSA', ...labels },
    };
  }

  async sign(claims: Readonly<Record<string, unknown>>, key: SigningKey): Promise<string> {
    const privateKey = this.signingKey(key);
    // RFC 7515 compact serialization. The header is ours alone: nothing in the claims reaches it.
    const header = Buffer.from(JSON.stringify({ alg: key.algorithm, typ: 'JWT', kid: key.id })).toString('base64url');
    const payload = Buffer.from(JSON.stringify(claims)).toString('base64url');
    const input = `${header}.${payload}`;
    const signature = key.algorithm === 'ES256'
      // ES256 (RFC 7518 section 3.4): r || s, not DER. ~0.03 ms: cheaper on the event loop than a
      // round trip through the thread pool.
      ? cryptoSign('sha256', Buffer.from(input), { key: privateKey, dsaEncoding: 'ieee-p1363' })
      // RS256 = RSASSA-PKCS1-v1_5 with SHA-256, node:crypto's default padding for an RSA key.
      : await this.signOffLoop(Buffer.from(input), privateKey);
    return `${input}.${signature.toString('base64url')}`;
  }

  /** RSASSA-PKCS1-v1_5 SHA-256 on libuv's thread pool (node:crypto with a callback), at most `signingConcurrency` at once. */
  private async signOffLoop(data: Buffer, privateKey: KeyObject): Promise<Buffer> {
    if (this.signing < this.signingConcurrency) this.signing++;
    else await new Promise<void>((resolve) => this.signQueue.push(resolve)); // the finishing signature hands its slot over
    try {
      return await new Promise<Buffer>((resolve, reject) => {
        cryptoSign('sha256', data, privateKey, (error, result) => (error ? reject(error) : resolve(result)));
      });
    } finally {
      const next = this.signQueue.shift();
      if (next) next();
      else this.signing--;
    }
  }

  /**
   * The imported private key of `key`, from the cache when its kid was imported with the same
   * material. Throws a TypeError for a key that is not what its algorithm needs.
   */
  private signingKey(key: SigningKey): KeyObject {
    if (key.algorithm !== 'RS256' && key.algorithm !== 'ES256') throw new TypeError(`signing key ${key.id}: unsupported algorithm ${String(key.algorithm)}`);
    const jwk = key.algorithm === 'RS256' ? rsaPrivateMembers(key) : ecPrivateMembers(key);
    // The public part and d identify the private key; a record that reuses a kid with other
    // material is re-imported.
    const material = key.algorithm === 'RS256' ? `${jwk.n as string}.${jwk.d as string}` : `${jwk.x as string}.${jwk.y as string}.${jwk.d as string}`;
    const cached = this.signingKeys.get(key.id);
    if (cached && cached.material === material) return cached.key;
    let imported: KeyObject;
    try {
      imported = createPrivateKey({ key: jwk, format: 'jwk' });
    } catch {
      throw new TypeError(`signing key ${key.id} has no usable ${key.algorithm} private key`);
    }
    const fits = key.algorithm === 'RS256'
      ? imported.asymmetricKeyType === 'rsa' && (imported.asymmetricKeyDetails?.modulusLength ?? 0) >= MIN_RSA_BITS
      : imported.asymmetricKeyType === 'ec' && imported.asymmetricKeyDetails?.namedCurve === 'prime256v1';
    if (!fits) throw new TypeError(`signing key ${key.id} is not an ${key.algorithm === 'RS256' ? `RSA key of ${MIN_RSA_BITS} bits or more` : 'EC P-256 key'}`);
    this.signingKeys.delete(key.id);
    if (this.signingKeys.size >= MAX_CACHED_SIGNING_KEYS) this.signingKeys.delete(this.signingKeys.keys().next().value!);
    this.signingKeys.set(key.id, { material, key: imported });
    return imported;
  }

  /**
   * The verification key for `members` under `alg`, imported once. The cache key is the whole public
   * key, so a hit can only return the key that was asked for. A failed import is not kept.
   */
  private publicKey(members: PublicMembers, alg: string): Promise<CryptoKey> {
    const id = members.kty === 'RSA' ? `${alg} RSA ${members.n} ${members.e}` : `${alg} EC ${members.crv} ${members.x} ${members.y}`;
    const cached = this.publicKeys.get(id);
    if (cached) return cached;
    const imported = importJWK(members, alg) as Promise<CryptoKey>;
    if (this.publicKeys.size >= MAX_CACHED_PUBLIC_KEYS) this.publicKeys.delete(this.publicKeys.keys().next().value!);
    this.publicKeys.set(id, imported);
    imported.catch(() => this.publicKeys.delete(id));
    return imported;
  }

  async verify(token: string, keys: readonly SigningKey[] | readonly Jwk[], expect: VerifyExpectations): Promise<VerifyResult> {
    try {
      const candidates: Candidate[] = [];
      for (const entry of keys as readonly (SigningKey | Jwk)[]) {
        const candidate = isSigningKey(entry)
          ? accessTokenCandidate(entry.publicKey, [entry.id], entry.algorithm)
          : accessTokenCandidate(entry, typeof entry.kid === 'string' ? [entry.kid] : [], undefined);
        if (candidate) candidates.push(candidate);
      }
      const { issuer } = expect;
      const options: JWTVerifyOptions = {
        ...timeOptions(expect.now, expect.clockToleranceSeconds),
        // exp is always required: a token without one would be valid forever.
        requiredClaims: ['exp', ...(expect.requiredClaims ?? [])],
        ...(typeof issuer === 'string' ? { issuer } : {}),
        ...(expect.audience !== undefined ? { audience: audienceList(expect.audience) } : {}),
      };
      return await verifyCompact(token, candidates, keys.length, ACCESS_TOKEN_ALGORITHMS, options, this.importer, (claims) => {
        if (typeof issuer !== 'function') return undefined;
        if (!Object.hasOwn(claims, 'iss')) return 'missing_claim';
        return typeof claims.iss === 'string' && safePredicate(issuer, claims.iss) ? undefined : 'wrong_issuer';
      });
    } catch {
      // Everything above already maps failures; this is the last guard behind the "never throws" promise.
      return reject('malformed');
    }
  }

  async verifyClientAssertion(assertion: string, publicKeys: readonly Jwk[], expect: ClientAssertionExpectations): Promise<VerifyResult> {
    try {
      const candidates: Candidate[] = [];
      for (const jwk of publicKeys) {
        const candidate = await assertionCandidate(jwk);
        if (candidate) candidates.push(candidate);
      }
      const time = timeOptions(expect.now, expect.clockToleranceSeconds);
      const options: JWTVerifyOptions = {
        ...time,
        issuer: expect.clientId,
        subject: expect.clientId,
        audience: audienceList(expect.audience),
        requiredClaims: ['exp', 'jti'],
      };
      const latestExp = Math.floor(expect.now / 1000) + Math.max(0, expect.maxLifetimeSeconds) + time.clockTolerance;
      return await verifyCompact(assertion, candidates, publicKeys.length, ASSERTION_ALGORITHMS, options, this.importer, (claims) => {
        // jose checked that exp is a number and not past; RFC 7523 wants short-lived assertions too.
        if (typeof claims.exp !== 'number' || claims.exp > latestExp) return 'lifetime_too_long';
        if (typeof claims.jti !== 'string') return 'malformed';
        if (claims.jti === '') return 'missing_claim';
        return undefined;
      });
    } catch {
      return reject('malformed');
    }
  }

  private readonly importer = (members: PublicMembers, alg: string): Promise<CryptoKey> => this.publicKey(members, alg);

  async thumbprint(publicKey: Jwk): Promise<string> {
    return calculateJwkThumbprint(publicKey as JWK, 'sha256');
  }

  async importPublicKey(input: string | Jwk): Promise<Jwk | KeyImportError> {
    try {
      if (typeof input !== 'string') return await normaliseJwk(input);
      const text = input.trim();
      if (text.startsWith('{')) {
        let parsed: unknown;
        try {
          parsed = JSON.parse(text);
        } catch {
          return { error: 'The text starts like a JWK but is not valid JSON.' };
        }
        return await normaliseJwk(parsed);
      }
      const pem = /-----BEGIN ([A-Z0-9 ]+)-----[\s\S]*?-----END \1-----/.exec(text);
      if (!pem) {
        return { error: 'Expected a PEM public key (-----BEGIN PUBLIC KEY-----), a PEM certificate (-----BEGIN CERTIFICATE-----) or a public JWK.' };
      }
      const label = pem[1]!;
      if (label === 'CERTIFICATE') return await fromPem(pem[0], importX509);
      if (label === 'PUBLIC KEY') return await fromPem(pem[0], importSPKI);
      if (label.includes('PRIVATE KEY')) return { error: PRIVATE_KEY_ERROR };
      if (label === 'RSA PUBLIC KEY') {
        return { error: 'PKCS#1 "RSA PUBLIC KEY" PEM is not accepted; upload the key as SPKI (-----BEGIN PUBLIC KEY-----) or a certificate.' };
      }
      return { error: `A PEM "${label}" is not a public key or certificate.` };
    } catch {
      return { error: 'The key could not be read.' };
    }
  }
}

// ---- verification ----------------------------------------------------------------------------

/**
 * The shared path of both verifications. Order matters for what we tell the caller, and nothing
 * about the claims is believed before the signature is checked (jose checks claims after it).
 */
async function verifyCompact(
  token: string,
  candidates: readonly Candidate[],
  keyCount: number,
  acceptedAlgorithms: ReadonlySet<string>,
  options: JWTVerifyOptions,
  importKey: (members: PublicMembers, alg: string) => Promise<CryptoKey>,
  extraChecks: (claims: TokenClaims) => TokenRejection | undefined,
): Promise<VerifyResult> {
  if (typeof token !== 'string' || token.length > MAX_TOKEN_LENGTH || !COMPACT_JWS.test(token)) return reject('malformed');
  let header: Readonly<Record<string, unknown>>;
  try {
    header = decodeProtectedHeader(token) as Record<string, unknown>;
  } catch {
    return reject('malformed');
  }
  const { alg, kid } = header;
  if (typeof alg !== 'string') return reject('malformed');
  if (!acceptedAlgorithms.has(alg)) return reject('unsupported_algorithm');
  if (kid !== undefined && typeof kid !== 'string') return reject('malformed');

  // The key comes from our set only. Without a kid we guess only when there is nothing to guess.
  const matching = kid !== undefined
    ? candidates.filter((c) => c.kids.includes(kid))
    : keyCount === 1 ? candidates : [];
  if (matching.length === 0) return reject('unknown_key');
  const usable = matching.filter((c) => c.algorithms.includes(alg));
  if (usable.length === 0) return reject('unsupported_algorithm');

  let firstFailure: TokenRejection | undefined;
  for (const candidate of usable) {
    let key: CryptoKey;
    try {
      key = await importKey(candidate.key, alg);
    } catch {
      firstFailure ??= 'unknown_key'; // a stored key that does not import: as if it were not there
      continue;
    }
    try {
      // algorithms is pinned to the one algorithm this key may be used with, so jose itself refuses
      // anything else even if the checks above had a gap; currentDate makes time the injected clock's.
      const { payload, protectedHeader } = await jwtVerify(token, key, { ...options, algorithms: [alg] });
      const problem = extraChecks(payload);
      return problem ? reject(problem) : { ok: true, claims: payload, header: protectedHeader as TokenHeader };
    } catch (error) {
      const reason = rejectionOf(error);
      // Only a signature failure can depend on the key; anything else would be the same for all.
      if (reason !== 'bad_signature') return reject(reason);
      firstFailure ??= reason;
    }
  }
  return reject(firstFailure ?? 'bad_signature');
}

/** jose's errors, in our words. Unknown errors count as a malformed token: we fail closed. */
function rejectionOf(error: unknown): TokenRejection {
  if (error instanceof errors.JWTExpired) return error.claim === 'exp' ? 'expired' : 'malformed';
  if (error instanceof errors.JWTClaimValidationFailed) {
    if (error.reason === 'missing') return 'missing_claim';
    if (error.reason !== 'check_failed') return 'malformed'; // e.g. "exp" is not a number
    switch (error.claim) {
      case 'nbf': return 'not_yet_valid';
      case 'iss': return 'wrong_issuer';
      case 'sub': return 'wrong_subject';
      case 'aud': return 'wrong_audience';
      default: return 'malformed';
    }
  }
  if (error instanceof errors.JWSSignatureVerificationFailed) return 'bad_signature';
  if (error instanceof errors.JOSEAlgNotAllowed) return 'unsupported_algorithm';
  return 'malformed';
}

function timeOptions(now: number, toleranceSeconds: number): { currentDate: Date; clockTolerance: number } {
  return {
    currentDate: new Date(now),
    clockTolerance: Number.isFinite(toleranceSeconds) && toleranceSeconds > 0 ? toleranceSeconds : 0,
  };
}

function audienceList(audience: string | readonly string[]): string | string[] {
  return typeof audience === 'string' ? audience : [...audience];
}

function safePredicate(predicate: (iss: string) => boolean, iss: string): boolean {
  try {
    return predicate(iss) === true;
  } catch {
    return false;
  }
}

function isSigningKey(entry: SigningKey | Jwk): entry is SigningKey {
  const e = entry as Readonly<Record<string, unknown>>;
  return e.kty === undefined && typeof e.id === 'string' && typeof e.publicKey === 'object' && e.publicKey !== null;
}

/**
 * Our signing keys verify one algorithm each, whatever else the JWK might allow: RS256 for an RSA
 * key, ES256 for an EC P-256 key. A stored key whose algorithm does not fit its type verifies nothing.
 */
function accessTokenCandidate(jwk: Jwk, kids: readonly string[], algorithm: SigningAlgorithm | undefined): Candidate | undefined {
  const key = publicMembers(jwk);
  if (!key) return undefined;
  const own = key.kty === 'RSA' ? 'RS256' : 'ES256';
  if (algorithm !== undefined && algorithm !== own) return undefined;
  return { kids, key, algorithms: restrictByJwk(jwk, [own]) };
}

/** A client's key answers to its `kid` member and to its RFC 7638 thumbprint (what clients send). */
async function assertionCandidate(jwk: Jwk): Promise<Candidate | undefined> {
  const key = publicMembers(jwk);
  if (!key) return undefined;
  const kids = [await calculateJwkThumbprint(key, 'sha256')];
  if (typeof jwk.kid === 'string' && jwk.kid !== '') kids.push(jwk.kid);
  const algorithms = key.kty === 'RSA' ? RSA_ASSERTION_ALGORITHMS : EC_ASSERTION_ALGORITHMS;
  return { kids, key, algorithms: restrictByJwk(jwk, algorithms) };
}

/** A JWK's own `alg` narrows what it may verify; `use` other than `sig` rules it out. */
function restrictByJwk(jwk: Jwk, algorithms: readonly string[]): readonly string[] {
  if (jwk.use !== undefined && jwk.use !== 'sig') return [];
  if (Array.isArray(jwk.key_ops) && !jwk.key_ops.includes('verify')) return [];
  if (jwk.alg === undefined) return algorithms;
  return algorithms.filter((a) => a === jwk.alg);
}

/** The public members of an RSA (2048 bits or more) or EC P-256 JWK; private members never pass. */
function publicMembers(jwk: unknown): PublicMembers | undefined {
  if (typeof jwk !== 'object' || jwk === null) return undefined;
  const j = jwk as Record<string, unknown>;
  if (j.kty === 'RSA' && isB64u(j.n) && isB64u(j.e)) {
    return rsaBits(j.n) >= MIN_RSA_BITS ? { kty: 'RSA', n: j.n, e: j.e } : undefined;
  }
  if (j.kty === 'EC' && j.crv === 'P-256' && isB64u(j.x) && isB64u(j.y)) return { kty: 'EC', crv: 'P-256', x: j.x, y: j.y };
  return undefined;
}

function isB64u(value: unknown): value is string {
  return typeof value === 'string' && value.length > 0 && /^[A-Za-z0-9_-]+$/.test(value);
}

function rsaBits(n: string): number {
  const bytes = Buffer.from(n, 'base64url');
  let i = 0;
  while (i < bytes.length && bytes[i] === 0) i++;
  if (i === bytes.length) return 0;
  return (bytes.length - i) * 8 - Math.clz32(bytes[i]!) + 24;
}

function ecPrivateMembers(key: SigningKey): JWK {
  const p = key.privateKey;
  const members = ['crv', 'x', 'y', 'd'] as const;
  if (p.kty !== 'EC' || p.crv !== 'P-256' || !members.every((m) => typeof p[m] === 'string')) {
    throw new TypeError(`signing key ${key.id} has no EC P-256 private key`);
  }
  return Object.fromEntries([['kty', 'EC'], ...members.map((m) => [m, p[m]])]) as JWK;
}

function rsaPrivateMembers(key: SigningKey): JWK {
  const p = key.privateKey;
  const members = ['n', 'e', 'd', 'p', 'q', 'dp', 'dq', 'qi'] as const;
  if (p.kty !== 'RSA' || !members.every((m) => typeof p[m] === 'string')) {
    throw new TypeError(`signing key ${key.id} has no RSA private key`);
  }
  // Only the key material: alg/use/key_ops labels are ours to decide, not the stored record's.
  return Object.fromEntries([['kty', 'RSA'], ...members.map((m) => [m, p[m]])]) as JWK;
}

// ---- importing uploaded keys ---------------------------------------------------------------------

const PRIVATE_KEY_ERROR = 'This is a private key. Upload only the public key or the certificate: the private key must never leave the client.';
const KEY_TYPES_ACCEPTED = 'Only RSA (2048 bits or more) and EC P-256 public keys are accepted.';

/**
 * WebCrypto needs an algorithm to import a PEM, and the PEM does not say which: try the ones we
 * accept. RS256 covers ordinary RSA keys, ES256 P-256 keys, PS256 keys restricted to RSA-PSS.
 */
async function fromPem(
  pem: string,
  importer: (pem: string, alg: string, options: { extractable: boolean }) => Promise<CryptoKey>,
): Promise<Jwk | KeyImportError> {
  for (const alg of ['RS256', 'ES256', 'PS256'] as const) {
    let key: CryptoKey;
    try {
      key = await importer(pem, alg, { extractable: true });
    } catch {
      continue;
    }
    const jwk = await exportJWK(key);
    return normaliseJwk(alg === 'PS256' ? { ...jwk, alg } : jwk);
  }
  return { error: `${KEY_TYPES_ACCEPTED} This one is of another type or could not be read.` };
}

async function normaliseJwk(input: unknown): Promise<Jwk | KeyImportError> {
  if (typeof input !== 'object' || input === null || Array.isArray(input)) return { error: 'A JWK must be a JSON object.' };
  const jwk = input as Record<string, unknown>;
  if (typeof jwk.kty !== 'string') return { error: 'The JWK has no "kty" (key type).' };
  if (jwk.kty === 'oct') return { error: 'This is a symmetric (shared secret) key, "kty": "oct". Upload an RSA or EC public key.' };
  if (PRIVATE_MEMBERS.some((m) => jwk[m] !== undefined)) return { error: PRIVATE_KEY_ERROR };
  if (jwk.kty !== 'RSA' && jwk.kty !== 'EC') return { error: `${KEY_TYPES_ACCEPTED} This one has "kty": "${jwk.kty}".` };
  if (jwk.kty === 'EC' && jwk.crv !== 'P-256') return { error: `${KEY_TYPES_ACCEPTED} This EC key is on the curve "${String(jwk.crv)}".` };
  if (jwk.kty === 'RSA' && isB64u(jwk.n) && rsaBits(jwk.n) < MIN_RSA_BITS) {
    return { error: `${KEY_TYPES_ACCEPTED} This RSA key has ${rsaBits(jwk.n)} bits.` };
  }
  if (jwk.use !== undefined && jwk.use !== 'sig') return { error: `This key is marked "use": "${String(jwk.use)}"; a signing key ("sig") is needed.` };
  const allowed: readonly string[] = jwk.kty === 'RSA' ? RSA_ASSERTION_ALGORITHMS : EC_ASSERTION_ALGORITHMS;
  if (jwk.alg !== undefined && !allowed.includes(jwk.alg as string)) {
    return { error: `This key is marked "alg": "${String(jwk.alg)}"; ${allowed.join(' or ')} is needed for a ${jwk.kty} key.` };
  }
  const members = publicMembers(jwk);
  if (!members) return { error: `The ${jwk.kty} key is missing members or has malformed ones.` };
  let canonical: JWK;
  try {
    // Importing proves the numbers form a key (an EC point on the curve, a usable RSA modulus).
    canonical = await exportJWK(await importJWK(members, (jwk.alg as string | undefined) ?? allowed[0], { extractable: true }));
  } catch {
    return { error: `The ${jwk.kty} key is not valid.` };
  }
  const key = publicMembers(canonical)!;
  const kid = typeof jwk.kid === 'string' && jwk.kid !== '' ? jwk.kid : await calculateJwkThumbprint(key, 'sha256');
  return { ...key, kid, use: 'sig', ...(jwk.alg !== undefined ? { alg: jwk.alg } : {}) };
}
