import { surplus, type SkillRequirement } from '../../../core/routing/agent-selection.js';
import { canonicalSkills, minimumSum, proficiencySum } from '../skill-fit.js';
import { CHANGED } from './agent-table.js';
import { clearBit, setBit, wordsFor } from './bitset.js';
import type { MemberSearch } from './member-search.js';
import { MemberOrder } from './member-order.js';
import { walkTurns } from './rotating-orders.js';

/** The members holding every one of some skill names, with one sum of proficiencies over them. */
interface SumGroup {
  readonly sum: number;
  readonly words: Uint32Array;
  count: number;
}

/** A best-skill order for one set of skill names: members holding them all, grouped by the sum, ascending. */
interface SkillOrder {
  readonly names: readonly string[];
  readonly groups: SumGroup[];
  readonly groupAt: (SumGroup | undefined)[];
}

/**
 * Best-skill orders are kept per set of required skill names, built on first use. Each one costs
 * an update per skills edit, so a queue keeps only the most recently used few; an evicted one is
 * rebuilt (O(n)) if its skills are asked for again.
 */
const MAX_SKILL_ORDERS = 16;

/**
 * Best skill: among agents who meet every minimum, surplus = sum(proficiency) - sum(minimum), and
 * the minimums are the same for all of them; so ordering by the sum of proficiencies over the
 * required names (with repeats) is the oracle's surplus order, and one order serves every minimum
 * over those names. A skill order files every member holding the names, whatever its load or
 * presence, so that only an edit of an agent's skills re-files it; the walk reads a group's bits
 * together with the queue's candidates. It starts at the sum of the minimums (an agent meeting
 * every minimum has at least that sum); with closest matching it then walks the lower sums too,
 * since someone who falls short may still be the closest.
 */
export class BestSkillOrder extends MemberOrder {
  private readonly skillOrders: SkillOrder[] = [];

  walk(search: MemberSearch): void {
    const canonical = search.skills.length < 2 ? search.skills : canonicalSkills(search.skills);
    const fit = this.skillOrder(canonical);
    const floor = minimumSum(canonical);
    const groups = fit.groups;
    let g = 0;
    while (g < groups.length && groups[g]!.sum < floor) g += 1;
    for (let i = g; i < groups.length; i += 1) if (walkTurns(this, groups[i]!.words, this.candidates, search)) return;
    if (search.exact) return;
    for (let i = 0; i < g; i += 1) if (walkTurns(this, groups[i]!.words, this.candidates, search)) return;
  }

  /**
   * Walks visit low sums last under closest matching, so ties among those who fall short are
   * settled by the oracle's keys: the smaller surplus, then the round-robin turn.
   */
  override outranks(search: MemberSearch, laterPosition: number, laterSlot: number, earlierPosition: number, earlierSlot: number): boolean {
    const snapshots = this.table.snapshots;
    const a = surplus(snapshots[laterSlot]!, search.skills);
    const b = surplus(snapshots[earlierSlot]!, search.skills);
    if (a !== b) return a < b;
    return this.turn(laterPosition) < this.turn(earlierPosition);
  }

  protected build(): void {
    this.skillOrders.length = 0;
  }

  refileOne(position: number, slot: number, changed: number): void {
    if ((changed & CHANGED.profile) === 0) return;
    for (const order of this.skillOrders) this.place(order, position, slot);
  }

  private place(order: SkillOrder, position: number, slot: number): void {
    const agent = this.table.snapshots[slot];
    const sum = agent === undefined ? undefined : proficiencySum(agent, order.names);
    const was = order.groupAt[position];
    if (was !== undefined && was.sum === sum) return;
    if (was !== undefined) {
      clearBit(was.words, position);
      was.count -= 1;
      if (was.count === 0) order.groups.splice(order.groups.indexOf(was), 1);
    }
    if (sum === undefined) {
      order.groupAt[position] = undefined;
      return;
    }
    let at = 0;
    while (at < order.groups.length && order.groups[at]!.sum < sum) at += 1;
    let group = order.groups[at];
    if (group === undefined || group.sum !== sum) {
      group = { sum, words: wordsFor(this.size), count: 0 };
      order.groups.splice(at, 0, group);
    }
    setBit(group.words, position);
    group.count += 1;
    order.groupAt[position] = group;
  }

  /**
   * The order for the requirement's names, most recently used first. A queue's work asks for a
   * few sets of names (its themes), so a short list compared name by name beats building and
   * hashing a key on every decision.
   */
  private skillOrder(canonical: readonly SkillRequirement[]): SkillOrder {
    const orders = this.skillOrders;
    for (let i = 0; i < orders.length; i += 1) {
      const order = orders[i]!;
      if (!sameNames(order.names, canonical)) continue;
      if (i > 0) {
        orders.splice(i, 1);
        orders.unshift(order);
      }
      return order;
    }
    const order: SkillOrder = { names: canonical.map((s) => s.skill), groups: [], groupAt: new Array<SumGroup | undefined>(this.size).fill(undefined) };
    for (let position = 0; position < this.size; position += 1) this.place(order, position, this.slotAt[position]!);
    orders.unshift(order);
    if (orders.length > MAX_SKILL_ORDERS) orders.pop();
    return order;
  }
}

function sameNames(names: readonly string[], canonical: readonly SkillRequirement[]): boolean {
  if (names.length !== canonical.length) return false;
  for (let i = 0; i < names.length; i += 1) if (names[i] !== canonical[i]!.skill) return false;
  return true;
}
