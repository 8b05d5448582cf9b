import { STATUS_CODES, type IncomingMessage, type Server } from 'node:http';
import type { Duplex } from 'node:stream';
import type { TLSSocket } from 'node:tls';
import type { FastifyBaseLogger, FastifyInstance } from 'fastify';
import type { WebSocket, WebSocketServer } from 'ws';
import { isTerminal } from '../../core/conversation-lifecycle.js';
import { DIRECTLINE_CHANNEL_ID, parseWatermark, type ChannelAccount, type DirectLineWatermark } from '../../core/webchat/directline-activity.js';
import type { ConversationFeed } from '../../app/webchat/conversation-feed.js';
import { authenticateDirectLine, type DirectLinePrincipal } from '../../app/webchat/directline-auth.js';
import { conversationFor, readActivities, type MarkedActivitySet } from '../../app/webchat/directline-conversations.js';
import { DirectLineError } from '../../app/webchat/directline-error.js';
import { originAllowed } from '../../app/webchat/webchat-origins.js';
import type { WebchatDeps } from '../../app/webchat/webchat-deps.js';
import { DIRECTLINE_PREFIX } from '../http/routes/directline-routes.js';

/** A reader this far behind is closed; it reconnects and resumes from its watermark. */
export const MAX_BUFFERED_BYTES = 1024 * 1024;
/**
 * A frame carries at most this many characters of activities (always at least one activity), so
 * what one socket buffers stays within MAX_BUFFERED_BYTES plus one frame. A page read from the
 * store can hold 500 activities of up to 256K characters each: sent as one frame, a replay could
 * put over 100 MB behind one socket, and exceed a client's own frame limit (the `ws` package
 * refuses frames over 100 MiB), so that client would reconnect to the same frame forever.
 */
export const MAX_FRAME_CHARS = 256 * 1024;

/**
 * An activity set as frames of at most MAX_FRAME_CHARS (one activity larger than that goes alone),
 * built one at a time, each activity serialized once. A frame that ends early carries the
 * watermark of its last activity; the last frame the set's own (which may move past hidden messages).
 */
function* framesOf(set: MarkedActivitySet): Generator<string> {
  const frame = (parts: readonly string[], watermark: string) => `{"activities":[${parts.join(',')}],"watermark":${JSON.stringify(watermark)}}`;
  let parts: string[] = [];
  let size = 0;
  let mark: string | undefined;
  for (const [i, activity] of set.activities.entries()) {
    const json = JSON.stringify(activity);
    if (parts.length > 0 && mark !== undefined && size + json.length > MAX_FRAME_CHARS) {
      yield frame(parts, mark);
      parts = [];
      size = 0;
    }
    parts.push(json);
    size += json.length + 1;
    // The watermark after this activity (readActivities gives one for each).
    mark = set.marks[i];
  }
  yield frame(parts, set.watermark);
}

type TokenPrincipal = Extract<DirectLinePrincipal, { kind: 'token' }>;
type UpgradeListener = (request: IncomingMessage, socket: Duplex, head: Buffer) => void;

interface Stream {
  readonly socket: WebSocket;
  close(code: number, reason: string): void;
}

/** What a stream upgrade asks for, from its URL; undefined: not a Direct Line stream URL. */
interface StreamTarget {
  /** The conversation id as it is in the path, percent-encoded. */
  readonly rawId: string;
  readonly token: string | undefined;
  readonly watermark: string | null;
}

const STREAM_PATH_START = `${DIRECTLINE_PREFIX}/conversations/`;
const STREAM_PATH_END = '/stream';

/**
 * `GET /v3/directline/conversations/{id}/stream?t=...&watermark=...`, matched as the Fastify route
 * of this path was (`:id` one non-empty path segment, case-sensitive, no trailing slash).
 */
