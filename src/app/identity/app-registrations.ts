import { randomUUID } from 'node:crypto';
import type { AccountType, AppConsent, AppRegistration } from '../../core/identity/identity-model.js';
import type { Caller } from '../caller.js';
import { SwitchboardError } from '../errors.js';
import type { StoreReads } from '../ports/storage.js';
import { requireTenant } from '../tenant-access.js';
import { auditInTx } from './audit.js';
import { commitIdentityChange, type IdentityDeps } from './identity-deps.js';
import { checkPermissions } from './role-admin.js';

export interface RegisterAppInput {
  readonly name: string;
  readonly accountType?: AccountType | undefined;
  readonly redirectUris?: readonly string[] | undefined;
  readonly publicClient?: boolean | undefined;
  readonly applicationPermissions?: readonly string[] | undefined;
  readonly delegatedScopes?: readonly string[] | undefined;
}

export interface UpdateAppInput {
  readonly name?: string | undefined;
  readonly redirectUris?: readonly string[] | undefined;
  readonly applicationPermissions?: readonly string[] | undefined;
  readonly delegatedScopes?: readonly string[] | undefined;
}

const LOOPBACK = new Set(['127.0.0.1', 'localhost', '[::1]']);

/**
 * Redirect URIs are compared exactly at sign-in, so they are checked strictly when saved: absolute,
 * https (http only on loopback, for native apps and development), no fragment, no wildcard.
 */
export function checkRedirectUris(uris: readonly string[]): string[] {
  const problems: { path: string; message: string }[] = [];
  uris.forEach((uri, i) => {
    let url: URL;
    try {
      url = new URL(uri);
    } catch {
      problems.push({ path: `/redirectUris/${i}`, message: 'not an absolute URL' });
      return;
    }
    if (url.protocol !== 'https:' && !(url.protocol === 'http:' && LOOPBACK.has(url.hostname))) problems.push({ path: `/redirectUris/${i}`, message: 'must be https (http only on loopback)' });
    if (url.hash !== '' || uri.includes('#')) problems.push({ path: `/redirectUris/${i}`, message: 'must not have a fragment' });
    if (uri.includes('*')) problems.push({ path: `/redirectUris/${i}`, message: 'wildcards are not allowed' });
    if (url.username || url.password) problems.push({ path: `/redirectUris/${i}`, message: 'must not carry credentials' });
  });
  if (uris.length > 20) problems.push({ path: '/redirectUris', message: 'at most 20' });
  if (problems.length > 0) throw new SwitchboardError('SB_ERR_INVALID_APP', 'Some redirect URIs are invalid.', { problems });
  return [...new Set(uris)];
}

/** Registers an application owned by the tenant; the client id is generated. Secrets are added separately. */
export async function registerApp(deps: IdentityDeps, caller: Caller, tenantId: string, input: RegisterAppInput): Promise<AppRegistration> {
  await requireTenant(deps, caller, tenantId, 'apps.write');
  const redirectUris = checkRedirectUris(input.redirectUris ?? []);
  const applicationPermissions = checkPermissions(input.applicationPermissions ?? [], '/applicationPermissions');
  const delegatedScopes = checkPermissions(input.delegatedScopes ?? [], '/delegatedScopes');
  const publicClient = input.publicClient ?? false;
  if (publicClient && applicationPermissions.length > 0) {
    throw new SwitchboardError('SB_ERR_INVALID_APP', 'A public client holds no secret, so it cannot act as itself: remove its application permissions.');
  }
  return commitIdentityChange(deps, async (tx) => {
    const now = new Date(deps.clock.now()).toISOString();
    const app: AppRegistration = {
      id: deps.ids.next('app'), tenantId, clientId: randomUUID(), name: input.name.trim(), accountType: input.accountType ?? 'single-tenant',
      redirectUris, publicClient, applicationPermissions, delegatedScopes, createdAt: now, updatedAt: now,
    };
    await tx.identity.insertApp(app);
    await auditInTx(tx, caller, tenantId, { action: 'app.registered', targetType: 'app', targetId: app.id, details: { name: app.name, clientId: app.clientId, accountType: app.accountType, applicationPermissions, delegatedScopes } }, now);
    return app;
  });
}

export async function updateApp(deps: IdentityDeps, caller: Caller, tenantId: string, appId: string, input: UpdateAppInput): Promise<AppRegistration> {
  await requireTenant(deps, caller, tenantId, 'apps.write');
  const redirectUris = input.redirectUris === undefined ? undefined : checkRedirectUris(input.redirectUris);
  const applicationPermissions = input.applicationPermissions === undefined ? undefined : checkPermissions(input.applicationPermissions, '/applicationPermissions');
  const delegatedScopes = input.delegatedScopes === undefined ? undefined : checkPermissions(input.delegatedScopes, '/delegatedScopes');
  return commitIdentityChange(deps, async (tx) => {
    const now = new Date(deps.clock.now()).toISOString();
    const app = await ownedApp(tx, tenantId, appId);
    if (app.publicClient && applicationPermissions && applicationPermissions.length > 0) {
      throw new SwitchboardError('SB_ERR_INVALID_APP', 'A public client cannot have application permissions.');
    }
    await tx.identity.updateApp(appId, { name: input.name?.trim(), redirectUris, applicationPermissions, delegatedScopes }, now);
    await auditInTx(tx, caller, tenantId, { action: 'app.updated', targetType: 'app', targetId: appId, details: { changed: Object.keys(input) } }, now);
    return (await tx.identity.getApp(appId))!;
  });
}

export async function getApp(deps: IdentityDeps, caller: Caller, tenantId: string, appId: string): Promise<AppRegistration> {
  await requireTenant(deps, caller, tenantId, 'apps.read');
  return ownedApp(deps.storage.read, tenantId, appId);
}

export async function listApps(deps: IdentityDeps, caller: Caller, tenantId: string): Promise<AppRegistration[]> {
  await requireTenant(deps, caller, tenantId, 'apps.read');
  return deps.storage.read.identity.listApps(tenantId);
}

/** An app registered by this tenant; another tenant's registration looks missing. */
export async function ownedApp(reads: StoreReads, tenantId: string, appId: string): Promise<AppRegistration> {
  const app = await reads.identity.getApp(appId);
  if (!app || app.tenantId !== tenantId) throw new SwitchboardError('SB_ERR_APP_NOT_FOUND');
  return app;
}

/** The tenant's live consent for an app, or undefined (none, or revoked). */
export function activeConsent(consent: AppConsent | undefined): AppConsent | undefined {
  return consent && consent.revokedAt === null ? consent : undefined;
}
