import { backoffDelay } from './backoff.js';
import type { ActivitySet, ConversationResponse } from './directline-types.js';
import type { DirectLineTransport, HttpResponse, SocketHandle } from './directline-transport.js';

/**
 * A Direct Line 3.0 client for one conversation (../shared/design/PROTOCOLS.md section 4): the
 * stream over a WebSocket, reconnecting after a close with the watermark so the replay starts
 * where we stopped, polling when sockets do not work, the token refreshed before it runs out, and
 * sends that retry with the same `clientActivityID` (the server stores one copy).
 *
 * It keeps no transcript: every ActivitySet goes to the sink (the transcript store), which also
 * owns the watermark, so the store decides what is new and the client only says where to resume.
 */

export interface Credentials {
  readonly conversationId: string;
  readonly token: string;
  /** Epoch milliseconds. */
  readonly expiresAt: number;
  /** The Direct Line user id the token sends as. */
  readonly userId: string;
}

export interface ActivitySink {
  apply(set: ActivitySet): void;
  readonly watermark: string | undefined;
}

export type ConnectionStatus =
  | 'connecting'
  | 'online'
  | 'reconnecting'
  /** Sockets failed; activities arrive by polling (no typing indicators). */
  | 'polling'
  | 'ended'
  /** The token ran out (or was refused): this conversation cannot be resumed. */
  | 'expired'
  /** Another window opened a socket for the same conversation (close reason `collision`). */
  | 'conflict'
  | 'closed';

export type SendFailure = 'rejected' | 'unreachable' | 'expired' | 'ended';

/** A send that did not go through; `unreachable` may be retried with the same clientActivityID. */
export class SendError extends Error {
  constructor(readonly failure: SendFailure, readonly status?: number) {
    super(`the message was not sent (${failure}${status ? `, HTTP ${status}` : ''})`);
    this.name = 'SendError';
  }
}

export interface DirectLineClientOptions {
  /** `{base}/v3/directline`, as DLJS's `domain`. */
  readonly domain: string;
  readonly transport: DirectLineTransport;
  readonly sink: ActivitySink;
  readonly credentials: Credentials;
  readonly locale?: string | undefined;
  readonly onStatus?: ((status: ConnectionStatus) => void) | undefined;
  /** After a refresh: persist the new token. */
  readonly onCredentials?: ((credentials: Credentials) => void) | undefined;
  /** Consecutive sockets that close without ever opening before we fall back to polling. */
  readonly maxSocketFailures?: number | undefined;
  readonly pollIntervalMs?: number | undefined;
  /** Empty frames sent to keep proxies from closing an idle socket and to find a dead one. */
  readonly pingIntervalMs?: number | undefined;
  /** Attempts of one send before it is reported `unreachable`. */
  readonly sendAttempts?: number | undefined;
}

const MAX_HISTORY_PAGES = 100;
const REFRESH_RETRY_MS = 30_000;

/** Start the conversation a token was issued for: `POST /conversations` (201, or 200 when it already started). */
export async function startConversation(transport: DirectLineTransport, domain: string, token: string, userId: string, locale?: string): Promise<ConversationResponse> {
  const res = await transport.request(`${domain}/conversations`, {
    method: 'POST', headers: jsonHeaders(token), body: JSON.stringify({ user: { id: userId }, ...(locale ? { locale } : {}) }),
  });
  if ((res.status === 200 || res.status === 201) && isConversation(res.body)) return res.body;
  throw new DirectLineError(res);
}

/** An answer other than the one expected; `code` is Direct Line's `error.code` when there is one. */
export class DirectLineError extends Error {
  readonly status: number;
  readonly code: string | undefined;
  constructor(res: HttpResponse) {
    const error = (res.body as { error?: { code?: unknown; message?: unknown } } | undefined)?.error;
    super(typeof error?.message === 'string' ? error.message : `HTTP ${res.status}`);
    this.name = 'DirectLineError';
    this.status = res.status;
    this.code = typeof error?.code === 'string' ? error.code : undefined;
  }
}

export class DirectLineClient {
  #credentials: Credentials;
  #status: ConnectionStatus = 'connecting';
  #socket: SocketHandle | undefined;
  #reconnectAttempts = 0;
  #socketFailures = 0;
  #pollFailures = 0;
  #polling = false;
  #cancelReconnect: (() => void) | undefined;
  #cancelPing: (() => void) | undefined;
  #cancelPoll: (() => void) | undefined;
  #cancelRefresh: (() => void) | undefined;
  readonly #tr: DirectLineTransport;
  readonly #o: Required<Omit<DirectLineClientOptions, 'locale' | 'onStatus' | 'onCredentials'>> & DirectLineClientOptions;

