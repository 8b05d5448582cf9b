import type { ConversationState } from '../../../core/conversation-lifecycle.js';
import type {
  Agent, Channel, Contact, ContactIdentity, ContextVariable, Conversation, Message, Participant,
  Queue, StoredAttachment, SwitchboardEvent, Tenant,
} from '../../../core/model.js';
import type { ApiKeyRecord, ConversationFilter, NewEvent, PageRequest, StoreTx } from '../../../app/ports/storage.js';
import type { Row, SqlDialect, SqlExecutor } from './sql-driver.js';
import { LIVE_CONVERSATION, onlyLiveConversationStates } from './live-rows.js';
import { DEFAULT_QUEUE_ROUTING, type QueueRouting } from '../../../core/routing/routing-model.js';
import { SqlIdentityStore } from './sql-identity-store.js';
import { SqlWebchatStore } from './sql-webchat-store.js';
import { SqlBotStore } from './sql-bot-store.js';
import { SqlRoutingStore, toAgentStatus } from './sql-routing-store.js';
import { SqlWorkspaceStore } from './sql-workspace-store.js';
import { SqlMessageRevisionStore } from './sql-message-revision-store.js';
import { MESSAGE_COLUMNS, MESSAGE_PLACEHOLDERS, messageValues, toMessage } from './sql-message-rows.js';

const ms = (iso: string): number => Date.parse(iso);
const iso = (value: unknown): string => new Date(Number(value)).toISOString();
const isoOrNull = (value: unknown): string | null => (value === null || value === undefined ? null : iso(value));
const str = (value: unknown): string => value as string;
const strOrNull = (value: unknown): string | null => (value === null || value === undefined ? null : (value as string));
const json = <T>(value: unknown): T => JSON.parse(value as string) as T;

const CONVERSATION_COLUMNS =
  'id, tenant_id, channel_id, contact_id, state, queue_id, subject, priority, last_seq, created_at, updated_at, closed_at';
const PARTICIPANT_COLUMNS = 'id, tenant_id, conversation_id, role, ref_id, display_name, audience, joined_at, left_at';
const EVENT_COLUMNS = 'id, tenant_id, type, conversation_id, actor, occurred_at, payload';
const AGENT_COLUMNS =
  'id, tenant_id, kind, display_name, email, capacity, used_capacity, presence, presence_since, attributes, last_assigned_at, missed_offers, created_at, app_id';
const QUEUE_COLUMNS = 'id, tenant_id, name, priority, routing, version, created_at';

/** Tenants already read (see SqlStore's constructor); `fill` is true only for the store outside transactions. */
export interface KnownTenants {
  readonly tenants: Map<string, Tenant>;
  readonly fill: boolean;
}

/**
 * The conversation store in plain SQL shared by both databases. Every query about tenant data
 * filters on `tenant_id`, so an id from another tenant finds nothing.
 */
export class SqlStore implements StoreTx {
  readonly routing: SqlRoutingStore;
  readonly identity: SqlIdentityStore;
  readonly webchat: SqlWebchatStore;
  readonly bots: SqlBotStore;
  readonly workspace: SqlWorkspaceStore;
  readonly messageRevisions: SqlMessageRevisionStore;

  /**
   * `knownTenants`: tenants this storage has already read, shared by every store of one
   * SqlStorage. A tenant is never updated or deleted (there is no such operation), so once a
   * committed read has found one, every process may answer from memory instead of asking the
   * database on each request (every use case checks its tenant first: 9,500 reads per B2 round).
   * Only the store outside transactions fills it, so a tenant inserted by a transaction that then
   * rolls back is never remembered; misses are never remembered either, so it holds real tenants only.
   */
  constructor(private readonly db: SqlExecutor, private readonly dialect: SqlDialect, private readonly knownTenants: KnownTenants | null = null) {
    this.routing = new SqlRoutingStore(db);
    this.identity = new SqlIdentityStore(db);
    this.webchat = new SqlWebchatStore(db);
    this.bots = new SqlBotStore(db);
    this.workspace = new SqlWorkspaceStore(db);
    this.messageRevisions = new SqlMessageRevisionStore(db);
  }

