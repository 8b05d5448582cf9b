import { mkdtempSync, rmSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import Database from 'better-sqlite3';
import { percentile, runTrio, type DecisionSample, type SelectorKind } from './b2/decisions.js';
import { bareRound, buildTemplate, engineRound, removeDatabase, type BareRound, type EngineRound, type Operation } from './b2/durable.js';
import { measureMemory, type MemoryReport } from './b2/memory.js';
import { generatePopulation, DEFAULT_POPULATION, type Population } from './b2/population.js';
import { profiled } from './b2/profiler.js';
import { installTrace, replayTrace, startRecording, stopRecording, uninstallTrace, type ReplayResult, type TraceEntry } from './b2/sql-trace.js';
import { cpuBusySeconds, onExit } from './lib/processes.js';
import { int, median, pct, table } from './lib/stats.js';
import { setting } from './lib/settings.js';

/**
 * B2, routing engine (docs/BENCHMARKS.md, design/BENCHMARKS.md). Three parts, each against a
 * baseline measured in the same run, in interleaved rounds whose order alternates:
 *
 * 1. decisions: the engine's AgentIndex against two brute-force scans on the same seeded workload
 *    over 5,000 agents in 200 queues: the O(agents) eligibility scan over plain arrays
 *    (bench/b2/agents-scan.ts) and the oracle `selectAgent` over the queue's members
 *    (bench/b2/decisions.ts);
 * 2. durable assignments: the RoutingEngine on a SQLite file against a bare better-sqlite3 loop of
 *    the same operations' conditional statements, plus the engine's own SQL replayed raw to show
 *    where the difference goes (bench/b2/durable.ts, bench/b2/sql-trace.ts);
 * 3. memory: the engine holding 5,000 agents and 50,000 waiting conversations, in a child process
 *    with --expose-gc (bench/b2/memory-child.ts).
 *
 * Settings (environment): B2_ROUNDS (5), B2_DECISIONS per round and selector (20000),
 * B2_CONVERSATIONS waiting in the durable part (4000), B2_MEMORY_CONVERSATIONS (50000),
 * B2_PARTS (comma list of decisions, durable, memory; default all), B2_SEED (1), B2_PROFILE=1 to
 * write a CPU profile of one extra engine round to $TMPDIR/switchboard-b2-profiles (read it with
 * bench/tools/cpuprofile-summary.ts), B2_KEEP=1 to keep the databases, B2_VERBOSE=1 for setup steps.
 */

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const DECISION_TARGET = 20;
const LATENCY_TARGET_MS = 1;
const DURABLE_TARGET = 0.5;
const MEMORY_TARGET_MB = 300;
const MB = 1024 * 1024;

const out = (line = '') => process.stdout.write(`${line}\n`);
const us = (ns: number) => `${(ns / 1000).toFixed(ns < 10_000 ? 1 : 0)} µs`;
const verdict = (pass: boolean, miss: string) => (pass ? 'PASS' : `MISS ${miss}`);

/** CPU taken by other processes (in cores, both CPUs together) while `work` ran: the noise of a shared machine. */
async function withNoise<T>(work: () => Promise<T> | T): Promise<{ value: T; others: number | undefined }> {
  const cpuIds = cpus().map((_, i) => i);
  const busy = () => cpuIds.map((i) => cpuBusySeconds(i));
  const before = busy();
  const own = process.cpuUsage();
  const started = process.hrtime.bigint();
  const value = await work();
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  const mine = process.cpuUsage(own);
  const after = busy();
  if (before.some((b) => b === undefined) || after.some((a) => a === undefined)) return { value, others: undefined };
  let all = 0;
  after.forEach((a, i) => (all += a! - before[i]!));
  return { value, others: Math.max(0, (all - (mine.user + mine.system) / 1e6) / seconds) };
}

export async function runB2(): Promise<boolean> {
  const rounds = Math.round(setting('B2_ROUNDS', 5));
  const decisions = Math.round(setting('B2_DECISIONS', 20_000));
  const conversations = Math.round(setting('B2_CONVERSATIONS', 4_000));
  const memoryConversations = Math.round(setting('B2_MEMORY_CONVERSATIONS', 50_000));
  const seed = Math.round(setting('B2_SEED', 1));
  const parts = (process.env.B2_PARTS ?? 'decisions,durable,memory').split(',').map((s) => s.trim()).filter(Boolean);
  const unknown = parts.filter((p) => !['decisions', 'durable', 'memory'].includes(p));
  if (unknown.length > 0) throw new Error(`B2_PARTS: unknown part(s) ${unknown.join(', ')} (known: decisions, durable, memory)`);

  const dir = mkdtempSync(join(tmpdir(), 'sb-bench-b2-'));
  const keep = process.env.B2_KEEP === '1';
  const removeDir = () => rmSync(dir, { recursive: true, force: true });
  const forgetCleanup = keep ? () => false : onExit(removeDir);
  const population = generatePopulation({ ...DEFAULT_POPULATION, seed: DEFAULT_POPULATION.seed + seed });
  const summary: string[] = [];
  let valid = true;

  header(population, dir, rounds);
  try {
    if (parts.includes('decisions')) valid = (await decisionPart(population, rounds, decisions, seed, summary)) && valid;
    if (parts.includes('durable')) valid = (await durablePart(population, rounds, conversations, seed, dir, summary)) && valid;
    if (parts.includes('memory')) valid = (await memoryPart(memoryConversations, seed, dir, summary)) && valid;
  } finally {
    forgetCleanup();
    if (keep) out(`databases kept in ${dir}`);
    else removeDir();
  }
  out(`\nload average at the end ${loadavg().map((n) => n.toFixed(2)).join(' ')}`);
  out('');
  for (const line of summary) out(line);
  if (!valid) out('B2 INVALID: see the problems above');
  return valid;
}

function header(population: Population, dir: string, rounds: number): void {
  const probe = new Database(':memory:');
  const sqlite = String(probe.prepare('SELECT sqlite_version() AS v').pluck().get());
  probe.close();
  const members = population.queues.reduce((sum, q) => sum + q.members.length, 0);
  out(`B2 routing engine: ${population.agents.length} agents, ${population.queues.length} queues (${(members / population.queues.length).toFixed(0)} members on average, each agent in ${DEFAULT_POPULATION.queuesPerAgent.join('-')}), ${population.skillNames.length} skills (${DEFAULT_POPULATION.skillsPerAgent.join('-')} per agent), capacity 1-5`);
  out(`node ${process.version}, better-sqlite3 with SQLite ${sqlite}, ${cpus().length} x ${cpus()[0]?.model ?? 'cpu'}; one process, not pinned (engine and baselines take turns on the same core); ${rounds} interleaved rounds, order alternating`);
  out(`databases in ${dir}; load average at the start ${loadavg().map((n) => n.toFixed(2)).join(' ')}`);
}

// ---- part 1: decisions ------------------------------------------------------------------------

async function decisionPart(population: Population, rounds: number, decisions: number, seed: number, summary: string[]): Promise<boolean> {
  out('\n## decisions: AgentIndex vs two brute-force scans, same seeded workload per round, taking turns every 250 work items');
  out("   baselines: the O(agents) eligibility scan over plain arrays (BENCHMARKS.md's baseline a) and the oracle selectAgent over the queue's members");
  out('   30% of offers declined (agent excluded, decided again), work ends at random, 10% of work items come with a presence change');
  // Warm-up: the selectors compiled and the population's objects settled before anything counts.
  runTrio(population, Math.min(decisions, 5_000), seed * 1000, 'scan');

  const kinds: SelectorKind[] = ['agents', 'scan', 'index'];
  const samples: { index: DecisionSample; scan: DecisionSample; agents: DecisionSample; others: number | undefined }[] = [];
  const mismatches: string[] = [];
  for (let round = 0; round < rounds; round++) {
    const first = kinds[round % kinds.length]!;
    const { value: { index, scan, agents, difference }, others } = await withNoise(() => runTrio(population, decisions, seed * 1000 + round + 1, first));
    samples.push({ index, scan, agents, others });
    if (difference) mismatches.push(`round ${round + 1}: ${difference}`);
    mismatches.push(...index.violations.map((v) => `round ${round + 1}: ${v}`));
    const full = rate(index, true);
    out(`  round ${round + 1}/${rounds} (${first} first in each turn): index ${int(full)}/s incl. upkeep (${int(rate(index, false))}/s select only), O(agents) scan ${int(rate(agents, true))}/s` +
      ` -> ${(full / rate(agents, true)).toFixed(1)}x, member scan ${int(rate(scan, true))}/s -> ${(full / rate(scan, true)).toFixed(1)}x;` +
      ` p50 ${us(percentile(index.latencies, 50))}, p99 ${us(percentile(index.latencies, 99))}; others ${others === undefined ? 'n/a' : others.toFixed(2)} cores${difference ? '  CHOICES DIFFER' : ''}`);
  }

  const first = samples[0]!.index;
  out(`  workload per round: ${int(first.decisions)} decisions (${int(first.offered)} offers, ${int(first.declined)} declined, ${int(first.unmatched)} found nobody), ${int(first.presenceChanges)} presence changes;` +
    ` queues have ${first.avgMembers.toFixed(0)} members on average, the index visits ${first.avgCandidatesVisited.toFixed(1)} candidates per decision; building the index takes ${first.buildMs.toFixed(0)} ms (not timed)`);
  const m = (f: (s: (typeof samples)[number]) => number) => median(samples.map(f));
  const indexFull = m((s) => rate(s.index, true));
  const indexSelect = m((s) => rate(s.index, false));
  const ratio = (baseline: 'agents' | 'scan', withUpkeep: boolean) => m((s) => rate(s.index, withUpkeep) / rate(s[baseline], withUpkeep));
  const upkeepShare = m((s) => s.index.upkeepNs / (s.index.selectNs + s.index.upkeepNs));
  const p50 = m((s) => percentile(s.index.latencies, 50));
  const p99 = m((s) => percentile(s.index.latencies, 99));
  const max = Math.max(...samples.map((s) => percentile(s.index.latencies, 100)));
  const row = (name: string, pick: (s: (typeof samples)[number]) => DecisionSample) => [
    name, int(m((s) => rate(pick(s), true))), int(m((s) => rate(pick(s), false))),
    us(m((s) => percentile(pick(s).latencies, 50))), us(m((s) => percentile(pick(s).latencies, 99))), us(m((s) => percentile(pick(s).latencies, 99.9))),
  ];
  out('\n  medians over rounds');
  out(table([
    ['selector', 'decisions/s incl. upkeep', 'select only', 'p50', 'p99', 'p99.9'],
    row('AgentIndex', (s) => s.index),
    row('O(agents) scan, plain arrays', (s) => s.agents),
    row('member scan (selectAgent)', (s) => s.scan),
  ]).split('\n').map((l) => `  ${l}`).join('\n'));
  out(`  index upkeep (re-filing agents in their queues' orders after each change) is ${pct(upkeepShare)} of the index's time`);
  out('  select time by kind of decision (mean per decision, median over rounds)');
  const byKind = [...samples[0]!.index.byKind.keys()].sort();
  const meanOf = (s: DecisionSample, kind: string) => {
    const k = s.byKind.get(kind);
    return k && k.count > 0 ? k.ns / k.count : Number.NaN;
  };
  out(table([
    ['kind', 'share', 'AgentIndex', 'O(agents)', 'member scan'],
    ...byKind.map((kind) => [
      kind, pct(samples[0]!.index.byKind.get(kind)!.count / samples[0]!.index.decisions),
      us(m((s) => meanOf(s.index, kind))), us(m((s) => meanOf(s.agents, kind))), us(m((s) => meanOf(s.scan, kind))),
    ]),
  ]).split('\n').map((l) => `    ${l}`).join('\n'));

  const compared = samples.reduce((sum, s) => sum + s.index.choices.length, 0);
  const checked = samples.reduce((sum, s) => sum + s.index.checked, 0);
  const line = (what: string, baseline: 'agents' | 'scan', withUpkeep: boolean) => {
    const r = ratio(baseline, withUpkeep);
    const baseRate = m((s) => rate(s[baseline], withUpkeep));
    return `B2 routing decisions${withUpkeep ? ' incl. index upkeep' : ', select only'}: ${r.toFixed(1)}x ${what} (${int(withUpkeep ? indexFull : indexSelect)} vs ${int(baseRate)} decisions/s)` +
      ` (target >= ${DECISION_TARGET}x) ${verdict(r >= DECISION_TARGET, `(needs ${(DECISION_TARGET / r).toFixed(1)}x faster)`)}`;
  };
  summary.push(line('the O(agents) eligibility scan over plain arrays', 'agents', true));
  summary.push(line('the O(agents) eligibility scan over plain arrays', 'agents', false));
  summary.push(line("the oracle's scan of the queue's members", 'scan', true));
  summary.push(line("the oracle's scan of the queue's members", 'scan', false));
  summary.push(`B2 decision latency (AgentIndex.select): p50 ${us(p50)}, p99 ${us(p99)}, max ${us(max)} (target p99 <= ${LATENCY_TARGET_MS} ms) ${verdict(p99 <= LATENCY_TARGET_MS * 1e6, '')}`);
  summary.push(`B2 ordering violations against the oracle: ${mismatches.length} in ${int(compared)} decisions compared run to run (x2 baselines) and ${int(checked)} checked on the spot (target 0) ${verdict(mismatches.length === 0, '')}`);
  for (const mismatch of mismatches.slice(0, 10)) out(`  VIOLATION ${mismatch}`);
  return mismatches.length === 0;
}

/** Decisions per second of selector time (select, plus the selector's upkeep when `withUpkeep`). */
function rate(sample: DecisionSample, withUpkeep: boolean): number {
  return sample.decisions / ((sample.selectNs + (withUpkeep ? sample.upkeepNs : 0)) / 1e9);
}

// ---- part 2: durable assignments ------------------------------------------------------------

async function durablePart(population: Population, rounds: number, conversations: number, seed: number, dir: string, summary: string[]): Promise<boolean> {
  out(`\n## durable assignments: RoutingEngine on SQLite vs a bare better-sqlite3 loop of the same operations`);
  const template = await buildTemplate(population, { conversations, dir, seed, verbose: process.env.B2_VERBOSE === '1' });
  const probe = new Database(template.path, { readonly: true });
  const journal = String(probe.pragma('journal_mode', { simple: true }));
  probe.close();
  out(`  template: ${int(conversations)} conversations waiting, every agent signed off; built through the use cases in ${template.buildSeconds.toFixed(0)} s (journal_mode=${journal})`);

  // Warm-up round, recorded: its operations are what the first bare round replays, and its SQL
  // trace is replayed raw below. Recording costs time, so its own figure is not a result.
  installTrace();
  let trace: TraceEntry[] = [];
  let insideSqlite = 0;
  let warm: EngineRound;
  try {
    warm = await engineRound(template, population, join(dir, 'warm-up.db'), seed, async (work) => {
      startRecording();
      try {
        return await work();
      } finally {
        const recorded = stopRecording();
        trace = recorded.entries;
        insideSqlite = recorded.insideSeconds;
      }
    });
  } finally {
    uninstallTrace();
  }
  removeDatabase(join(dir, 'warm-up.db'));
  const problems = warm.problems.map((p) => `warm-up: ${p}`);
  const c = warm.counts;
  out(`  operations per round: ${int(c.presence)} presence changes, ${int(c.offer)} offers, ${int(c.accept)} accepts, ${int(c.reject)} rejects, ${int(c.timeout)} timeouts,` +
    ` ${int(c.withdrawn)} withdrawn (the agent stepped away) (${pct((c.reject + c.timeout + c.withdrawn) / c.offer)} of offers not accepted); ${warm.clockJumps} clock jumps past the offer timeout;` +
    ` ${warm.lateAnswers} answers arrived after their offer had ended; ${int(warm.waitingAtEnd)} conversations left waiting (nobody eligible)`);
  out(`  warm-up (recorded, not a result): ${warm.seconds.toFixed(2)} s, of which ${insideSqlite.toFixed(2)} s inside better-sqlite3 calls; SQLite journal_mode=${warm.settings.journalMode}, synchronous=${warm.settings.synchronous} (NORMAL)`);

  const engine: EngineRound[] = [];
  const bare: BareRound[] = [];
  const bareBackground: BareRound[] = [];
  const replays: ReplayResult[] = [];
  let latest: readonly Operation[] = warm.operations;
  for (let round = 0; round < rounds; round++) {
    const order = round % 2 === 0 ? ['bare', 'bare-bg', 'replay', 'engine'] as const : ['engine', 'replay', 'bare-bg', 'bare'] as const;
    const line: string[] = [];
    const { others } = await withNoise(async () => {
      for (const target of order) {
        const path = join(dir, `round-${round}-${target}.db`);
        if (target === 'engine') {
          const e = await engineRound(template, population, path, seed);
          engine.push(e);
          latest = e.operations;
          problems.push(...e.problems.map((p) => `round ${round + 1} engine: ${p}`));
          line.push(`engine ${e.seconds.toFixed(2)} s (${int(e.operations.length / e.seconds)} ops/s)`);
        } else if (target === 'bare' || target === 'bare-bg') {
          const b = await bareRound(template, latest, path, false, target === 'bare' ? 'inline' : 'background');
          (target === 'bare' ? bare : bareBackground).push(b);
          if (b.failedConditions > 0) problems.push(`round ${round + 1} ${target}: ${b.failedConditions} conditional statements changed no row`);
          line.push(`${target === 'bare' ? 'bare' : 'bare, background checkpoints'} ${b.seconds.toFixed(2)} s (${int(b.transactions / b.seconds)} tx/s)`);
        } else {
          const r = await replayTrace(template.path, path, trace);
          replays.push(r);
          line.push(`engine SQL replayed ${r.seconds.toFixed(2)} s`);
        }
        removeDatabase(path);
      }
    });
    out(`  round ${round + 1}/${rounds}: ${line.join(', ')}; others ${others === undefined ? 'n/a' : others.toFixed(2)} cores`);
  }

  // Pages written per commit, counted once on the side (checkpoints off, so timings are not used).
  const enginePages = (await replayTrace(template.path, join(dir, 'pages-engine.db'), trace, true)).pagesPerCommit ?? Number.NaN;
  removeDatabase(join(dir, 'pages-engine.db'));
  const barePages = (await bareRound(template, warm.operations, join(dir, 'pages-bare.db'), true)).pagesPerCommit ?? Number.NaN;
  removeDatabase(join(dir, 'pages-bare.db'));

  if (process.env.B2_PROFILE === '1') {
    const profileDir = join(tmpdir(), 'switchboard-b2-profiles');
    let file = '';
    const p = await engineRound(template, population, join(dir, 'profile.db'), seed, async (work) => {
      const result = await profiled(profileDir, `b2-engine-${Date.now()}`, work);
      file = result.file;
      return result.value;
    });
    removeDatabase(join(dir, 'profile.db'));
    out(`  CPU profile of one more engine round (${p.seconds.toFixed(2)} s under the profiler, not a result): ${file}`);
  }

  const opsRate = (e: EngineRound) => e.operations.length / e.seconds;
  const engineOps = median(engine.map(opsRate));
  const engineAssign = median(engine.map((e) => e.counts.accept / e.seconds));
  const engineOffers = median(engine.map((e) => e.counts.offer / e.seconds));
  const bareOps = median(bare.map((b) => b.transactions / b.seconds));
  // Each round's ratio is within that round; the bare loop replayed the same kinds and numbers of operations.
  const ratios = engine.map((e, i) => opsRate(e) / (bare[i]!.transactions / bare[i]!.seconds));
  const ratio = median(ratios);
  const bareBackgroundOps = median(bareBackground.map((b) => b.transactions / b.seconds));
  const ratiosBackground = engine.map((e, i) => opsRate(e) / (bareBackground[i]!.transactions / bareBackground[i]!.seconds));
  const replaySeconds = median(replays.map((r) => r.seconds));
  const engineSeconds = median(engine.map((e) => e.seconds));
  const bareSeconds = median(bare.map((b) => b.seconds));
  const opsPerRound = median(engine.map((e) => e.operations.length));
  const commits = replays[0]?.commits ?? 0;

  out('\n  medians over rounds, per round of the same work');
  out(table([
    ['target', 'seconds', 'operations/s', 'assignments (accepts)/s', 'commits', 'WAL pages per commit'],
    ['RoutingEngine (use cases + engine + SqlStorage)', engineSeconds.toFixed(2), int(engineOps), int(engineAssign), int(commits), enginePages.toFixed(1)],
    ['the engine\'s SQL replayed raw (same statements, checkpoints in a worker)', replaySeconds.toFixed(2), int(opsPerRound / replaySeconds), int(median(engine.map((e) => e.counts.accept)) / replaySeconds), int(commits), enginePages.toFixed(1)],
    ['bare loop (conditional UPDATEs + offer INSERT)', bareSeconds.toFixed(2), int(bareOps), int(median(engine.map((e) => e.counts.accept)) / bareSeconds), int(opsPerRound), barePages.toFixed(1)],
    ['bare loop, checkpoints in a worker as the engine\'s', median(bareBackground.map((b) => b.seconds)).toFixed(2), int(bareBackgroundOps), int(median(engine.map((e) => e.counts.accept)) / median(bareBackground.map((b) => b.seconds))), int(opsPerRound), barePages.toFixed(1)],
  ]).split('\n').map((l) => `  ${l}`).join('\n'));
  const sampleReplay = replays[Math.floor(replays.length / 2)] ?? replays[0];
  if (sampleReplay) {
    out('  where the engine\'s SQL time goes (one replay; statement kind, count, total, per statement)');
    for (const k of sampleReplay.byKind.slice(0, Number(process.env.B2_KINDS ?? 10))) {
      out(`    ${k.kind.padEnd(44)} ${int(k.count).padStart(7)}  ${(k.seconds * 1000).toFixed(0).padStart(6)} ms  ${(k.seconds / k.count * 1e6).toFixed(1).padStart(6)} µs  ${pct(k.seconds / sampleReplay.seconds).padStart(6)}`);
    }
  }
  const engineOwn = Math.max(0, engineSeconds - replaySeconds);
  summary.push(`B2 durable assignments: engine ${int(engineOps)} routing operations/s in ${int(commits)} commits for ${int(opsPerRound)} operations (${int(engineOffers)} offers/s, ${int(engineAssign)} assignments/s) = ${pct(ratio)} of the bare better-sqlite3 loop (${int(bareOps)} tx/s) (target >= ${pct(DURABLE_TARGET).replace('.0%', '%')}) ${verdict(ratio >= DURABLE_TARGET, `by ${((DURABLE_TARGET - ratio) * 100).toFixed(1)} points (needs ${(DURABLE_TARGET / ratio).toFixed(1)}x)`)}; same-round ratios ${pct(Math.min(...ratios))}-${pct(Math.max(...ratios))}`);
  summary.push(`B2 durable (information): engine = ${pct(median(ratiosBackground))} of the bare loop given the engine's background checkpointer too (${int(bareBackgroundOps)} tx/s; same-round ${pct(Math.min(...ratiosBackground))}-${pct(Math.max(...ratiosBackground))})`);
  summary.push(`B2 durable, where the time goes: the engine's own SQL replayed raw takes ${pct(replaySeconds / engineSeconds)} of the engine's time (${(replaySeconds / median(bareBackground.map((b) => b.seconds))).toFixed(1)}x the bare loop with the same worker checkpointer: ${enginePages.toFixed(1)} vs ${barePages.toFixed(1)} WAL pages per commit); the engine's JavaScript the other ${pct(engineOwn / engineSeconds)}`);
  for (const problem of problems.slice(0, 20)) out(`  PROBLEM ${problem}`);
  return problems.length === 0;
}

// ---- part 3: memory -------------------------------------------------------------------------

async function memoryPart(conversations: number, seed: number, dir: string, summary: string[]): Promise<boolean> {
  out(`\n## memory: a RoutingEngine holding ${int(DEFAULT_POPULATION.agents)} agents and ${int(conversations)} waiting conversations (child process, --expose-gc)`);
  const r: MemoryReport = await measureMemory(ROOT, join(dir, 'memory.db'), conversations, seed);
  const heap = (r.heapUsedAfter - r.heapUsedBefore) / MB;
  const rss = (r.rssAfter - r.rssBefore) / MB;
  out(`  database written in ${r.setupSeconds.toFixed(1)} s; the engine loaded and served it in ${r.loadSeconds.toFixed(1)} s: ${int(r.shape.agents)} agents, ${r.shape.queues} queues, ${int(r.shape.items)} routing items, ${int(r.shape.waiting)} in waiting lines; ${int(r.timersPending)} timers armed; ${r.offersMade} offers (every eligible agent is full)`);
  out(`  heap used ${(r.heapUsedBefore / MB).toFixed(1)} -> ${(r.heapUsedAfter / MB).toFixed(1)} MB (+${heap.toFixed(1)} MB, ${int((heap * MB) / r.shape.items)} bytes per waiting conversation if all of it were theirs); RSS ${(r.rssBefore / MB).toFixed(0)} -> ${(r.rssAfter / MB).toFixed(0)} MB (+${rss.toFixed(0)} MB; includes SQLite's page cache and V8's free heap pages)`);
  const valid = r.shape.items === conversations && r.shape.agents === DEFAULT_POPULATION.agents;
  if (!valid) out(`  PROBLEM: the engine holds ${r.shape.items} items and ${r.shape.agents} agents`);
  summary.push(`B2 engine memory, ${int(r.shape.agents)} agents + ${int(r.shape.waiting)} waiting conversations: heap +${heap.toFixed(0)} MB (RSS +${rss.toFixed(0)} MB, process RSS ${(r.rssAfter / MB).toFixed(0)} MB) (target <= ${MEMORY_TARGET_MB} MB) ${verdict(heap <= MEMORY_TARGET_MB && rss <= MEMORY_TARGET_MB, '')}`);
  return valid;
}

