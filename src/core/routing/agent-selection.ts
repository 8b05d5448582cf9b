/**
 * Which agent of a queue gets a conversation, by brute force over the members. This is the
 * specification of eligibility and of every assignment method; the indexed engine (O(log n) per
 * decision) must choose exactly what this function chooses, and the benchmarks use it as the
 * baseline and correctness oracle.
 */
export const PRESENCES = ['available', 'busy', 'busy-dnd', 'away', 'offline', 'in-a-call', 'in-a-meeting', 'presenting'] as const;
export type Presence = (typeof PRESENCES)[number];

export const ASSIGNMENT_METHODS = ['highest-capacity', 'round-robin', 'longest-idle', 'best-skill', 'custom'] as const;
export type AssignmentMethod = (typeof ASSIGNMENT_METHODS)[number];

export interface SkillRequirement {
  readonly skill: string;
  /** 1-10. */
  readonly minProficiency: number;
}

export interface Relaxation {
  /** After the conversation has waited this long ... */
  readonly afterSeconds: number;
  /** ... these skill requirements no longer apply (like the outer rings of a bullseye). */
  readonly dropSkills: readonly string[];
}

export interface AgentSnapshot {
  readonly id: string;
  readonly presence: Presence;
  readonly capacity: number;
  readonly used: number;
  /** Skill name -> proficiency 1-10. */
  readonly skills: Readonly<Record<string, number>>;
  /** Epoch ms of the last assignment, null if never assigned. */
  readonly lastAssignedAt: number | null;
  /** Extra sortable attributes for `custom` ordering (e.g. seniority). */
  readonly attributes: Readonly<Record<string, number | string>>;
}

export interface OrderKey {
  /** `freeCapacity`, `lastAssignedAt`, `skill:<name>`, or an attribute name. */
  readonly key: string;
  readonly direction: 'asc' | 'desc';
}

export interface QueueSnapshot {
  readonly id: string;
  readonly method: AssignmentMethod;
  /** Members in their configured order; round robin walks this order. */
  readonly memberIds: readonly string[];
  /** Member last chosen by round robin in this queue, or null. */
  readonly lastRoundRobinId: string | null;
  readonly customOrder?: readonly OrderKey[] | undefined;
}

export interface WorkRequest {
  readonly cost: number;
  readonly requiredSkills: readonly SkillRequirement[];
  readonly match: 'exact' | 'closest';
  readonly relaxations: readonly Relaxation[];
  readonly waitedSeconds: number;
  readonly allowedPresences: readonly Presence[];
  /** Agents that must not be offered this conversation now (e.g. they just rejected it). */
  readonly excluded: ReadonlySet<string>;
}

export type Ineligibility = 'not_a_member_snapshot' | 'excluded' | 'presence' | 'capacity' | 'skills';

export interface Selection {
  readonly agentId: string | null;
  /** Eligible agents, best first: the "why this agent" of a decision. */
  readonly ranked: readonly string[];
  readonly ineligible: readonly { readonly agentId: string; readonly reason: Ineligibility }[];
  /** The skill requirements that applied after relaxation. */
  readonly appliedSkills: readonly SkillRequirement[];
}

/**
 * An agent's own value for a name: a skill or attribute is held only if the agent's record has it,
 * so a name that every object inherits ("constructor", "toString") is not mistaken for one.
 */
export function ownValue<T>(record: Readonly<Record<string, T>>, name: string): T | undefined {
  return Object.hasOwn(record, name) ? record[name] : undefined;
}

export function applicableSkills(work: WorkRequest): SkillRequirement[] {
  const dropped = new Set(work.relaxations.filter((r) => work.waitedSeconds >= r.afterSeconds).flatMap((r) => r.dropSkills));
  return work.requiredSkills.filter((s) => !dropped.has(s.skill));
}

/** How far an agent falls short of the requirements (0 = meets them all); undefined = lacks a skill. */
export function shortfall(agent: AgentSnapshot, skills: readonly SkillRequirement[]): number | undefined {
  let total = 0;
  for (const s of skills) {
    const p = ownValue(agent.skills, s.skill);
    if (p === undefined) return undefined;
    total += Math.max(0, s.minProficiency - p);
  }
  return total;
}

