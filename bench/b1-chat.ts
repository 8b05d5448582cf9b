import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import Database from 'better-sqlite3';
import WebSocket from 'ws';
import { cpuWindow, quantile, type CpuUse } from './lib/cpu.js';
import { createWebchatChannel, startConversations, type DirectLineConversation } from './lib/directline.js';
import { inParallel, KeepAliveClient } from './lib/http-client.js';
import { onExit, pinCores, startServer, type Pinning, type ServerProcess } from './lib/processes.js';
import { cores, int, median, ms, shuffled, table } from './lib/stats.js';
import { apiClient, ensureBuilt, startSwitchboard } from './lib/switchboard.js';
import { machineLines, setting } from './lib/settings.js';

/**
 * B1, chat message end to end (docs/BENCHMARKS.md, design/BENCHMARKS.md): customers on Direct
 * Line 3.0 -> the server -> agents on the event stream, against a bare `ws` relay measured in the
 * same run, in interleaved rounds.
 *
 * Switchboard: the built server (`dist/cli/main.js serve`), SQLite in WAL mode with group commit.
 * 1,000 customers, each a Direct Line conversation started as a client starts one (token from the
 * channel's secret, start, stream socket open at `streamUrl`); they send their messages as Direct
 * Line clients do, `POST /v3/directline/conversations/{id}/activities` (over keep-alive
 * connections), each authenticated by its token, validated, committed and answered with its
 * `{id}` (conversation|sequence), and echoed on the customer's own stream. 100 agents, each one
 * `/v1/stream` socket subscribed to its 10 conversations (the agent is a participant of each);
 * a message's latency is from its scheduled send time to the agent socket's receipt of its
 * `message.created` event.
 *
 * Baseline: `bench/servers/bare-ws-relay.mjs`, the same 1,000 + 100 sockets, the same 200-byte
 * text sent on customer socket A and relayed unchanged to agent socket B (no validation, no
 * storage, no answer).
 *
 * Both are driven the same way: open-loop (a fixed schedule; latency counts from the scheduled
 * time, so queueing in the client or server is not hidden), the rate swept in steps (x1.25 until
 * two rates in a row have p99 > 50 ms, each tried twice, then two bisections); the max rate is the highest step with p99 <= 50 ms,
 * every message delivered exactly once and no failed request. Targets: Switchboard's max >= 50%
 * of the relay's; at half the relay's max, Switchboard's p99 <= 2x the relay's.
 *
 * For information, `http-relay` (in B1_TARGETS) measures the same relay fed by HTTP POSTs of the
 * very activity JSON Switchboard gets (a keep-alive POST in, the body relayed as one frame, a
 * `{id}` answer): what the transport alone costs, without validation or storage.
 *
 * Settings (environment): B1_ROUNDS (5), B1_STEP_SECONDS (3), B1_AGENTS (100), B1_PER_AGENT
 * conversations per agent (10), B1_HTTP_CONNECTIONS keep-alive connections for the POSTs (256),
 * B1_START_RATE_SB (200/s) and B1_START_RATE_RELAY (2000/s) for the first round (later rounds
 * start at 60% of the median max so far), B1_P99_MS (50), B1_TARGETS (relay,sb; also http-relay), B1_BUILD (auto |
 * always | never), B1_KEEP=1 (keep the data directory), B1_PROFILE=1 (a V8 CPU profile of the
 * Switchboard process in $TMPDIR/switchboard-b1-profiles; figures measured under the profiler are
 * not results), B1_SERVER_ENTRY (another build's `cli/main.js`, for an A/B), B1_VERBOSE=1.
 */

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const RATE_TARGET = 0.5;
const P99_TARGET_FACTOR = 2;
const MESSAGE_BYTES = 200;
const STEP_FACTOR = 1.25;
const BISECTIONS = 2;
/** A step that has not delivered everything this long after its last send has lost messages. */
const HARD_DRAIN_MS = 60_000;

type LaneKey = 'relay' | 'http-relay' | 'sb';

function out(text: string): void {
  process.stdout.write(`${text}\n`);
}

/** One step's messages: scheduled and received times by message number. */
class Step {
  readonly scheduled: Float64Array;
  readonly received: Float64Array;
  readonly acked: Float64Array;
  readonly echoed: Float64Array;
  receivedCount = 0;
  duplicates = 0;
  ackCount = 0;
  errors = 0;
  firstError: string | undefined;
  sent = 0;
  lagMax = 0;

  constructor(readonly id: number, readonly total: number) {
    this.scheduled = new Float64Array(total);
    this.received = new Float64Array(total);
    this.acked = new Float64Array(total);
    this.echoed = new Float64Array(total);
  }

