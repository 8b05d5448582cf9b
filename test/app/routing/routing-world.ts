// A small contact center for property tests of the routing engine: the real engine on a real
// SQLite file, driven through the use cases with a manual clock, a manual scheduler and seeded
// draws, plus a second read-only connection to the same file. That second connection is what the
// invariants read: the database is the authority, the engine's memory is only a cache of it, and
// better-sqlite3 reads synchronously, so the oracle can look at the database from inside a bus
// subscriber, the instant a decision has committed and before the engine takes its next one.
import { workRequestOf } from '../../../src/core/routing/work-request.js';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { InProcessBus } from '../../../src/adapters/bus/in-process/in-process-bus.js';
import { openSqliteStorage } from '../../../src/adapters/storage/sqlite/sqlite-storage.js';
import { SYSTEM_CALLER } from '../../../src/app/caller.js';
import type { AppDeps } from '../../../src/app/deps.js';
import { ManualClock } from '../../../src/app/ports/fakes/manual-clock.js';
import { ManualScheduler, SeededRandom } from '../../../src/app/ports/fakes/manual-scheduler.js';
import { SequentialIds } from '../../../src/app/ports/fakes/sequential-ids.js';
import type { Storage } from '../../../src/app/ports/storage.js';
import { RoutingEngine } from '../../../src/app/routing/routing-engine.js';
import { addQueueMember } from '../../../src/app/use-cases/add-queue-member.js';
import { changeConversationState } from '../../../src/app/use-cases/change-conversation-state.js';
import { createAgent } from '../../../src/app/use-cases/create-agent.js';
import { createChannel } from '../../../src/app/use-cases/create-channel.js';
import { createConversation } from '../../../src/app/use-cases/create-conversation.js';
import { createQueue } from '../../../src/app/use-cases/create-queue.js';
import { createSkill } from '../../../src/app/use-cases/create-skill.js';
import { createTenant } from '../../../src/app/use-cases/create-tenant.js';
import { createWorkstream } from '../../../src/app/use-cases/create-workstream.js';
import { removeQueueMember } from '../../../src/app/use-cases/remove-queue-member.js';
import { setAgentPresence } from '../../../src/app/use-cases/set-agent-presence.js';
import type { ConversationState } from '../../../src/core/conversation-lifecycle.js';
import type { SwitchboardEvent } from '../../../src/core/model.js';
import {
  selectAgent, type AgentSnapshot, type AssignmentMethod, type OrderKey, type Presence, type QueueSnapshot, type Relaxation,
  type SkillRequirement, type WorkRequest,
} from '../../../src/core/routing/agent-selection.js';
import type { ItemStatus, OfferStatus, QueueRouting, RouteRuleDef, Workstream } from '../../../src/core/routing/routing-model.js';

export const SKILLS = ['english', 'french', 'billing'] as const;

export interface AgentSpec {
  readonly capacity: number;
  readonly skills: Readonly<Record<string, number>>;
  readonly presence: Presence;
  readonly seniority: number;
}

export interface QueueSpec {
  readonly method: AssignmentMethod;
  readonly customOrder: readonly OrderKey[];
  readonly priority: number;
  /** Indexes into the world's agents. */
  readonly members: readonly number[];
}

export interface WorkstreamSpec {
  readonly cost: number;
  readonly offerTimeoutSeconds: number;
  readonly rejectionSkipSeconds: number;
  readonly missedOffersBeforeAway: number;
  readonly skillMatch: 'exact' | 'closest';
  readonly allowedPresences: readonly Presence[];
  readonly wrapUpConsumesCapacity: boolean;
  readonly relaxations: readonly Relaxation[];
  /** Classification: a conversation whose `need` is i requires needs[i]. */
  readonly needs: readonly (readonly SkillRequirement[])[];
  /** Route rules instead of "topic i goes to queue i", given the queue ids (the split test uses them). */
  readonly routeRules?: ((queueIds: readonly string[]) => RouteRuleDef[]) | undefined;
}

export interface WorldSpec {
  readonly agents: readonly AgentSpec[];
  readonly queues: readonly QueueSpec[];
  readonly workstream: WorkstreamSpec;
  /** A bot, member of this queue (appended to the agents, so steps can pick it like the others). */
  readonly botQueue?: number | undefined;
  readonly seed: number;
}

// ---- what the database says, read through the second connection ----------------------------

export interface DbAgent {
  readonly id: string;
  readonly capacity: number;
  readonly used: number;
  readonly presence: Presence;
  readonly skills: Record<string, number>;
  readonly attributes: Record<string, number | string>;
  readonly lastAssignedAt: number | null;
  readonly missedOffers: number;
}

export interface DbQueue {
  readonly id: string;
  readonly priority: number;
  readonly routing: QueueRouting;
  readonly memberIds: string[];
  readonly rrLastAgentId: string | null;
}

