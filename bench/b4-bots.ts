import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { createServer, request, Agent, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { loadavg, tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import Database from 'better-sqlite3';
import WebSocket from 'ws';
import { cpuWindow, quantile, type CpuUse } from './lib/cpu.js';
import { createWebchatChannel, startConversations, type DirectLineConversation, type WebchatChannel } from './lib/directline.js';
import { inParallel, KeepAliveClient } from './lib/http-client.js';
import { onExit, pinCores, startServer, type Pinning, type ServerProcess } from './lib/processes.js';
import { cores, int, median, ms, shuffled, table } from './lib/stats.js';
import { apiClient, ensureBuilt, startSwitchboard } from './lib/switchboard.js';
import { machineLines, setting } from './lib/settings.js';
import { botbuilderResponse, readJsonBody } from '../src/server/demo/botbuilder-response.js';

/**
 * B4, bot -> agent handoff (docs/BENCHMARKS.md, design/BENCHMARKS.md): 500 concurrent Direct Line
 * conversations with a real `botbuilder` bot, 10% of them escalating; from the bot's
 * `handoff.initiate` to the agent's `routing.offered`, against the minimal path (two loopback
 * `node:http` POSTs and one `ws` frame) measured in the same run, in interleaved rounds.
 *
 * Processes: Switchboard (`dist/cli/main.js serve`, SQLite WAL, group commit) pinned to the server
 * core; the bot in a child process on the load generator's core (this file, role `bot`): an
 * ordinary botbuilder bot, `CloudAdapter` + `ConfigurationBotFrameworkAuthentication` without an
 * app id (anonymous), behind node:http on 127.0.0.1, registered with `authMode: "none"`. It echoes
 * every message and answers "escalate now" with `EventFactory.createHandoffInitiation(context,
 * {BotHandoffTopic, summary}, {activities: the conversation so far})`. It reports each turn on
 * stdout with `process.hrtime` (CLOCK_MONOTONIC, the same clock in every process on Linux), so
 * t0 = just before its `sendActivity(handoff)` and t1 = the agent socket's receipt of
 * `routing.offered` in this process are on one clock.
 *
 * Tenant: a web chat channel and Direct Line secret; the bot in a "Bot first" queue (alone); 10
 * human agents (capacity 10, available) in "People"; a workstream whose fallback is "Bot first"
 * and whose rule `bot.escalated == true` sends escalations to "People". Each agent holds one
 * `/v1/stream` socket (admin key) subscribed to the tenant; on a `routing.offered` for itself it
 * reads the conversation's messages and context variables (transcript, summary and the bot's
 * context, checked), accepts over the socket, then writes to the customer over the socket.
 *
 * A round: N conversations started as a Direct Line client starts them (token from the secret,
 * start; 100 at a time), each stream socket open at `streamUrl`, every conversation assigned to
 * the bot (its conversationUpdate seen). The chat: every customer sends B4_MESSAGES messages
 * (`POST .../activities`), message j of every customer before message j+1 of any, open loop at
 * B4_CHAT_RATE messages per second in all (0: each customer writes again as soon as its echo is
 * back); the bot echoes each. After a 2.5 s pause (so the chat's Connector calls have left the
 * bot's rate window), the escalation wave: the 10% escalating customers send "escalate now" at
 * the same moment, like the baseline's 50 requests at once. Each agent's message must reach its
 * customer, whose answer must reach the agents and not the bot. Everything is checked: each
 * customer message reached the bot exactly once (by text, and no activity id twice), each echo
 * reached its customer exactly once, activity ids only grow on each stream, each escalated
 * conversation got exactly one offer and the others none; after the run the stored messages of
 * every conversation have contiguous sequences from 1.
 *
 * Baseline (this file, role `baseline`, pinned to the server core): node:http server A receives a
 * POST and POSTs the body over a keep-alive loopback connection to server B, which answers and
 * sends the body as one `ws` frame to one of 10 connected clients; A then answers. Latency: from
 * the client's request start to the frame's arrival. 50 requests at once, 10 waves (500 samples),
 * with a 1 KB JSON body; then 50 one at a time, for information.
 *
 * Targets: handoff p50 <= 3x the minimal path's p50, p99 <= 10x its p99; zero lost or duplicated.
 *
 * Settings (environment): B4_CONVERSATIONS (500), B4_ESCALATE_PERCENT (10), B4_MESSAGES (5) per
 * customer before the escalation, B4_ROUNDS (1), B4_CHAT_RATE (40 customer messages/s in all;
 * the bot's Connector API allows 50 calls/s), B4_AGENTS (10), B4_AGENT_CAPACITY (10), B4_WARMUP
 * conversations of an untimed first round (50; 0 = none), B4_BASELINE_WAVES (10) of
 * B4_BASELINE_CONCURRENCY (50), B4_BUILD (auto | always | never), B4_SERVER_ENTRY (another
 * build's `cli/main.js`, for an A/B against a patched copy), B4_KEEP=1 (keep the data
 * directory), B4_PROFILE=1 (a V8 CPU profile of the Switchboard process in
 * $TMPDIR/switchboard-b4-profiles; figures measured under the profiler are not results; with
 * B4_VERBOSE=1 the wave's offsets in it are printed), B4_VERBOSE=1.
 */

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const SELF = fileURLToPath(import.meta.url);
const P50_TARGET = 3;
const P99_TARGET = 10;
const ESCALATE_TEXT = 'escalate now';
const HANDOFF_TOPIC = 'B4';
/** An echo or an offer that has not arrived this long after it was due is lost. */
const WAIT_MS = 30_000;
/** With B4_CHAT_RATE=0, a customer whose echo has not come back by then writes its next message anyway. */
const ECHO_WAIT_MS = 5_000;
/** The Connector API's limit per bot (DEFAULT_BOT_CHANNEL_SETTINGS.connectorRatePerSecond; `serve` has no setting for it). */
const CONNECTOR_RATE = 50;
const BASELINE_BODY_BYTES = 1024;

/** Milliseconds on CLOCK_MONOTONIC (process.hrtime): comparable between processes on one machine. */
function now(): number {
  return Number(process.hrtime.bigint() / 1000n) / 1000;
}

function out(text: string): void {
  process.stdout.write(`${text}\n`);
}

/** Progress lines, with B4_VERBOSE=1. */
function progress(text: string): void {
  if (process.env.B4_VERBOSE === '1') out(`    .. ${text}`);
}

function sleep(msec: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, msec));
}

// ---------------------------------------------------------------------------------------------
// The bot (child process, role `bot`)

/** What the bot reports, one JSON line each, prefixed `B4 `. */
type BotLine =
  | { k: 'u'; c: string }
  | { k: 'm'; c: string; id: string; text: string }
  | { k: 'e'; c: string; text: string; ok: boolean; err?: string }
  | { k: 'h'; c: string; t0: number; t1: number; ok: boolean; err?: string }
  | { k: 's'; c: string; state: string }
  | { k: 'end'; c: string }
  | { k: 'x'; c: string; err: string };

