/**
 * The public API as the web app uses it: same-origin requests with the session cookie (HttpOnly:
 * the page never sees it) and, on anything but GET, the session's CSRF token in X-CSRF-Token.
 * Wire shapes are the subset of the server's responses the app reads, or the server's own
 * schemas where the app reads the whole of a response (type-only imports: nothing of the server
 * is bundled).
 */
import type { Static } from 'typebox';
import type { QueueStatsSchema } from '../../src/contracts/routing.js';
import type { ConversationWrapUpSchema } from '../../src/contracts/workspace.js';

export interface SessionInfo {
  readonly user: { readonly id: string; readonly email: string; readonly displayName: string; readonly agentId: string | null };
  readonly tenant: { readonly id: string; readonly name?: string };
  readonly permissions: readonly string[];
  readonly csrfToken: string;
}

export interface Offer {
  readonly id: string;
  readonly conversationId: string;
  readonly agentId: string;
  readonly queueId: string;
  readonly status: string;
  readonly createdAt: string;
  readonly expiresAt: string;
}

export interface AgentStatus {
  readonly agentId: string;
  readonly presence: string;
  readonly presenceSince: string;
  readonly capacity: number;
  readonly usedCapacity: number;
  readonly conversations: readonly { readonly conversationId: string; readonly status: string; readonly queueId: string }[];
  readonly pendingOffers: readonly Offer[];
  readonly missedOffers: number;
}

export interface Agent { readonly id: string; readonly displayName: string }

/** An agent's live status as the wallboard lists it (GET /routing/agents). */
export interface AgentBoardEntry extends AgentStatus {
  readonly displayName: string;
  readonly kind: 'human' | 'bot';
}

/** One queue's real-time figures (GET /routing/stats, `routing.queue_stats` events): the server's own schema. */
export type QueueStats = Static<typeof QueueStatsSchema>;

/** A conversation's wrap-up: its queue's codes and time, and the record once started (GET .../wrap-up). */
export type ConversationWrapUp = Static<typeof ConversationWrapUpSchema>;

export interface User {
  readonly id: string;
  readonly email: string;
  readonly displayName: string;
  readonly status: string;
  readonly agentId: string | null;
}

export interface RoleAssignment {
  readonly id: string;
  readonly principalType: string;
  readonly principalId: string;
  readonly role: string;
  readonly queueIds: readonly string[] | null;
}

export interface AppRegistration {
  readonly id: string;
  readonly clientId: string;
  readonly name: string;
  readonly accountType: string;
  readonly applicationPermissions: readonly string[];
  readonly delegatedScopes: readonly string[];
}

export interface Bot {
  readonly id: string;
  readonly displayName: string;
  readonly appId: string | null;
  readonly messagingEndpoint: string;
  readonly state: 'active' | 'disconnected';
  readonly role: string;
  readonly health: { readonly status: 'healthy' | 'unhealthy'; readonly consecutiveFailures: number; readonly lastError: string | null };
}

export interface Participant {
  readonly id: string;
  readonly role: 'customer' | 'bot' | 'agent' | 'supervisor';
  readonly refId: string | null;
  readonly displayName: string | null;
  readonly leftAt: string | null;
}
export interface Queue {
  readonly id: string;
  readonly name: string;
  readonly priority?: number;
  readonly memberIds?: readonly string[];
  readonly routing?: {
    readonly assignmentMethod: string;
    readonly serviceLevelSeconds?: number;
    readonly operatingHours?: OperatingHours | null;
  };
}

export interface OperatingHours {
  readonly timeZone: string;
  readonly weekly: readonly { readonly day: string; readonly open: string; readonly close: string }[];
  readonly holidays: readonly { readonly date: string; readonly name?: string }[];
}
export interface Channel { readonly id: string; readonly name: string; readonly type: string; readonly config?: Record<string, unknown> }
export interface Contact { readonly id: string; readonly displayName: string | null }

