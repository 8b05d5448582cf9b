import type { Caller } from '../app/caller.js';
import type { AppDeps } from '../app/deps.js';
import { addAppSecret } from '../app/identity/app-credentials.js';
import { listApps, registerApp } from '../app/identity/app-registrations.js';
import { grantConsent } from '../app/identity/consent.js';
import { IdentityCache, type IdentityDeps } from '../app/identity/identity-deps.js';
import { assignRole } from '../app/identity/role-admin.js';
import { SecretHasher } from '../app/identity/secret-hash.js';
import { configureSso, deleteSso, getSso, ssoRedirectUri, type SsoSettingsView } from '../app/identity/sso.js';
import { inviteUser } from '../app/identity/user-admin.js';
import { createAgent } from '../app/use-cases/create-agent.js';
import type { PrincipalType } from '../core/identity/identity-model.js';
import { JoseTokenCrypto } from '../adapters/identity/jose-token-crypto.js';
import type { Config } from '../server/config.js';

/** The CLI acts as a platform administrator: whoever can run it can read the database anyway. */
const CLI_CALLER: Caller = Object.freeze({ actor: Object.freeze({ kind: 'admin', id: 'cli' }), tenants: 'all', isPlatformAdmin: true });

export const IDENTITY_HELP = `
  users invite        --tenant T --email E --name N [--role R[:QUEUE,...]]... [--agent A] [--password-stdin]
  roles assign        --tenant T (--user U | --group G | --app A) --role R [--queues Q1,Q2]
  apps create         --tenant T --name N [--multi-tenant] [--public] [--redirect-uri U]...
                      [--permission P]... (application permissions)  [--scope S]... (delegated scopes)
  apps list           --tenant T
  apps secrets add    --tenant T --app APP_ID [--description D] [--days N]   (prints the value once)
  apps consent        --tenant T --client-id C   (grant admin consent to what the app requests)
  bots create         --tenant T --client-id C --name N   (the bot agent that signs in as app C: its application user)
  sso configure       --tenant T --issuer URL --client-id C [--client-secret-stdin | --public-client]
                      [--scope S]... [--claim email|name|groups|roles=CLAIM]... [--map-role VALUE=ROLE]...
                      [--auto-provision] [--disabled]   (replaces the settings; the secret is read from stdin)
  sso show            --tenant T   (the secret is never shown, only whether one is set)
  sso remove          --tenant T
Each prints the resource as JSON.`;

export interface IdentityArgs {
  readonly tenant?: string | undefined;
  readonly email?: string | undefined;
  readonly name?: string | undefined;
  readonly role?: string[] | undefined;
  readonly agent?: string | undefined;
  readonly user?: string | undefined;
  readonly group?: string | undefined;
  readonly app?: string | undefined;
  readonly queues?: string | undefined;
  readonly 'multi-tenant'?: boolean | undefined;
  readonly public?: boolean | undefined;
  readonly 'redirect-uri'?: string[] | undefined;
  readonly permission?: string[] | undefined;
  readonly scope?: string[] | undefined;
  readonly description?: string | undefined;
  readonly days?: string | undefined;
  readonly 'client-id'?: string | undefined;
  readonly 'password-stdin'?: boolean | undefined;
  readonly issuer?: string | undefined;
  readonly 'client-secret-stdin'?: boolean | undefined;
  readonly 'public-client'?: boolean | undefined;
  readonly claim?: string[] | undefined;
  readonly 'map-role'?: string[] | undefined;
  readonly 'auto-provision'?: boolean | undefined;
  readonly disabled?: boolean | undefined;
}

export const IDENTITY_OPTIONS = {
  tenant: { type: 'string' }, email: { type: 'string' }, name: { type: 'string' }, role: { type: 'string', multiple: true },
  agent: { type: 'string' }, user: { type: 'string' }, group: { type: 'string' }, app: { type: 'string' }, queues: { type: 'string' },
  'multi-tenant': { type: 'boolean' }, public: { type: 'boolean' }, 'redirect-uri': { type: 'string', multiple: true },
  permission: { type: 'string', multiple: true }, scope: { type: 'string', multiple: true }, description: { type: 'string' },
  days: { type: 'string' }, 'client-id': { type: 'string' }, 'password-stdin': { type: 'boolean' },
  issuer: { type: 'string' }, 'client-secret-stdin': { type: 'boolean' }, 'public-client': { type: 'boolean' },
  claim: { type: 'string', multiple: true }, 'map-role': { type: 'string', multiple: true },
  'auto-provision': { type: 'boolean' }, disabled: { type: 'boolean' },
} as const;

export class UsageError extends Error {}

function need(value: string | undefined, flag: string): string {
  if (value === undefined || value === '') throw new UsageError(`missing --${flag}`);
  return value;
}

export function identityDepsFor(deps: AppDeps, config: Config): IdentityDeps {
  return { ...deps, tokenCrypto: new JoseTokenCrypto(), identitySettings: config.identity, secretHasher: new SecretHasher(deps.storage, config.identity.hashKey), identityCache: new IdentityCache() };
}

