// Property-based tests of the routing engine: random interleavings of new conversations, presence
// flips, accepts, rejects, offer timeouts, waits, transfers to a queue, closes (directly or through
// wrap-up), abandons, bot escalations, queue membership changes (removal and addition), engine
// restarts and bursts of two or three of those requests running concurrently, against the real
// engine on a real SQLite file (see routing-world.ts) with a manual clock and scheduler and a
// seeded random source. A world has 3-6 agents (capacity 1-3, random skills and presence), maybe a
// bot, 2-3 queues with distinct assignment methods and random members, and one push workstream
// (offer timeout 5-30 s, a skip window after a rejection, 0-3 missed offers before away, exact or
// closest skills, maybe a relaxation, classification rules setting required skills, route rules
// choosing the queue). Runs: ROUTING_PROPERTY_RUNS (100), steps: ROUTING_PROPERTY_STEPS (25),
// ROUTING_PROPERTY_SEED and ROUTING_PROPERTY_PATH replay the counterexample fast-check printed.
//
// After every step (the engine idle), from the database:
//  - offers: no conversation has two pending offers; each pending offer is the one its routing item
//    points at (same agent), and none is pending past its expiry (its timer must have fired);
//  - capacity: an agent's used_capacity equals the costs of the routing items it holds (offered or
//    assigned, not released) and never exceeds its capacity; no agent's count of offers missed in a
//    row reaches the workstream's limit (reaching it must set the agent away and reset the count);
//  - lifecycle: every routed conversation has a routing item whose status agrees with its state
//    (waiting-queued, offered-offered, assigned-active/bot/wrap_up, ended-closed/abandoned), the
//    same queue, a routing.queued event, a chain of state_changed events from `open` that ends in
//    its state, one `offered` decision per routing.offered event, and (when queued, offered or
//    active) exactly the owning agent among its participants;
//  - the engine's cache (agents, the index, queues, round-robin pointers, waiting lines, items)
//    agrees with the database;
//  - background work (timers, bus reactions) raised no error.
//
// The oracle (`selectAgent`, the brute-force specification of every assignment method) is applied
// in two ways:
//  1. Every decision, at the moment it is taken. The world subscribes to the bus; the engine
//     publishes a decision right after its transaction commits, and better-sqlite3 reads the file
//     synchronously through a second connection, so the subscriber sees the database exactly as that
//     transaction left it (the engine runs one step at a time and nothing else writes meanwhile).
//     A transaction may hold several decisions (the offers of one drain pass commit together); they
//     are the decision events beyond the last one checked, and each is checked in order against the
//     state right before it, which differs only in what it and the later ones wrote: the chosen
//     agents' used_capacity (+cost) and last_assigned_at, and the queues' rr_last_agent_id. The
//     capacities are given back, and the other two are taken from a running record of every earlier
//     decision (which itself is compared with the database after every step). Everything else the
//     oracle needs is read as is: members in stored order, presences, capacities held by pending
//     offers, skills, the item's skip windows (an agent is skipped while `until > now`, so they
//     expire with time), relaxations counted from queue entry, `now` = the event's time. The chosen
//     agent must be the oracle's first choice. This checks every offer of a step, not only steps
//     with one, and the run must have seen decisions that shared a transaction.
//     Decisions taken during a burst are not checked this way: a decision's commit may share a
//     SQLite group commit with a concurrent request's writes, so the database no longer shows
//     exactly the state the decisions left. Everything else is still checked after the burst.
//  2. No missed assignment: after every step, for every waiting conversation, the oracle finds no
//     eligible agent in its queue. (Which waiting conversation goes first is not checked beyond
//     this: with time jumps several timers fall due at one instant and any order of them is fine.)
//
// Splits: a table of percentage splits, each routing many conversations with a seeded random
// source, checks that each queue's share is within 4 standard deviations of its weight, that each
// conversation landed where its recorded draw points, and that the draws replay from the seed.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import type { ConversationState } from '../../../src/core/conversation-lifecycle.js';
import { SwitchboardError } from '../../../src/app/errors.js';
import { SeededRandom } from '../../../src/app/ports/fakes/manual-scheduler.js';
import { ASSIGNMENT_METHODS, type OrderKey, type Presence } from '../../../src/core/routing/agent-selection.js';
import { RoutingWorld, SKILLS, type AgentSpec, type DbEvent, type QueueSpec, type WorldSpec } from './routing-world.js';