export interface DbItem {
  readonly conversationId: string;
  readonly workstreamId: string;
  readonly queueId: string;
  readonly status: ItemStatus;
  readonly priority: number;
  readonly requiredSkills: SkillRequirement[];
  readonly cost: number;
  readonly enteredAt: number;
  readonly orderAt: number;
  readonly excluded: Record<string, number>;
  readonly skillsDropped: boolean;
  readonly preferredAgentId: string | null;
  readonly preferredUntil: number | null;
  readonly agentId: string | null;
  readonly offerId: string | null;
}

export interface DbOffer {
  readonly id: string;
  readonly conversationId: string;
  readonly agentId: string;
  readonly queueId: string;
  readonly status: OfferStatus;
  readonly expiresAt: number;
}

export interface DbConversation {
  readonly id: string;
  readonly state: ConversationState;
  readonly queueId: string | null;
}

export interface DbEvent {
  readonly id: number;
  readonly type: string;
  readonly conversationId: string | null;
  /** Epoch milliseconds, as stored. */
  readonly occurredAt: number;
  readonly payload: Record<string, unknown>;
}

/** Synchronous reads of one tenant's routing rows. */
export class DbView {
  private readonly db: Database.Database;

  constructor(path: string, private readonly tenantId: string) {
    this.db = new Database(path, { readonly: true, fileMustExist: true });
  }

  close(): void {
    this.db.close();
  }

  agents(): Map<string, DbAgent> {
    const skills = new Map<string, Record<string, number>>();
    for (const r of this.db.prepare('SELECT agent_id, skill, proficiency FROM agent_skills WHERE tenant_id = ?').all(this.tenantId) as Row[]) {
      const own = skills.get(String(r.agent_id)) ?? {};
      own[String(r.skill)] = Number(r.proficiency);
      skills.set(String(r.agent_id), own);
    }
    const rows = this.db.prepare(
      'SELECT id, capacity, used_capacity, presence, attributes, last_assigned_at, missed_offers FROM agents WHERE tenant_id = ? ORDER BY id',
    ).all(this.tenantId) as Row[];
    return new Map(rows.map((r) => [String(r.id), {
      id: String(r.id), capacity: Number(r.capacity), used: Number(r.used_capacity), presence: r.presence as Presence,
      skills: skills.get(String(r.id)) ?? {}, attributes: JSON.parse(String(r.attributes)) as Record<string, number | string>,
      lastAssignedAt: r.last_assigned_at === null ? null : Number(r.last_assigned_at), missedOffers: Number(r.missed_offers),
    }]));
  }

  queues(): Map<string, DbQueue> {
    const rows = this.db.prepare('SELECT id, priority, routing, rr_last_agent_id FROM queues WHERE tenant_id = ? ORDER BY id').all(this.tenantId) as Row[];
    // The same member order the store gives the engine (sql-store: ORDER BY added_at, agent_id).
    const members = this.db.prepare('SELECT agent_id FROM queue_members WHERE queue_id = ? ORDER BY added_at, agent_id');
    return new Map(rows.map((r) => [String(r.id), {
      id: String(r.id), priority: Number(r.priority), routing: JSON.parse(String(r.routing)) as QueueRouting,
      memberIds: (members.all(r.id) as Row[]).map((m) => String(m.agent_id)),
      rrLastAgentId: r.rr_last_agent_id === null ? null : String(r.rr_last_agent_id),
    }]));
  }

  workstreams(): Map<string, Workstream> {
    const rows = this.db.prepare('SELECT id, name, definition, fallback_queue_id FROM workstreams WHERE tenant_id = ? ORDER BY id').all(this.tenantId) as Row[];
    return new Map(rows.map((r) => [String(r.id), { id: String(r.id), name: String(r.name), fallbackQueueId: String(r.fallback_queue_id), ...JSON.parse(String(r.definition)) } as Workstream]));
  }

  items(): Map<string, DbItem> {
    const rows = this.db.prepare('SELECT * FROM routing_items WHERE tenant_id = ? ORDER BY conversation_id').all(this.tenantId) as Row[];
    return new Map(rows.map((r) => [String(r.conversation_id), {
      conversationId: String(r.conversation_id), workstreamId: String(r.workstream_id), queueId: String(r.queue_id), status: r.status as ItemStatus, priority: Number(r.priority),
      requiredSkills: JSON.parse(String(r.required_skills)) as SkillRequirement[], cost: Number(r.cost),
      enteredAt: Number(r.entered_at), orderAt: Number(r.order_at), excluded: JSON.parse(String(r.excluded)) as Record<string, number>,
      skillsDropped: Boolean(r.skills_dropped), preferredAgentId: r.preferred_agent_id === null ? null : String(r.preferred_agent_id),
      preferredUntil: r.preferred_until === null ? null : Number(r.preferred_until),
      agentId: r.agent_id === null ? null : String(r.agent_id), offerId: r.offer_id === null ? null : String(r.offer_id),
    }]));
  }

