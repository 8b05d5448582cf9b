import {
  ASSIGNMENT_METHODS, type AgentSnapshot, type AssignmentMethod, type OrderKey, type Presence, type SkillRequirement, type WorkRequest,
} from '../../src/core/routing/agent-selection.js';
import { SeededRandom } from '../../src/app/ports/fakes/manual-scheduler.js';

/**
 * The B2 contact center, generated from a seed: agents with skills, capacities, presences and
 * attributes; queues with members and an assignment method; and the work that arrives. Every part
 * of the benchmark (decisions, durable assignments, memory) draws from this one description, so
 * the populations are the same shape everywhere.
 *
 * Queues are themed like real ones ("French billing"): each has two theme skills, most of its
 * members hold the first, and its work asks for 0-2 of the themes. Uniformly random requirements
 * would make most requests unsatisfiable, which measures empty queues, not routing.
 */

export interface PopulationSpec {
  readonly agents: number;
  readonly queues: number;
  readonly skills: number;
  /** Each agent is a member of this many queues (inclusive range). */
  readonly queuesPerAgent: readonly [number, number];
  /** Skills held per agent (inclusive range). */
  readonly skillsPerAgent: readonly [number, number];
  readonly seed: number;
}

export const DEFAULT_POPULATION: PopulationSpec = Object.freeze({
  agents: 5_000, queues: 200, skills: 20, queuesPerAgent: [5, 10] as const, skillsPerAgent: [3, 8] as const, seed: 2,
});

/** Presences an agent starts in, with weights: most work, some are away or signed off. */
const PRESENCE_WEIGHTS: readonly (readonly [Presence, number])[] = [
  ['available', 55], ['busy', 15], ['away', 10], ['offline', 15], ['in-a-call', 5],
];

/** What the workstreams of the benchmark allow (the engine's default), hence what the index files. */
export const ROUTABLE: readonly Presence[] = ['available', 'busy'];

export interface AgentSpec {
  /** Index 0..agents-1; storage ids are assigned when the agent is created. */
  readonly n: number;
  readonly capacity: number;
  readonly presence: Presence;
  readonly skills: Readonly<Record<string, number>>;
  readonly attributes: Readonly<Record<string, number | string>>;
}

export interface QueueSpec {
  readonly n: number;
  readonly method: AssignmentMethod;
  readonly priority: number;
  readonly themes: readonly [string, string];
  /** Agent indexes, in member order. */
  readonly members: readonly number[];
  readonly customOrder: readonly OrderKey[];
}

export interface Population {
  readonly spec: PopulationSpec;
  readonly skillNames: readonly string[];
  readonly agents: readonly AgentSpec[];
  readonly queues: readonly QueueSpec[];
}

export class Rng {
  private readonly source: SeededRandom;
  constructor(seed: number) {
    this.source = new SeededRandom(seed);
  }
  next(): number {
    return this.source.next();
  }
  int(min: number, max: number): number {
    return min + Math.floor(this.source.next() * (max - min + 1));
  }
  chance(p: number): boolean {
    return this.source.next() < p;
  }
  pick<T>(items: readonly T[]): T {
    return items[Math.floor(this.source.next() * items.length)]!;
  }
  weighted<T>(table: readonly (readonly [T, number])[]): T {
    const total = table.reduce((sum, [, w]) => sum + w, 0);
    let point = this.source.next() * total;
    for (const [value, weight] of table) {
      point -= weight;
      if (point < 0) return value;
    }
    return table[table.length - 1]![0];
  }
}

export const skillName = (i: number): string => `skill${String(i + 1).padStart(2, '0')}`;

export function randomPresence(rng: Rng): Presence {
  return rng.weighted(PRESENCE_WEIGHTS);
}

