// Crash safety: the real server runs as a child process; it is killed with SIGKILL right after
// messages are acknowledged, restarted on the same data, and every acknowledged message must be
// there exactly once with the same id and sequence number (RELIABILITY.md R1, points 1, 3 and 4).
// SQLite runs in WAL mode with synchronous=NORMAL: a commit is in the WAL file (the OS page cache)
// before the 201 leaves, which survives a process crash; only a power loss needs FULL.
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it, type TestContext } from 'node:test';
import { fileURLToPath } from 'node:url';
import { dropSchema, freshSchema, POSTGRES_URL, postgresSkip } from '../support/postgres.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const CLI = join(ROOT, 'src', 'cli', 'main.ts');
const TEST_TIMEOUT_MS = 60_000;
const READY_TIMEOUT_MS = 30_000;
const KEY_PATTERN = /key_[A-Z0-9]+\.[0-9a-f]{64}/;

interface Message {
  id: string;
  seq: number;
  text: string;
  idempotencyKey: string | null;
}

/** A port nobody listens on right now: bind to port 0, read the port, release it. */
function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const { port } = probe.address() as { port: number };
      probe.close(() => resolve(port));
    });
  });
}

/** Runs a one-shot CLI command to completion. */
function runCli(args: string[], env: NodeJS.ProcessEnv): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', CLI, ...args], { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    child.once('error', reject);
    child.once('exit', (code) => resolve({ code, stdout, stderr }));
  });
}

/** `switchboard serve` as a child process on a known port. */
class ServerProcess {
  private output = '';
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;

  private constructor(readonly child: ChildProcess, readonly base: string) {
    child.stdout?.on('data', (d) => (this.output += d));
    child.stderr?.on('data', (d) => (this.output += d));
    this.exited = new Promise((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));
  }

  static start(env: NodeJS.ProcessEnv, port: number): ServerProcess {
    const child = spawn(process.execPath, ['--import', 'tsx', CLI, 'serve'], {
      cwd: ROOT, env: { ...env, SWITCHBOARD_PORT: String(port) }, stdio: ['ignore', 'pipe', 'pipe'],
    });
    const server = new ServerProcess(child, `http://127.0.0.1:${port}`);
    running.add(server);
    void server.exited.then(() => running.delete(server));
    return server;
  }

  get alive(): boolean {
    return this.child.exitCode === null && this.child.signalCode === null;
  }