function streamTarget(request: IncomingMessage): StreamTarget | undefined {
  const url = request.url;
  if (request.method !== 'GET' || url === undefined || !url.startsWith(STREAM_PATH_START)) return undefined;
  const q = url.indexOf('?');
  const path = q === -1 ? url : url.slice(0, q);
  if (!path.endsWith(STREAM_PATH_END)) return undefined;
  const rawId = path.slice(STREAM_PATH_START.length, path.length - STREAM_PATH_END.length);
  if (rawId.length === 0 || rawId.includes('/')) return undefined;
  const query = new URLSearchParams(q === -1 ? '' : url.slice(q + 1));
  return { rawId, token: query.get('t') ?? undefined, watermark: query.get('watermark') };
}

/**
 * The base URL a stream's activities are built with (attachment URLs), as `publicBase` computes it
 * from a Fastify request. That app sets no `trustProxy` (`http-server.ts`), so Fastify's protocol is
 * the socket's (https on TLS) and its host the Host header: X-Forwarded-* are ignored here too. If
 * the app ever trusts proxies, this must follow.
 */
function upgradeBase(request: IncomingMessage, publicUrl: string | null): string {
  if (publicUrl !== null) return publicUrl;
  const protocol = (request.socket as Partial<TLSSocket>).encrypted ? 'https' : 'http';
  return `${protocol}://${request.headers.host ?? ''}`;
}

/**
 * Answers an upgrade with an HTTP error on the raw socket, as `sendDirectLineError` would: the
 * status, `{"error":{"code","message"}}`, `cache-control: no-store`; then the connection closes.
 */
function refuseUpgrade(socket: Duplex, status: number, code: string, message: string): void {
  if (!socket.writable) {
    socket.destroy();
    return;
  }
  const body = JSON.stringify({ error: { code, message } });
  socket.once('finish', socket.destroy);
  socket.end(
    `HTTP/1.1 ${status} ${STATUS_CODES[status] ?? ''}\r\n`
    + 'Connection: close\r\n'
    + 'Content-Type: application/json; charset=utf-8\r\n'
    + 'Cache-Control: no-store\r\n'
    + `Content-Length: ${Buffer.byteLength(body)}\r\n`
    + `\r\n${body}`,
  );
}

/** Node removes its own socket 'error' listener before emitting 'upgrade': guards the socket until ws takes it. */
function destroyOnError(this: Duplex): void {
  this.destroy();
}

/**
 * Makes `claim` the first to see every 'upgrade' of `server`, and the only one to see those it
 * takes. Node emits 'upgrade' to every listener, so a second listener cannot simply be added:
 * @fastify/websocket's (which routes every upgrade through Fastify, and would answer our path 404)
 * would handle the same socket. So the listeners present are moved behind one dispatcher: an
 * upgrade `claim` takes (returns true) goes nowhere else, any other to them, in their order, as
 * before (none left: the socket is destroyed, as Node does without listeners). Installed when the
 * app is ready, after every plugin has added its listener (one added later would see every
 * upgrade, ours too: none is). Wrapping the plugin's own path instead (intercepting in its
 * `onRequest` or routing) would still build the HTTP objects this avoids. One consequence:
 * @fastify/websocket's preClose can no longer remove its listener; harmless, as Fastify answers 503
 * to what reaches it while closing, and the server stops accepting connections right after.
 */
function claimUpgrades(server: Server, claim: (request: IncomingMessage, socket: Duplex, head: Buffer) => boolean): void {
  const others = server.rawListeners('upgrade') as UpgradeListener[];
  server.removeAllListeners('upgrade');
  server.on('upgrade', function dispatch(this: Server, request: IncomingMessage, socket: Duplex, head: Buffer) {
    if (claim(request, socket, head)) return;
    if (others.length === 0) {
      socket.destroy();
      return;
    }
    for (const listener of others) listener.call(this, request, socket, head);
  });
}

/**
 * The Direct Line stream: one WebSocket per conversation carrying `{activities, watermark}`
 * frames. On connect it replays what the client has not seen (after the `watermark` in the URL);
 * then every commit to the conversation makes it read the store after its watermark again, so
 * frames have no gaps and no duplicates whatever the bus does. Typing comes only here, in frames
 * without a watermark. A second socket for the same conversation closes the first (`collision`).
 *
 * The upgrade is handled here with `ws` directly, not as a Fastify route of @fastify/websocket:
 * that plugin keeps the upgrade's HTTP objects (the IncomingMessage with its URL and token, a
 * ServerResponse, Fastify's request and reply, a child logger) alive for the socket's whole life,
 * the largest part of an idle stream's memory (docs/BENCHMARKS.md, B8). Nothing of the request is
 * kept after the upgrade: the connection gets the principal, the watermark and the base URL.
 * Since Fastify does not see these upgrades, it does not log them either (the URL carries the token).
 */