export interface Conversation {
  readonly id: string;
  readonly channelId: string;
  readonly contactId: string;
  readonly state: string;
  readonly queueId: string | null;
  readonly subject: string | null;
  readonly lastSeq: number;
  readonly createdAt: string;
  readonly updatedAt: string;
}

export interface Message {
  readonly id: string;
  readonly conversationId: string;
  readonly seq: number;
  readonly senderRole: 'customer' | 'bot' | 'agent' | 'supervisor' | 'system';
  readonly senderId: string | null;
  readonly visibility: 'public' | 'internal' | 'whisper';
  readonly text: string;
  readonly attachments?: readonly { readonly name: string; readonly contentType: string; readonly size?: number; readonly url?: string }[];
  /** `switchboard.kind` marks Switchboard's own messages, e.g. `escalation-summary` from a bot's handoff. */
  readonly channelData?: { readonly switchboard?: { readonly kind?: string } } | null;
  readonly createdAt: string;
  /** Set once its sender edited it; `deletedAt` once deleted (then it says nothing). */
  readonly editedAt?: string | null;
  readonly deletedAt?: string | null;
}

/** An assist bot for one conversation: advising in it now, or one that could be invited. */
export interface AssistBot {
  readonly botId: string;
  readonly displayName: string;
  readonly active: boolean;
  readonly since: string | null;
}

export interface SwitchboardEvent {
  readonly id: number;
  readonly tenantId: string;
  readonly type: string;
  readonly conversationId: string | null;
  readonly occurredAt: string;
  readonly payload: Record<string, unknown>;
}

export class ApiError extends Error {
  constructor(readonly status: number, readonly code: string, message: string, readonly problems: readonly string[] = []) {
    super(message);
  }
}

/** The problems a refusal lists in `details.problems` (strings, or `{path, message}` objects), as text. */
function problemsOf(details: unknown): string[] {
  const list = (details as { problems?: unknown } | undefined)?.problems;
  if (!Array.isArray(list)) return [];
  return list.map((p) => {
    if (typeof p === 'string') return p;
    const { path, message, line, column } = p as { path?: string; message?: string; line?: number; column?: number };
    return [path, line !== undefined ? `line ${line}, column ${column ?? 1}:` : undefined, message].filter(Boolean).join(' ');
  }).slice(0, 20);
}

let csrfToken: string | undefined;

async function request<T>(method: string, path: string, body?: unknown): Promise<T> {
  const headers: Record<string, string> = { accept: 'application/json' };
  if (body !== undefined) headers['content-type'] = 'application/json';
  if (method !== 'GET' && csrfToken) headers['x-csrf-token'] = csrfToken;
  const res = await fetch(path, { method, headers, credentials: 'same-origin', ...(body !== undefined ? { body: JSON.stringify(body) } : {}) });
  if (res.status === 204) return undefined as T;
  const data = (await res.json().catch(() => undefined)) as { error?: { code?: string; message?: string; details?: unknown } } | undefined;
  if (!res.ok) throw new ApiError(res.status, data?.error?.code ?? 'SB_ERR_HTTP', data?.error?.message ?? `${method} ${path}: ${res.status}`, problemsOf(data?.error?.details));
  return data as T;
}

/** The signed-in person, or undefined when there is no live session. */
export async function fetchSession(): Promise<SessionInfo | undefined> {
  const res = await fetch('/v1/session', { credentials: 'same-origin', headers: { accept: 'application/json' } });
  if (res.status === 401) {
    // Read to the end, so navigating to the sign-in page next does not abort a half-read response.
    await res.text().catch(() => '');
    return undefined;
  }
  if (!res.ok) throw new ApiError(res.status, 'SB_ERR_HTTP', `GET /v1/session: ${res.status}`);
  const session = (await res.json()) as SessionInfo;
  csrfToken = session.csrfToken;
  return session;
}

export async function signOut(): Promise<void> {
  await request('POST', '/v1/auth/signout');
}

