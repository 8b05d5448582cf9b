import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { ContextVariable } from '../../../src/core/context-variable.js';
import { checkSplit, routeToQueue, type RouteRule } from '../../../src/core/routing/route-to-queue.js';
import { parseExpression } from '../../../src/core/rules/expression-parser.js';

function condition(source: string) {
  const parsed = parseExpression(source);
  if (!parsed.ok) throw new Error(parsed.error.message);
  return parsed.expression;
}
const ctx = (vars: Record<string, string | number>) => (name: string): ContextVariable | undefined =>
  name in vars ? { name, type: typeof vars[name] === 'number' ? 'number' : 'string', value: vars[name]! } : undefined;

const rules: RouteRule[] = [
  { id: 'vip', condition: condition('customer.tier == "gold"'), target: { kind: 'queue', queueId: 'q_vip' } },
  { id: 'german', condition: condition('customer.language == "de"'), target: { kind: 'split', shares: [{ queueId: 'q_de_a', percent: 70 }, { queueId: 'q_de_b', percent: 30 }] } },
  { id: 'also-gold', condition: condition('customer.tier exists'), target: { kind: 'queue', queueId: 'q_any_tier' } },
];

describe('route-to-queue rules', () => {
  it('sends the conversation to the first rule that matches, in order', () => {
    const d = routeToQueue(rules, 'q_fallback', ctx({ 'customer.tier': 'gold', 'customer.language': 'de' }), 0.5);
    assert.deepEqual(d, { queueId: 'q_vip', ruleId: 'vip', evaluated: [{ ruleId: 'vip', matched: true }] });
  });

  it('uses the fallback queue when no rule matches, and records every rule it tried', () => {
    const d = routeToQueue(rules, 'q_fallback', ctx({ 'customer.language': 'en' }), 0.5);
    assert.equal(d.queueId, 'q_fallback');
    assert.equal(d.ruleId, null);
    assert.deepEqual(d.evaluated.map((e) => e.matched), [false, false, false]);
  });

  const draws: ReadonlyArray<[number, string]> = [[0, 'q_de_a'], [0.6999, 'q_de_a'], [0.7, 'q_de_b'], [0.9999, 'q_de_b']];
  for (const [draw, queue] of draws) {
    it(`splits 70/30 by the caller's draw: ${draw} -> ${queue}`, () => {
      assert.equal(routeToQueue(rules, 'q_fallback', ctx({ 'customer.language': 'de' }), draw).queueId, queue);
    });
  }

  it('converges to the split weights over many draws of a seeded source', () => {
    let seed = 42;
    const next = () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
    const counts = new Map<string, number>();
    const n = 20_000;
    for (let i = 0; i < n; i++) {
      const q = routeToQueue(rules, 'q_fallback', ctx({ 'customer.language': 'de' }), next()).queueId;
      counts.set(q, (counts.get(q) ?? 0) + 1);
    }
    assert.ok(Math.abs((counts.get('q_de_a') ?? 0) / n - 0.7) < 0.02, JSON.stringify([...counts]));
  });

  const splits: ReadonlyArray<[string, { queueId: string; percent: number }[], RegExp | undefined]> = [
    ['a valid 50/30/20 split', [{ queueId: 'a', percent: 50 }, { queueId: 'b', percent: 30 }, { queueId: 'c', percent: 20 }], undefined],
    ['a split not summing to 100', [{ queueId: 'a', percent: 50 }, { queueId: 'b', percent: 40 }], /sum to 100, not 90/],
    ['a split over six queues', ['a', 'b', 'c', 'd', 'e', 'f'].map((q, i) => ({ queueId: q, percent: i === 0 ? 50 : 10 })), /1 to 5 queues/],
    ['a split naming a queue twice', [{ queueId: 'a', percent: 50 }, { queueId: 'a', percent: 50 }], /each queue once/],
    ['a split with a zero share', [{ queueId: 'a', percent: 100 }, { queueId: 'b', percent: 0 }], /above 0/],
    ['a split with a fractional share', [{ queueId: 'a', percent: 50.5 }, { queueId: 'b', percent: 49.5 }], /whole numbers/],
  ];
  for (const [name, shares, problem] of splits) {
    it(problem ? `refuses ${name}` : `accepts ${name}`, () => {
      const result = checkSplit(shares);
      if (problem) assert.match(result ?? '', problem);
      else assert.equal(result, undefined);
    });
  }
});
