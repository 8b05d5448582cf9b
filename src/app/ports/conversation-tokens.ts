/**
 * Signs and checks the short-lived tokens a web chat customer's client holds (Direct Line
 * tokens): compact JWTs under a key only this server knows, so every node checks them without
 * a database read. They are never accepted as API access tokens (other algorithm, key and
 * audience). Example:
 *
 *   const token = await tokens.sign({ tid, chn, conv, user, exp }, key);
 *   const checked = await tokens.verify(token, key, now);
 *   if (!checked.ok) return checked.reason === 'expired' ? tokenExpired() : unauthorized();
 */
export type ConversationTokenClaims = Readonly<Record<string, unknown>> & { readonly exp: number; readonly iat?: number };

export type ConversationTokenCheck =
  | { readonly ok: true; readonly claims: ConversationTokenClaims }
  | { readonly ok: false; readonly reason: 'malformed' | 'bad_signature' | 'expired' };

export interface ConversationTokens {
  /** `key` is 32 or more random bytes; `exp` and `iat` are epoch seconds. */
  sign(claims: ConversationTokenClaims, key: Uint8Array): Promise<string>;
  /** `now` in epoch milliseconds (from the injected clock). */
  verify(token: string, key: Uint8Array, now: number): Promise<ConversationTokenCheck>;
}
