import type { AppDeps } from '../deps.js';
import type { SecretHasher } from '../identity/secret-hash.js';
import type { ConversationTokens } from '../ports/conversation-tokens.js';
import type { RouteResult } from '../routing/routing-engine.js';
import type { Caller } from '../caller.js';

/** What the web chat use cases need beyond the common dependencies. */
export interface WebchatDeps extends AppDeps {
  readonly conversationTokens: ConversationTokens;
  /** Keyed hash of Direct Line secrets (the same key as client secrets). */
  readonly secretHasher: SecretHasher;
  /** Puts a started conversation into routing (the routing engine). */
  readonly routing: { route(caller: Caller, tenantId: string, conversationId: string): Promise<RouteResult> };
  readonly settings: WebchatServiceSettings;
  /** A started conversation could not be routed; it stays open and unassigned. */
  readonly onRoutingError?: ((error: unknown, conversationId: string) => void) | undefined;
}

export interface WebchatServiceSettings {
  /** Direct Line tokens' lifetime: 30 minutes, as Direct Line says (`expires_in: 1800`). */
  readonly tokenSeconds: number;
  /**
   * The Direct Line stream's heartbeat: every interval the server pings each socket, and a socket
   * that answered nothing since the previous ping is closed, so a dead peer goes within two
   * heartbeats. 20 s, DLJS's own ping interval; tests shorten it.
   */
  readonly streamHeartbeatMs: number;
}

export const DEFAULT_WEBCHAT_SERVICE_SETTINGS: WebchatServiceSettings = Object.freeze({ tokenSeconds: 1800, streamHeartbeatMs: 20_000 });
