import type { Permission } from '../../core/identity/permissions.js';
import { QUEUE_SCOPED } from '../../core/identity/permissions.js';
import { queueScope, type Caller } from '../caller.js';
import { SwitchboardError } from '../errors.js';

/**
 * Nobody hands out more than they hold: a caller may grant a permission (in a custom role, a role
 * assignment or an app consent) only if it holds that permission itself, on at least the queues
 * granted. Without this, `roles.write` alone would be a path to administrator.
 */
export function assertMayGrant(caller: Caller, permissions: readonly Permission[], queueIds: readonly string[] | null): void {
  if (caller.grants === undefined) return;
  const missing: string[] = [];
  for (const permission of permissions) {
    const scope = queueScope(caller, permission);
    if (scope === 'all') continue;
    const covered = QUEUE_SCOPED.has(permission) && queueIds !== null && scope.size > 0 && queueIds.every((q) => scope.has(q));
    if (!covered) missing.push(permission);
  }
  if (missing.length > 0) {
    throw new SwitchboardError('SB_ERR_FORBIDDEN', `You cannot grant permissions you do not hold: ${missing.join(', ')}.`, { permissions: missing });
  }
}
