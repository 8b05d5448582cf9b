/**
 * Who is calling the Connector API (PROTOCOLS.md 2.6, "How the channel must validate bot
 * tokens"): the bearer token a bot sends on `/botframework/{tenant}/v3/...`, checked the way its
 * registration says (`BotRegistration.authMode`):
 *
 * - `none`: development bots without an app id send no token (2.5); every call is accepted.
 * - `switchboard`: a Switchboard access token from our token endpoint (client credentials, or the
 *   managed-identity endpoint for unmodified bots), verified by `AccessTokenAuthenticator` like any
 *   API call (signature, expiry, the app still registered and consented in the tenant), then bound
 *   to this bot: an application token of the bot's tenant whose app is the one bound to the bot.
 * - `entra`: a Microsoft Entra ID token: RS256 only, signed by a key of `entra.jwksUri`, `iss` a v1
 *   (`https://sts.windows.net/{tid}/`) or v2 (`https://login.microsoftonline.com/{tid}/v2.0`)
 *   issuer of an accepted tenant whose `tid` claim agrees, `aud` = `entra.audience`, `appid` (v1)
 *   or `azp` (v2) = the bot's app id, `exp`/`nbf` with 5 minutes' tolerance.
 *
 * A token that is missing, malformed, forged, expired or not for us is a 401; a sound token of
 * another application (or tenant) is a 403. Never throws; messages never contain the token.
 */
import type { BotRegistration } from '../../core/bots/bot-registration.js';
import type { Origin } from '../caller.js';
import type { AccessTokenAuthenticator } from '../identity/access-token-authenticator.js';
import { peekJwt } from '../identity/oauth-tokens.js';
import type { Clock } from '../ports/clock.js';
import type { RemoteKeySets } from '../ports/remote-key-sets.js';
import type { Jwk, TokenCrypto, VerifyResult } from '../ports/token-crypto.js';

export type BotCallerCheck = { ok: true } | { ok: false; status: 401 | 403; message: string };

/** The request the token came with, for the audit entry of a refused Switchboard token. */
export interface BotCallContext {
  readonly origin?: Origin | undefined;
  /** `{scheme}://{host}` the request arrived at. */
  readonly requestBase?: string | undefined;
}

export interface BotAuthenticatorDeps {
  readonly accessTokens: AccessTokenAuthenticator;
  readonly remoteKeySets: RemoteKeySets;
  readonly tokenCrypto: TokenCrypto;
  readonly clock: Clock;
}

/** Entra's tolerance, and the Bot Framework's (botbuilder validates with 300 s). */
export const ENTRA_CLOCK_TOLERANCE_SECONDS = 300;
const BEARER = /^Bearer ([A-Za-z0-9_.~+/=-]+)$/i;
const V1_ISSUER = /^https:\/\/sts\.windows\.net\/([0-9A-Fa-f]{8}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{12})\/$/;
const V2_ISSUER = /^https:\/\/login\.microsoftonline\.com\/([0-9A-Fa-f]{8}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{12})\/v2\.0$/;
const NO_ORIGIN: Origin = Object.freeze({ ip: null, userAgent: null });

const OK: BotCallerCheck = Object.freeze({ ok: true });
const unauthorized = (message: string): BotCallerCheck => ({ ok: false, status: 401, message });
const forbidden = (message: string): BotCallerCheck => ({ ok: false, status: 403, message });

export class BotAuthenticator {
  constructor(private readonly deps: BotAuthenticatorDeps) {}

  async check(authorization: string | undefined, bot: BotRegistration, appId: string | null, context: BotCallContext = {}): Promise<BotCallerCheck> {
    try {
      if (bot.authMode === 'none') return OK;
      const token = bearerOf(authorization);
      if (token === undefined) return unauthorized('Send the bot\'s token as "Authorization: Bearer <token>".');
      if (appId === null) return forbidden('The bot has no app id, so no token can be its own; register it with authMode "none" or give it an app.');
      if (bot.authMode === 'switchboard') return await this.switchboard(token, bot, context);
      if (bot.authMode === 'entra') return await this.entra(token, bot, appId);
      return unauthorized('The bot\'s authentication mode is not known.');
    } catch {
      // Nothing a caller sends may turn into a 500; a failure on our side refuses the call.
      return unauthorized('The token could not be checked.');
    }
  }