async function runBotChild(): Promise<void> {
  const { CloudAdapter, ConfigurationBotFrameworkAuthentication, EventFactory, ActivityTypes } = await import('botbuilder');
  const report = (line: BotLine) => process.stdout.write(`B4 ${JSON.stringify(line)}\n`);
  const describe = (error: unknown) => {
    const e = error as { statusCode?: number; status?: number; message?: string };
    return `${e.statusCode ?? e.status ?? ''} ${String(e.message ?? error).slice(0, 200)}`.trim();
  };
  // Anonymous, as a developer runs a bot locally (docs/BOTS.md "Anonymous").
  const adapter = new CloudAdapter(new ConfigurationBotFrameworkAuthentication({ MicrosoftAppId: '', MicrosoftAppPassword: '' }));
  adapter.onTurnError = async (context, error) => {
    report({ k: 'x', c: context.activity.conversation?.id ?? '', err: describe(error) });
  };
  /** What each conversation said so far: the transcript the bot hands over. */
  const history = new Map<string, { type: string; text: string; from: { id: string; role?: string } }[]>();

  const server = createServer((req, res) => {
    void handle(req, res);
  });
  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const body = await readJsonBody(req);
    const response = botbuilderResponse(res);
    try {
      await adapter.process({ body, headers: req.headers, method: req.method }, response, async (context) => {
        const a = context.activity;
        const c = a.conversation.id;
        if (a.type === ActivityTypes.ConversationUpdate) {
          if ((a.membersAdded ?? []).some((m) => m.id !== a.recipient.id)) report({ k: 'u', c });
          return;
        }
        if (a.type === ActivityTypes.EndOfConversation) {
          history.delete(c);
          report({ k: 'end', c });
          return;
        }
        if (a.type === ActivityTypes.Event) {
          if (a.name === 'handoff.status') report({ k: 's', c, state: String((a.value as { state?: unknown } | undefined)?.state) });
          return;
        }
        if (a.type !== ActivityTypes.Message) return;
        const text = a.text ?? '';
        report({ k: 'm', c, id: a.id ?? '', text });
        const said = history.get(c) ?? [];
        history.set(c, said);
        said.push({ type: 'message', text, from: { id: a.from.id, role: 'user' } });
        if (text === ESCALATE_TEXT) {
          const handoff = EventFactory.createHandoffInitiation(context,
            { BotHandoffTopic: HANDOFF_TOPIC, summary: `The customer asked for a person (the transcript has ${said.length - 1} earlier activities)` },
            { activities: said as never });
          const t0 = now();
          try {
            await context.sendActivity(handoff);
            report({ k: 'h', c, t0, t1: now(), ok: true });
          } catch (error) {
            report({ k: 'h', c, t0, t1: now(), ok: false, err: describe(error) });
          }
          return;
        }
        const echo = `Echo: ${text}`;
        try {
          await context.sendActivity(echo);
          said.push({ type: 'message', text: echo, from: { id: a.recipient.id, role: 'bot' } });
          report({ k: 'e', c, text, ok: true });
        } catch (error) {
          report({ k: 'e', c, text, ok: false, err: describe(error) });
        }
      });
    } catch (error) {
      report({ k: 'x', c: '', err: describe(error) });
      if (!res.writableEnded) {
        res.statusCode = 500;
        res.end();
      }
    }
  };
  await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
  out(`bot listening http://127.0.0.1:${(server.address() as AddressInfo).port}/api/messages`);
}

// ---------------------------------------------------------------------------------------------
// The minimal path's servers (child process, role `baseline`)

async function runBaselineChild(): Promise<void> {
  const { WebSocketServer } = await import('ws');
  const clients: WebSocket[] = [];
  const b = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const body = Buffer.concat(chunks);
      const k = Number(/"k":(\d+)/.exec(body.toString('latin1'))?.[1] ?? 0);
      clients[k % Math.max(1, clients.length)]?.send(body, { binary: false });
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end('{"ok":true}');
    });
  });
  const wss = new WebSocketServer({ server: b, perMessageDeflate: false });
  wss.on('connection', (socket) => clients.push(socket as unknown as WebSocket));
  await new Promise<void>((done) => b.listen(0, '127.0.0.1', done));
  const bPort = (b.address() as AddressInfo).port;
  const agent = new Agent({ keepAlive: true, maxSockets: 256, maxFreeSockets: 256 });
  const a = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const body = Buffer.concat(chunks);
      const forward = request({
        host: '127.0.0.1', port: bPort, method: 'POST', path: '/b', agent,
        headers: { 'content-type': 'application/json', 'content-length': String(body.length) },
      }, (answer) => {
        answer.resume();
        answer.on('end', () => {
          res.writeHead(answer.statusCode === 200 ? 200 : 502, { 'content-type': 'application/json' });
          res.end('{"ok":true}');
        });
      });
      forward.on('error', () => {
        res.writeHead(502);
        res.end();
      });
      forward.end(body);
    });
  });
  await new Promise<void>((done) => a.listen(0, '127.0.0.1', done));
  out(`baseline listening ${(a.address() as AddressInfo).port} ${bPort}`);
}

// ---------------------------------------------------------------------------------------------
// The benchmark

interface Settings {
  readonly conversations: number;
  readonly escalatePercent: number;
  readonly messages: number;
  readonly rounds: number;
  readonly chatRate: number;
  readonly agents: number;
  readonly agentCapacity: number;
  readonly warmup: number;
  readonly waves: number;
  readonly concurrency: number;
}

/** The bot child's reports, read from its stdout as they come. */
class BotReports {
  private cursor = 0;
  readonly messages = new Map<string, number>();
  /** Message turns by conversation (texts in arrival order). */
  readonly byConversation = new Map<string, string[]>();
  readonly updates = new Set<string>();
  readonly handoffs = new Map<string, { t0: number; t1: number; ok: boolean; err?: string | undefined }[]>();
  readonly echoFailures: string[] = [];
  readonly turnErrors: string[] = [];
  readonly statuses = new Map<string, string[]>();
  ends = 0;
  echoesSent = 0;
  lines = 0;

  constructor(readonly server: ServerProcess) {}

  pull(): void {
    const lines = this.server.stdout;
    for (; this.cursor < lines.length; this.cursor++) {
      const line = lines[this.cursor]!;
      if (!line.startsWith('B4 ')) continue;
      this.lines++;
      const r = JSON.parse(line.slice(3)) as BotLine;
      switch (r.k) {
        case 'u':
          this.updates.add(r.c);
          break;
        case 'm': {
          this.messages.set(r.id, (this.messages.get(r.id) ?? 0) + 1);
          const list = this.byConversation.get(r.c) ?? [];
          list.push(r.text);
          this.byConversation.set(r.c, list);
          break;
        }
        case 'e':
          if (r.ok) this.echoesSent++;
          else this.echoFailures.push(r.err ?? 'unknown');
          break;
        case 'h': {
          const list = this.handoffs.get(r.c) ?? [];
          list.push({ t0: r.t0, t1: r.t1, ok: r.ok, err: r.err });
          this.handoffs.set(r.c, list);
          break;
        }
        case 's': {
          const list = this.statuses.get(r.c) ?? [];
          list.push(r.state);
          this.statuses.set(r.c, list);
          break;
        }
        case 'end':
          this.ends++;
          break;
        case 'x':
          this.turnErrors.push(r.err);
          break;
      }
    }
  }

  /** Waits until the bot has reported nothing new for `quietMs` (at most `maxMs`). */
  async quiet(quietMs: number, maxMs: number): Promise<void> {
    const started = performance.now();
    let last = this.server.stdout.length;
    let since = performance.now();
    while (performance.now() - started < maxMs) {
      await sleep(50);
      const n = this.server.stdout.length;
      if (n !== last) {
        last = n;
        since = performance.now();
      } else if (performance.now() - since >= quietMs) break;
    }
    this.pull();
  }
}

interface Offer {
  readonly conversationId: string;
  readonly offerId: string;
  readonly agentId: string;
  readonly eventId: number;
  readonly at: number;
  /** The agent has read the transcript and the context (checked). */
  contextAt?: number;
  contextOk?: boolean;
  accepted?: boolean;
  /** The agent's first message was stored (its command answered). */
  greeted?: boolean;
}

/** The agents' sockets, shared by all rounds. */
class Agents {
  readonly offers: Offer[] = [];
  readonly eventIdsSeen = new Map<string, Set<number>>();
  duplicateEvents = 0;
  readonly byCommand = new Map<string, Offer>();
  readonly commandErrors: string[] = [];
  readonly contextProblems: string[] = [];
  /** Customer replies after the handoff seen on the agents' stream, by conversation. */
  readonly replies = new Map<string, number>();
  onOffer: (() => void) | undefined;

  constructor(readonly tenantId: string, readonly ids: readonly string[], readonly sockets: WebSocket[], private readonly api: KeepAliveClient, private readonly key: string) {}

