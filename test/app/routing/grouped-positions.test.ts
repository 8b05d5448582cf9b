import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { GroupedPositions, nextSetBit } from '../../../src/app/routing/grouped-positions.js';

/** What a walk must visit, computed the plain way from a map of position -> group. */
function expectedWalk(filed: ReadonlyMap<number, number>, last: number, firstGroup: number, within: (g: number) => boolean): number[] {
  const groups = [...new Set(filed.values())].filter((g) => g >= firstGroup).sort((a, b) => a - b);
  const order: number[] = [];
  for (const group of groups) {
    if (!within(group)) break;
    const members = [...filed].filter(([, g]) => g === group).map(([p]) => p).sort((a, b) => a - b);
    order.push(...members.filter((p) => p > last), ...members.filter((p) => p <= last));
  }
  return order;
}

function walked(positions: GroupedPositions, last: number, firstGroup: number, within: (g: number) => boolean, stopAfter = Infinity): number[] {
  const seen: number[] = [];
  positions.walk(last, firstGroup, within, (p) => {
    seen.push(p);
    return seen.length >= stopAfter;
  });
  return seen;
}

describe('grouped positions', () => {
  it('finds set bits across word boundaries, bit 31 included', () => {
    const words = new Uint32Array(3);
    for (const bit of [0, 31, 32, 63, 64, 95]) words[bit >>> 5]! |= 1 << (bit & 31);
    const found: number[] = [];
    for (let p = nextSetBit(words, 0, 96); p >= 0; p = nextSetBit(words, p + 1, 96)) found.push(p);
    assert.deepEqual(found, [0, 31, 32, 63, 64, 95]);
    assert.equal(nextSetBit(words, 1, 31), -1, 'the end is exclusive');
    assert.equal(nextSetBit(words, 33, 63), -1);
    assert.equal(nextSetBit(words, 5, 5), -1);
  });

  it('walks groups ascending and each group from the pointer on, then from the start, and stops when asked', () => {
    const positions = new GroupedPositions(10);
    positions.file(7, -3);
    positions.file(2, -3);
    positions.file(5, -1);
    positions.file(9, -3);
    assert.deepEqual(walked(positions, 6, -Infinity, () => true), [7, 9, 2, 5]);
    assert.deepEqual(walked(positions, 6, -Infinity, (g) => -g >= 2), [7, 9, 2], 'stops at the first group outside the bound');
    assert.deepEqual(walked(positions, -1, -2, () => true), [5], 'starts at the first group >= firstGroup');
    assert.deepEqual(walked(positions, 6, -Infinity, () => true, 2), [7, 9]);
    positions.file(7, -1);
    positions.file(2, undefined);
    assert.deepEqual(walked(positions, 6, -Infinity, () => true), [9, 7, 5]);
  });

  it('matches a plain map after any sequence of filings (property)', () => {
    const size = 70;
    const op = fc.record({ position: fc.integer({ min: 0, max: size - 1 }), group: fc.option(fc.integer({ min: -6, max: 6 }), { nil: undefined }) });
    fc.assert(fc.property(fc.array(op, { maxLength: 200 }), fc.integer({ min: -1, max: size - 1 }), fc.integer({ min: -7, max: 7 }), (ops, last, firstGroup) => {
      const positions = new GroupedPositions(size);
      const filed = new Map<number, number>();
      for (const { position, group } of ops) {
        positions.file(position, group);
        if (group === undefined) filed.delete(position);
        else filed.set(position, group);
      }
      const within = (g: number) => g < 4;
      assert.deepEqual(walked(positions, last, firstGroup, within), expectedWalk(filed, last, firstGroup, within));
    }), { numRuns: 300 });
  });
});
