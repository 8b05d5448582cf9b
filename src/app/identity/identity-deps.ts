import type { AppDeps } from '../deps.js';
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
