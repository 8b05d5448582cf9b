import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { TimeOrderedIds } from '../../src/adapters/system/time-ordered-ids.js';

describe('time-ordered ids', () => {
  it('are prefixed, 26 Crockford base32 characters after the prefix', () => {
    const id = new TimeOrderedIds(() => 1_767_225_600_000).next('conv');
    assert.match(id, /^conv_[0-9A-HJKMNP-TV-Z]{26}$/);
  });

  it('strictly increase within one millisecond and across a clock that stands still or goes back', () => {
    let now = 1_767_225_600_000;
    const ids = new TimeOrderedIds(() => now);
    const seen: string[] = [];
    for (let i = 0; i < 1000; i++) {
      if (i === 500) now -= 10; // a clock step backwards must not break ordering
      seen.push(ids.next('msg'));
    }
    const sorted = [...seen].sort();
    assert.deepEqual(seen, sorted);
    assert.equal(new Set(seen).size, seen.length);
  });

  it('sort by creation time across milliseconds', () => {
    let now = 1_767_225_600_000;
    const ids = new TimeOrderedIds(() => now);
    const a = ids.next('x');
    now += 1;
    const b = ids.next('x');
    assert.ok(a < b);
  });

  it('makes secrets of the requested size from a strong source', () => {
    const ids = new TimeOrderedIds();
    const s = ids.secret(32);
    assert.match(s, /^[0-9a-f]{64}$/);
    assert.notEqual(s, ids.secret(32));
  });
});