  receive(k: number, at: number): void {
    if (k < 0 || k >= this.total) return;
    if (this.received[k] !== 0) {
      this.duplicates++;
      return;
    }
    this.received[k] = at;
    this.receivedCount++;
  }
}

/** The text of message k of step s: a marker, then filler to 200 bytes. */
function messageText(step: number, k: number): string {
  const head = `b1 ${step}:${k} `;
  return head + 'x'.repeat(MESSAGE_BYTES - head.length);
}
const MARKER = /b1 (\d+):(\d+) /;

interface Lane {
  readonly key: LaneKey;
  readonly label: string;
  readonly server: ServerProcess;
  /** Sends message k of the step from customer `customer`. */
  send(step: Step, k: number, customer: number): void;
  readonly customers: number;
  /** Messages are HTTP requests, each answered (counted as acks). */
  readonly http: boolean;
}

interface StepResult {
  readonly rate: number;
  readonly sent: number;
  readonly p50: number;
  readonly p99: number;
  readonly max: number;
  readonly ackP99: number | undefined;
  readonly echoP99: number | undefined;
  readonly missing: number;
  readonly duplicates: number;
  readonly errors: number;
  readonly lagMax: number;
  readonly cpu: CpuUse;
  readonly drainMs: number;
  readonly ok: boolean;
  readonly passed: boolean;
  readonly note: string | undefined;
}

interface RoundResult {
  readonly max: Record<LaneKey, number | undefined>;
  readonly atMax: Record<LaneKey, StepResult | undefined>;
  /** p99 of each lane at half the relay's max of this round. */
  readonly atHalfRelay: Record<LaneKey, StepResult | undefined>;
  readonly halfRate: number | undefined;
  /** The relay at Switchboard's max of this round (same rate, for information). */
  readonly relayAtSbMax: StepResult | undefined;
}

