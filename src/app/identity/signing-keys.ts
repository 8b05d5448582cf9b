import type { SigningAlgorithm, SigningKey } from '../../core/identity/identity-model.js';
import type { Jwk } from '../ports/token-crypto.js';
import type { IdentityDeps } from './identity-deps.js';

const DAY_MS = 86_400_000;
/** How long this process trusts its copy of the key table. */
const CACHE_MS = 60_000;
/** The next key is published this long before it starts signing, so verifiers' JWKS caches have it. */
const PREPUBLISH_MS = 3_600_000;
/** A retired key stays published for its last token's lifetime plus this margin. */
const EXPIRY_MARGIN_MS = 5 * 60_000;
/** An unknown `kid` re-reads the table at most this often (a flood of made-up kids costs no queries). */
const UNKNOWN_KID_REFRESH_MS = 1_000;

type Deps = Pick<IdentityDeps, 'storage' | 'clock' | 'ids' | 'tokenCrypto' | 'identitySettings'>;

interface Snapshot {
  /** Every key not yet expired, newest first: what the JWKS publishes and tokens verify against. */
  readonly keys: readonly SigningKey[];
  readonly active: SigningKey;
  /** The snapshot is reloaded at this time at the latest (the TTL, or the next rotation step). */
  readonly validUntil: number;
}

const ms = (iso: string): number => Date.parse(iso);

/**
 * The token signing keys. The active key is the newest one with `activatesAt <= now < retiresAt`;
 * when there is none (first start), one is generated. Each key signs for `signingKeyDays`; an hour
 * before it retires the next key is created and published (its `activatesAt` is the retirement
 * time), so clients that cache the JWKS already hold it when the first token signed with it
 * arrives. A retired key stays in the JWKS until `expiresAt` = `retiresAt` + the access token
 * lifetime + 5 minutes (the last token it signed has expired by then), and is deleted after.
 *
 * Several nodes share the table. Two racing to create the first (or the next) key is harmless:
 * both keys are published and valid, and every node signs with the newest. Each process keeps the
 * table for at most 60 s, and re-reads it at once when a token names a `kid` it does not know.
 *
 * Keys sign with the configured algorithm (`tokenAlgorithm`: RS256 by default, or ES256). Only keys
 * of that algorithm become active; when the setting changes, a key of the new algorithm is created
 * and signs at once, and the keys of the old one stay published (verifying their tokens) until they
 * expire. All nodes must be configured alike, or each keeps creating keys of its own algorithm.
 */
export class SigningKeys {
  private snapshot: Snapshot | undefined;
  private loading: Promise<Snapshot> | undefined;
  private lastUnknownKidReload = Number.NEGATIVE_INFINITY;

  constructor(private readonly deps: Deps) {}

  /** The key new tokens are signed with. */
  async active(): Promise<SigningKey> {
    return (await this.current()).active;
  }

  /** Every published key (active, next and retired-but-not-expired), newest first. */
  async published(): Promise<readonly SigningKey[]> {
    return (await this.current()).keys;
  }

  /** The public JWKs of the published keys: the JWKS document's `keys`. */
  async jwks(): Promise<Jwk[]> {
    return (await this.published()).map((k) => k.publicKey);
  }

  /**
   * The keys to verify a token with. A `kid` this process does not know may belong to a key
   * another node just created: the table is read again (throttled) before giving up.
   */
  async forVerification(kid: unknown): Promise<readonly SigningKey[]> {
    const snapshot = await this.current();
    if (typeof kid !== 'string' || snapshot.keys.some((k) => k.id === kid)) return snapshot.keys;
    const now = this.deps.clock.now();
    if (now - this.lastUnknownKidReload < UNKNOWN_KID_REFRESH_MS) return snapshot.keys;
    this.lastUnknownKidReload = now;
    return (await this.reload()).keys;
  }

  private async current(): Promise<Snapshot> {
    const snapshot = this.snapshot;
    if (snapshot && this.deps.clock.now() < snapshot.validUntil) return snapshot;
    return this.reload();
  }

  /** One load at a time per process: concurrent requests share it. */
  private reload(): Promise<Snapshot> {
    this.loading ??= this.load().then(
      (snapshot) => {
        this.snapshot = snapshot;
        this.loading = undefined;
        return snapshot;
      },
      (error: unknown) => {
        this.loading = undefined;
        throw error;
      },
    );
    return this.loading;
  }

  private async load(): Promise<Snapshot> {
    const now = this.deps.clock.now();
    const stored = await this.deps.storage.read.identity.listSigningKeys();
    const expired = stored.filter((k) => ms(k.expiresAt) <= now);
    if (expired.length > 0) {
      await this.deps.storage.transaction(async (tx) => {
        for (const key of expired) await tx.identity.deleteSigningKey(key.id);
      });
    }
    const algorithm = this.deps.identitySettings.tokenAlgorithm;
    let keys = stored.filter((k) => ms(k.expiresAt) > now);
    let active = pickActive(keys, now, algorithm);
    if (!active) {
      active = await this.create(now, now);
      keys = [active, ...keys];
    }
    const retires = ms(active.retiresAt);
    let next = keys.find((k) => k.algorithm === algorithm && ms(k.activatesAt) > now);
    if (!next && now >= retires - PREPUBLISH_MS) {
      next = await this.create(now, retires);
      keys = [next, ...keys];
    }
    // Reload when the TTL runs out or the next rotation step is due, whichever comes first.
    const steps = [now + CACHE_MS, retires, ...keys.map((k) => ms(k.expiresAt))];
    if (next) steps.push(ms(next.activatesAt));
    else steps.push(retires - PREPUBLISH_MS);
    const validUntil = Math.min(...steps.filter((t) => t > now));
    return { keys, active, validUntil };
  }

  private async create(now: number, activatesAt: number): Promise<SigningKey> {
    const { signingKeyDays, accessTokenSeconds, tokenAlgorithm } = this.deps.identitySettings;
    const id = this.deps.ids.next('sk');
    const { publicKey, privateKey } = await this.deps.tokenCrypto.generateSigningKey(id, tokenAlgorithm);
    const retiresAt = activatesAt + signingKeyDays * DAY_MS;
    const key: SigningKey = {
      id, algorithm: tokenAlgorithm, publicKey, privateKey,
      createdAt: new Date(now).toISOString(),
      activatesAt: new Date(activatesAt).toISOString(),
      retiresAt: new Date(retiresAt).toISOString(),
      expiresAt: new Date(retiresAt + accessTokenSeconds * 1000 + EXPIRY_MARGIN_MS).toISOString(),
    };
    await this.deps.storage.transaction((tx) => tx.identity.insertSigningKey(key));
    return key;
  }
}

/** The newest key of `algorithm` in force at `now` (latest `activatesAt`; the table's order breaks ties). */
function pickActive(keys: readonly SigningKey[], now: number, algorithm: SigningAlgorithm): SigningKey | undefined {
  let best: SigningKey | undefined;
  for (const key of keys) {
    if (key.algorithm !== algorithm || ms(key.activatesAt) > now || ms(key.retiresAt) <= now) continue;
    if (!best || ms(key.activatesAt) > ms(best.activatesAt)) best = key;
  }
  return best;
}