const RUNS = Number(process.env.ROUTING_PROPERTY_RUNS ?? 100);
const MAX_STEPS = Number(process.env.ROUTING_PROPERTY_STEPS ?? 25);

// ---- generated worlds -----------------------------------------------------------------------

const skillsArb = fc.tuple(...SKILLS.map(() => fc.option(fc.integer({ min: 1, max: 10 }), { nil: undefined }))).map((levels) => {
  const skills: Record<string, number> = {};
  levels.forEach((level, i) => {
    if (level !== undefined) skills[SKILLS[i]!] = level;
  });
  return skills;
});

const agentArb: fc.Arbitrary<AgentSpec> = fc.record({
  capacity: fc.integer({ min: 1, max: 3 }),
  skills: skillsArb,
  presence: fc.constantFrom<Presence>('available', 'available', 'available', 'busy', 'offline'),
  seniority: fc.integer({ min: 1, max: 5 }),
});

const customOrderArb: fc.Arbitrary<OrderKey[]> = fc.uniqueArray(
  fc.record({ key: fc.constantFrom('seniority', 'freeCapacity', 'lastAssignedAt', 'skill:english'), direction: fc.constantFrom<'asc' | 'desc'>('asc', 'desc') }),
  { minLength: 1, maxLength: 2, selector: (k) => k.key },
);

const requirementArb = fc.uniqueArray(fc.record({ skill: fc.constantFrom(...SKILLS), minProficiency: fc.integer({ min: 1, max: 8 }) }), {
  minLength: 1, maxLength: 2, selector: (r) => r.skill,
});

const worldArb: fc.Arbitrary<WorldSpec> = fc.array(agentArb, { minLength: 3, maxLength: 6 }).chain((agents) => {
  const queueArb: fc.Arbitrary<Omit<QueueSpec, 'method'>> = fc.record({
    customOrder: customOrderArb,
    priority: fc.integer({ min: 0, max: 3 }),
    members: fc.shuffledSubarray(agents.map((_, i) => i), { minLength: 1 }),
  });
  return fc.record({
    agents: fc.constant(agents),
    queues: fc.tuple(
      fc.shuffledSubarray([...ASSIGNMENT_METHODS], { minLength: 2, maxLength: 3 }),
      fc.array(queueArb, { minLength: 3, maxLength: 3 }),
    ).map(([methods, queues]) => methods.map((method, i) => ({ ...queues[i]!, method }))),
    workstream: fc.record({
      cost: fc.constantFrom(1, 1, 1, 2),
      offerTimeoutSeconds: fc.integer({ min: 5, max: 30 }),
      rejectionSkipSeconds: fc.constantFrom(0, 10, 30, 60, 120),
      missedOffersBeforeAway: fc.integer({ min: 0, max: 3 }),
      skillMatch: fc.constantFrom<'exact' | 'closest'>('exact', 'closest'),
      allowedPresences: fc.constantFrom<Presence[]>(['available'], ['available', 'busy']),
      wrapUpConsumesCapacity: fc.boolean(),
      relaxations: fc.option(fc.record({ afterSeconds: fc.integer({ min: 5, max: 60 }), dropSkills: fc.subarray([...SKILLS], { minLength: 1 }) }), { nil: undefined })
        .map((r) => (r ? [r] : [])),
      needs: fc.array(requirementArb, { minLength: 1, maxLength: 3 }),
    }),
    // A bot in one queue in about half of the worlds (nil once in `freq`): it takes work at once,
    // and escalations and transfers hand work from it to people.
    botQueue: fc.option(fc.nat({ max: 2 }), { nil: undefined, freq: 2 }),
    seed: fc.integer({ min: 0, max: 2 ** 31 - 1 }),
  }).map((spec) => ({ ...spec, botQueue: spec.botQueue === undefined ? undefined : spec.botQueue % spec.queues.length }));
});

// ---- generated steps: choices are indexes taken modulo what exists when the step runs ----------