export async function runB1(): Promise<boolean> {
  const rounds = Math.round(setting('B1_ROUNDS', 5));
  const stepSeconds = setting('B1_STEP_SECONDS', 3);
  const agents = Math.round(setting('B1_AGENTS', 100));
  const perAgent = Math.round(setting('B1_PER_AGENT', 10));
  const httpConnections = Math.round(setting('B1_HTTP_CONNECTIONS', 256));
  const p99Limit = setting('B1_P99_MS', 50);
  const startRates: Record<LaneKey, number> = {
    sb: setting('B1_START_RATE_SB', 200), relay: setting('B1_START_RATE_RELAY', 2000), 'http-relay': setting('B1_START_RATE_RELAY', 2000),
  };
  const lanesWanted = (process.env.B1_TARGETS ?? 'relay,sb').split(',').map((s) => s.trim()).filter(Boolean) as LaneKey[];
  const verbose = process.env.B1_VERBOSE === '1';
  const profile = process.env.B1_PROFILE === '1';

  const build = ensureBuilt(ROOT, process.env.B1_BUILD);
  const pinning = pinCores();
  const dataDir = mkdtempSync(join(tmpdir(), 'sb-bench-b1-'));
  const removeDataDir = () => rmSync(dataDir, { recursive: true, force: true });
  const forgetCleanup = process.env.B1_KEEP === '1' ? () => false : onExit(removeDataDir);
  const profileDir = join(tmpdir(), 'switchboard-b1-profiles');
  const servers: ServerProcess[] = [];
  const sockets: WebSocket[] = [];
  const loadBefore = loadavg();
  header(build.note, pinning, { rounds, stepSeconds, agents, perAgent, httpConnections, p99Limit });

  const steps = new Map<number, Step>();
  let nextStepId = 1;
  let acked = 0;
  let tenantId = '';
  let http: KeepAliveClient | undefined;
  let closeRelay: (() => void) | undefined;
  try {
    if (profile) mkdirSync(profileDir, { recursive: true });
    const lanes: Lane[] = [];
    if (lanesWanted.includes('relay') || lanesWanted.includes('http-relay')) {
      const relay = await startRelay(pinning, agents, perAgent, httpConnections, steps, sockets, servers);
      closeRelay = relay.close;
      if (lanesWanted.includes('relay')) lanes.push(relay.ws);
      if (lanesWanted.includes('http-relay')) lanes.push(relay.http);
    }
    if (lanesWanted.includes('sb')) {
      // B1_SERVER_ENTRY: another build's cli/main.js, for an A/B (as B4_SERVER_ENTRY).
      const sb = await startSwitchboard({ entry: process.env.B1_SERVER_ENTRY ?? build.entry, dataDir, pinning, nodeArgs: profile ? ['--cpu-prof', `--cpu-prof-dir=${profileDir}`] : [] });
      servers.push(sb.server);
      http = new KeepAliveClient(sb.baseUrl, { connections: httpConnections });
      const lane = await setUpSwitchboard(sb, http, agents, perAgent, steps, sockets, () => acked++);
      tenantId = lane.tenantId;
      lanes.push(lane.lane);
    }
    if (lanes.length === 0) throw new Error('B1_TARGETS matched nothing (known: relay, sb)');
    const lane = (key: LaneKey) => lanes.find((l) => l.key === key);

    const runStep = async (l: Lane, rate: number, seconds: number, tag: string): Promise<StepResult> => {
      const result = await openLoopStep(l, rate, seconds, steps, nextStepId++, p99Limit, pinning);
      const verdict = !result.ok ? `INVALID (${result.note})` : result.passed ? 'pass' : 'over';
      out(`    ${tag.padEnd(10)} ${l.label.padEnd(11)} ${int(rate).padStart(6)}/s  p50 ${ms(result.p50).padStart(5)}  p99 ${ms(result.p99).padStart(5)}  max ${ms(result.max).padStart(5)} ms` +
        `${result.ackP99 !== undefined ? `  ack p99 ${ms(result.ackP99)}` : ''}${result.echoP99 !== undefined ? `  echo p99 ${ms(result.echoP99)}` : ''}` +
        `  server ${cores(result.cpu.server)}  loadgen ${cores(result.cpu.load)}  others ${cores(result.cpu.othersOnServerCpu)}/${cores(result.cpu.othersOnLoadCpu)}` +
        `${result.lagMax > 5 ? `  send lag max ${ms(result.lagMax)} ms` : ''}  ${verdict}`);
      await sleep(300);
      return result;
    };

    out(`\nwarm-up: ${stepSeconds} s per target at its start rate (discarded)`);
    for (const l of lanes) await runStep(l, startRates[l.key], stepSeconds, 'warm-up');

    const results: RoundResult[] = [];
    const maxima: Record<LaneKey, number[]> = { relay: [], 'http-relay': [], sb: [] };
    let invalid = 0;
    for (let round = 0; round < rounds; round++) {
      out(`\nround ${round + 1}/${rounds}`);
      const order = round % 2 === 0 ? lanes : [...lanes].reverse();
      const max: Record<LaneKey, number | undefined> = { relay: undefined, 'http-relay': undefined, sb: undefined };
      const atMax: Record<LaneKey, StepResult | undefined> = { relay: undefined, 'http-relay': undefined, sb: undefined };
      for (const l of order) {
        const start = maxima[l.key].length > 0 ? 0.6 * median(maxima[l.key]) : startRates[l.key];
        const swept = await sweep(start, (rate) => runStep(l, rate, stepSeconds, 'sweep'));
        invalid += swept.invalid;
        max[l.key] = swept.max;
        atMax[l.key] = swept.atMax;
        if (swept.max !== undefined) maxima[l.key].push(swept.max);
        out(`  ${l.label}: max ${swept.max === undefined ? 'none' : `${int(swept.max)}/s`} with p99 <= ${p99Limit} ms`);
      }
      const atHalfRelay: Record<LaneKey, StepResult | undefined> = { relay: undefined, 'http-relay': undefined, sb: undefined };
      const halfRate = max.relay !== undefined ? max.relay / 2 : undefined;
      let relayAtSbMax: StepResult | undefined;
      if (halfRate !== undefined) {
        for (const l of order) {
          // Far above its max, Switchboard gets a burst of as many messages as its max step had
          // (at the half-relay rate), not a whole step: the backlog of a whole step could take
          // minutes to drain. Its p99 is then the queueing of that burst.
          const own = max[l.key];
          const seconds = own !== undefined && halfRate > 1.2 * own ? Math.max(0.2, stepSeconds * own / halfRate) : stepSeconds;
          const r = await runStep(l, halfRate, seconds, seconds < stepSeconds ? 'half-burst' : 'half-relay');
          if (!r.ok) invalid++;
          atHalfRelay[l.key] = r;
        }
      }
      const relay = lane('relay');
      if (relay && max.sb !== undefined) {
        relayAtSbMax = await runStep(relay, max.sb, stepSeconds, 'at-sb-max');
        if (!relayAtSbMax.ok) invalid++;
      }
      results.push({ max, atMax, atHalfRelay, halfRate, relayAtSbMax });
      if (verbose) out(`  round ${round + 1} done`);
    }

    for (const s of sockets) s.terminate();
    const switchboardPid = servers.find((s) => s.name === 'switchboard')?.pid;
    for (const server of servers.splice(0)) await server.stop();
    const store = tenantId ? inspectStore(join(dataDir, 'switchboard.db'), tenantId, acked) : undefined;
    if (profile && switchboardPid !== undefined) out(`\nCPU profile of the Switchboard process (pid ${switchboardPid}) written to ${profileDir}/`);
    return report(results, lanes, store, invalid, loadBefore, p99Limit, profile);
  } finally {
    for (const s of sockets) s.terminate();
    http?.close();
    closeRelay?.();
    for (const server of servers) await server.stop().catch(() => undefined);
    forgetCleanup();
    if (process.env.B1_KEEP === '1') out(`data directory kept: ${dataDir}`);
    else removeDataDir();
  }
}

