import type { AgentSnapshot, SkillRequirement } from '../../core/routing/agent-selection.js';

/**
 * How an agent's skills fit the requirements of a work item. `shortfall` and `surplus` are the
 * oracle's definitions (core/routing/agent-selection.ts keeps them private); the property test in
 * test/app/routing/agent-index.test.ts holds the two copies together.
 */

/** How far an agent falls short of the requirements (0 = meets them all); undefined = lacks a skill. */
export function shortfall(agent: AgentSnapshot, skills: readonly SkillRequirement[]): number | undefined {
  let total = 0;
  for (const s of skills) {
    const p = agent.skills[s.skill];
    if (p === undefined) return undefined;
    total += Math.max(0, s.minProficiency - p);
  }
  return total;
}

/** How much more skilled than needed an agent is: best-skill prefers the closest fit. */
export function surplus(agent: AgentSnapshot, skills: readonly SkillRequirement[]): number {
  return skills.reduce((sum, s) => sum + Math.max(0, (agent.skills[s.skill] ?? 0) - s.minProficiency), 0);
}

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
    const p = agent.skills[name];
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
