/**
 * What a queue does when it cannot serve a conversation well: closed, too long a line, too long a
 * wait. Rules are checked once before the conversation joins the queue (every condition but
 * `wait-exceeds`) and again while it waits (`wait-exceeds` only, each rule at most once).
 *
 *   [{ id: 'closed', when: { kind: 'out-of-hours' }, then: { kind: 'message-and-end', text: 'We open at 9.' } },
 *    { id: 'busy', when: { kind: 'estimated-wait', atLeastSeconds: 600 }, then: { kind: 'callback' } },
 *    { id: 'slow', when: { kind: 'wait-exceeds', seconds: 300 }, then: { kind: 'transfer', queueId: 'q_general' } }]
 */
export type OverflowCondition =
  | { readonly kind: 'out-of-hours' }
  /** The line holds at least this many conversations before this one joins. */
  | { readonly kind: 'queue-length'; readonly atLeast: number }
  | { readonly kind: 'estimated-wait'; readonly atLeastSeconds: number }
  /** The only condition checked while queued: the conversation has waited this long in this queue. */
  | { readonly kind: 'wait-exceeds'; readonly seconds: number };

export type OverflowAction =
  | { readonly kind: 'transfer'; readonly queueId: string }
  /** Record a callback request; the conversation keeps (or takes) its place in line. */
  | { readonly kind: 'callback' }
  | { readonly kind: 'message-and-end'; readonly text: string }
  /** Before queueing: queue despite the condition. While queued: drop the skill requirements. */
  | { readonly kind: 'assign-anyway' };

export interface OverflowRule {
  readonly id: string;
  readonly when: OverflowCondition;
  readonly then: OverflowAction;
}

export interface QueueConditions {
  readonly open: boolean;
  /** Conversations already waiting, not counting the one being routed. */
  readonly queueLength: number;
  readonly estimatedWaitSeconds: number;
}

export const MAX_OVERFLOW_RULES = 20;
export const MAX_OVERFLOW_TEXT_LENGTH = 4000;

/**
 * The first rule, in order, whose pre-queue condition holds, or null to queue normally. Order is
 * the administrator's tool: an `assign-anyway` rule placed first shields the rules after it.
 */
export function overflowBeforeQueue(rules: readonly OverflowRule[], conditions: QueueConditions): OverflowRule | null {
  for (const rule of rules) {
    const when = rule.when;
    switch (when.kind) {
      case 'out-of-hours':
        if (!conditions.open) return rule;
        break;
      case 'queue-length':
        if (conditions.queueLength >= when.atLeast) return rule;
        break;
      case 'estimated-wait':
        if (conditions.estimatedWaitSeconds >= when.atLeastSeconds) return rule;
        break;
      case 'wait-exceeds':
        break;
    }
  }
  return null;
}

/**
 * The first `wait-exceeds` rule, in order, whose threshold the wait has reached and that has not
 * been applied to this conversation yet. Each rule applies once, so an engine that wakes late or
 * twice never repeats a transfer or a callback.
 */
export function overflowWhileQueued(rules: readonly OverflowRule[], waitedSeconds: number, alreadyApplied: ReadonlySet<string>): OverflowRule | null {
  for (const rule of rules) {
    if (rule.when.kind === 'wait-exceeds' && waitedSeconds >= rule.when.seconds && !alreadyApplied.has(rule.id)) return rule;
  }
  return null;
}

/**
 * When the engine must look at a waiting conversation again for overflow: the earliest threshold of
 * a `wait-exceeds` rule not yet applied, or null when none is left. The deadline can be in the
 * past (a rule was shadowed by an earlier one); the engine then acts at once.
 */
export function nextOverflowDeadline(rules: readonly OverflowRule[], enteredAtMs: number, alreadyApplied: ReadonlySet<string>): number | null {
  let earliest: number | null = null;
  for (const rule of rules) {
    if (rule.when.kind !== 'wait-exceeds' || alreadyApplied.has(rule.id)) continue;
    const due = enteredAtMs + rule.when.seconds * 1000;
    if (earliest === null || due < earliest) earliest = due;
  }
  return earliest;
}

