import { shortfall, type SkillRequirement, type WorkRequest } from '../../../core/routing/agent-selection.js';
import type { AgentTable } from './agent-table.js';

export type PassOverReason = 'excluded' | 'presence' | 'capacity' | 'skills';

/** `judge`'s answers below 0: why a candidate was passed over (0 and above: its shortfall). */
export const EXCLUDED = -1;
export const PRESENCE = -2;
export const CAPACITY = -3;
export const SKILLS = -4;
const REASONS: readonly PassOverReason[] = ['excluded', 'excluded', 'presence', 'capacity', 'skills'];
/** Most decisions pass nobody over: they share this instead of allocating an empty list each. */
const NOBODY: readonly { agentId: string; reason: PassOverReason }[] = Object.freeze([]);

export function reasonOf(verdict: number): PassOverReason {
  return REASONS[-verdict]!;
}

/** How an order ranks two candidates that fall equally short (closest matching only). */
export interface TieBreak {
  /** Whether `later` (visited after `earlier`) ranks before it. */
  outranks(search: MemberSearch, laterPosition: number, laterSlot: number, earlierPosition: number, earlierSlot: number): boolean;
}

/**
 * One decision in progress: the work item's terms, checked against candidates as an order's walk
 * meets them, and what was found. The index keeps one and reuses it, so a decision allocates only
 * its explanation. The checks are the oracle's (selectAgent), in its order, so a passed-over agent
 * is reported for the same reason the oracle would give.
 */
export class MemberSearch {
  cost = 1;
  exact = true;
  skills: readonly SkillRequirement[] = [];
  private allowed = 0;
  private excluded: ReadonlySet<string> | undefined;
  private allowedFrom: readonly string[] | undefined;
  private tieBreak: TieBreak | undefined;
  /** The requirements as columns of the table's skills grid, and their minimums. */
  private columns = new Int32Array(4);
  private minimums = new Float64Array(4);
  /** Excluded agents as slots (few: the ones who declined this conversation). */
  private excludedSlots: number[] = [];

  private passed: { agentId: string; reason: PassOverReason }[] | undefined;
  visited = 0;
  /** The winner's slot (gap 0), -1 while none, and its position in the queue. */
  winner = -1;
  winnerPosition = -1;
  /** The best of those who fall short so far (closest matching), -1 for none. */
  runner = -1;
  private runnerPosition = -1;
  private runnerGap = 0;
  private runnerPassedOverBefore = 0;

  constructor(readonly table: AgentTable) {}

  begin(work: WorkRequest, skills: readonly SkillRequirement[], tieBreak: TieBreak | undefined): void {
    this.cost = work.cost;
    this.exact = work.match === 'exact';
    this.skills = skills;
    // Work items of one workstream share their array of presences: its mask is worked out once.
    if (work.allowedPresences !== this.allowedFrom) {
      this.allowed = this.table.presenceMask(work.allowedPresences);
      this.allowedFrom = work.allowedPresences;
    }
    this.excluded = work.excluded.size > 0 ? work.excluded : undefined;
    this.excludedSlots.length = 0;
    if (this.excluded !== undefined) {
      for (const id of this.excluded) {
        const slot = this.table.slot(id);
        if (slot !== undefined) this.excludedSlots.push(slot);
      }
    }
    if (skills.length > this.columns.length) {
      this.columns = new Int32Array(skills.length);
      this.minimums = new Float64Array(skills.length);
    }
    for (let i = 0; i < skills.length; i += 1) {
      const s = skills[i]!;
      this.columns[i] = this.table.skillColumn(s.skill);
      this.minimums[i] = s.minProficiency;
    }
    this.tieBreak = tieBreak;
    this.passed = undefined;
    this.visited = 0;
    this.winner = -1;
    this.runner = -1;
  }

  /** The oracle's verdict on a candidate: its shortfall (0 = meets every requirement), or EXCLUDED, PRESENCE, CAPACITY, SKILLS. */
  judge(slot: number): number {
    const table = this.table;
    if (this.excluded !== undefined && this.excludedSlots.includes(slot)) return EXCLUDED;
    if ((this.allowed & table.presenceBitOf(slot)) === 0) return PRESENCE;
    if (table.freeOf(slot) < this.cost) return CAPACITY;
    const skills = this.skills;
    if (skills.length === 0) return 0;
    if (table.skillsInGrid(slot)) {
      let gap = 0;
      for (let i = 0; i < skills.length; i += 1) {
        const p = table.proficiency(slot, this.columns[i]!);
        if (p === 0) return SKILLS;
        gap += Math.max(0, this.minimums[i]! - p);
      }
      if (gap > 0 && this.exact) return SKILLS;
      return gap;
    }
    const gap = shortfall(table.snapshots[slot]!, skills);
    return gap === undefined || (gap > 0 && this.exact) ? SKILLS : gap;
  }

  /**
   * A candidate met in the order's rank order: true when it wins (nobody after it can do better),
   * false to go on. Someone who falls short is kept as the runner-up if they rank best so far.
   */
  visit(position: number, slot: number): boolean {
    this.visited += 1;
    const verdict = this.judge(slot);
    if (verdict === 0) {
      this.winner = slot;
      this.winnerPosition = position;
      return true;
    }
    if (verdict > 0) {
      this.considerRunner(position, slot, verdict);
      this.passOver(slot, SKILLS);
      return false;
    }
    this.passOver(slot, verdict);
    return false;
  }

  /** Keeps `slot` as the runner-up if it falls short less than the one kept, or as much and ranks before it. */
  considerRunner(position: number, slot: number, gap: number): void {
    if (this.runner >= 0) {
      if (gap > this.runnerGap) return;
      if (gap === this.runnerGap && !this.tieBreak?.outranks(this, position, slot, this.runnerPosition, this.runner)) return;
    }
    this.runner = slot;
    this.runnerPosition = position;
    this.runnerGap = gap;
    this.runnerPassedOverBefore = this.passed?.length ?? 0;
  }

  passOver(slot: number, verdict: number): void {
    const entry = { agentId: this.table.ids[slot]!, reason: reasonOf(verdict) };
    if (this.passed === undefined) this.passed = [entry];
    else this.passed.push(entry);
  }

  /** The chosen agent's slot and position (the winner, else the runner-up), or -1s for nobody. */
  chosenSlot(): number {
    return this.winner >= 0 ? this.winner : this.runner;
  }

  chosenPosition(): number {
    return this.winner >= 0 ? this.winnerPosition : this.runner >= 0 ? this.runnerPosition : -1;
  }

  /** The chosen agent (the winner, else the runner-up, else nobody) and the explanation up to it. */
  result(): { agentId: string | null; passedOver: readonly { agentId: string; reason: PassOverReason }[]; visited: number } {
    const passedOver = this.passed ?? NOBODY;
    if (this.winner >= 0) return { agentId: this.table.ids[this.winner]!, passedOver, visited: this.visited };
    if (this.runner >= 0) return { agentId: this.table.ids[this.runner]!, passedOver: passedOver.slice(0, this.runnerPassedOverBefore), visited: this.visited };
    return { agentId: null, passedOver, visited: this.visited };
  }
}
