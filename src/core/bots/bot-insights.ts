/**
 * Bot insights (docs/BOTS.md "Insights"): what a set of bot parts in conversations adds up to:
 * handled, contained, escalated (by trigger), open, the handoffs' outcome, time to escalation,
 * time from escalation to an agent, and CSAT after bot-only and escalated conversations.
 * Pure: the caller reads the parts and the survey ratings and passes the time.
 */
import type { EscalationTrigger } from './bot-activity.js';
import type { BotConversation } from './bot-model.js';

export const ESCALATION_TRIGGERS: readonly EscalationTrigger[] = ['handoff', 'omnichannel', 'copilot', 'phrase', 'unhealthy', 'disconnected', 'transfer'];

/** Seconds; percentiles by nearest rank over the samples. */
export interface DurationStats {
  readonly p50: number;
  readonly p90: number;
  readonly mean: number;
}

export interface CsatFigure {
  readonly responses: number;
  /** Mean rating (1-5), two decimals; null with no responses. */
  readonly average: number | null;
}

export interface BotInsights {
  /** Primary parts bound in the window: contained + escalated + open. */
  readonly handled: number;
  /** Ended while still with the bot (never escalated), whoever ended it. */
  readonly contained: number;
  /** Escalated (`escalatedAt` set), whatever became of the handoff. */
  readonly escalated: number;
  /** Still with the bot, never escalated. */
  readonly open: number;
  readonly escalatedByTrigger: Readonly<Record<EscalationTrigger, number>>;
  /** Of the escalated: a person accepted (also when it has completed since), the handoff failed, still waiting. */
  readonly handoffs: { readonly accepted: number; readonly failed: number; readonly pending: number };
  /** `escalatedAt - boundAt` of the escalated; null with none. */
  readonly timeToEscalationSeconds: DurationStats | null;
  /** `acceptedAt - escalatedAt` of the accepted; null with none. */
  readonly escalationToAgentSeconds: DurationStats | null;
  readonly csat: { readonly botOnly: CsatFigure; readonly escalated: CsatFigure };
}

/** The value at nearest rank `ceil(p/100 * n)` of ascending `sorted` (n > 0). */
export function nearestRank(sorted: readonly number[], p: number): number {
  const rank = Math.max(1, Math.ceil((p / 100) * sorted.length));
  return sorted[Math.min(rank, sorted.length) - 1]!;
}

const round = (value: number, digits: number): number => {
  const f = 10 ** digits;
  return Math.round(value * f) / f;
};

export function durationStats(samples: readonly number[]): DurationStats | null {
  if (samples.length === 0) return null;
  const sorted = [...samples].sort((a, b) => a - b);
  const mean = sorted.reduce((sum, s) => sum + s, 0) / sorted.length;
  return { p50: nearestRank(sorted, 50), p90: nearestRank(sorted, 90), mean: round(mean, 3) };
}

function csatOf(ratings: readonly number[]): CsatFigure {
  if (ratings.length === 0) return { responses: 0, average: null };
  return { responses: ratings.length, average: round(ratings.reduce((sum, r) => sum + r, 0) / ratings.length, 2) };
}

/** Seconds from `from` to `to` (milliseconds kept as decimals); never negative (clocks of two nodes). */
function secondsBetween(from: string, to: string): number {
  return Math.max(0, Date.parse(to) - Date.parse(from)) / 1000;
}

/**
 * Insights over `parts` (assist parts are left out, and so are parts bound after `now`);
 * `surveys` maps a conversation id to its CSAT rating (1-5).
 */
export function computeBotInsights(parts: readonly BotConversation[], surveys: ReadonlyMap<string, number>, now: string): BotInsights {
  const until = Date.parse(now);
  const byTrigger = Object.fromEntries(ESCALATION_TRIGGERS.map((t) => [t, 0])) as Record<EscalationTrigger, number>;
  const handoffs = { accepted: 0, failed: 0, pending: 0 };
  const toEscalation: number[] = [];
  const toAgent: number[] = [];
  const botOnlyRatings: number[] = [];
  const escalatedRatings: number[] = [];
  let handled = 0;
  let contained = 0;
  let escalated = 0;
  let open = 0;
  for (const part of parts) {
    if (part.role !== 'primary' || Date.parse(part.boundAt) > until) continue;
    handled += 1;
    const rating = surveys.get(part.conversationId);
    if (part.escalatedAt !== null) {
      escalated += 1;
      if (part.escalationTrigger !== null) byTrigger[part.escalationTrigger] = (byTrigger[part.escalationTrigger] ?? 0) + 1;
      toEscalation.push(secondsBetween(part.boundAt, part.escalatedAt));
      if (part.acceptedAt !== null) {
        handoffs.accepted += 1;
        toAgent.push(secondsBetween(part.escalatedAt, part.acceptedAt));
      } else if (part.handoffState === 'failed') {
        handoffs.failed += 1;
      } else {
        handoffs.pending += 1;
      }
      if (rating !== undefined) escalatedRatings.push(rating);
    } else if (part.state === 'ended') {
      contained += 1;
      if (rating !== undefined) botOnlyRatings.push(rating);
    } else {
      open += 1;
    }
  }
  return {
    handled, contained, escalated, open, escalatedByTrigger: byTrigger, handoffs,
    timeToEscalationSeconds: durationStats(toEscalation),
    escalationToAgentSeconds: durationStats(toAgent),
    csat: { botOnly: csatOf(botOnlyRatings), escalated: csatOf(escalatedRatings) },
  };
}
