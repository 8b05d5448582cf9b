import type { FastifyInstance } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { AppDeps } from '../../../app/deps.js';
import { botInsights } from '../../../app/bots/bot-insights-query.js';
import { BotInsightsQuerySchema, BotInsightsSchema } from '../../../contracts/bot-insights.js';
import { ErrorBody, TenantParams } from '../../../contracts/common.js';

/** Bot insights for reports: `/v1/tenants/{t}/bot-insights` (docs/BOTS.md "Insights"). */
export function botInsightsRoutes(app: FastifyInstance, deps: AppDeps): void {
  const r = app.withTypeProvider<TypeBoxTypeProvider>();
  r.get('/v1/tenants/:tenantId/bot-insights', {
    schema: {
      tags: ['reports'],
      summary: 'Bot insights over a window (default the last 7 days, at most 92): handled, contained, escalated by trigger, time to escalation and to an agent, CSAT bot-only vs escalated; per bot unless botId is given; queueId: conversations routed to the bot from that queue',
      params: TenantParams, querystring: BotInsightsQuerySchema, response: { 200: BotInsightsSchema, '4xx': ErrorBody },
    },
  }, async (req) => botInsights(deps, req.caller, req.params.tenantId, req.query));
}