/** `KEY=VALUE` flags (`--claim groups=memberOf`, `--map-role cc-leads=supervisor`) as a record. */
function pairs(values: readonly string[] | undefined, flag: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const value of values ?? []) {
    const at = value.indexOf('=');
    if (at <= 0 || at === value.length - 1) throw new UsageError(`--${flag} takes KEY=VALUE, got "${value}"`);
    out[value.slice(0, at)] = value.slice(at + 1);
  }
  return out;
}

const CLAIM_KEYS = ['email', 'name', 'groups', 'roles'] as const;

/** The CLI has no request to take a host from: the redirect URI is known only with a public URL. */
function withRedirect(settings: SsoSettingsView, publicUrl: string | null) {
  return { ...settings, redirectUri: ssoRedirectUri(publicUrl ?? '<SWITCHBOARD_PUBLIC_URL>', settings.tenantId) };
}

async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8').replace(/\r?\n$/, '');
}

/** Runs `users|roles|apps|bots|sso ...`; returns what to print, or undefined for an unknown command. */
export async function runIdentityCommand(deps: IdentityDeps, words: readonly string[], args: IdentityArgs): Promise<unknown> {
  const tenantId = (): string => need(args.tenant, 'tenant');
  const key = words.join(' ');
  switch (key) {
    case 'users invite': {
      const roles = (args.role ?? []).map((r) => {
        const [role, queues] = r.split(':');
        return { role: role!, queueIds: queues ? queues.split(',') : null };
      });
      const password = args['password-stdin'] ? await readStdin() : undefined;
      return inviteUser(deps, CLI_CALLER, tenantId(), { email: need(args.email, 'email'), displayName: need(args.name, 'name'), agentId: args.agent ?? null, roles, password });
    }
    case 'roles assign': {
      const principals: [PrincipalType, string | undefined][] = [['user', args.user], ['group', args.group], ['app', args.app]];
      const given = principals.filter(([, id]) => id !== undefined);
      if (given.length !== 1) throw new UsageError('give exactly one of --user, --group, --app');
      const [principalType, principalId] = given[0]! as [PrincipalType, string];
      return assignRole(deps, CLI_CALLER, tenantId(), { principalType, principalId, role: need(args.role?.[0], 'role'), queueIds: args.queues ? args.queues.split(',') : null });
    }
    case 'apps create':
      return registerApp(deps, CLI_CALLER, tenantId(), {
        name: need(args.name, 'name'), accountType: args['multi-tenant'] ? 'multi-tenant' : 'single-tenant', publicClient: args.public ?? false,
        redirectUris: args['redirect-uri'] ?? [], applicationPermissions: args.permission ?? [], delegatedScopes: args.scope ?? [],
      });
    case 'apps list':
      return listApps(deps, CLI_CALLER, tenantId());
    case 'apps secrets add': {
      const days = args.days === undefined ? undefined : Number(args.days);
      if (days !== undefined && !(Number.isInteger(days) && days > 0)) throw new UsageError('--days must be a positive whole number');
      const expiresAt = days === undefined ? undefined : new Date(deps.clock.now() + days * 86_400_000).toISOString();
      return addAppSecret(deps, CLI_CALLER, tenantId(), need(args.app, 'app'), { description: args.description, expiresAt });
    }
    case 'apps consent':
      return grantConsent(deps, CLI_CALLER, tenantId(), need(args['client-id'], 'client-id'));
    case 'bots create':
      // The app id binds the agent to the app registration: the app's tokens then act as this bot.
      return createAgent(deps, CLI_CALLER, tenantId(), { kind: 'bot', displayName: need(args.name, 'name'), appId: need(args['client-id'], 'client-id') });
    case 'sso configure': {
      if (args['client-secret-stdin'] && args['public-client']) throw new UsageError('give --client-secret-stdin or --public-client, not both');
      const claims = pairs(args.claim, 'claim');
      const unknown = Object.keys(claims).filter((k) => !(CLAIM_KEYS as readonly string[]).includes(k));
      if (unknown.length > 0) throw new UsageError(`--claim names one of ${CLAIM_KEYS.join(', ')}, not ${unknown.join(', ')}`);
      // From stdin, so the secret stays out of the shell history and the process list.
      const clientSecret = args['client-secret-stdin'] ? await readStdin() : args['public-client'] ? null : undefined;
      if (clientSecret === '') throw new UsageError('--client-secret-stdin read an empty secret');
      const settings = await configureSso(deps, CLI_CALLER, tenantId(), {
        issuer: need(args.issuer, 'issuer'), clientId: need(args['client-id'], 'client-id'), clientSecret,
        scopes: args.scope, claims, roleMapping: pairs(args['map-role'], 'map-role'),
        autoProvision: args['auto-provision'] ?? false, enabled: !args.disabled,
      });
      return withRedirect(settings, deps.identitySettings.publicUrl);
    }
    case 'sso show':
      return withRedirect(await getSso(deps, CLI_CALLER, tenantId()), deps.identitySettings.publicUrl);
    case 'sso remove':
      await deleteSso(deps, CLI_CALLER, tenantId());
      return { tenantId: tenantId(), removed: true };
    default:
      return undefined;
  }
}
