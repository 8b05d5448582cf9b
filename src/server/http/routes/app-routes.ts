import type { FastifyInstance } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import { addAppCertificate, addAppSecret, listAppCertificates, listAppSecrets, revokeAppCertificate, revokeAppSecret } from '../../../app/identity/app-credentials.js';
import { getApp, listApps, registerApp, updateApp } from '../../../app/identity/app-registrations.js';
import { grantConsent, listEnterpriseApps, revokeConsent } from '../../../app/identity/consent.js';
import type { IdentityDeps } from '../../../app/identity/identity-deps.js';
import { ErrorBody, Id, TenantItemParams, TenantParams } from '../../../contracts/common.js';
import {
  AddCertificateBody, AddSecretBody, AppSchema, CertificateSchema, ConsentSchema, CreatedSecretSchema, EnterpriseAppSchema,
  GrantConsentBody, RegisterAppBody, SecretSchema, UpdateAppBody,
} from '../../../contracts/identity.js';

/** App registrations with their credentials, and the tenant's enterprise applications (consent). */
export function appRoutes(app: FastifyInstance, deps: IdentityDeps): void {
  const r = app.withTypeProvider<TypeBoxTypeProvider>();
  const base = '/v1/tenants/:tenantId';
  const errors = { '4xx': ErrorBody };
  const tags = ['applications'];
  const CredentialParams = Type.Object({ tenantId: Id, id: Id, credentialId: Id });

  r.post(`${base}/apps`, {
    schema: { tags, summary: 'Register an application (client id generated)', params: TenantParams, body: RegisterAppBody, response: { 201: AppSchema, ...errors } },
  }, async (req, reply) => reply.code(201).send(await registerApp(deps, req.caller, req.params.tenantId, req.body)));
  r.get(`${base}/apps`, {
    schema: { tags, summary: 'List the applications this tenant registered', params: TenantParams, response: { 200: Type.Object({ items: Type.Array(AppSchema) }), ...errors } },
  }, async (req) => ({ items: await listApps(deps, req.caller, req.params.tenantId) }));
  r.get(`${base}/apps/:id`, {
    schema: { tags, summary: 'Get an application registration', params: TenantItemParams, response: { 200: AppSchema, ...errors } },
  }, async (req) => getApp(deps, req.caller, req.params.tenantId, req.params.id));
  r.patch(`${base}/apps/:id`, {
    schema: { tags, summary: 'Change an application (name, redirect URIs, requested permissions)', params: TenantItemParams, body: UpdateAppBody, response: { 200: AppSchema, ...errors } },
  }, async (req) => updateApp(deps, req.caller, req.params.tenantId, req.params.id, req.body));

  r.post(`${base}/apps/:id/secrets`, {
    schema: { tags, summary: 'Add a client secret: the value is in this response only', params: TenantItemParams, body: AddSecretBody, response: { 201: CreatedSecretSchema, ...errors } },
  }, async (req, reply) => reply.code(201).header('cache-control', 'no-store').send(await addAppSecret(deps, req.caller, req.params.tenantId, req.params.id, req.body)));
  r.get(`${base}/apps/:id/secrets`, {
    schema: { tags, summary: 'List client secrets by hint and expiry (never their values)', params: TenantItemParams, response: { 200: Type.Object({ items: Type.Array(SecretSchema) }), ...errors } },
  }, async (req) => ({ items: await listAppSecrets(deps, req.caller, req.params.tenantId, req.params.id) }));
  r.delete(`${base}/apps/:id/secrets/:credentialId`, {
    schema: { tags, summary: 'Revoke a client secret', params: CredentialParams, response: { 204: Type.Null(), ...errors } },
  }, async (req, reply) => {
    await revokeAppSecret(deps, req.caller, req.params.tenantId, req.params.id, req.params.credentialId);
    return reply.code(204).send(null);
  });

  r.post(`${base}/apps/:id/certificates`, {
    schema: { tags, summary: 'Add a certificate credential (PEM certificate, PEM public key or JWK) for JWT client assertions', params: TenantItemParams, body: AddCertificateBody, response: { 201: CertificateSchema, ...errors } },
  }, async (req, reply) => reply.code(201).send(await addAppCertificate(deps, req.caller, req.params.tenantId, req.params.id, req.body)));
  r.get(`${base}/apps/:id/certificates`, {
    schema: { tags, summary: 'List certificate credentials', params: TenantItemParams, response: { 200: Type.Object({ items: Type.Array(CertificateSchema) }), ...errors } },
  }, async (req) => ({ items: await listAppCertificates(deps, req.caller, req.params.tenantId, req.params.id) }));
  r.delete(`${base}/apps/:id/certificates/:credentialId`, {
    schema: { tags, summary: 'Revoke a certificate credential', params: CredentialParams, response: { 204: Type.Null(), ...errors } },
  }, async (req, reply) => {
    await revokeAppCertificate(deps, req.caller, req.params.tenantId, req.params.id, req.params.credentialId);
    return reply.code(204).send(null);
  });

  r.get(`${base}/enterprise-apps`, {
    schema: { tags, summary: 'Applications consented in this tenant (revoked ones included)', params: TenantParams, response: { 200: Type.Object({ items: Type.Array(EnterpriseAppSchema) }), ...errors } },
  }, async (req) => ({ items: await listEnterpriseApps(deps, req.caller, req.params.tenantId) }));
  r.post(`${base}/enterprise-apps`, {
    schema: { tags, summary: 'Grant admin consent to an application by client id (what the consent page does)', params: TenantParams, body: GrantConsentBody, response: { 201: ConsentSchema, ...errors } },
  }, async (req, reply) => reply.code(201).send(await grantConsent(deps, req.caller, req.params.tenantId, req.body.clientId)));
  r.delete(`${base}/enterprise-apps/:id`, {
    schema: { tags, summary: 'Revoke an application\'s consent: it loses access at once, tokens included', params: TenantItemParams, response: { 204: Type.Null(), ...errors } },
  }, async (req, reply) => {
    await revokeConsent(deps, req.caller, req.params.tenantId, req.params.id);
    return reply.code(204).send(null);
  });
}
