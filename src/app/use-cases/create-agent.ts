import type { Agent, AgentKind } from '../../core/model.js';
import type { Presence } from '../../core/routing/agent-selection.js';
import type { Caller } from '../caller.js';
import type { AppDeps } from '../deps.js';
import { SwitchboardError } from '../errors.js';
import { checkAgentSkills } from '../routing/routing-config-checks.js';
import { requireTenant } from '../tenant-access.js';
import type { StoreTx } from '../ports/storage.js';
import { commit, type Emit } from '../unit-of-work.js';
import { checkBotApplication } from './bot-application.js';

export interface CreateAgentInput {
  readonly kind: AgentKind;
  readonly displayName: string;
  readonly email?: string | null | undefined;
  readonly capacity?: number | undefined;
  readonly skills?: Readonly<Record<string, number>> | undefined;
  readonly attributes?: Readonly<Record<string, number | string>> | undefined;
  readonly presence?: Presence | undefined;
  /** Bots: the client id of the app registration the bot signs in as. */
  readonly appId?: string | null | undefined;
}

export async function createAgent(deps: AppDeps, caller: Caller, tenantId: string, input: CreateAgentInput): Promise<Agent> {
  await requireTenant(deps, caller, tenantId, 'agents.write');
  return commit(deps, caller, (tx, emit, now) => insertNewAgent(deps, tx, emit, tenantId, input, now));
}

/** The agent's row and its `agent.created` event, inside the caller's transaction (bot registration creates its agent this way). */
export async function insertNewAgent(deps: AppDeps, tx: StoreTx, emit: Emit, tenantId: string, input: CreateAgentInput, now: string): Promise<Agent> {
  const skills = input.skills ?? {};
  await checkAgentSkills(tx, tenantId, skills);
  const appId = input.appId ?? null;
  if (appId !== null) await checkBotApplication(tx, tenantId, input.kind, appId);
  const agent: Agent = {
    id: deps.ids.next('agt'),
    tenantId,
    kind: input.kind,
    displayName: input.displayName,
    email: input.email ?? null,
    appId,
    capacity: input.capacity ?? (input.kind === 'bot' ? 1000 : 3),
    usedCapacity: 0,
    // A bot is a service and is ready at once; a person signs in and says so.
    presence: input.presence ?? (input.kind === 'bot' ? 'available' : 'offline'),
    presenceSince: now,
    skills,
    attributes: input.attributes ?? {},
    lastAssignedAt: null,
    missedOffers: 0,
    createdAt: now,
  };
  // Another node bound the app between the check and the insert.
  if (!(await tx.insertAgent(agent))) throw new SwitchboardError('SB_ERR_BOT_APP_IN_USE');
  await emit('agent.created', tenantId, null, { agent });
  return agent;
}
