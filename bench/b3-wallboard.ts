import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Command, Counts, Reply } from './b3/wallboard-client.js';
import { cpuWindow, type CpuUse } from './lib/cpu.js';
import { CommandChild, onExit, pinCores, startServer, type ServerProcess } from './lib/processes.js';
import { machineLines, setting } from './lib/settings.js';
import { cores, int, LatencyHistogram, median, ms, pct, table } from './lib/stats.js';
import { switchboardEnv } from './lib/switchboard.js';

/**
 * B3, wallboard fan-out (docs/BENCHMARKS.md, design/BENCHMARKS.md): 200 supervisor sockets on the
 * wallboard feed of one tenant with 20 queues while the routing state changes about 2,000 times a
 * second, against a bare `ws` server broadcasting frames of the same sizes to the same sockets at
 * the feed's pace, in alternating rounds.
 *
 * Processes: Switchboard with its load generator (bench/b3/server.ts: assembled as `serve` does,
 * from src/ under tsx, SQLite WAL with group commit; the generator calls the use cases in the same
 * process) pinned to the server core; the sockets in a child process (bench/b3/wallboard-client.ts)
 * on the load generator's core with this process; the bare server (bench/servers/bare-ws-broadcast.mjs)
 * pinned to the server core in its rounds.
 *
 * A Switchboard round: a fresh server is seeded (the tenant, B3_QUEUES queues, B3_AGENTS agents, a
 * workstream), the load starts and runs for B3_WARMUP_SECONDS, the B3_SOCKETS sockets subscribe
 * (each gets its snapshot), then for B3_SECONDS the clients count frames, bytes and the latency of
 * every presence change they see (arrival - the change's presenceSince), while the server's
 * counters (bus events, operations, its own CPU) are read at both ends of the window. Then the
 * sockets close and, with B3_CONTROL=1 (the default), the same load runs another B3_SECONDS
 * without any wallboard: the difference in server CPU is what the feed costs.
 *
 * A bare round: the sizes of the frames socket 0 received in the last Switchboard round are
 * replayed by the bare server, one frame per B3_INTERVAL_MS to every socket for B3_SECONDS: the
 * fan-out the feed promises (4 frames a second per client), done by nothing but `ws`.
 *
 * Targets: frames/s received >= 70% of the bare server's; change -> frame p99 <= 500 ms; server
 * CPU <= 1 core (the server is pinned to one core, so at 2,000 changes/s the question is whether
 * the load was reached at all: the achieved rate is printed and judged too).
 *
 * Settings (environment): B3_ROUNDS (3), B3_SECONDS (20), B3_WARMUP_SECONDS (5), B3_SOCKETS (200),
 * B3_PARSING_SOCKETS (20: these parse every frame and take the latencies, the others only count),
 * B3_QUEUES (20), B3_AGENTS (200), B3_CAPACITY (5), B3_PRESENCE_RATE (changes/s, 300),
 * B3_ARRIVAL_RATE (new conversations/s, 190), B3_INTERVAL_MS (the feed's interval, 250),
 * B3_TARGET_RATE (2000, for the verdict), B3_CONTROL (1), B3_KEEP=1 (keep the data directories),
 * B3_PROFILE=1 (a V8 CPU profile of each Switchboard process in $TMPDIR/switchboard-b3-profiles;
 * figures measured under the profiler are not results), B3_VERBOSE=1.
 */

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const FRAMES_TARGET = 0.7;
const P99_TARGET_MS = 500;
const CPU_TARGET = 1;

function out(text: string): void {
  process.stdout.write(`${text}\n`);
}
function progress(text: string): void {
  if (process.env.B3_VERBOSE === '1') out(`    .. ${text}`);
}
function sleep(msec: number): Promise<void> {
  return new Promise((r) => setTimeout(r, msec));
}

