import type { FastifyInstance, FastifyBaseLogger } from 'fastify';
import type { WebSocket } from 'ws';
import { queueScope, type Caller } from '../../app/caller.js';
import type { ConversationFeed } from '../../app/webchat/conversation-feed.js';
import type { AppDeps } from '../../app/deps.js';
import { isSwitchboardError, type ErrorCode } from '../../app/errors.js';
import { getConversation } from '../../app/queries/conversation-queries.js';
import { readEventPage, visibleEvents, type EventPage } from '../../app/queries/event-queries.js';
import { getTenant } from '../../app/queries/tenant-queries.js';
import { assertConversationInScope } from '../../app/scope.js';
import type { RoutingEngine } from '../../app/routing/routing-engine.js';
import type { WallboardFeed } from '../../app/routing/wallboard-feed.js';
import type { Conversation, SwitchboardEvent } from '../../core/model.js';
import { runAgentCommand, type CommandFrame } from './agent-commands.js';
import { TenantEventTail, type TailPage, type TailSubscriber } from './tenant-event-tail.js';
import { SerialLoop } from './serial-loop.js';
import { openWallboardStream } from './wallboard-stream.js';

const PAGE = 500;
const MAX_SUBSCRIPTIONS_PER_SOCKET = 100;
/** A client this far behind is disconnected instead of buffering without bound. */
const MAX_BUFFERED_BYTES = 8 * 1024 * 1024;
const HEARTBEAT_MS = 30_000;

interface SubscribeFrame {
  type: 'subscribe';
  id: string;
  tenantId: string;
  conversationId?: string;
  after?: number;
  feed?: 'wallboard';
}

/** The part of a TCP socket a subscription uses: writes held back and then sent together. */
interface Corkable {
  cork(): void;
  uncork(): void;
}

const NOT_CORKED: Corkable = { cork() {}, uncork() {} };

/**
 * The upgraded request's TCP socket when it has one; an in-process socket (Fastify's injectWS, as
 * the suites use) has none, and its frames simply leave one by one.
 */
function corkable(socket: Partial<Corkable> | undefined): Corkable {
  return socket && typeof socket.cork === 'function' && typeof socket.uncork === 'function' ? socket as Corkable : NOT_CORKED;
}

/** What a socket holds under a subscription id: an event subscription or a wallboard feed. */
interface Held {
  stop(): void;
}

/** Tells the scoped tenant-wide subscriptions that may read the conversation; a failed read tells nobody. */
async function typingInScope(deps: AppDeps, subs: readonly Subscription[], tenantId: string, conversationId: string, userId: string): Promise<void> {
  const conversation = await deps.storage.read.getConversation(tenantId, conversationId).catch(() => undefined);
  if (!conversation) return;
  for (const sub of subs) {
    if (await sub.mayRead(conversation)) sub.typing(conversationId, userId);
  }
}

/**
 * One subscription to a tenant's (or one conversation's) committed events. The event log, not the
 * bus, is the source of what a client receives: the bus only says "there is something new", the
 * tenant's tail (tenant-event-tail.ts) reads the log once for all its subscriptions, and a
 * subscription that is behind the tail (it resumed from an older id) reads after its own cursor
 * until it meets it. Both paths send only events after the cursor and move it to the end of a
 * read that started at or before it, which gives in-order delivery with no gaps and no
 * duplicates, the same on resume after a reconnect as live.
 */
class Subscription implements TailSubscriber {
  private readonly loop = new SerialLoop(() => this.readOnce(), (error) => this.fail(error));
  closed = false;
  /**
   * It has every event it wants up to the tail's cursor, bar the pages the tail is handing it:
   * true after it took a page from the tail, and after a catch-up of its own ended (every page the
   * tail read meanwhile was handed to it and made the catch-up go round again). The tail hands a
   * conversation's subscription only the pages with events of it, so its own cursor may lag the
   * tail's with nothing in between for it; this is how it knows to take the next page all the same.
   */
  private following = false;
  /** `{"type":"event","subscription":ID,"event":` : a frame is this, the event's JSON and `}`. */
  private readonly framePrefix: string;

