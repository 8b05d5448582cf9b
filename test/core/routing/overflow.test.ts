import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import {
  checkOverflowRules, estimateWaitSeconds, nextOverflowDeadline, overflowBeforeQueue, overflowWhileQueued,
  type OverflowAction, type OverflowCondition, type OverflowRule, type QueueConditions,
} from '../../../src/core/routing/overflow.js';

const rule = (id: string, when: OverflowCondition, then: OverflowAction): OverflowRule => ({ id, when, then });
const conditions = (over: Partial<QueueConditions> = {}): QueueConditions => ({ open: true, queueLength: 0, estimatedWaitSeconds: 0, ...over });

const rules: OverflowRule[] = [
  rule('closed', { kind: 'out-of-hours' }, { kind: 'message-and-end', text: 'We are closed; we open at 9:00.' }),
  rule('long-line', { kind: 'queue-length', atLeast: 10 }, { kind: 'callback' }),
  rule('long-wait', { kind: 'estimated-wait', atLeastSeconds: 600 }, { kind: 'transfer', queueId: 'q_general' }),
  rule('waited-1m', { kind: 'wait-exceeds', seconds: 60 }, { kind: 'callback' }),
  rule('waited-5m', { kind: 'wait-exceeds', seconds: 300 }, { kind: 'transfer', queueId: 'q_general' }),
  rule('waited-10m', { kind: 'wait-exceeds', seconds: 600 }, { kind: 'assign-anyway' }),
];

describe('overflow before queueing', () => {
  const cases: ReadonlyArray<[string, QueueConditions, string | null]> = [
    ['an open queue with a short line and wait queues normally', conditions({ queueLength: 3, estimatedWaitSeconds: 120 }), null],
    ['a closed queue overflows', conditions({ open: false }), 'closed'],
    ['a line at the threshold overflows', conditions({ queueLength: 10 }), 'long-line'],
    ['a line one below the threshold does not', conditions({ queueLength: 9 }), null],
    ['an estimated wait at the threshold overflows', conditions({ estimatedWaitSeconds: 600 }), 'long-wait'],
    ['an estimated wait one second below does not', conditions({ estimatedWaitSeconds: 599 }), null],
    ['when several conditions hold, the first rule in order wins', conditions({ open: false, queueLength: 50, estimatedWaitSeconds: 5000 }), 'closed'],
  ];
  for (const [name, queue, expected] of cases) {
    it(name, () => assert.equal(overflowBeforeQueue(rules, queue)?.id ?? null, expected));
  }

  it('ignores wait-exceeds rules, which only apply while queued', () => {
    assert.equal(overflowBeforeQueue([rule('w', { kind: 'wait-exceeds', seconds: 0 }, { kind: 'callback' })], conditions()), null);
  });

  it('an assign-anyway rule placed first shields the rules after it', () => {
    const vipLine = [rule('queue-anyway', { kind: 'out-of-hours' }, { kind: 'assign-anyway' }), ...rules];
    assert.deepEqual(overflowBeforeQueue(vipLine, conditions({ open: false })), vipLine[0]);
  });
});

describe('overflow while queued', () => {
  const cases: ReadonlyArray<[string, number, string[], string | null]> = [
    ['nothing before the first threshold', 59, [], null],
    ['a rule applies once its threshold is reached', 60, [], 'waited-1m'],
    ['a rule already applied does not apply again', 120, ['waited-1m'], null],
    ['after a late wake-up, the first unapplied rule in order applies', 400, [], 'waited-1m'],
    ['... and the next one on the wake-up after that', 400, ['waited-1m'], 'waited-5m'],
    ['the last threshold applies after the others', 600, ['waited-1m', 'waited-5m'], 'waited-10m'],
    ['nothing is left once every rule applied', 10_000, ['waited-1m', 'waited-5m', 'waited-10m'], null],
  ];
  for (const [name, waited, applied, expected] of cases) {
    it(name, () => assert.equal(overflowWhileQueued(rules, waited, new Set(applied))?.id ?? null, expected));
  }

  it('never applies a pre-queue condition while queued', () => {
    const preQueueOnly = rules.filter((r) => r.when.kind !== 'wait-exceeds');
    assert.equal(overflowWhileQueued(preQueueOnly, 1_000_000, new Set()), null);
  });
});

