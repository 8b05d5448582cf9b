import type { FastifyInstance } from 'fastify';
import type { Logger } from 'pino';
import { ApiKeyAuthenticator } from '../app/api-key-authenticator.js';
import type { AppDeps } from '../app/deps.js';
import { clearIdentityCacheOnGrantEvents, IdentityCache, type IdentityDeps } from '../app/identity/identity-deps.js';
import { SecretHasher } from '../app/identity/secret-hash.js';
import { FastJwtConversationTokens } from '../adapters/webchat/fast-jwt-conversation-tokens.js';
import { ConversationFeed } from '../app/webchat/conversation-feed.js';
import { QueueAnnouncer } from '../app/webchat/queue-announcer.js';
import { DEFAULT_WEBCHAT_SERVICE_SETTINGS, type WebchatDeps, type WebchatServiceSettings } from '../app/webchat/webchat-deps.js';
import { AccessTokenAuthenticator } from '../app/identity/access-token-authenticator.js';
import { SigningKeys } from '../app/identity/signing-keys.js';
import type { Clock } from '../app/ports/clock.js';
import type { Ids } from '../app/ports/ids.js';
import type { RandomSource, Scheduler } from '../app/ports/scheduler.js';
import { RoutingEngine } from '../app/routing/routing-engine.js';
import { WallboardFeed } from '../app/routing/wallboard-feed.js';
import { WrapUpTimers } from '../app/workspace/wrap-up-timers.js';
import type { Storage } from '../app/ports/storage.js';
import { JoseTokenCrypto } from '../adapters/identity/jose-token-crypto.js';
import { InProcessBus } from '../adapters/bus/in-process/in-process-bus.js';
import { openPostgresStorage } from '../adapters/storage/postgres/postgres-storage.js';
import { openSqliteStorage } from '../adapters/storage/sqlite/sqlite-storage.js';
import { SystemClock } from '../adapters/system/system-clock.js';
import { TimeOrderedIds } from '../adapters/system/time-ordered-ids.js';
import { CryptoRandom, TimerScheduler } from '../adapters/system/timer-scheduler.js';
import type { Config, DatabaseConfig } from './config.js';
import { bearerAuthentication } from './http/authentication.js';
import { buildHttpServer } from './http/http-server.js';
import { sessionAuthentication } from './http/session-authentication.js';
import { OpenidClientRelyingParty } from '../adapters/identity/openid-client-relying-party.js';
import type { OidcRelyingParty } from '../app/ports/oidc-client.js';
import { createLogger } from './logger.js';
import { VERSION } from './version.js';
import { BotChannelCredentials } from '../app/bots/channel-credentials.js';
import { BotAuthenticator } from '../app/bots/bot-authenticator.js';
import { DEFAULT_BOT_CHANNEL_SETTINGS, type BotChannelSettings, type BotDeps } from '../app/bots/bot-deps.js';
import { BotDispatcher } from '../app/bots/bot-dispatcher.js';
import { ConnectorRateLimit } from '../app/bots/connector-service.js';
import { FetchBotEndpoint } from '../adapters/bots/fetch-bot-endpoint.js';
import { FetchRemoteKeySets } from '../adapters/bots/fetch-remote-key-sets.js';
import { FetchCrmEndpoint } from '../adapters/crm/fetch-crm-endpoint.js';
import type { CrmEndpoint } from '../app/ports/crm-endpoint.js';

export function openStorage(database: DatabaseConfig, clock: Clock): Storage {
  const now = () => clock.now();
  return database.kind === 'postgres'
    ? openPostgresStorage({ connectionString: database.url, schema: database.schema, maxConnections: database.maxConnections }, now)
    : openSqliteStorage({ path: database.path, synchronous: database.synchronous, checkpoint: database.checkpoint }, now);
}

