import type { Agent } from '../../core/model.js';
import type { Caller } from '../caller.js';
import type { AppDeps } from '../deps.js';
import { SwitchboardError } from '../errors.js';
import { checkAgentSkills } from '../routing/routing-config-checks.js';
import { requireTenant } from '../tenant-access.js';
import { commit } from '../unit-of-work.js';
import { checkBotApplication } from './bot-application.js';

export interface UpdateAgentInput {
  readonly displayName?: string | undefined;
  readonly email?: string | null | undefined;
  readonly capacity?: number | undefined;
  /** Replaces the agent's skills as a whole. */
  readonly skills?: Readonly<Record<string, number>> | undefined;
  readonly attributes?: Readonly<Record<string, number | string>> | undefined;
  /** Bots: binds the bot to another app registration (client id), or unbinds it (null). */
  readonly appId?: string | null | undefined;
}

/** Changes an agent's profile; routing sees the new capacity and skills at once. */
export async function updateAgent(deps: AppDeps, caller: Caller, tenantId: string, agentId: string, input: UpdateAgentInput): Promise<Agent> {
  await requireTenant(deps, caller, tenantId, 'agents.write');
  return commit(deps, caller, async (tx, emit) => {
    const agent = await tx.getAgent(tenantId, agentId);
    if (!agent) throw new SwitchboardError('SB_ERR_AGENT_NOT_FOUND');
    if (input.appId !== undefined && input.appId !== null) await checkBotApplication(tx, tenantId, agent.kind, input.appId, agentId);
    if (input.skills !== undefined) {
      await checkAgentSkills(tx, tenantId, input.skills);
      await tx.routing.setAgentSkills(tenantId, agentId, input.skills);
    }
    await tx.routing.updateAgent(tenantId, agentId, input);
    const updated = (await tx.getAgent(tenantId, agentId))!;
    await emit('agent.updated', tenantId, null, { agent: updated, changed: Object.keys(input) });
    return updated;
  });
}