/**
 * Expected wait, in whole seconds, of the conversation at 0-based `position` in line.
 *
 * With a recent average handle time and agents serving, slots free up at `agentsServing /
 * handle` per second and this conversation needs `position + 1` of them:
 * `ceil((position + 1) * handle / agentsServing)`. That is deliberately on the long side (it
 * counts a whole handle time for the first slot), which suits overflow: better to offer a
 * callback a little early than late. Without that, the recent average wait stands in; with nothing
 * known, 0, so that an `estimated-wait` rule never fires on a guess.
 *
 * Non-decreasing in position and handle time; non-increasing in agents serving while at least one
 * serves.
 */
export function estimateWaitSeconds(input: {
  readonly position: number;
  readonly recentAverageWaitSeconds: number | null;
  readonly recentAverageHandleSeconds: number | null;
  readonly agentsServing: number;
}): number {
  const known = (n: number | null): n is number => n !== null && Number.isFinite(n) && n >= 0;
  const position = Number.isFinite(input.position) ? Math.max(0, Math.floor(input.position)) : 0;
  const agents = Number.isFinite(input.agentsServing) ? Math.floor(input.agentsServing) : 0;
  if (known(input.recentAverageHandleSeconds) && agents >= 1) {
    return Math.ceil(((position + 1) * input.recentAverageHandleSeconds) / agents);
  }
  if (known(input.recentAverageWaitSeconds)) return Math.ceil(input.recentAverageWaitSeconds);
  return 0;
}

/** Checks a queue's overflow rules when they are saved. */
export function checkOverflowRules(rules: readonly OverflowRule[], queueId: string, knownQueueIds: ReadonlySet<string>): string | undefined {
  if (rules.length > MAX_OVERFLOW_RULES) return `at most ${MAX_OVERFLOW_RULES} overflow rules, not ${rules.length}`;
  const ids = new Set<string>();
  for (const rule of rules) {
    if (typeof rule.id !== 'string' || rule.id === '') return 'every overflow rule needs an id';
    if (ids.has(rule.id)) return `overflow rule id "${rule.id}" is used twice`;
    ids.add(rule.id);
    const problem = checkCondition(rule.when) ?? checkAction(rule.then, queueId, knownQueueIds);
    if (problem) return `overflow rule "${rule.id}": ${problem}`;
  }
  return undefined;
}

function checkCondition(when: OverflowCondition): string | undefined {
  const count = (n: number, what: string) => (Number.isInteger(n) && n >= 0 ? undefined : `${what} must be a whole number of 0 or more, not ${String(n)}`);
  switch (when.kind) {
    case 'out-of-hours':
      return undefined;
    case 'queue-length':
      return count(when.atLeast, 'the queue length');
    case 'estimated-wait':
      return count(when.atLeastSeconds, 'the estimated wait in seconds');
    case 'wait-exceeds':
      return count(when.seconds, 'the wait in seconds');
    default:
      return `unknown condition "${String((when as { kind: unknown }).kind)}"`;
  }
}

function checkAction(then: OverflowAction, queueId: string, knownQueueIds: ReadonlySet<string>): string | undefined {
  switch (then.kind) {
    case 'transfer':
      if (then.queueId === queueId) return 'a queue cannot overflow into itself';
      if (!knownQueueIds.has(then.queueId)) return `unknown queue "${String(then.queueId).slice(0, 100)}"`;
      return undefined;
    case 'message-and-end':
      if (typeof then.text !== 'string' || then.text.trim() === '') return 'the message must not be empty';
      if (then.text.length > MAX_OVERFLOW_TEXT_LENGTH) return `the message is longer than ${MAX_OVERFLOW_TEXT_LENGTH} characters`;
      return undefined;
    case 'callback':
    case 'assign-anyway':
      return undefined;
    default:
      return `unknown action "${String((then as { kind: unknown }).kind)}"`;
  }
}