type Step =
  | { readonly kind: 'new'; readonly topic: number; readonly need: number; readonly vip: boolean }
  | { readonly kind: 'presence'; readonly agent: number; readonly presence: Presence }
  | { readonly kind: 'accept' | 'reject'; readonly pick: number }
  | { readonly kind: 'timeout'; readonly pick: number; readonly extraMs: number }
  | { readonly kind: 'wait'; readonly seconds: number }
  | { readonly kind: 'transfer'; readonly pick: number; readonly queue: number }
  | { readonly kind: 'close'; readonly pick: number; readonly viaWrapUp: boolean }
  | { readonly kind: 'abandon' | 'escalate'; readonly pick: number }
  | { readonly kind: 'remove-member' | 'add-member'; readonly queue: number; readonly pick: number }
  | { readonly kind: 'restart' }
  | { readonly kind: 'burst'; readonly steps: readonly Step[] };

const pick = fc.nat({ max: 20 });
const singleStepArb: fc.Arbitrary<Step> = fc.oneof(
  { weight: 6, arbitrary: fc.record({ kind: fc.constant('new' as const), topic: fc.nat({ max: 2 }), need: fc.integer({ min: -1, max: 2 }), vip: fc.boolean() }) },
  { weight: 3, arbitrary: fc.record({ kind: fc.constant('presence' as const), agent: pick, presence: fc.constantFrom<Presence>('available', 'busy', 'away', 'offline') }) },
  { weight: 4, arbitrary: fc.record({ kind: fc.constant('accept' as const), pick }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('reject' as const), pick }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('timeout' as const), pick, extraMs: fc.constantFrom(0, 1, 1500) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('wait' as const), seconds: fc.integer({ min: 1, max: 90 }) }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('transfer' as const), pick, queue: pick }) },
  { weight: 3, arbitrary: fc.record({ kind: fc.constant('close' as const), pick, viaWrapUp: fc.boolean() }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('abandon' as const), pick }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('escalate' as const), pick }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('remove-member' as const), queue: pick, pick }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('add-member' as const), queue: pick, pick }) },
);
// A restart is never part of a burst: a request still in flight on the stopping engine would write
// behind the new engine's back, which a real process exit (or shutdown after the HTTP server
// drained its requests) does not do.
const stepArb: fc.Arbitrary<Step> = fc.oneof(
  { weight: 12, arbitrary: singleStepArb },
  { weight: 1, arbitrary: fc.constant({ kind: 'restart' as const }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('burst' as const), steps: fc.array(singleStepArb, { minLength: 2, maxLength: 3 }) }) },
);

const at = <T>(list: readonly T[], index: number): T | undefined => (list.length === 0 ? undefined : list[index % list.length]);