  /** Polls /readyz until the server answers 200; returns how long that took. */
  async ready(): Promise<number> {
    const started = Date.now();
    while (Date.now() - started < READY_TIMEOUT_MS) {
      if (!this.alive) throw new Error(`the server exited before it was ready:\n${this.output}`);
      try {
        const res = await fetch(`${this.base}/readyz`);
        if (res.status === 200) return Date.now() - started;
        await res.body?.cancel();
      } catch {
        // not listening yet
      }
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    throw new Error(`the server was not ready within ${READY_TIMEOUT_MS} ms:\n${this.output}`);
  }

  /** SIGKILL: no shutdown hook, no flush, no close of the database. */
  async kill(): Promise<void> {
    if (this.alive) this.child.kill('SIGKILL');
    const { signal } = await this.exited;
    assert.equal(signal, 'SIGKILL', `the server died of SIGKILL (output:\n${this.output})`);
  }
}

const running = new Set<ServerProcess>();

interface Api {
  call(method: string, path: string, body?: unknown, headers?: Record<string, string>): Promise<{ status: number; body: any }>;
  ok(method: string, path: string, status: number, body?: unknown): Promise<any>;
}

function apiOf(server: ServerProcess, key: string): Api {
  const call = async (method: string, path: string, body?: unknown, headers: Record<string, string> = {}) => {
    const res = await fetch(`${server.base}${path}`, {
      method,
      headers: { authorization: `Bearer ${key}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }), ...headers },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    const text = await res.text();
    return { status: res.status, body: text ? JSON.parse(text) : undefined };
  };
  return {
    call,
    async ok(method, path, status, body) {
      const reply = await call(method, path, body);
      assert.equal(reply.status, status, `${method} ${path} answered ${reply.status}: ${JSON.stringify(reply.body)}`);
      return reply.body;
    },
  };
}

async function allMessages(api: Api, conversationPath: string): Promise<Message[]> {
  const page = await api.ok('GET', `${conversationPath}/messages?limit=500`, 200);
  return page.items as Message[];
}

/** The durable-store rules after a recovery: each acknowledged message once, same id and seq; seqs 1..N. */
function assertRecovered(stored: Message[], acknowledged: Message[]): void {
  const ids = stored.map((m) => m.id);
  assert.equal(new Set(ids).size, ids.length, 'no message is stored twice');
  assert.deepEqual(stored.map((m) => m.seq), stored.map((_, i) => i + 1), 'sequence numbers are 1..N without gaps');
  const byId = new Map(stored.map((m) => [m.id, m]));
  for (const ack of acknowledged) {
    const found = byId.get(ack.id);
    assert.ok(found, `acknowledged message ${ack.id} (seq ${ack.seq}) survived the crash`);
    assert.equal(found.seq, ack.seq, `message ${ack.id} kept its sequence number`);
    assert.equal(found.text, ack.text);
  }
}

function crashSuite(database: 'sqlite' | 'postgres', skip: false | string): void {
  describe(`crash safety: SIGKILL right after acknowledgement loses nothing (${database})`, { skip }, () => {
    let dir: string;
    let schema: string | undefined;
    let env: NodeJS.ProcessEnv;
    let key: string;
    let port: number;
    let tenantPath: string;
    let channelId: string;

    /** Starts the server on the shared data, waiting for readiness; reports the start-up time. */
    async function start(t: TestContext, label: string): Promise<{ server: ServerProcess; api: Api }> {
      // A server left running by a failed test would hold the port: stop it so this test stands alone.
      for (const leftover of running) await leftover.kill();
      const server = ServerProcess.start(env, port);
      const ms = await server.ready();
      t.diagnostic(`${label}: ready after ${ms} ms`);
      return { server, api: apiOf(server, key) };
    }

    async function newConversation(api: Api): Promise<string> {
      const conversation = await api.ok('POST', `${tenantPath}/conversations`, 201, { channelId, customer: { address: `crash-${Date.now()}-${Math.random()}` } });
      return `${tenantPath}/conversations/${conversation.id}`;
    }

    before(async () => {
      dir = mkdtempSync(join(tmpdir(), 'sb-crash-'));
      // An explicit, empty config file: a switchboard.config.json in the working copy must not leak in.
      const configFile = join(dir, 'switchboard.config.json');
      writeFileSync(configFile, '{}\n');
      schema = database === 'postgres' ? freshSchema() : undefined;
      env = {
        PATH: process.env.PATH,
        HOME: process.env.HOME,
        SWITCHBOARD_CONFIG: configFile,
        SWITCHBOARD_DATA_DIR: join(dir, 'data'),
        SWITCHBOARD_HOST: '127.0.0.1',
        SWITCHBOARD_LOG_LEVEL: 'warn',
        ...(schema ? { DATABASE_URL: POSTGRES_URL, SWITCHBOARD_PG_SCHEMA: schema } : {}),
      };
      const created = await runCli(['admin', 'create-key'], env);
      assert.equal(created.code, 0, `admin create-key failed:\n${created.stdout}\n${created.stderr}`);
      const match = KEY_PATTERN.exec(created.stdout);
      assert.ok(match, `admin create-key printed a key:\n${created.stdout}`);
      key = match[0];
      port = await freePort();
    });

    after(async () => {
      for (const server of running) {
        server.child.kill('SIGKILL');
        await server.exited;
      }
      if (schema) await dropSchema(schema);
      rmSync(dir, { recursive: true, force: true });
    });

    it('keeps a message acknowledged with 201 just before SIGKILL', { timeout: TEST_TIMEOUT_MS }, async (t) => {
      const { server, api } = await start(t, 'first start');
      const tenant = await api.ok('POST', '/v1/tenants', 201, { name: 'Crash' });
      tenantPath = `/v1/tenants/${tenant.id}`;
      channelId = (await api.ok('POST', `${tenantPath}/channels`, 201, { type: 'webchat', name: 'Chat' })).id;
      const conversation = await newConversation(api);

      const reply = await api.call('POST', `${conversation}/messages`, { senderRole: 'customer', text: 'acknowledged, then the power went' });
      await server.kill(); // right after the 201 arrived
      assert.equal(reply.status, 201);
      const acked = reply.body as Message;

      const restarted = await start(t, 'restart after SIGKILL');
      const stored = await allMessages(restarted.api, conversation);
      assert.deepEqual(stored.map((m) => ({ id: m.id, seq: m.seq, text: m.text })), [{ id: acked.id, seq: 1, text: acked.text }]);
      const readBack = await restarted.api.ok('GET', conversation, 200);
      assert.equal(readBack.lastSeq, 1, 'the conversation counter survived with the message');
      await restarted.server.kill();
    });

    it('keeps all 50 messages of a concurrent burst acknowledged just before SIGKILL, seqs 1..50', { timeout: TEST_TIMEOUT_MS }, async (t) => {
      const { server, api } = await start(t, 'start');
      const conversation = await newConversation(api);
      const replies = await Promise.all(
        Array.from({ length: 50 }, (_, i) => api.call('POST', `${conversation}/messages`, { senderRole: 'customer', text: `burst ${i}` })),
      );
      await server.kill(); // as soon as the last response is in
      assert.deepEqual(replies.map((r) => r.status), replies.map(() => 201));
      const acknowledged = replies.map((r) => r.body as Message);
      assert.deepEqual(acknowledged.map((m) => m.seq).sort((a, b) => a - b), Array.from({ length: 50 }, (_, i) => i + 1));

      const restarted = await start(t, 'restart after SIGKILL');
      const stored = await allMessages(restarted.api, conversation);
      assert.equal(stored.length, 50);
      assertRecovered(stored, acknowledged);
      await restarted.server.kill();
    });

    it('keeps every message acknowledged before a SIGKILL in the middle of a burst, and retries with the same keys store one copy each', { timeout: TEST_TIMEOUT_MS }, async (t) => {
      const { server, api } = await start(t, 'start');
      const conversation = await newConversation(api);
      const bodies = Array.from({ length: 50 }, (_, i) => ({ senderRole: 'customer', text: `mid-burst ${i}`, idempotencyKey: `burst-key-${i}` }));
      const acknowledged: Message[] = [];
      let killed: Promise<void> | undefined;
      const outcomes = await Promise.allSettled(bodies.map(async (body) => {
        const reply = await api.call('POST', `${conversation}/messages`, body);
        if (reply.status === 201) {
          acknowledged.push(reply.body as Message);
          if (acknowledged.length === 25) killed = server.kill(); // the crash hits requests still in flight
        }
        return reply.status;
      }));
      await (killed ?? server.kill());
      t.diagnostic(`${acknowledged.length} of 50 acknowledged before the crash; ${outcomes.filter((o) => o.status === 'rejected').length} requests cut off`);
      assert.ok(acknowledged.length >= 25);
      for (const o of outcomes) if (o.status === 'fulfilled') assert.equal(o.value, 201, 'a request either got its 201 or was cut off');

      const restarted = await start(t, 'restart after SIGKILL');
      const stored = await allMessages(restarted.api, conversation);
      t.diagnostic(`${stored.length} stored after the restart (committed but unanswered ones count too)`);
      assert.ok(stored.length >= acknowledged.length, `${stored.length} stored, ${acknowledged.length} acknowledged`);
      assertRecovered(stored, acknowledged);

      // The clients retry everything (they cannot know what committed) with the same keys, in order.
      for (const body of bodies) {
        const retry = await restarted.api.call('POST', `${conversation}/messages`, body);
        assert.ok(retry.status === 200 || retry.status === 201, `retry of ${body.idempotencyKey}: ${retry.status}`);
        const before = stored.find((m) => m.idempotencyKey === body.idempotencyKey);
        if (before) {
          assert.equal(retry.status, 200, `${body.idempotencyKey} was stored, so the retry returns it`);
          assert.equal(retry.body.id, before.id);
        }
      }
      const final = await allMessages(restarted.api, conversation);
      assert.equal(final.length, 50, 'one copy per idempotency key');
      assert.deepEqual(final.map((m) => m.seq), Array.from({ length: 50 }, (_, i) => i + 1));
      assert.deepEqual(new Set(final.map((m) => m.idempotencyKey)), new Set(bodies.map((b) => b.idempotencyKey)));
      assertRecovered(final, acknowledged);
      await restarted.server.kill();
    });
  });
}

crashSuite('sqlite', false);
crashSuite('postgres', await postgresSkip());