  constructor(
    readonly id: string,
    readonly tenantId: string,
    readonly conversationId: string | undefined,
    private cursor: number,
    private readonly socket: WebSocket,
    /** The TCP connection under the socket (the upgraded request's), corked around a page's frames. */
    private readonly connection: Corkable,
    private readonly deps: AppDeps,
    private readonly caller: Caller,
    private readonly log: FastifyBaseLogger,
  ) {
    this.framePrefix = `{"type":"event","subscription":${JSON.stringify(id)},"event":`;
  }

  /** Tenant-wide subscriptions of callers scoped to some queues must not hear about the others. */
  get readsEverything(): boolean {
    return queueScope(this.caller, 'conversations.read') === 'all';
  }

  async mayRead(conversation: Conversation): Promise<boolean> {
    try {
      await assertConversationInScope(this.deps.storage.read, this.caller, 'conversations.read', conversation);
      return true;
    } catch {
      return false;
    }
  }

  typing(conversationId: string, userId: string): void {
    if (this.closed || this.socket.readyState !== this.socket.OPEN) return;
    this.socket.send(JSON.stringify({ type: 'typing', subscription: this.id, conversationId, from: { role: 'customer', id: userId } }));
  }

  /** A page the tenant's tail read: sent from here if it continues this subscription, else the subscription reads on its own. */
  async take(page: TailPage): Promise<void> {
    if (this.closed || page.lastId <= this.cursor) return;
    if (this.loop.running || (!this.following && page.after > this.cursor)) {
      // Not awaited: a long catch-up must not hold up the tail for the tenant's other subscriptions.
      void this.pump();
      return;
    }
    try {
      const events = this.conversationId === undefined && queueScope(this.caller, 'events.read') === 'all'
        ? page.events
        : await visibleEvents(this.deps, this.caller, this.tenantId, page.events, this.conversationId);
      if (this.send(events, page.lastId, (event) => page.json(event))) this.following = true;
    } catch (error) {
      this.fail(error);
    }
  }

  fail(error: unknown): void {
    if (this.closed) return;
    this.log.error({ err: error, subscription: this.id }, 'event stream read failed');
    this.socket.close(1011, 'event stream failed; reconnect and resume from your last event id');
  }

  /** Reads the log after the cursor until caught up; calls that arrive while reading make it look once more. */
  async pump(): Promise<void> {
    this.following = false;
    await this.loop.run();
    // A call made while the loop ran returns at once; only the one that ran it sees it end.
    if (!this.loop.running && !this.closed && this.socket.readyState === this.socket.OPEN) this.following = true;
  }

  /** One catch-up: pages after the cursor until a short one; false once the socket is gone. */
  private async readOnce(): Promise<boolean> {
    let page: EventPage;
    do {
      if (this.closed) return false;
      page = await readEventPage(this.deps, this.caller, this.tenantId, this.cursor, PAGE, this.conversationId);
      if (!this.send(page.events, page.lastId, (event) => JSON.stringify(event))) return false;
    } while (page.full);
    return true;
  }

  /**
   * Sends the events after the cursor, then moves it to `lastId`, the end of a read that started at
   * or before the cursor: past what the caller may not see too, so a filtered page does not come
   * back forever. False when the socket is gone or was closed for being too slow.
   */
  private send(events: readonly SwitchboardEvent[], lastId: number, json: (event: SwitchboardEvent) => string): boolean {
    // A page's frames leave in one write instead of one system call each (B4: a wave's event
    // pages hold several events more often than not, and every agent socket gets all of them).
    const corked = events.length > 1;
    if (corked) this.connection.cork();
    try {
      for (const event of events) {
        if (this.closed) return false;
        if (event.id <= this.cursor) continue;
        if (this.socket.bufferedAmount > MAX_BUFFERED_BYTES) {
          this.socket.close(1013, 'client too slow; reconnect and resume from your last event id');
          return false;
        }
        this.socket.send(`${this.framePrefix}${json(event)}}`);
      }
    } finally {
      if (corked) this.connection.uncork();
    }
    if (lastId > this.cursor) this.cursor = lastId;
    return true;
  }
}

