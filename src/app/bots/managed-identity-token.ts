/**
 * A token for an unmodified `botbuilder` bot in auth mode `switchboard`, through the managed
 * identity route (PROTOCOLS.md 2.6, option 2). A bot configured with
 *
 *   MicrosoftAppType=UserAssignedMsi
 *   MicrosoftAppId=<the client id of its Switchboard app registration>
 *   MicrosoftAppTenantId=<anything: the managed identity request does not carry it>
 *   IDENTITY_ENDPOINT=<public URL>/botframework/msi/token      (optionally ?tenant=<tenant id>)
 *   IDENTITY_HEADER=<a client secret of that app>
 *
 * asks `@azure/identity`'s `DefaultAzureCredential` for its token, which (with no Azure CLI and no
 * `AZURE_*` variables) ends at `ManagedIdentityCredential`, which MSAL for Node sends as the Azure
 * App Service managed identity request (msal-node `ManagedIdentitySources/AppService.ts`):
 *
 *   GET {IDENTITY_ENDPOINT}?api-version=2019-08-01&resource=<ToChannelFromBotOAuthScope>&client_id=<MicrosoftAppId>
 *   X-IDENTITY-HEADER: <IDENTITY_HEADER>
 *
 * and reads `{ access_token, expires_on, resource, token_type }` (`BaseManagedIdentitySource.ts`,
 * `getServerTokenResponse`; `expires_on` in epoch seconds or ISO 8601).
 *
 * We answer with an ordinary client-credentials access token of that app: the header is checked
 * as the app's client secret by the token endpoint itself (`TokenEndpoint.handle`, which also
 * needs the tenant's consent and audits `token.issued` / `token.denied`). The tenant is `tenant`
 * from the query when the endpoint URL names one (a multi-tenant app), otherwise the app's own.
 * `resource` is echoed back; the token's audience is Switchboard's API, as for any app token.
 */
import { NO_GRANTS } from '../../core/identity/grants.js';
import type { Caller, Origin } from '../caller.js';
import { audit } from '../identity/audit.js';
import { AuditThrottle } from '../identity/audit-throttle.js';
import type { IdentityDeps } from '../identity/identity-deps.js';
import type { OAuthErrorCode } from '../identity/oauth-tokens.js';
import type { TokenEndpoint } from '../identity/token-endpoint.js';

export interface ManagedIdentityTokenRequest {
  /** The query string as parsed (a repeated parameter arrives as an array and is refused). */
  readonly query: Readonly<Record<string, unknown>>;
  /** `X-IDENTITY-HEADER`: the app's client secret. */
  readonly identityHeader: string | undefined;
  /** `{scheme}://{host}` the issuer is built from (the configured public URL, or the request's). */
  readonly base: string;
  readonly origin: Origin;
}

/** What the App Service managed identity endpoint answers (the fields MSAL reads). */
export interface ManagedIdentityTokenBody {
  readonly access_token: string;
  /** Epoch seconds, as text (App Service's format). */
  readonly expires_on: string;
  readonly resource: string;
  readonly token_type: 'Bearer';
  readonly client_id: string;
}

export type ManagedIdentityTokenResult =
  | { readonly ok: true; readonly body: ManagedIdentityTokenBody }
  | { readonly ok: false; readonly status: 400 | 401 | 403; readonly error: OAuthErrorCode; readonly description: string };

const MAX_PARAM_LENGTH = 1_000;

/** One per process (its audit throttle is per process, like the token endpoint's). */
export class ManagedIdentityTokens {
  private readonly refusalAudit = new AuditThrottle();

  constructor(private readonly deps: IdentityDeps, private readonly endpoint: TokenEndpoint) {}

  async issue(request: ManagedIdentityTokenRequest): Promise<ManagedIdentityTokenResult> {
    const clientId = param(request.query, 'client_id');
    const resource = param(request.query, 'resource');
    const tenant = param(request.query, 'tenant');
    if (clientId === null || resource === null || tenant === null) {
      return this.refuse(request, 'invalid_request', 'A parameter appears more than once or is too long.', 'malformed_request', null);
    }
    if (clientId === undefined) {
      return this.refuse(request, 'invalid_request', 'The client_id parameter is required: set MicrosoftAppId to the app\'s client id.', 'missing_client_id', null);
    }
    if (resource === undefined) return this.refuse(request, 'invalid_request', 'The resource parameter is required.', 'missing_resource', clientId);
    const secret = request.identityHeader;
    if (secret === undefined || secret === '') {
      return this.refuse(request, 'invalid_client', 'The X-IDENTITY-HEADER header is required: set IDENTITY_HEADER to a client secret of the app.', 'missing_secret', clientId);
    }
    const app = tenant === undefined ? await this.deps.storage.read.identity.getAppByClientId(clientId) : undefined;
    const tenantId = tenant ?? app?.tenantId;
    if (tenantId === undefined) return this.refuse(request, 'invalid_client', 'Client authentication failed: unknown client.', 'unknown_client', clientId);

    const result = await this.endpoint.handle({
      tenantId,
      form: { grant_type: 'client_credentials', client_id: clientId, client_secret: secret },
      basic: undefined,
      base: request.base,
      origin: request.origin,
    });
    if (!result.ok) {
      const status = result.error === 'invalid_client' ? 401 : result.error === 'unauthorized_client' ? 403 : 400;
      return { ok: false, status, error: result.error, description: result.description };
    }
    const expiresOn = Math.floor(this.deps.clock.now() / 1000) + result.body.expires_in;
    return {
      ok: true,
      body: { access_token: result.body.access_token, expires_on: String(expiresOn), resource, token_type: 'Bearer', client_id: clientId },
    };
  }

  /** Refusals before the token endpoint is reached; audited like its own (`token.denied`), throttled. */
  private async refuse(
    request: ManagedIdentityTokenRequest, error: OAuthErrorCode, description: string, reason: string, clientId: string | null,
  ): Promise<ManagedIdentityTokenResult> {
    if (this.refusalAudit.allow(`${reason} ${request.origin.ip ?? ''}`, this.deps.clock.now())) {
      const caller: Caller = { actor: { kind: 'app', id: null }, tenants: [], isPlatformAdmin: false, grants: NO_GRANTS, origin: request.origin };
      await audit(this.deps, caller, null, {
        action: 'token.denied', outcome: 'denied',
        details: { reason, error, grantType: 'managed_identity', ...(clientId !== null ? { clientId: clientId.slice(0, 100) } : {}) },
      });
    }
    return { ok: false, status: error === 'invalid_client' ? 401 : 400, error, description };
  }
}

/** A single query parameter: undefined when absent or empty, null when repeated or too long. */
function param(query: Readonly<Record<string, unknown>>, name: string): string | undefined | null {
  const value = query[name];
  if (value === undefined || value === '') return undefined;
  if (typeof value !== 'string' || value.length > MAX_PARAM_LENGTH) return null;
  return value;
}
