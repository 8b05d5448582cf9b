import { TENANT_PERMISSIONS, type Permission } from './permissions.js';

export const BUILT_IN_ROLES = ['administrator', 'supervisor', 'agent', 'bot', 'reporting-reader'] as const;
export type BuiltInRole = (typeof BUILT_IN_ROLES)[number];

export interface RoleDefinition {
  readonly name: string;
  readonly description: string;
  readonly permissions: readonly Permission[];
}

/**
 * The built-in roles. A supervisor's queue-scoped permissions hold only on the queues named in its
 * assignment; an agent's only on the queues the person's agent record is a member of (and on the
 * conversations offered or assigned to them). Administrators hold every tenant permission.
 */
export const BUILT_IN_ROLE_DEFINITIONS: Readonly<Record<BuiltInRole, RoleDefinition>> = {
  administrator: {
    name: 'administrator',
    description: 'Everything in the tenant: configuration, people, applications, consent, audit.',
    permissions: TENANT_PERMISSIONS,
  },
  supervisor: {
    name: 'supervisor',
    description: 'Watches and acts on the queues it is scoped to, their agents and conversations.',
    permissions: [
      'tenant.read', 'channels.read', 'contacts.read', 'conversations.read', 'conversations.write', 'conversations.supervise', 'agents.read',
      'presence.read', 'presence.write', 'queues.read', 'routing.read', 'routing.act', 'events.read', 'reports.read',
      'users.read',
    ],
  },
  agent: {
    name: 'agent',
    description: 'Handles conversations: own presence, offers, messages, transfers and wrap-up.',
    permissions: [
      'tenant.read', 'channels.read', 'contacts.read', 'conversations.read', 'conversations.write', 'agents.read',
      'presence.read', 'queues.read', 'routing.act', 'events.read',
    ],
  },
  bot: {
    name: 'bot',
    description: 'An application user that answers customers in the conversations bound to it.',
    permissions: ['tenant.read', 'conversations.read', 'conversations.write', 'bots.act'],
  },
  'reporting-reader': {
    name: 'reporting-reader',
    description: 'Reads reports, statistics and the event log; changes nothing.',
    permissions: ['tenant.read', 'queues.read', 'agents.read', 'presence.read', 'routing.read', 'events.read', 'reports.read'],
  },
};

export function isBuiltInRole(name: string): name is BuiltInRole {
  return (BUILT_IN_ROLES as readonly string[]).includes(name);
}