/**
 * `GET /v1/stream` (WebSocket). Frames from the client:
 *   {"type":"subscribe","id":"s1","tenantId":"ten_...","conversationId":"conv_..."?,"after":123?}
 *   {"type":"subscribe","id":"w1","tenantId":"ten_...","feed":"wallboard"}   (see wallboard-stream.ts)
 *   {"type":"unsubscribe","id":"s1"}
 *   {"type":"command","id":"c1","tenantId","agentId","action",...}   (see agent-commands.ts)
 * Frames to the client: {"type":"subscribed","id","after"} (a wallboard: {"type":"subscribed","id","feed"}),
 * {"type":"event","subscription","event"}, {"type":"wallboard","subscription","seq","at","queues","agents",...},
 * {"type":"result","id","result"}, {"type":"typing","subscription","conversationId","from"} (a web chat customer types),
 * {"type":"error","id"?,"error":{"code","message"}}. Omit `after` to receive only new events;
 * pass the last event id seen to resume without loss.
 */
export function registerEventGateway(app: FastifyInstance, deps: AppDeps, engine: RoutingEngine, feed?: ConversationFeed, wallboard?: WallboardFeed): void {
  const tails = new Map<string, TenantEventTail<Subscription>>();

  // A web chat customer typing: told to the subscriptions that may read the conversation (one
  // naming it, a tenant-wide one of a caller who reads every conversation, or a tenant-wide one of
  // a scoped caller, an agent's workspace, once the conversation is found in its scope), never stored.
  const offTyping = feed?.onCustomerTyping((tenantId, conversationId, userId) => {
    const scoped: Subscription[] = [];
    for (const sub of tails.get(tenantId)?.subscribers ?? []) {
      if (sub.conversationId === conversationId || (sub.conversationId === undefined && sub.readsEverything)) sub.typing(conversationId, userId);
      else if (sub.conversationId === undefined) scoped.push(sub);
    }
    if (scoped.length > 0) void typingInScope(deps, scoped, tenantId, conversationId, userId);
  });
  app.addHook('onClose', async () => offTyping?.());

  const unsubscribeBus = deps.bus.subscribe((event) => tails.get(event.tenantId)?.wake(event.id));
  app.addHook('onClose', async () => unsubscribeBus());

  /** A tenant's first subscription starts its tail at its own cursor; later ones catch up to the tail or wait for it. */
  const add = (sub: Subscription, after: number) => {
    let tail = tails.get(sub.tenantId);
    if (!tail) tails.set(sub.tenantId, (tail = new TenantEventTail(deps.storage.read, sub.tenantId, after, PAGE)));
    tail.add(sub);
  };
  const remove = (sub: Subscription) => {
    sub.closed = true;
    const tail = tails.get(sub.tenantId);
    tail?.remove(sub);
    if (tail && tail.subscribers.size === 0) tails.delete(sub.tenantId);
  };

  app.get('/v1/stream', { websocket: true, schema: { tags: ['events'], summary: 'WebSocket: subscribe to committed events, resume by event id' } }, (socket, request) => {
    const caller = request.caller;
    const log = request.log;
    const connection = corkable(request.raw.socket);
    const subs = new Map<string, Held>();
    let alive = true;

    const sendError = (code: ErrorCode, message: string, id?: string) =>
      socket.send(JSON.stringify({ type: 'error', ...(id !== undefined ? { id } : {}), error: { code, message } }));

    const heartbeat = setInterval(() => {
      if (!alive) {
        socket.terminate();
        return;
      }
      alive = false;
      socket.ping();
    }, HEARTBEAT_MS);
    heartbeat.unref();
    socket.on('pong', () => (alive = true));

    socket.on('message', async (data) => {
      let frame: unknown;
      try {
        frame = JSON.parse(data.toString());
      } catch {
        return sendError('SB_ERR_MALFORMED_JSON', 'Frames must be JSON objects.');
      }
      const f = frame as Omit<Partial<SubscribeFrame>, 'type'> & { type?: unknown; id?: unknown };
      if (!f || typeof f !== 'object' || typeof f.id !== 'string' || f.id.length === 0 || f.id.length > 100) {
        return sendError('SB_ERR_VALIDATION', 'Every frame needs a string "id" of 1-100 characters.');
      }
      if (f.type === 'unsubscribe') {
        subs.get(f.id)?.stop();
        subs.delete(f.id);
        return socket.send(JSON.stringify({ type: 'unsubscribed', id: f.id }));
      }
      if (f.type === 'command') {
        try {
          const result = await runAgentCommand(deps, engine, caller, f as CommandFrame, feed);
          if (socket.readyState === socket.OPEN) socket.send(JSON.stringify({ type: 'result', id: f.id, result }));
        } catch (error) {
          if (isSwitchboardError(error)) return sendError(error.code, error.message, f.id);
          log.error({ err: error }, 'agent command failed');
          return sendError('SB_ERR_INTERNAL', 'The command failed.', f.id);
        }
        return;
      }
      if (f.type !== 'subscribe') return sendError('SB_ERR_VALIDATION', 'type must be "subscribe", "unsubscribe" or "command".', f.id);
      if (typeof f.tenantId !== 'string' || (f.conversationId !== undefined && typeof f.conversationId !== 'string') ||
          (f.after !== undefined && (!Number.isSafeInteger(f.after) || f.after < 0))) {
        return sendError('SB_ERR_VALIDATION', 'subscribe needs tenantId (string), optional conversationId (string) and after (integer >= 0).', f.id);
      }
      if (f.feed !== undefined && (f.feed !== 'wallboard' || f.conversationId !== undefined || f.after !== undefined)) {
        return sendError('SB_ERR_VALIDATION', 'feed must be "wallboard", without conversationId or after.', f.id);
      }
      if (subs.has(f.id)) return sendError('SB_ERR_VALIDATION', `Subscription id "${f.id}" is already in use on this socket.`, f.id);
      if (subs.size >= MAX_SUBSCRIPTIONS_PER_SOCKET) return sendError('SB_ERR_VALIDATION', `At most ${MAX_SUBSCRIPTIONS_PER_SOCKET} subscriptions per socket.`, f.id);
      if (f.feed === 'wallboard') return subscribeWallboard(f.id, f.tenantId);
      try {
        await getTenant(deps, caller, f.tenantId);
        if (f.conversationId !== undefined) await getConversation(deps, caller, f.tenantId, f.conversationId);
        const after = f.after ?? (await deps.storage.read.latestEventId(f.tenantId));
        if (socket.readyState !== socket.OPEN) return;
        const sub = new Subscription(f.id, f.tenantId, f.conversationId, after, socket, connection, deps, caller, log);
        subs.set(f.id, { stop: () => remove(sub) });
        add(sub, after); // registered before the first read, so nothing committed meanwhile is missed
        socket.send(JSON.stringify({ type: 'subscribed', id: f.id, after }));
        await sub.pump();
      } catch (error) {
        if (isSwitchboardError(error)) return sendError(error.code, error.message, f.id);
        log.error({ err: error }, 'subscribe failed');
        return sendError('SB_ERR_INTERNAL', 'Subscription failed.', f.id);
      }
    });

    /** The id is held from the start, so a second subscribe with it, an unsubscribe or a close meanwhile all apply. */
    const subscribeWallboard = async (id: string, tenantId: string) => {
      if (!wallboard) return sendError('SB_ERR_VALIDATION', 'This server has no wallboard feed.', id);
      const release = () => {
        if (subs.get(id) === held) subs.delete(id);
      };
      const stream = openWallboardStream({ feed: wallboard, socket, caller, id, tenantId, maxBufferedBytes: MAX_BUFFERED_BYTES, log, onEnd: release });
      const held: Held = { stop: () => stream.close() };
      subs.set(id, held);
      try {
        await stream.ready;
      } catch (error) {
        release();
        if (isSwitchboardError(error)) return sendError(error.code, error.message, id);
        log.error({ err: error }, 'wallboard subscribe failed');
        return sendError('SB_ERR_INTERNAL', 'Subscription failed.', id);
      }
    };

    socket.on('close', () => {
      clearInterval(heartbeat);
      for (const held of subs.values()) held.stop();
      subs.clear();
    });
  });
}