export interface Switchboard {
  readonly app: FastifyInstance;
  readonly deps: AppDeps;
  readonly identity: IdentityDeps;
  readonly webchat: { readonly deps: WebchatDeps; readonly feed: ConversationFeed };
  readonly bots: { readonly deps: BotDeps; readonly dispatcher: BotDispatcher };
  readonly routing: RoutingEngine;
  /** The wallboard feed of /v1/stream (`feed: "wallboard"`). */
  readonly wallboard: WallboardFeed;
  /** The automatic end of wrap-up (tests wait on its `idle()` after moving a manual clock). */
  readonly wrapUps: WrapUpTimers;
  readonly logger: Logger;
  close(): Promise<void>;
}

export interface AssembleOverrides {
  readonly clock?: Clock;
  readonly ids?: Ids;
  readonly logger?: Logger;
  readonly scheduler?: Scheduler;
  readonly random?: RandomSource;
  /** Token endpoint requests per client address per window (default 300 per minute); tests lower it. */
  readonly tokenRateLimit?: { readonly max: number; readonly timeWindowMs: number };
  /** Sign-in attempts per IP address per minute (default 20); tests raise or lower it. */
  readonly signInRateLimit?: number;
  /** The OpenID Connect relying party for SSO (tests may wrap it). */
  readonly relyingParty?: OidcRelyingParty;
  /** Web chat service settings over the defaults (tests shorten the stream heartbeat). */
  readonly webchatSettings?: Partial<WebchatServiceSettings>;
  /** Bot channel settings over the defaults (tests shorten timeouts and retries). */
  readonly botSettings?: Partial<BotChannelSettings>;
  /** The CRM lookup's HTTP client (tests may wrap it). */
  readonly crmEndpoint?: CrmEndpoint;
}

