import { DirectLineClient, SendError, startConversation, type ConnectionStatus, type Credentials } from './directline-client.js';
import type { DirectLineTransport } from './directline-transport.js';
import { SessionMemory, type KeyValueStorage } from './saved-session.js';
import { TranscriptStore } from './transcript-store.js';
import { requestWidgetToken, submitCsat, type TokenRequest, type WidgetSettings } from './webchat-api.js';

/**
 * One customer's chat on one channel, from "not started" to "survey answered": starts the
 * conversation with the widget token, resumes it after a reload, sends and retries, hands the
 * survey in. It holds the state the view renders and calls `onChange` when any of it changed;
 * it knows nothing about the DOM, so the tests run it in Node over a fake transport.
 */

export type Phase =
  /** No conversation yet: the pre-chat form, or an empty composer when there are no fields. */
  | 'new'
  | 'starting'
  | 'chat'
  /** Ended by the agent or the system: the survey if offered, then "start a new chat". */
  | 'ended'
  /** The token ran out or was refused: this conversation is over for this page. */
  | 'expired';

export interface ChatSessionOptions {
  readonly base: string;
  readonly settings: WidgetSettings;
  readonly transport: DirectLineTransport;
  readonly storage?: KeyValueStorage | undefined;
  readonly locale?: string | undefined;
  /** Sent with the token request and stored as context (`page.url`, ...). */
  readonly page?: TokenRequest['page'];
  /** A unique id for `clientActivityID`. */
  readonly newId: () => string;
  readonly onChange: () => void;
  /** Passed to the client (tests shorten the timings). */
  readonly clientTuning?: { readonly sendAttempts?: number; readonly maxSocketFailures?: number; readonly pollIntervalMs?: number };
}

interface Outgoing {
  readonly text: string;
  readonly files?: readonly Blob[];
  readonly names?: readonly string[];
}

const TYPING_EVERY_MS = 3000;

export class ChatSession {
  store = new TranscriptStore();
  phase: Phase = 'new';
  connection: ConnectionStatus | undefined;
  /** Shown to the customer: why starting or sending failed. */
  problem: string | undefined;
  /** Set by the pre-chat form's server-side check: field name -> problem. */
  fieldProblems: ReadonlyMap<string, string> = new Map();
  csatState: 'none' | 'offered' | 'sending' | 'done' | 'skipped' = 'none';
  unread = 0;
  open = false;

  #client: DirectLineClient | undefined;
  readonly #memory: SessionMemory;
  readonly #outgoing = new Map<string, Outgoing>();
  #lastTyping = 0;
  #countUnread = true;
  #starting: Promise<boolean> | undefined;

  readonly #o: ChatSessionOptions;

  constructor(o: ChatSessionOptions) {
    this.#o = o;
    this.#memory = new SessionMemory(o.storage, o.settings.channelId);
  }

  get settings(): WidgetSettings {
    return this.#o.settings;
  }

  get token(): string | undefined {
    return this.#client?.currentCredentials.token;
  }