/** Runs one step; returns what it did in words, or undefined when there was nothing to do. */
async function runStep(w: RoutingWorld, step: Step): Promise<string | undefined> {
  const n = (id: string | null | undefined) => w.name(id);
  const pendingOffers = () => w.db.offers().filter((o) => o.status === 'pending');
  const inState = (...states: ConversationState[]) => [...w.db.conversations().values()].filter((c) => w.routed.has(c.id) && states.includes(c.state));
  switch (step.kind) {
    case 'new': {
      const id = await w.newConversation(step);
      const result = await w.route(id);
      return `new ${n(id)} (topic ${step.topic}, need ${step.need}${step.vip ? ', vip' : ''}) -> ${n(result.queueId)}: ${result.status} ${n(result.agentId)}`;
    }
    case 'presence': {
      const agentId = at(w.agentIds, step.agent)!;
      await w.presence(agentId, step.presence);
      return `${n(agentId)} goes ${step.presence}`;
    }
    case 'accept':
    case 'reject': {
      const offer = at(pendingOffers(), step.pick);
      if (!offer) return undefined;
      await (step.kind === 'accept' ? w.accept(offer) : w.reject(offer));
      return `${n(offer.agentId)} ${step.kind}s ${n(offer.conversationId)}`;
    }
    case 'timeout': {
      const offer = at(pendingOffers(), step.pick);
      if (!offer) return undefined;
      const ms = offer.expiresAt - w.clock.now() + step.extraMs;
      w.advance(ms);
      return `${n(offer.agentId)} lets ${n(offer.conversationId)} time out (+${ms / 1000}s)`;
    }
    case 'wait':
      w.advance(step.seconds * 1000);
      return `wait ${step.seconds}s`;
    case 'transfer': {
      const conversation = at(inState('active', 'bot'), step.pick);
      if (!conversation) return undefined;
      const queueId = at(w.queueIds, step.queue)!;
      // A bot may not hand work to a queue where only it could take it; that refusal is expected.
      const done = await refusedToBot(w.transfer(conversation.id, queueId));
      return `transfer ${n(conversation.id)} (${conversation.state}) to ${n(queueId)}${done ? '' : ': refused, only the bot is there'}`;
    }
    case 'escalate': {
      const conversation = at(inState('bot'), step.pick);
      if (!conversation) return undefined;
      const done = await refusedToBot(w.route(conversation.id));
      return `the bot escalates ${n(conversation.id)}${done ? '' : ': refused, only the bot is in its queue'}`;
    }
    case 'close': {
      const conversation = at(inState('active', 'wrap_up'), step.pick);
      if (!conversation) return undefined;
      const to = conversation.state === 'active' && step.viaWrapUp ? 'wrap_up' : 'closed';
      await w.changeState(conversation.id, to);
      return `${n(conversation.id)} ${conversation.state} -> ${to}`;
    }
    case 'abandon': {
      const conversation = at(inState('queued', 'offered'), step.pick);
      if (!conversation) return undefined;
      await w.changeState(conversation.id, 'abandoned');
      return `${n(conversation.id)} ${conversation.state} -> abandoned`;
    }
    case 'remove-member': {
      const queueId = at(w.queueIds, step.queue)!;
      const agentId = at(w.db.queues().get(queueId)!.memberIds, step.pick);
      if (!agentId) return undefined;
      await w.removeMember(queueId, agentId);
      return `remove ${n(agentId)} from ${n(queueId)}`;
    }
    case 'add-member': {
      const queueId = at(w.queueIds, step.queue)!;
      const members = w.db.queues().get(queueId)!.memberIds;
      const agentId = at(w.agentIds.filter((id) => !members.includes(id)), step.pick);
      if (!agentId) return undefined;
      await w.addMember(queueId, agentId);
      return `add ${n(agentId)} to ${n(queueId)}`;
    }
    case 'restart':
      await w.restart();
      return 'restart the engine';
    case 'burst': {
      // Concurrent requests: each picks its target from the same state, then they race. Losing a
      // race with a coded error (offer resolved, state conflict, ...) is fine; anything else is not.
      w.checkingDecisions = false;
      try {
        const outcomes = await Promise.allSettled(step.steps.map((s) => runStep(w, s)));
        await w.idle();
        return `together: ${outcomes.map((o, i) => {
          if (o.status === 'fulfilled') return o.value ?? `${step.steps[i]!.kind}: nothing to do`;
          if (o.reason instanceof SwitchboardError) return `${step.steps[i]!.kind}: ${o.reason.code}`;
          throw o.reason;
        }).join(' | ')}`;
      } finally {
        w.checkingDecisions = true;
      }
    }
  }
}

/** Resolves true when done, false when refused because the target queue holds only the bot. */
async function refusedToBot(work: Promise<unknown>): Promise<boolean> {
  try {
    await work;
    return true;
  } catch (error) {
    if (error instanceof SwitchboardError && error.code === 'SB_ERR_TRANSFER_REJECTED') return false;
    throw error;
  }
}

/** The routing events of a step in a few words each, so a failure reads as a story. */
function summarize(w: RoutingWorld, events: readonly DbEvent[]): string {
  const n = (id: unknown) => w.name(id as string | null);
  const words = events.flatMap((e): string[] => {
    const p = e.payload;
    switch (e.type) {
      case 'routing.offered': return [`offer ${n(e.conversationId)}->${n(p.agentId)}`];
      case 'routing.assigned': return p.bot === true ? [`bot takes ${n(e.conversationId)}`] : [];
      case 'routing.offer_accepted': return [`accepted ${n(e.conversationId)}`];
      case 'routing.offer_rejected': return [`rejected ${n(e.conversationId)} by ${n(p.agentId)}`];
      case 'routing.offer_timed_out': return [`timed out ${n(e.conversationId)} at ${n(p.agentId)}`];
      case 'routing.transferred': return [`transferred ${n(e.conversationId)} to ${n(p.toQueueId)}`];
      case 'routing.released': return [`released ${n(e.conversationId)} (${n(p.agentId)})`];
      case 'agent.presence_changed': return [`${n(p.agentId)} ${String(p.from)}->${String(p.to)}`];
      default: return [];
    }
  });
  return words.length > 0 ? `  [${words.join('; ')}]` : '';
}

