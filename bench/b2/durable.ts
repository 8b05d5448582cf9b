import { copyFileSync, existsSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { openCopyLikeDriver } from './sql-trace.js';
import { InProcessBus } from '../../src/adapters/bus/in-process/in-process-bus.js';
import { SqlStorage } from '../../src/adapters/storage/sql/sql-storage.js';
import { SqliteDriver } from '../../src/adapters/storage/sqlite/sqlite-driver.js';
import { WalCheckpointer } from '../../src/adapters/storage/sqlite/wal-checkpointer.js';
import { TimeOrderedIds } from '../../src/adapters/system/time-ordered-ids.js';
import { SYSTEM_CALLER } from '../../src/app/caller.js';
import type { AppDeps } from '../../src/app/deps.js';
import { SeededRandom } from '../../src/app/ports/fakes/manual-scheduler.js';
import type { Storage } from '../../src/app/ports/storage.js';
import { RoutingEngine } from '../../src/app/routing/routing-engine.js';
import { createAgent } from '../../src/app/use-cases/create-agent.js';
import { createChannel } from '../../src/app/use-cases/create-channel.js';
import { createConversation } from '../../src/app/use-cases/create-conversation.js';
import { createQueue } from '../../src/app/use-cases/create-queue.js';
import { createSkill } from '../../src/app/use-cases/create-skill.js';
import { createTenant } from '../../src/app/use-cases/create-tenant.js';
import { createWorkstream } from '../../src/app/use-cases/create-workstream.js';
import { setAgentPresence } from '../../src/app/use-cases/set-agent-presence.js';
import type { SwitchboardEvent } from '../../src/core/model.js';
import type { Presence } from '../../src/core/routing/agent-selection.js';
import { randomWork, Rng, ROUTABLE, type Population } from './population.js';
import { VirtualTime } from './virtual-time.js';

/**
 * B2 part 2: durable assignments through the real engine on a real SQLite file (WAL,
 * synchronous=NORMAL, as `switchboard serve` runs it), against a bare better-sqlite3 loop doing
 * the same operations with only the essential conditional statements.
 *
 * A template database is built once through the use cases and the engine: the tenant, 5,000
 * agents (all signed off), 200 queues, a web chat workstream whose rules set 0-2 required skills
 * and pick the queue, and K conversations routed into the queues, where they wait. Each measured
 * round starts from a copy of that file:
 *
 * - engine round: a fresh engine starts on the copy; then, timed, every agent signs in with the
 *   presence the population gives it (a presence change through the use case, as the API does),
 *   and the engine offers the waiting conversations as capacity appears. A simulated workforce
 *   answers each offer: 70% accepted, 20% rejected, 10% left to time out (the clock is jumped
 *   past the timeout once the engine has nothing else to do), and now and then an agent steps
 *   away (the engine withdraws the offers pending for them) or comes back. The clock stops when
 *   nothing is waiting that anybody could take.
 * - bare round: the same operations, in the order the engine committed them (recorded from its
 *   events), replayed on another copy with raw better-sqlite3, one transaction each: an offer is
 *   the conditional capacity UPDATE (`used + cost <= capacity`), the routing item's status CAS and
 *   the offer INSERT; an accept is the offer CAS and the item CAS; a reject, timeout or withdrawal
 *   the offer CAS, the item CAS and the capacity release; a presence change one UPDATE.
 */

export interface DurableSettings {
  readonly conversations: number;
  readonly dir: string;
  readonly seed: number;
  /** Print the template's setup steps as they finish. */
  readonly verbose?: boolean;
}

export interface Template {
  readonly path: string;
  readonly tenantId: string;
  readonly agentIds: readonly string[];
  readonly conversations: number;
  readonly buildSeconds: number;
  readonly offerTimeoutSeconds: number;
}

const OFFER_TIMEOUT_SECONDS = 120;
const SHARE_ACCEPT = 0.7;
const SHARE_REJECT = 0.2; // the remaining 10% time out
const PRESENCE_CHURN_PER_ANSWER = 0.03;
const CONCURRENT_SETUP = 250;

/** What openSqliteStorage builds, keeping the driver so its pragmas can be reported. */
function openDeps(path: string, time: VirtualTime): { deps: AppDeps; storage: Storage; bus: InProcessBus; driver: SqliteDriver } {
  // B2_CHECKPOINT=inline measures the engine with SQLite's checkpoint inside its COMMITs (the A/B).
  const driver = new SqliteDriver({ path, synchronous: 'NORMAL', checkpoint: process.env.B2_CHECKPOINT === 'inline' ? 'inline' : 'background' });
  const storage = new SqlStorage(driver, () => time.now());
  const bus = new InProcessBus();
  return { deps: { storage, bus, clock: time, ids: new TimeOrderedIds(() => time.now()) }, storage, bus, driver };
}

function newEngine(deps: AppDeps, time: VirtualTime, seed: number, errors: string[]): RoutingEngine {
  return new RoutingEngine({
    ...deps, scheduler: time, random: new SeededRandom(seed),
    onError: (error, context) => void (errors.length < 10 && errors.push(`${context}: ${(error as Error).message}`)),
  });
}

async function inChunks<T>(items: readonly T[], size: number, fn: (item: T, i: number) => Promise<unknown>): Promise<void> {
  for (let start = 0; start < items.length; start += size) {
    await Promise.all(items.slice(start, start + size).map((item, j) => fn(item, start + j)));
  }
}

/** Queues with the same first theme, in fives (a split names at most five queues). */
function splitGroups(population: Population): number[][] {
  const byTheme = new Map<string, number[]>();
  for (const q of population.queues) byTheme.set(q.themes[0], [...(byTheme.get(q.themes[0]) ?? []), q.n]);
  const groups: number[][] = [];
  for (const members of byTheme.values()) {
    for (let i = 0; i < members.length; i += 5) groups.push(members.slice(i, i + 5));
  }
  // Whole percentages summing to 100 need group sizes that divide 100.
  for (const g of groups) if (100 % g.length !== 0) throw new Error(`a split group of ${g.length} queues cannot share 100% evenly`);
  return groups;
}

/** Builds the template database through the use cases and the engine, then closes it (checkpointing the WAL). */
export async function buildTemplate(population: Population, settings: DurableSettings): Promise<Template> {
  const started = Date.now();
  const path = join(settings.dir, 'template.db');
  const time = new VirtualTime();
  const { deps, storage } = openDeps(path, time);
  const errors: string[] = [];
  await storage.migrate();
  const engine = newEngine(deps, time, settings.seed, errors);
  await engine.start();
  try {
    const tenant = await createTenant(deps, SYSTEM_CALLER, { name: 'B2 routing' });
    for (const name of population.skillNames) await createSkill(deps, SYSTEM_CALLER, tenant.id, { name });
    const agentIds: string[] = new Array(population.agents.length);
    await inChunks(population.agents, CONCURRENT_SETUP, async (a) => {
      const agent = await createAgent(deps, SYSTEM_CALLER, tenant.id, {
        kind: 'human', displayName: `Agent ${a.n}`, capacity: a.capacity, skills: a.skills, attributes: a.attributes, presence: 'offline',
      });
      agentIds[a.n] = agent.id;
    });
    const log = (what: string) => settings.verbose && process.stdout.write(`  template: ${what} after ${((Date.now() - started) / 1000).toFixed(1)} s\n`);
    log('agents');
    const queueIds: string[] = [];
    for (const q of population.queues) {
      const queue = await createQueue(deps, SYSTEM_CALLER, tenant.id, {
        name: `Queue ${q.n}`, priority: q.priority, memberIds: q.members.map((m) => agentIds[m]!),
        routing: { assignmentMethod: q.method, customOrder: q.customOrder },
      });
      queueIds.push(queue.id);
    }
    const channel = await createChannel(deps, SYSTEM_CALLER, tenant.id, { type: 'webchat', name: 'Web chat' });
    // A workstream holds at most 100 rules, so the queues are reached through 40 splits of five
    // queues that share their first theme skill (the draw comes from the engine's seeded random
    // source). Context variables carry the rest of the work's shape; classification turns them
    // into required skills, so every conversation goes the whole way through the rules.
    const groups = splitGroups(population);
    await createWorkstream(deps, SYSTEM_CALLER, tenant.id, {
      name: 'Chat', channelTypes: ['webchat'], fallbackQueueId: queueIds[0]!, cost: 1,
      offerTimeoutSeconds: OFFER_TIMEOUT_SECONDS, rejectionSkipSeconds: 600,
      classificationRules: population.skillNames.flatMap((skill) => [
        { id: `first-${skill}`, condition: `need.first == "${skill}"`, set: { requiredSkills: [{ skill, minProficiency: 3 }] } },
        { id: `second-${skill}`, condition: `need.second == "${skill}"`, set: { requiredSkills: [{ skill, minProficiency: 2 }] } },
      ]),
      routeRules: groups.map((members, g) => ({
        id: `group${g}`, condition: `queue.group == ${g}`,
        split: members.map((q) => ({ queueId: queueIds[q]!, percent: 100 / members.length })),
      })),
    });
    log('queues and workstream');
    const groupOf = new Map(groups.flatMap((members, g) => members.map((q) => [q, g] as const)));

    const rng = new Rng(settings.seed);
    const shapes = Array.from({ length: settings.conversations }, () => {
      const queue = rng.pick(population.queues);
      return { queue, work: randomWork(rng, queue), priority: rng.int(0, 2) };
    });
    const conversationIds: string[] = new Array(shapes.length);
    await inChunks(shapes, CONCURRENT_SETUP, async ({ queue, work, priority }, i) => {
      const context: Record<string, { type: string; value: unknown }> = { 'queue.group': { type: 'number', value: groupOf.get(queue.n)! } };
      if (work.requiredSkills[0]) context['need.first'] = { type: 'string', value: work.requiredSkills[0].skill };
      if (work.requiredSkills[1]) context['need.second'] = { type: 'string', value: work.requiredSkills[1].skill };
      const created = await createConversation(deps, SYSTEM_CALLER, tenant.id, { channelId: channel.id, customer: { address: `visitor-${i}` }, priority, context });
      conversationIds[i] = created.conversation.id;
    });
    log('conversations');
    // The engine serialises a tenant's steps anyway; issuing them together only saves the awaits.
    await inChunks(conversationIds, CONCURRENT_SETUP, async (id) => {
      const routed = await engine.route(SYSTEM_CALLER, tenant.id, id);
      if (routed.status !== 'waiting') throw new Error(`template: conversation ${id} is ${routed.status}, expected waiting`);
    });
    await engine.idle();
    if (errors.length > 0) throw new Error(`template: engine errors: ${errors.join('; ')}`);
    return {
      path, tenantId: tenant.id, agentIds, conversations: conversationIds.length,
      buildSeconds: (Date.now() - started) / 1000, offerTimeoutSeconds: OFFER_TIMEOUT_SECONDS,
    };
  } finally {
    await engine.close();
    time.close();
    await storage.close();
  }
}

/** How an offer can end without an accept; `withdrawn`: the agent signed out while it was pending. */
export type DeclineOutcome = 'rejected' | 'timed_out' | 'withdrawn';

const DECLINE_EVENTS: Readonly<Record<string, DeclineOutcome>> = {
  'routing.offer_rejected': 'rejected',
  'routing.offer_timed_out': 'timed_out',
  'routing.offer_withdrawn': 'withdrawn',
};

/** One committed routing operation, as the engine's events report it. */
export type Operation =
  | { readonly kind: 'presence'; readonly agentId: string; readonly to: Presence }
  | { readonly kind: 'offer'; readonly offerId: string; readonly agentId: string; readonly conversationId: string; readonly queueId: string }
  | { readonly kind: 'accept'; readonly offerId: string; readonly conversationId: string }
  | { readonly kind: 'decline'; readonly offerId: string; readonly conversationId: string; readonly agentId: string; readonly outcome: DeclineOutcome };

export interface OperationCounts {
  presence: number;
  offer: number;
  accept: number;
  reject: number;
  timeout: number;
  withdrawn: number;
}

export interface EngineRound {
  readonly seconds: number;
  readonly operations: Operation[];
  readonly counts: OperationCounts;
  readonly clockJumps: number;
  /** Answers that came after the offer had ended (the agent signed out meanwhile): a race the API reports, not a failure. */
  readonly lateAnswers: number;
  readonly waitingAtEnd: number;
  /** Store checks after the round (capacity accounting, states); empty when all hold. */
  readonly problems: string[];
  readonly settings: { journalMode: string; synchronous: number };
}

export function countOperations(operations: readonly Operation[]): OperationCounts {
  const counts: OperationCounts = { presence: 0, offer: 0, accept: 0, reject: 0, timeout: 0, withdrawn: 0 };
  for (const op of operations) {
    if (op.kind === 'decline') counts[op.outcome === 'rejected' ? 'reject' : op.outcome === 'timed_out' ? 'timeout' : 'withdrawn']++;
    else counts[op.kind]++;
  }
  return counts;
}

function operationOf(event: SwitchboardEvent): Operation | undefined {
  const p = event.payload;
  const outcome = DECLINE_EVENTS[event.type];
  if (outcome) return { kind: 'decline', offerId: String(p.offerId), conversationId: event.conversationId!, agentId: String(p.agentId), outcome };
  switch (event.type) {
    case 'agent.presence_changed':
      return { kind: 'presence', agentId: String(p.agentId), to: p.to as Presence };
    case 'routing.offered':
      return { kind: 'offer', offerId: String((p.offer as { id: string }).id), agentId: String(p.agentId), conversationId: event.conversationId!, queueId: String(p.queueId) };
    case 'routing.offer_accepted':
      return { kind: 'accept', offerId: String(p.offerId), conversationId: event.conversationId! };
    default:
      return undefined;
  }
}

/**
 * Times the engine from the first sign-in until no conversation that anybody could take is left
 * waiting. `profile` wraps the timed part (a CPU profiler, when asked for).
 */
export async function engineRound(
  template: Template, population: Population, path: string, seed: number,
  profile: <T>(work: () => Promise<T>) => Promise<T> = (work) => work(),
): Promise<EngineRound> {
  copyFileSync(template.path, path);
  const time = new VirtualTime();
  const { deps, storage, bus, driver } = openDeps(path, time);
  const errors: string[] = [];
  const engine = newEngine(deps, time, seed, errors);
  const operations: Operation[] = [];
  const rng = new Rng(seed);
  const answers = new Set<Promise<unknown>>();
  const unanswered = new Set<string>();
  let clockJumps = 0;
  let lateAnswers = 0;
  const track = (promise: Promise<unknown>, what: string) => {
    const tracked = promise.catch((error: Error & { code?: string }) => {
      if (error.code === 'SB_ERR_OFFER_RESOLVED' || error.code === 'SB_ERR_OFFER_EXPIRED') lateAnswers++;
      else if (errors.length < 10) errors.push(`${what}: ${error.message}`);
    }).finally(() => answers.delete(tracked));
    answers.add(tracked);
  };
  const churn = () => {
    const n = rng.int(0, template.agentIds.length - 1);
    const to: Presence = ROUTABLE.includes(population.agents[n]!.presence) && rng.chance(0.5) ? 'away' : 'available';
    track(setAgentPresence(deps, SYSTEM_CALLER, template.tenantId, template.agentIds[n]!, to), 'presence churn');
  };

  try {
    await storage.migrate();
    await engine.start();
    await engine.idle();
    // The workforce: answers every offer as it is published (after its commit), like agents' clients would.
    bus.subscribe((event) => {
      const op = operationOf(event);
      if (!op) return;
      operations.push(op);
      if (op.kind === 'decline' || op.kind === 'accept') unanswered.delete(op.offerId);
      if (op.kind !== 'offer') return;
      const roll = rng.next();
      if (roll < SHARE_ACCEPT) track(engine.accept(SYSTEM_CALLER, template.tenantId, op.offerId, op.agentId), 'accept');
      else if (roll < SHARE_ACCEPT + SHARE_REJECT) track(engine.reject(SYSTEM_CALLER, template.tenantId, op.offerId, op.agentId, 'busy'), 'reject');
      else unanswered.add(op.offerId);
      if (rng.chance(PRESENCE_CHURN_PER_ANSWER)) churn();
    });

    const seconds = await profile(async () => {
      const started = process.hrtime.bigint();
      await Promise.all(population.agents.map((a) => {
        if (a.presence === 'offline') return undefined;
        return setAgentPresence(deps, SYSTEM_CALLER, template.tenantId, template.agentIds[a.n]!, a.presence);
      }));
      for (let guard = 0; guard < 50; guard++) {
        // Quiet means: no engine step queued and no answer on its way into one.
        do {
          await engine.idle();
          await Promise.all([...answers]);
        } while (answers.size > 0);
        await engine.idle();
        if (answers.size > 0) continue;
        if (unanswered.size === 0) break;
        time.advance((template.offerTimeoutSeconds + 1) * 1000);
        clockJumps++;
      }
      return Number(process.hrtime.bigint() - started) / 1e9;
    });
    const settings = driver.settings();
    await engine.close();
    time.close();
    await storage.close();
    const checked = checkStore(path, template.tenantId, countOperations(operations));
    return {
      seconds, operations, counts: countOperations(operations), clockJumps, lateAnswers, waitingAtEnd: checked.waiting,
      problems: [...errors.map((e) => `engine: ${e}`), ...checked.problems, ...(unanswered.size > 0 ? [`${unanswered.size} offers still pending at the end`] : [])],
      settings,
    };
  } finally {
    await engine.close().catch(() => undefined);
    time.close();
    await storage.close().catch(() => undefined);
  }
}

/** What the database must hold after a round, whoever wrote it. */
function checkStore(path: string, tenantId: string, counts: OperationCounts): { problems: string[]; waiting: number } {
  const db = new Database(path, { readonly: true, fileMustExist: true });
  try {
    const problems: string[] = [];
    const n = (sql: string, ...params: unknown[]) => Number((db.prepare(sql).get(...params) as { n: number }).n);
    const assigned = n("SELECT COUNT(*) AS n FROM routing_items WHERE tenant_id = ? AND status = 'assigned'", tenantId);
    const offered = n("SELECT COUNT(*) AS n FROM routing_items WHERE tenant_id = ? AND status = 'offered'", tenantId);
    const waiting = n("SELECT COUNT(*) AS n FROM routing_items WHERE tenant_id = ? AND status = 'waiting'", tenantId);
    const pending = n("SELECT COUNT(*) AS n FROM offers WHERE tenant_id = ? AND status = 'pending'", tenantId);
    const offers = n('SELECT COUNT(*) AS n FROM offers WHERE tenant_id = ?', tenantId);
    if (assigned !== counts.accept) problems.push(`${assigned} items assigned, ${counts.accept} accepts`);
    if (offers !== counts.offer) problems.push(`${offers} offer rows, ${counts.offer} offers`);
    if (offered !== 0 || pending !== 0) problems.push(`${offered} items offered and ${pending} offers pending at the end`);
    const overfull = n('SELECT COUNT(*) AS n FROM agents WHERE tenant_id = ? AND used_capacity > capacity', tenantId);
    const drift = n(`SELECT COUNT(*) AS n FROM agents a WHERE a.tenant_id = ? AND a.used_capacity !=
      (SELECT COALESCE(SUM(r.cost), 0) FROM routing_items r WHERE r.agent_id = a.id AND r.status IN ('offered', 'assigned'))`, tenantId);
    if (overfull > 0) problems.push(`${overfull} agents above capacity`);
    if (drift > 0) problems.push(`${drift} agents whose used capacity differs from their conversations`);
    return { problems, waiting };
  } finally {
    db.close();
  }
}

export interface BareRound {
  readonly seconds: number;
  readonly transactions: number;
  /** Conditional statements that changed no row: must be 0 when replaying a valid history. */
  readonly failedConditions: number;
  readonly settings: { journalMode: string; synchronous: number };
  /** WAL pages written per transaction, when counted (see replayTrace). */
  readonly pagesPerCommit?: number | undefined;
}

/**
 * Replays the operations on a copy of the template with raw better-sqlite3, one transaction each.
 * `checkpoint: 'background'` gives the loop the engine's checkpointer (a worker thread copying the
 * WAL; SQLite's own checkpoint only as a far backstop), to show what that alone is worth.
 */
export async function bareRound(template: Template, operations: readonly Operation[], path: string, countPages = false, checkpoint: 'inline' | 'background' = 'inline'): Promise<BareRound> {
  const db = openCopyLikeDriver(template.path, path, countPages);
  const checkpointer = checkpoint === 'background' && !countPages ? new WalCheckpointer(path, 'NORMAL', () => undefined) : null;
  if (checkpointer) db.pragma(`wal_autocheckpoint = ${WalCheckpointer.BACKSTOP_PAGES}`);
  try {
    const tenant = template.tenantId;
    const presenceList = ROUTABLE.map(() => '?').join(', ');
    const reserve = db.prepare(`UPDATE agents SET used_capacity = used_capacity + ?, last_assigned_at = ?
      WHERE id = ? AND tenant_id = ? AND used_capacity + ? <= capacity AND presence IN (${presenceList})`);
    const release = db.prepare('UPDATE agents SET used_capacity = CASE WHEN used_capacity > ? THEN used_capacity - ? ELSE 0 END WHERE id = ? AND tenant_id = ?');
    const presence = db.prepare('UPDATE agents SET presence = ?, presence_since = ? WHERE id = ? AND tenant_id = ?');
    const itemOffered = db.prepare("UPDATE routing_items SET status = 'offered', agent_id = ?, offer_id = ?, updated_at = ? WHERE conversation_id = ? AND tenant_id = ? AND status = 'waiting'");
    const itemAssigned = db.prepare("UPDATE routing_items SET status = 'assigned', offer_id = NULL, updated_at = ? WHERE conversation_id = ? AND tenant_id = ? AND status = 'offered'");
    const itemWaiting = db.prepare("UPDATE routing_items SET status = 'waiting', agent_id = NULL, offer_id = NULL, updated_at = ? WHERE conversation_id = ? AND tenant_id = ? AND status = 'offered'");
    const insertOffer = db.prepare(`INSERT INTO offers (id, tenant_id, conversation_id, agent_id, queue_id, status, created_at, expires_at, resolved_at)
      VALUES (?, ?, ?, ?, ?, 'pending', ?, ?, NULL)`);
    const resolveOffer = db.prepare("UPDATE offers SET status = ?, resolved_at = ? WHERE id = ? AND tenant_id = ? AND status = 'pending'");
    let failed = 0;
    const must = (changes: number) => {
      if (changes !== 1) failed++;
    };
    const apply = (op: Operation, now: number) => {
      switch (op.kind) {
        case 'presence':
          must(presence.run(op.to, now, op.agentId, tenant).changes);
          return;
        case 'offer':
          must(reserve.run(1, now, op.agentId, tenant, 1, ...ROUTABLE).changes);
          must(itemOffered.run(op.agentId, op.offerId, now, op.conversationId, tenant).changes);
          insertOffer.run(op.offerId, tenant, op.conversationId, op.agentId, op.queueId, now, now + OFFER_TIMEOUT_SECONDS * 1000);
          return;
        case 'accept':
          must(resolveOffer.run('accepted', now, op.offerId, tenant).changes);
          must(itemAssigned.run(now, op.conversationId, tenant).changes);
          return;
        case 'decline':
          must(resolveOffer.run(op.outcome, now, op.offerId, tenant).changes);
          must(itemWaiting.run(now, op.conversationId, tenant).changes);
          release.run(1, 1, op.agentId, tenant);
          return;
      }
    };
    // BEGIN IMMEDIATE, like the driver: the write lock is taken up front.
    const transaction = db.transaction(apply).immediate;
    const started = process.hrtime.bigint();
    if (checkpointer) {
      for (const op of operations) {
        transaction(op, Date.now());
        checkpointer.committed();
      }
    } else {
      for (const op of operations) transaction(op, Date.now());
    }
    const seconds = Number(process.hrtime.bigint() - started) / 1e9;
    const settings = { journalMode: String(db.pragma('journal_mode', { simple: true })), synchronous: Number(db.pragma('synchronous', { simple: true })) };
    const pageSize = Number(db.pragma('page_size', { simple: true }));
    const pagesPerCommit = countPages && operations.length > 0 ? (statSync(`${path}-wal`).size - 32) / (pageSize + 24) / operations.length : undefined;
    return { seconds, transactions: operations.length, failedConditions: failed, settings, pagesPerCommit };
  } finally {
    await checkpointer?.close();
    db.close();
  }
}

export function removeDatabase(path: string): void {
  for (const suffix of ['', '-wal', '-shm']) if (existsSync(path + suffix)) rmSync(path + suffix, { force: true });
}