  static async connect(baseUrl: string, key: string, tenantId: string, ids: readonly string[], api: KeepAliveClient): Promise<Agents> {
    const wsBase = baseUrl.replace(/^http/, 'ws');
    const sockets: WebSocket[] = [];
    const agents = new Agents(tenantId, ids, sockets, api, key);
    await Promise.all(ids.map(async (agentId) => {
      const socket = new WebSocket(`${wsBase}/v1/stream`, { headers: { authorization: `Bearer ${key}` }, perMessageDeflate: false });
      await new Promise<void>((done, fail) => {
        socket.once('open', () => done());
        socket.once('error', fail);
      });
      sockets.push(socket);
      const subscribed = new Promise<void>((done, fail) => {
        socket.on('message', (data: Buffer) => {
          const at = now();
          const text = data.toString();
          if (text.includes('"routing.offered"')) {
            const frame = JSON.parse(text) as { type: string; event?: { id: number; type: string; conversationId: string; payload: { agentId: string; offer: { id: string } } } };
            const event = frame.event;
            if (frame.type !== 'event' || event?.type !== 'routing.offered' || event.payload.agentId !== agentId) return;
            const seen = agents.eventIdsSeen.get(agentId) ?? new Set<number>();
            agents.eventIdsSeen.set(agentId, seen);
            if (seen.has(event.id)) {
              agents.duplicateEvents++;
              return;
            }
            seen.add(event.id);
            const offer: Offer = { conversationId: event.conversationId, offerId: event.payload.offer.id, agentId, eventId: event.id, at };
            agents.offers.push(offer);
            agents.onOffer?.();
            void agents.take(socket, offer);
            return;
          }
          if (text.startsWith('{"type":"subscribed"')) done();
          else if (text.startsWith('{"type":"result"')) {
            const frame = JSON.parse(text) as { id: string };
            const offer = agents.byCommand.get(frame.id);
            if (offer && frame.id.startsWith('acc-')) {
              offer.accepted = true;
              // The agent greets the customer over the same socket.
              const id = `msg-${offer.offerId}`;
              agents.byCommand.set(id, offer);
              socket.send(JSON.stringify({ type: 'command', id, tenantId, agentId, action: 'message', conversationId: offer.conversationId, text: agentText(offer.conversationId) }));
            } else if (offer) offer.greeted = true;
          } else if (text.startsWith('{"type":"error"')) {
            const frame = JSON.parse(text) as { id?: string; error: unknown };
            if (frame.id !== undefined && agents.byCommand.has(frame.id)) agents.commandErrors.push(`${frame.id}: ${JSON.stringify(frame.error)}`);
            else fail(new Error(`agent socket: ${JSON.stringify(frame.error)}`));
          } else if (agentId === ids[0] && text.includes('"message.created"') && text.includes(REPLY_PREFIX)) {
            // The customers' answers after the handoff, as an agent's workspace sees them (one socket is enough: each sees the tenant).
            const frame = JSON.parse(text) as { type: string; event?: { id: number; conversationId: string; payload: { message?: { text?: string; senderRole?: string } } } };
            const message = frame.event?.payload.message;
            if (frame.type === 'event' && message?.senderRole === 'customer' && message.text?.startsWith(REPLY_PREFIX)) {
              agents.replies.set(frame.event!.conversationId, (agents.replies.get(frame.event!.conversationId) ?? 0) + 1);
            }
          }
        });
      });
      socket.send(JSON.stringify({ type: 'subscribe', id: 'all', tenantId }));
      await subscribed;
    }));
    return agents;
  }

  /** What an agent's workspace does with an offer: read the transcript and the context, then accept. */
  private async take(socket: WebSocket, offer: Offer): Promise<void> {
    const t = `/v1/tenants/${this.tenantId}/conversations/${offer.conversationId}`;
    const headers = { authorization: `Bearer ${this.key}` };
    try {
      const [messages, context] = await Promise.all([
        this.api.json<{ items: { text: string; senderRole: string; visibility: string }[] }>('GET', `${t}/messages?limit=100`, headers),
        this.api.json<{ items: { name: string; value: unknown }[] }>('GET', `${t}/context`, headers),
      ]);
      offer.contextAt = now();
      const variables = new Map(context.items.map((v) => [v.name, v.value]));
      const problems: string[] = [];
      if (variables.get('bot.escalated') !== true) problems.push('bot.escalated is not true');
      if (variables.get('bot.escalationTrigger') !== 'handoff') problems.push(`bot.escalationTrigger ${String(variables.get('bot.escalationTrigger'))}`);
      if (variables.get('BotHandoffTopic') !== HANDOFF_TOPIC) problems.push('BotHandoffTopic missing');
      if (!messages.items.some((m) => m.senderRole === 'customer' && m.text === ESCALATE_TEXT)) problems.push('the transcript lacks the escalation message');
      if (!messages.items.some((m) => m.senderRole === 'bot' && m.visibility === 'internal' && m.text.startsWith('The customer asked for a person'))) problems.push('the bot\'s summary is missing');
      offer.contextOk = problems.length === 0;
      if (problems.length > 0) this.contextProblems.push(`${offer.conversationId}: ${problems.join(', ')}`);
    } catch (error) {
      offer.contextOk = false;
      this.contextProblems.push(`${offer.conversationId}: ${(error as Error).message}`);
    }
    const id = `acc-${offer.offerId}`;
    this.byCommand.set(id, offer);
    socket.send(JSON.stringify({ type: 'command', id, tenantId: this.tenantId, agentId: offer.agentId, action: 'accept', offerId: offer.offerId }));
  }

  close(): void {
    for (const s of this.sockets) s.terminate();
  }
}

interface Customer {
  readonly index: number;
  readonly conversation: DirectLineConversation;
  readonly escalates: boolean;
  socket?: WebSocket;
  /** Echo count by message number (1-based). */
  readonly echoes: number[];
  readonly echoAt: number[];
  readonly sentAt: number[];
  readonly activityIds: Set<string>;
  lastSeq: number;
  seqViolations: number;
  duplicateIds: number;
  strayEchoes: number;
  escalatedAt?: number;
  /** The agent's message after the handoff, and the customer's answer to it. */
  agentMessages: number;
  replied: boolean;
  replyAcked: boolean;
  waiting?: { j: number; resolve: () => void };
}

interface RoundResult {
  readonly round: number;
  readonly conversations: number;
  readonly handoff: Float64Array;
  readonly ack: Float64Array;
  readonly toContext: Float64Array;
  readonly customerToOffer: Float64Array;
  readonly echo: Float64Array;
  readonly maxInFlight: number;
  readonly checks: Checks;
  /** The escalation wave (from the customers' posts until every offer and every answer after it). */
  readonly cpu: CpuUse;
  readonly bot: number | undefined;
  readonly chatCpu: CpuUse;
  readonly chatBot: number | undefined;
  readonly chatSeconds: number;
  readonly chatRate: number;
  readonly waveSeconds: number;
  readonly startMs: number;
  readonly failedRequests: number;
  readonly firstError: string | undefined;
}

interface Checks {
  readonly customerMessages: number;
  readonly atBotOnce: number;
  readonly atBotTwice: number;
  readonly atBotMissing: number;
  readonly echoesExpected: number;
  readonly echoesOnce: number;
  readonly echoesTwice: number;
  readonly echoesMissing: number;
  readonly duplicateIds: number;
  readonly seqViolations: number;
  readonly strayEchoes: number;
  readonly escalations: number;
  readonly exactlyOneOffer: number;
  readonly noOffer: number;
  readonly severalOffers: number;
  readonly offersElsewhere: number;
  readonly duplicateOfferEvents: number;
  readonly botReplyFailures: number;
  readonly botReplyFailureSample: string | undefined;
  readonly handoffFailures: number;
  readonly handoffFailureSample: string | undefined;
  readonly contextProblems: number;
  readonly accepted: number;
  readonly agentMessagesOnce: number;
  readonly agentMessagesTwice: number;
  readonly agentMessagesMissing: number;
  readonly repliesAtAgentOnce: number;
  readonly repliesAtAgentOther: number;
  readonly repliesAtBot: number;
  readonly handoffStatusAccepted: number;
  readonly commandErrors: number;
}

interface BaselineResult {
  readonly round: number;
  readonly latency: Float64Array;
  readonly sequential: Float64Array;
  readonly cpu: CpuUse;
}

function escalates(i: number, percent: number): boolean {
  return Math.floor(((i + 1) * percent) / 100) > Math.floor((i * percent) / 100);
}

