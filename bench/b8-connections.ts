import { mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Command, Item, Reply } from './b8/socket-client.js';
import { cpuWindow, quantile, type CpuUse } from './lib/cpu.js';
import { createWebchatChannel, startConversations, type DirectLineConversation } from './lib/directline.js';
import { inParallel, KeepAliveClient } from './lib/http-client.js';
import { CommandChild, onExit, pinCores, startServer, type Pinning, type ServerProcess } from './lib/processes.js';
import { cores, int, median, ms, table } from './lib/stats.js';
import { apiClient, ensureBuilt, switchboardEnv } from './lib/switchboard.js';
import { machineLines, setting } from './lib/settings.js';

/**
 * B8, connection scale and reconnect storm (docs/BENCHMARKS.md, design/BENCHMARKS.md): idle
 * Direct Line stream sockets with heartbeats held by the built Switchboard, against a bare `ws`
 * server holding the same number of sockets, in interleaved rounds; then a reconnect storm.
 *
 * Setup (once, timed on its own): a web chat channel with a Direct Line secret, one agent, and N
 * Direct Line conversations started as clients start them (token from the secret, then start),
 * in parallel over keep-alive connections. The conversations are not routed (no workstream for
 * web chat), so nothing is announced to them: their sockets are idle.
 *
 * Each round, for each server (a fresh process each time, pinned to the server core, started with
 * --expose-gc): warm-up (200 sockets opened and closed), a report (memory after a full
 * collection, event-loop delay since the last report: bench/servers/process-report.mjs, printed
 * on SIGUSR2), the ramp to N sockets, a hold of idle sockets with heartbeats (the servers ping
 * every 20 s, the clients send Direct Line's empty keep-alive message every 20 s), a report
 * (RSS per connection = RSS after minus before, over N), then the storm: S sockets drop at once
 * (terminated, no closing handshake) and reconnect at random moments within the storm window,
 * resuming by watermark (mode `get`: `GET /v3/directline/conversations/{id}?watermark=w` for a
 * new streamUrl, as botframework-directlinejs and our widget do; `url`: the old streamUrl with
 * `&watermark=w`). During Switchboard's storm the benchmark posts agent messages to conversations
 * with and without a dropped socket, spread over the window; each must arrive exactly once, and
 * no activity may arrive twice on any socket. Recovery time is from the drop until the last
 * socket is open again; the bare server's is its accept time for the same storm.
 *
 * The sockets are held by child processes (bench/b8/socket-client.ts, on the load generator's
 * core), each measurement from fresh loopback source addresses (127.<n>.<client>.2), because one
 * process may hold only as many descriptors as `ulimit -n` allows, and one source address has only
 * ~28,000 ephemeral ports, thousands of which each storm and each close leave in TIME_WAIT.
 *
 * Targets: RSS per connection <= 2x bare; storm recovered, nothing lost, in <= 2x the bare
 * server's time; event-loop lag p99 <= 100 ms (during the storm).
 *
 * Settings (environment): B8_SOCKETS (20000; capped by the open-file limit, see the header line),
 * B8_STORM sockets dropped (10000), B8_STORM_SECONDS window of the reconnects (10; 0 = all at
 * once), B8_STORM_MESSAGES posted during the storm (1000), B8_RECONNECT (get | url), B8_ROUNDS (3),
 * B8_HOLD_SECONDS idle hold (25), B8_HEARTBEAT_MS client keep-alive interval (20000), B8_CLIENTS
 * socket client processes (one per 5,000 sockets), B8_CONCURRENCY handshakes in flight per
 * client during the ramp (50), B8_TARGETS (bare,sb), B8_BUILD (auto | always | never), B8_KEEP=1,
 * B8_PROFILE=1 (V8 CPU profiles of the Switchboard processes in $TMPDIR/switchboard-b8-profiles),
 * B8_BACKLOG (the listen backlog of both servers; unset: Node's default 511, as `serve` listens).
 */

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const RSS_TARGET = 2;
const STORM_TARGET = 2;
const LAG_TARGET_MS = 100;
const WARMUP_SOCKETS = 200;
/** Descriptors a server needs besides its sockets (database, WAL, epoll, pipes, HTTP keep-alives of the clients). */
const FD_RESERVE = 300;

