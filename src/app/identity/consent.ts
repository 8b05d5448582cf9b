import type { AppConsent, AppRegistration } from '../../core/identity/identity-model.js';
import type { Permission } from '../../core/identity/permissions.js';
import type { Caller } from '../caller.js';
import { SwitchboardError } from '../errors.js';
import { requireTenant } from '../tenant-access.js';
import { auditInTx } from './audit.js';
import { assertMayGrant } from './grant-guard.js';
import { commitIdentityChange, type IdentityDeps } from './identity-deps.js';

/** What an administrator is asked to consent to: the app and its requested permissions. */
export interface ConsentRequest {
  readonly app: Pick<AppRegistration, 'id' | 'clientId' | 'name' | 'accountType' | 'tenantId'>;
  readonly applicationPermissions: readonly Permission[];
  readonly delegatedScopes: readonly Permission[];
  readonly current: AppConsent | null;
}

/** An enterprise application as the tenant lists it. */
export interface EnterpriseApp extends AppConsent {
  readonly app: Pick<AppRegistration, 'clientId' | 'name' | 'accountType' | 'tenantId'> | null;
}

/**
 * Finds the app a consent URL names and checks it may be consented to in this tenant: a
 * single-tenant app only in its own tenant, and the redirect URI exactly one of its registered
 * ones (so a consent page cannot be used to bounce an administrator to an attacker's site).
 */
export async function consentRequest(deps: IdentityDeps, caller: Caller, tenantId: string, clientId: string, redirectUri: string | undefined): Promise<ConsentRequest> {
  await requireTenant(deps, caller, tenantId, 'consent.grant');
  const app = await deps.storage.read.identity.getAppByClientId(clientId);
  if (!app || (app.accountType === 'single-tenant' && app.tenantId !== tenantId)) throw new SwitchboardError('SB_ERR_APP_NOT_FOUND');
  if (redirectUri !== undefined && !app.redirectUris.includes(redirectUri)) {
    throw new SwitchboardError('SB_ERR_INVALID_APP', 'The redirect_uri is not registered for this application (it must match exactly).');
  }
  const current = (await deps.storage.read.identity.getConsent(tenantId, app.id)) ?? null;
  return {
    app: { id: app.id, clientId: app.clientId, name: app.name, accountType: app.accountType, tenantId: app.tenantId },
    applicationPermissions: app.applicationPermissions, delegatedScopes: app.delegatedScopes, current,
  };
}

/** Grants what the app requests now, tenant-wide. Replaces an earlier (or revoked) consent. */
export async function grantConsent(deps: IdentityDeps, caller: Caller, tenantId: string, clientId: string): Promise<AppConsent> {
  const request = await consentRequest(deps, caller, tenantId, clientId, undefined);
  assertMayGrant(caller, [...request.applicationPermissions, ...request.delegatedScopes], null);
  return commitIdentityChange(deps, async (tx) => {
    const at = new Date(deps.clock.now()).toISOString();
    const consent: AppConsent = {
      id: request.current?.id ?? deps.ids.next('ent'), tenantId, appId: request.app.id,
      applicationPermissions: request.applicationPermissions, delegatedScopes: request.delegatedScopes,
      consentedBy: caller.actor.id, consentedAt: at, revokedAt: null,
    };
    await tx.identity.putConsent(consent);
    await auditInTx(tx, caller, tenantId, { action: 'consent.granted', targetType: 'app', targetId: request.app.id, details: { clientId, applicationPermissions: consent.applicationPermissions, delegatedScopes: consent.delegatedScopes } }, at);
    return consent;
  });
}

/** An administrator declined the consent page: recorded, nothing else changes. */
export async function recordConsentDenied(deps: IdentityDeps, caller: Caller, tenantId: string, clientId: string): Promise<void> {
  const request = await consentRequest(deps, caller, tenantId, clientId, undefined);
  await deps.storage.transaction((tx) => auditInTx(tx, caller, tenantId, { action: 'consent.denied', targetType: 'app', targetId: request.app.id, outcome: 'denied', details: { clientId } }, new Date(deps.clock.now()).toISOString()));
}

/**
 * Revokes the tenant's consent: the app loses access at once, its tokens included (every token
 * check looks the consent up; the cache is cleared here), and its refresh tokens are revoked.
 */
export async function revokeConsent(deps: IdentityDeps, caller: Caller, tenantId: string, appId: string): Promise<void> {
  await requireTenant(deps, caller, tenantId, 'consent.grant');
  await commitIdentityChange(deps, async (tx) => {
    const at = new Date(deps.clock.now()).toISOString();
    if (!(await tx.identity.getConsent(tenantId, appId))) throw new SwitchboardError('SB_ERR_CONSENT_NOT_FOUND');
    await tx.identity.revokeConsent(tenantId, appId, at);
    await tx.identity.revokeRefreshTokens(tenantId, { appId }, at);
    await auditInTx(tx, caller, tenantId, { action: 'consent.revoked', targetType: 'app', targetId: appId }, at);
  });
}

export async function listEnterpriseApps(deps: IdentityDeps, caller: Caller, tenantId: string): Promise<EnterpriseApp[]> {
  await requireTenant(deps, caller, tenantId, 'apps.read');
  const consents = await deps.storage.read.identity.listConsents(tenantId);
  return Promise.all(consents.map(async (c) => {
    const app = await deps.storage.read.identity.getApp(c.appId);
    return { ...c, app: app ? { clientId: app.clientId, name: app.name, accountType: app.accountType, tenantId: app.tenantId } : null };
  }));
}