export async function runB4(): Promise<boolean> {
  const s: Settings = {
    conversations: Math.round(setting('B4_CONVERSATIONS', 500)),
    escalatePercent: setting('B4_ESCALATE_PERCENT', 10),
    messages: Math.round(setting('B4_MESSAGES', 5)),
    rounds: Math.round(setting('B4_ROUNDS', 1)),
    chatRate: setting('B4_CHAT_RATE', 40, true),
    agents: Math.round(setting('B4_AGENTS', 10)),
    agentCapacity: Math.round(setting('B4_AGENT_CAPACITY', 10)),
    warmup: Math.round(setting('B4_WARMUP', 50, true)),
    waves: Math.round(setting('B4_BASELINE_WAVES', 10)),
    concurrency: Math.round(setting('B4_BASELINE_CONCURRENCY', 50)),
  };
  const verbose = process.env.B4_VERBOSE === '1';
  const profile = process.env.B4_PROFILE === '1';
  const build = ensureBuilt(ROOT, process.env.B4_BUILD);
  const pinning = pinCores();
  const dataDir = mkdtempSync(join(tmpdir(), 'sb-bench-b4-'));
  const removeDataDir = () => rmSync(dataDir, { recursive: true, force: true });
  const forgetCleanup = process.env.B4_KEEP === '1' ? () => false : onExit(removeDataDir);
  const profileDir = join(tmpdir(), 'switchboard-b4-profiles');
  const loadBefore = loadavg();
  header(build.note, pinning, s);

  const servers: ServerProcess[] = [];
  const closers: (() => void)[] = [];
  try {
    if (profile) mkdirSync(profileDir, { recursive: true });
    // The minimal path's servers, on the server core.
    const baselineStarted = await startServer({
      name: 'b4 baseline', command: process.execPath, args: ['--import', 'tsx', SELF, 'baseline'], cwd: ROOT, env: process.env,
      ready: /^baseline listening (\d+) (\d+)$/, pinning,
    });
    servers.push(baselineStarted.server);
    const baseline = await connectBaseline(Number(baselineStarted.readyLine[1]), Number(baselineStarted.readyLine[2]), s.concurrency);
    closers.push(baseline.close);

    serverStartedAt = performance.now();
    const sb = await startSwitchboard({ entry: process.env.B4_SERVER_ENTRY ?? build.entry, dataDir, pinning, nodeArgs: profile ? ['--cpu-prof', `--cpu-prof-dir=${profileDir}`] : [] });
    servers.push(sb.server);
    // The bot, on the load generator's core (its own process, so its turns do not wait behind the customers' sockets).
    const botStarted = await startServer({
      name: 'b4 bot', command: process.execPath, args: ['--import', 'tsx', SELF, 'bot'], cwd: ROOT, env: process.env,
      ready: /^bot listening (http:\/\/\S+)$/, pinning, ...(pinning.used ? { cpus: [pinning.loadCpu!] } : {}),
    });
    servers.push(botStarted.server);
    const bot = new BotReports(botStarted.server);

    const setup = await setUpTenant(sb.baseUrl, sb.key, botStarted.readyLine[1]!, s);
    const api = new KeepAliveClient(sb.baseUrl, { connections: 16 });
    closers.push(() => api.close());
    const agents = await Agents.connect(sb.baseUrl, sb.key, setup.channel.tenantId, setup.agentIds, api);
    closers.push(() => agents.close());
    const http = new KeepAliveClient(sb.baseUrl, { connections: 256 });
    closers.push(() => http.close());
    const admin = apiClient(sb.baseUrl, sb.key);
    out(`switchboard: tenant, web chat channel, Direct Line secret, bot registered (authMode none, capacity ${setup.botCapacity}), ${s.agents} agents x capacity ${s.agentCapacity} with sockets subscribed`);

    const runSb = (round: number, conversations: number) => switchboardRound(round, conversations, s.chatRate, s, sb, setup.channel, http, admin, agents, bot, pinning);
    if (s.warmup > 0) {
      out(`\nwarm-up: ${s.warmup} conversations through Switchboard, one baseline wave (discarded)`);
      const w = await runSb(0, s.warmup);
      out(`  ${roundLine(w)}`);
      await baselineRound(0, baseline, 1, s.concurrency, baselineStarted.server, pinning);
    }

    const sbResults: RoundResult[] = [];
    const baseResults: BaselineResult[] = [];
    for (let round = 1; round <= s.rounds; round++) {
      out(`\nround ${round}/${s.rounds}`);
      const order = round % 2 === 1 ? ['baseline', 'sb'] : ['sb', 'baseline'];
      for (const what of order) {
        if (what === 'baseline') {
          const b = await baselineRound(round, baseline, s.waves, s.concurrency, baselineStarted.server, pinning);
          baseResults.push(b);
          out(`  minimal path: ${int(b.latency.length)} samples (${s.waves} waves of ${s.concurrency} at once) p50 ${ms(quantile(b.latency, 0.5))} p99 ${ms(quantile(b.latency, 0.99))} max ${ms(b.latency[b.latency.length - 1]!)} ms; one at a time p50 ${ms(quantile(b.sequential, 0.5))} ms; server CPU ${cpuPer(b.cpu, b.latency.length)} ms per request; server ${cores(b.cpu.server)}, loadgen ${cores(b.cpu.load)}, others ${cores(b.cpu.othersOnServerCpu)}/${cores(b.cpu.othersOnLoadCpu)}`);
        } else {
          const r = await runSb(round, s.conversations);
          sbResults.push(r);
          out(`  ${roundLine(r)}`);
          if (verbose) out(`  checks ${JSON.stringify(r.checks)}`);
        }
      }
    }

    for (const close of closers.splice(0).reverse()) close();
    const sbPid = sb.server.pid;
    for (const server of servers.splice(0)) await server.stop();
    const store = inspectStore(join(dataDir, 'switchboard.db'), setup.channel.tenantId);
    if (profile) out(`\nCPU profile of the Switchboard process (pid ${sbPid}) written to ${profileDir}/`);
    return report(sbResults, baseResults, store, bot, s, loadBefore, profile);
  } finally {
    for (const close of closers) close();
    for (const server of servers) await server.stop().catch(() => undefined);
    forgetCleanup();
    if (process.env.B4_KEEP === '1') out(`data directory kept: ${dataDir}`);
    else removeDataDir();
  }
}

async function setUpTenant(baseUrl: string, key: string, botUrl: string, s: Settings): Promise<{ channel: WebchatChannel; agentIds: string[]; botCapacity: number }> {
  const call = apiClient(baseUrl, key);
  const channel = await createWebchatChannel(call, 'B4 bench');
  const t = `/v1/tenants/${channel.tenantId}`;
  // Conversations are closed at the end of each round, so the bot needs room for one round at a time.
  const botCapacity = Math.max(1000, 2 * Math.max(s.conversations, s.warmup));
  const bot = await call<{ id: string }>('POST', `${t}/bots`, { displayName: 'B4 echo bot', appId: null, messagingEndpoint: botUrl, authMode: 'none', capacity: botCapacity });
  const agentIds = await inParallel(Array.from({ length: s.agents }, (_, i) => i), 8, async (i) =>
    (await call<{ id: string }>('POST', `${t}/agents`, { kind: 'human', displayName: `Agent ${i}`, capacity: s.agentCapacity, presence: 'available' })).id);
  const botFirst = await call<{ id: string }>('POST', `${t}/queues`, { name: 'Bot first', memberIds: [bot.id] });
  const people = await call<{ id: string }>('POST', `${t}/queues`, { name: 'People', memberIds: agentIds });
  await call('POST', `${t}/workstreams`, {
    name: 'Chat', channelTypes: ['webchat'], fallbackQueueId: botFirst.id, offerTimeoutSeconds: 600,
    routeRules: [{ id: 'escalated', condition: 'bot.escalated == true', queueId: people.id }],
  });
  return { channel, agentIds, botCapacity };
}

const MARKER = /^Echo: b4 r(\d+) c(\d+) m(\d+)$/;
const AGENT_PREFIX = 'b4 agent ';
const REPLY_PREFIX = 'b4 reply ';
const agentText = (conversationId: string) => `${AGENT_PREFIX}${conversationId}`;
const replyText = (conversationId: string) => `${REPLY_PREFIX}${conversationId}`;
const messageText = (round: number, i: number, j: number) => `b4 r${round} c${i} m${j}`;

