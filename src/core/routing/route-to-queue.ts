import type { Expression } from '../rules/expression-ast.js';
import { evaluate, type ContextLookup } from '../rules/expression-evaluator.js';

/** Where a matching rule sends a conversation: one queue, or a weighted split over up to five. */
export type RouteTarget =
  | { readonly kind: 'queue'; readonly queueId: string }
  | { readonly kind: 'split'; readonly shares: readonly { readonly queueId: string; readonly percent: number }[] };

export interface RouteRule {
  readonly id: string;
  readonly condition: Expression;
  readonly target: RouteTarget;
}

export const MAX_SPLIT_QUEUES = 5;

export type RouteDecision = {
  readonly queueId: string;
  /** The rule that matched, or null when the workstream's fallback queue was used. */
  readonly ruleId: string | null;
  /** Rules evaluated before the decision, in order, with their outcome: the "why" of routing. */
  readonly evaluated: readonly { readonly ruleId: string; readonly matched: boolean }[];
};

/** Checks a split when it is saved: 1-5 distinct queues, whole percentages summing to 100. */
export function checkSplit(shares: readonly { queueId: string; percent: number }[]): string | undefined {
  if (shares.length < 1 || shares.length > MAX_SPLIT_QUEUES) return `a split has 1 to ${MAX_SPLIT_QUEUES} queues, not ${shares.length}`;
  if (new Set(shares.map((s) => s.queueId)).size !== shares.length) return 'a split names each queue once';
  if (shares.some((s) => !Number.isInteger(s.percent) || s.percent <= 0)) return 'split percentages are whole numbers above 0';
  const total = shares.reduce((sum, s) => sum + s.percent, 0);
  if (total !== 100) return `split percentages must sum to 100, not ${total}`;
  return undefined;
}

/**
 * Runs the ordered route-to-queue rules: the first rule whose condition holds decides; no match
 * sends the conversation to the fallback queue. `draw` is a uniform number in [0, 1) from the
 * caller's seeded random source, so a split is reproducible when the event log is replayed.
 */
export function routeToQueue(rules: readonly RouteRule[], fallbackQueueId: string, lookup: ContextLookup, draw: number): RouteDecision {
  const evaluated: { ruleId: string; matched: boolean }[] = [];
  for (const rule of rules) {
    const matched = evaluate(rule.condition, lookup);
    evaluated.push({ ruleId: rule.id, matched });
    if (matched) return { queueId: pick(rule.target, draw), ruleId: rule.id, evaluated };
  }
  return { queueId: fallbackQueueId, ruleId: null, evaluated };
}

function pick(target: RouteTarget, draw: number): string {
  if (target.kind === 'queue') return target.queueId;
  // Walk the cumulative percentages: draw in [0, 0.3) -> first share of 30%, and so on.
  const point = Math.min(Math.max(draw, 0), 0.999999999) * 100;
  let cumulative = 0;
  for (const share of target.shares) {
    cumulative += share.percent;
    if (point < cumulative) return share.queueId;
  }
  return target.shares[target.shares.length - 1]!.queueId;
}
