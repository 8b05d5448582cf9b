// The wallboard feed on /v1/stream (issue 7) on a real port with `ws` clients: the full snapshot
// equals the REST reads, coalesced deltas carry exactly what changed and never come faster than the
// interval, a queue-scoped supervisor sees only their queues and those queues' agents, refusals use
// the stream's error frame, and unsubscribing or closing leaves no board (and so no timer) behind.
// SQLite only: the feed reads the engine's live state and one store read that the contract suites
// cover on both databases.
import assert from 'node:assert/strict';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import WebSocket from 'ws';
import { SYSTEM_CALLER } from '../../src/app/caller.js';
import { until } from '../support/eventually.js';
import { startTestServer, type TestServer } from '../support/test-server.js';
import { client, signInWithPassword, type Client } from './http-helpers.js';

const INTERVAL_MS = 200;
const REFRESH_MS = 1000;
const PASSWORD = 'correct horse battery staple';

interface Wallboard {
  type: 'wallboard';
  subscription: string;
  seq: number;
  at: string;
  full: boolean;
  queues: Record<string, any>[];
  agents: Record<string, any>[];
  removedQueueIds?: string[];
  removedAgentIds?: string[];
}
type Frame = { type: string; id?: string; feed?: string; error?: { code: string } } & Partial<Omit<Wallboard, 'type'>>;

/** A socket that keeps every frame with its arrival time. */
class Board {
  readonly frames: { frame: Frame; at: number }[] = [];
  private constructor(readonly socket: WebSocket) {
    socket.on('message', (data, binary) => {
      assert.equal(binary, false, 'frames are text');
      this.frames.push({ frame: JSON.parse(data.toString()) as Frame, at: performance.now() });
    });
  }

  static open(url: string, headers: Record<string, string>): Promise<Board> {
    return new Promise((resolve, reject) => {
      const socket = new WebSocket(url, { headers });
      socket.once('open', () => resolve(new Board(socket)));
      socket.once('error', reject);
    });
  }

  send(frame: unknown): void {
    this.socket.send(JSON.stringify(frame));
  }

  wallboards(subscription?: string): Wallboard[] {
    return this.frames.map((f) => f.frame).filter((f): f is Wallboard => f.type === 'wallboard' && (subscription === undefined || f.subscription === subscription));
  }

  async nextWallboard(count = this.wallboards().length + 1, what = 'a wallboard frame'): Promise<Wallboard> {
    await until(() => this.wallboards().length >= count, what, 5_000);
    return this.wallboards()[count - 1]!;
  }

  /** Subscribes and returns the snapshot, checking the "subscribed" frame that comes just before it. */
  async subscribe(id: string, tenantId: string): Promise<Wallboard> {
    const from = this.frames.length;
    this.send({ type: 'subscribe', id, tenantId, feed: 'wallboard' });
    await until(() => this.frames.length >= from + 2 || this.frames.slice(from).some((f) => f.frame.type === 'error'), `the snapshot of ${id}`, 5_000);
    const [subscribed, snapshot] = this.frames.slice(from).map((f) => f.frame);
    assert.deepEqual(subscribed, { type: 'subscribed', id, feed: 'wallboard' });
    assert.equal(snapshot!.type, 'wallboard');
    return snapshot as Wallboard;
  }

  async refusal(frame: Record<string, unknown>): Promise<string> {
    const from = this.frames.length;
    this.send({ type: 'subscribe', feed: 'wallboard', ...frame });
    await until(() => this.frames.length > from, 'an answer', 5_000);
    const answer = this.frames[from]!.frame;
    assert.equal(answer.type, 'error', JSON.stringify(answer));
    assert.equal(answer.id, frame.id);
    return answer.error!.code;
  }

  async quiet(ms: number, subscription?: string): Promise<void> {
    const before = this.wallboards(subscription).length;
    await new Promise((resolve) => setTimeout(resolve, ms));
    assert.deepEqual(this.wallboards(subscription).slice(before), [], 'no further wallboard frames');
  }

  close(): Promise<void> {
    if (this.socket.readyState === WebSocket.CLOSED) return Promise.resolve();
    return new Promise((resolve) => {
      this.socket.once('close', () => resolve());
      this.socket.close(1000);
    });
  }
}

const byId = <T extends Record<string, any>>(items: T[], key: string) => Object.fromEntries(items.map((i) => [i[key], i]));