export async function registerDirectLineStream(app: FastifyInstance, deps: WebchatDeps, feed: ConversationFeed, publicUrl: string | null): Promise<void> {
  const open = new Map<string, Stream>();
  const log: FastifyBaseLogger = app.log;
  // The app's one WebSocket server, @fastify/websocket's (`noServer`, with the app's options:
  // maxPayload), used here only for ws's `handleUpgrade`: so its `clients` and its 'connection'
  // event cover these sockets as they cover `/v1/stream`'s, and its preClose closes them too.
  if (!app.hasDecorator('websocketServer')) throw new Error('The Direct Line stream needs @fastify/websocket registered first (its WebSocket server).');
  const wss: WebSocketServer = app.websocketServer;
  let closing = false;

  // One function for all sockets (as @fastify/websocket's default handler: log, terminate).
  function onSocketError(this: WebSocket, error: Error): void {
    log.error({ err: error }, 'Direct Line stream socket error');
    this.terminate();
  }

  /** The stream on an upgraded socket: only the socket and what was copied from the request. */
  function connect(socket: WebSocket, principal: TokenPrincipal, initialWatermark: DirectLineWatermark, base: string): void {
    socket.on('error', onSocketError);
    if (closing) return socket.close();
    const { tenantId, conversationId } = principal.grant;
    const k = `${tenantId}/${conversationId}`;
    let watermark = initialWatermark;
    let running = false;
    let again = false;
    let closed = false;
    let alive = true;

    const stream: Stream = {
      socket,
      close(code, reason) {
        if (!closed) socket.close(code, reason);
      },
    };
    open.get(k)?.close(4000, 'collision');
    open.set(k, stream);

    const send = (frame: string): boolean => {
      if (closed || socket.readyState !== socket.OPEN) return false;
      if (socket.bufferedAmount > MAX_BUFFERED_BYTES) {
        socket.close(1013, 'client too slow; reconnect with your watermark');
        return false;
      }
      socket.send(frame);
      return true;
    };

    const pump = async (): Promise<void> => {
      if (running) {
        again = true;
        return;
      }
      running = true;
      try {
        do {
          again = false;
          for (;;) {
            if (closed) return;
            const conversation = await conversationFor(deps, principal, conversationId, true);
            const set = await readActivities(deps, principal.channel, conversation, watermark, base);
            const next = parseWatermark(set.watermark)!;
            if (next.seq === watermark.seq && next.change === watermark.change) {
              // Caught up with an ended conversation: nothing more will come.
              if (isTerminal(conversation.state)) stream.close(1000, 'conversation ended');
              break;
            }
            if (set.activities.length > 0) {
              for (const frame of framesOf(set)) if (!send(frame)) return;
            }
            watermark = next;
            // A short read leaves nothing behind: what commits after it wakes this loop again
            // (`again`), so reading once more would only find nothing, a second read per message.
            if (set.caughtUp) {
              if (isTerminal(conversation.state)) stream.close(1000, 'conversation ended');
              break;
            }
          }
        } while (again);
      } catch (error) {
        log.error({ err: error, tenantId, conversationId }, 'Direct Line stream read failed');
        stream.close(1011, 'read failed; reconnect with your watermark');
      } finally {
        running = false;
      }
    };

    const unwatch = feed.watch(tenantId, conversationId, {
      changed: () => void pump(),
      typing: (from: ChannelAccount) => {
        send(JSON.stringify({ activities: [{ type: 'typing', channelId: DIRECTLINE_CHANNEL_ID, conversation: { id: conversationId }, from, timestamp: new Date(deps.clock.now()).toISOString() }] }));
      },
    });

    // DLJS pings every 20 s; we ping too (`settings.streamHeartbeatMs`, 20 s by default), and a
    // socket that answered nothing since the previous ping is closed: a dead peer goes within two heartbeats.
    const heartbeat = setInterval(() => {
      if (!alive) return socket.terminate();
      alive = false;
      socket.ping();
    }, deps.settings.streamHeartbeatMs);
    heartbeat.unref();
    socket.on('pong', () => (alive = true));
    // Clients ping with empty messages; anything they send proves them alive, nothing else is read.
    socket.on('message', () => (alive = true));
    socket.on('close', () => {
      closed = true;
      clearInterval(heartbeat);
      unwatch();
      if (open.get(k) === stream) open.delete(k);
    });
    void pump();
  }

  /**
   * Refused before the upgrade, with Direct Line's status codes: the client then asks
   * GET /conversations/{id}, which tells it whether the token expired (403) or the conversation ended (404).
   */
  async function upgrade(request: IncomingMessage, socket: Duplex, head: Buffer, target: StreamTarget): Promise<void> {
    socket.on('error', destroyOnError);
    let principal: TokenPrincipal;
    let watermark: DirectLineWatermark;
    let base: string;
    try {
      let conversationId: string;
      try {
        conversationId = decodeURIComponent(target.rawId);
      } catch {
        throw new DirectLineError('BadArgument', 'The conversation id is malformed.');
      }
      const found = await authenticateDirectLine(deps, target.token);
      if (found.kind !== 'token') throw new DirectLineError('Forbidden', 'The stream URL carries a conversation token.');
      base = upgradeBase(request, publicUrl);
      const origin = request.headers.origin;
      if (typeof origin === 'string' && !originAllowed(found.channel, origin, base)) {
        throw new DirectLineError('Forbidden', 'This page\'s origin is not trusted by the channel.');
      }
      await conversationFor(deps, found, conversationId, true);
      const parsed = parseWatermark(target.watermark);
      if (parsed === undefined) throw new DirectLineError('BadArgument', 'The watermark is not one this service gave out.');
      principal = found;
      watermark = parsed;
    } catch (error) {
      if (error instanceof DirectLineError) return refuseUpgrade(socket, error.status, error.code, error.message);
      log.error({ err: error }, 'Direct Line stream upgrade failed');
      return refuseUpgrade(socket, 500, 'ServiceError', 'The request failed; try again.');
    }
    if (closing) return refuseUpgrade(socket, 503, 'ServiceError', 'The service is shutting down; reconnect with your watermark.');
    // ws adds its own socket 'error' listener synchronously in handleUpgrade.
    socket.removeListener('error', destroyOnError);
    wss.handleUpgrade(request, socket, head, (ws, req) => {
      // As @fastify/websocket announces its sockets (ws's `(socket, request)`); nothing keeps `req`.
      wss.emit('connection', ws, req);
      connect(ws, principal, watermark, base);
    });
  }

  // A plain GET of the stream URL (no upgrade) still reaches Fastify: 404, as @fastify/websocket
  // answered it, and not logged, since its URL carries the token.
  app.get(`${DIRECTLINE_PREFIX}/conversations/:id/stream`, { config: { public: true }, schema: { hide: true }, logLevel: 'silent' }, async (_request, reply) => reply.code(404).send());

  app.addHook('onReady', async () => {
    claimUpgrades(app.server, (request, socket, head) => {
      const target = streamTarget(request);
      if (!target) return false;
      if (closing) refuseUpgrade(socket, 503, 'ServiceError', 'The service is shutting down; reconnect with your watermark.');
      else {
        upgrade(request, socket, head, target).catch((error: unknown) => {
          log.error({ err: error }, 'Direct Line stream upgrade failed');
          socket.destroy();
        });
      }
      return true;
    });
  });

  // Before Fastify closes the server, whose close waits for every socket, these included: a close
  // handshake for each open stream (@fastify/websocket's preClose, which runs first, closes its
  // server's clients, these among them; this does not rely on it), and no more upgrades.
  app.addHook('preClose', async () => {
    closing = true;
    for (const stream of open.values()) stream.socket.close();
  });
}
