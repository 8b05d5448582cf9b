/**
 * Bitsets over the positions of a queue's member list, one bit per position in 32-bit words. The
 * routing index keeps one per queue for "who could be chosen now" and one per group of the
 * grouped orders; re-filing an agent is then a word write, and a walk reads set bits in position
 * order, which is also the round-robin turn order once it starts after the pointer.
 */

export function wordsFor(size: number): Uint32Array {
  return new Uint32Array((size + 31) >>> 5);
}

export function setBit(words: Uint32Array, position: number): void {
  words[position >>> 5]! |= 1 << (position & 31);
}

export function clearBit(words: Uint32Array, position: number): void {
  words[position >>> 5]! &= ~(1 << (position & 31));
}

export function hasBit(words: Uint32Array, position: number): boolean {
  return (words[position >>> 5]! & (1 << (position & 31))) !== 0;
}

/** The first set bit at an index in [from, to), or -1. */
export function nextSetBit(words: Uint32Array, from: number, to: number): number {
  // The same word read twice is the same cache line: one loop serves both searches.
  return nextSetBitOfBoth(words, words, from, to);
}

/** The first index in [from, to) set in both bitsets (a group that is also a candidate), or -1. */
export function nextSetBitOfBoth(a: Uint32Array, b: Uint32Array, from: number, to: number): number {
  if (from < 0) from = 0;
  if (from >= to) return -1;
  let w = from >>> 5;
  const lastWord = (to - 1) >>> 5;
  let word = a[w]! & b[w]! & (~0 << (from & 31));
  for (;;) {
    if (word !== 0) {
      const bit = (w << 5) + 31 - Math.clz32(word & -word);
      return bit < to ? bit : -1;
    }
    w += 1;
    if (w > lastWord) return -1;
    word = a[w]! & b[w]!;
  }
}