  offers(): DbOffer[] {
    const rows = this.db.prepare('SELECT id, conversation_id, agent_id, queue_id, status, expires_at FROM offers WHERE tenant_id = ? ORDER BY id').all(this.tenantId) as Row[];
    return rows.map((r) => ({
      id: String(r.id), conversationId: String(r.conversation_id), agentId: String(r.agent_id), queueId: String(r.queue_id),
      status: r.status as OfferStatus, expiresAt: Number(r.expires_at),
    }));
  }

  conversations(): Map<string, DbConversation> {
    const rows = this.db.prepare('SELECT id, state, queue_id FROM conversations WHERE tenant_id = ? ORDER BY id').all(this.tenantId) as Row[];
    return new Map(rows.map((r) => [String(r.id), { id: String(r.id), state: r.state as ConversationState, queueId: r.queue_id === null ? null : String(r.queue_id) }]));
  }

  events(afterId = 0): DbEvent[] {
    const rows = this.db.prepare('SELECT id, type, conversation_id, occurred_at, payload FROM events WHERE tenant_id = ? AND id > ? ORDER BY id').all(this.tenantId, afterId) as Row[];
    return rows.map((r) => ({
      id: Number(r.id), type: String(r.type), conversationId: r.conversation_id === null ? null : String(r.conversation_id), occurredAt: Number(r.occurred_at),
      payload: JSON.parse(String(r.payload)) as Record<string, unknown>,
    }));
  }

  decisionKinds(): Map<string, string[]> {
    const rows = this.db.prepare('SELECT conversation_id, kind FROM routing_decisions WHERE tenant_id = ? ORDER BY id').all(this.tenantId) as Row[];
    const out = new Map<string, string[]>();
    for (const r of rows) out.set(String(r.conversation_id), [...(out.get(String(r.conversation_id)) ?? []), String(r.kind)]);
    return out;
  }

  /** Agents and bots still in a conversation, as `role:id`. */
  openStaff(conversationId: string): string[] {
    const rows = this.db.prepare("SELECT role, ref_id FROM participants WHERE conversation_id = ? AND role IN ('agent', 'bot') AND left_at IS NULL ORDER BY id").all(conversationId) as Row[];
    return rows.map((r) => `${String(r.role)}:${String(r.ref_id)}`);
  }
}

type Row = Record<string, unknown>;

function describeError(error: unknown): string {
  return error instanceof Error ? error.stack ?? error.message : String(error);
}

// ---- the oracle's inputs, built from database rows ------------------------------------------

export function snapshotOf(agent: DbAgent): AgentSnapshot {
  return {
    id: agent.id, presence: agent.presence, capacity: agent.capacity, used: agent.used, skills: agent.skills,
    lastAssignedAt: agent.lastAssignedAt, attributes: agent.attributes,
  };
}

export function queueSnapshotOf(queue: DbQueue, lastRoundRobinId: string | null = queue.rrLastAgentId): QueueSnapshot {
  return { id: queue.id, method: queue.routing.assignmentMethod, memberIds: queue.memberIds, lastRoundRobinId, customOrder: queue.routing.customOrder };
}

/** What a waiting conversation asks of an agent: the same definition the engine uses. */
export const workOf = (item: DbItem, ws: Workstream, now: number): WorkRequest => workRequestOf(item, ws, now);

// ---- the world --------------------------------------------------------------------------------

export interface OracleMismatch {
  readonly conversationId: string;
  readonly queueId: string;
  readonly chosen: string;
  readonly expected: string | null;
  readonly ranked: readonly string[];
}

export class RoutingWorld {
  /** Failures of the engine's background work (timers, bus reactions): each one is a bug. */
  readonly backgroundErrors: string[] = [];
  /** Decisions whose agent differed from the oracle's, found while they were taken. */
  readonly mismatches: OracleMismatch[] = [];
  /** Offers and bot assignments checked against the oracle so far. */
  decisionsChecked = 0;
  /** Checked decisions that committed in one transaction with others (a `drain` pass's offers). */
  decisionsShared = 0;
  /**
   * Off while commands run concurrently: a decision's commit may then share a group commit with
   * another command's writes, so the database no longer shows exactly the state it left.
   */
  checkingDecisions = true;
  /** Conversations put into routing (route() succeeded). */
  readonly routed = new Set<string>();
  readonly agentIds: string[] = [];
  readonly queueIds: string[] = [];
  tenantId = '';
  channelId = '';
  workstreamId = '';
  /**
   * The round-robin pointer and last assignment time of every queue and agent as the decisions so
   * far leave them. The database overwrites both with each decision, so the state *before* a
   * decision is reconstructed from these; after every step they are compared with the database.
   */
  readonly pointerBefore = new Map<string, string | null>();
  readonly lastAssignedBefore = new Map<string, number | null>();
  private readonly names = new Map<string, string>();
  private view: DbView | null = null;
  private conversationCount = 0;
  private lastEventId = 0;
  /** The last event the decision oracle has looked at (see `watch`). */
  private decisionCursor = 0;