  constructor(options: DirectLineClientOptions) {
    this.#o = { maxSocketFailures: 3, pollIntervalMs: 1000, pingIntervalMs: 20_000, sendAttempts: 5, ...options };
    this.#credentials = options.credentials;
    this.#tr = options.transport;
  }

  get connectionStatus(): ConnectionStatus {
    return this.#status;
  }

  get currentCredentials(): Credentials {
    return this.#credentials;
  }

  /**
   * Starts receiving: with the `streamUrl` that starting the conversation answered, or else by
   * asking for a new one after the sink's watermark (a resumed conversation).
   */
  connect(streamUrl?: string): void {
    if (this.#finished()) return;
    this.#scheduleRefresh();
    if (!this.#tr.openSocket) return this.#startPolling();
    if (streamUrl) this.#openStream(streamUrl);
    else void this.#reconnect();
  }

  /**
   * Reads the transcript so far with `GET .../activities`, page after page until one brings
   * nothing new (a reloaded page starts with an empty store). False when it could not be read.
   */
  async loadHistory(): Promise<boolean> {
    for (let page = 0; page < MAX_HISTORY_PAGES; page++) {
      let res: HttpResponse;
      try {
        res = await this.#get(this.#activitiesUrl());
      } catch {
        return false;
      }
      if (!this.#handleReadFailure(res)) return false;
      const set = res.body as ActivitySet;
      this.#o.sink.apply(set);
      if (set.activities.length === 0) return true;
    }
    return true;
  }

  /** The network came back (the browser's `online` event): reconnect now rather than at the end of the backoff. */
  networkRestored(): void {
    if (this.#finished() || this.#status !== 'reconnecting' || !this.#cancelReconnect) return;
    this.#cancelReconnect();
    this.#cancelReconnect = undefined;
    this.#reconnectAttempts = 0;
    void this.#reconnect();
  }

  /** After a `conflict`: take the conversation back into this window. */
  resume(): void {
    if (this.#status !== 'conflict') return;
    this.#setStatus('reconnecting');
    this.#reconnectAttempts = 0;
    void this.#reconnect();
  }

  /**
   * Sends a message and answers its activity id. Network failures and 5xx/429 are retried with the
   * same clientActivityID, so however many of the attempts reached the server, it stores one copy.
   */
  async postMessage(text: string, clientActivityId: string): Promise<string> {
    const activity = this.#messageActivity(text, clientActivityId);
    return this.#withRetries(() => this.#tr.request(`${this.#conversationUrl()}/activities`, {
      method: 'POST', headers: jsonHeaders(this.#credentials.token), body: JSON.stringify(activity),
    }));
  }

  /**
   * Sends files as Direct Line does: multipart to `upload?userId=`, one `file` part per file and
   * an `activity` part (application/vnd.microsoft.activity) with the text and clientActivityID.
   */
  async upload(files: readonly Blob[], text: string, clientActivityId: string, names: readonly string[] = []): Promise<string> {
    const activity = this.#messageActivity(text, clientActivityId);
    const url = `${this.#conversationUrl()}/upload?userId=${encodeURIComponent(this.#credentials.userId)}`;
    return this.#withRetries(() => {
      // A fresh body per attempt: a FormData stream is consumed by the request that sent it.
      const form = new FormData();
      files.forEach((file, i) => form.append('file', file, names[i] ?? (file as { name?: string }).name ?? `file-${i + 1}`));
      form.append('activity', new Blob([JSON.stringify(activity)], { type: 'application/vnd.microsoft.activity' }));
      return this.#tr.request(url, { method: 'POST', headers: { authorization: `Bearer ${this.#credentials.token}` }, body: form });
    }, false);
  }

  /** "The customer is typing": relayed to the agent, never stored, not worth a retry. */
  sendTyping(): void {
    if (this.#finished()) return;
    const activity = { type: 'typing', from: { id: this.#credentials.userId } };
    this.#tr.request(`${this.#conversationUrl()}/activities`, { method: 'POST', headers: jsonHeaders(this.#credentials.token), body: JSON.stringify(activity) })
      .catch(() => undefined);
  }

  /** Stops everything (the page is leaving, or a new chat replaces this one). */
  close(): void {
    if (this.#status === 'closed') return;
    this.#stopAll();
    this.#setStatus('closed');
  }

  // ---- the stream ------------------------------------------------------------------------------

  #openStream(url: string): void {
    this.#closeSocket();
    let opened = false;
    const socket = this.#tr.openSocket!(url, {
      onOpen: () => {
        if (this.#socket !== socket) return;
        opened = true;
        this.#socketFailures = 0;
        this.#reconnectAttempts = 0;
        this.#setStatus('online');
        this.#schedulePing();
      },
      onMessage: (data) => {
        if (this.#socket !== socket || data === '') return;
        let set: unknown;
        try {
          set = JSON.parse(data);
        } catch {
          return;
        }
        if (!isActivitySet(set)) return;
        this.#o.sink.apply(set);
        // The server closes the socket after the end: known now, that close does not reconnect
        // (a reconnect would only hear 404 for the ended conversation).
        if (endsConversation(set)) this.#end();
      },
      onClose: (_code, reason) => {
        if (this.#socket !== socket) return;
        this.#socket = undefined;
        this.#cancelPing?.();
        if (this.#finished()) return;
        if (reason === 'collision') return this.#setStatus('conflict');
        if (!opened && ++this.#socketFailures >= this.#o.maxSocketFailures) return this.#startPolling();
        this.#scheduleReconnect();
      },
    });
    this.#socket = socket;
  }

  #scheduleReconnect(): void {
    if (this.#finished()) return;
    this.#setStatus('reconnecting');
    const delay = backoffDelay(this.#reconnectAttempts++, () => this.#tr.random());
    this.#cancelReconnect = this.#tr.schedule(() => {
      this.#cancelReconnect = undefined;
      void this.#reconnect();
    }, delay);
  }

  /** `GET /conversations/{id}?watermark=w`: a new streamUrl that replays what came after `w`. */
  async #reconnect(): Promise<void> {
    if (this.#finished()) return;
    let res: HttpResponse;
    try {
      res = await this.#get(`${this.#conversationUrl()}${watermarkQuery(this.#o.sink.watermark)}`);
    } catch {
      return this.#scheduleReconnect();
    }
    if (this.#finished() || this.#status === 'conflict') return;
    if (res.status === 200 && isConversation(res.body) && res.body.streamUrl) return this.#openStream(res.body.streamUrl);
    if (res.status === 200) return this.#startPolling();
    if (res.status === 403) return this.#setStatus('expired');
    if (res.status === 404) return this.#end();
    this.#scheduleReconnect();
  }

  #schedulePing(): void {
    this.#cancelPing?.();
    this.#cancelPing = this.#tr.schedule(() => {
      this.#cancelPing = undefined;
      if (!this.#socket || this.#finished()) return;
      try {
        this.#socket.send('');
      } catch {
        // A failing send means the socket is going away; its close event reconnects.
      }
      this.#schedulePing();
    }, this.#o.pingIntervalMs);
  }

  #closeSocket(): void {
    const socket = this.#socket;
    this.#socket = undefined;
    this.#cancelPing?.();
    socket?.close();
  }

  // ---- polling ---------------------------------------------------------------------------------

  #startPolling(): void {
    if (this.#polling || this.#finished()) return;
    this.#polling = true;
    this.#closeSocket();
    this.#setStatus('polling');
    void this.#poll();
  }

  async #poll(): Promise<void> {
    if (this.#finished()) return;
    let res: HttpResponse;
    try {
      res = await this.#get(this.#activitiesUrl());
    } catch {
      return this.#schedulePoll(backoffDelay(this.#pollFailures++, () => this.#tr.random()));
    }
    if (this.#finished()) return;
    if (!this.#handleReadFailure(res)) {
      if (res.status !== 403 && res.status !== 404) this.#schedulePoll(backoffDelay(this.#pollFailures++, () => this.#tr.random()));
      return;
    }
    this.#pollFailures = 0;
    const set = res.body as ActivitySet;
    this.#o.sink.apply(set);
    if (endsConversation(set)) return this.#end();
    // A full page may have more behind it: ask again at once.
    this.#schedulePoll(set.activities.length > 0 ? 0 : this.#o.pollIntervalMs);
  }

  #schedulePoll(ms: number): void {
    if (this.#finished()) return;
    this.#cancelPoll = this.#tr.schedule(() => {
      this.#cancelPoll = undefined;
      void this.#poll();
    }, ms);
  }

  /** True when `res` is an ActivitySet; 403 and 404 end the conversation's client for good. */
  #handleReadFailure(res: HttpResponse): boolean {
    if (res.status === 200 && isActivitySet(res.body)) return true;
    if (res.status === 403) this.#setStatus('expired');
    else if (res.status === 404) this.#end();
    return false;
  }

  // ---- the token -------------------------------------------------------------------------------

  /** At half the token's remaining life: a 30-minute token is refreshed after 15, like DLJS. */
  #scheduleRefresh(delay?: number): void {
    this.#cancelRefresh?.();
    const ms = delay ?? Math.max(5_000, (this.#credentials.expiresAt - this.#tr.now()) / 2);
    this.#cancelRefresh = this.#tr.schedule(() => {
      this.#cancelRefresh = undefined;
      void this.#refreshToken();
    }, ms);
  }

  async #refreshToken(): Promise<void> {
    if (this.#finished()) return;
    let res: HttpResponse;
    try {
      res = await this.#tr.request(`${this.#o.domain}/tokens/refresh`, { method: 'POST', headers: jsonHeaders(this.#credentials.token) });
    } catch {
      if (this.#tr.now() < this.#credentials.expiresAt) this.#scheduleRefresh(REFRESH_RETRY_MS);
      return;
    }
    if (this.#finished()) return;
    const body = res.body as Partial<ConversationResponse> | undefined;
    if (res.status === 200 && typeof body?.token === 'string' && typeof body.expires_in === 'number') {
      this.#credentials = { ...this.#credentials, token: body.token, expiresAt: this.#tr.now() + body.expires_in * 1000 };
      this.#o.onCredentials?.(this.#credentials);
      return this.#scheduleRefresh();
    }
    if (res.status === 403) return this.#setStatus('expired');
    if (res.status === 404) return this.#end();
    if (this.#tr.now() < this.#credentials.expiresAt) this.#scheduleRefresh(REFRESH_RETRY_MS);
  }

  // ---- sending ---------------------------------------------------------------------------------

  #messageActivity(text: string, clientActivityId: string) {
    return {
      type: 'message', from: { id: this.#credentials.userId }, text,
      ...(this.#o.locale ? { locale: this.#o.locale } : {}),
      channelData: { clientActivityID: clientActivityId },
    };
  }

  /** `upload`: a 404 may be a server without the upload endpoint; the stream tells us of an end anyway. */
  async #withRetries(send: () => Promise<HttpResponse>, notFoundEnds = true): Promise<string> {
    for (let attempt = 0; ; attempt++) {
      if (this.#status === 'ended') throw new SendError('ended');
      if (this.#status === 'expired') throw new SendError('expired');
      let res: HttpResponse | undefined;
      try {
        res = await send();
      } catch {
        res = undefined; // no answer: the request may or may not have reached the server
      }
      if (res) {
        const id = (res.body as { id?: unknown } | undefined)?.id;
        if ((res.status === 200 || res.status === 201) && typeof id === 'string') return id;
        if (res.status === 403) {
          this.#setStatus('expired');
          throw new SendError('expired', 403);
        }
        if (res.status === 404 && notFoundEnds) {
          this.#end();
          throw new SendError('ended', 404);
        }
        if (res.status !== 429 && res.status < 500 && res.status >= 400) throw new SendError('rejected', res.status);
      }
      if (attempt + 1 >= this.#o.sendAttempts) throw new SendError('unreachable', res?.status);
      await new Promise<void>((resolve) => this.#tr.schedule(resolve, backoffDelay(attempt, () => this.#tr.random())));
    }
  }

  // ---- helpers ---------------------------------------------------------------------------------

  #get(url: string): Promise<HttpResponse> {
    return this.#tr.request(url, { method: 'GET', headers: { authorization: `Bearer ${this.#credentials.token}` } });
  }

  #conversationUrl(): string {
    return `${this.#o.domain}/conversations/${encodeURIComponent(this.#credentials.conversationId)}`;
  }

  #activitiesUrl(): string {
    return `${this.#conversationUrl()}/activities${watermarkQuery(this.#o.sink.watermark)}`;
  }

  #end(): void {
    this.#stopAll();
    this.#setStatus('ended');
  }

  #finished(): boolean {
    return this.#status === 'ended' || this.#status === 'expired' || this.#status === 'closed';
  }

  #stopAll(): void {
    this.#cancelReconnect?.();
    this.#cancelPoll?.();
    this.#cancelRefresh?.();
    this.#cancelReconnect = this.#cancelPoll = this.#cancelRefresh = undefined;
    this.#closeSocket();
  }

  #setStatus(status: ConnectionStatus): void {
    if (status === 'expired') this.#stopAll();
    if (this.#status === status) return;
    this.#status = status;
    this.#o.onStatus?.(status);
  }
}

function jsonHeaders(token: string): Record<string, string> {
  return { authorization: `Bearer ${token}`, 'content-type': 'application/json' };
}

function watermarkQuery(watermark: string | undefined): string {
  return watermark === undefined ? '' : `?watermark=${encodeURIComponent(watermark)}`;
}

function isActivitySet(value: unknown): value is ActivitySet {
  return !!value && typeof value === 'object' && Array.isArray((value as ActivitySet).activities);
}

function isConversation(value: unknown): value is ConversationResponse {
  const c = value as ConversationResponse | undefined;
  return !!c && typeof c === 'object' && typeof c.conversationId === 'string' && typeof c.token === 'string';
}

/** Whether a set carries the conversation's end (Switchboard's `endOfConversation`). */
function endsConversation(set: ActivitySet): boolean {
  return set.activities.some((a) => a.type === 'endOfConversation');
}
