import { Agent, request } from 'node:http';
import WebSocket from 'ws';

/**
 * One of B8's socket clients (a child process of the benchmark: a process may hold only so many
 * file descriptors, and 20,000 sockets need several). It holds its share of the idle customer
 * sockets, from a loopback source address of its own (127.x.y.2, a fresh one per measurement, so
 * the ports left in TIME_WAIT never run out), sends each socket's keep-alive (an empty message every heartbeat, as
 * botframework-directlinejs does) and answers the server's pings (ws does), and on command drops
 * sockets and reconnects them as a Direct Line client does: `GET /v3/directline/conversations/{id}
 * ?watermark=w` for a new streamUrl (mode `get`), or the old streamUrl with `&watermark=w` (mode
 * `url`), or the same URL (mode `bare`, the bare server). It records every activity it receives
 * by id, so the benchmark can check that what was posted during the storm arrived exactly once.
 *
 * Commands arrive over IPC (`process.send`), one reply each.
 */

export interface Item {
  /** Conversation id (Direct Line) or any unique name (bare). */
  readonly key: string;
  url: string;
  token?: string;
}

export type Command =
  | { type: 'open'; items: Item[]; concurrency: number; heartbeatMs: number; round: number; localAddress: string }
  | { type: 'storm'; keys: string[]; spreadMs: number; mode: 'bare' | 'get' | 'url'; baseUrl: string }
  | { type: 'received' }
  | { type: 'refresh'; baseUrl: string; concurrency: number }
  | { type: 'close' };

export type Reply =
  | { type: 'opened'; opened: number; failed: number; ms: number; firstError?: string }
  | { type: 'stormed'; dropped: number; reconnected: number; failed: number; retries: number; latencies: number[]; lastOpenMs: number; firstError?: string; errors: [string, number][] }
  | { type: 'received'; counts: [string, number][]; duplicateIds: number; unexpectedCloses: number }
  | { type: 'refreshed'; refreshed: number; failed: number; ms: number; firstError?: string }
  | { type: 'closed' }
  | { type: 'error'; message: string };

interface Held {
  readonly item: Item;
  socket: WebSocket | undefined;
  watermark: string | undefined;
  /** Activity ids received on this conversation, across reconnects. */
  readonly seen: Set<string>;
  dropping: boolean;
}

/** The loopback source address of this measurement's sockets (a fresh one each time: see open). */
let localAddress: string | undefined;
const held = new Map<string, Held>();
let heldList: Held[] = [];
let heartbeat: ReturnType<typeof setInterval> | undefined;
let duplicateIds = 0;
let unexpectedCloses = 0;
/** Marker text -> how many times it arrived (the storm's messages). */
let markers = new Map<string, number>();
let markerPrefix = '\u0000';
let agent: Agent | undefined;

function send(reply: Reply): void {
  process.send!(reply);
}

function connect(h: Held, url: string): Promise<WebSocket> {
  return new Promise((resolve, reject) => {
    const socket = new WebSocket(url, { perMessageDeflate: false, ...(localAddress ? { localAddress } : {}), handshakeTimeout: 30_000 });
    socket.binaryType = 'nodebuffer';
    let opened = false;
    socket.once('open', () => {
      opened = true;
      h.socket = socket;
      resolve(socket);
    });
    socket.once('unexpected-response', (_req, res) => {
      reject(new Error(`HTTP ${res.statusCode}`));
      socket.terminate();
    });
    socket.once('error', (error) => {
      if (!opened) reject(error);
    });
    socket.on('message', (data) => onFrame(h, data as Buffer));
    socket.on('close', () => {
      if (opened && h.socket === socket && !h.dropping) unexpectedCloses++;
      if (h.socket === socket) h.socket = undefined;
    });
  });
}

function onFrame(h: Held, data: Buffer): void {
  if (data.length === 0) return;
  const frame = JSON.parse(data.toString('utf8')) as { activities?: { id?: string; type: string; text?: string }[]; watermark?: string };
  if (frame.watermark !== undefined) h.watermark = frame.watermark;
  for (const activity of frame.activities ?? []) {
    if (activity.id === undefined) continue;
    if (h.seen.has(activity.id)) duplicateIds++;
    h.seen.add(activity.id);
    if (activity.type === 'message' && activity.text?.startsWith(markerPrefix)) markers.set(activity.text, (markers.get(activity.text) ?? 0) + 1);
  }
}

async function inParallel<T>(items: readonly T[], concurrency: number, work: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(Array.from({ length: Math.min(concurrency, items.length) }, async () => {
    while (next < items.length) await work(items[next++]!);
  }));
}