describe('the next overflow deadline', () => {
  const entered = 1_767_225_600_000;
  const cases: ReadonlyArray<[string, OverflowRule[], string[], number | null]> = [
    ['is the first threshold', rules, [], entered + 60_000],
    ['moves to the next threshold once a rule applied', rules, ['waited-1m'], entered + 300_000],
    ['is the smallest threshold whatever the order of the rules', [...rules].reverse(), [], entered + 60_000],
    ['stays on a shadowed rule not applied yet, even if past', rules, ['waited-5m'], entered + 60_000],
    ['is null when every rule applied', rules, ['waited-1m', 'waited-5m', 'waited-10m'], null],
    ['is null without wait-exceeds rules', rules.slice(0, 3), [], null],
  ];
  for (const [name, rs, applied, expected] of cases) {
    it(name, () => assert.equal(nextOverflowDeadline(rs, entered, new Set(applied)), expected));
  }

  it('waking at each deadline applies every wait rule exactly once, never before its threshold', () => {
    const waitRule = fc.record({ id: fc.string({ minLength: 1, maxLength: 3 }), seconds: fc.integer({ min: 0, max: 3600 }) });
    fc.assert(
      fc.property(fc.uniqueArray(waitRule, { selector: (r) => r.id, maxLength: 8 }), fc.integer({ min: 0, max: 5000 }), (specs, lateness) => {
        const rs = specs.map((s) => rule(s.id, { kind: 'wait-exceeds', seconds: s.seconds }, { kind: 'callback' }));
        const applied = new Set<string>();
        let now = entered;
        for (;;) {
          const due = nextOverflowDeadline(rs, entered, applied);
          if (due === null) break;
          // The engine may wake late, never early.
          now = Math.max(now, due) + lateness;
          const waited = (now - entered) / 1000;
          const fired = overflowWhileQueued(rs, waited, applied);
          assert.ok(fired !== null, `nothing to apply at the deadline ${due}`);
          assert.ok(fired.when.kind === 'wait-exceeds' && fired.when.seconds <= waited);
          applied.add(fired.id);
        }
        assert.deepEqual([...applied].sort(), rs.map((r) => r.id).sort());
      }),
      { numRuns: 300 },
    );
  });
});

describe('estimated wait', () => {
  const estimate = (position: number, wait: number | null, handle: number | null, agents: number) =>
    estimateWaitSeconds({ position, recentAverageWaitSeconds: wait, recentAverageHandleSeconds: handle, agentsServing: agents });
  const cases: ReadonlyArray<[string, number, number | null, number | null, number, number]> = [
    ['is 0 when nothing is known', 5, null, null, 0, 0],
    ['first in line waits one handle time with one agent', 0, null, 300, 1, 300],
    ['third in line with two agents waits one and a half handle times', 2, null, 300, 2, 450],
    ['rounds up to whole seconds', 0, null, 100, 3, 34],
    ['prefers the line model over the recent average wait', 0, 999, 300, 1, 300],
    ['falls back to the recent average wait without a handle time', 4, 95.2, null, 3, 96],
    ['falls back to the recent average wait when nobody serves', 4, 95, 300, 0, 95],
    ['is 0 when nobody serves and no wait is known', 4, null, 300, 0, 0],
    ['treats a negative position as the head of the line', -3, null, 60, 1, 60],
    ['ignores a negative or non-finite average', 1, Number.NaN, -5, 1, 0],
  ];
  for (const [name, position, wait, handle, agents, expected] of cases) {
    it(`${name}: ${expected}s`, () => assert.equal(estimate(position, wait, handle, agents), expected));
  }

  it('is a whole number of 0 or more, non-decreasing in position and handle time, non-increasing in agents serving', () => {
    const maybe = fc.option(fc.double({ min: 0, max: 7200, noNaN: true }), { nil: null });
    fc.assert(
      fc.property(fc.nat(500), fc.nat(5), maybe, maybe, fc.integer({ min: 1, max: 200 }), fc.nat(5), fc.double({ min: 0, max: 100, noNaN: true }),
        (position, more, wait, handle, agents, moreAgents, moreHandle) => {
          const base = estimate(position, wait, handle, agents);
          assert.ok(Number.isInteger(base) && base >= 0);
          assert.ok(estimate(position + more, wait, handle, agents) >= base);
          assert.ok(estimate(position, wait, handle, agents + moreAgents) <= base);
          if (handle !== null) assert.ok(estimate(position, wait, handle + moreHandle, agents) >= base);
        }),
      { numRuns: 500 },
    );
  });
});

