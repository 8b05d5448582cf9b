import { ownValue, type AgentSnapshot, type SkillRequirement } from '../../core/routing/agent-selection.js';

/** How an agent's skills fit a work item: the oracle's `shortfall` and `surplus`, plus sums for the skill orders. */
export { shortfall, surplus } from '../../core/routing/agent-selection.js';

/**
 * The requirements sorted by skill name (duplicates kept). Sums below are taken in this order on
 * both sides so that "every proficiency reaches its minimum" implies "the sum of proficiencies
 * reaches the sum of minimums" even in floating point (rounded addition is monotonic).
 */
export function canonicalSkills(skills: readonly SkillRequirement[]): SkillRequirement[] {
  return [...skills].sort((a, b) => (a.skill < b.skill ? -1 : a.skill > b.skill ? 1 : 0));
}

/** Sum of the agent's proficiencies over the names, undefined when the agent lacks one of them. */
export function proficiencySum(agent: AgentSnapshot, names: readonly string[]): number | undefined {
  let total = 0;
  for (const name of names) {
    const p = ownValue(agent.skills, name);
    if (p === undefined) return undefined;
    total += p;
  }
  return total;
}

export function minimumSum(canonical: readonly SkillRequirement[]): number {
  let total = 0;
  for (const s of canonical) total += s.minProficiency;
  return total;
}
