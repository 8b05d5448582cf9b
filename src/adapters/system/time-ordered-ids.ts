import { randomBytes, randomFillSync } from 'node:crypto';
import type { Ids } from '../../app/ports/ids.js';

const ALPHABET = '0123456789ABCDEFGHJKMNPQRSTVWXYZ'; // Crockford base32: no I, L, O, U
/** Random bytes drawn from the system in one call for this many ids (each needs 10). */
const POOL_IDS = 256;

/**
 * ULID-shaped ids (48-bit millisecond time + 80 random bits, 26 characters) behind a kind prefix.
 * Within one millisecond the random part is incremented, so ids from one process are strictly
 * increasing: keyset pagination by id then equals creation order.
 */
export class TimeOrderedIds implements Ids {
  private lastTime = -1;
  private lastRandom: Uint8Array = new Uint8Array(10);
  // A call into the system's random source per id cost more than the rest of making the id (B2's
  // profile: 2% of a routing round); one call fills the random parts of the next 256.
  private readonly pool = new Uint8Array(10 * POOL_IDS);
  private poolOffset = this.pool.length;

  constructor(private readonly now: () => number = Date.now) {}

  next(prefix: string): string {
    let time = this.now();
    if (time <= this.lastTime) {
      time = this.lastTime;
      increment(this.lastRandom);
    } else {
      this.lastTime = time;
      this.lastRandom = this.freshRandom();
    }
    return `${prefix}_${encodeTime(time)}${encodeRandom(this.lastRandom)}`;
  }

  private freshRandom(): Uint8Array {
    if (this.poolOffset === this.pool.length) {
      randomFillSync(this.pool);
      this.poolOffset = 0;
    }
    // A copy: `increment` changes the random part in place, which must not reach the pool.
    const random = this.pool.slice(this.poolOffset, this.poolOffset + 10);
    this.poolOffset += 10;
    return random;
  }

  secret(bytes: number): string {
    return randomBytes(bytes).toString('hex');
  }
}

function encodeTime(time: number): string {
  let out = '';
  let t = time;
  for (let i = 0; i < 10; i++) {
    out = ALPHABET[t % 32]! + out;
    t = Math.floor(t / 32);
  }
  return out;
}

function encodeRandom(bytes: Uint8Array): string {
  // 80 bits = 16 base32 digits, read 5 bits at a time from the big-endian byte string.
  let out = '';
  let buffer = 0;
  let bits = 0;
  for (const byte of bytes) {
    buffer = (buffer << 8) | byte;
    bits += 8;
    while (bits >= 5) {
      bits -= 5;
      out += ALPHABET[(buffer >> bits) & 31]!;
    }
    buffer &= (1 << bits) - 1;
  }
  return out;
}

function increment(bytes: Uint8Array): void {
  for (let i = bytes.length - 1; i >= 0; i--) {
    if (bytes[i]! < 255) {
      bytes[i]! += 1;
      return;
    }
    bytes[i] = 0;
  }
}
