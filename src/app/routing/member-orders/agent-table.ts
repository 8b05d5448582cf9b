import { ownValue, type AgentSnapshot, type Presence } from '../../../core/routing/agent-selection.js';

/** What an agent update changed, as bits: each order re-files only for what it ranks by. */
export const CHANGED = {
  /** Could be chosen at all (routable presence and free capacity) before and not now, or the reverse. */
  candidacy: 1,
  freeCapacity: 2,
  lastAssignedAt: 4,
  /** Routable presence (whatever the capacity) before and not now, or the reverse. */
  routable: 8,
  /** The skills or attributes object is another one (an edit): orders keyed on them look again. */
  profile: 16,
} as const;

/** Every bit at once: an agent that appeared or disappeared. */
export const CHANGED_ALL = 31;

/** A slot's row in AgentTable.rows: the figures a walk reads, side by side so that one cache line holds them. */
const FREE = 0;
const SINCE = 1;
const PRESENCE_BIT = 2;
const FLAGS = 3;
const STRIDE = 4;
const ROUTABLE_FLAG = 1;
const CANDIDATE_FLAG = 2;
/** A proficiency that is not a whole number from 1 to 255: the skills grid cannot hold it, the snapshot is read instead. */
const IRREGULAR_SKILLS_FLAG = 4;

/**
 * The agents one routing index knows, in slots: dense numbers that the queues' member lists hold.
 * The figures the walks read most (free capacity, last assignment, presence) sit in one row per
 * slot of a typed array. An agent update writes its row once, however many queues the agent is
 * in, and the queues then re-file only what their order depends on. The row layout is for the
 * memory, not the arithmetic: a decision or an update visits agents scattered over the table,
 * and each visit costs a cache miss per distinct line it reads, which is most of its time. A slot
 * exists while the agent has a snapshot or some queue lists it (a member may be listed before it
 * is first seen).
 */
export class AgentTable {
  readonly ids: (string | undefined)[] = [];
  readonly snapshots: (AgentSnapshot | undefined)[] = [];
  private rows = new Float64Array(64 * STRIDE);
  private readonly slotOf = new Map<string, number>();
  private readonly vacant: number[] = [];
  private readonly presenceCodes = new Map<string, number>();
  private readonly routableMask: number;
  /**
   * Proficiencies by slot and skill (0: lacks it), for the skills work items ask for: a column is
   * added the first time a requirement names the skill. A decision checks skills for every
   * candidate it visits, and reading them here costs one cache line where the snapshot's skills
   * object cost three dependent reads.
   */
  private grid = new Uint8Array(0);
  private gridWidth = 0;
  private readonly columns = new Map<string, number>();
  private readonly columnNames: string[] = [];

  constructor(routablePresences: readonly Presence[]) {
    let mask = 0;
    for (const presence of routablePresences) mask |= this.presenceBitFor(presence);
    this.routableMask = mask;
  }

  /** capacity - used (NaN for an agent without a snapshot). */
  freeOf(slot: number): number {
    return this.rows[slot * STRIDE + FREE]!;
  }

  /** lastAssignedAt, never-assigned as -Infinity like the oracle. */
  sinceOf(slot: number): number {
    return this.rows[slot * STRIDE + SINCE]!;
  }

  /** 1 << the presence's code, 0 without a snapshot: tested against a work item's allowed mask. */
  presenceBitOf(slot: number): number {
    return this.rows[slot * STRIDE + PRESENCE_BIT]!;
  }

  /** A routable presence (the index's, not one work item's). */
  isRoutable(slot: number): boolean {
    return (this.rows[slot * STRIDE + FLAGS]! & ROUTABLE_FLAG) !== 0;
  }

  /** Routable and some free capacity: may be chosen for some work. */
  isCandidate(slot: number): boolean {
    return (this.rows[slot * STRIDE + FLAGS]! & CANDIDATE_FLAG) !== 0;
  }

  slot(agentId: string): number | undefined {
    return this.slotOf.get(agentId);
  }

