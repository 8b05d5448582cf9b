import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { WebSocket } from 'ws';
import { isTerminal } from '../../core/conversation-lifecycle.js';
import { DIRECTLINE_CHANNEL_ID, parseWatermark, watermarkOf, type ChannelAccount } from '../../core/webchat/directline-activity.js';
import type { ConversationFeed } from '../../app/webchat/conversation-feed.js';
import { authenticateDirectLine, type DirectLinePrincipal } from '../../app/webchat/directline-auth.js';
import { conversationFor, readActivities, type ActivitySet } from '../../app/webchat/directline-conversations.js';
import { DirectLineError } from '../../app/webchat/directline-error.js';
import { originAllowed } from '../../app/webchat/webchat-origins.js';
import type { WebchatDeps } from '../../app/webchat/webchat-deps.js';
import { DIRECTLINE_PREFIX, publicBase, sendDirectLineError } from '../http/routes/directline-routes.js';

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
function* framesOf(set: ActivitySet): Generator<string> {
  const frame = (parts: readonly string[], watermark: string) => `{"activities":[${parts.join(',')}],"watermark":${JSON.stringify(watermark)}}`;
  let parts: string[] = [];
  let size = 0;
  let lastSeq: number | undefined;
  for (const activity of set.activities) {
    const json = JSON.stringify(activity);
    if (parts.length > 0 && lastSeq !== undefined && size + json.length > MAX_FRAME_CHARS) {
      yield frame(parts, watermarkOf(lastSeq));
      parts = [];
      size = 0;
    }
    parts.push(json);
    size += json.length + 1;
    // Activity ids are `{conversationId}|{sequence}`: the sequence is the watermark after it.
    lastSeq = activity.id ? parseWatermark(activity.id.slice(activity.id.lastIndexOf('|') + 1)) || undefined : undefined;
  }
  yield frame(parts, set.watermark);
}

interface Stream {
  readonly socket: WebSocket;
  close(code: number, reason: string): void;
}

/**
 * The Direct Line stream: one WebSocket per conversation carrying `{activities, watermark}`
 * frames. On connect it replays what the client has not seen (after the `watermark` in the URL);
 * then every commit to the conversation makes it read the store after its watermark again, so
 * frames have no gaps and no duplicates whatever the bus does. Typing comes only here, in frames
 * without a watermark. A second socket for the same conversation closes the first (`collision`).
 */
export async function registerDirectLineStream(app: FastifyInstance, deps: WebchatDeps, feed: ConversationFeed, publicUrl: string | null): Promise<void> {
  const open = new Map<string, Stream>();

  await app.register(async (scope) => {
    scope.decorateRequest('directLine', null);
    scope.get<{ Params: { id: string }; Querystring: { t?: string; watermark?: string } }>(`${DIRECTLINE_PREFIX}/conversations/:id/stream`, {
      websocket: true,
      config: { public: true },
      schema: { hide: true },
      // Refused before the upgrade, with Direct Line's status codes: the client then asks
      // GET /conversations/{id}, which tells it whether the token expired (403) or the conversation ended (404).
      preValidation: async (request, reply) => {
        try {
          const principal = await authenticateDirectLine(deps, request.query.t);
          if (principal.kind !== 'token') throw new DirectLineError('Forbidden', 'The stream URL carries a conversation token.');
          const origin = request.headers.origin;
          if (typeof origin === 'string' && !originAllowed(principal.channel, origin, publicBase(request, publicUrl))) {
            throw new DirectLineError('Forbidden', 'This page\'s origin is not trusted by the channel.');
          }
          await conversationFor(deps, principal, request.params.id, true);
          if (parseWatermark(request.query.watermark) === undefined) throw new DirectLineError('BadArgument', 'The watermark is not one this service gave out.');
          (request as FastifyRequest & { directLine: DirectLinePrincipal }).directLine = principal;
        } catch (error) {
          if (error instanceof DirectLineError) return sendDirectLineError(reply, error);
          throw error;
        }
      },
    }, (socket, request) => {
      const principal = (request as FastifyRequest & { directLine: DirectLinePrincipal }).directLine;
      if (principal.kind !== 'token') return socket.close(1008, 'token required');
      const { tenantId, conversationId } = principal.grant;
      const k = `${tenantId}/${conversationId}`;
      const base = publicBase(request, publicUrl);
      let watermark = parseWatermark(request.query.watermark) ?? 0;
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
              const next = Number(set.watermark);
              if (next === watermark) {
                // Caught up with an ended conversation: nothing more will come.
                if (isTerminal(conversation.state)) stream.close(1000, 'conversation ended');
                break;
              }
              if (set.activities.length > 0) {
                for (const frame of framesOf(set)) if (!send(frame)) return;
              }
              watermark = next;
            }
          } while (again);
        } catch (error) {
          request.log.error({ err: error }, 'Direct Line stream read failed');
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
    });
  });
}
