import { generateKeyPairSync, randomBytes, randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { CookieJar } from './cookie-jar.js';

/**
 * A real OpenID provider (oidc-provider 9) on 127.0.0.1 with a random port, for tests of the
 * relying party. One confidential client, PKCE required, an in-memory account store, and instead
 * of the library's HTML dev interactions a tiny programmatic interaction endpoint on the same HTTP
 * server:
 *
 *   GET /interaction/:uid                     -> 200 JSON { uid, prompt, params } (what a login page would show)
 *   GET /interaction/:uid/login?account=alice -> signs alice in and grants the requested scopes, 303 back
 *   GET /interaction/:uid/deny                -> the user refuses: 303 back, then error=access_denied
 *
 * Example:
 *
 *   const op = await startOidcProvider({ redirectUri: 'http://127.0.0.1:9/callback' });
 *   const start = await rp.begin({ issuer: op.issuer, clientId: op.clientId, clientSecret: op.clientSecret, scopes: ['email'] }, redirectUri);
 *   const callbackUrl = await browserSignIn(start.authorizationUrl, 'alice', new CookieJar());
 *   await op.stop();
 */

export interface OidcTestUser {
  /** The account id, which is also the `sub`. */
  readonly id: string;
  readonly email: string;
  readonly name: string;
  readonly groups: readonly string[];
  readonly roles: readonly string[];
}

export const DEFAULT_OIDC_USERS: readonly OidcTestUser[] = [
  { id: 'alice', email: 'alice@example.com', name: 'Alice Archer', groups: ['support', 'tier-2'], roles: ['supervisor'] },
  { id: 'bob', email: 'bob@example.com', name: 'Bob Baker', groups: ['sales'], roles: ['agent'] },
  { id: 'carol', email: 'carol@example.com', name: 'Carol Chen', groups: [], roles: ['admin', 'agent'] },
];

export interface OidcProviderOptions {
  /** The relying party's redirect URI(s) registered for the client. */
  readonly redirectUri: string | readonly string[];
  readonly clientId?: string;
  readonly clientSecret?: string;
  readonly users?: readonly OidcTestUser[];
  /**
   * How the client authenticates at the token endpoint; the provider advertises only this method.
   * Default `client_secret_basic`; `none` makes it a public client (no secret, PKCE only).
   */
  readonly tokenEndpointAuthMethod?: 'client_secret_basic' | 'client_secret_post' | 'none';
  /**
   * Default true. With false the provider has no userinfo endpoint and puts the scope claims
   * (email, name, groups, roles) into the ID token instead.
   */
  readonly userinfo?: boolean;
}

export interface RunningOidcProvider {
  /** `http://127.0.0.1:<port>` (no trailing slash). */
  readonly issuer: string;
  readonly clientId: string;
  /** null for a public client (`tokenEndpointAuthMethod: 'none'`). */
  readonly clientSecret: string | null;
  readonly users: readonly OidcTestUser[];
  /** Requests the provider (and its interaction endpoint) has received, as `METHOD /path`. */
  readonly requests: readonly string[];
  stop(): Promise<void>;
}

// --- the slice of oidc-provider's API used here (the package ships no types) ---

interface InteractionDetails {
  readonly uid: string;
  readonly prompt: { readonly name: string; readonly reasons: readonly string[]; readonly details: Record<string, unknown> };
  readonly params: Record<string, unknown>;
  readonly grantId?: string;
  readonly session?: { readonly accountId?: string };
}

interface GrantInstance {
  addOIDCScope(scope: string): void;
  addOIDCClaims(claims: readonly string[]): void;
  save(): Promise<string>;
}

interface GrantClass {
  new (properties: { accountId: string; clientId: string }): GrantInstance;
  find(id: string): Promise<GrantInstance | undefined>;
}

interface ProviderInstance {
  callback(): (req: IncomingMessage, res: ServerResponse) => void;
  interactionDetails(req: IncomingMessage, res: ServerResponse): Promise<InteractionDetails>;
  interactionFinished(req: IncomingMessage, res: ServerResponse, result: Record<string, unknown>, options?: { mergeWithLastSubmission?: boolean }): Promise<void>;
  readonly Grant: GrantClass;
  on(event: string, listener: (...args: unknown[]) => void): void;
}

type ProviderConstructor = new (issuer: string, configuration: Record<string, unknown>) => ProviderInstance;

let providerClass: Promise<ProviderConstructor> | undefined;

/**
 * oidc-provider 9 warns at import time that Node 20 is not a supported runtime (it wants 22 LTS);
 * everything used here works on 20, so that one line is dropped while the module loads.
 */
function loadProvider(): Promise<ProviderConstructor> {
  providerClass ??= (async () => {
    const warn = console.warn;
    console.warn = (...args: unknown[]) => {
      if (typeof args[0] === 'string' && args[0].includes('oidc-provider WARNING: Unsupported runtime')) return;
      warn(...args);
    };
    try {
      const specifier = 'oidc-provider'; // not a literal: the package has no type declarations
      const mod = (await import(specifier)) as { default: ProviderConstructor };
      return mod.default;
    } finally {
      console.warn = warn;
    }
  })();
  return providerClass;
}

// --- storage: a per-provider in-memory adapter (the library's own one warns that it is for development) ---

interface StoredEntry {
  readonly payload: Record<string, unknown>;
  readonly expiresAt: number;
}

function memoryAdapterFactory(): (model: string) => object {
  const store = new Map<string, StoredEntry>();
  const live = (key: string): StoredEntry | undefined => {
    const entry = store.get(key);
    if (entry && entry.expiresAt <= Date.now()) {
      store.delete(key);
      return undefined;
    }
    return entry;
  };
  return (model: string) => {
    const key = (id: string) => `${model}:${id}`;
    const findBy = (field: string, value: string) => {
      for (const [k, entry] of store) {
        if (k.startsWith(`${model}:`) && entry.payload[field] === value && live(k)) return entry.payload;
      }
      return undefined;
    };
    return {
      async upsert(id: string, payload: Record<string, unknown>, expiresIn?: number) {
        store.set(key(id), { payload, expiresAt: typeof expiresIn === 'number' ? Date.now() + expiresIn * 1000 : Infinity });
      },
      async find(id: string) {
        return live(key(id))?.payload;
      },
      async findByUid(uid: string) {
        return findBy('uid', uid);
      },
      async findByUserCode(userCode: string) {
        return findBy('userCode', userCode);
      },
      async consume(id: string) {
        const entry = live(key(id));
        if (entry) entry.payload.consumed = Math.floor(Date.now() / 1000);
      },
      async destroy(id: string) {
        store.delete(key(id));
      },
      async revokeByGrantId(grantId: string) {
        for (const [k, entry] of store) if (k.startsWith(`${model}:`) && entry.payload.grantId === grantId) store.delete(k);
      },
    };
  };
}

function signingJwks(): { keys: Record<string, unknown>[] } {
  const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  return { keys: [{ ...privateKey.export({ format: 'jwk' }), kid: `test-${randomUUID()}`, alg: 'RS256', use: 'sig' }] };
}

function sendJson(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(text) });
  res.end(text);
}