/**
 * x1.25 until two rates in a row fail (a rate fails when a second try fails too: a shared machine,
 * or a WAL checkpoint, stalls now and then), then two bisections between the highest passing rate
 * and the lowest failing one above it. A first rate that fails is halved until one passes.
 */
async function sweep(start: number, step: (rate: number) => Promise<StepResult>): Promise<{ max: number | undefined; atMax: StepResult | undefined; invalid: number }> {
  let invalid = 0;
  const attempt = async (rate: number): Promise<StepResult> => {
    let r = await step(rate);
    if (!r.ok) invalid++;
    if (r.ok && !r.passed) {
      r = await step(rate);
      if (!r.ok) invalid++;
    }
    return r;
  };
  let rate = start;
  let best: StepResult | undefined;
  let failAbove: number | undefined;
  let failsInRow = 0;
  for (let n = 0; n < 40; n++) {
    const r = await attempt(rate);
    if (r.passed) {
      if (!best || r.rate > best.rate) best = r;
      failsInRow = 0;
      failAbove = undefined;
    } else if (!best) {
      rate /= 2;
      if (rate < 10) break;
      continue;
    } else {
      failsInRow++;
      failAbove ??= rate;
      if (failsInRow >= 2) break;
    }
    rate *= STEP_FACTOR;
  }
  for (let b = 0; b < BISECTIONS && best && failAbove !== undefined; b++) {
    const r = await attempt(Math.sqrt(best.rate * failAbove));
    if (r.passed) best = r;
    else failAbove = r.rate;
  }
  return { max: best?.rate, atMax: best, invalid };
}

/**
 * Sends `rate` messages per second for `seconds` on a fixed schedule (checked every
 * millisecond: sends due are made at once), then waits until every message has been received.
 */
async function openLoopStep(lane: Lane, rate: number, seconds: number, steps: Map<number, Step>, id: number, p99Limit: number, pinning: Pinning): Promise<StepResult> {
  const total = Math.max(1, Math.round(rate * seconds));
  const step = new Step(id, total);
  steps.set(id, step);
  // A fixed pseudo-random order of the customers, so consecutive messages go to different agents.
  const order = shuffled(lane.customers, id);
  const cpu = cpuWindow(lane.server, pinning);
  const interval = 1000 / rate;
  const start = performance.now() + 2;
  await new Promise<void>((done) => {
    const tick = () => {
      const now = performance.now();
      const due = Math.min(total, Math.floor((now - start) / interval) + 1);
      while (step.sent < due) {
        const k = step.sent;
        const at = start + k * interval;
        step.scheduled[k] = at;
        if (now - at > step.lagMax) step.lagMax = now - at;
        step.sent++;
        lane.send(step, k, order[k % order.length]!);
      }
      if (step.sent >= total) done();
      else setTimeout(tick, Math.max(0, Math.min(1, start + step.sent * interval - performance.now())));
    };
    setTimeout(tick, 2);
  });
  const sendEnd = performance.now();
  const wantsAcks = lane.http;
  while ((step.receivedCount < total || (wantsAcks && step.ackCount + step.errors < total)) && performance.now() - sendEnd < HARD_DRAIN_MS) await sleep(5);
  const drainMs = performance.now() - sendEnd;
  const use = cpu();
  // Late duplicates of this step still count if they come before the next step ends.
  setTimeout(() => steps.delete(id), 30_000).unref();

  const latencies = collect(step.received, step.scheduled);
  const missing = total - step.receivedCount;
  const acks = wantsAcks ? collect(step.acked, step.scheduled) : undefined;
  const echoes = lane.key === 'sb' ? collect(step.echoed, step.scheduled) : undefined;
  const p99 = missing > 0 ? Infinity : quantile(latencies, 0.99);
  const problems: string[] = [];
  if (missing > 0) problems.push(`${missing} of ${total} never arrived within ${HARD_DRAIN_MS / 1000} s`);
  if (step.duplicates > 0) problems.push(`${step.duplicates} delivered twice`);
  if (step.errors > 0) problems.push(`${step.errors} failed requests (${step.firstError})`);
  const ok = problems.length === 0;
  return {
    rate, sent: total, p50: quantile(latencies, 0.5), p99, max: latencies.length > 0 ? latencies[latencies.length - 1]! : Infinity,
    ackP99: acks && acks.length > 0 ? quantile(acks, 0.99) : undefined,
    echoP99: echoes && echoes.length > 0 ? quantile(echoes, 0.99) : undefined,
    missing, duplicates: step.duplicates, errors: step.errors, lagMax: step.lagMax, cpu: use, drainMs,
    ok, passed: ok && p99 <= p99Limit, note: problems.join('; ') || undefined,
  };
}

