import type { SigningAlgorithm } from '../../core/identity/identity-model.js';
import type { SwitchboardEvent } from '../../core/model.js';
import type { AppDeps } from '../deps.js';
import type { Bus } from '../ports/bus.js';
import type { StoreTx } from '../ports/storage.js';
import type { TokenCrypto } from '../ports/token-crypto.js';
import type { SecretHasher } from './secret-hash.js';

/** Identity settings, from the configuration (`docs/IDENTITY.md` lists the variables). */
export interface IdentitySettings {
  /** External base URL (`https://cc.example.com`); tokens name it as issuer. Null: taken from each request. */
  readonly publicUrl: string | null;
  readonly accessTokenSeconds: number;
  readonly refreshTokenDays: number;
  /** Longest lifetime an administrator may give a client secret. */
  readonly secretMaxDays: number;
  readonly sessionHours: number;
  readonly signingKeyDays: number;
  /** How new signing keys sign (`SWITCHBOARD_TOKEN_ALG`): RS256 (default) or ES256. */
  readonly tokenAlgorithm: SigningAlgorithm;
  /** Failed password sign-ins in a row before the account locks. */
  readonly lockoutThreshold: number;
  readonly lockoutMinutes: number;
  /** Keyed-hash key for client secrets (hex); null: generated once and kept in the database. */
  readonly hashKey: string | null;
}

export const DEFAULT_IDENTITY_SETTINGS: IdentitySettings = Object.freeze({
  publicUrl: null,
  accessTokenSeconds: 3600,
  refreshTokenDays: 30,
  secretMaxDays: 730,
  sessionHours: 12,
  signingKeyDays: 30,
  tokenAlgorithm: 'RS256',
  lockoutThreshold: 5,
  lockoutMinutes: 15,
  hashKey: null,
});

/** What identity use cases need beyond the common dependencies. */
export interface IdentityDeps extends AppDeps {
  readonly tokenCrypto: TokenCrypto;
  readonly identitySettings: IdentitySettings;
  readonly secretHasher: SecretHasher;
  /** Short-lived caches of principals and keys; every identity change in this process clears them. */
  readonly identityCache: IdentityCache;
}

/**
 * A generation counter that caches compare against. Any change to who may do what (a revoked
 * consent, a disabled user, a removed role) bumps it, so the next request re-reads the database:
 * revocation takes effect at once in this process. Other processes see it within their cache TTL.
 */
export class IdentityCache {
  private generation = 0;
  get current(): number {
    return this.generation;
  }
  changed(): void {
    this.generation += 1;
  }
}

/**
 * Runs an identity change in one transaction and then clears the caches. After the commit, not
 * inside the transaction: a request resolved between the bump and the commit would read the old
 * rows and cache them under the new generation, keeping a revoked grant alive for the cache TTL.
 * Every use case that writes users, groups, roles, assignments, apps, credentials, consent or
 * single sign-on goes through here, so none can forget it.
 */
export async function commitIdentityChange<T>(deps: IdentityDeps, work: (tx: StoreTx) => Promise<T>): Promise<T> {
  const result = await deps.storage.transaction(work);
  deps.identityCache.changed();
  return result;
}

/**
 * Events of other use cases that change what a person may do: the `agent` role holds on the
 * queues the person's agent is a member of, so queue membership is an input of their grants.
 */
const GRANT_EVENTS: ReadonlySet<SwitchboardEvent['type']> = new Set(['queue.created', 'queue.member_added', 'queue.member_removed', 'queue.deleted']);

/**
 * Clears the caches when such an event is published. The in-process bus delivers before
 * `commit()` returns, so the change applies from the next request on, like identity changes do.
 */
export function clearIdentityCacheOnGrantEvents(bus: Bus, cache: IdentityCache): () => void {
  return bus.subscribe((event) => {
    if (GRANT_EVENTS.has(event.type)) cache.changed();
  });
}
