import type { Presence } from '../../../core/routing/agent-selection.js';
import type {
  ItemStatus, Offer, OfferStatus, RoutingDecision, RoutingItem, Skill, Workstream,
} from '../../../core/routing/routing-model.js';
import type { AgentPatch, AgentStatus, QueuePatch, RoutingTx } from '../../../app/ports/routing-storage.js';
import type { Row, SqlExecutor } from './sql-driver.js';
import { LIVE_ROUTING_ITEM, onlyLiveItemStatuses } from './live-rows.js';
import { isoOrNull } from './sql-values.js';

const ms = (iso: string): number => Date.parse(iso);
const iso = (value: unknown): string => new Date(Number(value)).toISOString();
const numOrNull = (value: unknown): number | null => (value === null || value === undefined ? null : Number(value));
const strOrNull = (value: unknown): string | null => (value === null || value === undefined ? null : (value as string));

const ITEM_COLUMNS =
  'conversation_id, tenant_id, workstream_id, queue_id, status, priority, required_skills, cost, entered_at, order_at, ' +
  'preferred_agent_id, preferred_until, excluded, overflow_applied, skills_dropped, callback_requested_at, agent_id, offer_id, updated_at';
/** Every column but the key, written whole by `updateRoutingItem` (built once, not per call). */
const UPDATE_ITEM = `UPDATE routing_items SET ${ITEM_COLUMNS.split(', ').slice(1).map((c) => `${c} = ?`).join(', ')} ` +
  'WHERE conversation_id = ? AND tenant_id = ? AND status = ?';
const OFFER_COLUMNS = 'id, tenant_id, conversation_id, agent_id, queue_id, status, created_at, expires_at, resolved_at';
const WORKSTREAM_COLUMNS = 'id, tenant_id, name, definition, fallback_queue_id, version, created_at, updated_at';

/** The part of a workstream kept as one JSON document: read and written whole, never queried into. */
type WorkstreamDefinition = Omit<Workstream, 'id' | 'tenantId' | 'name' | 'fallbackQueueId' | 'version' | 'createdAt' | 'updatedAt'>;

/** Routing tables in plain SQL shared by SQLite and PostgreSQL; every statement filters on the tenant. */
export class SqlRoutingStore implements RoutingTx {
  constructor(private readonly db: SqlExecutor) {}