function collect(at: Float64Array, scheduled: Float64Array): Float64Array {
  const values: number[] = [];
  for (let k = 0; k < at.length; k++) if (at[k] !== 0) values.push(at[k]! - scheduled[k]!);
  return Float64Array.from(values).sort();
}


function stepOf(steps: Map<number, Step>, text: string): { step: Step; k: number } | undefined {
  const match = MARKER.exec(text);
  if (!match) return undefined;
  const step = steps.get(Number(match[1]));
  return step ? { step, k: Number(match[2]) } : undefined;
}

async function openSocket(url: string, options: WebSocket.ClientOptions = {}): Promise<WebSocket> {
  const socket = new WebSocket(url, { perMessageDeflate: false, ...options });
  await new Promise<void>((resolve, reject) => {
    socket.once('open', () => resolve());
    socket.once('error', reject);
    socket.once('unexpected-response', (_req, res) => reject(new Error(`${url.split('?')[0]}: HTTP ${res.statusCode}`)));
  });
  return socket;
}

async function startRelay(
  pinning: Pinning, agents: number, perAgent: number, httpConnections: number, steps: Map<number, Step>, sockets: WebSocket[], servers: ServerProcess[],
): Promise<{ ws: Lane; http: Lane; close: () => void }> {
  const started = await startServer({
    name: 'bare ws relay', command: process.execPath, args: [join(ROOT, 'bench/servers/bare-ws-relay.mjs')], cwd: ROOT,
    env: { ...process.env, RELAY_FAN_IN: String(perAgent) }, ready: /^listening (\d+)$/, pinning,
  });
  servers.push(started.server);
  const base = `ws://127.0.0.1:${started.readyLine[1]}`;
  const t0 = performance.now();
  const agentSockets = await inParallel(Array.from({ length: agents }, (_, i) => i), 50, (i) => openSocket(`${base}/a/${i}`));
  for (const socket of agentSockets) {
    sockets.push(socket);
    socket.on('message', (data) => {
      const at = performance.now();
      const found = stepOf(steps, data.toString());
      if (found) found.step.receive(found.k, at);
    });
  }
  const customerSockets = await inParallel(Array.from({ length: agents * perAgent }, (_, i) => i), 50, (i) => openSocket(`${base}/c/${i}`));
  sockets.push(...customerSockets);
  out(`relay: ${int(agents)} agent + ${int(customerSockets.length)} customer sockets open in ${ms(performance.now() - t0)} ms`);
  const http = new KeepAliveClient(`http://127.0.0.1:${started.readyLine[1]}`, { connections: httpConnections });
  const headers = { 'content-type': 'application/json' };
  return {
    ws: {
      key: 'relay', label: 'bare relay', server: started.server, customers: customerSockets.length, http: false,
      send(step, k, customer) {
        customerSockets[customer]!.send(messageText(step.id, k));
      },
    },
    // The same bytes Switchboard gets (the activity JSON), POSTed; the relay forwards the body.
    http: {
      key: 'http-relay', label: 'http relay', server: started.server, customers: customerSockets.length, http: true,
      send(step, k, customer) {
        http.request('POST', `/c/${customer}`, headers, activityBody(`b1-customer-${customer}`, step.id, k)).then((answer) => {
          if (answer.status === 200) {
            step.acked[k] = performance.now();
            step.ackCount++;
          } else {
            step.errors++;
            step.firstError ??= `${answer.status} ${answer.body.slice(0, 200)}`;
          }
        }, (error: Error) => {
          step.errors++;
          step.firstError ??= error.message;
        });
      },
    },
    close: () => http.close(),
  };
}

/** What a Direct Line client POSTs for message k of a step. */
function activityBody(userId: string, step: number, k: number): string {
  return JSON.stringify({ type: 'message', from: { id: userId }, text: messageText(step, k), channelData: { clientActivityID: `b1-${step}-${k}` } });
}