  private async switchboard(token: string, bot: BotRegistration, context: BotCallContext): Promise<BotCallerCheck> {
    const outcome = await this.deps.accessTokens.authenticate(token, context.requestBase ?? '', context.origin ?? NO_ORIGIN);
    if (outcome === undefined) return unauthorized('The token was refused.');
    if ('rejected' in outcome) return unauthorized(`The token was refused (${outcome.rejected}).`);
    if (outcome.actor.kind !== 'app') return forbidden('The token is not an application token; the bot must use its own (client credentials).');
    if (outcome.tenants === 'all' || !outcome.tenants.includes(bot.tenantId)) return forbidden('The token was issued for another tenant.');
    // The access token authenticator binds an application token to the bot agent whose app id is the app's client id.
    if (outcome.agentId !== bot.id) return forbidden('The token was issued to another application, not to this bot.');
    return OK;
  }

  private async entra(token: string, bot: BotRegistration, appId: string): Promise<BotCallerCheck> {
    const settings = bot.entra;
    if (settings === null) return unauthorized('The bot has no Entra ID settings.');
    const peeked = peekJwt(token);
    if (!peeked) return unauthorized('The token was refused (malformed).');
    if (peeked.header.alg !== 'RS256') return unauthorized('The token was refused (unsupported_algorithm): Entra ID tokens are RS256.');

    const allowedTenants = new Set(settings.tenantIds.map((t) => t.toLowerCase()));
    const issuerTenant = (iss: string): string | undefined => (V1_ISSUER.exec(iss) ?? V2_ISSUER.exec(iss))?.[1]?.toLowerCase();
    const expectations = {
      issuer: (iss: string) => {
        const tid = issuerTenant(iss);
        return tid !== undefined && (allowedTenants.size === 0 || allowedTenants.has(tid));
      },
      audience: settings.audience,
      now: this.deps.clock.now(),
      clockToleranceSeconds: ENTRA_CLOCK_TOLERANCE_SECONDS,
      requiredClaims: ['iss', 'tid'],
    };
    const verify = async (refresh: boolean): Promise<VerifyResult | 'unavailable'> => {
      let keys: Jwk[];
      try {
        keys = await this.deps.remoteKeySets.get(settings.jwksUri, { refresh });
      } catch {
        return 'unavailable';
      }
      // RSA keys only: nothing the set holds can make another algorithm acceptable.
      return this.deps.tokenCrypto.verify(token, keys.filter((k) => k.kty === 'RSA'), expectations);
    };
    let result = await verify(false);
    // A kid we do not know may be a key Entra has just rolled in: fetch the set again (throttled by the adapter).
    if (result !== 'unavailable' && !result.ok && result.reason === 'unknown_key') result = await verify(true);
    if (result === 'unavailable') return unauthorized('The token could not be checked: the Entra ID signing keys are unavailable (keys unavailable).');
    if (!result.ok) return unauthorized(`The token was refused (${result.reason}).`);

    const { claims } = result;
    const iss = claims.iss as string;
    const tid = issuerTenant(iss);
    if (typeof claims.tid !== 'string' || claims.tid.toLowerCase() !== tid) return unauthorized('The token was refused (wrong_issuer): its tid is not its issuer\'s tenant.');
    const v1 = V1_ISSUER.test(iss);
    const caller = v1 ? claims.appid : claims.azp;
    if (typeof caller !== 'string' || caller === '') return unauthorized(`The token was refused (missing_claim): a ${v1 ? 'v1' : 'v2'} token names its application in "${v1 ? 'appid' : 'azp'}".`);
    if (caller.toLowerCase() !== appId.toLowerCase()) return forbidden('The token was issued to another application, not to this bot.');
    return OK;
  }
}

/** `Bearer <token>`: the scheme, one space, one token (botbuilder's rule too). */
function bearerOf(authorization: string | undefined): string | undefined {
  if (typeof authorization !== 'string' || authorization.length > 33_000) return undefined;
  return BEARER.exec(authorization)?.[1];
}
