/**
 * Save-time checks of routing configuration. Everything that could fail while routing (a rule that
 * does not parse, a queue that does not exist, a split that does not add up) is rejected here, when
 * the administrator saves it, with the rule and position named; routing itself never meets it.
 */
import type { ContextVariable } from '../../core/context-variable.js';
import type { ClassificationRule } from '../../core/routing/classification.js';
import { checkClassificationOutcome } from '../../core/routing/classification.js';
import { checkOperatingHours } from '../../core/routing/operating-hours.js';
import { checkOverflowRules } from '../../core/routing/overflow.js';
import { checkSplit, type RouteRule } from '../../core/routing/route-to-queue.js';
import type { QueueRouting, Workstream } from '../../core/routing/routing-model.js';
import { parseExpression } from '../../core/rules/expression-parser.js';
import { checkWrapUpCodes } from '../../core/workspace/wrap-up.js';
import type { Expression } from '../../core/rules/expression-ast.js';
import { SwitchboardError } from '../errors.js';
import type { StoreReads } from '../ports/storage.js';

export const MAX_RULES = 100;

export async function checkAgentSkills(reads: StoreReads, tenantId: string, skills: Readonly<Record<string, number>>): Promise<void> {
  const entries = Object.entries(skills);
  if (entries.length === 0) return;
  for (const [name, proficiency] of entries) {
    if (!Number.isInteger(proficiency) || proficiency < 1 || proficiency > 10) {
      throw new SwitchboardError('SB_ERR_INVALID_SKILLS', `Proficiency of ${name} must be a whole number from 1 to 10, not ${proficiency}.`, { skill: name });
    }
  }
  const known = new Set((await reads.routing.listSkills(tenantId)).map((s) => s.name));
  const unknown = entries.map(([name]) => name).filter((name) => !known.has(name));
  if (unknown.length > 0) throw new SwitchboardError('SB_ERR_SKILL_NOT_FOUND', `Unknown skill(s): ${unknown.join(', ')}. Create them first.`, { skills: unknown });
}

export function checkQueueRouting(routing: QueueRouting, queueId: string, knownQueueIds: ReadonlySet<string>, knownSkills: ReadonlySet<string>): void {
  const fail = (message: string, details?: Record<string, unknown>) => new SwitchboardError('SB_ERR_INVALID_QUEUE_SETTINGS', message, details);
  if (routing.assignmentMethod === 'custom' && routing.customOrder.length === 0) throw fail('The custom assignment method needs at least one sort key in customOrder.');
  for (const { key } of routing.customOrder) {
    if (key.startsWith('skill:') && !knownSkills.has(key.slice('skill:'.length))) throw fail(`customOrder names unknown skill ${key.slice(6)}.`, { key });
  }
  if (routing.operatingHours) {
    const problem = checkOperatingHours(routing.operatingHours);
    if (problem) throw fail(`operatingHours: ${problem}`);
  }
  const overflowProblem = checkOverflowRules(routing.overflow, queueId, knownQueueIds);
  if (overflowProblem) throw fail(`overflow: ${overflowProblem}`);
  const codesProblem = checkWrapUpCodes(routing.wrapUpCodes);
  if (codesProblem) throw fail(`wrapUpCodes: ${codesProblem}`);
}

/** The queues a queue's overflow rules send conversations to (kept so such a queue cannot be deleted). */
export function overflowTargets(routing: QueueRouting): string[] {
  return routing.overflow.flatMap((r) => (r.then.kind === 'transfer' ? [r.then.queueId] : []));
}

/** A workstream with its conditions parsed: what the engine runs. */
export interface CompiledWorkstream {
  readonly workstream: Workstream;
  readonly classification: readonly ClassificationRule[];
  readonly routeRules: readonly RouteRule[];
}

function parseCondition(source: string, where: { ruleId: string; list: string }): Expression {
  const parsed = parseExpression(source);
  if (!parsed.ok) {
    const { message, line, column } = parsed.error;
    throw new SwitchboardError('SB_ERR_INVALID_RULE', `${where.list} rule ${where.ruleId}: ${message} (line ${line}, column ${column}).`, {
      ruleId: where.ruleId, list: where.list, line, column,
    });
  }
  return parsed.expression;
}