  // ---- skills and agents ------------------------------------------------------------------
  async listSkills(tenantId: string): Promise<Skill[]> {
    const rows = await this.db.all('SELECT tenant_id, name, description, created_at FROM skills WHERE tenant_id = ? ORDER BY name', [tenantId]);
    return rows.map((r) => ({ tenantId: String(r.tenant_id), name: String(r.name), description: strOrNull(r.description), createdAt: iso(r.created_at) }));
  }
  async getAgentStatus(tenantId: string, agentId: string): Promise<AgentStatus | undefined> {
    const r = await this.db.get(
      'SELECT presence, presence_since, created_at, used_capacity, last_assigned_at, missed_offers FROM agents WHERE id = ? AND tenant_id = ?',
      [agentId, tenantId],
    );
    return r && toAgentStatus(r);
  }
  async insertSkill(s: Skill): Promise<boolean> {
    const changed = await this.db.run('INSERT INTO skills (tenant_id, name, description, created_at) VALUES (?, ?, ?, ?) ON CONFLICT DO NOTHING', [
      s.tenantId, s.name, s.description, ms(s.createdAt),
    ]);
    return changed === 1;
  }
  async setAgentSkills(tenantId: string, agentId: string, skills: Readonly<Record<string, number>>): Promise<void> {
    await this.db.run('DELETE FROM agent_skills WHERE agent_id = ? AND tenant_id = ?', [agentId, tenantId]);
    if (Object.keys(skills).length === 0) return;
    // The key is (agent_id, skill) without the tenant: rows written under another tenant's id would
    // show up among the real owner's skills, so only the tenant's own agent gets any.
    if (!(await this.db.get('SELECT id FROM agents WHERE id = ? AND tenant_id = ?', [agentId, tenantId]))) return;
    for (const [skill, proficiency] of Object.entries(skills)) {
      await this.db.run('INSERT INTO agent_skills (agent_id, skill, tenant_id, proficiency) VALUES (?, ?, ?, ?)', [agentId, skill, tenantId, proficiency]);
    }
  }
  async updateAgent(tenantId: string, agentId: string, patch: AgentPatch): Promise<void> {
    const { sets, params } = given([
      ['display_name', patch.displayName], ['email', patch.email], ['capacity', patch.capacity],
      ['attributes', patch.attributes === undefined ? undefined : JSON.stringify(patch.attributes)], ['app_id', patch.appId],
    ]);
    if (sets.length === 0) return;
    await this.db.run(`UPDATE agents SET ${sets.join(', ')} WHERE id = ? AND tenant_id = ?`, [...params, agentId, tenantId]);
  }
  async setAgentPresence(tenantId: string, agentId: string, presence: Presence, at: string): Promise<void> {
    await this.db.run('UPDATE agents SET presence = ?, presence_since = ? WHERE id = ? AND tenant_id = ?', [presence, ms(at), agentId, tenantId]);
  }
  async reserveCapacity(tenantId: string, agentId: string, cost: number, presences: readonly Presence[], at: string): Promise<boolean> {
    // No presence qualifies; and `IN ()` is an error on PostgreSQL while SQLite accepts it.
    if (presences.length === 0) return false;
    const changed = await this.db.run(
      `UPDATE agents SET used_capacity = used_capacity + ?, last_assigned_at = ?
       WHERE id = ? AND tenant_id = ? AND used_capacity + ? <= capacity AND presence IN (${presences.map(() => '?').join(', ')})`,
      [cost, ms(at), agentId, tenantId, cost, ...presences],
    );
    return changed === 1;
  }
  async releaseCapacity(tenantId: string, agentId: string, cost: number): Promise<void> {
    await this.db.run(
      'UPDATE agents SET used_capacity = CASE WHEN used_capacity > ? THEN used_capacity - ? ELSE 0 END WHERE id = ? AND tenant_id = ?',
      [cost, cost, agentId, tenantId],
    );
  }
  async setMissedOffers(tenantId: string, agentId: string, missed: number): Promise<void> {
    await this.db.run('UPDATE agents SET missed_offers = ? WHERE id = ? AND tenant_id = ?', [missed, agentId, tenantId]);
  }

  // ---- workstreams ------------------------------------------------------------------------
  async listWorkstreams(tenantId: string): Promise<Workstream[]> {
    return (await this.db.all(`SELECT ${WORKSTREAM_COLUMNS} FROM workstreams WHERE tenant_id = ? ORDER BY id`, [tenantId])).map(toWorkstream);
  }
  async getWorkstream(tenantId: string, id: string): Promise<Workstream | undefined> {
    const row = await this.db.get(`SELECT ${WORKSTREAM_COLUMNS} FROM workstreams WHERE id = ? AND tenant_id = ?`, [id, tenantId]);
    return row && toWorkstream(row);
  }
  async insertWorkstream(w: Workstream): Promise<void> {
    await this.db.run(`INSERT INTO workstreams (${WORKSTREAM_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?)`, [
      w.id, w.tenantId, w.name, JSON.stringify(definitionOf(w)), w.fallbackQueueId, w.version, ms(w.createdAt), ms(w.updatedAt),
    ]);
  }
  async updateWorkstream(w: Workstream, expectedVersion: number): Promise<boolean> {
    const changed = await this.db.run(
      'UPDATE workstreams SET name = ?, definition = ?, fallback_queue_id = ?, version = ?, updated_at = ? WHERE id = ? AND tenant_id = ? AND version = ?',
      [w.name, JSON.stringify(definitionOf(w)), w.fallbackQueueId, w.version, ms(w.updatedAt), w.id, w.tenantId, expectedVersion],
    );
    return changed === 1;
  }
  async deleteWorkstream(tenantId: string, id: string): Promise<boolean> {
    await this.db.run('DELETE FROM routing_queue_refs WHERE referrer_id = ? AND tenant_id = ?', [id, tenantId]);
    return (await this.db.run('DELETE FROM workstreams WHERE id = ? AND tenant_id = ?', [id, tenantId])) === 1;
  }
  async setQueueRefs(tenantId: string, referrerId: string, queueIds: readonly string[]): Promise<void> {
    await this.db.run('DELETE FROM routing_queue_refs WHERE referrer_id = ? AND tenant_id = ?', [referrerId, tenantId]);
    const wanted = [...new Set(queueIds)];
    if (wanted.length === 0) return;
    // Only the tenant's own queues: a reference to another tenant's queue would be invisible to that
    // tenant's referrer check, yet its foreign key would make deleting the queue fail.
    const own = new Set((await this.db.all<{ id: string }>(
      `SELECT id FROM queues WHERE tenant_id = ? AND id IN (${wanted.map(() => '?').join(', ')})`, [tenantId, ...wanted],
    )).map((r) => r.id));
    for (const queueId of wanted) {
      if (!own.has(queueId)) continue;
      await this.db.run('INSERT INTO routing_queue_refs (referrer_id, queue_id, tenant_id) VALUES (?, ?, ?)', [referrerId, queueId, tenantId]);
    }
  }
  async listQueueReferrers(tenantId: string, queueId: string): Promise<string[]> {
    const rows = await this.db.all<{ referrer_id: string }>(
      'SELECT referrer_id FROM routing_queue_refs WHERE queue_id = ? AND tenant_id = ? ORDER BY referrer_id', [queueId, tenantId],
    );
    return rows.map((r) => r.referrer_id);
  }

