import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import type { ContextVariable } from '../../../src/core/context-variable.js';
import { evaluate } from '../../../src/core/rules/expression-evaluator.js';
import { parseExpression } from '../../../src/core/rules/expression-parser.js';

const context: Record<string, ContextVariable> = Object.fromEntries(
  ([
    ['customer.tier', 'string', 'gold'],
    ['customer.language', 'string', 'de'],
    ['customer.vip', 'boolean', true],
    ['customer.blocked', 'boolean', false],
    ['customer.segments', 'list', ['vip', 'b2b', 7]],
    ['cart.total', 'number', 149.5],
    ['cart.items', 'number', 3],
    ['page.url', 'string', 'https://shop.example.com/billing'],
    ['order.placedAt', 'datetime', '2026-01-31T09:00:00.000Z'],
  ] as const).map(([name, type, value]) => [name, { name, type, value } as ContextVariable]),
);
const lookup = (name: string) => context[name];

function run(source: string): boolean {
  const parsed = parseExpression(source);
  if (!parsed.ok) assert.fail(`${source}: ${parsed.error.message} at ${parsed.error.line}:${parsed.error.column}`);
  return evaluate(parsed.expression, lookup);
}

describe('rule expressions: evaluation', () => {
  const cases: ReadonlyArray<[string, boolean]> = [
    ['customer.tier == "gold"', true],
    ["customer.tier == 'silver'", false],
    ['customer.tier != "silver"', true],
    ['cart.total > 100', true],
    ['cart.total >= 149.5', true],
    ['cart.total < 149.5', false],
    ['cart.items <= 3', true],
    ['cart.total == -1', false],
    ['customer.vip', true],
    ['customer.blocked', false],
    ['not customer.blocked', true],
    ['customer.vip == true', true],
    ['customer.segments contains "vip"', true],
    ['customer.segments contains 7', true],
    ['customer.segments contains "gold"', false],
    ['page.url contains "billing"', true],
    ['page.url startsWith "https://shop."', true],
    ['page.url startsWith "http://"', false],
    ['customer.language in ["en", "de"]', true],
    ['customer.language in ["en", "fr"]', false],
    ['customer.language in []', false],
    ['customer.tier exists', true],
    ['customer.phone exists', false],
    ['not customer.phone exists', true],
    ['order.placedAt >= "2026-01-01T00:00:00Z"', true],
    ['order.placedAt < "2026-01-31T10:00:00+02:00"', false],
    ['order.placedAt == "2026-01-31T10:00:00+01:00"', true],
    ['customer.tier == "gold" and cart.total > 100', true],
    ['customer.tier == "gold" and cart.total > 1000', false],
    ['customer.tier == "silver" or cart.total > 100', true],
    ['customer.tier == "gold" and (cart.total > 1000 or customer.segments contains "b2b")', true],
    ['(customer.tier == "gold" and cart.total > 1000) or customer.blocked', false],
    ['not (customer.tier == "gold")', false],
    ['not not customer.vip', true],
    // Missing variables make every comparison false; "exists" is how to test presence.
    ['customer.phone == "123"', false],
    ['customer.phone != "123"', false],
    ['not (customer.phone == "123")', true],
    // Different types are never equal or ordered.
    ['customer.tier == 5', false],
    ['cart.total == "149.5"', false],
    ['customer.tier > 5', false],
    ['true', true],
    ['false or customer.vip', true],
    ['a_b.c_d == 1 or 1 == 1', true],
    ['customer.tier ==\n  "gold"\n  and cart.items == 3', true],
  ];
  for (const [source, expected] of cases) {
    it(`${JSON.stringify(source)} is ${expected}`, () => assert.equal(run(source), expected));
  }

  it('lists the variables an expression reads', () => {
    const parsed = parseExpression('customer.tier == "gold" and (cart.total > 1 or customer.tier exists)');
    assert.ok(parsed.ok);
    if (parsed.ok) assert.deepEqual(parsed.variables, ['cart.total', 'customer.tier']);
  });
});

describe('rule expressions: errors point at line and column', () => {
  const errors: ReadonlyArray<[string, number, number, RegExp]> = [
    ['customer.tier = "gold"', 1, 15, /use == to compare/],
    ['customer.tier == "gold" && cart.total > 1', 1, 25, /"and", "or" and "not"/],
    ['customer.tier == "gold', 1, 18, /unterminated string/],
    ['customer.tier ==', 1, 17, /found the end/],
    ['(customer.tier == "gold"', 1, 25, /expected "\)" to close the "\(" at line 1, column 1/],
    ['customer.tier == "gold")', 1, 24, /unexpected "\)"/],
    ['customer.tier == "gold"\nand\ncart.total >', 3, 13, /found the end/],
    ['customer.tier == "gold"\n  or cart.total >> 5', 2, 18, /expected a variable or a value, found ">"/],
    ['customer.language in "en"', 1, 22, /"in" needs a list/],
    ['customer.vip > true', 1, 16, /not booleans/],
    ['"gold" exists', 1, 8, /"exists" follows a variable name/],
    ['42', 1, 1, /needs a comparison/],
    ['customer.tier == "gold" customer.vip', 1, 25, /expected "and", "or" or the end/],
    ['customer. == 1', 1, 11, /expected a name after "."/],
    ['x in [1, [2]]', 1, 10, /strings, numbers and booleans only/],
    ['x == "a\\qb"', 1, 8, /unknown escape/],
    ['and == 1', 1, 1, /keyword "and"/],
    ['x == 1 #', 1, 8, /unexpected character "#"/],
    ['', 1, 1, /found the end/],
  ];
  for (const [source, line, column, message] of errors) {
    it(`rejects ${JSON.stringify(source)} at ${line}:${column}`, () => {
      const parsed = parseExpression(source);
      assert.equal(parsed.ok, false);
      if (!parsed.ok) {
        assert.match(parsed.error.message, message);
        assert.deepEqual([parsed.error.line, parsed.error.column], [line, column]);
      }
    });
  }

  it('refuses nesting deep enough to exhaust the stack, and overlong text', () => {
    const deep = parseExpression(`${'('.repeat(200)}x == 1${')'.repeat(200)}`);
    assert.equal(deep.ok, false);
    const long = parseExpression(`x == "${'a'.repeat(5000)}"`);
    assert.equal(long.ok, false);
  });

  it('never throws, whatever the text (property)', () => {
    const alphabet = fc.constantFrom(...'ab.c_ ()[],"\'=<>!&|-0123456789\n'.split(''), ' and ', ' or ', ' not ', ' in ', ' contains ', ' exists ', 'true');
    fc.assert(fc.property(fc.array(alphabet, { maxLength: 60 }).map((parts) => parts.join('')), (source) => {
      const parsed = parseExpression(source);
      if (parsed.ok) evaluate(parsed.expression, lookup);
      else assert.ok(parsed.error.line >= 1 && parsed.error.column >= 1);
    }), { numRuns: 2000 });
  });
});
