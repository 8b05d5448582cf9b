import type { AppDeps } from '../deps.js';
import type { BotEndpoint } from '../ports/bot-endpoint.js';
import type { Scheduler } from '../ports/scheduler.js';
import type { RoutingEngine } from '../routing/routing-engine.js';
import type { BotAuthenticator } from './bot-authenticator.js';
import type { BotChannelCredentials } from './channel-credentials.js';
import type { ConnectorRateLimit } from './connector-service.js';

/** How the channel treats bots: timeouts, retries, the health rule. Tests shorten them. */
export interface BotChannelSettings {
  /** A bot that has not answered a delivery by then has timed out (PROTOCOLS.md: bots answer fast and reply asynchronously). */
  readonly deliveryTimeoutMs: number;
  /** Attempts per delivery before it fails (the first included). */
  readonly deliveryAttempts: number;
  /** Backoff before the second attempt; doubled each time, with jitter. */
  readonly retryBaseMs: number;
  /** Deliveries in flight per bot at once (one per conversation, always in order). */
  readonly perBotConcurrency: number;
  /** Connector API calls per conversation per second before 429 (a bot flooding a customer is contained). */
  readonly connectorRatePerSecond: number;
  /** Connector API calls per bot per second, all its conversations together, before 429. */
  readonly connectorBotRatePerSecond: number;
}

export const DEFAULT_BOT_CHANNEL_SETTINGS: BotChannelSettings = Object.freeze({
  deliveryTimeoutMs: 15_000,
  deliveryAttempts: 3,
  retryBaseMs: 500,
  perBotConcurrency: 32,
  connectorRatePerSecond: 10,
  connectorBotRatePerSecond: 2000,
});

/** What the Bot Framework channel's use cases need. */
export interface BotDeps extends AppDeps {
  readonly botEndpoint: BotEndpoint;
  readonly channelCredentials: BotChannelCredentials;
  readonly botAuthenticator: BotAuthenticator;
  readonly routing: RoutingEngine;
  readonly scheduler: Scheduler;
  readonly settings: BotChannelSettings;
  /** Per conversation and per bot. */
  readonly connectorRate: { readonly conversation: ConnectorRateLimit; readonly bot: ConnectorRateLimit };
  /**
   * The server's public base URL (no trailing slash): serviceUrl, the token issuer and attachment
   * links are built on it. A function: without SWITCHBOARD_PUBLIC_URL it is the listening address,
   * known only once the server listens.
   */
  publicUrl(): string;
}

/** The Connector API's base for one tenant: stable, because bots keep it with their conversation references. */
export function serviceUrlFor(publicUrl: string, tenantId: string): string {
  return `${publicUrl}/botframework/${tenantId}/`;
}