/** Parses and checks every rule; throws SB_ERR_INVALID_RULE naming the first problem. */
export function compileWorkstream(workstream: Workstream, knownQueueIds: ReadonlySet<string>, knownSkills: ReadonlySet<string>): CompiledWorkstream {
  const invalid = (message: string, details: Record<string, unknown>) => new SwitchboardError('SB_ERR_INVALID_RULE', message, details);
  const rulesCount = workstream.classificationRules.length + workstream.routeRules.length;
  if (rulesCount > MAX_RULES) throw invalid(`A workstream has at most ${MAX_RULES} rules, not ${rulesCount}.`, { count: rulesCount });
  const ids = [...workstream.classificationRules, ...workstream.routeRules].map((r) => r.id);
  const duplicate = ids.find((id, i) => ids.indexOf(id) !== i);
  if (duplicate !== undefined) throw invalid(`Rule id ${duplicate} is used twice.`, { ruleId: duplicate });

  const classification = workstream.classificationRules.map((rule): ClassificationRule => {
    const condition = parseCondition(rule.condition, { ruleId: rule.id, list: 'classification' });
    const problem = checkClassificationOutcome(rule.set, knownSkills);
    if (problem) throw invalid(`classification rule ${rule.id}: ${problem}`, { ruleId: rule.id, list: 'classification' });
    const profile = rule.set.capacityProfile;
    if (profile !== undefined && (workstream.capacityProfiles ?? {})[profile] === undefined) {
      throw invalid(`classification rule ${rule.id}: capacity profile "${profile}" is not one of the workstream's capacityProfiles.`, { ruleId: rule.id, list: 'classification' });
    }
    return { id: rule.id, condition, set: { ...rule.set, variables: rule.set.variables as ContextVariable[] | undefined } };
  });

  const requireQueue = (queueId: string, ruleId: string) => {
    if (!knownQueueIds.has(queueId)) throw new SwitchboardError('SB_ERR_QUEUE_NOT_FOUND', `Rule ${ruleId} names queue ${queueId}, which does not exist.`, { ruleId, queueId });
  };
  const routeRules = workstream.routeRules.map((rule): RouteRule => {
    const condition = parseCondition(rule.condition, { ruleId: rule.id, list: 'route' });
    // The wire format allows both fields; exactly one must be given.
    const loose = rule as { queueId?: string; split?: unknown };
    if ((loose.queueId === undefined) === (loose.split === undefined)) {
      throw invalid(`route rule ${rule.id}: give either queueId or split, not ${loose.queueId === undefined ? 'neither' : 'both'}.`, { ruleId: rule.id, list: 'route' });
    }
    if (rule.split !== undefined) {
      const problem = checkSplit(rule.split);
      if (problem) throw invalid(`route rule ${rule.id}: ${problem}`, { ruleId: rule.id, list: 'route' });
      for (const share of rule.split) requireQueue(share.queueId, rule.id);
      return { id: rule.id, condition, target: { kind: 'split', shares: rule.split } };
    }
    requireQueue(rule.queueId, rule.id);
    return { id: rule.id, condition, target: { kind: 'queue', queueId: rule.queueId } };
  });
  if (!knownQueueIds.has(workstream.fallbackQueueId)) {
    throw new SwitchboardError('SB_ERR_QUEUE_NOT_FOUND', `Fallback queue ${workstream.fallbackQueueId} does not exist.`, { queueId: workstream.fallbackQueueId });
  }
  for (const relaxation of workstream.relaxations) {
    const unknown = relaxation.dropSkills.filter((s) => !knownSkills.has(s));
    if (unknown.length > 0) throw new SwitchboardError('SB_ERR_SKILL_NOT_FOUND', `Relaxation drops unknown skill(s): ${unknown.join(', ')}.`, { skills: unknown });
  }
  return { workstream, classification, routeRules };
}

/** Every queue a workstream names: its fallback, route targets and split shares. */
export function workstreamQueues(workstream: Workstream): string[] {
  return [
    workstream.fallbackQueueId,
    ...workstream.routeRules.flatMap((r) => (r.split ? r.split.map((s) => s.queueId) : r.queueId !== undefined ? [r.queueId] : [])),
  ];
}
