import { Type } from 'typebox';
import { ACCOUNT_TYPES, AUDIT_OUTCOMES, PRINCIPAL_TYPES, USER_STATUSES } from '../core/identity/identity-model.js';
import { Id, Name, Nullable, Timestamp, literals } from './common.js';

/** Wire schemas of users, groups, roles, applications, consent and the audit log. */
const strict = { additionalProperties: false } as const;
const PermissionName = Type.String({ minLength: 1, maxLength: 64, pattern: '^[a-z]+(\\.[a-z_]+)+$' });
const List = () => Type.Unsafe<readonly string[]>({ type: 'array', items: { type: 'string' } });
const RoleName = Type.String({ minLength: 1, maxLength: 64 });

export const UserSchema = Type.Object({
  id: Id, tenantId: Id, email: Type.String(), displayName: Type.String(), status: literals(USER_STATUSES),
  agentId: Nullable(Type.String()), externalId: Nullable(Type.String()), createdAt: Timestamp, updatedAt: Timestamp,
});

export const RoleGrantBody = Type.Object({ role: RoleName, queueIds: Type.Optional(Type.Union([Type.Array(Id, { maxItems: 200 }), Type.Null()])) }, strict);

export const InviteUserBody = Type.Object({
  email: Type.String({ minLength: 3, maxLength: 254 }),
  displayName: Name,
  agentId: Type.Optional(Type.Union([Id, Type.Null()])),
  roles: Type.Optional(Type.Array(RoleGrantBody, { maxItems: 20 })),
  password: Type.Optional(Type.String({ maxLength: 1024 })),
}, strict);

export const UpdateUserBody = Type.Object({
  displayName: Type.Optional(Name),
  status: Type.Optional(Type.Union([Type.Literal('active'), Type.Literal('disabled')])),
  agentId: Type.Optional(Type.Union([Id, Type.Null()])),
}, strict);

export const SetPasswordBody = Type.Object({ password: Type.String({ maxLength: 1024 }) }, strict);

export const GroupSchema = Type.Object({
  id: Id, tenantId: Id, name: Type.String(), description: Nullable(Type.String()), externalId: Nullable(Type.String()), createdAt: Timestamp,
  memberIds: Type.Optional(List()),
});
export const CreateGroupBody = Type.Object({
  name: Name, description: Type.Optional(Type.Union([Type.String({ maxLength: 1000 }), Type.Null()])),
  externalId: Type.Optional(Type.Union([Type.String({ minLength: 1, maxLength: 256 }), Type.Null()])),
}, strict);
export const GroupMemberBody = Type.Object({ userId: Id }, strict);

export const RoleSchema = Type.Object({
  id: Type.String(), name: Type.String(), description: Nullable(Type.String()), builtIn: Type.Boolean(), permissions: List(),
});
export const CreateRoleBody = Type.Object({
  name: RoleName, description: Type.Optional(Type.Union([Type.String({ maxLength: 1000 }), Type.Null()])),
  permissions: Type.Array(PermissionName, { minItems: 1, maxItems: 64 }),
}, strict);

export const RoleAssignmentSchema = Type.Object({
  id: Id, tenantId: Id, principalType: literals(PRINCIPAL_TYPES), principalId: Id, role: Type.String(),
  queueIds: Type.Union([List(), Type.Null()]), createdAt: Timestamp,
});
export const AssignRoleBody = Type.Object({
  principalType: literals(PRINCIPAL_TYPES), principalId: Id, role: RoleName,
  queueIds: Type.Optional(Type.Union([Type.Array(Id, { maxItems: 200 }), Type.Null()])),
}, strict);
export const AssignmentQuery = Type.Object({ principalType: Type.Optional(literals(PRINCIPAL_TYPES)), principalId: Type.Optional(Id) }, strict);