  snapshot(agentId: string): AgentSnapshot | undefined {
    const slot = this.slotOf.get(agentId);
    return slot === undefined ? undefined : this.snapshots[slot];
  }

  /** The agents that have a snapshot, by id, as the oracle reads them. */
  *entries(): IterableIterator<[string, AgentSnapshot]> {
    for (const [id, slot] of this.slotOf) {
      const agent = this.snapshots[slot];
      if (agent !== undefined) yield [id, agent];
    }
  }

  /** The agent's slot, made (with no snapshot) if it has none. */
  slotFor(agentId: string): number {
    const known = this.slotOf.get(agentId);
    if (known !== undefined) return known;
    const slot = this.vacant.pop() ?? this.ids.length;
    if ((slot + 1) * STRIDE > this.rows.length) {
      const rows = new Float64Array(this.rows.length * 2);
      rows.set(this.rows);
      this.rows = rows;
    }
    if ((slot + 1) * this.gridWidth > this.grid.length) this.regrid(this.gridWidth, Math.max(64, this.rows.length / STRIDE));
    this.ids[slot] = agentId;
    this.snapshots[slot] = undefined;
    this.clearRow(slot);
    this.slotOf.set(agentId, slot);
    return slot;
  }

  /** Gives the slot up: nothing refers to it any more (no snapshot, no queue). */
  release(slot: number): void {
    const id = this.ids[slot];
    if (id === undefined) return;
    this.slotOf.delete(id);
    this.ids[slot] = undefined;
    this.snapshots[slot] = undefined;
    this.vacant.push(slot);
  }

  /** Writes the agent's figures; returns what changed (CHANGED bits), 0 for nothing a walk reads. */
  write(slot: number, agent: AgentSnapshot | undefined): number {
    const was = this.snapshots[slot];
    this.snapshots[slot] = agent;
    if (agent === undefined) {
      if (was === undefined) return 0;
      this.clearRow(slot);
      return CHANGED_ALL;
    }
    const rows = this.rows;
    const at = slot * STRIDE;
    const free = agent.capacity - agent.used;
    const since = agent.lastAssignedAt ?? -Infinity;
    const bit = this.presenceBitFor(agent.presence);
    const routable = (bit & this.routableMask) !== 0;
    const before = rows[at + FLAGS]!;
    let flags = (routable ? ROUTABLE_FLAG : 0) | (routable && free > 0 ? CANDIDATE_FLAG : 0);
    const newSkills = was === undefined || was.skills !== agent.skills;
    if (newSkills) flags |= this.fillSkills(slot, agent) ? 0 : IRREGULAR_SKILLS_FLAG;
    else flags |= before & IRREGULAR_SKILLS_FLAG;
    let changed = newSkills || was.attributes !== agent.attributes ? CHANGED.profile : 0;
    // Object.is: NaN (a broken capacity) equals itself here, so it is not reported on every write.
    if (!Object.is(rows[at + FREE], free)) changed |= CHANGED.freeCapacity;
    if (rows[at + SINCE] !== since) changed |= CHANGED.lastAssignedAt;
    if (((before ^ flags) & ROUTABLE_FLAG) !== 0) changed |= CHANGED.routable;
    if (((before ^ flags) & CANDIDATE_FLAG) !== 0) changed |= CHANGED.candidacy;
    rows[at + FREE] = free;
    rows[at + SINCE] = since;
    rows[at + PRESENCE_BIT] = bit;
    rows[at + FLAGS] = flags;
    return changed;
  }

  /** The skills grid's column for a skill, added (and filled from every snapshot) on first use. */
  skillColumn(skill: string): number {
    const known = this.columns.get(skill);
    if (known !== undefined) return known;
    const column = this.columnNames.length;
    this.columns.set(skill, column);
    this.columnNames.push(skill);
    if (column >= this.gridWidth) this.regrid(Math.max(8, this.gridWidth * 2), this.rows.length / STRIDE);
    for (let slot = 0; slot < this.snapshots.length; slot += 1) {
      const agent = this.snapshots[slot];
      if (agent !== undefined) this.grid[slot * this.gridWidth + column] = gridValue(ownValue(agent.skills, skill));
    }
    return column;
  }