  private constructor(
    readonly clock: ManualClock,
    readonly scheduler: ManualScheduler,
    readonly storage: Storage,
    readonly bus: InProcessBus,
    readonly deps: AppDeps,
    public engine: RoutingEngine,
    private readonly makeEngine: () => RoutingEngine,
    private readonly dir: string,
    private readonly dbPath: string,
  ) {}

  static async create(spec: WorldSpec): Promise<RoutingWorld> {
    // A RAM disk when there is one: hundreds of throw-away databases per run need no disk syncs.
    const dir = mkdtempSync(join(existsSync('/dev/shm') ? '/dev/shm' : tmpdir(), 'sb-routing-prop-'));
    const dbPath = join(dir, 'switchboard.db');
    const clock = new ManualClock(Date.UTC(2026, 10, 23, 10, 0, 0));
    const scheduler = new ManualScheduler(clock);
    const storage = openSqliteStorage({ path: dbPath, synchronous: 'NORMAL' }, () => clock.now());
    await storage.migrate();
    let world: RoutingWorld | undefined;
    const report = (message: string) => world?.backgroundErrors.push(message);
    const bus = new InProcessBus((error, event) => report(`bus subscriber failed on ${event.type}: ${describeError(error)}`));
    const deps: AppDeps = { storage, bus, clock, ids: new SequentialIds() };
    // One random source for every engine of the world: a restart continues the same draws.
    const random = new SeededRandom(spec.seed);
    const makeEngine = () => new RoutingEngine({ ...deps, scheduler, random, onError: (error, context) => report(`${context}: ${describeError(error)}`) });
    const engine = makeEngine();
    world = new RoutingWorld(clock, scheduler, storage, bus, deps, engine, makeEngine, dir, dbPath);
    await engine.start();
    await world.setUp(spec);
    return world;
  }

  /** The SQLite file, for a test that opens a connection of its own. */
  get databasePath(): string {
    return this.dbPath;
  }

  get db(): DbView {
    if (!this.view) throw new Error('world not set up');
    return this.view;
  }

  private async setUp(spec: WorldSpec): Promise<void> {
    const { deps } = this;
    const tenant = await createTenant(deps, SYSTEM_CALLER, { name: 'Property' });
    this.tenantId = tenant.id;
    this.view = new DbView(this.dbPath, tenant.id);
    for (const name of SKILLS) await createSkill(deps, SYSTEM_CALLER, tenant.id, { name });
    for (const [i, a] of spec.agents.entries()) {
      const agent = await createAgent(deps, SYSTEM_CALLER, tenant.id, {
        kind: 'human', displayName: `Agent ${i}`, capacity: a.capacity, skills: a.skills, presence: a.presence, attributes: { seniority: a.seniority },
      });
      this.agentIds.push(agent.id);
      this.names.set(agent.id, `a${i}`);
      this.lastAssignedBefore.set(agent.id, null);
    }
    let botId: string | undefined;
    if (spec.botQueue !== undefined) {
      botId = (await createAgent(deps, SYSTEM_CALLER, tenant.id, { kind: 'bot', displayName: 'Bot', attributes: { seniority: 0 } })).id;
      this.agentIds.push(botId);
      this.names.set(botId, 'bot');
      this.lastAssignedBefore.set(botId, null);
    }
    for (const [i, q] of spec.queues.entries()) {
      const members = q.members.map((m) => this.agentIds[m]!);
      if (botId !== undefined && spec.botQueue === i) members.push(botId);
      const queue = await createQueue(deps, SYSTEM_CALLER, tenant.id, {
        name: `Queue ${i}`, priority: q.priority, memberIds: members,
        routing: { assignmentMethod: q.method, customOrder: [...q.customOrder] },
      });
      this.queueIds.push(queue.id);
      this.names.set(queue.id, `q${i}`);
      this.pointerBefore.set(queue.id, null);
    }
    const channel = await createChannel(deps, SYSTEM_CALLER, tenant.id, { type: 'webchat', name: 'Chat' });
    this.channelId = channel.id;
    const w = spec.workstream;
    const ws = await createWorkstream(deps, SYSTEM_CALLER, tenant.id, {
      name: 'Chat', channelTypes: ['webchat'], mode: 'push', fallbackQueueId: this.queueIds[0]!,
      cost: w.cost, offerTimeoutSeconds: w.offerTimeoutSeconds, rejectionSkipSeconds: w.rejectionSkipSeconds,
      missedOffersBeforeAway: w.missedOffersBeforeAway, skillMatch: w.skillMatch, allowedPresences: [...w.allowedPresences],
      wrapUpConsumesCapacity: w.wrapUpConsumesCapacity, relaxations: w.relaxations,
      classificationRules: [
        ...w.needs.map((skills, i) => ({ id: `need-${i}`, condition: `need == ${i}`, set: { requiredSkills: skills } })),
        { id: 'vip', condition: 'vip == true', set: { priority: 50 } },
      ],
      routeRules: w.routeRules?.(this.queueIds) ?? this.queueIds.slice(1).map((queueId, i) => ({ id: `topic-${i + 1}`, condition: `topic == ${i + 1}`, queueId })),
    });
    this.workstreamId = ws.id;
    this.bus.subscribe((event) => this.watch(event));
    this.lastEventId = this.db.events().at(-1)?.id ?? 0;
    this.decisionCursor = this.lastEventId;
  }

