import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { clearBit, hasBit, nextSetBit, nextSetBitOfBoth, setBit, wordsFor } from '../../../src/app/routing/member-orders/bitset.js';

function setBits(words: Uint32Array, from: number, to: number, next: (from: number) => number): number[] {
  const found: number[] = [];
  for (let p = next(from); p >= 0 && p < to; p = next(p + 1)) found.push(p);
  return found;
}

describe('member bitsets', () => {
  it('finds set bits across word boundaries, bit 31 included', () => {
    const words = wordsFor(96);
    for (const bit of [0, 31, 32, 63, 64, 95]) setBit(words, bit);
    assert.deepEqual(setBits(words, 0, 96, (from) => nextSetBit(words, from, 96)), [0, 31, 32, 63, 64, 95]);
    assert.equal(nextSetBit(words, 1, 31), -1, 'the end is exclusive');
    assert.equal(nextSetBit(words, 33, 63), -1);
    assert.equal(nextSetBit(words, 5, 5), -1);
    assert.equal(nextSetBit(words, -3, 1), 0, 'a negative start counts from 0');
    clearBit(words, 31);
    assert.equal(hasBit(words, 31), false);
    assert.equal(nextSetBit(words, 1, 96), 32);
  });

  it('finds bits set in both bitsets only', () => {
    const a = wordsFor(70);
    const b = wordsFor(70);
    for (const bit of [1, 33, 40, 69]) setBit(a, bit);
    for (const bit of [2, 33, 69]) setBit(b, bit);
    assert.deepEqual(setBits(a, 0, 70, (from) => nextSetBitOfBoth(a, b, from, 70)), [33, 69]);
    assert.equal(nextSetBitOfBoth(a, b, 34, 69), -1, 'the end is exclusive');
  });

  it('agrees with a plain set after any sequence of writes (property)', () => {
    const size = 100;
    const op = fc.record({ position: fc.integer({ min: 0, max: size - 1 }), set: fc.boolean(), inB: fc.boolean() });
    fc.assert(fc.property(fc.array(op, { maxLength: 200 }), fc.integer({ min: -1, max: size }), fc.integer({ min: 0, max: size }), (ops, from, to) => {
      const a = wordsFor(size);
      const b = wordsFor(size);
      const inA = new Set<number>();
      const inB = new Set<number>();
      for (const { position, set, inB: second } of ops) {
        const [words, plain] = second ? [b, inB] : [a, inA];
        if (set) {
          setBit(words, position);
          plain.add(position);
        } else {
          clearBit(words, position);
          plain.delete(position);
        }
      }
      const start = Math.max(0, from);
      const expectedA = [...inA].filter((p) => p >= start && p < to).sort((x, y) => x - y);
      const expectedBoth = expectedA.filter((p) => inB.has(p));
      assert.equal(nextSetBit(a, from, to), expectedA[0] ?? -1);
      assert.equal(nextSetBitOfBoth(a, b, from, to), expectedBoth[0] ?? -1);
    }), { numRuns: 300 });
  });
});
