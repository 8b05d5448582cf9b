/**
 * The permission catalogue: every action Switchboard authorises is one of these names. Roles are
 * sets of them; applications request them as application permissions (acting as themselves) or as
 * delegated scopes (acting for a signed-in person, never beyond what that person may do).
 * `docs/IDENTITY.md` lists them; a test keeps the page and this table equal.
 */
export const PERMISSIONS = {
  'tenants.manage': 'Create tenants (platform administrators only; never granted inside a tenant).',
  'tenant.read': 'Read the tenant itself.',
  'channels.read': 'List and read channels.',
  'channels.write': 'Create and change channels.',
  'contacts.read': 'List and read contacts (customers).',
  'contacts.write': 'Create and change contacts.',
  'conversations.read': 'Read conversations, participants, messages and context in scope.',
  'conversations.write': 'Create conversations, post messages, set context and change state in scope.',
  'conversations.supervise': 'Monitor, whisper to and barge into conversations in scope; force a transfer or close.',
  'agents.read': 'List and read agents and their status in scope.',
  'agents.write': 'Create agents, change their capacity, skills and attributes.',
  'presence.read': 'Read agents\' presence and load in scope.',
  'presence.write': 'Change the presence of any agent in scope (a supervisor forcing "away").',
  'queues.read': 'List and read queues, their members, waiting lists and statistics in scope.',
  'queues.write': 'Create, change and delete queues and their members.',
  'routing.read': 'Read routing configuration, explanations, statistics; run the dry run.',
  'routing.write': 'Change skills, workstreams, classification and route rules.',
  'routing.act': 'Act on routing as an agent: own presence, accept or reject offers, pick, transfer, wrap up.',
  'events.read': 'Read the event log and subscribe to the event stream in scope.',
  'reports.read': 'Read real-time and historical reports.',
  'bots.act': 'Act as a bot in the conversations bound to it.',
  'users.read': 'List and read users and groups.',
  'users.write': 'Invite, change and disable users; manage groups and their members.',
  'roles.write': 'Create custom roles and assign roles to users, groups and applications.',
  'apps.read': 'List app registrations and enterprise applications.',
  'apps.write': 'Register applications, manage their secrets, certificates and permissions.',
  'consent.grant': 'Grant or revoke admin consent for applications in the tenant.',
  'identity.configure': 'Configure single sign-on (the tenant\'s OpenID Connect provider).',
  'integrations.configure': 'Configure the tenant\'s integrations with its own systems: the CRM lookup (screen pop).',
  'audit.read': 'Query the audit log.',
} as const;

export type Permission = keyof typeof PERMISSIONS;

export const ALL_PERMISSIONS: readonly Permission[] = Object.keys(PERMISSIONS) as Permission[];

/** Permissions that exist only at platform level: no tenant role, custom role or app can hold them. */
export const PLATFORM_ONLY: ReadonlySet<Permission> = new Set<Permission>(['tenants.manage']);

export const TENANT_PERMISSIONS: readonly Permission[] = ALL_PERMISSIONS.filter((p) => !PLATFORM_ONLY.has(p));

export function isPermission(value: string): value is Permission {
  return Object.prototype.hasOwnProperty.call(PERMISSIONS, value);
}

/**
 * Permissions whose resources belong to queues. A caller with a queue scope (a supervisor scoped to
 * some queues, an agent limited to the queues they are a member of) holds them only inside that
 * scope; the use case names the queue of the resource it touches and the check happens there.
 */
export const QUEUE_SCOPED: ReadonlySet<Permission> = new Set<Permission>([
  'conversations.read', 'conversations.write', 'conversations.supervise', 'agents.read', 'presence.read', 'presence.write',
  'queues.read', 'routing.act', 'events.read', 'reports.read',
]);
