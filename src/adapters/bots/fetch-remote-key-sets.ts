/**
 * `RemoteKeySets` over `fetch`: a JWKS is fetched once and kept for 24 hours per URI; a token with
 * an unknown `kid` may fetch it again, at most once per 5 minutes per URI (counted from the last
 * fetch), so a key the issuer has just rotated in is found, and a flood of made-up kids costs at
 * most one request per 5 minutes. Concurrent callers share one request. A failed fetch keeps
 * the copy we had; with no copy it rejects with `RemoteKeysUnavailable`, and is not tried again
 * for a few seconds (a JWKS that is down is not hammered by every request that needs it).
 *
 * The document must be JSON (at most 256 KB) with a `keys` array; redirects are refused and every
 * request times out after 5 s. Nothing is believed about the keys here: the verifier chooses.
 */
import { Buffer } from 'node:buffer';
import type { RemoteKeySetOptions, RemoteKeySets } from '../../app/ports/remote-key-sets.js';
import { RemoteKeysUnavailable } from '../../app/ports/remote-key-sets.js';
import type { Jwk } from '../../app/ports/token-crypto.js';

export interface FetchRemoteKeySetsOptions {
  /** Epoch milliseconds; the system clock unless a test gives its own. */
  readonly now?: () => number;
  readonly ttlMs?: number;
  /** A refresh is declined when the URI was fetched less than this ago. */
  readonly refreshIntervalMs?: number;
  /** After a failure with nothing cached, requests within this are refused without fetching. */
  readonly failureBackoffMs?: number;
  readonly timeoutMs?: number;
  readonly maxBytes?: number;
  /** URIs kept at once (one per Entra configuration in use); the least recently fetched goes. */
  readonly maxEntries?: number;
  readonly fetch?: typeof fetch;
}

export const DEFAULT_KEY_SET_TTL_MS = 24 * 3_600_000;
export const DEFAULT_KEY_SET_REFRESH_INTERVAL_MS = 5 * 60_000;

interface Entry {
  keys?: Jwk[];
  /** When the last fetch (successful or not) started. */
  fetchedAt: number;
  /** When `keys` were fetched. */
  keysAt: number;
  failedAt?: number;
  failure?: string;
  inFlight?: Promise<Jwk[]>;
}

export class FetchRemoteKeySets implements RemoteKeySets {
  private readonly entries = new Map<string, Entry>();
  private readonly now: () => number;
  private readonly ttlMs: number;
  private readonly refreshIntervalMs: number;
  private readonly failureBackoffMs: number;
  private readonly timeoutMs: number;
  private readonly maxBytes: number;
  private readonly maxEntries: number;
  private readonly fetchImpl: typeof fetch;

  constructor(options: FetchRemoteKeySetsOptions = {}) {
    this.now = options.now ?? Date.now;
    this.ttlMs = options.ttlMs ?? DEFAULT_KEY_SET_TTL_MS;
    this.refreshIntervalMs = options.refreshIntervalMs ?? DEFAULT_KEY_SET_REFRESH_INTERVAL_MS;
    this.failureBackoffMs = options.failureBackoffMs ?? 5_000;
    this.timeoutMs = options.timeoutMs ?? 5_000;
    this.maxBytes = options.maxBytes ?? 256 * 1024;
    this.maxEntries = options.maxEntries ?? 100;
    this.fetchImpl = options.fetch ?? fetch;
  }

  async get(uri: string, options: RemoteKeySetOptions = {}): Promise<Jwk[]> {
    const now = this.now();
    const entry = this.entries.get(uri);
    if (entry?.inFlight) return entry.inFlight;
    if (entry?.keys) {
      const fresh = now - entry.keysAt < this.ttlMs;
      const mayRefresh = now - entry.fetchedAt >= this.refreshIntervalMs;
      if (fresh && !(options.refresh && mayRefresh)) return entry.keys;
      // Expired, but the fetch a moment ago failed: keep using what we have until the next try.
      if (!fresh && !mayRefresh) return entry.keys;
    } else if (entry?.failedAt !== undefined && now - entry.failedAt < this.failureBackoffMs) {
      throw new RemoteKeysUnavailable(uri, entry.failure ?? 'fetch failed');
    }
    return this.fetchInto(uri, entry, now);
  }

