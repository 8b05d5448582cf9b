import { computeBotInsights, type BotInsights } from '../../core/bots/bot-insights.js';
import type { BotConversation } from '../../core/bots/bot-model.js';
import type { Caller } from '../caller.js';
import type { AppDeps } from '../deps.js';
import { SwitchboardError } from '../errors.js';
import { requireTenant } from '../tenant-access.js';

const DAY_MS = 24 * 60 * 60 * 1000;
/** The default window: the last seven days. */
export const DEFAULT_INSIGHTS_DAYS = 7;
/** The longest window one request may ask for (a quarter). */
export const MAX_INSIGHTS_DAYS = 92;
/** Survey reads in flight at once. */
const SURVEY_BATCH = 64;

export interface BotInsightsQuery {
  /** RFC 3339; default `to` minus seven days. */
  readonly from?: string | undefined;
  /** RFC 3339, exclusive; default now. */
  readonly to?: string | undefined;
  readonly botId?: string | undefined;
  /** The bot queue the conversations were routed to the bot from. */
  readonly queueId?: string | undefined;
}

export interface BotInsightsOfBot extends BotInsights {
  readonly botId: string;
  /** The bot agent's name (null when the agent no longer exists). */
  readonly displayName: string | null;
}

export interface BotInsightsReport extends BotInsights {
  readonly from: string;
  readonly to: string;
  readonly botId: string | null;
  readonly queueId: string | null;
  /** One entry per bot (registered, or with parts in the window); only when no botId was given. */
  readonly byBot?: BotInsightsOfBot[];
}

function instant(value: string | undefined, name: string): number | undefined {
  if (value === undefined) return undefined;
  const ms = Date.parse(value);
  if (Number.isNaN(ms)) throw new SwitchboardError('SB_ERR_VALIDATION', `${name} is not an RFC 3339 time.`, { problems: [`querystring/${name} is not an RFC 3339 time`] });
  return ms;
}

/** The window [from, to): defaults, then from < to and at most MAX_INSIGHTS_DAYS long. */
export function insightsWindow(query: Pick<BotInsightsQuery, 'from' | 'to'>, nowMs: number): { from: string; to: string } {
  const givenFrom = instant(query.from, 'from');
  const givenTo = instant(query.to, 'to');
  const to = givenTo ?? nowMs;
  const from = givenFrom ?? to - DEFAULT_INSIGHTS_DAYS * DAY_MS;
  if (from >= to) throw new SwitchboardError('SB_ERR_VALIDATION', 'from must be before to.', { problems: ['querystring/from must be before to'] });
  if (to - from > MAX_INSIGHTS_DAYS * DAY_MS) {
    throw new SwitchboardError('SB_ERR_VALIDATION', `The window is at most ${MAX_INSIGHTS_DAYS} days.`, { problems: [`querystring the window from..to is longer than ${MAX_INSIGHTS_DAYS} days`] });
  }
  return { from: new Date(from).toISOString(), to: new Date(to).toISOString() };
}

/**
 * Bot insights over a window (docs/BOTS.md "Insights"): every primary bot part bound in
 * [from, to), optionally of one bot and routed from one queue, with the CSAT answers of their
 * conversations; per bot as well when no bot is named.
 */
export async function botInsights(deps: AppDeps, caller: Caller, tenantId: string, query: BotInsightsQuery): Promise<BotInsightsReport> {
  await requireTenant(deps, caller, tenantId, 'reports.read');
  const nowMs = deps.clock.now();
  const { from, to } = insightsWindow(query, nowMs);
  const reads = deps.storage.read;
  const [bot, queue] = await Promise.all([
    query.botId !== undefined ? reads.bots.getBot(tenantId, query.botId) : undefined,
    query.queueId !== undefined ? reads.getQueue(tenantId, query.queueId) : undefined,
  ]);
  if (query.botId !== undefined && !bot) throw new SwitchboardError('SB_ERR_BOT_NOT_FOUND');
  if (query.queueId !== undefined && !queue) throw new SwitchboardError('SB_ERR_QUEUE_NOT_FOUND');

  const parts = (await reads.bots.listBotConversationsBetween(tenantId, from, to, query.botId))
    .filter((p) => p.role === 'primary' && (query.queueId === undefined || p.queueId === query.queueId));
  const surveys = await ratingsOf(deps, tenantId, parts);
  const now = new Date(nowMs).toISOString();
  const report: BotInsightsReport = {
    from, to, botId: query.botId ?? null, queueId: query.queueId ?? null, ...computeBotInsights(parts, surveys, now),
  };
  if (query.botId !== undefined) return report;

  const registered = await reads.bots.listBots(tenantId);
  const botIds = [...new Set([...registered.map((b) => b.id), ...parts.map((p) => p.botId)])];
  const byBot = await Promise.all(botIds.map(async (botId): Promise<BotInsightsOfBot> => {
    const agent = await reads.getAgent(tenantId, botId);
    return { botId, displayName: agent?.displayName ?? null, ...computeBotInsights(parts.filter((p) => p.botId === botId), surveys, now) };
  }));
  return { ...report, byBot };
}

/** The CSAT rating of each conversation among the parts that has one. */
async function ratingsOf(deps: AppDeps, tenantId: string, parts: readonly BotConversation[]): Promise<Map<string, number>> {
  const ids = [...new Set(parts.map((p) => p.conversationId))];
  const ratings = new Map<string, number>();
  for (let i = 0; i < ids.length; i += SURVEY_BATCH) {
    const batch = ids.slice(i, i + SURVEY_BATCH);
    const found = await Promise.all(batch.map((id) => deps.storage.read.webchat.getSurvey(tenantId, id)));
    for (const survey of found) if (survey) ratings.set(survey.conversationId, survey.rating);
  }
  return ratings;
}