  async close(): Promise<void> {
    await this.engine.close();
    this.scheduler.close();
    await this.bus.close();
    await this.storage.close();
    this.view?.close();
    rmSync(this.dir, { recursive: true, force: true });
  }

  /** A readable name for an id in failure messages (a0, q1, c3). */
  name(id: string | null | undefined): string {
    if (id === null || id === undefined) return String(id);
    return this.names.get(id) ?? id;
  }

  // ---- commands ---------------------------------------------------------------------------

  async newConversation(context: { topic: number; need: number; vip: boolean }): Promise<string> {
    const patch: Record<string, { type: string; value: unknown }> = { topic: { type: 'number', value: context.topic } };
    if (context.need >= 0) patch.need = { type: 'number', value: context.need };
    if (context.vip) patch.vip = { type: 'boolean', value: true };
    const created = await createConversation(this.deps, SYSTEM_CALLER, this.tenantId, {
      channelId: this.channelId, customer: { address: `visitor-${this.conversationCount}` }, context: patch,
    });
    this.names.set(created.conversation.id, `c${this.conversationCount}`);
    this.conversationCount += 1;
    return created.conversation.id;
  }

  async route(conversationId: string) {
    const result = await this.engine.route(SYSTEM_CALLER, this.tenantId, conversationId);
    this.routed.add(conversationId);
    return result;
  }

  async presence(agentId: string, presence: Presence): Promise<void> {
    await setAgentPresence(this.deps, SYSTEM_CALLER, this.tenantId, agentId, presence);
  }

  async accept(offer: DbOffer): Promise<void> {
    await this.engine.accept(SYSTEM_CALLER, this.tenantId, offer.id, offer.agentId);
  }

  async reject(offer: DbOffer): Promise<void> {
    await this.engine.reject(SYSTEM_CALLER, this.tenantId, offer.id, offer.agentId, 'busy');
  }

  async transfer(conversationId: string, queueId: string): Promise<void> {
    await this.engine.transfer(SYSTEM_CALLER, this.tenantId, conversationId, { queueId }, 'needs another team');
  }

  async changeState(conversationId: string, to: ConversationState): Promise<void> {
    await changeConversationState(this.deps, SYSTEM_CALLER, this.tenantId, conversationId, { to });
  }

  async removeMember(queueId: string, agentId: string): Promise<void> {
    await removeQueueMember(this.deps, SYSTEM_CALLER, this.tenantId, queueId, agentId);
  }

  async addMember(queueId: string, agentId: string): Promise<void> {
    await addQueueMember(this.deps, SYSTEM_CALLER, this.tenantId, queueId, agentId);
  }

  /**
   * A process restart: the engine stops (its timers are cancelled, its memory dropped) and a new one
   * starts on the same database, which must resume every pending offer and waiting conversation.
   */
  async restart(): Promise<void> {
    await this.engine.close();
    this.engine = this.makeEngine();
    await this.engine.start();
  }

  /** Moves time; due timers run (the manual scheduler runs them as the clock passes them). */
  advance(ms: number): void {
    this.scheduler.advance(ms);
  }

  idle(): Promise<void> {
    return this.engine.idle();
  }

  /** Events committed since the last call, for the step's trace. */
  takeEvents(): DbEvent[] {
    const events = this.db.events(this.lastEventId);
    if (events.length > 0) this.lastEventId = events.at(-1)!.id;
    return events;
  }

  // ---- invariants after a step -------------------------------------------------------------

