import type { ContextVariable } from '../../core/model.js';
import type { Caller } from '../caller.js';
import { lockConversation } from '../conversation-lock.js';
import type { AppDeps } from '../deps.js';
import { requireTenant } from '../tenant-access.js';
import { commit } from '../unit-of-work.js';
import { checkContextPatch, type ContextPatch } from './check-context.js';

/** Sets (or, with null, removes) context variables; all of them apply or none does. */
export async function setContext(
  deps: AppDeps, caller: Caller, tenantId: string, conversationId: string, patch: ContextPatch,
): Promise<ContextVariable[]> {
  await requireTenant(deps, caller, tenantId, 'conversations.write');
  const checked = checkContextPatch(patch);
  return commit(deps, caller, async (tx, emit, now) => {
    await lockConversation(tx, caller, tenantId, conversationId, true);
    for (const variable of checked.set) await tx.setContextVariable(tenantId, conversationId, variable, now);
    for (const name of checked.remove) await tx.deleteContextVariable(tenantId, conversationId, name);
    if (checked.set.length + checked.remove.length > 0) {
      await emit('context.updated', tenantId, conversationId, { set: checked.set, removed: checked.remove });
    }
    return tx.getContext(tenantId, conversationId);
  });
}