  // ---- queues -----------------------------------------------------------------------------
  async updateQueue(tenantId: string, queueId: string, patch: QueuePatch, expectedVersion: number, at: string): Promise<boolean> {
    void at;
    const { sets, params } = given([
      ['name', patch.name], ['priority', patch.priority], ['routing', patch.routing === undefined ? undefined : JSON.stringify(patch.routing)],
    ]);
    sets.push('version = version + 1');
    const changed = await this.db.run(`UPDATE queues SET ${sets.join(', ')} WHERE id = ? AND tenant_id = ? AND version = ?`, [
      ...params, queueId, tenantId, expectedVersion,
    ]);
    return changed === 1;
  }
  async deleteQueue(tenantId: string, queueId: string): Promise<boolean> {
    await this.db.run('DELETE FROM queue_members WHERE queue_id = ? AND tenant_id = ?', [queueId, tenantId]);
    await this.db.run('DELETE FROM routing_queue_refs WHERE referrer_id = ? AND tenant_id = ?', [queueId, tenantId]);
    return (await this.db.run('DELETE FROM queues WHERE id = ? AND tenant_id = ?', [queueId, tenantId])) === 1;
  }
  async removeQueueMember(tenantId: string, queueId: string, agentId: string): Promise<boolean> {
    return (await this.db.run('DELETE FROM queue_members WHERE queue_id = ? AND agent_id = ? AND tenant_id = ?', [queueId, agentId, tenantId])) === 1;
  }
  async setRoundRobinPointer(tenantId: string, queueId: string, agentId: string): Promise<void> {
    await this.db.run('UPDATE queues SET rr_last_agent_id = ? WHERE id = ? AND tenant_id = ?', [agentId, queueId, tenantId]);
  }
  async listRoundRobinPointers(tenantId: string): Promise<Map<string, string>> {
    const rows = await this.db.all<{ id: string; rr_last_agent_id: string }>(
      'SELECT id, rr_last_agent_id FROM queues WHERE tenant_id = ? AND rr_last_agent_id IS NOT NULL', [tenantId],
    );
    return new Map(rows.map((r) => [r.id, r.rr_last_agent_id]));
  }

