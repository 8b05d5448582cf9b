import { randomBytes } from 'node:crypto';
import type { Ids } from '../../app/ports/ids.js';

const ALPHABET = '0123456789ABCDEFGHJKMNPQRSTVWXYZ'; // Crockford base32: no I, L, O, U

/**
 * ULID-shaped ids (48-bit millisecond time + 80 random bits, 26 characters) behind a kind prefix.
 * Within one millisecond the random part is incremented, so ids from one process are strictly
 * increasing: keyset pagination by id then equals creation order.
 */
export class TimeOrderedIds implements Ids {
  private lastTime = -1;
  private lastRandom = new Uint8Array(10);

  constructor(private readonly now: () => number = Date.now) {}

  next(prefix: string): string {
    let time = this.now();
    if (time <= this.lastTime) {
      time = this.lastTime;
      increment(this.lastRandom);
    } else {
      this.lastTime = time;
      this.lastRandom = new Uint8Array(randomBytes(10));
    }
    return `${prefix}_${encodeTime(time)}${encodeRandom(this.lastRandom)}`;
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
