import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import type { ContextVariable } from '../../../src/core/context-variable.js';
import {
  checkClassificationOutcome, classify, type Classification, type ClassificationOutcome, type ClassificationRule,
} from '../../../src/core/routing/classification.js';
import type { Expression, Operand } from '../../../src/core/rules/expression-ast.js';
import { evaluate } from '../../../src/core/rules/expression-evaluator.js';
import { parseExpression } from '../../../src/core/rules/expression-parser.js';

function condition(source: string) {
  const parsed = parseExpression(source);
  if (!parsed.ok) throw new Error(parsed.error.message);
  return parsed.expression;
}
const rule = (id: string, source: string, set: ClassificationOutcome): ClassificationRule => ({ id, condition: condition(source), set });
const variable = (name: string, value: string | number | boolean): ContextVariable => ({
  name, type: typeof value === 'string' ? 'string' : typeof value === 'number' ? 'number' : 'boolean', value,
});
const ctx = (vars: Record<string, string | number | boolean>) => (name: string): ContextVariable | undefined =>
  name in vars ? variable(name, vars[name]!) : undefined;

const rules: ClassificationRule[] = [
  rule('gold', 'customer.tier == "gold"', { priority: 50, variables: [variable('customer.vip', true)] }),
  rule('vip-french', 'customer.vip and customer.language == "fr"', { requiredSkills: [{ skill: 'french', minProficiency: 6 }] }),
  rule('billing', 'case.topic == "billing"', { requiredSkills: [{ skill: 'billing', minProficiency: 3 }], capacityProfile: 'long-form' }),
  rule('outage', 'case.topic == "outage"', { priority: 90, capacityProfile: 'urgent' }),
  rule('french-escalation', 'customer.language == "fr" and case.escalated', { requiredSkills: [{ skill: 'french', minProficiency: 9 }] }),
];

describe('classification: every matching rule applies, in order', () => {
  const cases: ReadonlyArray<[string, Record<string, string | number | boolean>, Omit<Classification, 'evaluated'>, boolean[]]> = [
    ['no matching rule leaves everything unset', { 'customer.tier': 'silver' },
      { priority: null, requiredSkills: [], capacityProfile: null, variables: [] }, [false, false, false, false, false]],
    ['a matching rule sets its priority and variables', { 'customer.tier': 'gold' },
      { priority: 50, requiredSkills: [], capacityProfile: null, variables: [variable('customer.vip', true)] }, [true, false, false, false, false]],
    ['a variable set by an earlier rule is read by a later rule', { 'customer.tier': 'gold', 'customer.language': 'fr' },
      { priority: 50, requiredSkills: [{ skill: 'french', minProficiency: 6 }], capacityProfile: null, variables: [variable('customer.vip', true)] }, [true, true, false, false, false]],
    ['a variable set by a rule hides the value the conversation had', { 'customer.tier': 'gold', 'customer.vip': false, 'customer.language': 'fr' },
      { priority: 50, requiredSkills: [{ skill: 'french', minProficiency: 6 }], capacityProfile: null, variables: [variable('customer.vip', true)] }, [true, true, false, false, false]],
    ['a rule can match on the conversation\'s own context too', { 'customer.vip': true, 'customer.language': 'fr' },
      { priority: null, requiredSkills: [{ skill: 'french', minProficiency: 6 }], capacityProfile: null, variables: [] }, [false, true, false, false, false]],
    ['a later match overrides priority and capacity profile', { 'customer.tier': 'gold', 'case.topic': 'outage' },
      { priority: 90, requiredSkills: [], capacityProfile: 'urgent', variables: [variable('customer.vip', true)] }, [true, false, false, true, false]],
    ['required skills merge across matching rules', { 'customer.tier': 'gold', 'customer.language': 'fr', 'case.topic': 'billing' },
      { priority: 50, requiredSkills: [{ skill: 'french', minProficiency: 6 }, { skill: 'billing', minProficiency: 3 }], capacityProfile: 'long-form', variables: [variable('customer.vip', true)] },
      [true, true, true, false, false]],
    ['a later requirement on the same skill wins, keeping its place', { 'customer.tier': 'gold', 'customer.language': 'fr', 'case.topic': 'billing', 'case.escalated': true },
      { priority: 50, requiredSkills: [{ skill: 'french', minProficiency: 9 }, { skill: 'billing', minProficiency: 3 }], capacityProfile: 'long-form', variables: [variable('customer.vip', true)] },
      [true, true, true, false, true]],
  ];
  for (const [name, context, expected, matched] of cases) {
    it(name, () => {
      const result = classify(rules, ctx(context));
      const { evaluated, ...outcome } = result;
      assert.deepEqual(outcome, expected);
      assert.deepEqual(evaluated, rules.map((r, i) => ({ ruleId: r.id, matched: matched[i] })));
    });
  }

  it('a variable set by a later rule is not seen by an earlier one', () => {
    const reversed = [rules[1]!, rules[0]!];
    const result = classify(reversed, ctx({ 'customer.tier': 'gold', 'customer.language': 'fr' }));
    assert.deepEqual(result.evaluated, [{ ruleId: 'vip-french', matched: false }, { ruleId: 'gold', matched: true }]);
    assert.deepEqual(result.requiredSkills, []);
  });

  it('a later rule setting the same variable replaces its value, keeping its place', () => {
    const result = classify(
      [
        rule('a', 'true', { variables: [variable('segment', 'standard'), variable('flag', true)] }),
        rule('b', 'segment == "standard"', { variables: [variable('segment', 'upgraded')] }),
        rule('c', 'segment == "upgraded"', { priority: 1 }),
      ],
      ctx({}),
    );
    assert.deepEqual(result.variables, [variable('segment', 'upgraded'), variable('flag', true)]);
    assert.equal(result.priority, 1);
  });

  it('a priority of 0 set by a later rule still overrides', () => {
    const result = classify([rule('a', 'true', { priority: 40 }), rule('b', 'true', { priority: 0 })], ctx({}));
    assert.equal(result.priority, 0);
  });
});

