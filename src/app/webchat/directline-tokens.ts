import { randomBytes } from 'node:crypto';
import { DirectLineError } from './directline-error.js';
import type { WebchatDeps } from './webchat-deps.js';

const KEY_NAME = 'directline-token-key';

/** What the customer told the widget, kept in the token until the conversation starts. */
export interface PendingContext {
  /** Pre-chat answers by field name, already checked against the channel's survey. */
  readonly prechat?: Readonly<Record<string, string>> | undefined;
  readonly page?: { readonly url?: string | undefined; readonly locale?: string | undefined; readonly title?: string | undefined } | undefined;
  /** The user id came from the site's server (a token generated with a secret), not from a page. */
  readonly authenticated?: boolean | undefined;
}

/** What a Direct Line token proves: one conversation of one channel, sent as one user. */
export interface DirectLineGrant {
  readonly tenantId: string;
  readonly channelId: string;
  readonly conversationId: string;
  /** Every activity sent with the token is from this user, whatever `from.id` says. */
  readonly userId: string;
  readonly userName: string | null;
  /** The secret the token was generated from (revoking it ends the token); null: the widget's token. */
  readonly secretId: string | null;
  readonly context: PendingContext | null;
  /** Epoch milliseconds. */
  readonly expiresAt: number;
}

export interface IssuedToken {
  readonly token: string;
  readonly expiresIn: number;
}

const keys = new WeakMap<WebchatDeps, Promise<Uint8Array>>();

/** The signing key: generated once per installation and shared by every node through the database. */
function keyOf(deps: WebchatDeps): Promise<Uint8Array> {
  let key = keys.get(deps);
  if (!key) {
    key = (async () => {
      const existing = await deps.storage.read.identity.getServerSecret(KEY_NAME);
      const hex = existing ?? (await deps.storage.transaction((tx) => tx.identity.ensureServerSecret(KEY_NAME, randomBytes(32).toString('hex'))));
      return new Uint8Array(Buffer.from(hex, 'hex'));
    })();
    key.catch(() => keys.delete(deps));
    keys.set(deps, key);
  }
  return key;
}

export async function issueDirectLineToken(deps: WebchatDeps, grant: Omit<DirectLineGrant, 'expiresAt'>): Promise<IssuedToken> {
  const now = Math.floor(deps.clock.now() / 1000);
  const seconds = deps.settings.tokenSeconds;
  const token = await deps.conversationTokens.sign({
    tid: grant.tenantId, chn: grant.channelId, conv: grant.conversationId, user: grant.userId,
    ...(grant.userName ? { name: grant.userName } : {}), ...(grant.secretId ? { sid: grant.secretId } : {}),
    ...(grant.context ? { ctx: grant.context } : {}), iat: now, exp: now + seconds,
  }, await keyOf(deps));
  return { token, expiresIn: seconds };
}

/** The grant a token carries; 403 `TokenExpired` past its expiry, 401 when it is not ours. */
export async function readDirectLineToken(deps: WebchatDeps, token: string): Promise<DirectLineGrant> {
  const checked = await deps.conversationTokens.verify(token, await keyOf(deps), deps.clock.now());
  if (!checked.ok) {
    if (checked.reason === 'expired') throw new DirectLineError('TokenExpired', 'The token has expired.');
    throw new DirectLineError('Unauthorized', 'The token is not valid.');
  }
  const c = checked.claims;
  const strings = [c.tid, c.chn, c.conv, c.user];
  if (!strings.every((v) => typeof v === 'string' && v.length > 0)) throw new DirectLineError('Unauthorized', 'The token is not valid.');
  return {
    tenantId: c.tid as string, channelId: c.chn as string, conversationId: c.conv as string, userId: c.user as string,
    userName: typeof c.name === 'string' ? c.name : null, secretId: typeof c.sid === 'string' ? c.sid : null,
    context: c.ctx && typeof c.ctx === 'object' ? (c.ctx as PendingContext) : null, expiresAt: c.exp * 1000,
  };
}
