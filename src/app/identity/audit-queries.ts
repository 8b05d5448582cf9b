import type { AuditEntry } from '../../core/identity/identity-model.js';
import type { Caller } from '../caller.js';
import type { AppDeps } from '../deps.js';
import type { AuditFilter } from '../ports/identity-storage.js';
import { requireTenant } from '../tenant-access.js';

export interface AuditPageResult {
  readonly items: AuditEntry[];
  /** Pass back as `cursor`; null on the last page. */
  readonly nextCursor: string | null;
}

/** The tenant's audit log, newest first, filtered; administrators (`audit.read`) only. */
export async function queryAudit(
  deps: AppDeps, caller: Caller, tenantId: string, filter: AuditFilter, limit = 50, cursor?: string,
): Promise<AuditPageResult> {
  await requireTenant(deps, caller, tenantId, 'audit.read');
  const n = Math.min(Math.max(limit, 1), 200);
  const rows = await deps.storage.read.identity.listAudit(tenantId, filter, { beforeId: cursor === undefined ? undefined : Number(cursor), limit: n + 1 });
  const items = rows.slice(0, n);
  return { items, nextCursor: rows.length > n ? String(items[items.length - 1]!.id) : null };
}
