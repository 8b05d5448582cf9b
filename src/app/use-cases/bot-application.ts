import type { AgentKind } from '../../core/model.js';
import { SwitchboardError } from '../errors.js';
import type { StoreTx } from '../ports/storage.js';

/**
 * Checks that a bot agent may sign in as the app registration `appId` (a client id): only bots
 * have an application user; the app must be registered in the tenant or be a multi-tenant app
 * (consent, checked on every token, decides whether it may act there); and no other bot of the
 * tenant may hold the same app id, or a token could not tell which bot is acting.
 * `agentId` is the agent being changed, which may keep its own app id.
 */
export async function checkBotApplication(tx: StoreTx, tenantId: string, kind: AgentKind, appId: string, agentId?: string): Promise<void> {
  if (kind !== 'bot') throw new SwitchboardError('SB_ERR_APP_ID_FOR_BOTS_ONLY');
  const app = await tx.identity.getAppByClientId(appId);
  if (!app || (app.tenantId !== tenantId && app.accountType !== 'multi-tenant')) throw new SwitchboardError('SB_ERR_APP_NOT_FOUND');
  const holder = await tx.getAgentByAppId(tenantId, appId);
  if (holder && holder.id !== agentId) throw new SwitchboardError('SB_ERR_BOT_APP_IN_USE');
}
