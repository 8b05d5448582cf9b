import type { Agent, AgentKind } from '../../core/model.js';
import type { Caller } from '../caller.js';
import type { AppDeps } from '../deps.js';
import { requireTenant } from '../tenant-access.js';
import { commit } from '../unit-of-work.js';

export interface CreateAgentInput {
  readonly kind: AgentKind;
  readonly displayName: string;
  readonly email?: string | null | undefined;
  readonly capacity?: number | undefined;
}

export async function createAgent(deps: AppDeps, caller: Caller, tenantId: string, input: CreateAgentInput): Promise<Agent> {
  await requireTenant(deps, caller, tenantId);
  return commit(deps, caller, async (tx, emit, now) => {
    const agent: Agent = {
      id: deps.ids.next('agt'),
      tenantId,
      kind: input.kind,
      displayName: input.displayName,
      email: input.email ?? null,
      capacity: input.capacity ?? (input.kind === 'bot' ? 1000 : 3),
      createdAt: now,
    };
    await tx.insertAgent(agent);
    await emit('agent.created', tenantId, null, { agent });
    return agent;
  });
}