function openStream(customer: Customer, onAgentMessage: (c: Customer) => void): Promise<void> {
  const socket = new WebSocket(customer.conversation.streamUrl, { perMessageDeflate: false });
  customer.socket = socket;
  socket.on('message', (data: Buffer) => {
    const at = now();
    const text = data.toString();
    if (text.length === 0) return;
    const frame = JSON.parse(text) as { activities?: { type: string; id?: string; text?: string }[] };
    for (const activity of frame.activities ?? []) {
      if (activity.id !== undefined) {
        if (customer.activityIds.has(activity.id)) {
          customer.duplicateIds++;
          continue;
        }
        customer.activityIds.add(activity.id);
        const seq = Number(/\|(\d+)$/.exec(activity.id)?.[1] ?? Number.NaN);
        if (Number.isFinite(seq)) {
          if (seq <= customer.lastSeq) customer.seqViolations++;
          customer.lastSeq = Math.max(customer.lastSeq, seq);
        }
      }
      if (activity.type !== 'message' || activity.text === undefined) continue;
      if (activity.text.startsWith(AGENT_PREFIX)) {
        if (activity.text === agentText(customer.conversation.conversationId)) {
          customer.agentMessages++;
          onAgentMessage(customer);
        } else customer.strayEchoes++;
        continue;
      }
      if (!activity.text.startsWith('Echo: ')) continue;
      const match = MARKER.exec(activity.text);
      const j = Number(match?.[3]);
      if (!match || Number(match[2]) !== customer.index || !(j >= 1 && j < customer.echoes.length)) {
        customer.strayEchoes++;
        continue;
      }
      customer.echoes[j] = (customer.echoes[j] ?? 0) + 1;
      if (customer.echoes[j] === 1) customer.echoAt[j] = at;
      if (customer.waiting?.j === j) {
        const w = customer.waiting;
        customer.waiting = undefined;
        w.resolve();
      }
    }
  });
  return new Promise<void>((done, fail) => {
    const timer = setTimeout(() => fail(new Error(`a Direct Line stream socket did not open within ${WAIT_MS / 1000} s (the server is not answering)`)), WAIT_MS);
    socket.once('open', () => {
      clearTimeout(timer);
      done();
    });
    socket.once('error', fail);
    socket.once('unexpected-response', (_req, res) => fail(new Error(`stream: HTTP ${res.statusCode}`)));
  });
}

async function waitFor(check: () => boolean, maxMs: number, every = 10): Promise<boolean> {
  const deadline = performance.now() + maxMs;
  while (!check()) {
    if (performance.now() > deadline) return false;
    await sleep(every);
  }
  return true;
}

/**
 * One round through Switchboard: conversations started and assigned to the bot; the chat phase
 * (every customer's messages, echoed); a pause, so the chat's Connector calls are out of the
 * bot's rate window; then the escalation wave: every escalating customer says "escalate now" at
 * the same moment, the bot hands over, each agent reads its offer's transcript and context,
 * accepts and writes to the customer, who answers.
 */
