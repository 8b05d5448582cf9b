import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { crmRequest, readCrmAnswer } from '../../../src/core/workspace/crm-exchange.js';
import { checkCrmLookup, maskedHeaders } from '../../../src/core/workspace/crm-lookup.js';

describe('the CRM lookup exchange', () => {
  it('asks about the contact with their identity on the channel type, and the context as typed', () => {
    const contact = {
      id: 'con_1', tenantId: 'ten_1', displayName: null, attributes: {}, createdAt: '2026-01-01T00:00:00.000Z',
      identities: [{ channelType: 'email' as const, address: 'd@example.com' }, { channelType: 'webchat' as const, address: 'visitor-1' }],
    };
    assert.deepEqual(crmRequest('ten_1', 'conv_1', contact, 'webchat', [{ name: 'n', type: 'number', value: 1 }]), {
      tenantId: 'ten_1', conversationId: 'conv_1', contact: { id: 'con_1', displayName: null, address: 'visitor-1', channelType: 'webchat' }, context: { n: 1 },
    });
    assert.equal('address' in crmRequest('ten_1', 'conv_1', contact, 'sms', []).contact, false, 'no identity on the channel: no address');
  });

  it('accepts fields as text, links only when http(s), and ignores what it does not show', () => {
    assert.deepEqual(readCrmAnswer({ fields: [{ label: 'A', value: 1, extra: true }, { label: 'B', value: 'x', url: 'https://e.example/1' }, { label: 'C', value: false, url: null }], more: 1 }), {
      ok: true, fields: [{ label: 'A', value: '1' }, { label: 'B', value: 'x', url: 'https://e.example/1' }, { label: 'C', value: 'false' }],
    });
  });

  const refused: [unknown, RegExp][] = [
    [null, /not a JSON object/],
    [[], /not a JSON object/],
    [{}, /no "fields" list/],
    [{ fields: {} }, /no "fields" list/],
    [{ fields: Array.from({ length: 51 }, () => ({ label: 'a', value: 'b' })) }, /51 fields, more than 50/],
    [{ fields: ['text'] }, /field 1 is not an object/],
    [{ fields: [{ value: 'b' }] }, /field 1: "label"/],
    [{ fields: [{ label: '', value: 'b' }] }, /field 1: "label"/],
    [{ fields: [{ label: 'x'.repeat(81), value: 'b' }] }, /field 1: "label"/],
    [{ fields: [{ label: 'a' }] }, /field 1: "value"/],
    [{ fields: [{ label: 'a', value: null }] }, /field 1: "value"/],
    [{ fields: [{ label: 'a', value: Number.NaN }] }, /field 1: "value"/],
    [{ fields: [{ label: 'a', value: 'v'.repeat(2001) }] }, /longer than 2000/],
    [{ fields: [{ label: 'a', value: 'b' }, { label: 'a', value: 'b', url: 'javascript:alert(1)' }] }, /field 2: "url"/],
    [{ fields: [{ label: 'a', value: 'b', url: 'data:text/html,x' }] }, /field 1: "url"/],
    [{ fields: [{ label: 'a', value: 'b', url: '/relative' }] }, /field 1: "url"/],
    [{ fields: [{ label: 'a', value: 'b', url: 5 }] }, /field 1: "url"/],
  ];
  for (const [answer, problem] of refused) {
    it(`refuses ${JSON.stringify(answer).slice(0, 70)}`, () => {
      const read = readCrmAnswer(answer);
      assert.ok(!read.ok);
      assert.match(read.problem, problem);
    });
  }

  it('checks the settings, naming the place of each problem', () => {
    assert.deepEqual(checkCrmLookup({ url: 'https://crm.example.com/x?y=1', headers: { Authorization: 'Bearer x', 'X-Key': 'k' }, timeoutMs: 2000 }), []);
    assert.deepEqual(checkCrmLookup({ url: 'mailto:a@b', headers: { 'content-length': '1', 'Proxy-Authorization': 'x', 'x a': 'b', ok: 'é' }, timeoutMs: 50 }).map((p) => p.path),
      ['/url', '/headers/content-length', '/headers/Proxy-Authorization', '/headers/x a', '/headers/ok', '/timeoutMs']);
  });

  it('masks every header value to its hint', () => {
    assert.deepEqual(maskedHeaders({ a: 'Bearer 0123456789abcdef', b: 'short' }), { a: 'Bea…', b: '…' });
  });
});
