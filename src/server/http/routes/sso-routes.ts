import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import type { IdentityDeps } from '../../../app/identity/identity-deps.js';
import { configureSso, deleteSso, getSso, ssoRedirectUri, type SsoSettingsView } from '../../../app/identity/sso.js';
import { ErrorBody, TenantParams } from '../../../contracts/common.js';
import { PutSsoBody, SsoSettingsSchema } from '../../../contracts/identity.js';
import { baseUrl } from './session-routes.js';

/**
 * The tenant's single sign-on settings (`identity.configure`). The client secret is write-only:
 * responses say whether one is stored and show its first characters, never the value. Each
 * response names the redirect URI to register at the provider, built from the public URL (or the
 * host this request came in on) exactly as the sign-in routes build it.
 */
export function ssoRoutes(app: FastifyInstance, deps: IdentityDeps): void {
  const r = app.withTypeProvider<TypeBoxTypeProvider>();
  const path = '/v1/tenants/:tenantId/sso';
  const errors = { '4xx': ErrorBody };
  const tags = ['identity'];
  const withRedirect = (req: FastifyRequest, settings: SsoSettingsView) => ({ ...settings, redirectUri: ssoRedirectUri(baseUrl(deps, req), settings.tenantId) });

  r.get(path, {
    schema: { tags, summary: 'The single sign-on settings (404 SB_ERR_SSO_NOT_CONFIGURED when there are none)', params: TenantParams, response: { 200: SsoSettingsSchema, ...errors } },
  }, async (req) => withRedirect(req, await getSso(deps, req.caller, req.params.tenantId)));

  r.put(path, {
    schema: {
      tags, summary: 'Configure single sign-on with an OpenID Connect provider (replaces the settings; an omitted clientSecret keeps the stored one)',
      params: TenantParams, body: PutSsoBody, response: { 200: SsoSettingsSchema, ...errors },
    },
  }, async (req) => withRedirect(req, await configureSso(deps, req.caller, req.params.tenantId, req.body)));

  r.delete(path, {
    schema: { tags, summary: 'Remove single sign-on: people sign in with passwords only; existing sessions go on', params: TenantParams, response: { 204: Type.Null(), ...errors } },
  }, async (req, reply) => {
    await deleteSso(deps, req.caller, req.params.tenantId);
    return reply.code(204).send(null);
  });
}