function describeWorld(spec: WorldSpec): string {
  const agents = spec.agents.map((a, i) => `  a${i}: capacity ${a.capacity}, ${a.presence}, skills ${JSON.stringify(a.skills)}, seniority ${a.seniority}`);
  const queues = spec.queues.map((q, i) => `  q${i}: ${q.method}${q.method === 'custom' ? ` ${JSON.stringify(q.customOrder)}` : ''}, priority ${q.priority}, ` +
    `members ${[...q.members.map((m) => `a${m}`), ...(spec.botQueue === i ? ['bot'] : [])].join(' ')}`);
  const { needs, ...ws } = spec.workstream;
  return [...agents, ...queues, `  workstream: ${JSON.stringify(ws)}`, `  needs: ${needs.map((r, i) => `${i}=${JSON.stringify(r)}`).join(' ')}`].join('\n');
}

interface Totals {
  runs: number;
  steps: number;
  decisions: number;
  shared: number;
  kinds: Map<string, number>;
}

async function runScenario(spec: WorldSpec, steps: readonly Step[], totals?: Totals): Promise<void> {
  const w = await RoutingWorld.create(spec);
  const trace: string[] = [];
  const fail = (i: number, what: string) =>
    new Error(`after step ${i + 1}: ${what}\n\nworld:\n${describeWorld(spec)}\n\nsteps:\n${trace.map((t, j) => `  ${j + 1}. ${t}`).join('\n')}`);
  try {
    for (const [i, step] of steps.entries()) {
      let did: string | undefined;
      try {
        did = await runStep(w, step);
      } catch (error) {
        trace.push(`${step.kind}: threw`);
        throw fail(i, `the step threw ${error instanceof Error ? error.stack : String(error)}`);
      }
      await w.idle();
      trace.push((did ?? `${step.kind}: nothing to do`) + summarize(w, w.takeEvents()));
      if (did && totals) totals.kinds.set(step.kind, (totals.kinds.get(step.kind) ?? 0) + 1);
      const violations = await w.violations();
      if (violations.length > 0) throw fail(i, `\n  - ${violations.join('\n  - ')}`);
    }
    if (totals) {
      totals.runs += 1;
      totals.steps += steps.length;
      totals.decisions += w.decisionsChecked;
      totals.shared += w.decisionsShared;
    }
  } finally {
    await w.close();
  }
}