  /**
   * One query at a time: inside a transaction the executor is a single connection, and pg
   * refuses (from version 9; warns today) a query issued while another is still running.
   */
  private async sequentially<T>(rows: Row[], read: (row: Row) => Promise<T>): Promise<T[]> {
    const out: T[] = [];
    for (const row of rows) out.push(await read(row));
    return out;
  }

  // ---- tenants and keys -------------------------------------------------------------------
  async getTenant(id: string): Promise<Tenant | undefined> {
    const known = this.knownTenants?.tenants.get(id);
    if (known) return known;
    const row = await this.db.get('SELECT id, name, created_at FROM tenants WHERE id = ?', [id]);
    const tenant = row && toTenant(row);
    if (tenant && this.knownTenants?.fill) this.knownTenants.tenants.set(id, tenant);
    return tenant;
  }
  async listTenants(): Promise<Tenant[]> {
    return (await this.db.all('SELECT id, name, created_at FROM tenants ORDER BY id')).map(toTenant);
  }
  async insertTenant(t: Tenant): Promise<void> {
    await this.db.run('INSERT INTO tenants (id, name, created_at) VALUES (?, ?, ?)', [t.id, t.name, ms(t.createdAt)]);
  }
  async countApiKeys(): Promise<number> {
    const row = await this.db.get<{ n: unknown }>('SELECT COUNT(*) AS n FROM api_keys');
    return Number(row?.n ?? 0);
  }
  async getApiKey(id: string): Promise<ApiKeyRecord | undefined> {
    const row = await this.db.get('SELECT id, secret_hash, label, created_at, revoked_at FROM api_keys WHERE id = ?', [id]);
    return row && { id: str(row.id), secretHash: str(row.secret_hash), label: str(row.label), createdAt: iso(row.created_at), revokedAt: isoOrNull(row.revoked_at) };
  }
  async insertApiKey(k: ApiKeyRecord): Promise<void> {
    await this.db.run('INSERT INTO api_keys (id, secret_hash, label, created_at, revoked_at) VALUES (?, ?, ?, ?, ?)', [
      k.id, k.secretHash, k.label, ms(k.createdAt), k.revokedAt === null ? null : ms(k.revokedAt),
    ]);
  }

  // ---- channels ---------------------------------------------------------------------------
  async getChannel(tenantId: string, id: string): Promise<Channel | undefined> {
    const row = await this.db.get('SELECT id, tenant_id, type, name, config, created_at FROM channels WHERE id = ? AND tenant_id = ?', [id, tenantId]);
    return row && toChannel(row);
  }
  async listChannels(tenantId: string): Promise<Channel[]> {
    return (await this.db.all('SELECT id, tenant_id, type, name, config, created_at FROM channels WHERE tenant_id = ? ORDER BY id', [tenantId])).map(toChannel);
  }
  async insertChannel(c: Channel): Promise<void> {
    await this.db.run('INSERT INTO channels (id, tenant_id, type, name, config, created_at) VALUES (?, ?, ?, ?, ?, ?)', [
      c.id, c.tenantId, c.type, c.name, JSON.stringify(c.config), ms(c.createdAt),
    ]);
  }
  async updateChannel(tenantId: string, id: string, patch: { readonly name?: string | undefined; readonly config?: Readonly<Record<string, unknown>> | undefined }): Promise<void> {
    if (patch.name !== undefined) await this.db.run('UPDATE channels SET name = ? WHERE id = ? AND tenant_id = ?', [patch.name, id, tenantId]);
    if (patch.config !== undefined) await this.db.run('UPDATE channels SET config = ? WHERE id = ? AND tenant_id = ?', [JSON.stringify(patch.config), id, tenantId]);
  }