/** The composition root: the only place that chooses adapters. Migrates before serving. */
export async function assemble(config: Config, overrides: AssembleOverrides = {}): Promise<Switchboard> {
  const logger = overrides.logger ?? createLogger(config.logLevel);
  const clock = overrides.clock ?? new SystemClock();
  const ids = overrides.ids ?? new TimeOrderedIds(() => clock.now());
  const storage = openStorage(config.database, clock);
  try {
    const report = await storage.migrate();
    if (report.applied.length > 0) logger.info({ applied: report.applied, version: report.current }, 'database migrated');
  } catch (error) {
    await storage.close().catch(() => undefined);
    throw error;
  }
  const bus = new InProcessBus((error, event) => logger.error({ err: error, eventId: event.id }, 'bus subscriber failed'));
  const deps: AppDeps = { storage, bus, clock, ids };
  const identity: IdentityDeps = {
    ...deps,
    tokenCrypto: new JoseTokenCrypto(),
    identitySettings: config.identity,
    secretHasher: new SecretHasher(storage, config.identity.hashKey),
    identityCache: new IdentityCache(),
  };
  // Queue membership decides where the agent role holds: a member added or removed applies to the next request.
  clearIdentityCacheOnGrantEvents(bus, identity.identityCache);
  const scheduler = overrides.scheduler ?? new TimerScheduler(() => clock.now());
  const routing = new RoutingEngine({
    ...deps,
    scheduler,
    random: overrides.random ?? new CryptoRandom(),
    onError: (error, context) => logger.error({ err: error, context }, 'routing step failed'),
    statsIntervalMs: config.routingStatsSeconds * 1000,
  });
  // Before serving: offers pending when the process stopped resume (or expire) now.
  await routing.start();
  // After routing, which must hear the capacity a wrap-up that ran out while down gives back.
  const wrapUps = new WrapUpTimers({ ...deps, scheduler, onError: (error, context) => logger.error({ err: error, context }, 'wrap-up timer failed') });
  await wrapUps.start();
  const wallboard = new WallboardFeed({ ...deps, engine: routing, scheduler, settings: config.wallboard });
  const authenticator = new ApiKeyAuthenticator(deps);
  // One key set per process, shared by the token endpoint (signing) and the API (verifying).
  const signingKeys = new SigningKeys(identity);
  const accessTokens = new AccessTokenAuthenticator(identity, signingKeys);
  const webchat: WebchatDeps = {
    ...deps,
    conversationTokens: new FastJwtConversationTokens(),
    secretHasher: identity.secretHasher,
    routing,
    settings: Object.freeze({ ...DEFAULT_WEBCHAT_SERVICE_SETTINGS, ...overrides.webchatSettings }),
    onRoutingError: (error, conversationId) => logger.warn({ err: error, conversationId }, 'a web chat conversation could not be routed'),
  };
  const feed = new ConversationFeed(bus);
  // The Bot Framework channel's token key. Without a configured public URL the channel is named by
  // the address the server listens on (asked only after listen, when the first token is signed).
  const botCredentials = new BotChannelCredentials({
    storage, tokenCrypto: identity.tokenCrypto, clock, publicUrl: () => config.identity.publicUrl ?? listeningBase(app),
  });
  const announcer = new QueueAnnouncer(webchat, routing);
  const botSettings = Object.freeze({ ...DEFAULT_BOT_CHANNEL_SETTINGS, ...overrides.botSettings });
  const bots: BotDeps = {
    ...deps,
    botEndpoint: new FetchBotEndpoint(),
    channelCredentials: botCredentials,
    botAuthenticator: new BotAuthenticator({ accessTokens, remoteKeySets: new FetchRemoteKeySets(), tokenCrypto: identity.tokenCrypto, clock }),
    routing,
    scheduler,
    settings: botSettings,
    connectorRate: { conversation: new ConnectorRateLimit(botSettings.connectorRatePerSecond), bot: new ConnectorRateLimit(botSettings.connectorBotRatePerSecond) },
    publicUrl: () => config.identity.publicUrl ?? listeningBase(app),
  };
  const dispatcher = new BotDispatcher(bots, (error, context) => logger.error({ err: error, context }, 'bot delivery step failed'));
  const app = await buildHttpServer({
    deps,
    identity,
    routing,
    wallboard,
    webchat: { deps: webchat, feed },
    bots: { credentials: botCredentials, deps: bots, dispatcher },
    authenticate: bearerAuthentication({
      apiKey: (token) => authenticator.authenticate(token),
      accessToken: (token, base, origin) => accessTokens.authenticate(token, base, origin),
    }),
    oauth: { signingKeys, tokenRateLimit: overrides.tokenRateLimit },
    authenticateSession: sessionAuthentication(identity),
    relyingParty: overrides.relyingParty ?? new OpenidClientRelyingParty(),
    signInRateLimit: overrides.signInRateLimit,
    crmEndpoint: overrides.crmEndpoint ?? new FetchCrmEndpoint(),
    bodyLimit: config.bodyLimit,
    logger,
    version: VERSION,
  });
  // Deliveries name the server in their serviceUrl: without a configured public URL that is the
  // listening address, so the dispatcher starts once the server listens.
  const startDispatcher = () => void dispatcher.start().catch((error: unknown) => logger.error({ err: error }, 'the bot dispatcher did not start'));
  if (config.identity.publicUrl !== null) startDispatcher();
  else app.server.once('listening', startDispatcher);
  return {
    app,
    deps,
    identity,
    routing,
    wrapUps,
    wallboard,
    logger,
    webchat: { deps: webchat, feed },
    bots: { deps: bots, dispatcher },
    async close() {
      // The dispatcher first: its deliveries name the server by its listening address.
      await dispatcher.close();
      await app.close();
      wallboard.close();
      feed.close();
      announcer.close();
      await wrapUps.close();
      await routing.close();
      scheduler.close();
      await bus.close();
      await storage.close();
    },
  };
}

/** The base URL of the address `app` listens on; a wildcard address is named by its loopback. */
function listeningBase(app: FastifyInstance): string {
  const address = app.server.address();
  if (address === null || typeof address === 'string') throw new Error('the server is not listening yet (set SWITCHBOARD_PUBLIC_URL to name it before)');
  const host = address.address === '0.0.0.0' ? '127.0.0.1'
    : address.address === '::' ? '[::1]'
      : address.family === 'IPv6' ? `[${address.address}]` : address.address;
  return `http://${host}:${address.port}`;
}
