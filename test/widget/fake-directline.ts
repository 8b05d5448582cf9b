// A fake browser for the widget's logic: manual timers, a clock, sockets driven frame by frame,
// and a small Direct Line service behind `request` that behaves as docs/WEBCHAT.md says
// (ids `{conversationId}|0000001`, the watermark as the last sequence, replay after a watermark,
// one stored copy per clientActivityID, messages echoed with their channelData).
import type { DirectLineTransport, HttpRequest, HttpResponse, SocketHandle, SocketHandlers } from '../../src/widget/directline-transport.js';
import type { Activity } from '../../src/widget/directline-types.js';

export const BASE = 'https://cc.example.test';
export const DOMAIN = `${BASE}/v3/directline`;

interface Timer {
  readonly at: number;
  readonly seq: number;
  readonly fn: () => void;
  cancelled: boolean;
}

export class FakeSocket implements SocketHandle {
  readonly sent: string[] = [];
  state: 'connecting' | 'open' | 'closed' = 'connecting';
  constructor(readonly url: string, readonly handlers: SocketHandlers, private readonly onClosedByClient: (s: FakeSocket) => void) {}

  get watermark(): string | undefined {
    return new URL(this.url).searchParams.get('watermark') ?? undefined;
  }

  get token(): string | undefined {
    return new URL(this.url).searchParams.get('t') ?? undefined;
  }

  open(): void {
    this.state = 'open';
    this.handlers.onOpen();
  }

  frame(data: unknown): void {
    if (this.state !== 'open') throw new Error('frame on a socket that is not open');
    this.handlers.onMessage(typeof data === 'string' ? data : JSON.stringify(data));
  }

  /** The server or the network closes it. */
  drop(code = 1006, reason = ''): void {
    if (this.state === 'closed') return;
    this.state = 'closed';
    this.handlers.onClose(code, reason);
  }

  send(data: string): void {
    this.sent.push(data);
  }

  close(): void {
    this.state = 'closed';
    this.onClosedByClient(this);
  }
}

export type Handler = (url: URL, init: HttpRequest) => HttpResponse | Promise<HttpResponse>;

export class FakeTransport implements DirectLineTransport {
  time = 1_000_000;
  readonly requests: Array<{ method: string; url: string; headers: Readonly<Record<string, string>>; body: unknown }> = [];
  readonly sockets: FakeSocket[] = [];
  /** Sockets auto-open (and the fake server replays) unless a test wants to drive the opening. */
  autoOpen = true;
  socketsWork = true;
  networkDown = false;
  private timers: Timer[] = [];
  private timerSeq = 0;
  onSocket: ((socket: FakeSocket) => void) | undefined;
  readonly openSocket: DirectLineTransport['openSocket'];

  constructor(private readonly handler: Handler, options: { sockets?: boolean } = {}) {
    this.openSocket = options.sockets === false ? undefined : (url: string, handlers: SocketHandlers) => {
      const socket = new FakeSocket(url, handlers, () => undefined);
      this.sockets.push(socket);
      queueMicrotask(() => {
        if (socket.state !== 'connecting') return;
        if (!this.socketsWork || this.networkDown) return socket.drop(1006, '');
        if (this.autoOpen) {
          socket.open();
          this.onSocket?.(socket);
        }
      });
      return socket;
    };
  }

  async request(url: string, init: HttpRequest): Promise<HttpResponse> {
    const body = typeof init.body === 'string' ? JSON.parse(init.body) : init.body;
    this.requests.push({ method: init.method, url, headers: init.headers, body });
    await Promise.resolve();
    if (this.networkDown) throw new TypeError('Failed to fetch');
    return this.handler(new URL(url), init);
  }

  schedule(fn: () => void, ms: number): () => void {
    const timer: Timer = { at: this.time + ms, seq: this.timerSeq++, fn, cancelled: false };
    this.timers.push(timer);
    return () => {
      timer.cancelled = true;
    };
  }

  now(): number {
    return this.time;
  }

  random(): number {
    return 0.5;
  }

