import type { SwitchboardEvent } from './api.js';

/**
 * One WebSocket to `/v1/stream` for a whole view: a tenant subscription (offers, messages, state
 * changes and statistics of what the signed-in person may see) and, for agents, agent commands
 * (presence, accept, reject, message). The browser sends the session cookie with the upgrade and the server checks
 * the Origin. After a drop it reconnects and resubscribes with `after` = the last event id seen, so
 * nothing committed meanwhile is missed; commands in flight fail and are not resent.
 */
export type StreamState = 'connecting' | 'open' | 'closed';

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
  private lastEventId: number | undefined;
  private nextId = 1;
  private readonly pending = new Map<string, Pending>();
  private retryMs = 500;
  private stopped = false;
  private timer: ReturnType<typeof setTimeout> | undefined;

  constructor(
    private readonly tenantId: string,
    /** The agent commands act as; null for someone without an agent record (a supervisor). */
    private readonly agentId: string | null,
    private readonly onEvent: (event: SwitchboardEvent) => void,
    private readonly onState: (state: StreamState) => void,
    /** Called after every (re)subscription: the caller refreshes what it shows from the API. */
    private readonly onSubscribed: () => void,
    /** A web chat customer is typing in a conversation the person may read (never stored). */
    private readonly onTyping?: (conversationId: string) => void,
  ) {
    this.connect();
  }

  private connect(): void {
    if (this.stopped) return;
    this.onState('connecting');
    const url = `${location.protocol === 'https:' ? 'wss' : 'ws'}://${location.host}/v1/stream`;
    const socket = new WebSocket(url);
    this.socket = socket;
    socket.onopen = () => {
      this.retryMs = 500;
      const frame: Record<string, unknown> = { type: 'subscribe', id: 'tenant', tenantId: this.tenantId };
      if (this.lastEventId !== undefined) frame.after = this.lastEventId;
      socket.send(JSON.stringify(frame));
    };
    socket.onmessage = (message) => {
      let frame: { type?: string; id?: string; after?: number; event?: SwitchboardEvent; result?: unknown; error?: { code: string; message: string }; conversationId?: string };
      try {
        frame = JSON.parse(String(message.data));
      } catch {
        return;
      }
      if (frame.type === 'subscribed' && frame.id === 'tenant') {
        if (this.lastEventId === undefined && typeof frame.after === 'number') this.lastEventId = frame.after;
        this.onState('open');
        this.onSubscribed();
      } else if (frame.type === 'event' && frame.event) {
        this.lastEventId = frame.event.id;
        this.onEvent(frame.event);
      } else if (frame.type === 'typing' && typeof frame.conversationId === 'string') {
        this.onTyping?.(frame.conversationId);
      } else if (frame.type === 'result' && frame.id) {
        this.pending.get(frame.id)?.resolve(frame.result);
        this.pending.delete(frame.id);
      } else if (frame.type === 'error' && frame.id) {
        const waiting = this.pending.get(frame.id);
        if (waiting) {
          waiting.reject(new CommandError(frame.error?.code ?? 'SB_ERR_UNKNOWN', frame.error?.message ?? 'The command failed.'));
          this.pending.delete(frame.id);
        } else if (frame.id === 'tenant') {
          // The subscription was refused (signed out, no permission): start over after a pause.
          socket.close();
        }
      }
    };
    socket.onclose = () => {
      if (this.socket !== socket) return;
      this.socket = undefined;
      for (const p of this.pending.values()) p.reject(new CommandError('SB_ERR_DISCONNECTED', 'The connection dropped; try again.'));
      this.pending.clear();
      this.onState('closed');
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