describe('routing engine properties (real engine, SQLite, manual time)', () => {
  it('under any interleaving, offers are exclusive, capacity adds up, states agree with events, and every decision is the oracle\'s', async (t) => {
    const totals: Totals = { runs: 0, steps: 0, decisions: 0, shared: 0, kinds: new Map() };
    const started = Date.now();
    await fc.assert(
      fc.asyncProperty(worldArb, fc.array(stepArb, { minLength: 1, maxLength: MAX_STEPS, size: 'max' }), (spec, steps) => runScenario(spec, steps, totals)),
      {
        numRuns: RUNS,
        ...(process.env.ROUTING_PROPERTY_SEED ? { seed: Number(process.env.ROUTING_PROPERTY_SEED) } : {}),
        ...(process.env.ROUTING_PROPERTY_PATH ? { path: process.env.ROUTING_PROPERTY_PATH } : {}),
      },
    );
    t.diagnostic(`${totals.runs} runs, ${totals.steps} steps, ${totals.decisions} decisions checked against the oracle (${totals.shared} committed together with others) in ${Date.now() - started} ms`);
    t.diagnostic(`steps that did something: ${[...totals.kinds].map(([k, v]) => `${k} ${v}`).join(', ')}`);
    // Guards against a vacuous pass: the generators must actually exercise the engine (about two
    // checked decisions and a dozen effective steps per run; only asserted on runs large enough).
    if (RUNS >= 50) {
      assert.ok(totals.decisions >= RUNS / 2, `only ${totals.decisions} decisions were checked`);
      // A drain pass that offers several conversations commits them together, and the oracle
      // follows such transactions (the diagnostic above counts them). The random worlds make one
      // in a few dozen runs, so a seed may make none: asserting it here failed about one run in
      // five. The regression test "the offers of one pass commit together" builds one for certain.
      for (const kind of ['new', 'accept', 'reject', 'timeout', 'transfer', 'close', 'abandon', 'burst', 'restart']) {
        assert.ok((totals.kinds.get(kind) ?? 0) > 0, `no ${kind} step ever ran`);
      }
    }
  });

  /**
   * Percentage splits converge to their weights. Each row routes `conversations` conversations
   * through a workstream whose only route rule splits them; queues have no members, so nothing
   * else happens. The draws are the seeded source's, in order (a split replays from its seed).
   * Tolerance: 4 standard deviations of a binomial share, sqrt(p(1-p)/n), per queue.
   */
  const splits = [
    { percents: [70, 30], conversations: 3000, seed: 11 },
    { percents: [50, 50], conversations: 1000, seed: 12 },
    { percents: [10, 20, 70], conversations: 1000, seed: 13 },
    { percents: [5, 15, 20, 25, 35], conversations: 1000, seed: 14 },
  ];
  for (const { percents, conversations, seed } of splits) {
    it(`a ${percents.join('/')} split sends each queue its share of ${conversations} conversations`, async () => {
      const spec: WorldSpec = {
        agents: [{ capacity: 1, skills: {}, presence: 'offline', seniority: 1 }],
        queues: percents.map(() => ({ method: 'round-robin', customOrder: [], priority: 0, members: [] })),
        workstream: {
          cost: 1, offerTimeoutSeconds: 30, rejectionSkipSeconds: 60, missedOffersBeforeAway: 0, skillMatch: 'exact', allowedPresences: ['available'],
          wrapUpConsumesCapacity: false, relaxations: [], needs: [],
          routeRules: (queueIds) => [{ id: 'split', condition: 'true', split: percents.map((percent, i) => ({ queueId: queueIds[i]!, percent })) }],
        },
        seed,
      };
      const w = await RoutingWorld.create(spec);
      try {
        const replay = new SeededRandom(seed);
        const counts = new Map(w.queueIds.map((id) => [id, 0]));
        for (let i = 0; i < conversations; i += 1) {
          const id = await w.newConversation({ topic: 0, need: -1, vip: false });
          const routed = await w.route(id);
          const draw = replay.next();
          assert.equal(routed.plan.draw, draw, `conversation ${i}: the engine drew ${routed.plan.draw}, the seed gives ${draw}`);
          // The queue the draw points at: the first whose cumulative percentage exceeds draw * 100.
          let cumulative = 0;
          const expected = w.queueIds[percents.findIndex((p) => (cumulative += p) > draw * 100)];
          assert.equal(routed.queueId, expected, `conversation ${i}: draw ${draw} went to ${w.name(routed.queueId)}`);
          counts.set(routed.queueId, counts.get(routed.queueId)! + 1);
        }
        const queued = w.takeEvents().filter((e) => e.type === 'routing.queued');
        assert.equal(queued.length, conversations, 'every conversation has its routing.queued event');
        const shares = percents.map((percent, i) => {
          const p = percent / 100;
          const observed = counts.get(w.queueIds[i]!)! / conversations;
          const tolerance = 4 * Math.sqrt((p * (1 - p)) / conversations);
          return { p, observed, tolerance };
        });
        for (const [i, { p, observed, tolerance }] of shares.entries()) {
          assert.ok(Math.abs(observed - p) <= tolerance, `queue ${i}: share ${observed.toFixed(3)}, weight ${p} (tolerance ${tolerance.toFixed(3)}); all: ${shares.map((s) => s.observed.toFixed(3)).join(' ')}`);
        }
      } finally {
        await w.close();
      }
    });
  }
});