function httpJson(baseUrl: string, method: string, path: string, token: string): Promise<{ status: number; body: string }> {
  const url = new URL(baseUrl);
  agent ??= new Agent({ keepAlive: true, maxSockets: 16, ...(localAddress ? { localAddress } : {}) } as ConstructorParameters<typeof Agent>[0]);
  return new Promise((resolve, reject) => {
    const req = request({ host: url.hostname, port: Number(url.port), method, path, agent, headers: { authorization: `Bearer ${token}`, 'content-length': '0' } }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (body += chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end();
  });
}

function withWatermark(url: string, watermark: string | undefined): string {
  const u = new URL(url);
  if (watermark !== undefined) u.searchParams.set('watermark', watermark);
  return u.toString();
}

async function open(command: Extract<Command, { type: 'open' }>): Promise<Reply> {
  const started = performance.now();
  // A fresh source address for every measurement: the thousands of ports the previous one left in
  // TIME_WAIT (60 s) would otherwise make every bind() before connect() search for a free port.
  if (localAddress !== command.localAddress) {
    agent?.destroy();
    agent = undefined;
  }
  localAddress = command.localAddress;
  markers = new Map();
  markerPrefix = `b8 r${command.round} `;
  duplicateIds = 0;
  unexpectedCloses = 0;
  held.clear();
  let failed = 0;
  let firstError: string | undefined;
  heldList = command.items.map((item) => {
    const h: Held = { item, socket: undefined, watermark: undefined, seen: new Set(), dropping: false };
    held.set(item.key, h);
    return h;
  });
  await inParallel(heldList, command.concurrency, async (h) => {
    try {
      await connect(h, h.item.url);
    } catch (error) {
      failed++;
      firstError ??= (error as Error).message;
    }
  });
  // One timer for the keep-alives: each second a twentieth (heartbeat / 1 s) of the sockets.
  const slices = Math.max(1, Math.round(command.heartbeatMs / 1000));
  let tick = 0;
  clearInterval(heartbeat);
  heartbeat = setInterval(() => {
    const slice = tick++ % slices;
    for (let i = slice; i < heldList.length; i += slices) {
      const socket = heldList[i]!.socket;
      if (socket?.readyState === WebSocket.OPEN) socket.send('');
    }
  }, 1000);
  return { type: 'opened', opened: heldList.length - failed, failed, ms: performance.now() - started, ...(firstError ? { firstError } : {}) };
}

async function storm(command: Extract<Command, { type: 'storm' }>): Promise<Reply> {
  const targets = command.keys.map((k) => held.get(k)).filter((h): h is Held => h?.socket !== undefined);
  const dropAt = performance.now();
  // The network goes: every socket at once, without a closing handshake.
  for (const h of targets) {
    h.dropping = true;
    h.socket!.terminate();
  }
  const latencies: number[] = [];
  let reconnected = 0;
  let failed = 0;
  let retries = 0;
  let lastOpenMs = 0;
  let firstError: string | undefined;
  const errors = new Map<string, number>();
  await Promise.all(targets.map(async (h) => {
    await sleep(Math.random() * command.spreadMs);
    const attempt = performance.now();
    for (let tries = 0; ; tries++) {
      try {
        let url: string;
        if (command.mode === 'get') {
          const path = `/v3/directline/conversations/${encodeURIComponent(h.item.key)}${h.watermark !== undefined ? `?watermark=${encodeURIComponent(h.watermark)}` : ''}`;
          const answer = await httpJson(command.baseUrl, 'GET', path, h.item.token!).catch((error: Error) => {
            throw new Error(`GET conversation: ${error.message}`);
          });
          if (answer.status !== 200) throw new Error(`GET conversation: HTTP ${answer.status} ${answer.body.slice(0, 200)}`);
          url = (JSON.parse(answer.body) as { streamUrl: string }).streamUrl;
        } else {
          url = command.mode === 'url' ? withWatermark(h.item.url, h.watermark) : h.item.url;
        }
        h.dropping = false;
        await connect(h, url).catch((error: Error) => {
          throw new Error(`stream: ${error.message}`);
        });
        const now = performance.now();
        latencies.push(now - attempt);
        lastOpenMs = Math.max(lastOpenMs, now - dropAt);
        reconnected++;
        return;
      } catch (error) {
        const message = (error as Error).message;
        firstError ??= message;
        errors.set(message, (errors.get(message) ?? 0) + 1);
        if (performance.now() - attempt > 60_000) {
          failed++;
          return;
        }
        retries++;
        await sleep(200 + Math.random() * 300);
      }
    }
  }));
  return { type: 'stormed', dropped: targets.length, reconnected, failed, retries, latencies, lastOpenMs, errors: [...errors], ...(firstError ? { firstError } : {}) };
}

async function refresh(command: Extract<Command, { type: 'refresh' }>): Promise<Reply> {
  const started = performance.now();
  let failed = 0;
  let firstError: string | undefined;
  await inParallel(heldList.length > 0 ? heldList : [], command.concurrency, async (h) => {
    try {
      const answer = await httpJson(command.baseUrl, 'POST', '/v3/directline/tokens/refresh', h.item.token!);
      if (answer.status !== 200) throw new Error(`refresh: HTTP ${answer.status}`);
      const token = (JSON.parse(answer.body) as { token: string }).token;
      h.item.token = token;
      const u = new URL(h.item.url);
      u.searchParams.set('t', token);
      h.item.url = u.toString();
    } catch (error) {
      failed++;
      firstError ??= (error as Error).message;
    }
  });
  return { type: 'refreshed', refreshed: heldList.length - failed, failed, ms: performance.now() - started, ...(firstError ? { firstError } : {}) };
}

async function closeAll(): Promise<Reply> {
  clearInterval(heartbeat);
  const closing: Promise<void>[] = [];
  for (const h of heldList) {
    const socket = h.socket;
    if (!socket) continue;
    h.dropping = true;
    closing.push(new Promise((resolve) => {
      socket.once('close', () => resolve());
      socket.terminate();
    }));
  }
  await Promise.all(closing);
  agent?.destroy();
  agent = undefined;
  return { type: 'closed' };
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

process.on('message', (command: Command) => {
  const run = async (): Promise<Reply> => {
    switch (command.type) {
      case 'open': return open(command);
      case 'storm': return storm(command);
      case 'refresh': return refresh(command);
      case 'received': return { type: 'received', counts: [...markers], duplicateIds, unexpectedCloses };
      case 'close': return closeAll();
    }
  };
  run().then(send, (error: Error) => send({ type: 'error', message: error.stack ?? error.message }));
});
process.on('disconnect', () => process.exit(0));