/** Paths inside one tenant. */
export function tenantApi(tenantId: string) {
  const t = `/v1/tenants/${encodeURIComponent(tenantId)}`;
  const id = encodeURIComponent;
  return {
    agent: (agentId: string) => request<Agent>('GET', `${t}/agents/${id(agentId)}`),
    agentStatus: (agentId: string) => request<AgentStatus>('GET', `${t}/agents/${id(agentId)}/status`),
    queues: () => request<{ items: Queue[] }>('GET', `${t}/queues`).then((r) => r.items),
    channels: () => request<{ items: Channel[] }>('GET', `${t}/channels`).then((r) => r.items),
    contact: (contactId: string) => request<Contact>('GET', `${t}/contacts/${id(contactId)}`),
    conversation: (conversationId: string) => request<Conversation>('GET', `${t}/conversations/${id(conversationId)}`),
    messages: (conversationId: string, after: number) =>
      request<{ items: Message[]; lastSeq: number }>('GET', `${t}/conversations/${id(conversationId)}/messages?after=${after}&limit=500`),
    // The supervisor's reads and actions, and the workspace's transfers and consults (the server
    // checks scope and permission on each).
    queueStats: () => request<{ items: QueueStats[] }>('GET', `${t}/routing/stats`).then((r) => r.items),
    agentBoard: () => request<{ items: AgentBoardEntry[] }>('GET', `${t}/routing/agents`).then((r) => r.items),
    setContext: (conversationId: string, patch: Record<string, { type: string; value: unknown } | null>) =>
      request<unknown>('PATCH', `${t}/conversations/${id(conversationId)}/context`, patch),
    crm: (conversationId: string) =>
      request<{ fields: { label: string; value: string; url?: string }[]; fetchedAt: string }>('GET', `${t}/conversations/${id(conversationId)}/crm`),
    crmLookup: () => request<{ url: string; headers: Record<string, string>; timeoutMs: number }>('GET', `${t}/crm-lookup`),
    setCrmLookup: (body: { url: string; headers?: Record<string, string> | null; timeoutMs?: number }) => request<unknown>('PUT', `${t}/crm-lookup`, body),
    context: (conversationId: string) =>
      request<{ items: { name: string; type: string; value: unknown }[] }>('GET', `${t}/conversations/${id(conversationId)}/context`).then((r) => r.items),
    routing: (conversationId: string) =>
      request<{ decisions: { kind: string; at: string; explanation: Record<string, unknown> }[] }>('GET', `${t}/conversations/${id(conversationId)}/routing`),
    conversations: (filter: { queueId?: string | undefined; agentId?: string | undefined; state?: string | undefined; contactId?: string | undefined }) => {
      const query = new URLSearchParams({ limit: '100' });
      for (const [k, v] of Object.entries(filter)) if (v) query.set(k, v);
      return request<{ items: Conversation[] }>('GET', `${t}/conversations?${query}`).then((r) => r.items);
    },
    participants: (conversationId: string) => request<{ items: Participant[] }>('GET', `${t}/conversations/${id(conversationId)}/participants`).then((r) => r.items),
    whisper: (conversationId: string, text: string) =>
      request<Message>('POST', `${t}/conversations/${id(conversationId)}/whisper`, { text, idempotencyKey: crypto.randomUUID() }),
    barge: (conversationId: string) => request<Participant>('POST', `${t}/conversations/${id(conversationId)}/barge`),
    leave: (conversationId: string, participantId: string) => request<void>('DELETE', `${t}/conversations/${id(conversationId)}/participants/${id(participantId)}`),
    sayAsSupervisor: (conversationId: string, text: string) =>
      request<Message>('POST', `${t}/conversations/${id(conversationId)}/messages`, { senderRole: 'supervisor', visibility: 'public', text, idempotencyKey: crypto.randomUUID() }),
    transfer: (conversationId: string, queueId: string, reason?: string) =>
      request<unknown>('POST', `${t}/conversations/${id(conversationId)}/transfer`, { queueId, ...(reason ? { reason } : {}) }),
    changeState: (conversationId: string, to: string, reason?: string) =>
      request<Conversation>('POST', `${t}/conversations/${id(conversationId)}/state`, { to, ...(reason ? { reason } : {}) }),
    setPresence: (agentId: string, presence: string) => request<unknown>('PUT', `${t}/agents/${id(agentId)}/presence`, { presence }),
    agents: () => request<{ items: (Agent & { kind: 'human' | 'bot'; capacity?: number; skills?: Record<string, number> })[] }>('GET', `${t}/agents`).then((r) => r.items),
    updateAgent: (agentId: string, body: { capacity?: number; skills?: Record<string, number> }) => request<unknown>('PATCH', `${t}/agents/${id(agentId)}`, body),
    // The admin console's configuration calls.
    createQueue: (body: { name: string; priority: number; memberIds: string[]; routing: { assignmentMethod: string } }) => request<Queue>('POST', `${t}/queues`, body),
    updateQueue: (queueId: string, body: Record<string, unknown>) => request<Queue>('PATCH', `${t}/queues/${id(queueId)}`, body),
    addQueueMember: (queueId: string, agentId: string) => request<unknown>('POST', `${t}/queues/${id(queueId)}/members`, { agentId }),
    removeQueueMember: (queueId: string, agentId: string) => request<void>('DELETE', `${t}/queues/${id(queueId)}/members/${id(agentId)}`),
    workstreams: () => request<{ items: Record<string, unknown>[] }>('GET', `${t}/workstreams`).then((r) => r.items),
    updateWorkstream: (workstreamId: string, body: Record<string, unknown>) => request<Record<string, unknown>>('PUT', `${t}/workstreams/${id(workstreamId)}`, body),
    simulate: (body: { workstreamId: string; context: { name: string; type: string; value: unknown }[] }) => request<Record<string, unknown>>('POST', `${t}/routing/simulate`, body),
    skills: () => request<{ items: { name: string }[] }>('GET', `${t}/skills`).then((r) => r.items),
    createSkill: (name: string) => request<unknown>('POST', `${t}/skills`, { name }),
    createChannel: (body: { type: string; name: string; config: Record<string, unknown> }) => request<Channel>('POST', `${t}/channels`, body),
    updateChannel: (channelId: string, body: { name?: string; config?: Record<string, unknown> }) => request<Channel>('PATCH', `${t}/channels/${id(channelId)}`, body),
    directLineSecrets: (channelId: string) =>
      request<{ items: { id: string; hint: string; createdAt: string; revokedAt: string | null }[] }>('GET', `${t}/channels/${id(channelId)}/directline-secrets`).then((r) => r.items),
    createDirectLineSecret: (channelId: string) => request<{ value: string }>('POST', `${t}/channels/${id(channelId)}/directline-secrets`, {}),
    revokeDirectLineSecret: (channelId: string, secretId: string) => request<void>('DELETE', `${t}/channels/${id(channelId)}/directline-secrets/${id(secretId)}`),
    users: () => request<{ items: User[] }>('GET', `${t}/users?limit=200`).then((r) => r.items),
    roleAssignments: () => request<{ items: RoleAssignment[] }>('GET', `${t}/role-assignments`).then((r) => r.items),
    inviteUser: (body: { email: string; displayName: string; agentId: string | null; roles: { role: string; queueIds?: string[] | null }[]; password?: string }) =>
      request<User>('POST', `${t}/users`, body),
    bots: () => request<{ items: Bot[] }>('GET', `${t}/bots`).then((r) => r.items),
    permissions: () => request<{ items: { name: string; description: string }[] }>('GET', '/v1/permissions').then((r) => r.items),
    apps: () => request<{ items: AppRegistration[] }>('GET', `${t}/apps`).then((r) => r.items),
    registerApp: (body: { name: string; applicationPermissions: string[] }) => request<AppRegistration>('POST', `${t}/apps`, body),
    addAppSecret: (appId: string, description: string) => request<{ value: string; hint: string }>('POST', `${t}/apps/${id(appId)}/secrets`, { description }),
    enterpriseApps: () => request<{ items: { id: string; appId: string; applicationPermissions: string[]; revokedAt: string | null; app: { clientId: string; name: string } | null }[] }>('GET', `${t}/enterprise-apps`).then((r) => r.items),
    grantConsent: (clientId: string) => request<unknown>('POST', `${t}/enterprise-apps`, { clientId }),
    revokeConsent: (enterpriseAppId: string) => request<void>('DELETE', `${t}/enterprise-apps/${id(enterpriseAppId)}`),
    groups: () => request<{ items: { id: string; name: string; description: string | null; memberIds?: string[] }[] }>('GET', `${t}/groups`).then((r) => r.items),
    createGroup: (name: string) => request<{ id: string }>('POST', `${t}/groups`, { name }),
    addGroupMember: (groupId: string, userId: string) => request<unknown>('POST', `${t}/groups/${id(groupId)}/members`, { userId }),
    roles: () => request<{ items: { id: string; name: string; description: string | null; builtIn: boolean; permissions: string[] }[] }>('GET', `${t}/roles`).then((r) => r.items),
    createRole: (body: { name: string; permissions: string[] }) => request<unknown>('POST', `${t}/roles`, body),
    assignRole: (body: { principalType: 'user' | 'group' | 'app'; principalId: string; role: string; queueIds?: string[] | null }) => request<unknown>('POST', `${t}/role-assignments`, body),
    setBotState: (botId: string, state: 'active' | 'disconnected') => request<Bot>('PATCH', `${t}/bots/${id(botId)}`, { state }),
    transferToAgent: (conversationId: string, agentId: string, reason?: string) =>
      request<unknown>('POST', `${t}/conversations/${id(conversationId)}/transfer`, { agentId, ...(reason ? { reason } : {}) }),
    consult: (conversationId: string, agentId: string) => request<Participant>('POST', `${t}/conversations/${id(conversationId)}/consult`, { agentId }),
    assistBots: (conversationId: string) => request<{ items: AssistBot[] }>('GET', `${t}/conversations/${id(conversationId)}/assist-bots`).then((r) => r.items),
    inviteAssistBot: (conversationId: string, botId: string) => request<unknown>('POST', `${t}/conversations/${id(conversationId)}/assist-bots`, { botId }),
    dismissAssistBot: (conversationId: string, botId: string) => request<void>('DELETE', `${t}/conversations/${id(conversationId)}/assist-bots/${id(botId)}`),
    quickRepliesFor: (conversationId: string) =>
      request<{ items: { id: string; title: string; text: string; missing: string[] }[] }>('GET', `${t}/conversations/${id(conversationId)}/quick-replies`).then((r) => r.items),
    quickReplies: (queueId: string) =>
      request<{ items: { id: string; title: string; text: string; variables: string[] }[] }>('GET', `${t}/queues/${id(queueId)}/quick-replies`).then((r) => r.items),
    createQuickReply: (queueId: string, body: { title: string; text: string }) => request<unknown>('POST', `${t}/queues/${id(queueId)}/quick-replies`, body),
    deleteQuickReply: (queueId: string, replyId: string) => request<void>('DELETE', `${t}/queues/${id(queueId)}/quick-replies/${id(replyId)}`),
    wrapUp: (conversationId: string) => request<ConversationWrapUp>('GET', `${t}/conversations/${id(conversationId)}/wrap-up`),
    finishWrapUp: (conversationId: string, body: { code?: string; notes?: string }) => request<unknown>('POST', `${t}/conversations/${id(conversationId)}/wrap-up`, body),
  };
}
export type TenantApi = ReturnType<typeof tenantApi>;

/** Where to sign in to a tenant, coming back to `returnTo` (a path on this site). */
export function signinUrl(tenantId: string, returnTo: string): string {
  return `/login/${encodeURIComponent(tenantId)}/signin?return_to=${encodeURIComponent(returnTo)}`;
}