  // ---- routing items ----------------------------------------------------------------------
  async getRoutingItem(tenantId: string, conversationId: string): Promise<RoutingItem | undefined> {
    const row = await this.db.get(`SELECT ${ITEM_COLUMNS} FROM routing_items WHERE conversation_id = ? AND tenant_id = ?`, [conversationId, tenantId]);
    return row && toItem(row);
  }
  async listRoutingItems(tenantId: string, statuses: readonly ItemStatus[]): Promise<RoutingItem[]> {
    if (statuses.length === 0) return [];
    const rows = await this.db.all(
      `SELECT ${ITEM_COLUMNS} FROM routing_items WHERE tenant_id = ? AND status IN (${statuses.map(() => '?').join(', ')})${onlyLiveItemStatuses(statuses) ? ` AND ${LIVE_ROUTING_ITEM}` : ''} ORDER BY conversation_id`,
      [tenantId, ...statuses],
    );
    return rows.map(toItem);
  }
  async insertRoutingItem(item: RoutingItem): Promise<void> {
    await this.db.run(`INSERT INTO routing_items (${ITEM_COLUMNS}) VALUES (${Array(19).fill('?').join(', ')})`, [item.conversationId, ...itemValues(item)]);
  }
  async updateRoutingItem(item: RoutingItem, expectedStatus: ItemStatus): Promise<boolean> {
    const changed = await this.db.run(UPDATE_ITEM, [...itemValues(item), item.conversationId, item.tenantId, expectedStatus]);
    return changed === 1;
  }

  // ---- offers -----------------------------------------------------------------------------
  async getOffer(tenantId: string, id: string): Promise<Offer | undefined> {
    const row = await this.db.get(`SELECT ${OFFER_COLUMNS} FROM offers WHERE id = ? AND tenant_id = ?`, [id, tenantId]);
    return row && toOffer(row);
  }
  async listOffers(tenantId: string, filter: { agentId?: string | undefined; status?: OfferStatus | undefined }): Promise<Offer[]> {
    const { sets: where, params } = given([['tenant_id', tenantId], ['status', filter.status], ['agent_id', filter.agentId]]);
    const rows = await this.db.all(`SELECT ${OFFER_COLUMNS} FROM offers WHERE ${where.join(' AND ')} ORDER BY created_at, id LIMIT 1000`, params);
    return rows.map(toOffer);
  }
  async listOffersOfConversation(tenantId: string, conversationId: string): Promise<Offer[]> {
    const rows = await this.db.all(`SELECT ${OFFER_COLUMNS} FROM offers WHERE conversation_id = ? AND tenant_id = ? ORDER BY created_at, id`, [conversationId, tenantId]);
    return rows.map(toOffer);
  }
  async insertOffer(o: Offer): Promise<void> {
    await this.db.run(`INSERT INTO offers (${OFFER_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`, [
      o.id, o.tenantId, o.conversationId, o.agentId, o.queueId, o.status, ms(o.createdAt), ms(o.expiresAt), o.resolvedAt === null ? null : ms(o.resolvedAt),
    ]);
  }
  async resolveOffer(tenantId: string, offerId: string, status: Exclude<OfferStatus, 'pending'>, at: string): Promise<boolean> {
    const changed = await this.db.run("UPDATE offers SET status = ?, resolved_at = ? WHERE id = ? AND tenant_id = ? AND status = 'pending'", [
      status, ms(at), offerId, tenantId,
    ]);
    return changed === 1;
  }

  // ---- decisions --------------------------------------------------------------------------
  async insertDecision(d: RoutingDecision): Promise<void> {
    await this.db.run('INSERT INTO routing_decisions (id, tenant_id, conversation_id, kind, at, explanation) VALUES (?, ?, ?, ?, ?, ?)', [
      d.id, d.tenantId, d.conversationId, d.kind, ms(d.at), JSON.stringify(d.explanation),
    ]);
  }
  async listDecisions(tenantId: string, conversationId: string, limit: number): Promise<RoutingDecision[]> {
    const rows = await this.db.all(
      'SELECT id, tenant_id, conversation_id, kind, at, explanation FROM routing_decisions WHERE conversation_id = ? AND tenant_id = ? ORDER BY id LIMIT ?',
      [conversationId, tenantId, limit],
    );
    return rows.map((r) => ({
      id: String(r.id), tenantId: String(r.tenant_id), conversationId: String(r.conversation_id), kind: r.kind as RoutingDecision['kind'],
      at: iso(r.at), explanation: JSON.parse(r.explanation as string) as Record<string, unknown>,
    }));
  }
  async setConversationQueue(tenantId: string, conversationId: string, queueId: string | null, priority: number, at: string): Promise<void> {
    await this.db.run('UPDATE conversations SET queue_id = ?, priority = ?, updated_at = ? WHERE id = ? AND tenant_id = ?', [
      queueId, priority, ms(at), conversationId, tenantId,
    ]);
  }
}