  /**
   * Everything that must hold whenever the engine is idle, read from the database (and, last, the
   * engine's cache compared with it). Returns the violations in words; empty when all hold.
   */
  async violations(): Promise<string[]> {
    const out: string[] = [];
    const n = (id: string | null | undefined) => this.name(id);
    const db = this.db;
    const now = this.clock.now();
    const workstreams = db.workstreams();
    const agents = db.agents();
    const queues = db.queues();
    const items = db.items();
    const offers = db.offers();
    const conversations = db.conversations();
    const events = db.events();
    const decisions = db.decisionKinds();

    out.push(...this.backgroundErrors.splice(0));
    for (const m of this.mismatches.splice(0)) {
      out.push(`oracle: ${n(m.conversationId)} in ${n(m.queueId)} went to ${n(m.chosen)} but the ${queues.get(m.queueId)?.routing.assignmentMethod} ` +
        `oracle chooses ${n(m.expected)} (eligible, best first: ${m.ranked.map(n).join(', ') || 'none'})`);
    }

    // Offers: at most one pending per conversation, each one the offer its routing item points at,
    // and none past its expiry (its timer would have fired when the clock passed it).
    const pending = offers.filter((o) => o.status === 'pending');
    const pendingOf = new Map<string, DbOffer[]>();
    for (const o of pending) pendingOf.set(o.conversationId, [...(pendingOf.get(o.conversationId) ?? []), o]);
    for (const [conversationId, list] of pendingOf) {
      if (list.length > 1) out.push(`${n(conversationId)} has ${list.length} pending offers (to ${list.map((o) => n(o.agentId)).join(', ')})`);
    }
    for (const o of pending) {
      const item = items.get(o.conversationId);
      if (!item || item.status !== 'offered' || item.offerId !== o.id || item.agentId !== o.agentId) {
        out.push(`pending offer ${o.id} of ${n(o.conversationId)} to ${n(o.agentId)} does not match its routing item (${item?.status}, agent ${n(item?.agentId)}, offer ${item?.offerId})`);
      }
      if (o.expiresAt <= now) out.push(`offer ${o.id} to ${n(o.agentId)} is still pending ${(now - o.expiresAt) / 1000}s after it expired`);
    }
    for (const item of items.values()) {
      if (item.status === 'offered' && !pending.some((o) => o.id === item.offerId)) {
        out.push(`${n(item.conversationId)} is offered but offer ${item.offerId} is not pending`);
      }
    }

    // Capacity: what an agent uses is exactly what the items it holds cost, and never too much.
    // Missed offers: reaching a workstream's limit (0 = none) sets the agent away and resets the count.
    const missLimit = Math.min(...[...workstreams.values()].map((w) => w.missedOffersBeforeAway).filter((m) => m > 0));
    for (const agent of agents.values()) {
      const held = [...items.values()].filter((i) => i.agentId === agent.id && (i.status === 'offered' || i.status === 'assigned'));
      const sum = held.reduce((s, i) => s + i.cost, 0);
      if (agent.used !== sum) out.push(`${n(agent.id)} uses ${agent.used} but holds ${sum} (${held.map((i) => `${n(i.conversationId)}:${i.status}`).join(', ') || 'nothing'})`);
      if (agent.used > agent.capacity) out.push(`${n(agent.id)} uses ${agent.used} of a capacity of ${agent.capacity}`);
      if (agent.missedOffers >= missLimit) {
        out.push(`${n(agent.id)} has missed ${agent.missedOffers} offers in a row and is still ${agent.presence}`);
      }
    }

    // Every routed conversation: a routing item agreeing with its state, a routing.queued event,
    // and a chain of state_changed events from open to the state it is in.
    const stateOf: Record<ItemStatus, readonly ConversationState[]> = {
      waiting: ['queued'], offered: ['offered'], assigned: ['active', 'bot', 'wrap_up'], ended: ['closed', 'abandoned'],
    };
    for (const conversationId of this.routed) {
      const conversation = conversations.get(conversationId);
      const item = items.get(conversationId);
      if (!conversation || !item) {
        out.push(`${n(conversationId)} was routed but has ${conversation ? 'no routing item' : 'no row'}`);
        continue;
      }
      if (!stateOf[item.status].includes(conversation.state)) out.push(`${n(conversationId)} is ${conversation.state} but its routing item is ${item.status}`);
      if (conversation.queueId !== item.queueId) out.push(`${n(conversationId)} is in ${n(conversation.queueId)} but its routing item in ${n(item.queueId)}`);
      const own = events.filter((e) => e.conversationId === conversationId);
      if (!own.some((e) => e.type === 'routing.queued')) out.push(`${n(conversationId)} has no routing.queued event`);
      let state: string = 'open';
      for (const e of own.filter((x) => x.type === 'conversation.state_changed')) {
        if (e.payload.from !== state) out.push(`${n(conversationId)}: state_changed event ${e.id} goes from ${String(e.payload.from)}, but the previous event left it ${state}`);
        state = String(e.payload.to);
      }
      if (state !== conversation.state) out.push(`${n(conversationId)} is ${conversation.state} but its events end in ${state}`);
      const offeredEvents = own.filter((e) => e.type === 'routing.offered').length;
      const offeredDecisions = (decisions.get(conversationId) ?? []).filter((k) => k === 'offered').length;
      if (offeredEvents !== offeredDecisions) out.push(`${n(conversationId)} has ${offeredEvents} routing.offered events but ${offeredDecisions} offered decisions`);
      // Who is in the conversation besides the customer: nobody while it waits, else its owner.
      const staff = db.openStaff(conversationId);
      const expected = conversation.state === 'active' ? [`agent:${item.agentId}`] : conversation.state === 'bot' ? [`bot:${item.agentId}`]
        : ['queued', 'offered'].includes(conversation.state) ? [] : null;
      if (expected && staff.join() !== expected.join()) {
        const show = (list: string[]) => list.map((x) => x.replace(/:(.*)$/, (_, id: string) => `:${n(id)}`)).join(', ') || 'nobody';
        out.push(`${n(conversationId)} is ${conversation.state} with ${show(staff)} in it, expected ${show(expected)}`);
      }
    }

    // Nothing waits while the oracle finds an eligible agent for it.
    const snapshots = new Map([...agents.values()].map((a) => [a.id, snapshotOf(a)]));
    for (const item of items.values()) {
      if (item.status !== 'waiting') continue;
      const queue = queues.get(item.queueId);
      if (!queue) {
        out.push(`${n(item.conversationId)} waits in a queue that does not exist`);
        continue;
      }
      const work = workOf(item, workstreams.get(item.workstreamId)!, now);
      const selection = selectAgent(queueSnapshotOf(queue), snapshots, work);
      if (selection.agentId !== null) {
        out.push(`${n(item.conversationId)} waits in ${n(queue.id)} (${queue.routing.assignmentMethod}, needs ${JSON.stringify(work.requiredSkills)}) ` +
          `although ${n(selection.agentId)} is eligible (eligible: ${selection.ranked.map(n).join(', ')})`);
      }
    }

    // The pointers and assignment times the oracle reconstructs from are the database's.
    for (const queue of queues.values()) {
      if ((this.pointerBefore.get(queue.id) ?? null) !== queue.rrLastAgentId) {
        out.push(`${n(queue.id)}: round-robin pointer is ${n(queue.rrLastAgentId)}, the decisions left it at ${n(this.pointerBefore.get(queue.id))}`);
      }
    }
    for (const agent of agents.values()) {
      if ((this.lastAssignedBefore.get(agent.id) ?? null) !== agent.lastAssignedAt) {
        out.push(`${n(agent.id)}: last assigned at ${agent.lastAssignedAt}, the decisions say ${this.lastAssignedBefore.get(agent.id)}`);
      }
    }

    out.push(...(await this.cacheDrift(agents, queues, items)));
    return out;
  }