export async function startOidcProvider(options: OidcProviderOptions): Promise<RunningOidcProvider> {
  const Provider = await loadProvider();
  const clientId = options.clientId ?? `switchboard-test-${randomBytes(4).toString('hex')}`;
  const authMethod = options.tokenEndpointAuthMethod ?? 'client_secret_basic';
  const clientSecret = authMethod === 'none' ? null : options.clientSecret ?? randomBytes(24).toString('base64url');
  const users = options.users ?? DEFAULT_OIDC_USERS;
  const byId = new Map(users.map((u) => [u.id, u]));
  const userinfo = options.userinfo ?? true;
  const requests: string[] = [];

  let handle: (req: IncomingMessage, res: ServerResponse) => void = (_req, res) => {
    res.writeHead(503);
    res.end();
  };
  const server: Server = createServer((req, res) => handle(req, res));
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  const issuer = `http://127.0.0.1:${port}`;

  const provider = new Provider(issuer, {
    clients: [{
      client_id: clientId,
      ...(clientSecret === null ? {} : { client_secret: clientSecret }),
      redirect_uris: typeof options.redirectUri === 'string' ? [options.redirectUri] : [...options.redirectUri],
      grant_types: ['authorization_code'],
      response_types: ['code'],
      token_endpoint_auth_method: authMethod,
    }],
    clientAuthMethods: [authMethod],
    pkce: { required: () => true },
    adapter: memoryAdapterFactory(),
    jwks: signingJwks(),
    cookies: { keys: [randomBytes(32).toString('base64url')] },
    features: {
      devInteractions: { enabled: false },
      userinfo: { enabled: userinfo },
    },
    // With a userinfo endpoint, scope claims go there (the spec's default); without one, into the ID token.
    conformIdTokenClaims: userinfo,
    interactions: { url: (_ctx: unknown, interaction: { uid: string }) => `/interaction/${interaction.uid}` },
    claims: {
      acr: null,
      auth_time: null,
      iss: null,
      sid: null,
      openid: ['sub'],
      email: ['email', 'email_verified'],
      profile: ['name'],
      groups: ['groups'],
      roles: ['roles'],
    },
    async findAccount(_ctx: unknown, id: string) {
      const user = byId.get(id);
      if (!user) return undefined;
      return {
        accountId: user.id,
        async claims() {
          return { sub: user.id, email: user.email, email_verified: true, name: user.name, groups: [...user.groups], roles: [...user.roles] };
        },
      };
    },
    ttl: { AccessToken: 600, AuthorizationCode: 60, IdToken: 600, Interaction: 600, Session: 3600, Grant: 3600 },
    async renderError(ctx: { type: string; body: unknown }, out: Record<string, unknown>) {
      ctx.type = 'json';
      ctx.body = out;
    },
  });
  // Koa logs errors it did not expect to stderr; a test provider should be quiet unless something is really wrong.
  provider.on('server_error', (_ctx, err) => console.error('oidc-provider server_error', err));

  const providerCallback = provider.callback();

  async function interaction(req: IncomingMessage, res: ServerResponse, uid: string, action: string | undefined, query: URLSearchParams) {
    let details: InteractionDetails;
    try {
      details = await provider.interactionDetails(req, res);
    } catch (err) {
      sendJson(res, 400, { error: 'interaction_not_found', detail: err instanceof Error ? err.message : String(err) });
      return;
    }
    if (details.uid !== uid) {
      sendJson(res, 400, { error: 'interaction_mismatch' });
      return;
    }
    if (action === undefined) {
      sendJson(res, 200, { uid: details.uid, prompt: details.prompt, params: details.params });
      return;
    }
    if (action === 'deny') {
      await provider.interactionFinished(req, res, { error: 'access_denied', error_description: 'End-User aborted interaction' }, { mergeWithLastSubmission: false });
      return;
    }
    if (action !== 'login') {
      sendJson(res, 404, { error: 'unknown_interaction_action' });
      return;
    }
    const accountId = query.get('account') ?? '';
    if (!byId.has(accountId)) {
      sendJson(res, 400, { error: 'unknown_account', account: accountId });
      return;
    }
    const requestedClient = String(details.params.client_id);
    const existing = details.grantId ? await provider.Grant.find(details.grantId) : undefined;
    const grant = existing ?? new provider.Grant({ accountId, clientId: requestedClient });
    // Consent to everything asked for: the scopes, and claims requested one by one (the `claims` parameter).
    grant.addOIDCScope(typeof details.params.scope === 'string' ? details.params.scope : 'openid');
    const missingClaims = details.prompt.details.missingOIDCClaims;
    if (Array.isArray(missingClaims)) grant.addOIDCClaims(missingClaims as string[]);
    const grantId = await grant.save();
    await provider.interactionFinished(req, res, { login: { accountId }, consent: { grantId } }, { mergeWithLastSubmission: false });
  }

  handle = (req, res) => {
    const url = new URL(req.url ?? '/', issuer);
    requests.push(`${req.method} ${url.pathname}`);
    const m = /^\/interaction\/([^/]+)(?:\/([^/]+))?\/?$/.exec(url.pathname);
    if (m && req.method === 'GET') {
      interaction(req, res, decodeURIComponent(m[1]!), m[2], url.searchParams).catch((err: unknown) => {
        if (!res.headersSent) sendJson(res, 500, { error: 'interaction_failed', detail: err instanceof Error ? err.message : String(err) });
        else res.destroy();
      });
      return;
    }
    providerCallback(req, res);
  };

  return {
    issuer,
    clientId,
    clientSecret,
    users,
    requests,
    stop: () => new Promise<void>((resolve, reject) => {
      server.closeAllConnections();
      server.close((err) => (err ? reject(err) : resolve()));
    }),
  };
}