/** What the server's `mark` line says (bench/b3/server.ts). */
interface Mark {
  readonly at: number;
  readonly cpuSeconds: number;
  readonly events: Record<string, number>;
  readonly changes: number;
  readonly ops: Record<string, number>;
  readonly inFlight: number;
  readonly maxInFlight: number;
  readonly waiting: number;
  readonly commitLatency: ReturnType<LatencyHistogram['toJSON']>;
  readonly eld: { readonly p50: number; readonly p99: number; readonly max: number };
  readonly errors: [string, number][];
}

/** The load between two marks. */
interface LoadWindow {
  readonly seconds: number;
  readonly changesPerSecond: number;
  readonly serverCores: number;
  readonly perSecond: Record<string, number>;
  readonly eventsPerSecond: Record<string, number>;
  readonly commitP99: number;
  readonly end: Mark;
  readonly cpu: CpuUse;
}

interface SbRound {
  readonly key: 'sb';
  readonly clients: Counts;
  readonly load: LoadWindow;
  readonly control: LoadWindow | undefined;
  readonly snapshot: { readonly p50: number; readonly max: number; readonly bytes: number };
}
interface BareRound {
  readonly key: 'bare';
  readonly clients: Counts;
  readonly seconds: number;
  readonly serverCores: number;
  readonly cpu: CpuUse;
}
type Round = SbRound | BareRound;

async function nextLine(server: ServerProcess, prefix: string, signal: boolean, timeoutMs = 60_000): Promise<string> {
  const from = server.stdout.length;
  if (signal) process.kill(server.pid, 'SIGUSR2');
  const deadline = performance.now() + timeoutMs;
  for (;;) {
    for (let i = from; i < server.stdout.length; i++) if (server.stdout[i]!.startsWith(prefix)) return server.stdout[i]!.slice(prefix.length);
    if (performance.now() > deadline) throw new Error(`${server.name} printed no "${prefix.trim()}" line within ${timeoutMs / 1000} s`);
    await sleep(10);
  }
}
const mark = async (server: ServerProcess): Promise<Mark> => JSON.parse(await nextLine(server, 'mark ', true)) as Mark;

function window(a: Mark, b: Mark, cpu: CpuUse): LoadWindow {
  const seconds = (b.at - a.at) / 1000;
  const rate = (x: Record<string, number>, y: Record<string, number>) => Object.fromEntries(Object.keys(y).map((k) => [k, ((y[k] ?? 0) - (x[k] ?? 0)) / seconds]));
  return {
    seconds, changesPerSecond: (b.changes - a.changes) / seconds, serverCores: (b.cpuSeconds - a.cpuSeconds) / seconds,
    perSecond: rate(a.ops, b.ops), eventsPerSecond: rate(a.events, b.events), commitP99: LatencyHistogram.merge([b.commitLatency]).quantile(0.99), end: b, cpu,
  };
}

function expect<T extends Reply['type']>(reply: Reply, type: T): Extract<Reply, { type: T }> {
  if (reply.type === 'error') throw new Error(reply.message);
  if (reply.type !== type) throw new Error(`wallboard client answered ${reply.type}, expected ${type}`);
  return reply as Extract<Reply, { type: T }>;
}