async function switchboardRound(
  round: number, count: number, chatRate: number, s: Settings, sb: { baseUrl: string; key: string; server: ServerProcess }, channel: WebchatChannel,
  http: KeepAliveClient, admin: ReturnType<typeof apiClient>, agents: Agents, bot: BotReports, pinning: Pinning,
): Promise<RoundResult> {
  const t0 = performance.now();
  const conversations = await startConversations(sb.baseUrl, channel, count, { concurrency: 100, userPrefix: `b4-r${round}-c` });
  progress(`${count} conversations started (token + start) in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
  const customers: Customer[] = conversations.map((conversation, index) => ({
    index, conversation, escalates: escalates(index, s.escalatePercent),
    echoes: new Array<number>(s.messages + 1).fill(0), echoAt: new Array<number>(s.messages + 1).fill(0), sentAt: new Array<number>(s.messages + 1).fill(0),
    activityIds: new Set(), lastSeq: 0, seqViolations: 0, duplicateIds: 0, strayEchoes: 0, agentMessages: 0, replied: false, replyAcked: false,
  }));
  let failedRequests = 0;
  let firstError: string | undefined;
  const post = async (c: Customer, text: string, clientId: string): Promise<boolean> => {
    const { conversationId, token, userId } = c.conversation;
    try {
      const answer = await http.request('POST', `/v3/directline/conversations/${encodeURIComponent(conversationId)}/activities`,
        { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
        JSON.stringify({ type: 'message', from: { id: userId }, text, channelData: { clientActivityID: clientId } }));
      if (answer.status === 200 && answer.body.includes(conversationId)) return true;
      failedRequests++;
      firstError ??= `${answer.status} ${answer.body.slice(0, 200)}`;
    } catch (error) {
      failedRequests++;
      firstError ??= (error as Error).message;
    }
    return false;
  };
  // The customer answers the agent's first message, once.
  const answerAgent = (c: Customer) => {
    if (c.replied) return;
    c.replied = true;
    void post(c, replyText(c.conversation.conversationId), `b4-${round}-${c.index}-reply`).then((ok) => (c.replyAcked = ok));
  };
  await inParallel(customers, 50, (c) => openStream(c, answerAgent));
  progress(`stream sockets open at ${((performance.now() - t0) / 1000).toFixed(1)} s; ${bot.updates.size} conversationUpdates at the bot so far`);
  // Every conversation is the bot's (routing assigned it; the bot heard its conversationUpdate) before anyone speaks.
  const assigned = await waitFor(() => {
    bot.pull();
    return customers.every((c) => bot.updates.has(c.conversation.conversationId));
  }, WAIT_MS, 20);
  if (!assigned) throw new Error(`only ${customers.filter((c) => bot.updates.has(c.conversation.conversationId)).length} of ${count} conversations reached the bot within ${WAIT_MS / 1000} s`);
  const startMs = performance.now() - t0;
  progress(`all assigned to the bot at ${(startMs / 1000).toFixed(1)} s`);

  // The chat: message j of every customer in turn, open loop at `chatRate` (0: each customer
  // writes again as soon as its echo is back, or after ECHO_WAIT_MS without one).
  const chatCpu = cpuWindow(sb.server, pinning);
  const chatBotBefore = safeCpu(bot);
  const chatStarted = performance.now();
  if (chatRate > 0) {
    const order = shuffled(customers.length, round + 1);
    const interval = 1000 / chatRate;
    const total = customers.length * s.messages;
    const sends: Promise<boolean>[] = [];
    const start = performance.now() + 5;
    for (let q = 0; q < total; q++) {
      const wait = start + q * interval - performance.now();
      if (wait > 1) await sleep(wait);
      const c = customers[order[q % customers.length]!]!;
      const j = Math.floor(q / customers.length) + 1;
      c.sentAt[j] = now();
      sends.push(post(c, messageText(round, c.index, j), `b4-${round}-${c.index}-${j}`));
    }
    await Promise.all(sends);
  } else {
    await Promise.all(customers.map(async (c) => {
      for (let j = 1; j <= s.messages; j++) {
        const echoed = new Promise<void>((done) => {
          c.waiting = { j, resolve: done };
        });
        c.sentAt[j] = now();
        await post(c, messageText(round, c.index, j), `b4-${round}-${c.index}-${j}`);
        if ((await Promise.race([echoed, sleep(ECHO_WAIT_MS).then(() => 'timeout' as const)])) === 'timeout') c.waiting = undefined;
      }
    }));
  }
  const chatSends = performance.now();
  progress(`chat sent in ${((chatSends - chatStarted) / 1000).toFixed(1)} s`);
  await waitFor(() => customers.every((c) => c.echoes.every((n, j) => j === 0 || n > 0)), ECHO_WAIT_MS, 20);
  const chatSeconds = (performance.now() - chatStarted) / 1000;
  const chatUse = chatCpu();
  const chatBotAfter = safeCpu(bot);
  const chatBot = chatBotBefore !== undefined && chatBotAfter !== undefined ? (chatBotAfter - chatBotBefore) / chatUse.seconds : undefined;
  // Out of the bot's Connector rate window (two one-second windows) before the wave.
  await sleep(Math.max(0, 2500 - (performance.now() - chatSends)));
  bot.pull();

  // The escalation wave.
  const escalating = customers.filter((c) => c.escalates);
  const offersBefore = agents.offers.length;
  const cpu = cpuWindow(sb.server, pinning);
  const botBefore = safeCpu(bot);
  const waveStarted = performance.now();
  await Promise.all(escalating.map((c) => {
    c.escalatedAt = now();
    return post(c, ESCALATE_TEXT, `b4-${round}-${c.index}-escalate`);
  }));
  const waveOffers = () => new Set(agents.offers.slice(offersBefore).map((o) => o.conversationId)).size;
  await waitFor(() => waveOffers() >= escalating.length && escalating.every((c) => c.replyAcked), WAIT_MS);
  const waveSeconds = (performance.now() - waveStarted) / 1000;
  progress(`wave done in ${waveSeconds.toFixed(2)} s (from ${sinceServerStart(waveStarted)} to ${sinceServerStart(performance.now())} s after the server started; chat from ${sinceServerStart(chatStarted)} s)`);
  const use = cpu();
  const botAfter = safeCpu(bot);
  const botCpu = botBefore !== undefined && botAfter !== undefined ? (botAfter - botBefore) / use.seconds : undefined;
  // Late duplicates (a second echo, a second offer, a second agent message) have a moment to show themselves.
  await sleep(1000);
  await bot.quiet(300, 5000);

  // Join: the bot's t0 with the agent's offer, by conversation.
  const offers = agents.offers.slice(offersBefore);
  const offersBy = new Map<string, Offer[]>();
  for (const o of offers) offersBy.set(o.conversationId, [...(offersBy.get(o.conversationId) ?? []), o]);
  const handoff: number[] = [];
  const ack: number[] = [];
  const toContext: number[] = [];
  const customerToOffer: number[] = [];
  const spans: [number, number][] = [];
  let handoffFailures = 0;
  let handoffFailureSample: string | undefined;
  for (const c of escalating) {
    const id = c.conversation.conversationId;
    const h = bot.handoffs.get(id);
    const o = offersBy.get(id);
    const failed = h?.find((x) => !x.ok);
    if (failed) {
      handoffFailures++;
      handoffFailureSample ??= failed.err;
    }
    const sent = h?.find((x) => x.ok);
    const first = o?.[0];
    if (sent && first) {
      handoff.push(first.at - sent.t0);
      ack.push(sent.t1 - sent.t0);
      spans.push([sent.t0, first.at]);
      if (first.contextAt !== undefined) toContext.push(first.contextAt - sent.t0);
    }
    if (first && c.escalatedAt !== undefined) customerToOffer.push(first.at - c.escalatedAt);
  }
  const echo: number[] = [];
  for (const c of customers) for (let j = 1; j <= s.messages; j++) if (c.echoAt[j]! > 0) echo.push(c.echoAt[j]! - c.sentAt[j]!);

  // Exactly once: customer messages at the bot (each text of each conversation, and by activity id).
  let atBotOnce = 0;
  let atBotTwice = 0;
  let atBotMissing = 0;
  let customerMessages = 0;
  let repliesAtBot = 0;
  for (const c of customers) {
    const texts = bot.byConversation.get(c.conversation.conversationId) ?? [];
    const expected = Array.from({ length: s.messages }, (_, j) => messageText(round, c.index, j + 1));
    if (c.escalates) expected.push(ESCALATE_TEXT);
    customerMessages += expected.length;
    for (const text of expected) {
      const n = texts.filter((x) => x === text).length;
      if (n === 1) atBotOnce++;
      else if (n === 0) atBotMissing++;
      else atBotTwice++;
    }
    repliesAtBot += texts.filter((x) => x.startsWith(REPLY_PREFIX)).length;
  }
  const duplicateIdsAtBot = [...bot.messages.values()].filter((n) => n > 1).length;
  let echoesOnce = 0;
  let echoesTwice = 0;
  let echoesMissing = 0;
  for (const c of customers) {
    for (let j = 1; j <= s.messages; j++) {
      if (c.echoes[j] === 1) echoesOnce++;
      else if (c.echoes[j] === 0) echoesMissing++;
      else echoesTwice++;
    }
  }
  let exactlyOneOffer = 0;
  let noOffer = 0;
  let severalOffers = 0;
  for (const c of escalating) {
    const n = new Set((offersBy.get(c.conversation.conversationId) ?? []).map((o) => o.offerId)).size;
    if (n === 1) exactlyOneOffer++;
    else if (n === 0) noOffer++;
    else severalOffers++;
  }
  const escalatingIds = new Set(escalating.map((c) => c.conversation.conversationId));
  const offersElsewhere = offers.filter((o) => !escalatingIds.has(o.conversationId)).length;
  const failures = bot.echoFailures.splice(0);
  const replies = (c: Customer) => agents.replies.get(c.conversation.conversationId) ?? 0;
  const checks: Checks = {
    customerMessages, atBotOnce, atBotTwice: atBotTwice + duplicateIdsAtBot, atBotMissing,
    echoesExpected: customers.length * s.messages, echoesOnce, echoesTwice, echoesMissing,
    duplicateIds: customers.reduce((n, c) => n + c.duplicateIds, 0), seqViolations: customers.reduce((n, c) => n + c.seqViolations, 0),
    strayEchoes: customers.reduce((n, c) => n + c.strayEchoes, 0),
    escalations: escalating.length, exactlyOneOffer, noOffer, severalOffers, offersElsewhere, duplicateOfferEvents: agents.duplicateEvents,
    botReplyFailures: failures.length, botReplyFailureSample: failures[0], handoffFailures, handoffFailureSample,
    contextProblems: offers.filter((o) => o.contextOk === false).length, accepted: offers.filter((o) => o.accepted).length,
    agentMessagesOnce: escalating.filter((c) => c.agentMessages === 1).length,
    agentMessagesTwice: customers.filter((c) => c.agentMessages > 1).length,
    agentMessagesMissing: escalating.filter((c) => c.agentMessages === 0).length,
    repliesAtAgentOnce: escalating.filter((c) => replies(c) === 1).length,
    repliesAtAgentOther: escalating.filter((c) => replies(c) !== 1).length,
    repliesAtBot,
    handoffStatusAccepted: escalating.filter((c) => (bot.statuses.get(c.conversation.conversationId) ?? []).filter((x) => x === 'accepted').length === 1).length,
    commandErrors: agents.commandErrors.splice(0).length,
  };
  bot.messages.clear();
  agents.duplicateEvents = 0;

  // Round over: every conversation closed (escalated ones too, which frees the agents), sockets closed.
  await inParallel(customers, 16, async (c) => {
    await admin('POST', `/v1/tenants/${channel.tenantId}/conversations/${c.conversation.conversationId}/state`, { to: 'closed' }).catch(() => undefined);
  });
  for (const c of customers) c.socket?.terminate();
  await bot.quiet(500, 30_000);
  progress('conversations closed');

  const sorted = (values: number[]) => Float64Array.from(values).sort();
  return {
    round, conversations: customers.length, handoff: sorted(handoff), ack: sorted(ack), toContext: sorted(toContext), customerToOffer: sorted(customerToOffer), echo: sorted(echo),
    maxInFlight: maxOverlap(spans), checks, cpu: use, bot: botCpu, chatCpu: chatUse, chatBot, chatSeconds, chatRate, waveSeconds, startMs, failedRequests, firstError,
  };
}

function safeCpu(bot: BotReports): number | undefined {
  try {
    return bot.server.cpuSeconds();
  } catch {
    return undefined;
  }
}

/** The most intervals open at one moment. */
function maxOverlap(spans: [number, number][]): number {
  const points = spans.flatMap(([a, b]) => [[a, 1], [b, -1]] as [number, number][]).sort((x, y) => x[0] - y[0] || x[1] - y[1]);
  let open = 0;
  let max = 0;
  for (const [, d] of points) {
    open += d;
    max = Math.max(max, open);
  }
  return max;
}

interface BaselineClient {
  readonly http: KeepAliveClient;
  /** Resolvers of the frames awaited, by sample number. */
  readonly awaited: Map<number, (at: number) => void>;
  close(): void;
}

async function connectBaseline(aPort: number, bPort: number, concurrency: number): Promise<BaselineClient> {
  const awaited = new Map<number, (at: number) => void>();
  const sockets = await Promise.all(Array.from({ length: 10 }, async () => {
    const socket = new WebSocket(`ws://127.0.0.1:${bPort}/ws`, { perMessageDeflate: false });
    await new Promise<void>((done, fail) => {
      socket.once('open', () => done());
      socket.once('error', fail);
    });
    socket.on('message', (data: Buffer) => {
      const at = now();
      const k = Number(/"k":(\d+)/.exec(data.toString())?.[1]);
      const resolve = awaited.get(k);
      awaited.delete(k);
      resolve?.(at);
    });
    return socket;
  }));
  const http = new KeepAliveClient(`http://127.0.0.1:${aPort}`, { connections: concurrency });
  return {
    http, awaited,
    close: () => {
      http.close();
      for (const s of sockets) s.terminate();
    },
  };
}

