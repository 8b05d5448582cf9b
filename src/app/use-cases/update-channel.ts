import type { Channel } from '../../core/model.js';
import type { Caller } from '../caller.js';
import type { AppDeps } from '../deps.js';
import { SwitchboardError } from '../errors.js';
import { requireTenant } from '../tenant-access.js';
import { commit } from '../unit-of-work.js';
import { checkChannelConfig } from './channel-settings.js';

export interface UpdateChannelInput {
  readonly name?: string | undefined;
  /** Replaces the config as a whole. */
  readonly config?: Record<string, unknown> | undefined;
}

/** Renames a channel or replaces its settings (web chat: origins, pre-chat survey, messages). */
export async function updateChannel(deps: AppDeps, caller: Caller, tenantId: string, channelId: string, input: UpdateChannelInput): Promise<Channel> {
  await requireTenant(deps, caller, tenantId, 'channels.write');
  return commit(deps, caller, async (tx, emit) => {
    const channel = await tx.getChannel(tenantId, channelId);
    if (!channel) throw new SwitchboardError('SB_ERR_CHANNEL_NOT_FOUND');
    checkChannelConfig(channel.type, input.name ?? channel.name, input.config ?? channel.config);
    await tx.updateChannel(tenantId, channelId, input);
    const updated = (await tx.getChannel(tenantId, channelId))!;
    await emit('channel.updated', tenantId, null, { channel: updated, changed: Object.keys(input) });
    return updated;
  });
}