export async function runB3(): Promise<boolean> {
  const s = {
    rounds: Math.round(setting('B3_ROUNDS', 3)), seconds: setting('B3_SECONDS', 20), warmup: setting('B3_WARMUP_SECONDS', 5, true),
    sockets: Math.round(setting('B3_SOCKETS', 200)), parsing: Math.round(setting('B3_PARSING_SOCKETS', 20)), queues: Math.round(setting('B3_QUEUES', 20)), agents: Math.round(setting('B3_AGENTS', 200)),
    capacity: Math.round(setting('B3_CAPACITY', 5)), presenceRate: setting('B3_PRESENCE_RATE', 300, true), arrivalRate: setting('B3_ARRIVAL_RATE', 190, true),
    intervalMs: Math.round(setting('B3_INTERVAL_MS', 250)), targetRate: setting('B3_TARGET_RATE', 2000), control: process.env.B3_CONTROL !== '0',
  };
  const profile = process.env.B3_PROFILE === '1';
  const profileDir = join(tmpdir(), 'switchboard-b3-profiles');
  if (profile) mkdirSync(profileDir, { recursive: true });
  const pinning = pinCores();
  const loadBefore = loadavg();
  out('B3 wallboard fan-out: 200 supervisor sockets on the wallboard feed under routing load vs a bare ws broadcast of the same frames, same run');
  for (const line of machineLines(ROOT, 'Switchboard runs from src/ under tsx (no build needed)', pinning)) out(line);
  out(`  tenant: ${s.queues} queues, ${s.agents} agents (capacity ${s.capacity}, two queues each); load: ${s.presenceRate} presence changes/s + ${s.arrivalRate} new conversations/s, each offered, accepted (90%) or rejected, closed 0.5-2 s later`);
  out(`  ${s.sockets} sockets (one client process on the load generator's core, ${s.parsing} of them parse every frame and take the latencies); feed interval ${s.intervalMs} ms; ${s.rounds} rounds of ${s.seconds} s after ${s.warmup} s of warm-up; control without wallboards: ${s.control ? 'yes' : 'no'}`);

  const clients = new CommandChild<Command, Reply>('wallboard clients', join(ROOT, 'bench/b3/wallboard-client.ts'));
  const call = async <T extends Reply['type']>(command: Command, type: T) => expect(await clients.call(command), type);
  const dirs: string[] = [];
  const removeDirs = () => {
    if (process.env.B3_KEEP !== '1') for (const d of dirs) rmSync(d, { recursive: true, force: true });
  };
  const forget = onExit(removeDirs);
  const results: Round[] = [];
  let sizes: number[] | undefined;
  let invalid = 0;
  let server: ServerProcess | undefined;
  try {
    for (let round = 1; round <= s.rounds; round++) {
      const order: Round['key'][] = round === 1 || round % 2 === 1 ? ['sb', 'bare'] : ['bare', 'sb'];
      for (const key of order) {
        const dataDir = mkdtempSync(join(tmpdir(), 'sb-bench-b3-'));
        dirs.push(dataDir);
        if (key === 'sb') {
          const started = await startServer({
            name: 'switchboard', command: process.execPath, args: [...(profile ? ['--cpu-prof', `--cpu-prof-dir=${profileDir}`] : []), '--import', 'tsx', join(ROOT, 'bench/b3/server.ts')], cwd: ROOT,
            env: {
              ...switchboardEnv(dataDir), SWITCHBOARD_WALLBOARD_INTERVAL_MS: String(s.intervalMs), B3_AGENTS: String(s.agents), B3_QUEUES: String(s.queues),
              B3_CAPACITY: String(s.capacity), B3_PRESENCE_RATE: String(s.presenceRate), B3_ARRIVAL_RATE: String(s.arrivalRate),
            },
            ready: /^ready (\S+) (\S+) (\S+)$/, pinning, timeoutMs: 180_000,
          });
          server = started.server;
          const [, baseUrl, key_, tenantId] = started.readyLine as unknown as [string, string, string, string];
          progress('seeded; load starting');
          await mark(server);
          await sleep(s.warmup * 1000);
          const opened = await call({ type: 'open', mode: 'sb', url: `${baseUrl.replace(/^http/, 'ws')}/v1/stream`, headers: { authorization: `Bearer ${key_}` }, tenantId, sockets: s.sockets, parsing: s.parsing, concurrency: 20 }, 'opened');
          progress(`${opened.sockets} sockets subscribed in ${ms(opened.ms)} ms`);
          await sleep(1000);
          const cpu = cpuWindow(server, pinning, () => clients.cpuSeconds());
          const a = await mark(server);
          await call({ type: 'start', intervalMs: s.intervalMs }, 'started');
          await sleep(s.seconds * 1000);
          const counts = await call({ type: 'stop' }, 'stopped');
          const b = await mark(server);
          const load = window(a, b, cpu());
          await call({ type: 'close' }, 'closed');
          let control: LoadWindow | undefined;
          if (s.control) {
            await sleep(1000);
            const controlCpu = cpuWindow(server, pinning, () => clients.cpuSeconds());
            const c = await mark(server);
            await sleep(s.seconds * 1000);
            control = window(c, await mark(server), controlCpu());
          }
          await server.stop();
          const logged = server.stdout.filter((l) => l.startsWith('{"level":'));
          server = undefined;
          const result: SbRound = { key: 'sb', clients: counts, load, control, snapshot: { p50: opened.snapshotMs.p50, max: opened.snapshotMs.max, bytes: opened.snapshotBytes } };
          results.push(result);
          sizes = counts.sizes;
          const bad = counts.problems.length > 0 || counts.frames === 0 || logged.length > 0;
          if (bad) invalid++;
          printSb(round, result, s, bad ? [...counts.problems, ...logged.slice(0, 3)] : []);
        } else {
          if (!sizes || sizes.length === 0) {
            out(`  round ${round} bare ws: skipped (no Switchboard frame sizes recorded yet)`);
            continue;
          }
          const sizesFile = join(dataDir, 'sizes.json');
          writeFileSync(sizesFile, JSON.stringify(sizes));
          const started = await startServer({
            name: 'bare ws broadcast', command: process.execPath, args: [join(ROOT, 'bench/servers/bare-ws-broadcast.mjs')], cwd: ROOT,
            env: { ...process.env, B3_SIZES_FILE: sizesFile, B3_INTERVAL_MS: String(s.intervalMs), B3_SECONDS: String(s.seconds) },
            ready: /^listening (\d+)$/, pinning,
          });
          server = started.server;
          await call({ type: 'open', mode: 'bare', url: `ws://127.0.0.1:${started.readyLine[1]}/`, headers: {}, tenantId: '', sockets: s.sockets, parsing: s.parsing, concurrency: 20 }, 'opened');
          await sleep(1000);
          const cpu = cpuWindow(server, pinning, () => clients.cpuSeconds());
          await call({ type: 'start', intervalMs: s.intervalMs }, 'started');
          const done = JSON.parse(await nextLine(server, 'done ', true, (s.seconds + 60) * 1000)) as { frames: number; ticks: number; cpuSeconds: number; seconds: number };
          await sleep(200); // the last frames in flight
          const counts = await call({ type: 'stop' }, 'stopped');
          const use = cpu();
          await call({ type: 'close' }, 'closed');
          await server.stop();
          server = undefined;
          // Its window is the ticks it sent times the interval (from the first send to an interval after the last).
          const seconds = (done.ticks * s.intervalMs) / 1000;
          const result: BareRound = { key: 'bare', clients: counts, seconds, serverCores: done.cpuSeconds / seconds, cpu: use };
          results.push(result);
          if (counts.problems.length > 0 || counts.frames < done.frames) invalid++;
          printBare(round, result, done.frames, s);
        }
      }
    }
    if (profile) out(`  CPU profiles of the Switchboard processes in ${profileDir}/ (read with bench/tools/cpuprofile-summary.ts); the figures below were measured under the profiler and are not results`);
    return report(results, s, invalid, loadBefore);
  } finally {
    if (server) await server.stop().catch(() => undefined);
    clients.kill();
    forget();
    removeDirs();
  }
}

