/**
 * Where a conversation entering routing goes, before any agent is chosen: classification, then the
 * route-to-queue rules, then the chosen queue's pre-queue overflow (which may send it on to
 * another queue, record a callback, or end it with a message). Pure: the caller passes the queue
 * conditions it observes and the random draw, so the same inputs give the same plan.
 */
import type { ContextVariable } from '../context-variable.js';
import type { ContextLookup } from '../rules/expression-evaluator.js';
import type { SkillRequirement } from './agent-selection.js';
import { classify, type Classification, type ClassificationRule } from './classification.js';
import { overflowBeforeQueue, type OverflowRule, type QueueConditions } from './overflow.js';
import { routeToQueue, type RouteDecision, type RouteRule } from './route-to-queue.js';

/** Overflow transfers followed before giving up (a loop of overflow rules must end somewhere). */
export const MAX_OVERFLOW_HOPS = 3;

export interface PlanInput {
  readonly classification: readonly ClassificationRule[];
  readonly routeRules: readonly RouteRule[];
  readonly fallbackQueueId: string;
  readonly lookup: ContextLookup;
  readonly draw: number;
  /** The conversation's priority before classification. */
  readonly basePriority: number;
  readonly overflowRulesOf: (queueId: string) => readonly OverflowRule[];
  readonly conditionsOf: (queueId: string) => QueueConditions;
}

export type PlanOutcome =
  | { readonly kind: 'queue'; readonly queueId: string; readonly callback: boolean }
  | { readonly kind: 'end'; readonly queueId: string; readonly text: string };

export interface RoutePlan {
  readonly outcome: PlanOutcome;
  readonly priority: number;
  readonly requiredSkills: readonly SkillRequirement[];
  readonly capacityProfile: string | null;
  /** Context variables set by classification, to be stored with the conversation. */
  readonly variables: readonly ContextVariable[];
  readonly classification: Classification;
  readonly route: RouteDecision;
  readonly draw: number;
  /** Overflow rules applied on the way, in order. */
  readonly overflow: readonly { readonly queueId: string; readonly ruleId: string; readonly action: string }[];
}

export function planRoute(input: PlanInput): RoutePlan {
  const classification = classify(input.classification, input.lookup);
  // Route rules see the variables classification set, like later classification rules do.
  const set = new Map(classification.variables.map((v) => [v.name, v]));
  const lookup: ContextLookup = (name) => set.get(name) ?? input.lookup(name);
  const route = routeToQueue(input.routeRules, input.fallbackQueueId, lookup, input.draw);

  const overflow: { queueId: string; ruleId: string; action: string }[] = [];
  let queueId = route.queueId;
  let outcome: PlanOutcome = { kind: 'queue', queueId, callback: false };
  for (let hop = 0; hop <= MAX_OVERFLOW_HOPS; hop += 1) {
    const rule = overflowBeforeQueue(input.overflowRulesOf(queueId), input.conditionsOf(queueId));
    if (!rule) break;
    overflow.push({ queueId, ruleId: rule.id, action: rule.then.kind });
    const action = rule.then;
    if (action.kind === 'assign-anyway') break;
    if (action.kind === 'callback') {
      outcome = { kind: 'queue', queueId, callback: true };
      break;
    }
    if (action.kind === 'message-and-end') {
      outcome = { kind: 'end', queueId, text: action.text };
      break;
    }
    if (hop === MAX_OVERFLOW_HOPS) break; // stay in the last queue rather than loop
    queueId = action.queueId;
    outcome = { kind: 'queue', queueId, callback: false };
  }

  return {
    outcome,
    priority: classification.priority ?? input.basePriority,
    requiredSkills: classification.requiredSkills,
    capacityProfile: classification.capacityProfile,
    variables: classification.variables,
    classification,
    route,
    draw: input.draw,
    overflow,
  };
}