  private fetchInto(uri: string, existing: Entry | undefined, now: number): Promise<Jwk[]> {
    const entry: Entry = existing ?? { fetchedAt: now, keysAt: 0 };
    if (!existing) {
      if (this.entries.size >= this.maxEntries) this.evictOldest();
      this.entries.set(uri, entry);
    }
    entry.fetchedAt = now;
    const flight = this.download(uri).then(
      (keys) => {
        entry.keys = keys;
        entry.keysAt = now;
        entry.failedAt = undefined;
        entry.failure = undefined;
        entry.inFlight = undefined;
        return keys;
      },
      (error: unknown) => {
        entry.inFlight = undefined;
        entry.failedAt = this.now();
        entry.failure = error instanceof RemoteKeysUnavailable ? error.detail : 'fetch failed';
        if (entry.keys) return entry.keys; // a failed refresh answers the copy we have
        throw error instanceof RemoteKeysUnavailable ? error : new RemoteKeysUnavailable(uri, 'fetch failed');
      },
    );
    entry.inFlight = flight;
    return flight;
  }

  private evictOldest(): void {
    let oldest: string | undefined;
    let at = Number.POSITIVE_INFINITY;
    for (const [uri, entry] of this.entries) {
      if (!entry.inFlight && entry.fetchedAt < at) {
        oldest = uri;
        at = entry.fetchedAt;
      }
    }
    if (oldest !== undefined) this.entries.delete(oldest);
  }

  private async download(uri: string): Promise<Jwk[]> {
    let url: URL;
    try {
      url = new URL(uri);
    } catch {
      throw new RemoteKeysUnavailable(uri, 'not a URL');
    }
    if (url.protocol !== 'https:' && url.protocol !== 'http:') throw new RemoteKeysUnavailable(uri, 'not an http(s) URL');
    const controller = new AbortController();
    const timer = setTimeout(() => controller.abort(), this.timeoutMs);
    try {
      let response: Response;
      try {
        response = await this.fetchImpl(url, { method: 'GET', redirect: 'error', signal: controller.signal, headers: { accept: 'application/json' } });
      } catch {
        throw new RemoteKeysUnavailable(uri, controller.signal.aborted ? 'timeout' : 'unreachable');
      }
      if (response.status !== 200) {
        await response.body?.cancel().catch(() => undefined);
        throw new RemoteKeysUnavailable(uri, `status ${response.status}`);
      }
      const text = await this.readLimited(response, uri);
      let document: unknown;
      try {
        document = JSON.parse(text);
      } catch {
        throw new RemoteKeysUnavailable(uri, 'not JSON');
      }
      const keys = (document as { keys?: unknown } | null)?.keys;
      if (!Array.isArray(keys)) throw new RemoteKeysUnavailable(uri, 'no "keys" array');
      return keys.filter((k): k is Jwk => typeof k === 'object' && k !== null && !Array.isArray(k));
    } finally {
      clearTimeout(timer);
    }
  }

  private async readLimited(response: Response, uri: string): Promise<string> {
    const declared = Number(response.headers.get('content-length'));
    if (Number.isFinite(declared) && declared > this.maxBytes) {
      await response.body?.cancel().catch(() => undefined);
      throw new RemoteKeysUnavailable(uri, 'too large');
    }
    if (!response.body) return '';
    const reader = response.body.getReader();
    const chunks: Uint8Array[] = [];
    let size = 0;
    try {
      for (;;) {
        const { done, value } = await reader.read();
        if (done) break;
        size += value.byteLength;
        if (size > this.maxBytes) {
          await reader.cancel().catch(() => undefined);
          throw new RemoteKeysUnavailable(uri, 'too large');
        }
        chunks.push(value);
      }
    } catch (error) {
      if (error instanceof RemoteKeysUnavailable) throw error;
      throw new RemoteKeysUnavailable(uri, 'unreadable');
    }
    return Buffer.concat(chunks).toString('utf8');
  }
}