async function setUpSwitchboard(
  sb: { baseUrl: string; key: string; server: ServerProcess }, http: KeepAliveClient, agents: number, perAgent: number,
  steps: Map<number, Step>, sockets: WebSocket[], countAck: () => void,
): Promise<{ lane: Lane; tenantId: string }> {
  const call = apiClient(sb.baseUrl, sb.key);
  const t0 = performance.now();
  const channel = await createWebchatChannel(call, 'B1 bench');
  const agentIds = await inParallel(Array.from({ length: agents }, (_, i) => i), 16, async (i) =>
    (await call<{ id: string }>('POST', `/v1/tenants/${channel.tenantId}/agents`, { kind: 'human', displayName: `Agent ${i}`, capacity: perAgent })).id);
  const conversations = await startConversations(sb.baseUrl, channel, agents * perAgent, { concurrency: 32, userPrefix: 'b1-customer-' });
  const tStarted = performance.now();
  // Conversation c belongs to agent floor(c / perAgent), who joins it as a participant.
  await inParallel(conversations, 32, (c, i) => call('POST', `/v1/tenants/${channel.tenantId}/conversations/${c.conversationId}/participants`, { role: 'agent', agentId: agentIds[Math.floor(i / perAgent)] }));
  const tJoined = performance.now();
  out(`switchboard: tenant, web chat channel, Direct Line secret, ${int(agents)} agents; ${int(conversations.length)} Direct Line conversations started (token + start) in ${ms(tStarted - t0)} ms; agents joined them in ${ms(tJoined - tStarted)} ms`);

  const streamSockets = await inParallel(conversations, 50, async (c: DirectLineConversation) => {
    const socket = await openSocket(c.streamUrl);
    socket.on('message', (data) => {
      const at = performance.now();
      const frame = JSON.parse(data.toString()) as { activities?: { type: string; text?: string }[] };
      for (const activity of frame.activities ?? []) {
        if (activity.type !== 'message' || activity.text === undefined) continue;
        const found = stepOf(steps, activity.text);
        if (found && found.step.echoed[found.k] === 0) found.step.echoed[found.k] = at;
      }
    });
    return socket;
  });
  sockets.push(...streamSockets);
  const tStreams = performance.now();
  const wsBase = sb.baseUrl.replace(/^http/, 'ws');
  const agentSockets = await inParallel(Array.from({ length: agents }, (_, i) => i), 20, async (a) => {
    const socket = await openSocket(`${wsBase}/v1/stream`, { headers: { authorization: `Bearer ${sb.key}` } });
    const mine = conversations.slice(a * perAgent, (a + 1) * perAgent);
    let pending = mine.length;
    const subscribed = new Promise<void>((resolve, reject) => {
      socket.on('message', (data) => {
        const at = performance.now();
        const frame = JSON.parse(data.toString()) as { type: string; event?: { type: string; payload: { message?: { text?: string } } }; error?: unknown };
        if (frame.type === 'event' && frame.event?.type === 'message.created') {
          const found = stepOf(steps, frame.event.payload.message?.text ?? '');
          if (found) found.step.receive(found.k, at);
        } else if (frame.type === 'subscribed') {
          if (--pending === 0) resolve();
        } else if (frame.type === 'error') reject(new Error(`subscribe failed: ${JSON.stringify(frame.error)}`));
      });
    });
    mine.forEach((c, i) => socket.send(JSON.stringify({ type: 'subscribe', id: `s${i}`, tenantId: channel.tenantId, conversationId: c.conversationId })));
    await subscribed;
    return socket;
  });
  sockets.push(...agentSockets);
  out(`switchboard: ${int(streamSockets.length)} customer stream sockets open in ${ms(tStreams - tJoined)} ms; ${int(agents)} agent sockets subscribed to ${perAgent} conversations each in ${ms(performance.now() - tStreams)} ms`);

  const paths = conversations.map((c) => `/v3/directline/conversations/${encodeURIComponent(c.conversationId)}/activities`);
  const headers = conversations.map((c) => ({ authorization: `Bearer ${c.token}`, 'content-type': 'application/json' }));
  const activityId = /^\{"id":"(conv_[A-Za-z0-9]+)\|\d{7}"\}$/;
  const lane: Lane = {
    key: 'sb', label: 'switchboard', server: sb.server, customers: conversations.length, http: true,
    send(step, k, customer) {
      const c = conversations[customer]!;
      const body = activityBody(c.userId, step.id, k);
      http.request('POST', paths[customer]!, headers[customer]!, body).then((answer) => {
        const match = answer.status === 200 ? activityId.exec(answer.body) : null;
        if (match && match[1] === c.conversationId) {
          step.acked[k] = performance.now();
          step.ackCount++;
          countAck();
        } else {
          step.errors++;
          step.firstError ??= `${answer.status} ${answer.body.slice(0, 200)}`;
        }
      }, (error: Error) => {
        step.errors++;
        step.firstError ??= error.message;
      });
    },
  };
  return { lane, tenantId: channel.tenantId };
}