describe('classification: outcomes checked when saved', () => {
  const skills = new Set(['french', 'billing']);
  const cases: ReadonlyArray<[string, ClassificationOutcome, RegExp | undefined]> = [
    ['a priority alone', { priority: 50 }, undefined],
    ['priority 0 and 100, the ends of the range', { priority: 0, capacityProfile: 'x' }, undefined],
    ['every field at once', { priority: 100, requiredSkills: [{ skill: 'french', minProficiency: 10 }], capacityProfile: 'voice', variables: [variable('customer.vip', true)] }, undefined],
    ['a datetime variable with an offset', { variables: [{ name: 'case.due', type: 'datetime', value: '2026-01-31T09:00:00+01:00' }] }, undefined],
    ['an outcome that sets nothing', {}, /must set a priority, required skills, a capacity profile or variables/],
    ['an outcome with only empty lists', { requiredSkills: [], variables: [] }, /must set/],
    ['a negative priority', { priority: -1 }, /whole number from 0 to 100 \(higher is more urgent\), not -1/],
    ['a priority above 100', { priority: 101 }, /not 101/],
    ['a fractional priority', { priority: 2.5 }, /not 2.5/],
    ['an unknown skill', { requiredSkills: [{ skill: 'klingon', minProficiency: 5 }] }, /unknown skill "klingon"/],
    ['a skill required twice', { requiredSkills: [{ skill: 'french', minProficiency: 5 }, { skill: 'french', minProficiency: 7 }] }, /skill "french" is required twice/],
    ['a proficiency of 0', { requiredSkills: [{ skill: 'french', minProficiency: 0 }] }, /skill "french": minimum proficiency must be a whole number from 1 to 10, not 0/],
    ['a proficiency of 11', { requiredSkills: [{ skill: 'french', minProficiency: 11 }] }, /not 11/],
    ['a fractional proficiency', { requiredSkills: [{ skill: 'billing', minProficiency: 5.5 }] }, /not 5.5/],
    ['a blank capacity profile', { capacityProfile: '  ' }, /capacity profile must be a non-empty name/],
    ['a capacity profile name of 101 characters', { capacityProfile: 'p'.repeat(101) }, /longer than 100 characters/],
    ['a variable with an invalid name', { variables: [variable('customer tier', 'gold')] }, /invalid variable name "customer tier"/],
    ['a variable whose value does not match its type', { variables: [{ name: 'cart.total', type: 'number', value: '100' }] }, /variable "cart.total": expected a number, got string/],
    ['a datetime variable without a zone', { variables: [{ name: 'case.due', type: 'datetime', value: '2026-01-31T09:00:00' }] }, /expected a datetime/],
    ['a variable set twice', { variables: [variable('a', 1), variable('a', 2)] }, /variable "a" is set twice/],
    ['more than 20 required skills', { requiredSkills: Array.from({ length: 21 }, (_, i) => ({ skill: `s${i}`, minProficiency: 1 })) }, /at most 20 required skills, not 21/],
    ['more than 50 variables', { variables: Array.from({ length: 51 }, (_, i) => variable(`v${i}`, i)) }, /at most 50 variables, not 51/],
  ];
  for (const [name, set, problem] of cases) {
    it(problem ? `refuses ${name}` : `accepts ${name}`, () => {
      const result = checkClassificationOutcome(set, skills);
      if (problem) assert.match(result ?? '', problem);
      else assert.equal(result, undefined);
    });
  }
});

