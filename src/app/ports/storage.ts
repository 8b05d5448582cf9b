import type {
  Agent, Channel, Contact, ContactIdentity, ContextVariable, Conversation, Message, Participant,
  Queue, StoredAttachment, SwitchboardEvent, Tenant,
} from '../../core/model.js';
import type { ConversationState } from '../../core/conversation-lifecycle.js';
import type { IdentityReads, IdentityTx } from './identity-storage.js';
import type { WebchatReads, WebchatTx } from './webchat-storage.js';
import type { BotReads, BotTx } from './bot-storage.js';
import type { RoutingReads, RoutingTx } from './routing-storage.js';
import type { WorkspaceReads, WorkspaceTx } from './workspace-storage.js';
import type { MessageRevisionReads, MessageRevisionTx } from './message-revision-storage.js';

export interface ApiKeyRecord {
  readonly id: string;
  /** Hex SHA-256 of the secret part; the secret itself is never stored. */
  readonly secretHash: string;
  readonly label: string;
  readonly createdAt: string;
  readonly revokedAt: string | null;
}

export interface ConversationFilter {
  readonly state?: readonly ConversationState[] | undefined;
  readonly channelId?: string | undefined;
  readonly contactId?: string | undefined;
  readonly queueId?: string | undefined;
  /** Only conversations this agent (human or bot) takes part in now: an active agent or bot participant. */
  readonly agentId?: string | undefined;
  /** Only conversations in one of these queues (a queue-scoped caller's view). */
  readonly queueIds?: readonly string[] | undefined;
}

/** Keyset page: items strictly "before" the cursor id in descending id order (newest first). */
export interface PageRequest {
  readonly beforeId?: string | undefined;
  readonly limit: number;
}

export type NewEvent = Omit<SwitchboardEvent, 'id'>;

export interface MigrationReport {
  readonly applied: readonly string[];
  readonly current: number;
}

/**
 * Reads that need no transaction. Every read of tenant data takes the tenant id, so a query can
 * never return another tenant's rows.
 */
export interface StoreReads {
  /** Skills, workstreams, routing items, offers and decisions. */
  readonly routing: RoutingReads;
  /** Users, groups, roles, applications, consent, tokens, sessions, single sign-on and the audit log. */
  readonly identity: IdentityReads;
  /** Direct Line secrets and satisfaction surveys. */
  readonly webchat: WebchatReads;
  /** Bot registrations, bots' conversations, the delivery outbox. */
  readonly bots: BotReads;
  /** Wrap-up records, quick replies, the CRM lookup. */
  readonly workspace: WorkspaceReads;
  /** Edits and deletes of sent messages, and the feed of those changes. */
  readonly messageRevisions: MessageRevisionReads;
  getTenant(id: string): Promise<Tenant | undefined>;
  listTenants(): Promise<Tenant[]>;
  countApiKeys(): Promise<number>;
  getApiKey(id: string): Promise<ApiKeyRecord | undefined>;

  getChannel(tenantId: string, id: string): Promise<Channel | undefined>;
  listChannels(tenantId: string): Promise<Channel[]>;

  getContact(tenantId: string, id: string): Promise<Contact | undefined>;
  findContactByIdentity(tenantId: string, identity: ContactIdentity): Promise<Contact | undefined>;
  listContacts(tenantId: string, page: PageRequest): Promise<Contact[]>;

  getConversation(tenantId: string, id: string): Promise<Conversation | undefined>;
  listConversations(tenantId: string, filter: ConversationFilter, page: PageRequest): Promise<Conversation[]>;
  listParticipants(tenantId: string, conversationId: string): Promise<Participant[]>;
  getParticipant(tenantId: string, id: string): Promise<Participant | undefined>;

  listMessages(tenantId: string, conversationId: string, afterSeq: number, limit: number): Promise<Message[]>;
  getMessageByIdempotencyKey(tenantId: string, conversationId: string, key: string): Promise<Message | undefined>;

  getContext(tenantId: string, conversationId: string): Promise<ContextVariable[]>;