interface StoreCheck {
  readonly journalMode: string;
  readonly rows: number;
  readonly acked: number;
  readonly ok: boolean;
}

/** After the server stopped: every acknowledged message is a row, and nothing else was stored. */
function inspectStore(path: string, tenantId: string, acked: number): StoreCheck {
  const db = new Database(path, { readonly: true, fileMustExist: true });
  try {
    const journalMode = String(db.pragma('journal_mode', { simple: true }));
    const rows = Number((db.prepare("SELECT COUNT(*) AS n FROM messages WHERE tenant_id = ? AND sender_role = 'customer'").get(tenantId) as { n: number }).n);
    return { journalMode, rows, acked, ok: rows === acked };
  } finally {
    db.close();
  }
}

function report(results: RoundResult[], lanes: Lane[], store: StoreCheck | undefined, invalid: number, loadBefore: number[], p99Limit: number, profile: boolean): boolean {
  const has = (key: LaneKey) => lanes.some((l) => l.key === key);
  const values = (pick: (r: RoundResult) => number | undefined) => results.map(pick).filter((v): v is number => v !== undefined && Number.isFinite(v));
  const fmt = (v: number | undefined) => (v === undefined ? 'n/a' : Number.isFinite(v) ? ms(v) : 'inf');
  out('\nper round (max rate with p99 <= limit; p99 in ms)');
  out(table([
    ['round', 'relay max/s', 'http relay max/s', 'SB max/s', 'SB/relay', 'SB p99 at max', 'SB server cores', 'SB loadgen', 'relay loadgen at max', 'half relay/s', 'relay p99', 'SB p99', 'relay p99 at SB max'],
    ...results.map((r, i) => [
      String(i + 1), r.max.relay === undefined ? 'n/a' : int(r.max.relay), r.max['http-relay'] === undefined ? 'n/a' : int(r.max['http-relay']), r.max.sb === undefined ? 'n/a' : int(r.max.sb),
      r.max.relay && r.max.sb ? `${(100 * r.max.sb / r.max.relay).toFixed(1)}%` : 'n/a',
      fmt(r.atMax.sb?.p99), cores(r.atMax.sb?.cpu.server), cores(r.atMax.sb?.cpu.load), cores(r.atMax.relay?.cpu.load),
      r.halfRate === undefined ? 'n/a' : int(r.halfRate), fmt(r.atHalfRelay.relay?.p99), fmt(r.atHalfRelay.sb?.p99), fmt(r.relayAtSbMax?.p99),
    ]),
  ]).split('\n').map((l) => `  ${l}`).join('\n'));

  if (store) {
    out('\nstore after the run');
    out(`  ${int(store.acked)} messages acknowledged with their id, ${int(store.rows)} customer message rows: ${store.ok ? 'OK' : 'MISMATCH'}`);
    out(`  journal_mode=${store.journalMode} (read from the file); synchronous=NORMAL (1), as configured`);
  }
  out(`  load average before ${loadBefore.map((n) => n.toFixed(2)).join(' ')}, after ${loadavg().map((n) => n.toFixed(2)).join(' ')}`);
  for (const key of ['relay', 'http-relay', 'sb'] as const) {
    const loadgen = values((r) => r.atMax[key]?.cpu.load);
    const server = values((r) => r.atMax[key]?.cpu.server);
    if (loadgen.length > 0 && median(loadgen) >= 0.85) {
      out(`  note: at the ${key === 'sb' ? 'Switchboard' : key}'s max the load generator used ${cores(median(loadgen))} core (server ${cores(median(server))}): that max is at least partly the generator's limit (one core), so it is understated${key === 'sb' ? '' : ' and ratios against it overstated'}`);
    }
  }

  out('');
  if (profile) out('B1 (profiling run: the figures below were measured under --cpu-prof and are not results)');
  const relayMax = values((r) => r.max.relay);
  const sbMax = values((r) => r.max.sb);
  if (has('sb')) out(`B1 Switchboard max rate with p99 <= ${p99Limit} ms: ${sbMax.length ? int(median(sbMax)) : 'n/a'} messages/s (median of ${sbMax.length} rounds; ${sbMax.map(int).join(', ')}) | p99 at that rate ${fmt(median(values((r) => r.atMax.sb?.p99)))} ms, HTTP ack p99 ${fmt(median(values((r) => r.atMax.sb?.ackP99)))} ms, customer echo p99 ${fmt(median(values((r) => r.atMax.sb?.echoP99)))} ms`);
  if (has('relay')) out(`B1 bare ws relay max rate with p99 <= ${p99Limit} ms: ${relayMax.length ? int(median(relayMax)) : 'n/a'} messages/s (${relayMax.map(int).join(', ')})`);
  const httpMax = values((r) => r.max['http-relay']);
  if (has('http-relay')) {
    out(`B1 HTTP relay (POST in, ws frame out; for information) max rate with p99 <= ${p99Limit} ms: ${httpMax.length ? int(median(httpMax)) : 'n/a'} messages/s (${httpMax.map(int).join(', ')})` +
      `${sbMax.length && httpMax.length ? ` | Switchboard / HTTP relay ${(100 * median(sbMax) / median(httpMax)).toFixed(1)}%` : ''}${relayMax.length && httpMax.length ? ` | HTTP relay / ws relay ${(100 * median(httpMax) / median(relayMax)).toFixed(1)}%` : ''}`);
  }
  if (has('sb') && has('relay') && sbMax.length && relayMax.length) {
    const ratio = median(sbMax) / median(relayMax);
    const sameRound = results.filter((r) => r.max.sb && r.max.relay).map((r) => r.max.sb! / r.max.relay!);
    out(`B1 max rate Switchboard / bare relay: ${(100 * ratio).toFixed(1)}% (target >= ${RATE_TARGET * 100}%) ${ratio >= RATE_TARGET ? 'PASS' : `MISS by ${((RATE_TARGET - ratio) * 100).toFixed(1)} points (needs ${int(RATE_TARGET * median(relayMax))}/s, ${(RATE_TARGET / ratio).toFixed(1)}x)`} | same-round ratios ${sameRound.length ? `${(100 * Math.min(...sameRound)).toFixed(1)}-${(100 * Math.max(...sameRound)).toFixed(1)}%` : 'n/a'}`);
    const relayHalf = values((r) => r.atHalfRelay.relay?.p99);
    const sbHalf = results.map((r) => r.atHalfRelay.sb?.p99).filter((v): v is number => v !== undefined);
    const sbHalfMedian = median(sbHalf);
    const relayHalfMedian = median(relayHalf);
    const factor = sbHalfMedian / relayHalfMedian;
    const sustained = results.filter((r) => r.halfRate !== undefined && r.max.sb !== undefined && r.max.sb >= r.halfRate).length;
    out(`B1 p99 at half the relay's max (${int(median(values((r) => r.halfRate)))}/s): Switchboard ${fmt(sbHalfMedian)} ms vs relay ${fmt(relayHalfMedian)} ms = ${Number.isFinite(factor) ? `${factor.toFixed(1)}x` : 'inf'} (target <= ${P99_TARGET_FACTOR}x) ${factor <= P99_TARGET_FACTOR ? 'PASS' : 'MISS'}${sustained < results.length ? ` | Switchboard's max was below that rate in ${results.length - sustained} of ${results.length} rounds: it was overloaded there (a burst of its max step's message count, see the half-burst lines) and the p99 is queueing` : ''}`);
    const atSb = values((r) => r.relayAtSbMax?.p99);
    if (atSb.length) out(`B1 p99 at Switchboard's max rate (for information): Switchboard ${fmt(median(values((r) => r.atMax.sb?.p99)))} ms vs relay ${fmt(median(atSb))} ms at the same rate`);
  }
  const valid = invalid === 0 && (store?.ok ?? true);
  if (invalid > 0) out(`\nB1 INVALID: ${invalid} step(s) lost messages, delivered some twice, or had failed requests (see the step lines)`);
  if (store && !store.ok) out('\nB1 INVALID: the store does not hold what the server acknowledged');
  return valid;
}

function header(buildNote: string, pinning: Pinning, s: { rounds: number; stepSeconds: number; agents: number; perAgent: number; httpConnections: number; p99Limit: number }): void {
  out('B1 chat message end to end: Direct Line customer -> Switchboard -> agent socket, vs a bare ws relay, same run');
  for (const line of machineLines(ROOT, buildNote, pinning)) out(line);
  out(`  ${s.agents} agents x ${s.perAgent} conversations = ${s.agents * s.perAgent} customers, ${MESSAGE_BYTES}-byte texts; ${s.httpConnections} keep-alive connections for the POSTs`);
  out(`  SQLite: journal_mode=WAL, synchronous=NORMAL, group commit; open-loop steps of ${s.stepSeconds} s, x${STEP_FACTOR} until two rates in a row have p99 > ${s.p99Limit} ms (each tried twice), then ${BISECTIONS} bisections; ${s.rounds} rounds (order alternates)`);
}

function sleep(msec: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, msec));
}