describe('classification: properties', () => {
  const lastOf = <T>(values: readonly (T | undefined)[]): T | undefined => values.filter((v): v is T => v !== undefined).pop();
  const names = ['a', 'b', 'customer.tier', 'customer.vip'];
  const listItem = fc.oneof(fc.string({ maxLength: 5 }), fc.integer({ min: -5, max: 5 }), fc.boolean());
  const contextVariable: fc.Arbitrary<ContextVariable> = fc.oneof(
    fc.record({ name: fc.constantFrom(...names), type: fc.constant('string' as const), value: fc.constantFrom('gold', 'silver', '', '2026-01-01T00:00:00Z') }),
    fc.record({ name: fc.constantFrom(...names), type: fc.constant('number' as const), value: fc.integer({ min: -5, max: 5 }) }),
    fc.record({ name: fc.constantFrom(...names), type: fc.constant('boolean' as const), value: fc.boolean() }),
    fc.record({ name: fc.constantFrom(...names), type: fc.constant('datetime' as const), value: fc.constantFrom('2026-01-01T00:00:00.000Z', '2025-06-01T12:00:00.000Z') }),
    fc.record({ name: fc.constantFrom(...names), type: fc.constant('list' as const), value: fc.array(listItem, { maxLength: 3 }) }),
  );
  const at = { line: 1, column: 1 };
  const operand: fc.Arbitrary<Operand> = fc.oneof(
    fc.constantFrom(...names).map((name) => ({ kind: 'variable' as const, name, at })),
    fc.oneof(listItem, fc.array(listItem, { maxLength: 3 })).map((value) => ({ kind: 'literal' as const, value, at })),
  );
  // Any tree the AST allows, including ones the parser would refuse: evaluation must still be total.
  const { expression } = fc.letrec<{ expression: Expression }>((tie) => ({
    expression: fc.oneof(
      { depthSize: 'small', withCrossShrink: true },
      fc.record({ kind: fc.constant('compare' as const), op: fc.constantFrom('==', '!=', '<', '<=', '>', '>=', 'contains', 'startsWith', 'in' as const), left: operand, right: operand, at: fc.constant(at) }),
      fc.record({ kind: fc.constant('exists' as const), variable: fc.constantFrom(...names), at: fc.constant(at) }),
      fc.record({ kind: fc.constant('truth' as const), operand, at: fc.constant(at) }),
      fc.record({ kind: fc.constant('not' as const), operand: tie('expression'), at: fc.constant(at) }),
      fc.record({ kind: fc.constantFrom('and' as const, 'or' as const), operands: fc.array(tie('expression'), { minLength: 1, maxLength: 3 }), at: fc.constant(at) }),
    ),
  }));
  const outcome = fc.record(
    {
      priority: fc.integer({ min: 0, max: 100 }),
      requiredSkills: fc.array(fc.record({ skill: fc.constantFrom('french', 'billing'), minProficiency: fc.integer({ min: 1, max: 10 }) }), { maxLength: 2 }),
      capacityProfile: fc.constantFrom('voice', 'chat'),
      variables: fc.array(contextVariable, { maxLength: 2 }),
    },
    { requiredKeys: [] },
  );
  const ruleList = fc.array(fc.record({ id: fc.string({ minLength: 1, maxLength: 4 }), condition: expression, set: outcome }), { maxLength: 6 });
  const context = fc.array(contextVariable, { maxLength: 4 }).map((vars) => {
    const byName = new Map(vars.map((v) => [v.name, v]));
    return (name: string) => byName.get(name);
  });

  it('never throws, and reports every rule in order', () => {
    fc.assert(
      fc.property(ruleList, context, (rs, lookup) => {
        const result = classify(rs, lookup);
        assert.deepEqual(result.evaluated.map((e) => e.ruleId), rs.map((r) => r.id));
      }),
      { numRuns: 300 },
    );
  });

  it('without variables in the outcomes, each rule matches on the context alone and the last match decides', () => {
    const withoutVariables = ruleList.map((rs) => rs.map((r) => ({ ...r, set: { ...r.set, variables: undefined } })));
    fc.assert(
      fc.property(withoutVariables, context, (rs, lookup) => {
        const result = classify(rs, lookup);
        const matching = rs.filter((r) => evaluate(r.condition, lookup));
        assert.deepEqual(result.evaluated.map((e) => e.matched), rs.map((r) => evaluate(r.condition, lookup)));
        assert.equal(result.priority, lastOf(matching.map((r) => r.set.priority)) ?? null);
        assert.equal(result.capacityProfile, lastOf(matching.map((r) => r.set.capacityProfile)) ?? null);
        const required = matching.flatMap((r) => r.set.requiredSkills ?? []);
        for (const { skill, minProficiency } of result.requiredSkills) {
          assert.equal(minProficiency, lastOf(required.map((s) => (s.skill === skill ? s.minProficiency : undefined))));
        }
        assert.deepEqual(new Set(result.requiredSkills.map((s) => s.skill)), new Set(required.map((s) => s.skill)));
        assert.equal(new Set(result.requiredSkills.map((s) => s.skill)).size, result.requiredSkills.length);
      }),
      { numRuns: 300 },
    );
  });
});
