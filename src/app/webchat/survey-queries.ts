import type { SatisfactionSurvey } from '../../core/webchat/webchat-model.js';
import type { Caller } from '../caller.js';
import type { AppDeps } from '../deps.js';
import { keysetPage, type Page } from '../pagination.js';
import { requireTenant } from '../tenant-access.js';

/** Satisfaction survey answers of the tenant, newest conversation first (reports read them). */
export async function listSurveys(
  deps: AppDeps, caller: Caller, tenantId: string, query: { readonly channelId?: string | undefined; readonly limit?: number | undefined; readonly cursor?: string | undefined },
): Promise<Page<SatisfactionSurvey>> {
  await requireTenant(deps, caller, tenantId, 'reports.read');
  const page = await keysetPage(query.limit, query.cursor, async (beforeId, limit) =>
    (await deps.storage.read.webchat.listSurveys(tenantId, { channelId: query.channelId }, { beforeId, limit })).map((s) => ({ ...s, id: s.conversationId })));
  return { items: page.items.map(({ id: _id, ...survey }) => survey), nextCursor: page.nextCursor };
}