  get pendingTimers(): number {
    return this.timers.filter((t) => !t.cancelled).length;
  }

  /** Moves the clock, running every timer that falls due on the way (and what they schedule). */
  async advance(ms: number): Promise<void> {
    const until = this.time + ms;
    for (;;) {
      await settle();
      const due = this.timers.filter((t) => !t.cancelled && t.at <= until).sort((a, b) => a.at - b.at || a.seq - b.seq)[0];
      if (!due) break;
      this.time = Math.max(this.time, due.at);
      due.cancelled = true;
      this.timers = this.timers.filter((t) => !t.cancelled);
      due.fn();
    }
    this.time = until;
    await settle();
  }

  lastSocket(): FakeSocket {
    const s = this.sockets.at(-1);
    if (!s) throw new Error('no socket was opened');
    return s;
  }

  countRequests(method: string, pathPart: string): number {
    return this.requests.filter((r) => r.method === method && r.url.includes(pathPart)).length;
  }
}

/** Lets promises and queued microtasks run (several rounds: requests await more than once). */
export async function settle(): Promise<void> {
  for (let i = 0; i < 20; i++) await new Promise<void>((resolve) => setImmediate(resolve));
}

function json(status: number, body?: unknown): HttpResponse {
  return { status, body };
}

/** The service side, enough of it for the widget: one channel, conversations, tokens, the survey. */
export class FakeSwitchboard {
  readonly conversationId = 'conv_1';
  readonly userId = 'dl_user_1';
  token = 'token-1';
  tokenCount = 1;
  tokenLifetimeSeconds = 1800;
  readonly activities: Activity[] = [];
  ended = false;
  csat: Array<{ rating: number; comment?: string }> = [];
  tokenRequests: unknown[] = [];
  uploads: FormData[] = [];
  /** Answer this many POST activities with 503 before accepting. */
  failPosts = 0;
  /** Accept the post but lose the answer (the server stored it, the client never heard). */
  loseAnswers = 0;
  transport: FakeTransport;
  pageSize = 50;

  constructor(options: { sockets?: boolean } = {}) {
    this.transport = new FakeTransport((url, init) => this.handle(url, init), options);
    this.transport.onSocket = (socket) => this.replay(socket);
  }

  /** Something the server stores and sends (an agent's message, a queue update...). */
  push(activity: Omit<Activity, 'id'>): Activity {
    const stored = { ...activity, id: `${this.conversationId}|${String(this.activities.length + 1).padStart(7, '0')}` };
    this.activities.push(stored);
    for (const s of this.openSockets()) s.frame({ activities: [stored], watermark: String(this.activities.length) });
    return stored;
  }

  agentSays(text: string, name = 'Alice Agent'): Activity {
    return this.push({ type: 'message', from: { id: 'agt_alice', name, role: 'bot' }, text, channelData: { switchboard: { senderRole: 'agent' } } });
  }

  queueUpdate(position: number, wait: number): Activity {
    return this.push({
      type: 'message', from: { id: 'switchboard', name: 'Support', role: 'bot' },
      text: `You are number ${position} in line, about ${Math.round(wait / 60)} minutes`,
      channelData: { switchboard: { kind: 'queue', position, estimatedWaitSeconds: wait } },
    });
  }

  typing(name = 'Alice Agent'): void {
    for (const s of this.openSockets()) s.frame({ activities: [{ type: 'typing', from: { id: 'agt_alice', name, role: 'bot' } }] });
  }

  end(csat: boolean): Activity {
    const a = this.push({ type: 'endOfConversation', from: { id: 'switchboard', name: 'Support', role: 'bot' }, channelData: { switchboard: { kind: 'ended', csat } } });
    this.ended = true;
    return a;
  }

  openSockets(): FakeSocket[] {
    return this.transport.sockets.filter((s) => s.state === 'open');
  }

  private replay(socket: FakeSocket): void {
    const after = Number(socket.watermark ?? '0');
    const missed = this.activities.slice(after);
    if (missed.length > 0) socket.frame({ activities: missed, watermark: String(this.activities.length) });
  }

