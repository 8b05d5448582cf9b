/**
 * Switchboard as a Bot Framework channel proves itself to bots the way the Bot Connector does
 * (PROTOCOLS.md 2.2): every activity it POSTs carries an RS256 JWT `{ iss, aud: <bot app id>,
 * serviceurl, nbf, exp }` whose key the bot finds through our OpenID metadata document and JWKS.
 * An unmodified `botbuilder` bot trusts us with environment variables only (2.3):
 *
 *   ToBotFromChannelTokenIssuer=<issuer()>
 *   ToBotFromChannelOpenIdMetadataUrl=<openIdMetadataUrl()>
 *   ToBotFromEmulatorOpenIdMetadataUrl=<openIdMetadataUrl()>   (plus the rest of the 2.3 block)
 *
 * One signing key for the channel, generated on first use and kept with the server's secrets, so
 * every node signs with it and it survives restarts. It is never rotated implicitly: botbuilder
 * caches a JWKS for 24 hours and fetches it again for an unknown `kid` at most once an hour, so a
 * new key would lock bots out for up to an hour.
 *
 * The token deliberately has no `ver`, `appid` or `azp` claim: with `ver` and an `appid`/`azp`
 * different from `aud`, botbuilder would take it for a skill's token (2.2 step 2).
 */
import { randomBytes } from 'node:crypto';
import type { SigningKey } from '../../core/identity/identity-model.js';
import type { Clock } from '../ports/clock.js';
import type { Storage } from '../ports/storage.js';
import type { Jwk, TokenCrypto } from '../ports/token-crypto.js';

/** The server secret holding the channel's key pair (JSON `{ publicKey, privateKey }`, both JWKs). */
export const CHANNEL_KEY_SECRET = 'botframework.channel_signing_key';

/**
 * `channelId`s the key vouches for. botbuilder checks that an activity's `channelId` is among the
 * endorsements of the key that signed its token (2.2 step 6), so every channel we deliver on is here.
 */
export const CHANNEL_ENDORSEMENTS: readonly string[] = Object.freeze([
  'directline', 'webchat', 'msteams', 'omnichannel', 'email', 'sms', 'api', 'test', 'emulator',
]);

/** Tokens live an hour, like the Bot Connector's. */
export const CHANNEL_TOKEN_SECONDS = 3600;
/** A cached token is replaced this long before it expires. */
const RENEW_BEFORE_MS = 5 * 60_000;
const MAX_CACHED_TOKENS = 10_000;

export interface BotChannelCredentialsDeps {
  readonly storage: Storage;
  readonly tokenCrypto: TokenCrypto;
  readonly clock: Clock;
  /** The server's public base URL, no trailing slash (a function: it may be known only after listening). */
  readonly publicUrl: () => string;
}

interface StoredPair {
  readonly publicKey: Jwk;
  readonly privateKey: Jwk;
}

export class BotChannelCredentials {
  private key: Promise<SigningKey> | undefined;
  /** `appId serviceUrl` -> a token and when it stops being handed out. */
  private readonly tokens = new Map<string, { readonly token: string; readonly until: number }>();

  constructor(private readonly deps: BotChannelCredentialsDeps) {}

  /** `iss` of our tokens: what a bot sets as `ToBotFromChannelTokenIssuer`. */
  issuer(): string {
    return `${this.deps.publicUrl()}/botframework`;
  }

  /** What a bot sets as `ToBotFromChannelOpenIdMetadataUrl` (and `ToBotFromEmulatorOpenIdMetadataUrl`). */
  openIdMetadataUrl(): string {
    return `${this.deps.publicUrl()}/botframework/.well-known/openidconfiguration`;
  }

  jwksUrl(): string {
    return `${this.deps.publicUrl()}/botframework/.well-known/keys`;
  }

  /** The OpenID metadata document (2.2). botbuilder reads only `jwks_uri`. */
  openIdMetadata(): Record<string, unknown> {
    const base = this.deps.publicUrl();
    return {
      issuer: this.issuer(),
      // Nobody signs in here; the field is required by the format.
      authorization_endpoint: `${base}/botframework/invalid`,
      jwks_uri: this.jwksUrl(),
      id_token_signing_alg_values_supported: ['RS256'],
      token_endpoint_auth_methods_supported: ['private_key_jwt'],
    };
  }

  /** The JWKS: the public members of the channel key only, with its endorsements. */
  async jwks(): Promise<{ keys: Jwk[] }> {
    const key = await this.signingKey();
    const { kty, n, e } = key.publicKey;
    return { keys: [{ kty, use: 'sig', kid: key.id, n, e, alg: 'RS256', endorsements: [...CHANNEL_ENDORSEMENTS] }] };
  }

  /**
   * The bearer token for POSTing an activity to the bot with app id `appId`; `serviceUrl` must be
   * exactly the activity's `serviceUrl` (botbuilder compares the strings). Cached per pair until
   * 5 minutes before it expires.
   */
  async channelToken(appId: string, serviceUrl: string): Promise<string> {
    const now = this.deps.clock.now();
    const cacheKey = `${appId} ${serviceUrl}`;
    const hit = this.tokens.get(cacheKey);
    if (hit && now < hit.until) return hit.token;
    const iat = Math.floor(now / 1000);
    const exp = iat + CHANNEL_TOKEN_SECONDS;
    const token = await this.deps.tokenCrypto.sign(
      { iss: this.issuer(), aud: appId, serviceurl: serviceUrl, nbf: iat, exp, iat },
      await this.signingKey(),
    );
    if (this.tokens.size >= MAX_CACHED_TOKENS) this.tokens.clear();
    this.tokens.set(cacheKey, { token, until: exp * 1000 - RENEW_BEFORE_MS });
    return token;
  }

  /** The channel key, read (or created) once per process; every node ends up with the stored one. */
  signingKey(): Promise<SigningKey> {
    if (!this.key) {
      const loading = this.load();
      this.key = loading;
      loading.catch(() => {
        if (this.key === loading) this.key = undefined; // a failed read is tried again by the next caller
      });
    }
    return this.key;
  }

  private async load(): Promise<SigningKey> {
    const { storage, tokenCrypto } = this.deps;
    let text = await storage.read.identity.getServerSecret(CHANNEL_KEY_SECRET);
    if (text === undefined) {
      const pair = await tokenCrypto.generateSigningKey(`bf_${randomBytes(12).toString('base64url')}`, 'RS256');
      // Two nodes racing here both end up with the pair that was stored first.
      text = await storage.transaction((tx) => tx.identity.ensureServerSecret(CHANNEL_KEY_SECRET, JSON.stringify(pair)));
    }
    const pair = JSON.parse(text) as StoredPair;
    const kid = pair.publicKey.kid;
    if (typeof kid !== 'string' || pair.publicKey.kty !== 'RSA' || typeof pair.privateKey.d !== 'string') {
      throw new Error(`the server secret ${CHANNEL_KEY_SECRET} is not an RSA key pair`);
    }
    // Shaped as a signing key for TokenCrypto; the dates say what is true: it is never retired.
    const epoch = new Date(0).toISOString();
    const never = new Date(8.64e15).toISOString();
    return {
      id: kid, algorithm: 'RS256', publicKey: pair.publicKey, privateKey: pair.privateKey,
      createdAt: epoch, activatesAt: epoch, retiresAt: never, expiresAt: never,
    };
  }
}