  getAgent(tenantId: string, id: string): Promise<Agent | undefined>;
  /** The bot agent whose application user is the app with this client id. */
  getAgentByAppId(tenantId: string, appId: string): Promise<Agent | undefined>;
  listAgents(tenantId: string): Promise<Agent[]>;
  /** The attachment with this id in whichever tenant has it (the id is the capability), with its bytes. */
  getAttachment(id: string): Promise<{ readonly attachment: StoredAttachment; readonly content: Buffer } | undefined>;
  getQueue(tenantId: string, id: string): Promise<Queue | undefined>;
  listQueues(tenantId: string): Promise<Queue[]>;

  /** Id of the tenant's newest event, 0 if none: where a live-only subscription starts. */
  latestEventId(tenantId: string): Promise<number>;
  /** Events of one tenant (optionally one conversation) with id > afterId, oldest first. */
  readEvents(tenantId: string, afterId: number, limit: number, conversationId?: string): Promise<SwitchboardEvent[]>;
}

/** Reads and writes inside one transaction: all of them commit together, or none does. */
export interface StoreTx extends StoreReads {
  readonly routing: RoutingTx;
  readonly identity: IdentityTx;
  readonly webchat: WebchatTx;
  readonly bots: BotTx;
  readonly workspace: WorkspaceTx;
  readonly messageRevisions: MessageRevisionTx;
  insertTenant(tenant: Tenant): Promise<void>;
  insertApiKey(key: ApiKeyRecord): Promise<void>;
  insertChannel(channel: Channel): Promise<void>;
  updateChannel(tenantId: string, id: string, patch: { readonly name?: string | undefined; readonly config?: Readonly<Record<string, unknown>> | undefined }): Promise<void>;
  /** Inserts the contact and its identities; false if an identity already belongs to a contact. */
  insertContact(contact: Contact): Promise<boolean>;
  insertConversation(conversation: Conversation): Promise<void>;
  /**
   * Reads a conversation and holds its row until commit (`FOR UPDATE` on PostgreSQL; SQLite's
   * write transaction already excludes other writers), so checks made on it stay true.
   */
  lockConversation(tenantId: string, id: string): Promise<Conversation | undefined>;
  /**
   * Compare-and-set on the lifecycle state: changes nothing and returns false when the stored state
   * is no longer `from` (a concurrent change won), so two writers can never both "win".
   */
  updateConversationState(tenantId: string, id: string, from: ConversationState, to: ConversationState, at: string): Promise<boolean>;
  insertParticipant(participant: Participant): Promise<void>;
  markParticipantLeft(tenantId: string, id: string, at: string): Promise<boolean>;
  /** Reserves the next message sequence of a conversation (locks the row until commit). */
  nextMessageSeq(tenantId: string, conversationId: string, at: string): Promise<number>;
  /** False when the idempotency key is already used in that conversation. */
  insertMessage(message: Message): Promise<boolean>;
  setContextVariable(tenantId: string, conversationId: string, variable: ContextVariable, at: string): Promise<void>;
  deleteContextVariable(tenantId: string, conversationId: string, name: string): Promise<void>;
  /** False when another agent of the tenant already has the agent's app id. */
  insertAgent(agent: Agent): Promise<boolean>;
  insertQueue(queue: Queue): Promise<void>;
  insertAttachment(attachment: StoredAttachment, content: Buffer): Promise<void>;
  /** False when the agent already is a member. */
  addQueueMember(tenantId: string, queueId: string, agentId: string, at: string): Promise<boolean>;
  appendEvent(event: NewEvent): Promise<SwitchboardEvent>;
}

/**
 * The system of record. Example:
 *
 *   const msg = await storage.transaction(async (tx) => {
 *     const seq = await tx.nextMessageSeq(tenantId, conversationId, now);
 *     await tx.insertMessage({ ...draft, seq });
 *     await tx.appendEvent({ type: 'message.created', ... });
 *     return draft;
 *   }); // committed here, or rolled back if the callback threw
 */
export interface Storage {
  readonly kind: 'sqlite' | 'postgres';
  readonly read: StoreReads;
  transaction<T>(work: (tx: StoreTx) => Promise<T>): Promise<T>;
  migrate(): Promise<MigrationReport>;
  /** Resolves when the database answers a trivial query; used by readiness. */
  ping(): Promise<void>;
  close(): Promise<void>;
}
