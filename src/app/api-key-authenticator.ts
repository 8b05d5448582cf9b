import { timingSafeEqual } from 'node:crypto';
import type { Caller } from './caller.js';
import type { AppDeps } from './deps.js';
import type { ApiKeyRecord } from './ports/storage.js';
import { hashKeySecret } from './use-cases/create-api-key.js';

const CACHE_TTL_MS = 5_000;

/**
 * Turns a presented API key into a Caller. Key records are cached for a few seconds so a busy API
 * does not read the key table on every request; a revocation takes effect within that window.
 */
export class ApiKeyAuthenticator {
  private readonly cache = new Map<string, { record: ApiKeyRecord | undefined; until: number }>();

  constructor(private readonly deps: Pick<AppDeps, 'storage' | 'clock'>) {}

  async authenticate(token: string): Promise<Caller | undefined> {
    const dot = token.indexOf('.');
    if (dot <= 0 || dot === token.length - 1 || token.length > 200) return undefined;
    const id = token.slice(0, dot);
    const record = await this.lookup(id);
    if (!record || record.revokedAt !== null) return undefined;
    const presented = Buffer.from(hashKeySecret(token.slice(dot + 1)), 'hex');
    const stored = Buffer.from(record.secretHash, 'hex');
    if (presented.length !== stored.length || !timingSafeEqual(presented, stored)) return undefined;
    return { actor: { kind: 'admin', id: record.id }, tenants: 'all', isPlatformAdmin: true };
  }

  private async lookup(id: string): Promise<ApiKeyRecord | undefined> {
    const now = this.deps.clock.now();
    const hit = this.cache.get(id);
    if (hit && hit.until > now) return hit.record;
    const record = await this.deps.storage.read.getApiKey(id);
    // Unknown ids are cached too (briefly), so a flood of bad keys cannot hammer the database.
    if (this.cache.size > 10_000) this.cache.clear();
    this.cache.set(id, { record, until: now + CACHE_TTL_MS });
    return record;
  }
}