  // ---- contacts ---------------------------------------------------------------------------
  async getContact(tenantId: string, id: string): Promise<Contact | undefined> {
    const row = await this.db.get('SELECT id, tenant_id, display_name, attributes, created_at FROM contacts WHERE id = ? AND tenant_id = ?', [id, tenantId]);
    return row && this.withIdentities(row);
  }
  async findContactByIdentity(tenantId: string, identity: ContactIdentity): Promise<Contact | undefined> {
    const row = await this.db.get<{ contact_id: string }>(
      'SELECT contact_id FROM contact_identities WHERE tenant_id = ? AND channel_type = ? AND address = ?',
      [tenantId, identity.channelType, identity.address],
    );
    return row && this.getContact(tenantId, row.contact_id);
  }
  async listContacts(tenantId: string, page: PageRequest): Promise<Contact[]> {
    const rows = page.beforeId === undefined
      ? await this.db.all('SELECT id, tenant_id, display_name, attributes, created_at FROM contacts WHERE tenant_id = ? ORDER BY id DESC LIMIT ?', [tenantId, page.limit])
      : await this.db.all('SELECT id, tenant_id, display_name, attributes, created_at FROM contacts WHERE tenant_id = ? AND id < ? ORDER BY id DESC LIMIT ?', [tenantId, page.beforeId, page.limit]);
    return this.sequentially(rows, (r) => this.withIdentities(r));
  }
  async insertContact(c: Contact): Promise<boolean> {
    await this.db.run('INSERT INTO contacts (id, tenant_id, display_name, attributes, created_at) VALUES (?, ?, ?, ?, ?)', [
      c.id, c.tenantId, c.displayName, JSON.stringify(c.attributes), ms(c.createdAt),
    ]);
    for (const i of c.identities) {
      const changed = await this.db.run(
        'INSERT INTO contact_identities (tenant_id, channel_type, address, contact_id) VALUES (?, ?, ?, ?) ON CONFLICT DO NOTHING',
        [c.tenantId, i.channelType, i.address, c.id],
      );
      if (changed === 0) return false;
    }
    return true;
  }
  private async withIdentities(row: Row): Promise<Contact> {
    const identities = await this.db.all<{ channel_type: string; address: string }>(
      'SELECT channel_type, address FROM contact_identities WHERE contact_id = ? ORDER BY channel_type, address', [row.id],
    );
    return {
      id: str(row.id),
      tenantId: str(row.tenant_id),
      displayName: strOrNull(row.display_name),
      attributes: json(row.attributes),
      identities: identities.map((i) => ({ channelType: i.channel_type as ContactIdentity['channelType'], address: i.address })),
      createdAt: iso(row.created_at),
    };
  }

