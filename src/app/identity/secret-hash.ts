import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import type { Storage } from '../ports/storage.js';

export const HASH_KEY_NAME = 'client-secret-hash-key';

/**
 * Client secrets carry 256 random bits, so a fast hash cannot be brute-forced; keying it (HMAC with
 * a server key kept outside the secrets table, ideally in the configuration) also means a copy of
 * the database alone does not let anyone check guesses offline.
 */
export class SecretHasher {
  private key: Promise<Buffer> | undefined;

  constructor(private readonly storage: Storage, private readonly configured: string | null) {}

  private async loadKey(): Promise<Buffer> {
    if (this.configured) return Buffer.from(this.configured, 'hex');
    const existing = await this.storage.read.identity.getServerSecret(HASH_KEY_NAME);
    if (existing) return Buffer.from(existing, 'hex');
    // First writer wins, so several nodes starting at once agree on one key.
    const stored = await this.storage.transaction((tx) => tx.identity.ensureServerSecret(HASH_KEY_NAME, randomBytes(32).toString('hex')));
    return Buffer.from(stored, 'hex');
  }

  async hash(value: string): Promise<string> {
    this.key ??= this.loadKey();
    return createHmac('sha256', await this.key).update(value, 'utf8').digest('hex');
  }

  async matches(value: string, storedHex: string): Promise<boolean> {
    const presented = Buffer.from(await this.hash(value), 'hex');
    const stored = Buffer.from(storedHex, 'hex');
    return presented.length === stored.length && timingSafeEqual(presented, stored);
  }
}

/** A client secret value: 256 bits, base64url, with a prefix that secret scanners can find. */
export function newSecretValue(): string {
  return `sbs_${randomBytes(32).toString('base64url')}`;
}

export function secretHint(value: string): string {
  return value.slice(0, 7);
}

