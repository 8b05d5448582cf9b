import type { AgentSnapshot, Presence } from '../../../core/routing/agent-selection.js';

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

/**
 * The agents one routing index knows, in slots: dense numbers that the queues' member lists hold,
 * with the figures the walks read most (free capacity, last assignment, presence) in typed arrays
 * indexed by slot. An agent update writes these once, however many queues the agent is in; the
 * queues then re-file only what their order depends on. A slot exists while the agent has a
 * snapshot or some queue lists it (a member may be listed before it is first seen).
 */
export class AgentTable {
  readonly ids: (string | undefined)[] = [];
  readonly snapshots: (AgentSnapshot | undefined)[] = [];
  /** capacity - used (NaN for an agent without a snapshot). */
  free = new Float64Array(64);
  /** lastAssignedAt, never-assigned as -Infinity like the oracle. */
  since = new Float64Array(64);
  /** 1 << the presence's code, 0 without a snapshot: tested against a work item's allowed mask. */
  presenceBit = new Uint32Array(64);
  /** A routable presence (the index's, not one work item's). */
  routable = new Uint8Array(64);
  /** Routable and some free capacity: may be chosen for some work. */
  candidate = new Uint8Array(64);
  private readonly slotOf = new Map<string, number>();
  private readonly vacant: number[] = [];
  private readonly presenceCodes = new Map<string, number>();
  private readonly routableMask: number;

  constructor(routablePresences: readonly Presence[]) {
    let mask = 0;
    for (const presence of routablePresences) mask |= this.presenceBitOf(presence);
    this.routableMask = mask;
  }

  slot(agentId: string): number | undefined {
    return this.slotOf.get(agentId);
  }

  /** The agent's slot, made (with no snapshot) if it has none. */
  slotFor(agentId: string): number {
    const known = this.slotOf.get(agentId);
    if (known !== undefined) return known;
    const slot = this.vacant.pop() ?? this.ids.length;
    if (slot >= this.free.length) this.grow();
    this.ids[slot] = agentId;
    this.snapshots[slot] = undefined;
    this.clearFigures(slot);
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
      this.clearFigures(slot);
      return CHANGED_ALL;
    }
    const free = agent.capacity - agent.used;
    const since = agent.lastAssignedAt ?? -Infinity;
    const bit = this.presenceBitOf(agent.presence);
    const routable = (bit & this.routableMask) !== 0 ? 1 : 0;
    const candidate = routable === 1 && free > 0 ? 1 : 0;
    let changed = was === undefined || was.skills !== agent.skills || was.attributes !== agent.attributes ? CHANGED.profile : 0;
    // Object.is: NaN (a broken capacity) equals itself here, so it is not reported on every write.
    if (!Object.is(this.free[slot], free)) changed |= CHANGED.freeCapacity;
    if (this.since[slot] !== since) changed |= CHANGED.lastAssignedAt;
    if (this.routable[slot] !== routable) changed |= CHANGED.routable;
    if (this.candidate[slot] !== candidate) changed |= CHANGED.candidacy;
    this.free[slot] = free;
    this.since[slot] = since;
    this.presenceBit[slot] = bit;
    this.routable[slot] = routable;
    this.candidate[slot] = candidate;
    return changed;
  }

  /** The mask of a work item's allowed presences, for `presenceBit`. */
  presenceMask(presences: readonly Presence[]): number {
    let mask = 0;
    for (const presence of presences) mask |= this.presenceBitOf(presence);
    return mask;
  }

  private presenceBitOf(presence: string): number {
    let code = this.presenceCodes.get(presence);
    if (code === undefined) {
      // Presences are a closed list of 8; a 33rd distinct string would be a bug upstream.
      if (this.presenceCodes.size >= 32) throw new Error(`too many distinct presences (${presence})`);
      code = this.presenceCodes.size;
      this.presenceCodes.set(presence, code);
    }
    return 1 << code;
  }

  private clearFigures(slot: number): void {
    this.free[slot] = Number.NaN;
    this.since[slot] = -Infinity;
    this.presenceBit[slot] = 0;
    this.routable[slot] = 0;
    this.candidate[slot] = 0;
  }

  private grow(): void {
    const size = this.free.length * 2;
    const free = new Float64Array(size);
    free.set(this.free);
    this.free = free;
    const since = new Float64Array(size);
    since.set(this.since);
    this.since = since;
    const presenceBit = new Uint32Array(size);
    presenceBit.set(this.presenceBit);
    this.presenceBit = presenceBit;
    const routable = new Uint8Array(size);
    routable.set(this.routable);
    this.routable = routable;
    const candidate = new Uint8Array(size);
    candidate.set(this.candidate);
    this.candidate = candidate;
  }
}
