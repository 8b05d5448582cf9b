import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseTemplate, renderTemplate, templateVariables } from '../../../src/core/workspace/quick-reply.js';

const values = {
  customerName: 'Dana',
  agentName: 'Ana',
  context: [
    { name: 'order.id', type: 'string' as const, value: 'A-1' },
    { name: 'total', type: 'number' as const, value: 42.5 },
    { name: 'paid', type: 'boolean' as const, value: true },
    { name: 'tags', type: 'list' as const, value: ['vip', 2, false] },
    { name: 'empty', type: 'string' as const, value: '' },
  ],
};

function fill(source: string) {
  const parsed = parseTemplate(source);
  assert.ok(parsed.ok, `${source} parses`);
  return renderTemplate(parsed.parts, values);
}

describe('quick reply templates', () => {
  const filled: [string, string, string[], string][] = [
    ['Hello {{customer.name}}', 'Hello Dana', [], 'the customer'],
    ['{{agent.name}} here', 'Ana here', [], 'the agent'],
    ['{{ context.order.id }}', 'A-1', [], 'spaces inside the braces'],
    ['{{context.total}} {{context.paid}}', '42.5 true', [], 'numbers and booleans as text'],
    ['{{context.tags}}', 'vip, 2, false', [], 'a list as a, b, c'],
    ['[{{context.empty}}][{{context.nope}}]', '[][]', ['context.empty', 'context.nope'], 'missing and empty values are empty and named'],
    ['{{context.nope}} {{context.nope}}', ' ', ['context.nope'], 'each missing variable named once'],
    ['a } b }} c { d', 'a } b }} c { d', [], 'lone braces are text'],
    ['', '', [], 'an empty template'],
    ['line 1\nline 2 {{customer.name}}', 'line 1\nline 2 Dana', [], 'line breaks are kept'],
  ];
  for (const [source, text, missing, rule] of filled) {
    it(`fills: ${rule}`, () => assert.deepEqual(fill(source), { text, missing }));
  }

  it('inserts values as they are, once: markup and braces in a value stay text', () => {
    const parsed = parseTemplate('{{customer.name}}');
    assert.ok(parsed.ok);
    assert.deepEqual(renderTemplate(parsed.parts, { ...values, customerName: '<b>{{agent.name}}</b>' }).text, '<b>{{agent.name}}</b>');
  });

  it('a missing customer or agent name is empty and named', () => {
    const parsed = parseTemplate('{{customer.name}}/{{agent.name}}');
    assert.ok(parsed.ok);
    assert.deepEqual(renderTemplate(parsed.parts, { ...values, customerName: null, agentName: null }), { text: '/', missing: ['customer.name', 'agent.name'] });
  });

  it('lists the variables a template uses, once each, in order of first use', () => {
    const parsed = parseTemplate('{{agent.name}} {{customer.name}} {{agent.name}} {{context.a.b}}');
    assert.ok(parsed.ok);
    assert.deepEqual(templateVariables(parsed.parts), ['agent.name', 'customer.name', 'context.a.b']);
  });

  const refused: [string, [number, number][], string][] = [
    ['{{customer.nam}}', [[1, 1]], 'an unknown variable'],
    ['x {{}}', [[1, 3]], 'an empty variable'],
    ['{{context.}}', [[1, 1]], 'a context variable without a name'],
    ['{{context.order id}}', [[1, 1]], 'a context name that is not a dotted identifier'],
    ['{{Context.x}}', [[1, 1]], 'names are case-sensitive'],
    ['ab\ncd {{html}}\n  {{agent.name', [[2, 4], [3, 3]], 'every problem with its line and column'],
    ['{{ {{customer.name}}', [[1, 1]], 'a brace pair inside a variable'],
  ];
  for (const [source, where, rule] of refused) {
    it(`refuses ${rule}`, () => {
      const parsed = parseTemplate(source);
      assert.ok(!parsed.ok, `${source} is refused`);
      assert.deepEqual(parsed.problems.map((p) => [p.line, p.column]), where);
    });
  }
});