/** How much more skilled than needed an agent is: best-skill prefers the closest fit. */
export function surplus(agent: AgentSnapshot, skills: readonly SkillRequirement[]): number {
  return skills.reduce((sum, s) => sum + Math.max(0, (ownValue(agent.skills, s.skill) ?? 0) - s.minProficiency), 0);
}

export function selectAgent(queue: QueueSnapshot, agents: ReadonlyMap<string, AgentSnapshot>, work: WorkRequest): Selection {
  const skills = applicableSkills(work);
  const ineligible: { agentId: string; reason: Ineligibility }[] = [];
  const eligible: { agent: AgentSnapshot; position: number; shortfall: number }[] = [];
  queue.memberIds.forEach((id, position) => {
    const agent = agents.get(id);
    if (!agent) return ineligible.push({ agentId: id, reason: 'not_a_member_snapshot' });
    if (work.excluded.has(id)) return ineligible.push({ agentId: id, reason: 'excluded' });
    if (!work.allowedPresences.includes(agent.presence)) return ineligible.push({ agentId: id, reason: 'presence' });
    if (agent.capacity - agent.used < work.cost) return ineligible.push({ agentId: id, reason: 'capacity' });
    const gap = shortfall(agent, skills);
    if (gap === undefined || (work.match === 'exact' && gap > 0)) return ineligible.push({ agentId: id, reason: 'skills' });
    eligible.push({ agent, position, shortfall: gap });
    return undefined;
  });

  // Round-robin distance: members after the last chosen one come first, wrapping around.
  const last = queue.lastRoundRobinId === null ? -1 : queue.memberIds.indexOf(queue.lastRoundRobinId);
  const n = queue.memberIds.length;
  const turn = (position: number) => (position - last - 1 + n) % n;

  const byMethod = (a: (typeof eligible)[number], b: (typeof eligible)[number]): number => {
    switch (queue.method) {
      case 'highest-capacity':
        return (b.agent.capacity - b.agent.used) - (a.agent.capacity - a.agent.used) || turn(a.position) - turn(b.position);
      case 'round-robin':
        return turn(a.position) - turn(b.position);
      case 'longest-idle':
        return (a.agent.lastAssignedAt ?? -Infinity) - (b.agent.lastAssignedAt ?? -Infinity) || a.position - b.position;
      case 'best-skill':
        return surplus(a.agent, skills) - surplus(b.agent, skills) || turn(a.position) - turn(b.position);
      case 'custom':
        return compareCustom(queue.customOrder ?? [], a.agent, b.agent) || a.position - b.position;
    }
  };
  // With closest matching, the smallest shortfall wins first; the method breaks ties among equals.
  eligible.sort((a, b) => a.shortfall - b.shortfall || byMethod(a, b));
  const ranked = eligible.map((e) => e.agent.id);
  return { agentId: ranked[0] ?? null, ranked, ineligible, appliedSkills: skills };
}

/** The value a custom order key reads from an agent (undefined: the agent lacks it). */
export function sortValue(agent: AgentSnapshot, key: string): number | string | undefined {
  return sortValueReader(key)(agent);
}

/**
 * `sortValue` with the key parsed once: the indexed engine reads the same keys on every agent
 * update, and parsing (a prefix test and a slice per read) was a large share of that.
 */
export function sortValueReader(key: string): (agent: AgentSnapshot) => number | string | undefined {
  if (key === 'freeCapacity') return (agent) => agent.capacity - agent.used;
  if (key === 'lastAssignedAt') return (agent) => agent.lastAssignedAt ?? -Infinity;
  if (key.startsWith('skill:')) {
    const skill = key.slice('skill:'.length);
    return (agent) => ownValue(agent.skills, skill);
  }
  return (agent) => ownValue(agent.attributes, key);
}

function compareCustom(order: readonly OrderKey[], a: AgentSnapshot, b: AgentSnapshot): number {
  for (const { key, direction } of order) {
    const x = sortValue(a, key);
    const y = sortValue(b, key);
    if (x === y) continue;
    // An agent without the attribute sorts after every agent that has it, in either direction.
    if (x === undefined) return 1;
    if (y === undefined) return -1;
    const cmp = x < y ? -1 : 1;
    return direction === 'asc' ? cmp : -cmp;
  }
  return 0;
}