type TargetKey = 'bare' | 'sb';

interface ServerReport {
  readonly rss: number;
  readonly heapUsed: number;
  readonly external: number;
  readonly eld: { readonly p50: number; readonly p99: number; readonly max: number; readonly samples: number };
  readonly sockets: number;
}

interface TargetRound {
  readonly key: TargetKey;
  readonly before: ServerReport;
  readonly afterRamp: ServerReport;
  readonly afterHold: ServerReport;
  readonly afterStorm: ServerReport;
  readonly rampMs: number;
  readonly rampFailed: number;
  readonly rampCpu: CpuUse;
  readonly stormCpu: CpuUse;
  readonly recoveryMs: number;
  readonly reconnectP50: number;
  readonly reconnectP99: number;
  readonly reconnectMax: number;
  readonly dropped: number;
  readonly reconnected: number;
  readonly failed: number;
  readonly retries: number;
  readonly firstError: string | undefined;
  readonly messages: { posted: number; once: number; lost: number; twice: number; postFailed: number } | undefined;
  readonly duplicateIds: number;
  readonly unexpectedCloses: number;
}

function out(text: string): void {
  process.stdout.write(`${text}\n`);
}

function openFileLimit(): number | undefined {
  try {
    const line = readFileSync('/proc/self/limits', 'utf8').split('\n').find((l) => l.startsWith('Max open files'));
    const soft = Number(line?.split(/\s{2,}/)[1]);
    return Number.isFinite(soft) ? soft : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Connection attempts the kernel dropped because a listener's accept queue was full (system-wide
 * TcpExt ListenOverflows; during a storm the server under test is the only busy listener). Each
 * costs the client a SYN retransmission: 1 s, then 3 s, 7 s after the first try.
 */
function listenOverflows(): number | undefined {
  try {
    const lines = readFileSync('/proc/net/netstat', 'utf8').split('\n').filter((l) => l.startsWith('TcpExt:'));
    const names = lines[0]?.split(/\s+/) ?? [];
    const values = lines[1]?.split(/\s+/) ?? [];
    const at = names.indexOf('ListenOverflows');
    return at > 0 ? Number(values[at]) : undefined;
  } catch {
    return undefined;
  }
}

/** A socket client child (bench/b8/socket-client.ts): one command at a time, one reply each. */
class ClientChild extends CommandChild<Command, Reply> {
  constructor(readonly index: number) {
    super(`socket client ${index}`, join(ROOT, 'bench/b8/socket-client.ts'));
  }
}

function expect<T extends Reply['type']>(reply: Reply, type: T): Extract<Reply, { type: T }> {
  if (reply.type === 'error') throw new Error(reply.message);
  if (reply.type !== type) throw new Error(`socket client answered ${reply.type}, expected ${type}`);
  return reply as Extract<Reply, { type: T }>;
}

async function serverReport(server: ServerProcess): Promise<ServerReport> {
  const from = server.stdout.length;
  process.kill(server.pid, 'SIGUSR2');
  const deadline = performance.now() + 60_000;
  for (;;) {
    for (let i = from; i < server.stdout.length; i++) {
      const line = server.stdout[i]!;
      if (line.startsWith('report ')) return JSON.parse(line.slice(7)) as ServerReport;
    }
    if (performance.now() > deadline) throw new Error(`${server.name} did not report within 60 s`);
    await sleep(20);
  }
}

export async function runB8(): Promise<boolean> {
  const limit = openFileLimit();
  const wanted = Math.round(setting('B8_SOCKETS', 20_000));
  const sockets = limit !== undefined ? Math.min(wanted, limit - FD_RESERVE) : wanted;
  const stormSize = Math.min(sockets, Math.round(setting('B8_STORM', 10_000)));
  const stormMs = setting('B8_STORM_SECONDS', 10, true) * 1000;
  const stormMessages = Math.round(setting('B8_STORM_MESSAGES', 1000, true));
  const mode = (process.env.B8_RECONNECT ?? 'get') as 'get' | 'url';
  if (mode !== 'get' && mode !== 'url') throw new Error('B8_RECONNECT must be get or url');
  const rounds = Math.round(setting('B8_ROUNDS', 3));
  const holdMs = setting('B8_HOLD_SECONDS', 25) * 1000;
  const heartbeatMs = setting('B8_HEARTBEAT_MS', 20_000);
  const clientCount = Math.round(setting('B8_CLIENTS', Math.max(1, Math.ceil(sockets / 5000))));
  const concurrency = Math.round(setting('B8_CONCURRENCY', 50));
  const targets = (process.env.B8_TARGETS ?? 'bare,sb').split(',').map((s) => s.trim()).filter(Boolean) as TargetKey[];
  if (targets.length === 0 || targets.some((t) => t !== 'bare' && t !== 'sb')) throw new Error('B8_TARGETS must list bare and/or sb');
  const profile = process.env.B8_PROFILE === '1';
  const backlog = process.env.B8_BACKLOG ? Math.round(setting('B8_BACKLOG', 511)) : undefined;
  const backlogEnv: Record<string, string> = backlog ? { BENCH_BACKLOG: String(backlog) } : {};

  const build = ensureBuilt(ROOT, process.env.B8_BUILD);
  const pinning = pinCores();
  const dataDir = mkdtempSync(join(tmpdir(), 'sb-bench-b8-'));
  const removeDataDir = () => rmSync(dataDir, { recursive: true, force: true });
  const forgetCleanup = process.env.B8_KEEP === '1' ? () => false : onExit(removeDataDir);
  const profileDir = join(tmpdir(), 'switchboard-b8-profiles');
  if (profile) mkdirSync(profileDir, { recursive: true });
  const loadBefore = loadavg();
  header(build.note, pinning, { wanted, sockets, limit, stormSize, stormMs, stormMessages, mode, rounds, holdMs, heartbeatMs, clientCount, concurrency, backlog });

  const clients: ClientChild[] = [];
  const forgetClients = onExit(() => clients.forEach((c) => c.kill()));
  let server: ServerProcess | undefined;
  try {
    for (let i = 0; i < clientCount; i++) clients.push(new ClientChild(i));
    // Every measurement gets fresh loopback source addresses (127.<n>.<client>.2; n counts
    // measurements), so no connect() has to find a port among those the last one left in TIME_WAIT.
    let measurement = 0;
    const addressOf = (client: number) => `127.${1 + (measurement % 250)}.${client}.2`;
    const clientCpu = () => clients.reduce((sum, c) => sum + c.cpuSeconds(), 0);

    const startBare = async () => (await startServer({
      name: 'bare ws', command: process.execPath, args: ['--expose-gc', join(ROOT, 'bench/servers/bare-ws.mjs')], cwd: ROOT,
      env: { ...process.env, BARE_HEARTBEAT_MS: '20000', ...backlogEnv }, ready: /^listening (\d+)$/, pinning,
    }));
    const startSb = async () => {
      const started = await startServer({
        name: 'switchboard', command: process.execPath,
        args: [...(profile ? ['--cpu-prof', `--cpu-prof-dir=${profileDir}`] : []), '--expose-gc', join(ROOT, 'bench/servers/switchboard-stream.mjs')],
        cwd: dataDir, env: { ...switchboardEnv(dataDir), ...backlogEnv }, ready: /^listening (http:\/\/127\.0\.0\.1:\d+) (\S+)$/, pinning, timeoutMs: 120_000,
      });
      return { server: started.server, baseUrl: started.readyLine[1]!, key: started.readyLine[2]! };
    };

    let conversations: DirectLineConversation[] = [];
    let tenantId = '';
    let agentId = '';
    let tokensAt = 0;
    if (targets.includes('sb')) {
      const sb = await startSb();
      server = sb.server;
      const call = apiClient(sb.baseUrl, sb.key);
      const channel = await createWebchatChannel(call, 'B8 bench');
      tenantId = channel.tenantId;
      agentId = (await call<{ id: string }>('POST', `/v1/tenants/${tenantId}/agents`, { kind: 'human', displayName: 'Storm Agent', capacity: 10 })).id;
      const t0 = performance.now();
      const setupCpu = cpuWindow(sb.server, pinning);
      tokensAt = Date.now();
      conversations = await startConversations(sb.baseUrl, channel, sockets, {
        concurrency: 64, userPrefix: 'b8-customer-',
        onProgress: (done) => {
          if (done % 5000 === 0) out(`  setup: ${int(done)} conversations started (${ms((performance.now() - t0) / 1000)} s)`);
        },
      });
      const setupMs = performance.now() - t0;
      const use = setupCpu();
      out(`setup: ${int(sockets)} Direct Line conversations started (token + start each) in ${(setupMs / 1000).toFixed(1)} s = ${int(sockets / setupMs * 1000)} conversations/s; server ${cores(use.server)} core, others ${cores(use.othersOnServerCpu)}/${cores(use.othersOnLoadCpu)}`);
      await sb.server.stop();
      server = undefined;
    }

    const itemsFor = (key: TargetKey, baseUrl: string): Item[][] => {
      const shares: Item[][] = clients.map(() => []);
      for (let i = 0; i < sockets; i++) {
        const c = conversations[i];
        const item: Item = key === 'bare'
          ? { key: `b${i}`, url: `${baseUrl}/s/${i}` }
          : { key: c!.conversationId, url: `${baseUrl}/v3/directline/conversations/${encodeURIComponent(c!.conversationId)}/stream?t=${encodeURIComponent(c!.token)}`, token: c!.token };
        shares[i % clients.length]!.push(item);
      }
      return shares;
    };
    const all = async <T extends Reply['type']>(commands: Command[], type: T) => (await Promise.all(clients.map((c, i) => c.call(commands[i]!)))).map((r) => expect(r, type));

    const results: TargetRound[] = [];
    let invalid = 0;
    for (let round = 1; round <= rounds; round++) {
      out(`\nround ${round}/${rounds}`);
      const order = round % 2 === 1 ? targets : [...targets].reverse();
      for (const key of order) {
        // Tokens live 30 minutes: refresh them (as clients do at half their life) before they run out.
        if (key === 'sb' && Date.now() - tokensAt > 20 * 60_000) {
          const sb = await startSb();
          server = sb.server;
          out('  (refreshing the Direct Line tokens)');
          await refreshTokens(conversations, sb.baseUrl);
          tokensAt = Date.now();
          await sb.server.stop();
          server = undefined;
        }
        let baseUrl: string;
        let adminKey = '';
        if (key === 'bare') {
          const started = await startBare();
          server = started.server;
          baseUrl = `ws://127.0.0.1:${started.readyLine[1]}`;
        } else {
          const sb = await startSb();
          server = sb.server;
          baseUrl = sb.baseUrl.replace(/^http/, 'ws');
          adminKey = sb.key;
        }
        const label = key === 'bare' ? 'bare ws' : 'switchboard';
        const shares = itemsFor(key, baseUrl);
        measurement++;

        // Warm-up: the first sockets of a fresh process pay for compiling the code paths.
        const warm = shares.map((s) => s.slice(0, Math.ceil(WARMUP_SOCKETS / clients.length)));
        await all(warm.map((items, c) => ({ type: 'open', items, concurrency, heartbeatMs, round, localAddress: addressOf(c) })), 'opened');
        await all(clients.map(() => ({ type: 'close' })), 'closed');
        await sleep(1000);
        const before = await serverReport(server);

        const rampCpuWindow = cpuWindow(server, pinning, clientCpu);
        const t0 = performance.now();
        const opened = await all(shares.map((items, c) => ({ type: 'open', items, concurrency, heartbeatMs, round, localAddress: addressOf(c) })), 'opened');
        const rampMs = performance.now() - t0;
        const rampCpu = rampCpuWindow();
        const rampFailed = opened.reduce((n, r) => n + r.failed, 0);
        await sleep(2000);
        const afterRamp = await serverReport(server);
        out(`  ${label.padEnd(11)} ramp: ${int(sockets - rampFailed)} sockets in ${(rampMs / 1000).toFixed(1)} s (${int(sockets / rampMs * 1000)}/s)${rampFailed ? `, ${rampFailed} FAILED (${opened.find((r) => r.firstError)?.firstError})` : ''}; server ${cores(rampCpu.server)} core, clients ${cores(rampCpu.load)}, others ${others(rampCpu)}; event-loop lag p99 ${ms(afterRamp.eld.p99)} ms (max ${ms(afterRamp.eld.max)})`);

        const holdCpuWindow = cpuWindow(server, pinning, clientCpu);
        await sleep(holdMs);
        const holdCpu = holdCpuWindow();
        const afterHold = await serverReport(server);
        const rssPer = (afterHold.rss - before.rss) / sockets;
        out(`  ${label.padEnd(11)} hold ${holdMs / 1000} s: server holds ${int(afterHold.sockets)} sockets; RSS ${mb(before.rss)} -> ${mb(afterHold.rss)} MB = ${kb(rssPer)} KB per connection, heap ${kb((afterHold.heapUsed - before.heapUsed) / sockets)} KB per connection; event-loop lag p99 ${ms(afterHold.eld.p99)} ms (max ${ms(afterHold.eld.max)}); server ${cores(holdCpu.server)} core, others ${others(holdCpu)}`);

        // The storm: the first `stormSize` items (spread evenly over the clients) drop.
        const stormKeys = shares.map((items, c) => items.filter((_, j) => j * clients.length + c < stormSize).map((item) => item.key));
        const overflowsBefore = listenOverflows();
        const stormCpuWindow = cpuWindow(server, pinning, clientCpu);
        const stormReplies = Promise.all(clients.map((c, i) => c.call({ type: 'storm', keys: stormKeys[i]!, spreadMs: stormMs, mode: key === 'bare' ? 'bare' : mode, baseUrl: baseUrl.replace(/^ws/, 'http') })));
        let posted: { texts: string[]; failed: number } | undefined;
        if (key === 'sb' && stormMessages > 0) posted = await postDuringStorm(baseUrl.replace(/^ws/, 'http'), adminKey, tenantId, agentId, conversations, stormSize, stormMessages, Math.max(stormMs, 1000), round);
        const stormed = (await stormReplies).map((r) => expect(r, 'stormed'));
        const stormCpu = stormCpuWindow();
        const overflows = overflowsBefore === undefined ? undefined : (listenOverflows() ?? overflowsBefore) - overflowsBefore;
        const latencies = Float64Array.from(stormed.flatMap((r) => r.latencies)).sort();
        const recoveryMs = Math.max(...stormed.map((r) => r.lastOpenMs));
        const afterStorm = await serverReport(server);

        let messages: TargetRound['messages'];
        let received = await all(clients.map(() => ({ type: 'received' })), 'received');
        if (posted) {
          const deadline = performance.now() + 15_000;
          const tally = () => {
            const counts = new Map<string, number>();
            for (const r of received) for (const [text, n] of r.counts) counts.set(text, (counts.get(text) ?? 0) + n);
            return counts;
          };
          while ([...posted.texts].some((t) => !tally().has(t)) && performance.now() < deadline) {
            await sleep(250);
            received = await all(clients.map(() => ({ type: 'received' })), 'received');
          }
          const counts = tally();
          const once = posted.texts.filter((t) => counts.get(t) === 1).length;
          const lost = posted.texts.filter((t) => !counts.has(t)).length;
          messages = { posted: posted.texts.length, once, lost, twice: posted.texts.length - once - lost, postFailed: posted.failed };
        }
        const duplicateIds = received.reduce((n, r) => n + r.duplicateIds, 0);
        const unexpectedCloses = received.reduce((n, r) => n + r.unexpectedCloses, 0);
        const reconnected = stormed.reduce((n, r) => n + r.reconnected, 0);
        const failed = stormed.reduce((n, r) => n + r.failed, 0);
        const retries = stormed.reduce((n, r) => n + r.retries, 0);
        const errorCounts = new Map<string, number>();
        for (const r of stormed) for (const [m, n] of r.errors) errorCounts.set(m, (errorCounts.get(m) ?? 0) + n);
        const errorText = [...errorCounts].sort((a, b) => b[1] - a[1]).slice(0, 3).map(([m, n]) => `${n}x ${m}`).join(', ');
        const result: TargetRound = {
          key, before, afterRamp, afterHold, afterStorm, rampMs, rampFailed, rampCpu, stormCpu, recoveryMs,
          reconnectP50: quantile(latencies, 0.5), reconnectP99: quantile(latencies, 0.99), reconnectMax: latencies[latencies.length - 1] ?? Number.NaN,
          dropped: stormed.reduce((n, r) => n + r.dropped, 0), reconnected, failed, retries, firstError: stormed.find((r) => r.firstError)?.firstError,
          messages, duplicateIds, unexpectedCloses,
        };
        results.push(result);
        const bad = rampFailed > 0 || failed > 0 || reconnected !== stormSize || duplicateIds > 0 || unexpectedCloses > 0 || afterStorm.sockets !== sockets ||
          (messages !== undefined && (messages.once !== messages.posted || messages.postFailed > 0));
        if (bad) invalid++;
        out(`  ${label.padEnd(11)} storm: ${int(result.dropped)} dropped, ${int(reconnected)} back in ${(recoveryMs / 1000).toFixed(2)} s (window ${stormMs / 1000} s)` +
          `, reconnect p50 ${ms(result.reconnectP50)} / p99 ${ms(result.reconnectP99)} / max ${ms(result.reconnectMax)} ms (${int(over(latencies, 1000))} over 1 s, ${int(over(latencies, 3000))} over 3 s), ${retries} retries${failed ? `, ${failed} FAILED` : ''}${errorText ? ` (${errorText})` : ''}` +
          `${overflows === undefined ? '' : `; ${int(overflows)} connection attempts dropped by a full accept queue (TcpExt ListenOverflows)`}` +
          `; server ${cores(stormCpu.server)} core, clients ${cores(stormCpu.load)}, others ${others(stormCpu)}; event-loop lag p99 ${ms(afterStorm.eld.p99)} ms (max ${ms(afterStorm.eld.max)}); server holds ${int(afterStorm.sockets)}` +
          `${messages ? `; ${messages.posted} messages posted during the storm: ${messages.once} arrived once, ${messages.lost} lost, ${messages.twice} more than once${messages.postFailed ? `, ${messages.postFailed} posts failed` : ''}` : ''}` +
          `; ${duplicateIds} duplicate activities, ${unexpectedCloses} unexpected closes${bad ? '  INVALID' : ''}`);

        await all(clients.map(() => ({ type: 'close' })), 'closed');
        await server.stop();
        // What the server logged as warnings or errors, but the expected one (web chat is not routed here).
        const logged = server.stdout.filter((l) => l.startsWith('{"level":') && !l.includes('could not be routed'));
        if (logged.length > 0) out(`  ${label.padEnd(11)} logged ${logged.length} warning(s)/error(s), e.g. ${logged[0]!.slice(0, 400)}`);
        server = undefined;
      }
    }
    return report(results, targets, sockets, stormSize, invalid, loadBefore, profile, profileDir);
  } finally {
    if (server) await server.stop().catch(() => undefined);
    for (const c of clients) c.kill();
    forgetClients();
    forgetCleanup();
    if (process.env.B8_KEEP === '1') out(`data directory kept: ${dataDir}`);
    else removeDataDir();
  }
}

/** Token refresh for every conversation (POST /v3/directline/tokens/refresh), as clients do every 15 minutes. */
async function refreshTokens(conversations: DirectLineConversation[], baseUrl: string): Promise<void> {
  const http = new KeepAliveClient(baseUrl, { connections: 32 });
  try {
    const fresh = await inParallel(conversations, 32, (c) => http.json<{ token: string }>('POST', '/v3/directline/tokens/refresh', { authorization: `Bearer ${c.token}` }, undefined, [200]));
    conversations.forEach((c, i) => Object.assign(c, { token: fresh[i]!.token }));
  } finally {
    http.close();
  }
}

/**
 * Agent messages posted during the storm, spread over its window: half to conversations whose
 * socket dropped, half to others. Each text is unique (`b8 r<round> <n>`).
 */
async function postDuringStorm(
  baseUrl: string, key: string, tenantId: string, agentId: string, conversations: DirectLineConversation[],
  stormSize: number, count: number, windowMs: number, round: number,
): Promise<{ texts: string[]; failed: number }> {
  const http = new KeepAliveClient(baseUrl, { connections: 16 });
  const headers = { authorization: `Bearer ${key}`, 'content-type': 'application/json' };
  const texts: string[] = [];
  let failed = 0;
  const start = performance.now();
  const pending: Promise<void>[] = [];
  try {
    for (let n = 0; n < count; n++) {
      const wait = start + (n / count) * windowMs - performance.now();
      if (wait > 0) await sleep(wait);
      const droppedOne = n % 2 === 0 || stormSize >= conversations.length;
      const index = droppedOne ? (n * 7919) % stormSize : stormSize + ((n * 7919) % (conversations.length - stormSize));
      const text = `b8 r${round} ${n}`;
      texts.push(text);
      pending.push(http.request('POST', `/v1/tenants/${tenantId}/conversations/${conversations[index]!.conversationId}/messages`, headers,
        JSON.stringify({ senderRole: 'agent', senderId: agentId, text })).then((a) => {
        if (a.status !== 201) failed++;
      }, () => {
        failed++;
      }));
    }
    await Promise.all(pending);
  } finally {
    http.close();
  }
  return { texts, failed };
}

function report(results: TargetRound[], targets: TargetKey[], sockets: number, stormSize: number, invalid: number, loadBefore: number[], profile: boolean, profileDir: string): boolean {
  const of = (key: TargetKey) => results.filter((r) => r.key === key);
  const med = (key: TargetKey, pick: (r: TargetRound) => number) => median(of(key).map(pick));
  const rssPer = (r: TargetRound) => (r.afterHold.rss - r.before.rss) / sockets;
  const heapPer = (r: TargetRound) => (r.afterHold.heapUsed - r.before.heapUsed) / sockets;
  out('\nper round');
  out(table([
    ['round', 'server', 'RSS before MB', 'RSS after MB', 'KB/conn RSS', 'KB/conn heap', 'ramp s', 'recovery s', 'reconnect p99 ms', 'lag p99 ramp/hold/storm ms', 'storm server cores'],
    ...results.map((r, i) => [
      String(Math.floor(i / targets.length) + 1), r.key === 'bare' ? 'bare ws' : 'switchboard', mb(r.before.rss), mb(r.afterHold.rss), kb(rssPer(r)), kb(heapPer(r)),
      (r.rampMs / 1000).toFixed(1), (r.recoveryMs / 1000).toFixed(2), ms(r.reconnectP99), `${ms(r.afterRamp.eld.p99)}/${ms(r.afterHold.eld.p99)}/${ms(r.afterStorm.eld.p99)}`, cores(r.stormCpu.server),
    ]),
  ]).split('\n').map((l) => `  ${l}`).join('\n'));
  out(`  load average before ${loadBefore.map((n) => n.toFixed(2)).join(' ')}, after ${loadavg().map((n) => n.toFixed(2)).join(' ')}`);
  if (profile) out(`  CPU profiles of the Switchboard processes in ${profileDir}/`);

  out('');
  if (profile) out('B8 (profiling run: the figures below were measured under --cpu-prof and are not results)');
  const has = (key: TargetKey) => of(key).length > 0;
  if (has('sb') && has('bare')) {
    const ratio = med('sb', rssPer) / med('bare', rssPer);
    out(`B8 RSS per connection at ${int(sockets)} idle sockets: Switchboard ${kb(med('sb', rssPer))} KB vs bare ws ${kb(med('bare', rssPer))} KB = ${ratio.toFixed(2)}x (target <= ${RSS_TARGET}x) ${ratio <= RSS_TARGET ? 'PASS' : 'MISS'} | heap per connection ${kb(med('sb', heapPer))} vs ${kb(med('bare', heapPer))} KB | server RSS with all sockets ${mb(med('sb', (r) => r.afterHold.rss))} vs ${mb(med('bare', (r) => r.afterHold.rss))} MB`);
    const storm = med('sb', (r) => r.recoveryMs) / med('bare', (r) => r.recoveryMs);
    const sb = of('sb');
    const lost = sb.reduce((n, r) => n + (r.messages?.lost ?? 0) + (r.messages?.twice ?? 0) + r.duplicateIds + r.failed, 0);
    const posted = sb.reduce((n, r) => n + (r.messages?.posted ?? 0), 0);
    out(`B8 reconnect storm of ${int(stormSize)}: Switchboard recovered in ${(med('sb', (r) => r.recoveryMs) / 1000).toFixed(2)} s vs bare ws ${(med('bare', (r) => r.recoveryMs) / 1000).toFixed(2)} s = ${storm.toFixed(2)}x (target <= ${STORM_TARGET}x) ${storm <= STORM_TARGET && lost === 0 ? 'PASS' : 'MISS'} | per reconnect p50 ${ms(med('sb', (r) => r.reconnectP50))} vs ${ms(med('bare', (r) => r.reconnectP50))} ms, p99 ${ms(med('sb', (r) => r.reconnectP99))} vs ${ms(med('bare', (r) => r.reconnectP99))} ms | nothing lost: ${posted} messages posted during the storms, ${lost === 0 ? 'each arrived exactly once, no activity twice' : `${lost} lost, duplicated or failed`}`);
  }
  if (has('sb')) {
    const lag = med('sb', (r) => r.afterStorm.eld.p99);
    out(`B8 event-loop lag p99 during the storm: Switchboard ${ms(lag)} ms (target <= ${LAG_TARGET_MS} ms) ${lag <= LAG_TARGET_MS ? 'PASS' : 'MISS'} | ramp ${ms(med('sb', (r) => r.afterRamp.eld.p99))} ms, idle hold ${ms(med('sb', (r) => r.afterHold.eld.p99))} ms${has('bare') ? ` | bare ws: storm ${ms(med('bare', (r) => r.afterStorm.eld.p99))}, ramp ${ms(med('bare', (r) => r.afterRamp.eld.p99))}, hold ${ms(med('bare', (r) => r.afterHold.eld.p99))} ms` : ''}`);
    out(`B8 ramp to ${int(sockets)} (for information): Switchboard ${(med('sb', (r) => r.rampMs) / 1000).toFixed(1)} s${has('bare') ? ` vs bare ws ${(med('bare', (r) => r.rampMs) / 1000).toFixed(1)} s` : ''}`);
  }
  if (invalid > 0) out(`\nB8 INVALID: ${invalid} measurement(s) failed sockets, lost or duplicated messages, or ended with another socket count (see the round lines)`);
  return invalid === 0;
}

function header(buildNote: string, pinning: Pinning, s: {
  wanted: number; sockets: number; limit: number | undefined; stormSize: number; stormMs: number; stormMessages: number; mode: string;
  rounds: number; holdMs: number; heartbeatMs: number; clientCount: number; concurrency: number; backlog: number | undefined;
}): void {
  out('B8 connection scale and reconnect storm: idle Direct Line streams on Switchboard vs a bare ws server, same run');
  for (const line of machineLines(ROOT, buildNote, pinning)) out(line);
  out(`  open files per process (ulimit -n): ${s.limit ?? 'unknown'} (soft limit, inherited by the servers; raising it needs CAP_SYS_RESOURCE or a higher hard limit)` +
    `${s.sockets < s.wanted ? `: ${int(s.wanted)} sockets asked for, ${int(s.sockets)} used (${FD_RESERVE} descriptors left for the server's own files)` : ''}`);
  out(`  ${int(s.sockets)} sockets held by ${s.clientCount} client processes (each measurement from fresh source addresses 127.<n>.<client>.2), ${s.concurrency} handshakes in flight per client during the ramp; keep-alive every ${s.heartbeatMs / 1000} s; hold ${s.holdMs / 1000} s`);
  out(`  storm: ${int(s.stormSize)} sockets dropped at once, reconnecting ${s.stormMs > 0 ? `at random within ${s.stormMs / 1000} s` : 'all at once'}, resuming by watermark (${s.mode === 'get' ? 'GET /v3/directline/conversations/{id}?watermark=w, then the new streamUrl' : 'the old streamUrl with &watermark=w'}); ${s.stormMessages} agent messages posted during it; ${s.rounds} rounds (order alternates)`);
  out(`  listen backlog of both servers: ${s.backlog ?? "Node's default (511), as serve listens"}; net.core.somaxconn ${somaxconn() ?? 'unknown'} caps it`);
}

/** Cores other processes used on the server's / the clients' CPU: the noise of a shared machine. */
const others = (use: CpuUse) => `${cores(use.othersOnServerCpu)}/${cores(use.othersOnLoadCpu)}`;
const over = (values: Float64Array, limit: number) => values.reduce((n, v) => (v > limit ? n + 1 : n), 0);
function somaxconn(): string | undefined {
  try {
    return readFileSync('/proc/sys/net/core/somaxconn', 'utf8').trim();
  } catch {
    return undefined;
  }
}
const mb = (bytes: number) => (bytes / 1024 / 1024).toFixed(0);
const kb = (bytes: number) => (bytes / 1024).toFixed(1);

function sleep(msec: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, msec));
}
