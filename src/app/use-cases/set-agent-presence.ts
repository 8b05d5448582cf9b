import type { Agent } from '../../core/model.js';
import type { Presence } from '../../core/routing/agent-selection.js';
import { isSelf, type Caller } from '../caller.js';
import type { AppDeps } from '../deps.js';
import { SwitchboardError } from '../errors.js';
import { assertAgentInScope } from '../scope.js';
import { requireTenant } from '../tenant-access.js';
import { commit } from '../unit-of-work.js';

/**
 * Sets an agent's presence (from the workspace, or derived from the messenger's activity). The
 * routing engine hears the event and offers waiting work if the agent can now take some.
 */
export async function setAgentPresence(deps: AppDeps, caller: Caller, tenantId: string, agentId: string, presence: Presence): Promise<Agent> {
  // People set their own presence as part of working (routing.act); anyone else's needs presence.write.
  const self = isSelf(caller, agentId);
  await requireTenant(deps, caller, tenantId, self ? 'routing.act' : 'presence.write');
  if (!self) await assertAgentInScope(deps.storage.read, caller, tenantId, 'presence.write', agentId);
  return commit(deps, caller, async (tx, emit, now) => {
    const agent = await tx.getAgent(tenantId, agentId);
    if (!agent) throw new SwitchboardError('SB_ERR_AGENT_NOT_FOUND');
    if (agent.presence === presence) return agent;
    await tx.routing.setAgentPresence(tenantId, agentId, presence, now);
    // Coming back resets the count of missed offers that may have set the agent away.
    if (presence === 'available' && agent.missedOffers !== 0) await tx.routing.setMissedOffers(tenantId, agentId, 0);
    await emit('agent.presence_changed', tenantId, null, { agentId, from: agent.presence, to: presence });
    return { ...agent, presence, presenceSince: now, missedOffers: presence === 'available' ? 0 : agent.missedOffers };
  });
}