  /** Whether the slot's proficiencies are all in the grid (else read the snapshot's skills). */
  skillsInGrid(slot: number): boolean {
    return (this.rows[slot * STRIDE + FLAGS]! & IRREGULAR_SKILLS_FLAG) === 0;
  }

  /** The slot's proficiency in a column, 0 when it lacks the skill. */
  proficiency(slot: number, column: number): number {
    return this.grid[slot * this.gridWidth + column]!;
  }

  /** The mask of a work item's allowed presences, for `presenceBitOf`. */
  presenceMask(presences: readonly Presence[]): number {
    let mask = 0;
    for (const presence of presences) mask |= this.presenceBitFor(presence);
    return mask;
  }

  private presenceBitFor(presence: string): number {
    let code = this.presenceCodes.get(presence);
    if (code === undefined) {
      // Presences are a closed list of 8; a 32nd distinct string would be a bug upstream.
      if (this.presenceCodes.size >= 31) throw new Error(`too many distinct presences (${presence})`);
      code = this.presenceCodes.size;
      this.presenceCodes.set(presence, code);
    }
    return 1 << code;
  }

  /** Writes the slot's grid row; false when some proficiency cannot be held there. */
  private fillSkills(slot: number, agent: AgentSnapshot): boolean {
    let regular = true;
    for (const value of Object.values(agent.skills)) if (gridValue(value) === 0) regular = false;
    const at = slot * this.gridWidth;
    for (let column = 0; column < this.columnNames.length; column += 1) this.grid[at + column] = gridValue(ownValue(agent.skills, this.columnNames[column]!));
    return regular;
  }

  private regrid(width: number, slots: number): void {
    const grid = new Uint8Array(width * slots);
    for (let slot = 0; slot * this.gridWidth < this.grid.length && this.gridWidth > 0; slot += 1) {
      grid.set(this.grid.subarray(slot * this.gridWidth, (slot + 1) * this.gridWidth), slot * width);
    }
    this.grid = grid;
    this.gridWidth = width;
  }

  private clearRow(slot: number): void {
    const at = slot * STRIDE;
    this.rows[at + FREE] = Number.NaN;
    this.rows[at + SINCE] = -Infinity;
    this.rows[at + PRESENCE_BIT] = 0;
    this.rows[at + FLAGS] = 0;
    this.grid.fill(0, slot * this.gridWidth, (slot + 1) * this.gridWidth);
  }
}

/** A proficiency as the grid holds it: itself if a whole number from 1 to 255, else 0 (absent, or see IRREGULAR_SKILLS_FLAG). */
function gridValue(value: number | undefined): number {
  return value !== undefined && Number.isInteger(value) && value >= 1 && value <= 255 ? value : 0;
}

/**
 * The table's snapshots as a read-only map by agent id (what the oracle and the explanations take),
 * without a second map to keep up on every update.
 */
export class SnapshotMap implements ReadonlyMap<string, AgentSnapshot> {
  constructor(private readonly table: AgentTable) {}

  get size(): number {
    let count = 0;
    for (const _ of this.table.entries()) count += 1;
    return count;
  }

  get(agentId: string): AgentSnapshot | undefined {
    return this.table.snapshot(agentId);
  }

  has(agentId: string): boolean {
    return this.table.snapshot(agentId) !== undefined;
  }

  forEach(callback: (value: AgentSnapshot, key: string, map: ReadonlyMap<string, AgentSnapshot>) => void, thisArg?: unknown): void {
    for (const [id, agent] of this.table.entries()) callback.call(thisArg, agent, id, this);
  }

  entries(): IterableIterator<[string, AgentSnapshot]> {
    return this.table.entries();
  }

  *keys(): IterableIterator<string> {
    for (const [id] of this.table.entries()) yield id;
  }

  *values(): IterableIterator<AgentSnapshot> {
    for (const [, agent] of this.table.entries()) yield agent;
  }

  [Symbol.iterator](): IterableIterator<[string, AgentSnapshot]> {
    return this.table.entries();
  }
}
