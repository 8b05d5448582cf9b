import type { Channel, ChannelType } from '../../core/model.js';
import type { Caller } from '../caller.js';
import type { AppDeps } from '../deps.js';
import { requireTenant } from '../tenant-access.js';
import { commit } from '../unit-of-work.js';
import { checkChannelConfig } from './channel-settings.js';

export interface CreateChannelInput {
  readonly type: ChannelType;
  readonly name: string;
  readonly config?: Record<string, unknown> | undefined;
}

export async function createChannel(deps: AppDeps, caller: Caller, tenantId: string, input: CreateChannelInput): Promise<Channel> {
  await requireTenant(deps, caller, tenantId, 'channels.write');
  checkChannelConfig(input.type, input.name, input.config ?? {});
  return commit(deps, caller, async (tx, emit, now) => {
    const channel: Channel = { id: deps.ids.next('chn'), tenantId, type: input.type, name: input.name, config: input.config ?? {}, createdAt: now };
    await tx.insertChannel(channel);
    await emit('channel.created', tenantId, null, { channel });
    return channel;
  });
}
