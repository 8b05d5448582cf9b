import { createHash } from 'node:crypto';
import type { AppDeps } from '../deps.js';
import type { ApiKeyRecord } from '../ports/storage.js';

export interface IssuedApiKey {
  readonly record: ApiKeyRecord;
  /** `key_<id>.<secret>`: shown once; only the SHA-256 of the secret is stored. */
  readonly token: string;
}

export function hashKeySecret(secret: string): string {
  return createHash('sha256').update(secret, 'utf8').digest('hex');
}

/**
 * Creates a bootstrap administrator API key. The secret has 256 bits of entropy, so a fast hash is
 * enough to make a stolen database useless for signing in (a slow hash is for people's passwords).
 * Run by `switchboard admin create-key` and at first start; needs no caller.
 */
export async function createAdminApiKey(deps: AppDeps, label: string): Promise<IssuedApiKey> {
  const id = deps.ids.next('key');
  const secret = deps.ids.secret(32);
  const record: ApiKeyRecord = {
    id,
    secretHash: hashKeySecret(secret),
    label,
    createdAt: new Date(deps.clock.now()).toISOString(),
    revokedAt: null,
  };
  await deps.storage.transaction((tx) => tx.insertApiKey(record));
  return { record, token: `${id}.${secret}` };
}

/** First start: make a key if none exists yet. Returns it (to print once) or undefined. */
export async function ensureBootstrapKey(deps: AppDeps): Promise<IssuedApiKey | undefined> {
  if ((await deps.storage.read.countApiKeys()) > 0) return undefined;
  return createAdminApiKey(deps, 'bootstrap (created at first start)');
}
