import type { Permission } from './permissions.js';
import { QUEUE_SCOPED } from './permissions.js';

/** Where a permission holds: everywhere in the tenant, or only on these queues. */
export type QueueScope = 'all' | ReadonlySet<string>;

/** One role as held by a principal: its permissions and, for scoped roles, the queues. */
export interface HeldRole {
  readonly permissions: readonly Permission[];
  /** null: the whole tenant. A list: queue-scoped permissions hold only on these queues. */
  readonly queueIds: readonly string[] | null;
}

/** What a principal may do in one tenant: each permission with the scope it holds in. */
export interface Grants {
  readonly scopes: ReadonlyMap<Permission, QueueScope>;
}

export const NO_GRANTS: Grants = Object.freeze({ scopes: new Map() });

function unionScope(a: QueueScope | undefined, b: QueueScope): QueueScope {
  if (a === undefined) return b;
  if (a === 'all' || b === 'all') return 'all';
  return new Set([...a, ...b]);
}

/**
 * The union of every role a principal holds (directly and through groups). A permission that is
 * not queue-scoped holds tenant-wide whatever the role's queue list says: a supervisor scoped to
 * two queues still reads the tenant's channels.
 */
export function combineRoles(roles: readonly HeldRole[]): Grants {
  const scopes = new Map<Permission, QueueScope>();
  for (const role of roles) {
    const scope: QueueScope = role.queueIds === null ? 'all' : new Set(role.queueIds);
    for (const permission of role.permissions) {
      scopes.set(permission, unionScope(scopes.get(permission), QUEUE_SCOPED.has(permission) ? scope : 'all'));
    }
  }
  return { scopes };
}

/**
 * Keeps only the permissions in `allowed` (an application's consented permissions, or the scopes
 * a delegated token carries): a token never widens what its principal may do.
 */
export function restrictGrants(grants: Grants, allowed: Iterable<Permission>): Grants {
  const keep = new Set(allowed);
  return { scopes: new Map([...grants.scopes].filter(([permission]) => keep.has(permission))) };
}

/** Scopes the queue-scoped permissions of `grants` to `queueIds` (an agent's own queues). */
export function narrowToQueues(grants: Grants, queueIds: readonly string[]): Grants {
  const within = new Set(queueIds);
  const scopes = new Map<Permission, QueueScope>();
  for (const [permission, scope] of grants.scopes) {
    if (!QUEUE_SCOPED.has(permission)) scopes.set(permission, scope);
    else scopes.set(permission, scope === 'all' ? within : new Set([...scope].filter((q) => within.has(q))));
  }
  return { scopes };
}

/** The scope a permission holds in, or undefined when it is not held at all. */
export function scopeOf(grants: Grants, permission: Permission): QueueScope | undefined {
  return grants.scopes.get(permission);
}

/**
 * Whether the permission holds on a resource of `queueId`. A resource outside every queue (null)
 * is reachable only with a tenant-wide scope.
 */
export function allowsOn(grants: Grants, permission: Permission, queueId: string | null): boolean {
  const scope = grants.scopes.get(permission);
  if (scope === undefined) return false;
  if (scope === 'all') return true;
  return queueId !== null && scope.has(queueId);
}
