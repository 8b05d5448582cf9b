/**
 * The token cryptography the authorization server needs: RS256 (or ES256) signing keys, signing access tokens,
 * verifying them, and verifying the JWT assertions clients authenticate with (RFC 7523
 * `private_key_jwt`). Use cases hold this port; the adapter (`adapters/identity/jose-token-crypto.ts`)
 * does the cryptography. Example:
 *
 *   const { publicKey, privateKey } = await crypto.generateSigningKey('key_01');
 *   const token = await crypto.sign({ iss, sub: userId, aud, exp, iat, scope }, signingKey);
 *   const result = await crypto.verify(token, [signingKey], {
 *     issuer: iss, audience: aud, now: clock.now(), clockToleranceSeconds: 30,
 *   });
 *   if (!result.ok) return unauthorized(result.reason); // 'expired', 'bad_signature', ...
 */
import type { SigningAlgorithm, SigningKey } from '../../core/identity/identity-model.js';

/** A JSON Web Key as plain data (RFC 7517): `kty`, `kid`, `n`, `e`, ... */
export type Jwk = Readonly<Record<string, unknown>>;

/**
 * Why a token was refused. Closed: callers may switch on it, and it is safe to log (it never
 * carries token content).
 */
export type TokenRejection =
  /** Not a compact JWS with a JSON header and claims set, a claim of the wrong type, too long. */
  | 'malformed'
  /** `alg` is not one we accept (`none`, HS256, ...) or does not fit the key's type. */
  | 'unsupported_algorithm'
  /** No key in the set has the token's `kid`, or there is no `kid` and more than one key. */
  | 'unknown_key'
  | 'bad_signature'
  /** `exp` is past (beyond the tolerance). */
  | 'expired'
  /** `nbf` is in the future (beyond the tolerance). */
  | 'not_yet_valid'
  | 'wrong_issuer'
  | 'wrong_subject'
  | 'wrong_audience'
  /** A required claim is absent (`exp` always; `jti` for client assertions; `requiredClaims`). */
  | 'missing_claim'
  /** A client assertion whose `exp` is further in the future than the allowed lifetime. */
  | 'lifetime_too_long';

export type TokenClaims = Readonly<Record<string, unknown>>;
export type TokenHeader = Readonly<Record<string, unknown>> & { readonly alg: string };

export type VerifyResult =
  | { readonly ok: true; readonly claims: TokenClaims; readonly header: TokenHeader }
  | { readonly ok: false; readonly reason: TokenRejection };

export interface VerifyExpectations {
  /** The exact issuer, or a predicate (a multi-tenant issuer pattern). Unset: `iss` is not checked. */
  readonly issuer?: string | ((iss: string) => boolean) | undefined;
  /** `aud` must contain at least one of these. Unset: `aud` is not checked. */
  readonly audience?: string | readonly string[] | undefined;
  /** The current time, epoch milliseconds (from the injected `Clock`, never the wall clock). */
  readonly now: number;
  /** Allowed clock skew for `exp` and `nbf`. */
  readonly clockToleranceSeconds: number;
  /** Claims that must be present besides `exp` (which always must). */
  readonly requiredClaims?: readonly string[] | undefined;
}

export interface ClientAssertionExpectations {
  /** `iss` and `sub` must both equal it. */
  readonly clientId: string;
  /** The token endpoint URL(s); `aud` must contain one of them. */
  readonly audience: string | readonly string[];
  readonly now: number;
  readonly clockToleranceSeconds: number;
  /** `exp` may be at most this far after `now` (plus the tolerance). */
  readonly maxLifetimeSeconds: number;
}

export interface TokenCrypto {
  /**
   * A fresh key pair, as JWKs carrying `kid`, `alg` and `use: 'sig'`: RSA 2048 for RS256 (the
   * default), EC P-256 for ES256. The public one has no private members and can be published in the
   * JWKS as it is.
   */
  generateSigningKey(kid: string, algorithm?: SigningAlgorithm): Promise<{ publicKey: Jwk; privateKey: Jwk }>;

  /**
   * A compact JWS of the claims, exactly as given (the caller sets `iat`, `exp`, ... from its clock),
   * with the header `{ alg: key.algorithm, typ: 'JWT', kid: key.id }`. Rejects only for a broken key.
   */
  sign(claims: Readonly<Record<string, unknown>>, key: SigningKey): Promise<string>;

  /**
   * Verifies an access token against our signing keys (or their public JWKs): RS256 with an RSA key,
   * ES256 with an EC P-256 key, each key its own algorithm only; the key chosen by `kid`, `exp`
   * required, times against `expect.now`. Never throws or rejects, whatever the token is: every
   * failure is a `TokenRejection`.
   */
  verify(token: string, keys: readonly SigningKey[] | readonly Jwk[], expect: VerifyExpectations): Promise<VerifyResult>;

  /**
   * Verifies a client's `private_key_jwt` assertion (RFC 7523 section 3) against the public keys the
   * client registered: RS256 or PS256 for RSA keys, ES256 for EC P-256 keys; the key is the one whose
   * `kid` member or RFC 7638 thumbprint equals the header's `kid`. `iss` = `sub` = clientId, `aud`
   * contains the token endpoint, `exp` required and within `maxLifetimeSeconds`, `jti` required (the
   * caller records it to refuse replays). Never throws or rejects.
   */
  verifyClientAssertion(assertion: string, publicKeys: readonly Jwk[], expect: ClientAssertionExpectations): Promise<VerifyResult>;

  /** RFC 7638 SHA-256 thumbprint, base64url. Rejects for a JWK that is not a valid key. */
  thumbprint(publicKey: Jwk): Promise<string>;

  /**
   * Reads a key a client uploads: a PEM SPKI public key (`-----BEGIN PUBLIC KEY-----`), a PEM X.509
   * certificate (`-----BEGIN CERTIFICATE-----`), or a public JWK (object or JSON text). Returns a
   * normalised public JWK (only the public members, `kid` kept or set to the thumbprint, `alg` kept
   * when it is a signing algorithm for the key), or an error message fit to show the uploader:
   * only RSA (2048 bits or more) and EC P-256 keys; private and symmetric keys are refused.
   * Never throws or rejects.
   */
  importPublicKey(input: string | Jwk): Promise<Jwk | KeyImportError>;
}

/** Why an uploaded key was refused, in words for the person who uploaded it. */
export interface KeyImportError {
  readonly error: string;
}

/**
 * Tells the two outcomes of `importPublicKey` apart (a `Jwk` is an open record, so `'error' in r`
 * alone does not narrow). A JWK always has `kty`; an error never does.
 */
export function isKeyImportError(result: Jwk | KeyImportError): result is KeyImportError {
  const r = result as Readonly<Record<string, unknown>>;
  return typeof r.error === 'string' && r.kty === undefined;
}
