import type { AppCertificate, AppSecret } from '../../core/identity/identity-model.js';
import type { Caller } from '../caller.js';
import { SwitchboardError } from '../errors.js';
import { isKeyImportError } from '../ports/token-crypto.js';
import { requireTenant } from '../tenant-access.js';
import { ownedApp } from './app-registrations.js';
import { auditInTx } from './audit.js';
import { commitIdentityChange, type IdentityDeps } from './identity-deps.js';
import { newSecretValue, secretHint } from './secret-hash.js';

/** A secret as listed: never the value, never the hash. */
export type SecretView = Omit<AppSecret, 'secretHash'>;

export interface CreatedSecret extends SecretView {
  /** The value, returned by this call only: it is stored as a keyed hash and cannot be shown again. */
  readonly value: string;
}

const DAY_MS = 86_400_000;

function view({ secretHash: _hidden, ...rest }: AppSecret): SecretView {
  return rest;
}

/** Adds a client secret that expires within the configured maximum (default: the maximum). */
export async function addAppSecret(
  deps: IdentityDeps, caller: Caller, tenantId: string, appId: string, input: { description?: string | undefined; expiresAt?: string | undefined },
): Promise<CreatedSecret> {
  await requireTenant(deps, caller, tenantId, 'apps.write');
  const now = deps.clock.now();
  const max = now + deps.identitySettings.secretMaxDays * DAY_MS;
  const expires = input.expiresAt === undefined ? max : Date.parse(input.expiresAt);
  if (!Number.isFinite(expires) || expires <= now || expires > max) {
    throw new SwitchboardError('SB_ERR_INVALID_SECRET_EXPIRY', `Give an expiry after now and at most ${deps.identitySettings.secretMaxDays} days ahead.`, { max: new Date(max).toISOString() });
  }
  const value = newSecretValue();
  const secretHash = await deps.secretHasher.hash(value);
  return commitIdentityChange(deps, async (tx) => {
    const at = new Date(now).toISOString();
    const app = await ownedApp(tx, tenantId, appId);
    if (app.publicClient) throw new SwitchboardError('SB_ERR_INVALID_APP', 'A public client cannot hold secrets.');
    const secret: AppSecret = {
      id: deps.ids.next('sec'), appId, description: input.description ?? '', hint: secretHint(value), secretHash,
      expiresAt: new Date(expires).toISOString(), createdAt: at, revokedAt: null,
    };
    await tx.identity.insertAppSecret(secret);
    await auditInTx(tx, caller, tenantId, { action: 'app.secret_created', targetType: 'app', targetId: appId, details: { secretId: secret.id, hint: secret.hint, expiresAt: secret.expiresAt } }, at);
    return { ...view(secret), value };
  });
}

export async function listAppSecrets(deps: IdentityDeps, caller: Caller, tenantId: string, appId: string): Promise<SecretView[]> {
  await requireTenant(deps, caller, tenantId, 'apps.read');
  await ownedApp(deps.storage.read, tenantId, appId);
  return (await deps.storage.read.identity.listAppSecrets(appId)).map(view);
}

export async function revokeAppSecret(deps: IdentityDeps, caller: Caller, tenantId: string, appId: string, secretId: string): Promise<void> {
  await requireTenant(deps, caller, tenantId, 'apps.write');
  await commitIdentityChange(deps, async (tx) => {
    const at = new Date(deps.clock.now()).toISOString();
    await ownedApp(tx, tenantId, appId);
    const secret = (await tx.identity.listAppSecrets(appId)).find((s) => s.id === secretId);
    if (!secret) throw new SwitchboardError('SB_ERR_SECRET_NOT_FOUND');
    await tx.identity.revokeAppSecret(appId, secretId, at);
    await auditInTx(tx, caller, tenantId, { action: 'app.secret_revoked', targetType: 'app', targetId: appId, details: { secretId, hint: secret.hint } }, at);
  });
}

/** Registers a public key (PEM certificate, PEM SPKI or JWK) the app signs client assertions with. */
export async function addAppCertificate(
  deps: IdentityDeps, caller: Caller, tenantId: string, appId: string,
  input: { key: string | Readonly<Record<string, unknown>>; description?: string | undefined; expiresAt?: string | null | undefined },
): Promise<AppCertificate> {
  await requireTenant(deps, caller, tenantId, 'apps.write');
  const imported = await deps.tokenCrypto.importPublicKey(input.key);
  if (isKeyImportError(imported)) throw new SwitchboardError('SB_ERR_INVALID_CERTIFICATE', imported.error);
  const thumbprint = await deps.tokenCrypto.thumbprint(imported);
  const expiresAt = input.expiresAt ?? null;
  if (expiresAt !== null && !(Date.parse(expiresAt) > deps.clock.now())) throw new SwitchboardError('SB_ERR_INVALID_CERTIFICATE', 'The expiry must be in the future.');
  return commitIdentityChange(deps, async (tx) => {
    const at = new Date(deps.clock.now()).toISOString();
    await ownedApp(tx, tenantId, appId);
    if (await tx.identity.findAppCertificate(appId, thumbprint)) throw new SwitchboardError('SB_ERR_INVALID_CERTIFICATE', 'This key is already registered for the application.');
    const certificate: AppCertificate = {
      id: deps.ids.next('crt'), appId, description: input.description ?? '', thumbprint, publicKey: { ...imported, kid: thumbprint },
      expiresAt: expiresAt === null ? null : new Date(expiresAt).toISOString(), createdAt: at, revokedAt: null,
    };
    await tx.identity.insertAppCertificate(certificate);
    await auditInTx(tx, caller, tenantId, { action: 'app.certificate_added', targetType: 'app', targetId: appId, details: { certificateId: certificate.id, thumbprint } }, at);
    return certificate;
  });
}

export async function listAppCertificates(deps: IdentityDeps, caller: Caller, tenantId: string, appId: string): Promise<AppCertificate[]> {
  await requireTenant(deps, caller, tenantId, 'apps.read');
  await ownedApp(deps.storage.read, tenantId, appId);
  return deps.storage.read.identity.listAppCertificates(appId);
}

export async function revokeAppCertificate(deps: IdentityDeps, caller: Caller, tenantId: string, appId: string, certificateId: string): Promise<void> {
  await requireTenant(deps, caller, tenantId, 'apps.write');
  await commitIdentityChange(deps, async (tx) => {
    const at = new Date(deps.clock.now()).toISOString();
    await ownedApp(tx, tenantId, appId);
    if (!(await tx.identity.revokeAppCertificate(appId, certificateId, at))) {
      if (!(await tx.identity.listAppCertificates(appId)).some((c) => c.id === certificateId)) throw new SwitchboardError('SB_ERR_CERTIFICATE_NOT_FOUND');
      return;
    }
    await auditInTx(tx, caller, tenantId, { action: 'app.certificate_revoked', targetType: 'app', targetId: appId, details: { certificateId } }, at);
  });
}
