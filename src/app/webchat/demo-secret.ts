import { randomBytes } from 'node:crypto';
import { SYSTEM_CALLER } from '../caller.js';
import { DIRECTLINE_SECRET_PREFIX } from './directline-auth.js';
import { createDirectLineSecret } from './directline-secrets.js';
import type { WebchatDeps } from './webchat-deps.js';

const DEMO_SECRET_NAME = 'demo-directline-secret';

export interface DemoSecret {
  readonly value: string;
  /** True when the configuration fixed it (`SWITCHBOARD_DEMO_DIRECTLINE_SECRET`). */
  readonly fixed: boolean;
  /** An administrator revoked it (or it names another channel): it does not work, and is not brought back. */
  readonly unusable: boolean;
}

/**
 * The demo channel's Direct Line secret, so that `npm start` can print it every time: the
 * configured one, or one generated on the first start and kept with the server's own secrets
 * (the demo is for trying things out; real channels' secrets are shown once and kept only as
 * hashes). Either way it is a live secret of the channel when this returns.
 */
export async function ensureDemoDirectLineSecret(deps: WebchatDeps, tenantId: string, channelId: string, fixed: string | null): Promise<DemoSecret> {
  const value = fixed ?? (await deps.storage.read.identity.getServerSecret(DEMO_SECRET_NAME))
    ?? (await deps.storage.transaction((tx) => tx.identity.ensureServerSecret(DEMO_SECRET_NAME, `${DIRECTLINE_SECRET_PREFIX}${randomBytes(32).toString('base64url')}`)));
  const stored = await deps.storage.read.webchat.findDirectLineSecret(await deps.secretHasher.hash(value));
  if (stored) return { value, fixed: fixed !== null, unusable: stored.revokedAt !== null || stored.channelId !== channelId };
  await createDirectLineSecret(deps, SYSTEM_CALLER, tenantId, channelId, value);
  return { value, fixed: fixed !== null, unusable: false };
}
