import type { BotEndpoint, BotPost, BotPostResult } from '../../app/ports/bot-endpoint.js';

/** What is kept of a bot's answer: enough for `expectReplies`-style bodies and error notes, never more. */
const MAX_BODY_CHARS = 64 * 1024;

/**
 * The bot endpoint over Node's fetch (undici, keep-alive connections per origin). A bot that
 * does not answer within the timeout is cut off; a refused or reset connection is "unreachable".
 */
export class FetchBotEndpoint implements BotEndpoint {
  async post(request: BotPost): Promise<BotPostResult> {
    const headers: Record<string, string> = { 'content-type': 'application/json; charset=utf-8' };
    if (request.bearer !== null) headers.authorization = `Bearer ${request.bearer}`;
    try {
      const response = await fetch(request.url, {
        method: 'POST', headers, body: request.body, redirect: 'manual', signal: AbortSignal.timeout(request.timeoutMs),
      });
      const text = await response.text();
      return { kind: 'answered', status: response.status, body: text.slice(0, MAX_BODY_CHARS), retryAfterSeconds: retryAfter(response.headers.get('retry-after')) };
    } catch (error) {
      const name = (error as { name?: string }).name;
      if (name === 'TimeoutError' || name === 'AbortError') return { kind: 'timeout' };
      const cause = (error as { cause?: { code?: string } }).cause;
      return { kind: 'unreachable', detail: cause?.code ?? (error as Error).message };
    }
  }
}

function retryAfter(value: string | null): number | null {
  if (value === null) return null;
  const seconds = Number(value);
  if (Number.isFinite(seconds) && seconds >= 0) return seconds;
  const at = Date.parse(value);
  return Number.isNaN(at) ? null : Math.max(0, (at - Date.now()) / 1000);
}