type Settings = { sockets: number; intervalMs: number; targetRate: number; seconds: number };

const framesPerSecond = (r: Round) => r.clients.frames / (r.key === 'bare' ? r.seconds : r.clients.seconds);
const latencyOf = (r: Round) => LatencyHistogram.merge([r.clients.latency]);
const others = (use: CpuUse) => `${cores(use.othersOnServerCpu)}/${cores(use.othersOnLoadCpu)}`;
const mbps = (bytes: number, seconds: number) => (bytes / seconds / 1e6).toFixed(1);

function printSb(round: number, r: SbRound, s: Settings, problems: string[]): void {
  const l = r.load;
  const h = latencyOf(r);
  const ops = l.perSecond;
  out(`  round ${round} switchboard: ${int(framesPerSecond(r))} frames/s to ${s.sockets} sockets (${(framesPerSecond(r) / s.sockets).toFixed(2)} per socket, ${r.clients.early} early, min gap ${ms(r.clients.minGapMs)} ms), ${mbps(r.clients.bytes, r.clients.seconds)} MB/s, mean frame ${int(r.clients.bytes / Math.max(1, r.clients.frames))} B` +
    `; change -> frame p50 ${ms(h.quantile(0.5))} / p99 ${ms(h.quantile(0.99))} / max ${ms(h.max)} ms over ${int(h.count)} sightings` +
    `; ${int(l.changesPerSecond)} routing state changes/s (presence ${int(ops.presence ?? 0)}, arrivals ${int(ops.arrivals ?? 0)}, accepts ${int(ops.accepts ?? 0)}, rejects ${int(ops.rejects ?? 0)}, closes ${int(ops.closes ?? 0)}, stale answers ${int(ops.answersStale ?? 0)}, skipped ${int(ops.skipped ?? 0)}/s; ${l.end.waiting} waiting, ${l.end.inFlight} in flight)` +
    `; presence commit p99 ${ms(l.commitP99)} ms; server ${cores(l.cpu.server)} core (its own count ${cores(l.serverCores)}), clients ${cores(l.cpu.load)}, others ${others(l.cpu)}; event-loop lag p99 ${ms(l.end.eld.p99)} ms` +
    `; snapshots ${int(r.snapshot.bytes)} B, subscribe -> snapshot p50 ${ms(r.snapshot.p50)} / max ${ms(r.snapshot.max)} ms` +
    (r.control ? `; without wallboards: ${int(r.control.changesPerSecond)} changes/s, server ${cores(r.control.cpu.server)} core, others ${others(r.control.cpu)}` : '') +
    (problems.length > 0 ? `  INVALID: ${problems.join('; ')}` : ''));
  const errors = [...l.end.errors, ...(r.control?.end.errors ?? [])];
  if (errors.length > 0) progress(`generator errors so far: ${errors.map(([m, n]) => `${n}x ${m}`).join(', ')}`);
  progress(`events/s: ${Object.entries(l.eventsPerSecond).filter(([, v]) => v > 0).map(([k, v]) => `${k} ${int(v)}`).join(', ')}`);
}