  /** The engine's cache against the database: agents, queues, items and waiting lines. */
  private async cacheDrift(agents: Map<string, DbAgent>, queues: Map<string, DbQueue>, items: Map<string, DbItem>): Promise<string[]> {
    const n = (id: string | null | undefined) => this.name(id);
    return this.engine.inspect(SYSTEM_CALLER, this.tenantId, 'routing.read', (state) => {
      const out: string[] = [];
      for (const agent of agents.values()) {
        const cached = state.agents.get(agent.id);
        const indexed = state.index.getAgent(agent.id);
        if (!cached || cached.usedCapacity !== agent.used || cached.presence !== agent.presence || cached.capacity !== agent.capacity) {
          out.push(`cache: ${n(agent.id)} is ${cached?.presence}/${cached?.usedCapacity} in memory, ${agent.presence}/${agent.used} in the database`);
        }
        if (!indexed || indexed.used !== agent.used || indexed.presence !== agent.presence) out.push(`cache: the index holds a stale ${n(agent.id)}`);
      }
      for (const queue of queues.values()) {
        const cached = state.queues.get(queue.id);
        if (!cached || cached.memberIds.join() !== queue.memberIds.join()) out.push(`cache: ${n(queue.id)} members ${cached?.memberIds.map(n).join(', ')} in memory, ${queue.memberIds.map(n).join(', ')} in the database`);
        const pointer = state.index.queueSnapshot(queue.id)?.lastRoundRobinId ?? null;
        if (pointer !== queue.rrLastAgentId) out.push(`cache: ${n(queue.id)} round-robin pointer ${n(pointer)} in memory, ${n(queue.rrLastAgentId)} in the database`);
        const line = [...(state.lines.get(queue.id)?.inOrder() ?? [])].sort();
        const waiting = [...items.values()].filter((i) => i.status === 'waiting' && i.queueId === queue.id).map((i) => i.conversationId).sort();
        if (line.join() !== waiting.join()) out.push(`cache: ${n(queue.id)} line holds ${line.map(n).join(', ') || 'nothing'}, the database has ${waiting.map(n).join(', ') || 'nothing'} waiting`);
      }
      for (const item of items.values()) {
        const cached = state.items.get(item.conversationId);
        if (item.status === 'ended') {
          if (cached) out.push(`cache: ${n(item.conversationId)} ended but is still ${cached.status} in memory`);
          continue;
        }
        if (!cached || cached.status !== item.status || cached.agentId !== item.agentId || cached.queueId !== item.queueId || cached.offerId !== item.offerId) {
          out.push(`cache: ${n(item.conversationId)} is ${cached?.status}/${n(cached?.agentId)} in memory, ${item.status}/${n(item.agentId)} in the database`);
        }
      }
      return out;
    });
  }

