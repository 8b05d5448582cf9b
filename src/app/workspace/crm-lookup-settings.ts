import { checkCrmLookup, DEFAULT_CRM_TIMEOUT_MS, maskedHeaders, type CrmLookup } from '../../core/workspace/crm-lookup.js';
import type { Caller } from '../caller.js';
import type { AppDeps } from '../deps.js';
import { SwitchboardError } from '../errors.js';
import { auditInTx } from '../identity/audit.js';
import { requireTenant } from '../tenant-access.js';

const PERMISSION = 'integrations.configure';

export interface CrmLookupInput {
  readonly url: string;
  /** Omitted: keep the stored headers (their values are never shown again); null: none. */
  readonly headers?: Readonly<Record<string, string>> | null | undefined;
  readonly timeoutMs?: number | undefined;
}

/** The settings as administrators read them back: header values masked. */
export type CrmLookupView = Omit<CrmLookup, 'headers'> & { readonly headers: Record<string, string> };

function view(lookup: CrmLookup): CrmLookupView {
  return { ...lookup, headers: maskedHeaders(lookup.headers) };
}

/**
 * Sets the tenant's CRM lookup, replacing the previous one. Header values are secrets: they are
 * stored to be sent (as single sign-on client secrets are) and come back only as hints, so a
 * change of URL or timeout keeps them unless new ones are given. Audited without the values.
 */
export async function putCrmLookup(deps: AppDeps, caller: Caller, tenantId: string, input: CrmLookupInput): Promise<CrmLookupView> {
  await requireTenant(deps, caller, tenantId, PERMISSION);
  const at = new Date(deps.clock.now()).toISOString();
  return deps.storage.transaction(async (tx) => {
    const existing = await tx.workspace.getCrmLookup(tenantId);
    const headers = input.headers === undefined ? existing?.headers ?? {} : input.headers ?? {};
    const lookup: CrmLookup = { tenantId, url: input.url.trim(), headers: { ...headers }, timeoutMs: input.timeoutMs ?? DEFAULT_CRM_TIMEOUT_MS, updatedAt: at };
    const problems = checkCrmLookup(lookup);
    if (problems.length > 0) {
      throw new SwitchboardError('SB_ERR_INVALID_CRM_LOOKUP', `The CRM lookup settings are invalid: ${problems.map((p) => `${p.path} ${p.message}`).join('; ')}.`, { problems });
    }
    await tx.workspace.putCrmLookup(lookup);
    await auditInTx(tx, caller, tenantId, {
      action: 'crm_lookup.configured', targetType: 'tenant', targetId: tenantId,
      details: { url: lookup.url, headerNames: Object.keys(lookup.headers), timeoutMs: lookup.timeoutMs },
    }, at);
    return view(lookup);
  });
}

export async function getCrmLookup(deps: AppDeps, caller: Caller, tenantId: string): Promise<CrmLookupView> {
  await requireTenant(deps, caller, tenantId, PERMISSION);
  const lookup = await deps.storage.read.workspace.getCrmLookup(tenantId);
  if (!lookup) throw new SwitchboardError('SB_ERR_CRM_LOOKUP_NOT_CONFIGURED');
  return view(lookup);
}

export async function deleteCrmLookup(deps: AppDeps, caller: Caller, tenantId: string): Promise<void> {
  await requireTenant(deps, caller, tenantId, PERMISSION);
  await deps.storage.transaction(async (tx) => {
    if (!(await tx.workspace.deleteCrmLookup(tenantId))) throw new SwitchboardError('SB_ERR_CRM_LOOKUP_NOT_CONFIGURED');
    await auditInTx(tx, caller, tenantId, { action: 'crm_lookup.deleted', targetType: 'tenant', targetId: tenantId }, new Date(deps.clock.now()).toISOString());
  });
}
