import type { AgentBoardEntry, QueueStats, SwitchboardEvent } from './api.js';

/**
 * One WebSocket to `/v1/stream` for a whole view, carrying its subscriptions: the agent
 * workspace's tenant subscription (offers, messages, state changes of what the agent may see),
 * the wallboard's feed (queue figures and the agent board, coalesced by the server to at most four
 * frames a second) and a monitored conversation's events; and, for agents, agent command frames
 * (presence, accept, reject, message). The browser sends the session cookie with the upgrade and
 * the server checks the Origin. After a drop it reconnects and subscribes again: event
 * subscriptions with `after` = the last event id seen, so nothing committed meanwhile is missed; the
 * wallboard feed with a fresh full snapshot. Commands in flight fail and are not resent.
 */
export type StreamState = 'connecting' | 'open' | 'closed';

export interface SubscriptionSpec {
  readonly id: string;
  /** Only this conversation's events (a monitored conversation). */
  readonly conversationId?: string;
  /** The wallboard feed instead of events. */
  readonly feed?: 'wallboard';
}

export interface WallboardFrame {
  readonly subscription: string;
  readonly seq: number;
  readonly full: boolean;
  readonly queues: readonly QueueStats[];
  readonly agents: readonly AgentBoardEntry[];
  readonly removedQueueIds?: readonly string[];
  readonly removedAgentIds?: readonly string[];
}

export interface StreamHandlers {
  readonly onState: (state: StreamState) => void;
  /** Called after every (re)subscription of `id`: the view refreshes what it shows from the API. */
  readonly onSubscribed?: (id: string) => void;
  readonly onEvent?: (event: SwitchboardEvent, subscription: string) => void;
  readonly onWallboard?: (frame: WallboardFrame) => void;
  /** A web chat customer is typing in a conversation the person may read (never stored). */
  readonly onTyping?: (conversationId: string) => void;
}

interface Pending {
  resolve(value: unknown): void;
  reject(error: Error): void;
}

export class CommandError extends Error {
  constructor(readonly code: string, message: string) {
    super(message);
  }
}

export class EventStream {
  private socket: WebSocket | undefined;
  private readonly subscriptions = new Map<string, SubscriptionSpec & { lastEventId?: number }>();
  private nextId = 1;
  private readonly pending = new Map<string, Pending>();
  private retryMs = 500;
  private stopped = false;
  private timer: ReturnType<typeof setTimeout> | undefined;

  constructor(
    private readonly tenantId: string,
    /** The agent commands act as; null for someone without an agent record (a supervisor). */
    private readonly agentId: string | null,
    private readonly handlers: StreamHandlers,
    initial: readonly SubscriptionSpec[] = [{ id: 'tenant' }],
  ) {
    for (const spec of initial) this.subscriptions.set(spec.id, { ...spec });
    this.connect();
  }

  /** Adds a subscription (sent at once when connected, and again after every reconnect). */
  subscribe(spec: SubscriptionSpec): void {
    this.subscriptions.set(spec.id, { ...spec });
    if (this.socket?.readyState === WebSocket.OPEN) this.sendSubscribe(this.socket, spec.id);
  }

  unsubscribe(id: string): void {
    if (!this.subscriptions.delete(id)) return;
    if (this.socket?.readyState === WebSocket.OPEN) this.socket.send(JSON.stringify({ type: 'unsubscribe', id }));
  }

  private sendSubscribe(socket: WebSocket, id: string): void {
    const sub = this.subscriptions.get(id);
    if (!sub) return;
    const frame: Record<string, unknown> = { type: 'subscribe', id, tenantId: this.tenantId };
    if (sub.conversationId) frame.conversationId = sub.conversationId;
    if (sub.feed) frame.feed = sub.feed;
    else if (sub.lastEventId !== undefined) frame.after = sub.lastEventId;
    socket.send(JSON.stringify(frame));
  }

  private connect(): void {
    if (this.stopped) return;
    this.handlers.onState('connecting');
    const url = `${location.protocol === 'https:' ? 'wss' : 'ws'}://${location.host}/v1/stream`;
    const socket = new WebSocket(url);
    this.socket = socket;
    socket.onopen = () => {
      this.retryMs = 500;
      for (const id of this.subscriptions.keys()) this.sendSubscribe(socket, id);
    };
    socket.onmessage = (message) => {
      let frame: {
        type?: string; id?: string; subscription?: string; after?: number; event?: SwitchboardEvent; result?: unknown;
        error?: { code: string; message: string }; conversationId?: string;
      };
      try {
        frame = JSON.parse(String(message.data));
      } catch {
        return;
      }
      if (frame.type === 'subscribed' && frame.id) {
        const sub = this.subscriptions.get(frame.id);
        if (!sub) return;
        if (!sub.feed && sub.lastEventId === undefined && typeof frame.after === 'number') sub.lastEventId = frame.after;
        this.handlers.onState('open');
        this.handlers.onSubscribed?.(frame.id);
      } else if (frame.type === 'event' && frame.event && frame.subscription) {
        const sub = this.subscriptions.get(frame.subscription);
        if (!sub) return; // unsubscribed meanwhile
        sub.lastEventId = frame.event.id;
        this.handlers.onEvent?.(frame.event, frame.subscription);
      } else if (frame.type === 'wallboard' && frame.subscription && this.subscriptions.has(frame.subscription)) {
        this.handlers.onWallboard?.(frame as unknown as WallboardFrame);
      } else if (frame.type === 'typing' && typeof frame.conversationId === 'string') {
        this.handlers.onTyping?.(frame.conversationId);
      } else if (frame.type === 'result' && frame.id) {
        this.pending.get(frame.id)?.resolve(frame.result);
        this.pending.delete(frame.id);
      } else if (frame.type === 'error' && frame.id) {
        const waiting = this.pending.get(frame.id);
        if (waiting) {
          waiting.reject(new CommandError(frame.error?.code ?? 'SB_ERR_UNKNOWN', frame.error?.message ?? 'The command failed.'));
          this.pending.delete(frame.id);
        } else if (this.subscriptions.has(frame.id)) {
          // A subscription was refused (signed out, no permission): start over after a pause.
          socket.close();
        }
      }
    };
    socket.onclose = () => {
      if (this.socket !== socket) return;
      this.socket = undefined;
      for (const p of this.pending.values()) p.reject(new CommandError('SB_ERR_DISCONNECTED', 'The connection dropped; try again.'));
      this.pending.clear();
      this.handlers.onState('closed');
      if (this.stopped) return;
      this.timer = setTimeout(() => this.connect(), this.retryMs);
      this.retryMs = Math.min(this.retryMs * 2, 10_000);
    };
  }

  /** Runs an agent command on the socket; resolves with its result or rejects with its error. */
  command(action: string, fields: Record<string, unknown>): Promise<unknown> {
    const socket = this.socket;
    if (this.agentId === null) return Promise.reject(new CommandError('SB_ERR_FORBIDDEN', 'Only an agent can run agent commands.'));
    if (!socket || socket.readyState !== WebSocket.OPEN) return Promise.reject(new CommandError('SB_ERR_DISCONNECTED', 'Not connected; try again in a moment.'));
    const id = `c${this.nextId++}`;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      socket.send(JSON.stringify({ type: 'command', id, tenantId: this.tenantId, agentId: this.agentId, action, ...fields }));
    });
  }

  close(): void {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    this.socket?.close();
  }
}
