/**
 * Public signing keys published by someone else at a URL (a JWKS, RFC 7517 section 5): Microsoft
 * Entra ID's keys, against which the tokens of bots registered there are checked. The adapter
 * (`adapters/bots/fetch-remote-key-sets.ts`) fetches and caches them; the use case only asks.
 * Example:
 *
 *   let keys = await remoteKeySets.get(bot.entra.jwksUri);
 *   let result = await tokenCrypto.verify(token, keys, expectations);
 *   if (!result.ok && result.reason === 'unknown_key') {
 *     // The issuer may have rotated its keys since we fetched them: fetch again (throttled).
 *     keys = await remoteKeySets.get(bot.entra.jwksUri, { refresh: true });
 *     result = await tokenCrypto.verify(token, keys, expectations);
 *   }
 */
import type { Jwk } from './token-crypto.js';

export interface RemoteKeySetOptions {
  /**
   * Fetch again now rather than answer from the cache (a token named a `kid` the cached set does
   * not have). The adapter may decline when it fetched this URI a short while ago, so that a flood
   * of made-up kids cannot turn into a flood of requests to the issuer; it answers the cached set then.
   */
  readonly refresh?: boolean | undefined;
}

/** The keys could not be had (unreachable, an error status, not a JWKS) and nothing usable is cached. */
export class RemoteKeysUnavailable extends Error {
  constructor(readonly uri: string, readonly detail: string) {
    super(`The signing keys at ${uri} are unavailable (${detail}).`);
    this.name = 'RemoteKeysUnavailable';
  }
}

export interface RemoteKeySets {
  /**
   * The keys of the set at `uri` (`keys` of the JWKS document, each an object; what they are fit
   * for is for the verifier to decide). Rejects with `RemoteKeysUnavailable` when there is no copy
   * to answer from; a failed refresh answers the copy it has.
   */
  get(uri: string, options?: RemoteKeySetOptions): Promise<Jwk[]>;
}