describe('overflow rules checked when saved', () => {
  const known = new Set(['q_sales', 'q_general']);
  const cases: ReadonlyArray<[string, OverflowRule[], RegExp | undefined]> = [
    ['a full set of valid rules', rules, undefined],
    ['no rules at all', [], undefined],
    ['zero thresholds', [rule('a', { kind: 'queue-length', atLeast: 0 }, { kind: 'assign-anyway' }), rule('b', { kind: 'wait-exceeds', seconds: 0 }, { kind: 'callback' })], undefined],
    ['a message of exactly 4000 characters', [rule('a', { kind: 'out-of-hours' }, { kind: 'message-and-end', text: 'x'.repeat(4000) })], undefined],
    ['a transfer to an unknown queue', [rule('a', { kind: 'out-of-hours' }, { kind: 'transfer', queueId: 'q_nowhere' })], /overflow rule "a": unknown queue "q_nowhere"/],
    ['a transfer to the queue itself', [rule('a', { kind: 'out-of-hours' }, { kind: 'transfer', queueId: 'q_sales' })], /overflow rule "a": a queue cannot overflow into itself/],
    ['a negative queue length', [rule('a', { kind: 'queue-length', atLeast: -1 }, { kind: 'callback' })], /the queue length must be a whole number of 0 or more, not -1/],
    ['a fractional estimated wait', [rule('a', { kind: 'estimated-wait', atLeastSeconds: 1.5 }, { kind: 'callback' })], /estimated wait in seconds must be a whole number of 0 or more, not 1.5/],
    ['a non-finite wait', [rule('a', { kind: 'wait-exceeds', seconds: Number.POSITIVE_INFINITY }, { kind: 'callback' })], /the wait in seconds must be a whole number of 0 or more, not Infinity/],
    ['an empty message', [rule('a', { kind: 'out-of-hours' }, { kind: 'message-and-end', text: '   ' })], /the message must not be empty/],
    ['a message over 4000 characters', [rule('a', { kind: 'out-of-hours' }, { kind: 'message-and-end', text: 'x'.repeat(4001) })], /longer than 4000 characters/],
    ['two rules with the same id', [rule('a', { kind: 'out-of-hours' }, { kind: 'callback' }), rule('a', { kind: 'wait-exceeds', seconds: 5 }, { kind: 'callback' })], /id "a" is used twice/],
    ['a rule without an id', [rule('', { kind: 'out-of-hours' }, { kind: 'callback' })], /needs an id/],
    ['more than 20 rules', Array.from({ length: 21 }, (_, i) => rule(`r${i}`, { kind: 'wait-exceeds', seconds: i }, { kind: 'callback' })), /at most 20 overflow rules, not 21/],
    ['an unknown condition', [{ id: 'a', when: { kind: 'sunny' }, then: { kind: 'callback' } } as unknown as OverflowRule], /unknown condition "sunny"/],
    ['an unknown action', [{ id: 'a', when: { kind: 'out-of-hours' }, then: { kind: 'hang-up' } } as unknown as OverflowRule], /unknown action "hang-up"/],
  ];
  for (const [name, rs, problem] of cases) {
    it(problem ? `refuses ${name}` : `accepts ${name}`, () => {
      const result = checkOverflowRules(rs, 'q_sales', known);
      if (problem) assert.match(result ?? '', problem);
      else assert.equal(result, undefined);
    });
  }
});