let baselineSample = 0;
/** When the Switchboard process was started: offsets from it locate a phase in its CPU profile. */
let serverStartedAt = 0;
const sinceServerStart = (at: number) => ((at - serverStartedAt) / 1000).toFixed(1);

/** `waves` x `concurrency` requests at once through the minimal path, then 50 one at a time. */
async function baselineRound(round: number, client: BaselineClient, waves: number, concurrency: number, server: ServerProcess, pinning: Pinning): Promise<BaselineResult> {
  const filler = 'x'.repeat(BASELINE_BODY_BYTES);
  const one = async (): Promise<number> => {
    const k = ++baselineSample;
    const head = `{"k":${k},"type":"event","name":"handoff.initiate","pad":"`;
    const body = head + filler.slice(0, BASELINE_BODY_BYTES - head.length - 2) + '"}';
    const frame = new Promise<number>((resolve, reject) => {
      client.awaited.set(k, resolve);
      setTimeout(() => reject(new Error(`minimal path: frame ${k} never arrived`)), WAIT_MS).unref();
    });
    const started = now();
    const answer = await client.http.request('POST', '/a', { 'content-type': 'application/json' }, body);
    if (answer.status !== 200) throw new Error(`minimal path: HTTP ${answer.status}`);
    return (await frame) - started;
  };
  const cpu = cpuWindow(server, pinning);
  const latency: number[] = [];
  for (let w = 0; w < waves; w++) {
    latency.push(...await Promise.all(Array.from({ length: concurrency }, one)));
    await sleep(50);
  }
  const use = cpu();
  const sequential: number[] = [];
  for (let i = 0; i < (round === 0 ? 10 : 50); i++) sequential.push(await one());
  return { round, latency: Float64Array.from(latency).sort(), sequential: Float64Array.from(sequential).sort(), cpu: use };
}

/** Server CPU milliseconds per item of a window (undefined without /proc). */
function cpuPer(use: CpuUse, items: number): string {
  return use.server === undefined || items === 0 ? 'n/a' : ms((use.server * use.seconds * 1000) / items);
}

function roundLine(r: RoundResult): string {
  const c = r.checks;
  const lines = [
    `switchboard round ${r.round}: ${int(r.conversations)} conversations started and assigned to the bot in ${(r.startMs / 1000).toFixed(1)} s`,
    `    chat: ${r.chatSeconds.toFixed(1)} s ${r.chatRate > 0 ? `at ${r.chatRate}/s` : 'as fast as echoes come back'}; echo p50 ${ms(quantile(r.echo, 0.5))} p99 ${ms(quantile(r.echo, 0.99))} ms; server ${cores(r.chatCpu.server)}, bot ${cores(r.chatBot)}, loadgen ${cores(r.chatCpu.load)}, others ${cores(r.chatCpu.othersOnServerCpu)}/${cores(r.chatCpu.othersOnLoadCpu)}; echoes once ${int(c.echoesOnce)}/${int(c.echoesExpected)}` +
      `${c.botReplyFailures > 0 ? `; ${c.botReplyFailures} bot replies refused (${c.botReplyFailureSample})` : ''}`,
    `    wave of ${c.escalations} escalations: ${r.waveSeconds.toFixed(2)} s; handoff -> offer p50 ${ms(quantile(r.handoff, 0.5))} p99 ${ms(quantile(r.handoff, 0.99))} max ${ms(r.handoff[r.handoff.length - 1] ?? Number.NaN)} ms (${r.handoff.length} samples, up to ${r.maxInFlight} at once); ` +
      `server CPU ${cpuPer(r.cpu, c.escalations)} ms per escalation; server ${cores(r.cpu.server)}, bot ${cores(r.bot)}, loadgen ${cores(r.cpu.load)}, others ${cores(r.cpu.othersOnServerCpu)}/${cores(r.cpu.othersOnLoadCpu)}; offers ${c.exactlyOneOffer}/${c.escalations}, accepted ${c.accepted}, agent messages ${c.agentMessagesOnce}, replies ${c.repliesAtAgentOnce}` +
      `${c.handoffFailures > 0 ? `; ${c.handoffFailures} handoffs refused (${c.handoffFailureSample})` : ''}${r.failedRequests > 0 ? `; ${r.failedRequests} failed customer requests (${r.firstError})` : ''}`,
  ];
  return lines.join('\n');
}

interface StoreCheck {
  readonly journalMode: string;
  readonly conversations: number;
  readonly gaps: number;
}

/** After the server stopped: every conversation's messages have contiguous sequences from 1. */
function inspectStore(path: string, tenantId: string): StoreCheck {
  const db = new Database(path, { readonly: true, fileMustExist: true });
  try {
    const journalMode = String(db.pragma('journal_mode', { simple: true }));
    const rows = db.prepare('SELECT conversation_id, COUNT(*) AS n, MIN(seq) AS lo, MAX(seq) AS hi FROM messages WHERE tenant_id = ? GROUP BY conversation_id').all(tenantId) as { n: number; lo: number; hi: number }[];
    return { journalMode, conversations: rows.length, gaps: rows.filter((r) => r.lo !== 1 || r.hi !== r.n).length };
  } finally {
    db.close();
  }
}