export type SignInChoice = string | { readonly deny: true };

/**
 * Acts as the browser: follows the redirect chain from `startUrl` (the authorization URL) with
 * `redirect: 'manual'`, carrying cookies in `jar`. At the provider's interaction page it signs in
 * as `account` (granting consent) or, with `{ deny: true }`, refuses. Stops at the first redirect
 * that leaves the provider (the relying party's redirect URI) and returns that URL without
 * requesting it. Throws if the chain ends anywhere else (an error page, too many hops).
 */
export async function browserSignIn(startUrl: string, account: SignInChoice, jar: CookieJar = new CookieJar()): Promise<string> {
  const providerOrigin = new URL(startUrl).origin;
  let url = startUrl;
  let actedAtInteraction = false;
  for (let hop = 0; hop < 20; hop++) {
    const current = new URL(url);
    if (current.origin !== providerOrigin) return url;

    const interactionPage = /^\/interaction\/([^/]+)\/?$/.exec(current.pathname);
    if (interactionPage && !actedAtInteraction) {
      // The "user" acts on the login page: one click to sign in (and consent), or to refuse.
      actedAtInteraction = true;
      const uid = interactionPage[1]!;
      url = typeof account === 'string'
        ? new URL(`/interaction/${uid}/login?account=${encodeURIComponent(account)}`, providerOrigin).href
        : new URL(`/interaction/${uid}/deny`, providerOrigin).href;
      continue;
    }

    const res = await fetch(url, { redirect: 'manual', headers: jar.headersFor(url) });
    jar.storeFrom(url, res);
    const location = res.headers.get('location');
    if (res.status >= 300 && res.status < 400 && location) {
      await res.arrayBuffer();
      url = new URL(location, url).href;
      continue;
    }
    const body = await res.text();
    throw new Error(`the sign-in stopped at ${current.pathname} with ${res.status}: ${body.slice(0, 500)}`);
  }
  throw new Error('the sign-in did not come back to the relying party within 20 redirects');
}
