/**
 * Wrap-up: the after-work an agent does once the customer is gone (a disposition code, notes),
 * timed by the queue. A conversation enters `wrap_up` once at most (the lifecycle allows only
 * `wrap_up -> closed`), so it has at most one wrap-up record, started on entry and ended on close:
 *
 *   { code: 'refund', label: 'Refund granted', notes: 'Sent the label', endReason: 'finished', durationSeconds: 42 }
 */
import type { Actor } from '../model.js';

/** A disposition an agent may pick when wrapping up: a short identifier and the text people read. */
export interface WrapUpCode {
  readonly code: string;
  readonly label: string;
}

/**
 * How a wrap-up ended: the agent finished it (POST .../wrap-up), its time ran out, or the
 * conversation was closed another way (a plain state change, a supervisor's forced close).
 */
export const WRAP_UP_END_REASONS = ['finished', 'timed-out', 'closed'] as const;
export type WrapUpEndReason = (typeof WRAP_UP_END_REASONS)[number];

export interface WrapUp {
  readonly tenantId: string;
  readonly conversationId: string;
  /** The queue whose settings applied (the conversation's when wrap-up started), null without one. */
  readonly queueId: string | null;
  /** The agent who handled the conversation when wrap-up started. */
  readonly agentId: string | null;
  readonly startedAt: string;
  /** When the wrap-up closes by itself; null when the queue's `wrapUpSeconds` is 0 (the agent ends it). */
  readonly dueAt: string | null;
  readonly endedAt: string | null;
  readonly endReason: WrapUpEndReason | null;
  readonly code: string | null;
  /** The code's label as it was when chosen: a later rename does not rewrite history. */
  readonly label: string | null;
  readonly notes: string | null;
  readonly endedBy: Actor | null;
}

/** Until the administrator sets one: a minute is enough for a note, short enough not to idle. */
export const DEFAULT_WRAP_UP_SECONDS = 60;
export const MAX_WRAP_UP_SECONDS = 3600;
export const MAX_WRAP_UP_CODES = 50;
export const MAX_WRAP_UP_NOTES = 4000;

/** Seconds from start to end, to the millisecond; null while the wrap-up runs. */
export function wrapUpDurationSeconds(wrapUp: Pick<WrapUp, 'startedAt' | 'endedAt'>): number | null {
  if (wrapUp.endedAt === null) return null;
  return Math.max(0, Date.parse(wrapUp.endedAt) - Date.parse(wrapUp.startedAt)) / 1000;
}

/** The first problem of a queue's code list (ranges and shapes are the schema's), or null. */
export function checkWrapUpCodes(codes: readonly WrapUpCode[]): string | null {
  if (codes.length > MAX_WRAP_UP_CODES) return `at most ${MAX_WRAP_UP_CODES} codes, not ${codes.length}`;
  const seen = new Set<string>();
  for (const { code, label } of codes) {
    if (label.trim() === '') return `code "${code}" needs a label`;
    // Codes are compared as typed, but two that differ only in case would read as one in a report.
    const key = code.toLowerCase();
    if (seen.has(key)) return `code "${code}" is listed twice`;
    seen.add(key);
  }
  return null;
}

export type CodeChoice =
  | { readonly ok: true; readonly code: WrapUpCode | null }
  | { readonly ok: false; readonly problem: string; readonly allowed: readonly string[] };

/**
 * The code an agent's finish records. A queue with codes requires one of them (reports would
 * otherwise fill with blanks); a queue without codes takes none.
 */
export function chooseWrapUpCode(codes: readonly WrapUpCode[], given: string | undefined): CodeChoice {
  const allowed = codes.map((c) => c.code);
  if (given === undefined) {
    return codes.length === 0 ? { ok: true, code: null } : { ok: false, problem: `a wrap-up code is required: one of ${allowed.join(', ')}`, allowed };
  }
  const found = codes.find((c) => c.code === given);
  if (found) return { ok: true, code: found };
  if (codes.length === 0) return { ok: false, problem: 'this queue has no wrap-up codes: send none', allowed };
  return { ok: false, problem: `"${given}" is not a wrap-up code of this queue: one of ${allowed.join(', ')}`, allowed };
}
