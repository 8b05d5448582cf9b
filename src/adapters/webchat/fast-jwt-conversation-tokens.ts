import { createSigner, createVerifier, TokenError } from 'fast-jwt';
import type { ConversationTokenCheck, ConversationTokenClaims, ConversationTokens } from '../../app/ports/conversation-tokens.js';

const ISSUER = 'switchboard/directline';
const AUDIENCE = 'directline';
const MAX_TOKEN_CHARS = 8 * 1024;

type Sign = (payload: Record<string, unknown>) => string;
type Verify = (token: string) => Record<string, unknown>;

interface KeyTools {
  /** Keeps the claims' `iat`. */
  readonly sign: Sign;
  /** For claims without `iat`: the library would otherwise add one from the wall clock. */
  readonly signUntimed: Sign;
  readonly verify: Verify;
}

/**
 * HS256 JWTs (RFC 7519) through `fast-jwt`, which computes the HMAC with `node:crypto` on the
 * calling thread. Every Direct Line request verifies a token: through WebCrypto (jose) each verify
 * was a job on the thread pool and a promise round trip, 13% of the server's CPU in B1
 * (docs/BENCHMARKS.md); here it is a few microseconds. Only HS256 under our key, issuer and
 * audience verifies, whatever the header says.
 *
 * Time comes from the caller's `now` (the injected clock), never from this machine's wall clock:
 * the library's own expiry and not-before checks are off, and the claims are checked below as
 * jose checked them (expired once `exp <= now` in whole seconds; a future `nbf` is not valid).
 */
export class FastJwtConversationTokens implements ConversationTokens {
  private readonly tools = new WeakMap<Uint8Array, KeyTools>();

  async sign(claims: ConversationTokenClaims, key: Uint8Array): Promise<string> {
    // `iat` and `exp` come with the claims; the signer adds no timestamp of its own.
    const tools = this.toolsFor(key);
    return claims.iat === undefined ? tools.signUntimed({ ...claims }) : tools.sign({ ...claims });
  }

  async verify(token: string, key: Uint8Array, now: number): Promise<ConversationTokenCheck> {
    if (typeof token !== 'string' || token.length > MAX_TOKEN_CHARS || token.split('.').length !== 3) return { ok: false, reason: 'malformed' };
    let payload: Record<string, unknown>;
    try {
      payload = this.toolsFor(key).verify(token);
    } catch (error) {
      if (error instanceof TokenError && (error.code === TokenError.codes.invalidSignature || error.code === TokenError.codes.invalidAlgorithm)) {
        return { ok: false, reason: 'bad_signature' };
      }
      return { ok: false, reason: 'malformed' };
    }
    const seconds = Math.floor(now / 1000);
    const { exp, nbf, iat } = payload;
    if (typeof exp !== 'number' || !Number.isFinite(exp)) return { ok: false, reason: 'malformed' };
    if (iat !== undefined && (typeof iat !== 'number' || !Number.isFinite(iat))) return { ok: false, reason: 'malformed' };
    if (nbf !== undefined && (typeof nbf !== 'number' || nbf > seconds)) return { ok: false, reason: 'malformed' };
    if (exp <= seconds) return { ok: false, reason: 'expired' };
    return { ok: true, claims: payload as ConversationTokenClaims };
  }

  /** A signer and a verifier per key, built once: each holds the key as the HMAC needs it. */
  private toolsFor(key: Uint8Array): KeyTools {
    let tools = this.tools.get(key);
    if (!tools) {
      const secret = Buffer.from(key);
      tools = {
        sign: createSigner({ key: secret, algorithm: 'HS256', iss: ISSUER, aud: AUDIENCE }) as Sign,
        signUntimed: createSigner({ key: secret, algorithm: 'HS256', iss: ISSUER, aud: AUDIENCE, noTimestamp: true }) as Sign,
        verify: createVerifier({
          key: secret, algorithms: ['HS256'], allowedIss: ISSUER, allowedAud: AUDIENCE, requiredClaims: ['exp'],
          ignoreExpiration: true, ignoreNotBefore: true,
        }) as Verify,
      };
      this.tools.set(key, tools);
    }
    return tools;
  }
}