function printBare(round: number, r: BareRound, sent: number, s: Settings): void {
  const h = latencyOf(r);
  out(`  round ${round} bare ws:     ${int(framesPerSecond(r))} frames/s to ${s.sockets} sockets (${int(r.clients.frames)} of ${int(sent)} sent, ${r.clients.early} early), ${mbps(r.clients.bytes, r.seconds)} MB/s` +
    `; send -> receive p50 ${ms(h.quantile(0.5))} / p99 ${ms(h.quantile(0.99))} / max ${ms(h.max)} ms; server ${cores(r.cpu.server)} core, clients ${cores(r.cpu.load)}, others ${others(r.cpu)}`);
}

function report(results: Round[], s: Settings, invalid: number, loadBefore: number[]): boolean {
  const sb = results.filter((r): r is SbRound => r.key === 'sb');
  const bare = results.filter((r): r is BareRound => r.key === 'bare');
  const med = <R extends Round>(rs: R[], pick: (r: R) => number) => median(rs.map(pick));
  out('\nper round (medians below)');
  out(table([
    ['target', 'frames/s', 'MB/s', 'p50 ms', 'p99 ms', 'changes/s', 'server cores', 'others (server/load cpu)'],
    ...results.map((r) => [
      r.key === 'sb' ? 'switchboard' : 'bare ws', int(framesPerSecond(r)), mbps(r.clients.bytes, r.key === 'sb' ? r.clients.seconds : r.seconds),
      ms(latencyOf(r).quantile(0.5)), ms(latencyOf(r).quantile(0.99)), r.key === 'sb' ? int(r.load.changesPerSecond) : '',
      cores(r.key === 'sb' ? r.load.cpu.server : r.cpu.server), others(r.key === 'sb' ? r.load.cpu : r.cpu),
    ]),
  ]).split('\n').map((l) => `  ${l}`).join('\n'));
  out(`  load average before ${loadBefore.map((n) => n.toFixed(2)).join(' ')}, after ${loadavg().map((n) => n.toFixed(2)).join(' ')}`);
  out('');
  if (sb.length > 0 && bare.length > 0) {
    const ratio = med(sb, framesPerSecond) / med(bare, framesPerSecond);
    out(`B3 wallboard frames/s: Switchboard ${int(med(sb, framesPerSecond))} vs bare ws broadcast ${int(med(bare, framesPerSecond))} = ${pct(ratio)} (target >= ${pct(FRAMES_TARGET)}) ${ratio >= FRAMES_TARGET ? 'PASS' : `MISS by ${((FRAMES_TARGET - ratio) * 100).toFixed(1)} points`}` +
      ` | ${(med(sb, framesPerSecond) / s.sockets).toFixed(2)} frames/s per socket (at most ${(1000 / s.intervalMs).toFixed(0)}), ${sb.reduce((n, r) => n + r.clients.early, 0)} within less than the interval | ${mbps(med(sb, (r) => r.clients.bytes / r.clients.seconds), 1)} vs ${mbps(med(bare, (r) => r.clients.bytes / r.seconds), 1)} MB/s`);
  }
  if (sb.length > 0) {
    const p99 = med(sb, (r) => latencyOf(r).quantile(0.99));
    out(`B3 state change -> frame p99: ${ms(p99)} ms (target <= ${P99_TARGET_MS} ms) ${p99 <= P99_TARGET_MS ? 'PASS' : 'MISS'} | p50 ${ms(med(sb, (r) => latencyOf(r).quantile(0.5)))} ms, p99.9 ${ms(med(sb, (r) => latencyOf(r).quantile(0.999)))} ms` +
      `${bare.length > 0 ? ` | bare ws send -> receive p99 ${ms(med(bare, (r) => latencyOf(r).quantile(0.99)))} ms` : ''} | presence commit p99 ${ms(med(sb, (r) => r.load.commitP99))} ms`);
    const cpu = med(sb, (r) => r.load.cpu.server ?? r.load.serverCores);
    const saturated = cpu >= 0.95;
    const withControl = sb.filter((r) => r.control);
    out(`B3 server CPU: ${cores(cpu)} core (target <= ${CPU_TARGET} core) ${cpu <= CPU_TARGET && !saturated ? 'PASS' : saturated ? 'MISS (saturated: the server is pinned to one core)' : 'MISS'}` +
      (withControl.length > 0 ? ` | the same load without wallboards ${cores(med(withControl, (r) => r.control!.cpu.server ?? r.control!.serverCores))} core: the feed for ${s.sockets} sockets costs ${cores(med(withControl, (r) => (r.load.cpu.server ?? 0) - (r.control!.cpu.server ?? 0)))} core` : '') +
      ` | others on the server's core ${cores(med(sb, (r) => r.load.cpu.othersOnServerCpu ?? 0))}`);
    const rate = med(sb, (r) => r.load.changesPerSecond);
    out(`B3 routing state changes committed: ${int(rate)}/s (target ${int(s.targetRate)}/s) ${rate >= s.targetRate * 0.98 ? 'PASS' : `MISS (${pct(rate / s.targetRate)} of the target)`}` +
      ` | counted as the feed counts them: routing.*, agent.*, queue.*, participant.*, conversation.state_changed events on the bus`);
  }
  if (invalid > 0) out(`\nB3 INVALID: ${invalid} round(s) had lost or out-of-order frames, closed sockets, error frames or server errors (see the round lines)`);
  return invalid === 0;
}
