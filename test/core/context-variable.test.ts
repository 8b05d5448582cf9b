import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { checkContextVariable } from '../../src/core/context-variable.js';

describe('context variables', () => {
  const accepted: ReadonlyArray<[string, string, unknown, unknown]> = [
    ['customer.tier', 'string', 'gold', 'gold'],
    ['cart_total', 'number', 12.5, 12.5],
    ['authenticated', 'boolean', true, true],
    ['order.placedAt', 'datetime', '2026-01-31T10:00:00+01:00', '2026-01-31T09:00:00.000Z'],
    ['order.placedAt', 'datetime', '2026-01-31T09:00:00.123Z', '2026-01-31T09:00:00.123Z'],
    ['segments', 'list', ['vip', 2, false], ['vip', 2, false]],
    ['empty.list', 'list', [], []],
  ];
  for (const [name, type, value, normalised] of accepted) {
    it(`accepts a ${type} (${JSON.stringify(value)}) and stores ${JSON.stringify(normalised)}`, () => {
      const check = checkContextVariable(name, type, value);
      assert.deepEqual(check, { ok: true, variable: { name, type, value: normalised } });
    });
  }

  const rejected: ReadonlyArray<[string, string, string, unknown, RegExp]> = [
    ['a number given as a string', 'n', 'number', '5', /expected a number/],
    ['NaN', 'n', 'number', Number.NaN, /expected a number/],
    ['a string given as a number', 's', 'string', 5, /expected a string/],
    ['a boolean given as a string', 'b', 'boolean', 'true', /expected a boolean/],
    ['a datetime without a zone', 'd', 'datetime', '2026-01-31T10:00:00', /RFC 3339/],
    ['a date only', 'd', 'datetime', '2026-01-31', /RFC 3339/],
    ['an impossible date', 'd', 'datetime', '2026-02-31T10:00:00Z', /RFC 3339|expected a datetime/],
    ['a list holding an object', 'l', 'list', [{ a: 1 }], /list items/],
    ['a list given as a string', 'l', 'list', 'a,b', /expected a list/],
    ['an unknown type', 'x', 'money', 5, /unknown type/],
    ['a name with spaces', 'customer tier', 'string', 'x', /invalid variable name/],
    ['a name starting with a digit', '1st', 'string', 'x', /invalid variable name/],
    ['a name with a trailing dot', 'customer.', 'string', 'x', /invalid variable name/],
    ['null as a value', 's', 'string', null, /got null/],
    ['an over-long string', 's', 'string', 'x'.repeat(4001), /longer than/],
  ];
  for (const [why, name, type, value, problem] of rejected) {
    it(`rejects ${why}`, () => {
      const check = checkContextVariable(name, type, value);
      assert.equal(check.ok, false);
      if (!check.ok) assert.match(check.problem, problem);
    });
  }
});
