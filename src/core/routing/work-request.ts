import type { WorkRequest } from './agent-selection.js';
import type { RoutingItem, Workstream } from './routing-model.js';

/**
 * What a waiting conversation asks of an agent at `now`: its cost and skills (none once an
 * `assign-anyway` overflow dropped them), the workstream's matching, relaxations (counted from queue
 * entry) and presences, and the agents still inside their skip window (skipped while `until > now`).
 */
export function workRequestOf(
  item: Pick<RoutingItem, 'cost' | 'requiredSkills' | 'skillsDropped' | 'enteredAt' | 'excluded'>,
  workstream: Pick<Workstream, 'skillMatch' | 'relaxations' | 'allowedPresences'>,
  now: number,
): WorkRequest {
  return {
    cost: item.cost,
    requiredSkills: item.skillsDropped ? [] : item.requiredSkills,
    match: workstream.skillMatch,
    relaxations: workstream.relaxations,
    waitedSeconds: Math.max(0, (now - item.enteredAt) / 1000),
    allowedPresences: workstream.allowedPresences,
    excluded: new Set(Object.entries(item.excluded).filter(([, until]) => until > now).map(([id]) => id)),
  };
}
