import type { Channel } from '../../core/model.js';
import { DirectLineError } from './directline-error.js';
import { readDirectLineToken, type DirectLineGrant } from './directline-tokens.js';
import type { WebchatDeps } from './webchat-deps.js';

export const DIRECTLINE_SECRET_PREFIX = 'sbdl_';

/** Who calls a Direct Line endpoint: the site's server with a secret, or a customer's client with a token. */
export type DirectLinePrincipal =
  | { readonly kind: 'secret'; readonly channel: Channel; readonly secretId: string }
  | { readonly kind: 'token'; readonly channel: Channel; readonly grant: DirectLineGrant };

/**
 * Resolves `Authorization: Bearer ...`. A secret is found by its keyed hash and must be live; a
 * token must verify, and the secret it came from (if any) must still be live, so revoking a
 * secret ends the conversations of the tokens generated from it.
 */
export async function authenticateDirectLine(deps: WebchatDeps, bearer: string | undefined): Promise<DirectLinePrincipal> {
  if (!bearer) throw new DirectLineError('Unauthorized', 'Send Authorization: Bearer <secret or token>.');
  const reads = deps.storage.read;
  if (bearer.startsWith(DIRECTLINE_SECRET_PREFIX)) {
    const secret = await reads.webchat.findDirectLineSecret(await deps.secretHasher.hash(bearer));
    if (!secret || secret.revokedAt !== null) throw new DirectLineError('Unauthorized', 'The secret is not valid.');
    const channel = await reads.getChannel(secret.tenantId, secret.channelId);
    if (!channel) throw new DirectLineError('Unauthorized', 'The secret is not valid.');
    return { kind: 'secret', channel, secretId: secret.id };
  }
  const grant = await readDirectLineToken(deps, bearer);
  if (grant.secretId !== null) {
    const secret = await reads.webchat.getDirectLineSecret(grant.tenantId, grant.secretId);
    if (!secret || secret.revokedAt !== null) throw new DirectLineError('Forbidden', 'The secret this token was generated from was revoked.');
  }
  const channel = await reads.getChannel(grant.tenantId, grant.channelId);
  if (!channel) throw new DirectLineError('Forbidden', 'The channel of this token no longer exists.');
  return { kind: 'token', channel, grant };
}

/** The token's grant, for the endpoints a secret cannot call (refresh). */
export function requireToken(principal: DirectLinePrincipal): DirectLineGrant {
  if (principal.kind !== 'token') throw new DirectLineError('Forbidden', 'This operation needs a token, not a secret.');
  return principal.grant;
}
