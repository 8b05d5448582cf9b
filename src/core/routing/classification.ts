import { checkContextVariable, type ContextVariable } from '../context-variable.js';
import type { Expression } from '../rules/expression-ast.js';
import { evaluate, type ContextLookup } from '../rules/expression-evaluator.js';
import type { SkillRequirement } from './agent-selection.js';

/**
 * Classification rules run before route-to-queue and describe the work: how urgent it is, which
 * skills it needs, which capacity profile it uses, and extra context variables for later rules.
 *
 *   gold        customer.tier == "gold"                      -> priority 50, variable customer.vip = true
 *   vip-french  customer.vip and customer.language == "fr"   -> requires french at 6 or better
 */
export interface ClassificationRule {
  readonly id: string;
  readonly condition: Expression;
  readonly set: ClassificationOutcome;
}

export interface ClassificationOutcome {
  /** 0-100, higher is more urgent (the same scale as a conversation's priority). */
  readonly priority?: number | undefined;
  readonly requiredSkills?: readonly SkillRequirement[] | undefined;
  readonly capacityProfile?: string | undefined;
  readonly variables?: readonly ContextVariable[] | undefined;
}

export interface Classification {
  /** Null when no matching rule set one: the conversation keeps the priority it has. */
  readonly priority: number | null;
  /** In the order each skill was first required. */
  readonly requiredSkills: readonly SkillRequirement[];
  readonly capacityProfile: string | null;
  /** The variables the matching rules set, final values, in the order each was first set. */
  readonly variables: readonly ContextVariable[];
  /** Every rule, in order, with its outcome: the "why" of a classification. */
  readonly evaluated: readonly { readonly ruleId: string; readonly matched: boolean }[];
}

export const MIN_PRIORITY = 0;
export const MAX_PRIORITY = 100;
export const MAX_OUTCOME_SKILLS = 20;
export const MAX_OUTCOME_VARIABLES = 50;
export const MAX_CAPACITY_PROFILE_LENGTH = 100;

/**
 * Evaluates every rule in order; each matching rule applies its outcome on top of the earlier
 * ones. A later match overrides priority and capacity profile and replaces a required skill of the
 * same name. Variables set by a matching rule are visible to the conditions of the rules after it,
 * so rules can build on each other (a "vip" flag set once, read by several rules).
 */
export function classify(rules: readonly ClassificationRule[], lookup: ContextLookup): Classification {
  let priority: number | null = null;
  let capacityProfile: string | null = null;
  const skills = new Map<string, SkillRequirement>();
  const variables = new Map<string, ContextVariable>();
  const overlay: ContextLookup = (name) => variables.get(name) ?? lookup(name);
  const evaluated: { ruleId: string; matched: boolean }[] = [];
  for (const rule of rules) {
    const matched = evaluate(rule.condition, overlay);
    evaluated.push({ ruleId: rule.id, matched });
    if (!matched) continue;
    const set = rule.set;
    if (set.priority !== undefined) priority = set.priority;
    if (set.capacityProfile !== undefined) capacityProfile = set.capacityProfile;
    for (const requirement of set.requiredSkills ?? []) skills.set(requirement.skill, requirement);
    for (const variable of set.variables ?? []) variables.set(variable.name, variable);
  }
  return { priority, requiredSkills: [...skills.values()], capacityProfile, variables: [...variables.values()], evaluated };
}

/** Checks what a classification rule sets, when the rule is saved. */
export function checkClassificationOutcome(set: ClassificationOutcome, knownSkills: ReadonlySet<string>): string | undefined {
  const skills = set.requiredSkills ?? [];
  const variables = set.variables ?? [];
  if (set.priority === undefined && set.capacityProfile === undefined && skills.length === 0 && variables.length === 0) {
    return 'a classification rule must set a priority, required skills, a capacity profile or variables';
  }
  if (set.priority !== undefined && (!Number.isInteger(set.priority) || set.priority < MIN_PRIORITY || set.priority > MAX_PRIORITY)) {
    return `priority must be a whole number from ${MIN_PRIORITY} to ${MAX_PRIORITY} (higher is more urgent), not ${String(set.priority)}`;
  }
  if (set.capacityProfile !== undefined) {
    if (typeof set.capacityProfile !== 'string' || set.capacityProfile.trim() === '') return 'capacity profile must be a non-empty name';
    if (set.capacityProfile.length > MAX_CAPACITY_PROFILE_LENGTH) return `capacity profile name longer than ${MAX_CAPACITY_PROFILE_LENGTH} characters`;
  }
  if (skills.length > MAX_OUTCOME_SKILLS) return `at most ${MAX_OUTCOME_SKILLS} required skills, not ${skills.length}`;
  const seenSkills = new Set<string>();
  for (const { skill, minProficiency } of skills) {
    if (!knownSkills.has(skill)) return `unknown skill "${String(skill).slice(0, 100)}"`;
    if (seenSkills.has(skill)) return `skill "${skill}" is required twice`;
    seenSkills.add(skill);
    if (!Number.isInteger(minProficiency) || minProficiency < 1 || minProficiency > 10) {
      return `skill "${skill}": minimum proficiency must be a whole number from 1 to 10, not ${String(minProficiency)}`;
    }
  }
  if (variables.length > MAX_OUTCOME_VARIABLES) return `at most ${MAX_OUTCOME_VARIABLES} variables, not ${variables.length}`;
  const seenVariables = new Set<string>();
  for (const variable of variables) {
    const checked = checkContextVariable(variable.name, variable.type, variable.value);
    if (!checked.ok) return checked.problem;
    if (seenVariables.has(variable.name)) return `variable "${variable.name}" is set twice`;
    seenVariables.add(variable.name);
  }
  return undefined;
}
