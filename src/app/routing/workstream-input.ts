import type { ChannelType } from '../../core/model.js';
import type { Presence, Relaxation } from '../../core/routing/agent-selection.js';
import type { ClassificationRuleDef, RouteRuleDef, WaitingOrder, Workstream, WorkstreamMode } from '../../core/routing/routing-model.js';
import { SwitchboardError } from '../errors.js';
import type { StoreTx } from '../ports/storage.js';
import { compileWorkstream, workstreamQueues } from './routing-config-checks.js';

/** What an administrator sends to create or replace a workstream; omitted settings get defaults. */
export interface WorkstreamInput {
  readonly name: string;
  readonly channelTypes: readonly ChannelType[];
  readonly mode?: WorkstreamMode | undefined;
  readonly allowedPresences?: readonly Presence[] | undefined;
  readonly cost?: number | undefined;
  readonly capacityProfiles?: Readonly<Record<string, number>> | undefined;
  readonly wrapUpConsumesCapacity?: boolean | undefined;
  readonly offerTimeoutSeconds?: number | undefined;
  readonly rejectionSkipSeconds?: number | undefined;
  readonly missedOffersBeforeAway?: number | undefined;
  readonly waitingOrder?: WaitingOrder | undefined;
  readonly skillMatch?: 'exact' | 'closest' | undefined;
  readonly relaxations?: readonly Relaxation[] | undefined;
  readonly preferredAgentVariable?: string | null | undefined;
  readonly preferredAgentSeconds?: number | undefined;
  readonly classificationRules?: readonly ClassificationRuleDef[] | undefined;
  readonly routeRules?: readonly RouteRuleDef[] | undefined;
  readonly fallbackQueueId: string;
}

export function workstreamFrom(input: WorkstreamInput, base: { id: string; tenantId: string; version: number; createdAt: string; updatedAt: string }): Workstream {
  return {
    ...base,
    name: input.name,
    channelTypes: [...new Set(input.channelTypes)],
    mode: input.mode ?? 'push',
    allowedPresences: input.allowedPresences ?? ['available', 'busy'],
    cost: input.cost ?? 1,
    capacityProfiles: input.capacityProfiles ?? {},
    wrapUpConsumesCapacity: input.wrapUpConsumesCapacity ?? false,
    offerTimeoutSeconds: input.offerTimeoutSeconds ?? 30,
    rejectionSkipSeconds: input.rejectionSkipSeconds ?? 300,
    missedOffersBeforeAway: input.missedOffersBeforeAway ?? 3,
    waitingOrder: input.waitingOrder ?? 'queue-entry',
    skillMatch: input.skillMatch ?? 'exact',
    relaxations: input.relaxations ?? [],
    preferredAgentVariable: input.preferredAgentVariable ?? null,
    preferredAgentSeconds: input.preferredAgentSeconds ?? 60,
    classificationRules: input.classificationRules ?? [],
    routeRules: input.routeRules ?? [],
    fallbackQueueId: input.fallbackQueueId,
  };
}

/**
 * Checks a workstream against the tenant as it is in this transaction (queues, skills, the other
 * workstreams' channel types), then records which queues it names.
 */
export async function checkAndRecordWorkstream(tx: StoreTx, workstream: Workstream): Promise<void> {
  const tenantId = workstream.tenantId;
  // One after another: a transaction is one connection, and pg queues (and will refuse) overlapping queries on it.
  const queues = await tx.listQueues(tenantId);
  const skills = await tx.routing.listSkills(tenantId);
  const others = await tx.routing.listWorkstreams(tenantId);
  if (workstream.channelTypes.length === 0) throw new SwitchboardError('SB_ERR_INVALID_WORKSTREAM', 'A workstream routes at least one channel type.');
  if (workstream.allowedPresences.length === 0) throw new SwitchboardError('SB_ERR_INVALID_WORKSTREAM', 'A workstream allows at least one presence.');
  for (const other of others) {
    if (other.id === workstream.id) continue;
    const clash = other.channelTypes.filter((t) => workstream.channelTypes.includes(t));
    if (clash.length > 0) {
      throw new SwitchboardError('SB_ERR_INVALID_WORKSTREAM', `Channel type(s) ${clash.join(', ')} are already routed by workstream ${other.id}.`, { workstreamId: other.id, channelTypes: clash });
    }
  }
  compileWorkstream(workstream, new Set(queues.map((q) => q.id)), new Set(skills.map((s) => s.name)));
  await tx.routing.setQueueRefs(tenantId, workstream.id, workstreamQueues(workstream));
}