  // ---- the oracle, at the moment of each decision -------------------------------------------

  /**
   * Runs inside the bus delivery of a committed decision. The engine commits the offers of one
   * `drain` pass together, so the database then holds the state right after the last decision of
   * that transaction; the decisions in it are the ones the events table holds beyond the last one
   * checked (the engine takes one step at a time and the test writes nothing meanwhile, so nothing
   * else committed since). Each is checked in commit order against the state right before it: the
   * database minus what it and the decisions after it wrote (the chosen agents' used capacity and
   * last assignment times, the queue's round-robin pointer, which `pointerBefore` and
   * `lastAssignedBefore` carry forward decision by decision), and `selectAgent` is asked whom it
   * would choose.
   */
  private watch(event: SwitchboardEvent): void {
    if (event.tenantId !== this.tenantId || decisionOf(event.type, event.payload) === null) return;
    if (event.id <= this.decisionCursor) return; // checked with the first event of its transaction
    const events = this.db.events(this.decisionCursor);
    this.decisionCursor = events.at(-1)?.id ?? this.decisionCursor;
    const decisions: Array<{ conversationId: string; agentId: string; queueId: string; at: number; picked: boolean }> = [];
    for (const e of events) {
      const kind = decisionOf(e.type, e.payload);
      if (kind === null) continue;
      decisions.push({ conversationId: e.conversationId!, agentId: String(e.payload.agentId), queueId: String(e.payload.queueId), at: e.occurredAt, picked: kind === 'picked' });
    }
    const items = this.db.items();
    if (decisions.length > 1 && this.checkingDecisions) this.decisionsShared += decisions.filter((d) => !d.picked).length;
    for (const [k, d] of decisions.entries()) {
      try {
        if (!d.picked && this.checkingDecisions) this.checkDecision(d, decisions.slice(k), items);
      } finally {
        if (!d.picked) this.pointerBefore.set(d.queueId, d.agentId);
        this.lastAssignedBefore.set(d.agentId, d.at);
      }
    }
  }

  /** `since`: this decision and the ones committed after it in the same transaction, whose writes are taken back. */
  private checkDecision(decision: { conversationId: string; agentId: string; queueId: string; at: number }, since: ReadonlyArray<{ conversationId: string; agentId: string }>, items: Map<string, DbItem>): void {
    const { conversationId, agentId, queueId, at } = decision;
    const db = this.db;
    const item = items.get(conversationId);
    const queue = db.queues().get(queueId);
    if (!item || !queue) {
      this.backgroundErrors.push(`decision for ${this.name(conversationId)} in ${this.name(queueId)} has no routing item or queue`);
      return;
    }
    const taken = new Map<string, number>();
    for (const later of since) taken.set(later.agentId, (taken.get(later.agentId) ?? 0) + (items.get(later.conversationId)?.cost ?? 0));
    const agents = new Map<string, AgentSnapshot>();
    for (const a of db.agents().values()) {
      const cost = taken.get(a.id);
      const before = cost === undefined ? a : { ...a, used: a.used - cost, lastAssignedAt: this.lastAssignedBefore.get(a.id) ?? null };
      agents.set(a.id, snapshotOf(before));
    }
    const work = workOf(item, db.workstreams().get(item.workstreamId)!, at);
    const selection = selectAgent(queueSnapshotOf(queue, this.pointerBefore.get(queueId) ?? null), agents, work);
    this.decisionsChecked += 1;
    if (selection.agentId !== agentId) {
      this.mismatches.push({ conversationId, queueId, chosen: agentId, expected: selection.agentId, ranked: selection.ranked });
    }
  }
}

/** An event that records a decision: an offer, a bot's assignment, or an agent's pick (which is not checked). */
function decisionOf(type: string, payload: Readonly<Record<string, unknown>>): 'decided' | 'picked' | null {
  if (type === 'routing.offered') return 'decided';
  if (type !== 'routing.assigned') return null;
  if (payload.bot === true) return 'decided';
  return payload.picked === true ? 'picked' : null;
}
