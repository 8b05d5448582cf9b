import assert from 'node:assert/strict';
import WebSocket from 'ws';

/** The WebSocket stream as tests see it: a client that queues frames so a test can await them. */
export interface EventFrame {
  type: 'event';
  subscription: string;
  event: { id: number; tenantId: string; type: string; conversationId: string | null; payload: Record<string, any> };
}
export type Frame = { type: string; id?: string; after?: number; error?: { code: string; message: string } } & Partial<Omit<EventFrame, 'type'>>;

const FRAME_TIMEOUT_MS = 5_000;

/** A stream client that queues every frame it receives, so a test can await them one by one. */
export class StreamClient {
  private readonly frames: Frame[] = [];
  private waiter: (() => void) | undefined;
  readonly closed: Promise<{ code: number; reason: string }>;

  private constructor(readonly socket: WebSocket) {
    socket.on('message', (data) => {
      this.frames.push(JSON.parse(data.toString()) as Frame);
      this.waiter?.();
    });
    this.closed = new Promise((resolve) => socket.on('close', (code, reason) => {
      resolve({ code, reason: reason.toString() });
      this.waiter?.();
    }));
  }

  static connect(url: string, token: string): Promise<StreamClient> {
    return new Promise((resolve, reject) => {
      const socket = new WebSocket(url, { headers: { authorization: `Bearer ${token}` } });
      socket.once('open', () => resolve(new StreamClient(socket)));
      socket.once('error', reject);
    });
  }

  send(frame: unknown): void {
    this.socket.send(typeof frame === 'string' ? frame : JSON.stringify(frame));
  }

  /** The next frame, waiting for it if need be. */
  async next(timeoutMs = FRAME_TIMEOUT_MS): Promise<Frame> {
    const deadline = Date.now() + timeoutMs;
    while (this.frames.length === 0) {
      if (this.socket.readyState === WebSocket.CLOSED) throw new Error('the socket closed while a frame was awaited');
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`no frame within ${timeoutMs} ms`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left);
        this.waiter = () => {
          clearTimeout(timer);
          resolve();
        };
      });
      this.waiter = undefined;
    }
    return this.frames.shift()!;
  }

  /** Sends a subscribe frame and returns the "subscribed" answer (the cursor it starts from). */
  async subscribe(frame: { id: string; tenantId: string; conversationId?: string; after?: number }): Promise<Frame> {
    this.send({ type: 'subscribe', ...frame });
    const answer = await this.next();
    assert.deepEqual({ type: answer.type, id: answer.id }, { type: 'subscribed', id: frame.id }, JSON.stringify(answer));
    return answer;
  }

  /** The next `count` event frames (any other frame fails the test). */
  async events(count: number): Promise<EventFrame[]> {
    const got: EventFrame[] = [];
    while (got.length < count) {
      const frame = await this.next();
      assert.equal(frame.type, 'event', `expected an event, got ${JSON.stringify(frame)}`);
      got.push(frame as EventFrame);
    }
    return got;
  }

  /** Asserts that nothing more arrives for a while: no duplicates, no strays. */
  async assertQuiet(ms = 300): Promise<void> {
    await new Promise((resolve) => setTimeout(resolve, ms));
    assert.deepEqual(this.frames, [], 'no further frames');
  }

  async close(): Promise<void> {
    if (this.socket.readyState !== WebSocket.CLOSED) {
      this.socket.close(1000);
      await this.closed;
    }
  }
}

