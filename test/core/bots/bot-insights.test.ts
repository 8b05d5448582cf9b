/**
 * Bot insights as a computation (docs/BOTS.md "Insights"): hand-made bot parts and CSAT ratings,
 * the counts, the handoffs, nearest-rank percentiles and the edge cases (nothing, only open ones).
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { computeBotInsights, durationStats, nearestRank } from '../../../src/core/bots/bot-insights.js';
import type { BotConversation } from '../../../src/core/bots/bot-model.js';

const T0 = Date.parse('2026-03-02T09:00:00.000Z');
/** `s` seconds after T0. */
const at = (s: number) => new Date(T0 + s * 1000).toISOString();
const NOW = at(100_000);

let n = 0;
function part(extra: Partial<BotConversation> = {}): BotConversation {
  n += 1;
  return {
    tenantId: 'ten_1', conversationId: `cnv_${n}`, botId: 'agt_bot', role: 'primary', state: 'active', queueId: 'que_bot', boundAt: at(0),
    escalatedAt: null, escalationTrigger: null, escalationContext: null, escalationSummary: null, transcript: null,
    handoffState: null, acceptedAt: null, endedAt: null, endedByBot: false, ...extra,
  };
}
const contained = (extra: Partial<BotConversation> = {}) => part({ state: 'ended', endedAt: at(60), endedByBot: true, ...extra });
const escalated = (afterSeconds: number, extra: Partial<BotConversation> = {}) =>
  part({ state: 'escalated', escalatedAt: at(afterSeconds), escalationTrigger: 'phrase', handoffState: 'pending', ...extra });

const ZERO_TRIGGERS = { handoff: 0, omnichannel: 0, copilot: 0, phrase: 0, unhealthy: 0, disconnected: 0, transfer: 0 };

describe('bot insights (computation)', () => {
  it('no parts: all zero, no durations, no CSAT', () => {
    assert.deepEqual(computeBotInsights([], new Map(), NOW), {
      handled: 0, contained: 0, escalated: 0, open: 0, escalatedByTrigger: ZERO_TRIGGERS,
      handoffs: { accepted: 0, failed: 0, pending: 0 }, timeToEscalationSeconds: null, escalationToAgentSeconds: null,
      csat: { botOnly: { responses: 0, average: null }, escalated: { responses: 0, average: null } },
    });
  });

  it('only open parts: handled = open, nothing else', () => {
    const parts = [part(), part(), part()];
    const insights = computeBotInsights(parts, new Map(parts.map((p) => [p.conversationId, 4])), NOW);
    assert.deepEqual([insights.handled, insights.open, insights.contained, insights.escalated], [3, 3, 0, 0]);
    assert.equal(insights.timeToEscalationSeconds, null);
    assert.equal(insights.escalationToAgentSeconds, null);
    assert.deepEqual(insights.csat, { botOnly: { responses: 0, average: null }, escalated: { responses: 0, average: null } }, 'a survey of an open part counts nowhere');
  });

  it('contained, escalated by trigger, handoff outcomes, durations and CSAT by outcome', () => {
    const byBot = contained();
    const byCustomer = contained({ endedByBot: false });
    const accepted = escalated(30, { escalationTrigger: 'phrase', handoffState: 'accepted', acceptedAt: at(40) });
    const completed = escalated(90, { state: 'ended', escalationTrigger: 'handoff', handoffState: 'completed', acceptedAt: at(150), endedAt: at(400) });
    const waiting = escalated(10, { escalationTrigger: 'handoff' });
    const endedUnaccepted = escalated(20, { state: 'ended', escalationTrigger: 'unhealthy', handoffState: 'failed', endedAt: at(500) });
    // Routing could not take it: the bot kept it (active again), the handoff failed; still escalated.
    const kept = escalated(50, { state: 'active', escalationTrigger: 'omnichannel', handoffState: 'failed' });
    const open = part();
    const assist = part({ role: 'assist', state: 'ended', endedAt: at(5) });
    const parts = [byBot, byCustomer, accepted, completed, waiting, endedUnaccepted, kept, open, assist];
    const surveys = new Map([
      [byBot.conversationId, 5], [byCustomer.conversationId, 4], [accepted.conversationId, 2], [completed.conversationId, 3],
      [open.conversationId, 1], [assist.conversationId, 1],
    ]);
    const insights = computeBotInsights(parts, surveys, NOW);
    assert.equal(insights.handled, 8, 'assist parts are not counted');
    assert.equal(insights.contained, 2, 'whoever ended it');
    assert.equal(insights.escalated, 5);
    assert.equal(insights.open, 1);
    assert.equal(insights.handled, insights.contained + insights.escalated + insights.open);
    assert.deepEqual(insights.escalatedByTrigger, { ...ZERO_TRIGGERS, phrase: 1, handoff: 2, unhealthy: 1, omnichannel: 1 });
    assert.deepEqual(insights.handoffs, { accepted: 2, failed: 2, pending: 1 });
    // Time to escalation: 10, 20, 30, 50, 90 -> p50 rank 3 = 30, p90 rank 5 = 90, mean 40.
    assert.deepEqual(insights.timeToEscalationSeconds, { p50: 30, p90: 90, mean: 40 });
    // Escalation to an agent: 10 (accepted), 60 (completed) -> p50 rank 1 = 10, p90 rank 2 = 60.
    assert.deepEqual(insights.escalationToAgentSeconds, { p50: 10, p90: 60, mean: 35 });
    assert.deepEqual(insights.csat, { botOnly: { responses: 2, average: 4.5 }, escalated: { responses: 2, average: 2.5 } });
  });

  it('parts bound after now are left out; a clock that went backwards gives 0, not a negative time', () => {
    const later = part({ boundAt: at(200_000) });
    const skewed = escalated(-5, { escalationTrigger: 'copilot' });
    const insights = computeBotInsights([later, skewed], new Map(), NOW);
    assert.equal(insights.handled, 1);
    assert.deepEqual(insights.timeToEscalationSeconds, { p50: 0, p90: 0, mean: 0 });
  });

  it('milliseconds are kept; the mean has three decimals and CSAT two', () => {
    const a = escalated(1.5);
    const b = escalated(2.25);
    const c = escalated(2);
    const surveys = new Map([[a.conversationId, 5], [b.conversationId, 4], [c.conversationId, 4]]);
    const insights = computeBotInsights([a, b, c], surveys, NOW);
    assert.deepEqual(insights.timeToEscalationSeconds, { p50: 2, p90: 2.25, mean: 1.917 });
    assert.deepEqual(insights.csat.escalated, { responses: 3, average: 4.33 });
  });
});

describe('nearest-rank percentiles', () => {
  it('rank ceil(p/100 * n) of the sorted samples', () => {
    const ten = [1, 2, 3, 4, 5, 6, 7, 8, 9, 10];
    assert.equal(nearestRank(ten, 50), 5);
    assert.equal(nearestRank(ten, 90), 9);
    assert.equal(nearestRank(ten, 91), 10);
    assert.equal(nearestRank(ten, 100), 10);
    assert.equal(nearestRank(ten, 0), 1, 'the smallest, never out of range');
    assert.equal(nearestRank([7], 50), 7);
    assert.equal(nearestRank([7], 90), 7);
  });
  it('durationStats sorts its samples and is null without any', () => {
    assert.equal(durationStats([]), null);
    assert.deepEqual(durationStats([300, 100, 200, 400]), { p50: 200, p90: 400, mean: 250 });
    const hundred = Array.from({ length: 100 }, (_, i) => 100 - i);
    assert.deepEqual(durationStats(hundred), { p50: 50, p90: 90, mean: 50.5 });
  });
});
