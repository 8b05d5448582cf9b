import type { AppDeps } from '../deps.js';
import { DEMO_TENANT_NAME } from '../use-cases/seed-demo.js';

export interface DemoWebchat {
  readonly tenantId: string;
  readonly channelId: string;
}

/**
 * The demo tenant's web chat channel, for the public demo page (`GET /webchat/demo`). Asked with
 * no caller on purpose: a web chat channel's id is public (every page that embeds it shows it),
 * and this answers nothing else. Undefined when the demo was not seeded (`switchboard serve`).
 */
export async function findDemoWebchat(deps: AppDeps): Promise<DemoWebchat | undefined> {
  const tenant = (await deps.storage.read.listTenants()).find((t) => t.name === DEMO_TENANT_NAME);
  if (!tenant) return undefined;
  const channel = (await deps.storage.read.listChannels(tenant.id)).find((c) => c.type === 'webchat');
  return channel && { tenantId: tenant.id, channelId: channel.id };
}