export const AppSchema = Type.Object({
  id: Id, tenantId: Id, clientId: Type.String(), name: Type.String(), accountType: literals(ACCOUNT_TYPES),
  redirectUris: List(), publicClient: Type.Boolean(),
  applicationPermissions: List(), delegatedScopes: List(), createdAt: Timestamp, updatedAt: Timestamp,
});
export const RegisterAppBody = Type.Object({
  name: Name,
  accountType: Type.Optional(literals(ACCOUNT_TYPES)),
  redirectUris: Type.Optional(Type.Array(Type.String({ minLength: 1, maxLength: 2000 }), { maxItems: 20 })),
  publicClient: Type.Optional(Type.Boolean()),
  applicationPermissions: Type.Optional(Type.Array(PermissionName, { maxItems: 64 })),
  delegatedScopes: Type.Optional(Type.Array(PermissionName, { maxItems: 64 })),
}, strict);
export const UpdateAppBody = Type.Object({
  name: Type.Optional(Name),
  redirectUris: Type.Optional(Type.Array(Type.String({ minLength: 1, maxLength: 2000 }), { maxItems: 20 })),
  applicationPermissions: Type.Optional(Type.Array(PermissionName, { maxItems: 64 })),
  delegatedScopes: Type.Optional(Type.Array(PermissionName, { maxItems: 64 })),
}, strict);

export const SecretSchema = Type.Object({
  id: Id, appId: Id, description: Type.String(), hint: Type.String(), expiresAt: Timestamp, createdAt: Timestamp, revokedAt: Nullable(Type.String()),
});
export const CreatedSecretSchema = Type.Object({
  id: Id, appId: Id, description: Type.String(), hint: Type.String(), expiresAt: Timestamp, createdAt: Timestamp, revokedAt: Nullable(Type.String()),
  value: Type.String({ description: 'The secret itself: shown in this response only.' }),
});
export const AddSecretBody = Type.Object({
  description: Type.Optional(Type.String({ maxLength: 200 })), expiresAt: Type.Optional(Type.String({ format: 'date-time' })),
}, strict);

export const CertificateSchema = Type.Object({
  id: Id, appId: Id, description: Type.String(), thumbprint: Type.String(), publicKey: Type.Record(Type.String(), Type.Unknown()),
  expiresAt: Nullable(Type.String()), createdAt: Timestamp, revokedAt: Nullable(Type.String()),
});
export const AddCertificateBody = Type.Object({
  key: Type.Union([Type.String({ minLength: 1, maxLength: 20_000, description: 'PEM certificate or PEM public key' }), Type.Record(Type.String(), Type.Unknown(), { description: 'A public JWK' })]),
  description: Type.Optional(Type.String({ maxLength: 200 })),
  expiresAt: Type.Optional(Type.Union([Type.String({ format: 'date-time' }), Type.Null()])),
}, strict);

export const ConsentSchema = Type.Object({
  id: Id, tenantId: Id, appId: Id, applicationPermissions: List(), delegatedScopes: List(),
  consentedBy: Nullable(Type.String()), consentedAt: Timestamp, revokedAt: Nullable(Type.String()),
});
export const EnterpriseAppSchema = Type.Object({
  id: Id, tenantId: Id, appId: Id, applicationPermissions: List(), delegatedScopes: List(),
  consentedBy: Nullable(Type.String()), consentedAt: Timestamp, revokedAt: Nullable(Type.String()),
  app: Type.Union([Type.Object({ clientId: Type.String(), name: Type.String(), accountType: Type.String(), tenantId: Type.String() }), Type.Null()]),
});
export const GrantConsentBody = Type.Object({ clientId: Type.String({ minLength: 1, maxLength: 64 }) }, strict);

