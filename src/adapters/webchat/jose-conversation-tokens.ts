import { webcrypto } from 'node:crypto';
import { errors, jwtVerify, SignJWT } from 'jose';
import type { ConversationTokenCheck, ConversationTokenClaims, ConversationTokens } from '../../app/ports/conversation-tokens.js';

const ISSUER = 'switchboard/directline';
const AUDIENCE = 'directline';
const MAX_TOKEN_CHARS = 8 * 1024;

/**
 * The key as WebCrypto's HMAC key, imported once per key: given the raw bytes, jose imports them
 * on every call, which was two thirds of a verification (77 -> 24 us), and every Direct Line
 * request verifies a token.
 */
const imported = new WeakMap<Uint8Array, Promise<CryptoKey>>();
function hmacKey(key: Uint8Array): Promise<CryptoKey> {
  let cryptoKey = imported.get(key);
  if (!cryptoKey) {
    cryptoKey = webcrypto.subtle.importKey('raw', key, { name: 'HMAC', hash: 'SHA-256' }, false, ['sign', 'verify']);
    cryptoKey.catch(() => imported.delete(key));
    imported.set(key, cryptoKey);
  }
  return cryptoKey;
}

/** HS256 JWTs (RFC 7519) through `jose`; only HS256 with our key verifies, whatever the header says. */
export class JoseConversationTokens implements ConversationTokens {
  async sign(claims: ConversationTokenClaims, key: Uint8Array): Promise<string> {
    const { exp, ...rest } = claims;
    // `iat` comes with the claims, from the injected clock, never from this machine's wall clock.
    return new SignJWT(rest).setProtectedHeader({ alg: 'HS256', typ: 'JWT' }).setIssuer(ISSUER).setAudience(AUDIENCE)
      .setExpirationTime(exp).sign(await hmacKey(key));
  }

  async verify(token: string, key: Uint8Array, now: number): Promise<ConversationTokenCheck> {
    if (token.length > MAX_TOKEN_CHARS || token.split('.').length !== 3) return { ok: false, reason: 'malformed' };
    try {
      const { payload } = await jwtVerify(token, await hmacKey(key), {
        algorithms: ['HS256'], issuer: ISSUER, audience: AUDIENCE, currentDate: new Date(now), requiredClaims: ['exp'],
      });
      return { ok: true, claims: payload as ConversationTokenClaims };
    } catch (error) {
      if (error instanceof errors.JWTExpired) return { ok: false, reason: 'expired' };
      if (error instanceof errors.JWSSignatureVerificationFailed || error instanceof errors.JOSEAlgNotAllowed) return { ok: false, reason: 'bad_signature' };
      return { ok: false, reason: 'malformed' };
    }
  }
}