export function generatePopulation(spec: PopulationSpec = DEFAULT_POPULATION): Population {
  const rng = new Rng(spec.seed);
  const skillNames = Array.from({ length: spec.skills }, (_, i) => skillName(i));
  const agents: AgentSpec[] = [];
  for (let n = 0; n < spec.agents; n++) {
    const skills: Record<string, number> = {};
    const count = rng.int(spec.skillsPerAgent[0], spec.skillsPerAgent[1]);
    while (Object.keys(skills).length < count) skills[rng.pick(skillNames)] = rng.int(1, 10);
    agents.push({
      n, capacity: rng.int(1, 5), presence: randomPresence(rng), skills,
      attributes: { seniority: rng.int(1, 10), team: rng.pick(['north', 'south', 'east', 'west']) },
    });
  }

  const themes = Array.from({ length: spec.queues }, (_, q) => [skillNames[q % spec.skills]!, skillNames[(q * 7 + 3) % spec.skills]!] as const);
  // Queues by first theme, so an agent can be placed mostly where its skills are wanted.
  const byTheme = new Map<string, number[]>();
  themes.forEach(([first], q) => byTheme.set(first, [...(byTheme.get(first) ?? []), q]));
  const members: number[][] = Array.from({ length: spec.queues }, () => []);
  for (const agent of agents) {
    const held = Object.keys(agent.skills).filter((s) => byTheme.has(s));
    const target = rng.int(spec.queuesPerAgent[0], spec.queuesPerAgent[1]);
    const chosen = new Set<number>();
    for (let guard = 0; chosen.size < target && guard < 1000; guard++) {
      const fitting = held.length > 0 && rng.chance(0.8);
      chosen.add(fitting ? rng.pick(byTheme.get(rng.pick(held))!) : rng.int(0, spec.queues - 1));
    }
    for (const q of chosen) members[q]!.push(agent.n);
  }

  const customOrders: readonly (readonly OrderKey[])[] = [
    [{ key: 'seniority', direction: 'desc' }, { key: 'freeCapacity', direction: 'desc' }],
    [{ key: 'freeCapacity', direction: 'desc' }, { key: 'lastAssignedAt', direction: 'asc' }],
  ];
  const queues: QueueSpec[] = themes.map((theme, q) => {
    const method = ASSIGNMENT_METHODS[q % ASSIGNMENT_METHODS.length]!;
    // Member order is the order people joined, not agent creation order.
    const list = [...members[q]!];
    for (let i = list.length - 1; i > 0; i--) {
      const j = rng.int(0, i);
      [list[i], list[j]] = [list[j]!, list[i]!];
    }
    const customOrder = method === 'custom'
      ? (q % 2 === 0 ? customOrders[0]! : [{ key: `skill:${theme[0]}`, direction: 'desc' as const }, ...customOrders[1]!])
      : [];
    return { n: q, method, priority: rng.int(0, 3), themes: theme, members: list, customOrder };
  });
  return { spec, skillNames, agents, queues };
}

/** A work item's shape before it meets a queue: how many theme skills and how demanding. */
export interface WorkShape {
  readonly cost: number;
  readonly requiredSkills: readonly SkillRequirement[];
  readonly match: 'exact' | 'closest';
  readonly relaxAfterSeconds: number | null;
  readonly waitedSeconds: number;
  readonly onlyAvailable: boolean;
}

/** 0 skills 40%, 1 skill 40%, 2 skills 20%; minimums 1-6; cost 2 for one in seven. */
export function randomWork(rng: Rng, queue: QueueSpec): WorkShape {
  const roll = rng.next();
  const count = roll < 0.4 ? 0 : roll < 0.8 ? 1 : 2;
  const requiredSkills = queue.themes.slice(0, count).map((skill) => ({ skill, minProficiency: rng.int(1, 6) }));
  // Two themes can be the same skill; the engine's classification keeps one requirement per name.
  const unique = requiredSkills.filter((s, i) => requiredSkills.findIndex((t) => t.skill === s.skill) === i);
  return {
    cost: rng.chance(1 / 7) ? 2 : 1,
    requiredSkills: unique,
    match: rng.chance(0.1) ? 'closest' : 'exact',
    relaxAfterSeconds: unique.length === 2 && rng.chance(0.5) ? 60 : null,
    waitedSeconds: rng.int(0, 120),
    onlyAvailable: rng.chance(0.1),
  };
}

export function toWorkRequest(shape: WorkShape, excluded: ReadonlySet<string>): WorkRequest {
  return {
    cost: shape.cost,
    requiredSkills: shape.requiredSkills,
    match: shape.match,
    relaxations: shape.relaxAfterSeconds === null ? [] : [{ afterSeconds: shape.relaxAfterSeconds, dropSkills: [shape.requiredSkills[1]!.skill] }],
    waitedSeconds: shape.waitedSeconds,
    allowedPresences: shape.onlyAvailable ? ['available'] : ROUTABLE,
    excluded,
  };
}

export function agentSnapshot(agent: AgentSpec, id: string): AgentSnapshot {
  return { id, presence: agent.presence, capacity: agent.capacity, used: 0, skills: agent.skills, lastAssignedAt: null, attributes: agent.attributes };
}
