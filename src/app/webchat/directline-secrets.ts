import { randomBytes } from 'node:crypto';
import type { DirectLineSecret } from '../../core/webchat/webchat-model.js';
import type { Caller } from '../caller.js';
import { SwitchboardError } from '../errors.js';
import { requireTenant } from '../tenant-access.js';
import { commit } from '../unit-of-work.js';
import { DIRECTLINE_SECRET_PREFIX } from './directline-auth.js';
import type { WebchatDeps } from './webchat-deps.js';

/** A secret as administrators see it: never the value or its hash. */
export type DirectLineSecretView = Omit<DirectLineSecret, 'secretHash'>;

export const view = ({ secretHash: _hash, ...rest }: DirectLineSecret): DirectLineSecretView => rest;

async function requireWebchatChannel(deps: WebchatDeps, tenantId: string, channelId: string): Promise<void> {
  const channel = await deps.storage.read.getChannel(tenantId, channelId);
  if (!channel) throw new SwitchboardError('SB_ERR_CHANNEL_NOT_FOUND');
  if (channel.type !== 'webchat') throw new SwitchboardError('SB_ERR_NOT_A_WEBCHAT_CHANNEL');
}

/**
 * A new Direct Line secret: 256 random bits, shown in this answer only and stored as a keyed
 * hash. `value` is given only for the demo's fixed secret (`SWITCHBOARD_DEMO_DIRECTLINE_SECRET`).
 */
export async function createDirectLineSecret(
  deps: WebchatDeps, caller: Caller, tenantId: string, channelId: string, value = `${DIRECTLINE_SECRET_PREFIX}${randomBytes(32).toString('base64url')}`,
): Promise<DirectLineSecretView & { readonly value: string }> {
  await requireTenant(deps, caller, tenantId, 'channels.write');
  await requireWebchatChannel(deps, tenantId, channelId);
  const secretHash = await deps.secretHasher.hash(value);
  return commit(deps, caller, async (tx, emit, now) => {
    const secret: DirectLineSecret = { id: deps.ids.next('dls'), tenantId, channelId, secretHash, hint: value.slice(0, DIRECTLINE_SECRET_PREFIX.length + 3), createdAt: now, revokedAt: null };
    await tx.webchat.insertDirectLineSecret(secret);
    await emit('channel.secret_created', tenantId, null, { channelId, secretId: secret.id, hint: secret.hint });
    return { ...view(secret), value };
  });
}

export async function listDirectLineSecrets(deps: WebchatDeps, caller: Caller, tenantId: string, channelId: string): Promise<DirectLineSecretView[]> {
  await requireTenant(deps, caller, tenantId, 'channels.read');
  await requireWebchatChannel(deps, tenantId, channelId);
  return (await deps.storage.read.webchat.listDirectLineSecrets(tenantId, channelId)).map(view);
}

/** Revokes at once: the secret and every token generated from it stop working on their next use. */
export async function revokeDirectLineSecret(deps: WebchatDeps, caller: Caller, tenantId: string, channelId: string, secretId: string): Promise<DirectLineSecretView> {
  await requireTenant(deps, caller, tenantId, 'channels.write');
  return commit(deps, caller, async (tx, emit, now) => {
    const secret = await tx.webchat.getDirectLineSecret(tenantId, secretId);
    if (!secret || secret.channelId !== channelId) throw new SwitchboardError('SB_ERR_SECRET_NOT_FOUND');
    if (await tx.webchat.revokeDirectLineSecret(tenantId, secretId, now)) {
      await emit('channel.secret_revoked', tenantId, null, { channelId, secretId });
    }
    return view((await tx.webchat.getDirectLineSecret(tenantId, secretId))!);
  });
}