  // ---- conversations ----------------------------------------------------------------------
  async getConversation(tenantId: string, id: string): Promise<Conversation | undefined> {
    const row = await this.db.get(`SELECT ${CONVERSATION_COLUMNS} FROM conversations WHERE id = ? AND tenant_id = ?`, [id, tenantId]);
    return row && toConversation(row);
  }
  async lockConversation(tenantId: string, id: string): Promise<Conversation | undefined> {
    const row = await this.db.get(`SELECT ${CONVERSATION_COLUMNS} FROM conversations WHERE id = ? AND tenant_id = ?${this.dialect.forUpdate}`, [id, tenantId]);
    return row && toConversation(row);
  }
  async listConversations(tenantId: string, filter: ConversationFilter, page: PageRequest): Promise<Conversation[]> {
    const where = ['tenant_id = ?'];
    const params: unknown[] = [tenantId];
    let from = 'conversations';
    if (filter.state && filter.state.length > 0) {
      where.push(`state IN (${filter.state.map(() => '?').join(', ')})`);
      params.push(...filter.state);
      // Implied by the states asked for, but SQLite needs the term itself to use the live index.
      if (onlyLiveConversationStates(filter.state)) {
        where.push(LIVE_CONVERSATION);
        from = `conversations${this.dialect.indexedBy('conversations_live')}`;
      }
    }
    if (filter.queueIds !== undefined) {
      // A scoped caller's queues; an empty scope matches nothing (and `IN ()` is not valid SQL everywhere).
      if (filter.queueIds.length === 0) return [];
      where.push(`queue_id IN (${filter.queueIds.map(() => '?').join(', ')})`);
      params.push(...filter.queueIds);
    }
    for (const [column, value] of [['channel_id', filter.channelId], ['contact_id', filter.contactId], ['queue_id', filter.queueId]] as const) {
      if (value !== undefined) {
        where.push(`${column} = ?`);
        params.push(value);
      }
    }
    if (filter.agentId !== undefined) {
      // Correlated on the participants' conversation index: a conversation has a handful of participants.
      where.push(`EXISTS (SELECT 1 FROM participants p WHERE p.conversation_id = conversations.id AND p.tenant_id = ? AND p.role IN ('agent', 'bot') AND p.ref_id = ? AND p.left_at IS NULL)`);
      params.push(tenantId, filter.agentId);
    }
    if (page.beforeId !== undefined) {
      where.push('id < ?');
      params.push(page.beforeId);
    }
    params.push(page.limit);
    const rows = await this.db.all(`SELECT ${CONVERSATION_COLUMNS} FROM ${from} WHERE ${where.join(' AND ')} ORDER BY id DESC LIMIT ?`, params);
    return rows.map(toConversation);
  }
  async insertConversation(c: Conversation): Promise<void> {
    await this.db.run(
      `INSERT INTO conversations (${CONVERSATION_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      [c.id, c.tenantId, c.channelId, c.contactId, c.state, c.queueId, c.subject, c.priority, c.lastSeq, ms(c.createdAt), ms(c.updatedAt), c.closedAt === null ? null : ms(c.closedAt)],
    );
  }
  async updateConversationState(tenantId: string, id: string, from: ConversationState, to: ConversationState, at: string): Promise<boolean> {
    const terminal = to === 'closed' || to === 'abandoned';
    const changed = await this.db.run(
      `UPDATE conversations SET state = ?, updated_at = ?, closed_at = ${terminal ? '?' : 'closed_at'} WHERE id = ? AND tenant_id = ? AND state = ?`,
      terminal ? [to, ms(at), ms(at), id, tenantId, from] : [to, ms(at), id, tenantId, from],
    );
    return changed === 1;
  }
  async nextMessageSeq(tenantId: string, conversationId: string, at: string): Promise<number> {
    const row = await this.db.get<{ last_seq: unknown }>(
      'UPDATE conversations SET last_seq = last_seq + 1, updated_at = ? WHERE id = ? AND tenant_id = ? RETURNING last_seq',
      [ms(at), conversationId, tenantId],
    );
    if (!row) throw new Error(`nextMessageSeq: conversation ${conversationId} vanished inside its transaction`);
    return Number(row.last_seq);
  }

  // ---- participants -----------------------------------------------------------------------
  async listParticipants(tenantId: string, conversationId: string): Promise<Participant[]> {
    const rows = await this.db.all(`SELECT ${PARTICIPANT_COLUMNS} FROM participants WHERE conversation_id = ? AND tenant_id = ? ORDER BY joined_at, id`, [conversationId, tenantId]);
    return rows.map(toParticipant);
  }
  async getParticipant(tenantId: string, id: string): Promise<Participant | undefined> {
    const row = await this.db.get(`SELECT ${PARTICIPANT_COLUMNS} FROM participants WHERE id = ? AND tenant_id = ?`, [id, tenantId]);
    return row && toParticipant(row);
  }
  async insertParticipant(p: Participant): Promise<void> {
    await this.db.run(`INSERT INTO participants (${PARTICIPANT_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`, [
      p.id, p.tenantId, p.conversationId, p.role, p.refId, p.displayName, p.audience, ms(p.joinedAt), p.leftAt === null ? null : ms(p.leftAt),
    ]);
  }
  async markParticipantLeft(tenantId: string, id: string, at: string): Promise<boolean> {
    return (await this.db.run('UPDATE participants SET left_at = ? WHERE id = ? AND tenant_id = ? AND left_at IS NULL', [ms(at), id, tenantId])) === 1;
  }

  // ---- messages ---------------------------------------------------------------------------
  async listMessages(tenantId: string, conversationId: string, afterSeq: number, limit: number): Promise<Message[]> {
    const rows = await this.db.all(
      `SELECT ${MESSAGE_COLUMNS} FROM messages WHERE conversation_id = ? AND tenant_id = ? AND seq > ? ORDER BY seq LIMIT ?`,
      [conversationId, tenantId, afterSeq, limit],
    );
    return rows.map(toMessage);
  }
  async getMessageByIdempotencyKey(tenantId: string, conversationId: string, key: string): Promise<Message | undefined> {
    const row = await this.db.get(`SELECT ${MESSAGE_COLUMNS} FROM messages WHERE conversation_id = ? AND idempotency_key = ? AND tenant_id = ?`, [conversationId, key, tenantId]);
    return row && toMessage(row);
  }
  async insertMessage(m: Message): Promise<boolean> {
    const changed = await this.db.run(
      `INSERT INTO messages (${MESSAGE_COLUMNS}) VALUES (${MESSAGE_PLACEHOLDERS}) ON CONFLICT DO NOTHING`,
      messageValues(m),
    );
    return changed === 1;
  }

  // ---- context ----------------------------------------------------------------------------
  async getContext(tenantId: string, conversationId: string): Promise<ContextVariable[]> {
    const rows = await this.db.all<{ name: string; type: string; value: string }>(
      'SELECT name, type, value FROM context_variables WHERE conversation_id = ? AND tenant_id = ? ORDER BY name', [conversationId, tenantId],
    );
    return rows.map((r) => ({ name: r.name, type: r.type as ContextVariable['type'], value: JSON.parse(r.value) as ContextVariable['value'] }));
  }
  async setContextVariable(tenantId: string, conversationId: string, v: ContextVariable, at: string): Promise<void> {
    await this.db.run(
      `INSERT INTO context_variables (conversation_id, name, tenant_id, type, value, updated_at) VALUES (?, ?, ?, ?, ?, ?)
       ON CONFLICT (conversation_id, name) DO UPDATE SET type = excluded.type, value = excluded.value, updated_at = excluded.updated_at`,
      [conversationId, v.name, tenantId, v.type, JSON.stringify(v.value), ms(at)],
    );
  }
  async deleteContextVariable(tenantId: string, conversationId: string, name: string): Promise<void> {
    await this.db.run('DELETE FROM context_variables WHERE conversation_id = ? AND name = ? AND tenant_id = ?', [conversationId, name, tenantId]);
  }

  // ---- agents and queues ------------------------------------------------------------------
  async getAgent(tenantId: string, id: string): Promise<Agent | undefined> {
    const row = await this.db.get(`SELECT ${AGENT_COLUMNS} FROM agents WHERE id = ? AND tenant_id = ?`, [id, tenantId]);
    if (!row) return undefined;
    const skills = await this.db.all<{ skill: string; proficiency: unknown }>('SELECT skill, proficiency FROM agent_skills WHERE agent_id = ? AND tenant_id = ? ORDER BY skill', [id, tenantId]);
    return toAgent(row, Object.fromEntries(skills.map((s) => [s.skill, Number(s.proficiency)])));
  }
  async getAgentByAppId(tenantId: string, appId: string): Promise<Agent | undefined> {
    const row = await this.db.get<{ id: string }>('SELECT id FROM agents WHERE tenant_id = ? AND app_id = ?', [tenantId, appId]);
    return row ? this.getAgent(tenantId, row.id) : undefined;
  }
  async listAgents(tenantId: string): Promise<Agent[]> {
    // Two queries, not one per agent: the routing engine loads every agent of a tenant at start.
    const skills = await this.db.all<{ agent_id: string; skill: string; proficiency: unknown }>(
      'SELECT agent_id, skill, proficiency FROM agent_skills WHERE tenant_id = ? ORDER BY agent_id, skill', [tenantId],
    );
    const byAgent = new Map<string, Record<string, number>>();
    for (const s of skills) {
      const entry = byAgent.get(s.agent_id) ?? {};
      entry[s.skill] = Number(s.proficiency);
      byAgent.set(s.agent_id, entry);
    }
    const rows = await this.db.all(`SELECT ${AGENT_COLUMNS} FROM agents WHERE tenant_id = ? ORDER BY id`, [tenantId]);
    return rows.map((r) => toAgent(r, byAgent.get(String(r.id)) ?? {}));
  }
  async insertAgent(a: Agent): Promise<boolean> {
    // DO NOTHING: the only conflict an insert can meet is another agent of the tenant holding the
    // app id (a fresh id cannot collide), and an exception would abort a PostgreSQL transaction.
    const changed = await this.db.run(`INSERT INTO agents (${AGENT_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING`, [
      a.id, a.tenantId, a.kind, a.displayName, a.email, a.capacity, a.usedCapacity, a.presence, ms(a.presenceSince),
      JSON.stringify(a.attributes), a.lastAssignedAt === null ? null : ms(a.lastAssignedAt), a.missedOffers, ms(a.createdAt), a.appId,
    ]);
    if (changed !== 1) return false;
    await this.routing.setAgentSkills(a.tenantId, a.id, a.skills);
    return true;
  }
  async getQueue(tenantId: string, id: string): Promise<Queue | undefined> {
    const row = await this.db.get(`SELECT ${QUEUE_COLUMNS} FROM queues WHERE id = ? AND tenant_id = ?`, [id, tenantId]);
    return row && this.withMembers(row);
  }
  async listQueues(tenantId: string): Promise<Queue[]> {
    const rows = await this.db.all(`SELECT ${QUEUE_COLUMNS} FROM queues WHERE tenant_id = ? ORDER BY id`, [tenantId]);
    return this.sequentially(rows, (r) => this.withMembers(r));
  }
  async getAttachment(id: string): Promise<{ readonly attachment: StoredAttachment; readonly content: Buffer } | undefined> {
    const r = await this.db.get('SELECT id, tenant_id, conversation_id, name, content_type, size, content, created_at FROM attachments WHERE id = ?', [id]);
    if (!r) return undefined;
    return {
      attachment: {
        id: str(r.id), tenantId: str(r.tenant_id), conversationId: str(r.conversation_id), name: str(r.name), contentType: str(r.content_type),
        size: Number(r.size), createdAt: iso(r.created_at),
      },
      content: Buffer.from(r.content as Uint8Array),
    };
  }
  async insertAttachment(a: StoredAttachment, content: Buffer): Promise<void> {
    await this.db.run('INSERT INTO attachments (id, tenant_id, conversation_id, name, content_type, size, content, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)', [
      a.id, a.tenantId, a.conversationId, a.name, a.contentType, a.size, content, ms(a.createdAt),
    ]);
  }
  async insertQueue(q: Queue): Promise<void> {
    await this.db.run(`INSERT INTO queues (${QUEUE_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?)`, [
      q.id, q.tenantId, q.name, q.priority, JSON.stringify(q.routing), q.version, ms(q.createdAt),
    ]);
  }
  async addQueueMember(tenantId: string, queueId: string, agentId: string, at: string): Promise<boolean> {
    const changed = await this.db.run(
      'INSERT INTO queue_members (queue_id, agent_id, tenant_id, added_at) VALUES (?, ?, ?, ?) ON CONFLICT DO NOTHING',
      [queueId, agentId, tenantId, ms(at)],
    );
    return changed === 1;
  }
  private async withMembers(row: Row): Promise<Queue> {
    const members = await this.db.all<{ agent_id: string }>('SELECT agent_id FROM queue_members WHERE queue_id = ? AND tenant_id = ? ORDER BY added_at, agent_id', [row.id, row.tenant_id]);
    return {
      id: str(row.id), tenantId: str(row.tenant_id), name: str(row.name), priority: Number(row.priority), memberIds: members.map((m) => m.agent_id),
      // Queues created before routing existed hold '{}': they get the defaults.
      routing: { ...DEFAULT_QUEUE_ROUTING, ...json<Partial<QueueRouting>>(row.routing) }, version: Number(row.version), createdAt: iso(row.created_at),
    };
  }

  // ---- event log --------------------------------------------------------------------------
  async appendEvent(e: NewEvent): Promise<SwitchboardEvent> {
    if (this.dialect.eventAppendLock) await this.db.get(this.dialect.eventAppendLock, [e.tenantId]);
    const row = await this.db.get<{ id: unknown }>(
      'INSERT INTO events (tenant_id, type, conversation_id, actor, occurred_at, payload) VALUES (?, ?, ?, ?, ?, ?) RETURNING id',
      [e.tenantId, e.type, e.conversationId, JSON.stringify(e.actor), ms(e.occurredAt), JSON.stringify(e.payload)],
    );
    return { id: Number(row!.id), ...e };
  }
  async latestEventId(tenantId: string): Promise<number> {
    const row = await this.db.get<{ id: unknown }>('SELECT MAX(id) AS id FROM events WHERE tenant_id = ?', [tenantId]);
    return Number(row?.id ?? 0);
  }
  async readEvents(tenantId: string, afterId: number, limit: number, conversationId?: string): Promise<SwitchboardEvent[]> {
    const rows = conversationId === undefined
      ? await this.db.all(`SELECT ${EVENT_COLUMNS} FROM events WHERE tenant_id = ? AND id > ? ORDER BY id LIMIT ?`, [tenantId, afterId, limit])
      : await this.db.all(`SELECT ${EVENT_COLUMNS} FROM events WHERE conversation_id = ? AND tenant_id = ? AND id > ? ORDER BY id LIMIT ?`, [conversationId, tenantId, afterId, limit]);
    return rows.map(toEvent);
  }
}

function toTenant(r: Row): Tenant {
  return { id: str(r.id), name: str(r.name), createdAt: iso(r.created_at) };
}
function toChannel(r: Row): Channel {
  return { id: str(r.id), tenantId: str(r.tenant_id), type: r.type as Channel['type'], name: str(r.name), config: json(r.config), createdAt: iso(r.created_at) };
}
function toConversation(r: Row): Conversation {
  return {
    id: str(r.id), tenantId: str(r.tenant_id), channelId: str(r.channel_id), contactId: str(r.contact_id),
    state: r.state as ConversationState, queueId: strOrNull(r.queue_id), subject: strOrNull(r.subject),
    priority: Number(r.priority), lastSeq: Number(r.last_seq), createdAt: iso(r.created_at), updatedAt: iso(r.updated_at),
    closedAt: isoOrNull(r.closed_at),
  };
}
function toParticipant(r: Row): Participant {
  return {
    id: str(r.id), tenantId: str(r.tenant_id), conversationId: str(r.conversation_id), role: r.role as Participant['role'],
    refId: strOrNull(r.ref_id), displayName: strOrNull(r.display_name), audience: r.audience as Participant['audience'],
    joinedAt: iso(r.joined_at), leftAt: isoOrNull(r.left_at),
  };
}
function toAgent(r: Row, skills: Record<string, number>): Agent {
  return {
    id: str(r.id), tenantId: str(r.tenant_id), kind: r.kind as Agent['kind'], displayName: str(r.display_name), email: strOrNull(r.email),
    capacity: Number(r.capacity), ...toAgentStatus(r), skills, attributes: json(r.attributes), createdAt: iso(r.created_at),
    appId: strOrNull(r.app_id),
  };
}
function toEvent(r: Row): SwitchboardEvent {
  return {
    id: Number(r.id), tenantId: str(r.tenant_id), type: r.type as SwitchboardEvent['type'], conversationId: strOrNull(r.conversation_id),
    actor: json(r.actor), occurredAt: iso(r.occurred_at), payload: json(r.payload),
  };
}
