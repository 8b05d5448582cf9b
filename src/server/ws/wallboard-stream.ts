import type { FastifyBaseLogger } from 'fastify';
import type { WebSocket } from 'ws';
import type { Caller } from '../../app/caller.js';
import type { WallboardFeed, WallboardFrame, WallboardSubscription } from '../../app/routing/wallboard-feed.js';

/**
 * A wallboard subscription on `/v1/stream` (`{"type":"subscribe","feed":"wallboard",...}`): the
 * feed's frames as `{"type":"wallboard","subscription","seq",...}`, `seq` counting from 1 (the
 * snapshot). The feed hands the same frame object to every subscriber that gets the same update,
 * so its bytes are encoded once and only the short head differs per socket.
 */

const encoded = new WeakMap<WallboardFrame, Buffer>();

function tail(frame: WallboardFrame): Buffer {
  let bytes = encoded.get(frame);
  if (!bytes) encoded.set(frame, (bytes = Buffer.from(`${frame.body}}`)));
  return bytes;
}

export interface WallboardStreamOptions {
  readonly feed: WallboardFeed;
  readonly socket: WebSocket;
  readonly caller: Caller;
  readonly id: string;
  readonly tenantId: string;
  /** A client this far behind is disconnected, as the event subscriptions do. */
  readonly maxBufferedBytes: number;
  readonly log: FastifyBaseLogger;
  /** Called once when the subscription ends by itself (slow reader, failure). */
  readonly onEnd: () => void;
}

/** A wallboard subscription of a socket; `close()` applies at any time, also before `ready`. */
export interface WallboardStream {
  /** Resolves once "subscribed" and the full snapshot are on their way; rejects with the feed's refusal, before anything was sent. */
  readonly ready: Promise<void>;
  close(): void;
}

export function openWallboardStream(o: WallboardStreamOptions): WallboardStream {
  const { socket, id } = o;
  const head = `{"type":"wallboard","subscription":${JSON.stringify(id)},"seq":`;
  let seq = 0;
  let ended = false;
  let subscription: WallboardSubscription | undefined;
  const close = () => {
    ended = true;
    subscription?.close();
  };
  const endByItself = () => {
    if (ended) return;
    close();
    o.onEnd();
  };
  const ready = o.feed.subscribe(o.caller, o.tenantId, {
    frame(frame) {
      if (ended || socket.readyState !== socket.OPEN) return;
      if (socket.bufferedAmount > o.maxBufferedBytes) {
        socket.close(1013, 'client too slow; subscribe again for a fresh snapshot');
        endByItself();
        return;
      }
      if (seq === 0) socket.send(JSON.stringify({ type: 'subscribed', id, feed: 'wallboard' }));
      seq += 1;
      socket.send(Buffer.concat([Buffer.from(`${head}${seq},`), tail(frame)]), { binary: false });
    },
    failed(error) {
      o.log.error({ err: error, subscription: id }, 'wallboard feed failed');
      if (socket.readyState === socket.OPEN) socket.close(1011, 'wallboard failed; subscribe again for a fresh snapshot');
      endByItself();
    },
  }).then((sub) => {
    subscription = sub;
    if (ended) sub.close();
  });
  return { ready, close };
}