  /**
   * After a page reload: the same conversation again, its transcript read from the server, then
   * the stream from where that read ended. False when there was nothing to resume.
   */
  async resume(): Promise<boolean> {
    const saved = this.#memory.load(this.#o.transport.now());
    if (!saved) return false;
    this.open = saved.open === true;
    this.csatState = saved.csatDone ? 'done' : 'none';
    this.store = new TranscriptStore({ userId: saved.userId });
    this.phase = 'chat';
    const client = this.#createClient(saved);
    this.#o.onChange();
    // The history is what this tab had already seen: not unread.
    this.#countUnread = false;
    const complete = await client.loadHistory();
    this.#countUnread = true;
    // Without the history, at least do not replay what this tab had already seen.
    if (!complete && saved.watermark !== undefined) this.store.apply({ activities: [], watermark: saved.watermark }, this.#o.transport.now());
    this.#afterActivities();
    if (this.phase === 'chat') client.connect();
    this.#o.onChange();
    return true;
  }

  /**
   * Starts a conversation: the widget token with the pre-chat answers and the page, then
   * `POST /conversations` (which puts it into routing), then the stream. On a refused answer
   * `fieldProblems` says which fields, and the phase goes back to `new`.
   */
  start(request: TokenRequest = {}): Promise<boolean> {
    this.#starting ??= this.#doStart(request).finally(() => {
      this.#starting = undefined;
    });
    return this.#starting;
  }

  /** Sends a message; before the first one without a pre-chat form, starts the conversation. */
  async send(text: string): Promise<void> {
    const trimmed = text.trim();
    if (trimmed === '') return;
    await this.#queue({ text: trimmed });
  }

  /** Files (and an optional caption) through Direct Line's upload. */
  async attach(files: readonly Blob[], names: readonly string[], caption = ''): Promise<void> {
    if (files.length === 0) return;
    await this.#queue({ text: caption.trim(), files, names });
  }

  /** Sends a failed message again, with its clientActivityID: the server keeps one copy. */
  async retry(clientActivityId: string): Promise<void> {
    const item = this.#outgoing.get(clientActivityId);
    if (!item) return;
    this.store.markPending(clientActivityId, 'sending');
    this.#o.onChange();
    if (!this.#client && !(await this.start())) {
      this.store.markPending(clientActivityId, 'failed');
      this.#o.onChange();
      return;
    }
    await this.#deliver(clientActivityId, item);
  }

  /** Called on input in the composer: at most one typing activity every three seconds. */
  typing(): void {
    const now = this.#o.transport.now();
    if (!this.#client || this.phase !== 'chat' || now - this.#lastTyping < TYPING_EVERY_MS) return;
    this.#lastTyping = now;
    this.#client.sendTyping();
  }

  async submitSurvey(rating: number, comment: string): Promise<boolean> {
    const token = this.token;
    if (!token || this.csatState !== 'offered') return false;
    this.csatState = 'sending';
    this.problem = undefined;
    this.#o.onChange();
    try {
      const trimmed = comment.trim();
      await submitCsat(this.#o.transport, this.#o.base, this.#o.settings.channelId, token, { rating, ...(trimmed ? { comment: trimmed } : {}) });
      this.csatState = 'done';
      this.#memory.update(this.#o.transport.now(), { csatDone: true });
      return true;
    } catch {
      this.csatState = 'offered';
      this.problem = 'Your feedback could not be sent. Please try again.';
      return false;
    } finally {
      this.#o.onChange();
    }
  }

  /** "No thanks": the survey is not offered again in this tab. */
  skipSurvey(): void {
    this.csatState = 'skipped';
    this.#memory.update(this.#o.transport.now(), { csatDone: true });
    this.#o.onChange();
  }

  /** After the end (or an expired session): forget this conversation, back to the pre-chat form. */
  newChat(): void {
    this.#client?.close();
    this.#client = undefined;
    this.#memory.clear();
    this.#outgoing.clear();
    this.store = new TranscriptStore();
    this.phase = 'new';
    this.connection = undefined;
    this.problem = undefined;
    this.fieldProblems = new Map();
    this.csatState = 'none';
    this.#o.onChange();
  }

  setOpen(open: boolean): void {
    this.open = open;
    if (open) this.unread = 0;
    this.#memory.update(this.#o.transport.now(), { open });
    this.#o.onChange();
  }

  networkRestored(): void {
    this.#client?.networkRestored();
  }

  /** After `conflict`: continue in this tab. */
  takeOver(): void {
    this.#client?.resume();
  }

  close(): void {
    this.#client?.close();
  }

  // ---- internals -------------------------------------------------------------------------------

  async #doStart(request: TokenRequest): Promise<boolean> {
    if (this.#client) return true;
    this.phase = 'starting';
    this.problem = undefined;
    this.fieldProblems = new Map();
    this.#o.onChange();
    const domain = `${this.#o.base}/v3/directline`;
    try {
      const widget = await requestWidgetToken(this.#o.transport, this.#o.base, this.#o.settings.channelId, { ...request, ...(this.#o.page ? { page: this.#o.page } : {}) });
      const conversation = await startConversation(this.#o.transport, domain, widget.token, widget.userId, this.#o.locale);
      const credentials: Credentials = {
        conversationId: conversation.conversationId,
        token: conversation.token,
        expiresAt: this.#o.transport.now() + conversation.expires_in * 1000,
        userId: widget.userId,
      };
      // Not a new store: a first message written before the start is already in it, pending.
      this.store.setUserId(widget.userId);
      this.phase = 'chat';
      this.#memory.save({ ...credentials, open: this.open });
      this.#createClient(credentials).connect(conversation.streamUrl);
      return true;
    } catch (error) {
      this.phase = 'new';
      const e = error as { status?: number; fieldProblems?: ReadonlyMap<string, string>; message?: string };
      this.fieldProblems = e.fieldProblems ?? new Map();
      this.problem = e.status === 400 && this.fieldProblems.size > 0
        ? 'Please check the highlighted answers.'
        : e.status === 403
          ? 'Chat is not available on this page.'
          : 'We could not start the chat. Please check your connection and try again.';
      return false;
    } finally {
      this.#o.onChange();
    }
  }

  #createClient(credentials: Credentials): DirectLineClient {
    // eslint-disable-next-line @typescript-eslint/no-this-alias -- the sink's getter needs the session, not the literal
    const session = this;
    const client = new DirectLineClient({
      domain: `${this.#o.base}/v3/directline`,
      transport: this.#o.transport,
      credentials,
      locale: this.#o.locale,
      ...this.#o.clientTuning,
      sink: {
        apply: (set) => {
          const result = this.store.apply(set, this.#o.transport.now());
          if (!this.open && this.#countUnread) this.unread += result.added.filter((m) => m.sender !== 'self').length;
          this.#memory.update(this.#o.transport.now(), { watermark: this.store.watermark });
          this.#afterActivities();
          if (result.changed) this.#o.onChange();
        },
        get watermark() {
          return session.store.watermark;
        },
      },
      onStatus: (status) => {
        this.connection = status;
        if (status === 'ended' && this.phase === 'chat') this.phase = 'ended';
        if (status === 'expired' && this.phase === 'chat') this.phase = 'expired';
        this.#o.onChange();
      },
      onCredentials: (c) => this.#memory.update(this.#o.transport.now(), { token: c.token, expiresAt: c.expiresAt }),
    });
    this.#client = client;
    this.connection = client.connectionStatus;
    return client;
  }

  /** The end arrived as an activity: offer the survey when it says so. */
  #afterActivities(): void {
    const ended = this.store.ended;
    if (!ended || this.phase === 'ended') return;
    this.phase = 'ended';
    if (ended.csat && this.csatState === 'none') this.csatState = 'offered';
  }

  async #queue(item: Outgoing): Promise<void> {
    if (this.phase === 'ended' || this.phase === 'expired') return;
    this.problem = undefined;
    const clientActivityId = this.#o.newId();
    this.#outgoing.set(clientActivityId, item);
    this.store.addPending({
      clientActivityId, text: item.text,
      attachments: (item.names ?? []).map((name, i) => ({ contentType: (item.files?.[i] as { type?: string } | undefined)?.type || 'application/octet-stream', name })),
    });
    this.#o.onChange();
    if (!this.#client && !(await this.start())) {
      this.store.markPending(clientActivityId, 'failed');
      this.#o.onChange();
      return;
    }
    await this.#deliver(clientActivityId, item);
  }

  async #deliver(clientActivityId: string, item: Outgoing): Promise<void> {
    const client = this.#client;
    if (!client) return;
    try {
      if (item.files && item.files.length > 0) await client.upload(item.files, item.text, clientActivityId, item.names);
      else await client.postMessage(item.text, clientActivityId);
      this.#outgoing.delete(clientActivityId);
      this.store.markPending(clientActivityId, 'sent');
    } catch (error) {
      this.store.markPending(clientActivityId, 'failed');
      const failure = error instanceof SendError ? error.failure : 'unreachable';
      if (failure === 'rejected') this.problem = item.files ? 'The file could not be sent (it may be too large, or of a type that is not accepted).' : 'The message was not accepted.';
    }
    this.#o.onChange();
  }
}
