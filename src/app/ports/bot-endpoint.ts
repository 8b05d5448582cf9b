/**
 * POSTs one activity to a bot's messaging endpoint (PROTOCOLS.md 2.1). The adapter
 * (`adapters/bots/fetch-bot-endpoint.ts`) does the HTTP; the dispatcher decides what to send and
 * what a result means (retry, fail, healthy). Never throws: every outcome is a result. Example:
 *
 *   const result = await endpoint.post({ url, body: JSON.stringify(activity), bearer, timeoutMs: 15_000 });
 *   if (result.kind === 'answered' && result.status < 300) markDelivered();
 */
export interface BotPost {
  readonly url: string;
  /** The activity as JSON text. */
  readonly body: string;
  /** The channel's JWT, or null for a bot without an app id. */
  readonly bearer: string | null;
  readonly timeoutMs: number;
}

export type BotPostResult =
  | { readonly kind: 'answered'; readonly status: number; readonly body: string; readonly retryAfterSeconds: number | null }
  | { readonly kind: 'timeout' }
  | { readonly kind: 'unreachable'; readonly detail: string };

export interface BotEndpoint {
  post(request: BotPost): Promise<BotPostResult>;
}
