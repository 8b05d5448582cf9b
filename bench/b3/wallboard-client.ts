import WebSocket from 'ws';
import { LatencyHistogram } from '../lib/stats.js';

/**
 * B3's socket clients (a child process of bench/b3-wallboard.ts, on the load generator's core, so
 * what the clients spend is not the server's): it holds the supervisor sockets and reads every frame
 * as a wallboard would, parsing it whole.
 *
 * - mode `sb`: each socket connects to Switchboard's `/v1/stream` with the admin key and subscribes
 *   to the tenant's wallboard feed. A state change's latency is taken from presence changes: the
 *   first frame on a socket that carries an agent with a `presenceSince` that socket has not seen
 *   yet reflects that change, made at `presenceSince` by the server's clock (the time of the
 *   change's transaction, a few milliseconds before its commit), so latency = arrival (Date.now on
 *   the same machine) - presenceSince.
 * - mode `bare`: each socket connects to the bare broadcast server; a frame's latency is arrival -
 *   its send time, both on CLOCK_MONOTONIC (process.hrtime), which every process here shares.
 *
 * Frames, bytes and latencies are counted between `start` and `stop`; socket 0 also records the
 * size of every frame it got in that window (the sizes the bare server replays). The first
 * `parsing` sockets parse every frame (and take the latencies, and check `seq`); the others check
 * only that a frame is a wallboard frame and count it, because JSON.parse of every frame on every
 * socket would make this one core the bottleneck of both targets at these frame sizes.
 */

export type Command =
  | { type: 'open'; mode: 'sb' | 'bare'; url: string; headers: Record<string, string>; tenantId: string; sockets: number; parsing: number; concurrency: number }
  | { type: 'start'; intervalMs: number }
  | { type: 'stop' }
  | { type: 'close' };

export interface Counts {
  readonly seconds: number;
  readonly frames: number;
  readonly bytes: number;
  /** Frames of one socket that came less than `intervalMs` - 20 ms after the one before (timer and socket jitter allowed). */
  readonly early: number;
  readonly minGapMs: number;
  readonly latency: ReturnType<LatencyHistogram['toJSON']>;
  /** Socket 0's frame sizes in the window, in order (bytes). */
  readonly sizes: number[];
  readonly problems: string[];
}

export type Reply =
  | { type: 'opened'; sockets: number; ms: number; snapshotMs: { p50: number; max: number }; snapshotBytes: number }
  | { type: 'started' }
  | ({ type: 'stopped' } & Counts)
  | { type: 'closed' }
  | { type: 'error'; message: string };

interface Held {
  readonly socket: WebSocket;
  /** Agent id -> the presenceSince last seen on this socket. */
  readonly since: Map<string, string>;
  lastFrameAt: number;
  seq: number;
}

const hrMs = () => Number(process.hrtime.bigint()) / 1e6;

let held: Held[] = [];
let counting = false;
let countingSince = 0;
let frames = 0;
let bytes = 0;
let early = 0;
let minGap = Number.POSITIVE_INFINITY;
let intervalMs = 250;
let latency = new LatencyHistogram();
let sizes: number[] = [];
const problems = new Set<string>();

const WALLBOARD_HEAD = Buffer.from('{"type":"wallboard"');
let parsing = 0;

function onFrame(h: Held, index: number, mode: 'sb' | 'bare', data: Buffer, arrivedHr: number): void {
  if (index >= parsing) {
    if (mode === 'sb' && !data.subarray(0, WALLBOARD_HEAD.length).equals(WALLBOARD_HEAD)) {
      problems.add(`socket ${index}: ${data.toString('utf8', 0, 200)}`);
      return;
    }
    count(h, index, data, arrivedHr);
    return;
  }
  const frame = JSON.parse(data.toString('utf8')) as { type?: string; seq?: number; agents?: { agentId: string; presenceSince: string }[]; t?: number };
  if (mode === 'sb') {
    if (frame.type !== 'wallboard') {
      if (frame.type === 'error') problems.add(`error frame: ${JSON.stringify(frame).slice(0, 200)}`);
      return;
    }
    if (frame.seq !== h.seq + 1) problems.add(`socket ${index}: seq ${frame.seq} after ${h.seq}`);
    h.seq = frame.seq ?? h.seq;
    const now = Date.now();
    for (const agent of frame.agents ?? []) {
      if (h.since.get(agent.agentId) === agent.presenceSince) continue;
      const first = !h.since.has(agent.agentId);
      h.since.set(agent.agentId, agent.presenceSince);
      if (counting && !first) latency.record(now - Date.parse(agent.presenceSince));
    }
  } else if (counting && typeof frame.t === 'number') {
    latency.record(arrivedHr - frame.t);
  }
  count(h, index, data, arrivedHr);
}

