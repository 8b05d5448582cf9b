import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { checkWrapUpCodes, chooseWrapUpCode, wrapUpDurationSeconds } from '../../../src/core/workspace/wrap-up.js';

const CODES = [{ code: 'refund', label: 'Refund granted' }, { code: 'info', label: 'Information given' }];

describe('wrap-up codes', () => {
  it('a queue with codes requires one of them, exactly as written', () => {
    assert.deepEqual(chooseWrapUpCode(CODES, 'info'), { ok: true, code: CODES[1] });
    for (const given of [undefined, 'INFO', 'other']) {
      const choice = chooseWrapUpCode(CODES, given);
      assert.ok(!choice.ok, String(given));
      assert.deepEqual(choice.allowed, ['refund', 'info']);
    }
  });

  it('a queue without codes takes none', () => {
    assert.deepEqual(chooseWrapUpCode([], undefined), { ok: true, code: null });
    assert.deepEqual(chooseWrapUpCode([], 'refund'), { ok: false, problem: 'this queue has no wrap-up codes: send none', allowed: [] });
  });

  it('refuses codes that would read as one in a report, blank labels and too many', () => {
    assert.equal(checkWrapUpCodes(CODES), null);
    assert.match(checkWrapUpCodes([...CODES, { code: 'Refund', label: 'x' }]) ?? '', /"Refund" is listed twice/);
    assert.match(checkWrapUpCodes([{ code: 'a', label: ' ' }]) ?? '', /needs a label/);
    assert.match(checkWrapUpCodes(Array.from({ length: 51 }, (_, i) => ({ code: `c${i}`, label: 'x' }))) ?? '', /at most 50/);
  });

  it('lasts from start to end, to the millisecond; null while it runs', () => {
    assert.equal(wrapUpDurationSeconds({ startedAt: '2026-01-01T10:00:00.000Z', endedAt: '2026-01-01T10:00:42.250Z' }), 42.25);
    assert.equal(wrapUpDurationSeconds({ startedAt: '2026-01-01T10:00:00.000Z', endedAt: null }), null);
  });
});
