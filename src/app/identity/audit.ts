import type { AuditOutcome } from '../../core/identity/identity-model.js';
import type { EventType } from '../../core/model.js';
import type { Caller } from '../caller.js';
import type { AppDeps } from '../deps.js';
import type { NewAuditEntry } from '../ports/identity-storage.js';
import type { StoreTx } from '../ports/storage.js';

export interface AuditRecord {
  readonly action: string;
  readonly targetType?: string | null | undefined;
  readonly targetId?: string | null | undefined;
  readonly outcome?: AuditOutcome | undefined;
  /** Ids, names, permissions, reasons: never a secret, a password or a token. */
  readonly details?: Readonly<Record<string, unknown>> | undefined;
}

export function auditEntry(caller: Caller, tenantId: string | null, record: AuditRecord, at: string): NewAuditEntry {
  return {
    tenantId,
    occurredAt: at,
    actorKind: caller.actor.kind,
    actorId: caller.actor.id,
    action: record.action,
    targetType: record.targetType ?? null,
    targetId: record.targetId ?? null,
    outcome: record.outcome ?? 'success',
    ip: caller.origin?.ip ?? null,
    userAgent: caller.origin?.userAgent ?? null,
    details: record.details ?? {},
  };
}

/** Appends an audit entry inside the transaction of the change it records: both or neither. */
export async function auditInTx(tx: StoreTx, caller: Caller, tenantId: string | null, record: AuditRecord, at: string): Promise<void> {
  await tx.identity.appendAudit(auditEntry(caller, tenantId, record, at));
}

/**
 * Appends an audit entry in a transaction of its own: for outcomes whose use case writes nothing
 * else (a denied request, a failed sign-in), which must be recorded although the request fails.
 */
export async function audit(deps: Pick<AppDeps, 'storage' | 'clock'>, caller: Caller, tenantId: string | null, record: AuditRecord): Promise<void> {
  const at = new Date(deps.clock.now()).toISOString();
  await deps.storage.transaction((tx) => tx.identity.appendAudit(auditEntry(caller, tenantId, record, at)));
}

export function recordDenied(deps: Pick<AppDeps, 'storage' | 'clock'>, caller: Caller, tenantId: string | null, permission: string): Promise<void> {
  return audit(deps, caller, tenantId, { action: 'access.denied', outcome: 'denied', details: { permission } });
}

/**
 * Configuration events that are administrative changes. `commit()` audits them in the same
 * transaction, so no administrative use case can forget to; identity use cases, which emit no
 * conversation-model events, write their own entries with `auditInTx`.
 */
const ADMINISTRATIVE_EVENTS: ReadonlySet<EventType> = new Set<EventType>([
  'tenant.created', 'channel.created', 'channel.updated', 'channel.secret_created', 'channel.secret_revoked', 'agent.created', 'agent.updated', 'queue.created', 'queue.updated',
  'queue.deleted', 'queue.member_added', 'queue.member_removed', 'skill.created', 'workstream.created',
  'workstream.updated', 'workstream.deleted', 'quick_reply.created', 'quick_reply.updated', 'quick_reply.deleted',
]);

/** The audit entry an event implies, or undefined when it is not an administrative change. */
export function auditForEvent(type: EventType, payload: Readonly<Record<string, unknown>>): AuditRecord | undefined {
  if (!ADMINISTRATIVE_EVENTS.has(type)) return undefined;
  const [noun] = type.split('.') as [string];
  // Event nouns are snake_case (quick_reply), payload keys camelCase (quickReply).
  const field = noun.replace(/_([a-z])/g, (_, c: string) => c.toUpperCase());
  const subject = (payload[field] ?? payload) as Record<string, unknown>;
  const ownId = payload[`${field}Id`];
  const targetId = typeof subject.id === 'string' ? subject.id
    : typeof ownId === 'string' ? ownId
    : typeof subject.name === 'string' ? subject.name : null;
  const details: Record<string, unknown> = {};
  for (const key of ['queueId', 'agentId', 'channelId', 'secretId', 'hint', 'name', 'version']) if (key in payload) details[key] = payload[key];
  if (typeof subject.name === 'string') details.name = subject.name;
  return { action: type, targetType: noun, targetId, details };
}
