import type { Grants, QueueScope } from '../core/identity/grants.js';
import { allowsOn, scopeOf } from '../core/identity/grants.js';
import type { Permission } from '../core/identity/permissions.js';
import type { Actor } from '../core/model.js';
import { SwitchboardError, type ErrorCode } from './errors.js';

/** Where a request came from, for the audit log. */
export interface Origin {
  readonly ip: string | null;
  readonly userAgent: string | null;
}

/**
 * Who is calling a use case. Platform administrators (the bootstrap API key) and the system act on
 * every tenant with every permission (`grants` undefined). Everyone else, people signed in with a
 * session or a delegated token and applications with their own token, belongs to exactly one
 * tenant and holds the `grants` their roles, consent and token scopes allow there.
 */
export interface Caller {
  readonly actor: Actor;
  readonly tenants: 'all' | readonly string[];
  readonly isPlatformAdmin: boolean;
  /** What the caller may do in its tenant; undefined means everything (platform, system). */
  readonly grants?: Grants | undefined;
  /** The routing agent a signed-in person works as: "own" presence and offers are this agent's. */
  readonly agentId?: string | null | undefined;
  readonly origin?: Origin | undefined;
}

export const SYSTEM_CALLER: Caller = Object.freeze({
  actor: Object.freeze({ kind: 'system', id: null }),
  tenants: 'all',
  isPlatformAdmin: true,
});

/** A tenant the caller may not see is reported as missing, so ids never leak across tenants. */
export function assertTenantAccess(caller: Caller, tenantId: string): void {
  if (caller.tenants === 'all' || caller.tenants.includes(tenantId)) return;
  throw new SwitchboardError('SB_ERR_TENANT_NOT_FOUND');
}

export function assertPlatformAdmin(caller: Caller): void {
  if (!caller.isPlatformAdmin) throw new SwitchboardError('SB_ERR_FORBIDDEN', 'Only a platform administrator may do this.');
}

/** Whether the caller holds the permission at all (in any scope). */
export function holds(caller: Caller, permission: Permission): boolean {
  return caller.grants === undefined || scopeOf(caller.grants, permission) !== undefined;
}

/** The queues on which the caller holds the permission: 'all', a set, or none (empty set). */
export function queueScope(caller: Caller, permission: Permission): QueueScope {
  if (caller.grants === undefined) return 'all';
  return scopeOf(caller.grants, permission) ?? new Set();
}

/** Whether the permission holds on a resource that belongs to `queueId` (null: to no queue). */
export function allowedOn(caller: Caller, permission: Permission, queueId: string | null): boolean {
  return caller.grants === undefined || allowsOn(caller.grants, permission, queueId);
}

/**
 * For a resource found in the tenant but outside the caller's queue scope: it is reported as
 * missing, exactly like a resource of another tenant, so a scoped supervisor cannot probe which
 * conversations exist in other queues.
 */
export function assertOnQueue(caller: Caller, permission: Permission, queueId: string | null, notFound: ErrorCode): void {
  if (!allowedOn(caller, permission, queueId)) throw new SwitchboardError(notFound);
}

/** Whether the caller acts as this agent (a person on their own presence and offers). */
export function isSelf(caller: Caller, agentId: string): boolean {
  return caller.agentId !== undefined && caller.agentId !== null && caller.agentId === agentId;
}