describe('wallboard feed', () => {
  let sb: TestServer;
  let url: string;
  let admin: Client;
  let t: string;
  let tenantId: string;
  let otherTenant: string;
  let sales: string;
  let billing: string;
  let ana: string;
  let ben: string;
  let cy: string;
  let chatWorkstream: string;
  let channelId: string;
  const sessions: Record<string, { cookie: string }> = {};
  const boards: Board[] = [];
  const open = async (who: 'admin' | 'sue' | 'al' = 'admin') => {
    const board = await Board.open(url, who === 'admin' ? sb.auth : { cookie: sessions[who]!.cookie, origin: `http://${new URL(url).host}` });
    boards.push(board);
    return board;
  };
  const presence = (agentId: string, to: string) => admin.ok('PUT', `${t}/agents/${agentId}/presence`, 200, { presence: to });
  const restStats = async () => (await admin.ok('GET', `${t}/routing/stats`, 200)).items as Record<string, any>[];
  const restAgents = async () => (await admin.ok('GET', `${t}/routing/agents`, 200)).items as Record<string, any>[];

  before(async () => {
    sb = await startTestServer({ env: { SWITCHBOARD_WALLBOARD_INTERVAL_MS: String(INTERVAL_MS), SWITCHBOARD_WALLBOARD_REFRESH_MS: String(REFRESH_MS) }, overrides: { signInRateLimit: 1000 } });
    await sb.app.listen({ host: '127.0.0.1', port: 0 });
    url = `ws://127.0.0.1:${(sb.app.server.address() as AddressInfo).port}/v1/stream`;
    admin = client(sb.app, sb.auth);
    tenantId = (await admin.ok('POST', '/v1/tenants', 201, { name: 'Acme' })).id;
    otherTenant = (await admin.ok('POST', '/v1/tenants', 201, { name: 'Other' })).id;
    t = `/v1/tenants/${tenantId}`;
    channelId = (await admin.ok('POST', `${t}/channels`, 201, { type: 'webchat', name: 'Acme chat' })).id;
    ana = (await admin.ok('POST', `${t}/agents`, 201, { kind: 'human', displayName: 'Ana', capacity: 5 })).id;
    ben = (await admin.ok('POST', `${t}/agents`, 201, { kind: 'human', displayName: 'Ben', capacity: 5 })).id;
    cy = (await admin.ok('POST', `${t}/agents`, 201, { kind: 'human', displayName: 'Cy', capacity: 5 })).id;
    sales = (await admin.ok('POST', `${t}/queues`, 201, { name: 'Sales', memberIds: [ana, cy] })).id;
    billing = (await admin.ok('POST', `${t}/queues`, 201, { name: 'Billing', memberIds: [ben] })).id;
    chatWorkstream = (await admin.ok('POST', `${t}/workstreams`, 201, { name: 'Chat', channelTypes: ['webchat'], fallbackQueueId: billing, offerTimeoutSeconds: 3600 })).id;
    await admin.ok('POST', `${t}/users`, 201, { email: 'sue@acme.test', displayName: 'Sue', password: PASSWORD, roles: [{ role: 'supervisor', queueIds: [sales] }] });
    await admin.ok('POST', `${t}/users`, 201, { email: 'al@acme.test', displayName: 'Al', password: PASSWORD, roles: [{ role: 'agent' }], agentId: ana });
    sessions.sue = await signInWithPassword(sb.app, tenantId, 'sue@acme.test', PASSWORD);
    sessions.al = await signInWithPassword(sb.app, tenantId, 'al@acme.test', PASSWORD);
  });
  after(async () => {
    for (const b of boards) await b.close();
    await sb?.stop();
  });

  it('answers "subscribed", then a full snapshot equal to GET /routing/stats and GET /routing/agents', async () => {
    const board = await open();
    const snapshot = await board.subscribe('w1', tenantId);
    assert.deepEqual([snapshot.subscription, snapshot.seq, snapshot.full], ['w1', 1, true]);
    assert.ok(Math.abs(Date.parse(snapshot.at) - Date.now()) < 5_000, 'at is the time it was computed');
    assert.deepEqual(snapshot.queues, await restStats(), 'every queue, as the statistics read has them, in its order');
    assert.deepEqual(snapshot.agents, await restAgents(), 'every agent, as the agent board has them, in its order');
    assert.equal(snapshot.removedQueueIds, undefined, 'a snapshot lists no removals: it replaces everything');
    await board.quiet(INTERVAL_MS * 2);
    await board.close();
  });

  it('after a presence change, one frame with exactly the changed agent and the queues whose figures changed', async () => {
    const board = await open();
    await board.subscribe('w1', tenantId);
    await presence(ben, 'available');
    const delta = await board.nextWallboard(2, 'the delta after Ben went available');
    assert.deepEqual([delta.seq, delta.full, delta.removedQueueIds, delta.removedAgentIds], [2, false, [], []]);
    assert.deepEqual(delta.agents, (await restAgents()).filter((a) => a.agentId === ben), 'only Ben, as the agent board now has him');
    assert.equal(delta.agents[0]!.presence, 'available');
    assert.deepEqual(delta.queues, (await restStats()).filter((q) => q.queueId === billing), "only Billing, Ben's queue, whose agents by presence changed");
    await board.quiet(INTERVAL_MS * 2);
    await presence(ben, 'offline');
    const back = await board.nextWallboard(3, 'the delta after Ben went offline');
    assert.deepEqual(back.agents.map((a) => [a.agentId, a.presence]), [[ben, 'offline']]);
    await board.close();
  });

  it('coalesces a burst of changes: never two frames within the interval, and the last frame holds the final state', async () => {
    const board = await open();
    await board.subscribe('w1', tenantId);
    const started = performance.now();
    for (let i = 0; i < 20; i++) await presence(ana, i % 2 === 0 ? 'available' : 'away');
    await presence(cy, 'busy');
    const burstMs = performance.now() - started;
    await until(() => {
      const last = board.wallboards().at(-1)!;
      return last.agents.some((a) => a.agentId === cy && a.presence === 'busy');
    }, 'the final state', 5_000);
    await board.quiet(INTERVAL_MS * 2);
    const times = board.frames.filter((f) => f.frame.type === 'wallboard').map((f) => f.at);
    const deltas = times.length - 1;
    assert.ok(deltas <= Math.ceil(burstMs / INTERVAL_MS) + 2, `${deltas} frames for 21 changes in ${burstMs.toFixed(0)} ms`);
    // Socket and timer jitter on a busy machine: allow a little less than the interval on arrival.
    for (let i = 1; i < times.length; i++) assert.ok(times[i]! - times[i - 1]! >= INTERVAL_MS - 30, `frame ${i} came ${(times[i]! - times[i - 1]!).toFixed(0)} ms after the one before`);
    const merged = new Map<string, string>();
    for (const f of board.wallboards()) for (const a of f.agents) merged.set(a.agentId, a.presence);
    assert.deepEqual([merged.get(ana), merged.get(cy)], ['away', 'busy'], 'the snapshot plus the deltas give the final presences');
    assert.deepEqual(byId(board.wallboards().at(-1)!.queues, 'queueId')[sales], byId(await restStats(), 'queueId')[sales]);
    await presence(ana, 'offline');
    await presence(cy, 'offline');
    await board.close();
  });

  it('a queue-scoped supervisor sees their queues and those queues\' agents only, and hears of an agent leaving the scope', async () => {
    const sue = await open('sue');
    const all = await open();
    const snapshot = await sue.subscribe('mine', tenantId);
    assert.deepEqual(snapshot.queues.map((q) => q.queueId), [sales]);
    assert.deepEqual(snapshot.agents.map((a) => a.agentId).sort(), [ana, cy].sort());
    await all.subscribe('all', tenantId);

    await presence(ben, 'available');
    await all.nextWallboard(2, 'the tenant-wide board hears of Ben');
    await sue.quiet(INTERVAL_MS * 2);

    await admin.ok('DELETE', `${t}/queues/${sales}/members/${cy}`, 204);
    const left = await sue.nextWallboard(2, 'Cy leaves the scope');
    assert.deepEqual(left.removedAgentIds, [cy], 'Cy is no longer one of the agents Sue may see');
    assert.deepEqual(left.queues.map((q) => q.queueId), [sales], "Sales' agents by presence changed");
    const seen = await all.nextWallboard(3, 'the tenant-wide board hears of the membership');
    assert.deepEqual(seen.removedAgentIds, [], 'Cy is still on the tenant-wide board');

    const temporary = (await admin.ok('POST', `${t}/queues`, 201, { name: 'Temporary' })).id;
    const added = await all.nextWallboard(4, 'the new queue');
    assert.deepEqual(added.queues.map((q) => q.queueId), [temporary]);
    await admin.ok('DELETE', `${t}/queues/${temporary}`, 204);
    const removed = await all.nextWallboard(5, 'the deleted queue');
    assert.deepEqual([removed.queues, removed.removedQueueIds], [[], [temporary]]);

    await admin.ok('POST', `${t}/queues/${sales}/members`, 200, { agentId: cy });
    const back = await sue.nextWallboard(3, 'Cy back in scope');
    assert.deepEqual(back.agents.map((a) => a.agentId), [cy], 'an agent coming into scope is sent whole');
    await presence(ben, 'offline');
    await sue.close();
    await all.close();
  });

  it('refuses with the stream\'s error frame: no reports for an agent, a foreign tenant, a bad frame', async () => {
    const al = await open('al');
    assert.equal(await al.refusal({ id: 'w1', tenantId }), 'SB_ERR_FORBIDDEN', 'an agent holds queues.read and events.read but not reports.read');
    const sue = await open('sue');
    assert.equal(await sue.refusal({ id: 'w1', tenantId: otherTenant }), 'SB_ERR_TENANT_NOT_FOUND');
    assert.equal(await sue.refusal({ id: 'w2', tenantId, feed: 'everything' }), 'SB_ERR_VALIDATION');
    assert.equal(await sue.refusal({ id: 'w3', tenantId, after: 0 }), 'SB_ERR_VALIDATION');
    await sue.subscribe('w4', tenantId);
    assert.equal(await sue.refusal({ id: 'w4', tenantId }), 'SB_ERR_VALIDATION', 'the id is in use');
    const denied = await admin.ok('GET', `${t}/audit?action=access.denied`, 200);
    assert.ok(denied.items.some((e: { details: { permission?: string } }) => e.details.permission === 'reports.read'), 'the refusal is audited');
    await al.close();
    await sue.close();
  });

  it('unsubscribe and closing the socket stop the feed: no frames, no board left with a timer', async () => {
    const board = await open();
    await board.subscribe('w1', tenantId);
    assert.equal(sb.wallboard.tenants, 1);
    board.send({ type: 'unsubscribe', id: 'w1' });
    await until(() => board.frames.some((f) => f.frame.type === 'unsubscribed'), 'unsubscribed');
    assert.equal(sb.wallboard.tenants, 0, 'the last subscriber gone, the board and its timer are gone');
    await presence(ben, 'available');
    await board.quiet(INTERVAL_MS * 2);

    await board.subscribe('w2', tenantId);
    const second = await open();
    await second.subscribe('w3', tenantId);
    await board.close();
    await until(() => sb.wallboard.tenants === 1, 'one board for the remaining subscriber');
    await second.close();
    await until(() => sb.wallboard.tenants === 0, 'no board once every socket closed');
    await presence(ben, 'offline');
  });

  it('a subscription closed again after its board is gone leaves the next board of the tenant alone', async () => {
    const frames: string[] = [];
    const listener = (into: string[]) => ({ frame: (f: { body: string }) => into.push(f.body), failed: () => into.push('failed') });
    const first = await sb.wallboard.subscribe(SYSTEM_CALLER, tenantId, listener([]));
    first.close();
    const second = await sb.wallboard.subscribe(SYSTEM_CALLER, tenantId, listener(frames));
    first.close();
    assert.equal(sb.wallboard.tenants, 1, 'the second board is still the tenant\'s');
    await presence(ben, 'available');
    await until(() => frames.some((body) => body.includes('"full":false') && body.includes(ben)), 'a delta for the second subscription');
    second.close();
    assert.equal(sb.wallboard.tenants, 0);
    await presence(ben, 'offline');
  });

  it('while a conversation waits and nothing else happens, its queue is sent again at the refresh, not at every interval', async () => {
    const board = await open();
    await board.subscribe('w1', tenantId);
    const conversation = await admin.ok('POST', `${t}/conversations`, 201, { channelId, customer: { address: 'visitor-1' } });
    const routed = await admin.ok('POST', `${t}/conversations/${conversation.id}/route`, 200, { workstreamId: chatWorkstream });
    assert.equal(routed.status, 'waiting', 'nobody in Billing is available');
    const queued = await board.nextWallboard(2, 'the conversation waiting');
    assert.equal(byId(queued.queues, 'queueId')[billing].waiting, 1);
    const grew = await board.nextWallboard(3, 'the longest wait refreshed');
    assert.deepEqual(grew.queues.map((q) => q.queueId), [billing], 'only the queue whose longest wait grew');
    assert.deepEqual(grew.agents, []);
    assert.ok(grew.queues[0]!.longestWaitSeconds > byId(queued.queues, 'queueId')[billing].longestWaitSeconds);
    const gap = Date.parse(grew.at) - Date.parse(queued.at);
    assert.ok(gap >= REFRESH_MS - 50 && gap < REFRESH_MS * 3, `refreshed ${gap} ms later`);
    await admin.ok('POST', `${t}/conversations/${conversation.id}/state`, 200, { to: 'closed' });
    const closed = await board.nextWallboard(4, 'the line empty again');
    assert.equal(byId(closed.queues, 'queueId')[billing].waiting, 0);
    await board.close();
  });
});