  private authorized(init: HttpRequest): boolean {
    return init.headers.authorization === `Bearer ${this.token}`;
  }

  private streamUrl(watermark?: string): string {
    return `wss://cc.example.test/v3/directline/conversations/${this.conversationId}/stream?t=${this.token}${watermark ? `&watermark=${watermark}` : ''}`;
  }

  private conversation(status: number, watermark?: string): HttpResponse {
    return json(status, { conversationId: this.conversationId, token: this.token, expires_in: this.tokenLifetimeSeconds, streamUrl: this.streamUrl(watermark) });
  }

  private handle(url: URL, init: HttpRequest): HttpResponse {
    const path = url.pathname;
    if (path === '/webchat/chn_1/token' && init.method === 'POST') {
      this.tokenRequests.push(JSON.parse(String(init.body)));
      return json(200, { conversationId: this.conversationId, token: this.token, expires_in: this.tokenLifetimeSeconds, userId: this.userId });
    }
    if (path === '/webchat/chn_1/csat' && init.method === 'POST') {
      if (!this.authorized(init)) return json(403, { error: { code: 'Forbidden', message: 'no' } });
      if (this.csat.length > 0) return json(409, { error: { code: 'SB_ERR_CONFLICT', message: 'already answered' } });
      this.csat.push(JSON.parse(String(init.body)));
      return json(201, {});
    }
    if (path === '/v3/directline/tokens/refresh' && init.method === 'POST') {
      if (!this.authorized(init)) return json(403, { error: { code: 'TokenExpired', message: 'expired' } });
      this.token = `token-${++this.tokenCount}`;
      return json(200, { conversationId: this.conversationId, token: this.token, expires_in: this.tokenLifetimeSeconds });
    }
    if (!path.startsWith('/v3/directline/conversations')) return json(404, { error: { code: 'NotFound', message: path } });
    if (!this.authorized(init)) return json(403, { error: { code: 'TokenExpired', message: 'the token expired' } });
    if (path === '/v3/directline/conversations' && init.method === 'POST') return this.conversation(201);
    const rest = path.slice(`/v3/directline/conversations/${this.conversationId}`.length);
    if (this.ended && rest === '') return json(404, { error: { code: 'NotFound', message: 'ended' } });
    const watermark = url.searchParams.get('watermark') ?? undefined;
    if (rest === '' && init.method === 'GET') return this.conversation(200, watermark);
    if (rest === '/activities' && init.method === 'GET') {
      const after = Number(watermark ?? '0');
      const page = this.activities.slice(after, after + this.pageSize);
      return json(200, { activities: page, watermark: String(after + page.length) });
    }
    if (rest === '/activities' && init.method === 'POST') {
      const activity = JSON.parse(String(init.body)) as Activity;
      if (activity.type === 'typing') return json(200, { id: '' });
      if (this.failPosts > 0) {
        this.failPosts--;
        return json(503, { error: { code: 'ServiceUnavailable', message: 'try again' } });
      }
      const id = this.storeOnce(activity);
      if (this.loseAnswers > 0) {
        this.loseAnswers--;
        throw new TypeError('the connection was reset');
      }
      return json(200, { id });
    }
    if (rest === '/upload' && init.method === 'POST') {
      const form = init.body as FormData;
      this.uploads.push(form);
      return json(200, { id: this.storeOnce({ type: 'message', from: { id: this.userId }, text: '', channelData: { clientActivityID: `upload-${this.uploads.length}` }, attachments: [{ contentType: 'image/png', contentUrl: '/files/1', name: 'shot.png' }] }) });
    }
    return json(404, { error: { code: 'NotFound', message: path } });
  }

  private storeOnce(activity: Activity): string {
    const cid = activity.channelData?.clientActivityID;
    const existing = this.activities.find((a) => a.from?.role === 'user' && cid !== undefined && a.channelData?.clientActivityID === cid);
    if (existing) return existing.id!;
    return this.push({ ...activity, from: { id: this.userId, role: 'user' } }).id!;
  }
}