/** `column = ?` for each pair whose value is given (undefined means "leave out"), with the values in order. */
function given(pairs: readonly (readonly [string, unknown])[]): { sets: string[]; params: unknown[] } {
  const present = pairs.filter(([, value]) => value !== undefined);
  return { sets: present.map(([column]) => `${column} = ?`), params: present.map(([, value]) => value) };
}

function definitionOf(w: Workstream): WorkstreamDefinition {
  const { id: _id, tenantId: _t, name: _n, fallbackQueueId: _f, version: _v, createdAt: _c, updatedAt: _u, ...definition } = w;
  return definition;
}

function toWorkstream(r: Row): Workstream {
  const definition = JSON.parse(r.definition as string) as Partial<WorkstreamDefinition>;
  return {
    // Definitions saved before a field existed get its default.
    ...({ capacityProfiles: {} } satisfies Partial<WorkstreamDefinition>),
    ...(definition as WorkstreamDefinition),
    id: String(r.id), tenantId: String(r.tenant_id), name: String(r.name),
    fallbackQueueId: String(r.fallback_queue_id), version: Number(r.version), createdAt: iso(r.created_at), updatedAt: iso(r.updated_at),
  };
}

/** The status columns of an agents row (with `created_at`, the presence's start until it first changes); `toAgent` builds on it. */
export function toAgentStatus(r: Row): AgentStatus {
  return {
    presence: r.presence as Presence, presenceSince: iso(r.presence_since ?? r.created_at), usedCapacity: Number(r.used_capacity),
    lastAssignedAt: isoOrNull(r.last_assigned_at), missedOffers: Number(r.missed_offers),
  };
}

function itemValues(i: RoutingItem): unknown[] {
  return [
    i.tenantId, i.workstreamId, i.queueId, i.status, i.priority, JSON.stringify(i.requiredSkills), i.cost, i.enteredAt, i.orderAt,
    i.preferredAgentId, i.preferredUntil, JSON.stringify(i.excluded), JSON.stringify(i.overflowApplied), i.skillsDropped ? 1 : 0,
    i.callbackRequestedAt, i.agentId, i.offerId, i.updatedAt,
  ];
}

function toItem(r: Row): RoutingItem {
  return {
    conversationId: String(r.conversation_id), tenantId: String(r.tenant_id), workstreamId: String(r.workstream_id), queueId: String(r.queue_id),
    status: r.status as ItemStatus, priority: Number(r.priority), requiredSkills: JSON.parse(r.required_skills as string) as RoutingItem['requiredSkills'],
    cost: Number(r.cost), enteredAt: Number(r.entered_at), orderAt: Number(r.order_at), preferredAgentId: strOrNull(r.preferred_agent_id),
    preferredUntil: numOrNull(r.preferred_until), excluded: JSON.parse(r.excluded as string) as Record<string, number>,
    overflowApplied: JSON.parse(r.overflow_applied as string) as string[], skillsDropped: Number(r.skills_dropped) === 1,
    callbackRequestedAt: numOrNull(r.callback_requested_at), agentId: strOrNull(r.agent_id), offerId: strOrNull(r.offer_id), updatedAt: Number(r.updated_at),
  };
}

function toOffer(r: Row): Offer {
  return {
    id: String(r.id), tenantId: String(r.tenant_id), conversationId: String(r.conversation_id), agentId: String(r.agent_id), queueId: String(r.queue_id),
    status: r.status as OfferStatus, createdAt: iso(r.created_at), expiresAt: iso(r.expires_at), resolvedAt: r.resolved_at === null || r.resolved_at === undefined ? null : iso(r.resolved_at),
  };
}