export const AuditEntrySchema = Type.Object({
  id: Type.Integer(), tenantId: Nullable(Type.String()), occurredAt: Timestamp, actorKind: Type.String(), actorId: Nullable(Type.String()),
  action: Type.String(), targetType: Nullable(Type.String()), targetId: Nullable(Type.String()), outcome: literals(AUDIT_OUTCOMES),
  ip: Nullable(Type.String()), userAgent: Nullable(Type.String()), details: Type.Record(Type.String(), Type.Unknown()),
});
export const AuditQuery = Type.Object({
  action: Type.Optional(Type.String({ maxLength: 100 })),
  actorId: Type.Optional(Type.String({ maxLength: 100 })),
  targetId: Type.Optional(Type.String({ maxLength: 100 })),
  outcome: Type.Optional(literals(AUDIT_OUTCOMES)),
  since: Type.Optional(Type.String({ format: 'date-time' })),
  until: Type.Optional(Type.String({ format: 'date-time' })),
  limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 200, default: 50 })),
  cursor: Type.Optional(Type.String({ maxLength: 40, pattern: '^[0-9]+$' })),
}, strict);

export const PermissionSchema = Type.Object({ name: Type.String(), description: Type.String() });

// ---- single sign-on (the tenant's OpenID Connect provider) ---------------------------------

/** The claim names to read from the ID token or userinfo response: optional in a request, all present in a response. */
const SsoClaims = (optional: boolean) => {
  const field = (description: string) => (optional ? Type.Optional(Type.String({ minLength: 1, maxLength: 200, description })) : Type.String({ description }));
  return Type.Object({
    email: field('Claim with the e-mail address: links an invited user, names a provisioned one (default "email").'),
    name: field('Claim with the display name (default "name").'),
    groups: field('Claim whose values are matched with the externalId of groups (default "groups").'),
    roles: field('Claim whose values roleMapping maps to built-in roles (default "roles").'),
  }, optional ? strict : {});
};

export const SsoSettingsSchema = Type.Object({
  tenantId: Id,
  issuer: Type.String({ description: 'The provider\'s issuer URL, equal to the `iss` of its ID tokens.' }),
  clientId: Type.String(),
  hasClientSecret: Type.Boolean({ description: 'Whether a client secret is stored; the secret itself is never returned.' }),
  clientSecretHint: Nullable(Type.String({ description: 'The first 3 characters of the stored secret, then "…" (only "…" for a secret under 16 characters).' })),
  scopes: List(),
  claims: SsoClaims(false),
  roleMapping: Type.Record(Type.String(), Type.String(), { description: 'Roles claim value -> built-in role, assigned tenant-wide on sign-in.' }),
  autoProvision: Type.Boolean(),
  enabled: Type.Boolean(),
  updatedAt: Timestamp,
  redirectUri: Type.String({ description: 'The redirect URI to register at the provider for this client.' }),
});

export const PutSsoBody = Type.Object({
  issuer: Type.String({ minLength: 1, maxLength: 2000, description: 'https (http only on a loopback host), no query, fragment or credentials.' }),
  clientId: Type.String({ minLength: 1, maxLength: 255 }),
  clientSecret: Type.Optional(Type.Union([Type.String({ minLength: 1, maxLength: 4096 }), Type.Null()], {
    description: 'Write-only. Omitted: the stored secret is kept; null: none (a public client, PKCE only).',
  })),
  scopes: Type.Optional(Type.Array(Type.String({ minLength: 1, maxLength: 100 }), { maxItems: 30, description: 'Scopes to request (openid is always sent); default ["openid","email","profile"]. Add the scopes that make the provider send the groups and roles claims.' })),
  claims: Type.Optional(SsoClaims(true)),
  roleMapping: Type.Optional(Type.Record(Type.String({ minLength: 1, maxLength: 200 }), RoleName, { maxProperties: 100 })),
  autoProvision: Type.Optional(Type.Boolean({ description: 'Create a user on the first sign-in of someone unknown (default false: only invited users).' })),
  enabled: Type.Optional(Type.Boolean({ description: 'Default true; false keeps the settings but hides "Sign in with ..." and refuses sign-ins.' })),
}, strict);