function count(h: Held, index: number, data: Buffer, arrivedHr: number): void {
  if (counting) {
    frames += 1;
    bytes += data.length;
    if (index === 0) sizes.push(data.length);
    const gap = arrivedHr - h.lastFrameAt;
    if (h.lastFrameAt > countingSince) {
      minGap = Math.min(minGap, gap);
      if (gap < intervalMs - 20) early += 1;
    }
  }
  h.lastFrameAt = arrivedHr;
}

function open(command: Extract<Command, { type: 'open' }>, index: number): Promise<{ held: Held; snapshotMs: number; snapshotBytes: number }> {
  return new Promise((resolve, reject) => {
    const socket = new WebSocket(command.url, { headers: command.headers, perMessageDeflate: false });
    const h: Held = { socket, since: new Map(), lastFrameAt: 0, seq: 0 };
    const started = hrMs();
    let settled = false;
    socket.on('message', (data: Buffer) => {
      const arrived = hrMs();
      if (!settled && command.mode === 'sb') {
        const frame = JSON.parse(data.toString('utf8')) as { type: string; full?: boolean };
        if (frame.type === 'subscribed') return;
        if (frame.type !== 'wallboard' || frame.full !== true) {
          settled = true;
          reject(new Error(`expected the snapshot, got ${data.toString('utf8').slice(0, 200)}`));
          return;
        }
        settled = true;
        onFrame(h, index, command.mode, data, arrived);
        resolve({ held: h, snapshotMs: arrived - started, snapshotBytes: data.length });
        return;
      }
      onFrame(h, index, command.mode, data, arrived);
    });
    socket.once('open', () => {
      if (command.mode === 'sb') socket.send(JSON.stringify({ type: 'subscribe', id: 'wallboard', tenantId: command.tenantId, feed: 'wallboard' }));
      else {
        settled = true;
        resolve({ held: h, snapshotMs: 0, snapshotBytes: 0 });
      }
    });
    socket.once('error', (error) => {
      if (!settled) reject(error);
      else problems.add(`socket ${index}: ${error.message}`);
    });
    socket.on('close', (code) => {
      if (settled && counting) problems.add(`socket ${index} closed by the server (${code})`);
    });
  });
}

async function handle(command: Command): Promise<Reply> {
  switch (command.type) {
    case 'open': {
      parsing = command.parsing;
      const started = hrMs();
      const opened: { held: Held; snapshotMs: number; snapshotBytes: number }[] = [];
      let next = 0;
      await Promise.all(Array.from({ length: Math.min(command.concurrency, command.sockets) }, async () => {
        while (next < command.sockets) {
          const index = next++;
          opened[index] = await open(command, index);
        }
      }));
      held = opened.map((o) => o.held);
      const snapshot = opened.map((o) => o.snapshotMs).sort((a, b) => a - b);
      return {
        type: 'opened', sockets: held.length, ms: hrMs() - started,
        snapshotMs: { p50: snapshot[Math.floor(snapshot.length / 2)] ?? 0, max: snapshot.at(-1) ?? 0 }, snapshotBytes: opened[0]?.snapshotBytes ?? 0,
      };
    }
    case 'start':
      intervalMs = command.intervalMs;
      frames = 0;
      bytes = 0;
      early = 0;
      minGap = Number.POSITIVE_INFINITY;
      latency = new LatencyHistogram();
      sizes = [];
      problems.clear();
      countingSince = hrMs();
      counting = true;
      return { type: 'started' };
    case 'stop': {
      counting = false;
      return {
        type: 'stopped', seconds: (hrMs() - countingSince) / 1000, frames, bytes, early, minGapMs: minGap, latency: latency.toJSON(), sizes, problems: [...problems].slice(0, 10),
      };
    }
    case 'close':
      await Promise.all(held.map((h) => new Promise<void>((resolve) => {
        if (h.socket.readyState === WebSocket.CLOSED) return resolve();
        h.socket.once('close', () => resolve());
        h.socket.close(1000);
      })));
      held = [];
      return { type: 'closed' };
  }
}

process.on('message', (command: Command) => {
  handle(command).then((reply) => process.send!(reply), (error: Error) => process.send!({ type: 'error', message: error.stack ?? String(error) } satisfies Reply));
});
