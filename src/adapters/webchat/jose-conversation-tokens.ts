import { errors, jwtVerify, SignJWT } from 'jose';
import type { ConversationTokenCheck, ConversationTokenClaims, ConversationTokens } from '../../app/ports/conversation-tokens.js';

const ISSUER = 'switchboard/directline';
const AUDIENCE = 'directline';
const MAX_TOKEN_CHARS = 8 * 1024;

/** HS256 JWTs (RFC 7519) through `jose`; only HS256 with our key verifies, whatever the header says. */
export class JoseConversationTokens implements ConversationTokens {
  async sign(claims: ConversationTokenClaims, key: Uint8Array): Promise<string> {
    const { exp, ...rest } = claims;
    // `iat` comes with the claims, from the injected clock, never from this machine's wall clock.
    return new SignJWT(rest).setProtectedHeader({ alg: 'HS256', typ: 'JWT' }).setIssuer(ISSUER).setAudience(AUDIENCE)
      .setExpirationTime(exp).sign(key);
  }

  async verify(token: string, key: Uint8Array, now: number): Promise<ConversationTokenCheck> {
    if (token.length > MAX_TOKEN_CHARS || token.split('.').length !== 3) return { ok: false, reason: 'malformed' };
    try {
      const { payload } = await jwtVerify(token, key, {
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