function report(sb: RoundResult[], base: BaselineResult[], store: StoreCheck, bot: BotReports, s: Settings, loadBefore: number[], profile: boolean): boolean {
  const fmt = (v: number) => (Number.isFinite(v) ? ms(v) : 'n/a');
  out('\nper round (ms)');
  out(table([
    ['round', 'handoff p50', 'p99', 'max', 'samples', 'at once', 'bot POST answered p50', 'agent has transcript p50', 'customer -> offer p50', 'echo p50', 'echo p99', 'minimal p50', 'p99', 'one at a time p50', 'SB server', 'bot', 'loadgen'],
    ...sb.map((r, i) => {
      const b = base[i];
      return [
        String(r.round), fmt(quantile(r.handoff, 0.5)), fmt(quantile(r.handoff, 0.99)), fmt(r.handoff[r.handoff.length - 1] ?? Number.NaN), String(r.handoff.length), String(r.maxInFlight),
        fmt(quantile(r.ack, 0.5)), fmt(quantile(r.toContext, 0.5)), fmt(quantile(r.customerToOffer, 0.5)), fmt(quantile(r.echo, 0.5)), fmt(quantile(r.echo, 0.99)),
        b ? fmt(quantile(b.latency, 0.5)) : 'n/a', b ? fmt(quantile(b.latency, 0.99)) : 'n/a', b ? fmt(quantile(b.sequential, 0.5)) : 'n/a',
        cores(r.cpu.server), cores(r.bot), cores(r.cpu.load),
      ];
    }),
  ]).split('\n').map((l) => `  ${l}`).join('\n'));
  out(`\nstore after the run: ${int(store.conversations)} conversations, ${store.gaps} with a gap in their message sequence; journal_mode=${store.journalMode} (read from the file), synchronous=NORMAL (1) as configured`);
  out(`  bot: ${int(bot.lines)} turn reports, ${bot.ends} endOfConversation, ${bot.turnErrors.length} turn errors${bot.turnErrors[0] ? ` (${bot.turnErrors[0]})` : ''}`);
  out(`  load average before ${loadBefore.map((n) => n.toFixed(2)).join(' ')}, after ${loadavg().map((n) => n.toFixed(2)).join(' ')}`);

  const sum = (pick: (c: Checks) => number) => sb.reduce((n, r) => n + pick(r.checks), 0);
  const p50s = sb.map((r) => quantile(r.handoff, 0.5));
  const p99s = sb.map((r) => quantile(r.handoff, 0.99));
  const b50s = base.map((b) => quantile(b.latency, 0.5));
  const b99s = base.map((b) => quantile(b.latency, 0.99));
  const sp50 = median(p50s);
  const sp99 = median(p99s);
  const bp50 = median(b50s);
  const bp99 = median(b99s);
  const r50 = sp50 / bp50;
  const r99 = sp99 / bp99;
  const pooled = Float64Array.from(sb.flatMap((r) => [...r.handoff])).sort();
  out('');
  if (profile) out('B4 (profiling run: the figures below were measured under --cpu-prof and are not results)');
  out(`B4 handoff.initiate -> agent's routing.offered: p50 ${fmt(sp50)} ms, p99 ${fmt(sp99)} ms (median of ${sb.length} round(s); ${pooled.length} handoffs in all, pooled p50 ${fmt(quantile(pooled, 0.5))} p99 ${fmt(quantile(pooled, 0.99))} max ${fmt(pooled[pooled.length - 1] ?? Number.NaN)} ms)`);
  out(`B4 minimal path (POST -> POST -> ws frame, ${s.concurrency} at once): p50 ${fmt(bp50)} ms, p99 ${fmt(bp99)} ms; one at a time p50 ${fmt(median(base.map((b) => quantile(b.sequential, 0.5))))} ms`);
  out(`B4 handoff p50 / minimal p50: ${r50.toFixed(1)}x (target <= ${P50_TARGET}x) ${r50 <= P50_TARGET ? 'PASS' : 'MISS'}`);
  out(`B4 handoff p99 / minimal p99: ${r99.toFixed(1)}x (target <= ${P99_TARGET}x) ${r99 <= P99_TARGET ? 'PASS' : 'MISS'}`);
  out(`B4 for information: the bot's handoff POST answered p50 ${fmt(median(sb.map((r) => quantile(r.ack, 0.5))))} ms; the agent has read transcript + context p50 ${fmt(median(sb.map((r) => quantile(r.toContext, 0.5))))} ms after t0; customer's "escalate now" -> offer p50 ${fmt(median(sb.map((r) => quantile(r.customerToOffer, 0.5))))} ms; echo p50/p99 ${fmt(median(sb.map((r) => quantile(r.echo, 0.5))))}/${fmt(median(sb.map((r) => quantile(r.echo, 0.99))))} ms`);

  const sbCpu = median(sb.map((r) => (r.cpu.server ?? Number.NaN) * r.cpu.seconds * 1000 / Math.max(1, r.checks.escalations)));
  const baseCpu = median(base.map((b) => (b.cpu.server ?? Number.NaN) * b.cpu.seconds * 1000 / Math.max(1, b.latency.length)));
  out(`B4 for information: server CPU per escalation (the whole wave: the customers' posts, deliveries, handoffs, offers, the agents' reads, accepts and messages) ${fmt(sbCpu)} ms; per minimal-path request ${fmt(baseCpu)} ms; ratio ${(sbCpu / baseCpu).toFixed(0)}x`);
  const lostOrDup = sum((c) => c.atBotTwice + c.atBotMissing + c.echoesTwice + c.echoesMissing + c.duplicateIds + c.seqViolations + c.strayEchoes + c.noOffer + c.severalOffers + c.offersElsewhere + c.duplicateOfferEvents +
    c.agentMessagesTwice + c.agentMessagesMissing + c.repliesAtAgentOther + c.repliesAtBot) + store.gaps;
  out(`B4 nothing lost or duplicated: customer messages at the bot once ${int(sum((c) => c.atBotOnce))}/${int(sum((c) => c.customerMessages))} (twice ${sum((c) => c.atBotTwice)}, never ${sum((c) => c.atBotMissing)}); ` +
    `echoes at the customer once ${int(sum((c) => c.echoesOnce))}/${int(sum((c) => c.echoesExpected))} (twice ${sum((c) => c.echoesTwice)}, never ${sum((c) => c.echoesMissing)}; activity ids twice ${sum((c) => c.duplicateIds)}, out of order ${sum((c) => c.seqViolations)}, stray ${sum((c) => c.strayEchoes)}); ` +
    `escalations with exactly one offer ${sum((c) => c.exactlyOneOffer)}/${sum((c) => c.escalations)} (none ${sum((c) => c.noOffer)}, several ${sum((c) => c.severalOffers)}, offers elsewhere ${sum((c) => c.offersElsewhere)}, events twice ${sum((c) => c.duplicateOfferEvents)}); ` +
    `after the handoff: agent's message at the customer once ${sum((c) => c.agentMessagesOnce)} (twice ${sum((c) => c.agentMessagesTwice)}, never ${sum((c) => c.agentMessagesMissing)}), the customer's answer at the agent once ${sum((c) => c.repliesAtAgentOnce)} (otherwise ${sum((c) => c.repliesAtAgentOther)}), at the bot ${sum((c) => c.repliesAtBot)}; ` +
    `stored sequences with gaps ${store.gaps} ${lostOrDup === 0 ? 'PASS' : 'MISS'}`);
  const refused = sum((c) => c.botReplyFailures);
  if (refused > 0) out(`B4 note: the bot's Connector calls were refused ${refused} times (${sb.find((r) => r.checks.botReplyFailureSample)?.checks.botReplyFailureSample}); botbuilder does not retry those: the echoes are lost at the bot's side`);
  const handoffFailures = sum((c) => c.handoffFailures);
  if (handoffFailures > 0) out(`B4 note: ${handoffFailures} handoff.initiate calls failed at the bot (${sb.find((r) => r.checks.handoffFailureSample)?.checks.handoffFailureSample})`);
  out(`B4 agents: ${sum((c) => c.accepted)} offers accepted; ${sum((c) => c.contextProblems)} with transcript or context missing; ${sum((c) => c.commandErrors)} socket command errors; the bot heard handoff.status "accepted" once for ${sum((c) => c.handoffStatusAccepted)}/${sum((c) => c.escalations)}`);
  const failed = sb.reduce((n, r) => n + r.failedRequests, 0);
  if (failed > 0) out(`\nB4 INVALID: ${failed} customer requests failed (${sb.find((r) => r.firstError)?.firstError})`);
  return failed === 0 && sb.every((r) => r.handoff.length > 0) && base.length > 0;
}

function header(buildNote: string, pinning: Pinning, s: Settings): void {
  out('B4 bot -> agent handoff: a real botbuilder bot, Direct Line customers, agents on /v1/stream, vs the minimal path (two loopback POSTs + one ws frame), same run');
  for (const line of machineLines(ROOT, buildNote, pinning)) out(line);
  if (process.env.B4_SERVER_ENTRY) out(`  Switchboard from B4_SERVER_ENTRY=${process.env.B4_SERVER_ENTRY} (not this tree's dist/: an A/B build)`);
  out(`  ${s.conversations} conversations per round, ${s.messages} messages each (echoed), ${s.escalatePercent}% then escalate; chat ${s.chatRate > 0 ? `open loop at ${s.chatRate} customer messages/s in all (the bot's Connector limit is ${CONNECTOR_RATE} calls/s)` : 'as fast as the echoes come back'}, then the escalations at once; ${s.agents} agents x capacity ${s.agentCapacity}; ${s.rounds} round(s) (order alternates), warm-up ${s.warmup} conversations`);
  out(`  bot: botbuilder CloudAdapter + ConfigurationBotFrameworkAuthentication (anonymous), own process${pinning.used ? ` on CPU ${pinning.loadCpu} (with the load generator)` : ''}; minimal path: ${s.waves} waves of ${s.concurrency} at once, ${BASELINE_BODY_BYTES}-byte body`);
  out('  SQLite: journal_mode=WAL, synchronous=NORMAL, group commit');
}

// The child roles: `node --import tsx bench/b4-bots.ts bot|baseline`.
if (process.argv[1] !== undefined && resolve(process.argv[1]) === SELF) {
  const role = process.argv[2];
  if (role === 'bot') await runBotChild();
  else if (role === 'baseline') await runBaselineChild();
  else {
    process.stderr.write('usage: node --import tsx bench/b4-bots.ts bot|baseline (the benchmark itself: npm run bench -- b4)\n');
    process.exitCode = 2;
  }
}
