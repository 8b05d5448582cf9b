import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SYSTEM_CALLER } from '../../src/app/caller.js';
import { addAppSecret } from '../../src/app/identity/app-credentials.js';
import { registerApp } from '../../src/app/identity/app-registrations.js';
import { grantConsent } from '../../src/app/identity/consent.js';
import { SigningKeys } from '../../src/app/identity/signing-keys.js';
import { TokenEndpoint, type TokenRequest } from '../../src/app/identity/token-endpoint.js';
import { createChannel } from '../../src/app/use-cases/create-channel.js';
import { createConversation } from '../../src/app/use-cases/create-conversation.js';
import { createTenant } from '../../src/app/use-cases/create-tenant.js';
import { createAdminApiKey } from '../../src/app/use-cases/create-api-key.js';
import { assemble } from '../../src/server/composition-root.js';
import { loadConfig } from '../../src/server/config.js';
import { median } from '../lib/stats.js';

/**
 * Where the CPU of authorization goes, in one process and without a load generator, so the
 * figures survive a busy machine better than throughput does (they are still CPU time on a shared
 * VM: compare within a run). Explains the token benchmark and B5's JWT-vs-API-key ratio
 * (docs/BENCHMARKS.md):
 *
 * 1. Token issuance, `TokenEndpoint.handle` (client_credentials with a secret, as the benchmark
 *    sends it, without HTTP): CPU per token with the real signature, with a stub signature (the
 *    rest of the work: client, secret, consent, roles, claims, the audit row), and the signature
 *    alone (`TokenCrypto.sign`, RS256 on libuv's pool, or ES256 with TOKENS_ALG=ES256).
 * 2. The API through Fastify (`inject`): GET one conversation and GET a page of 20 with the admin
 *    API key and with a JWT access token, in alternating pairs of rounds; CPU per request and the
 *    JWT / key ratio of requests per CPU-second (B5's target: >= 90%).
 *
 * Usage: taskset -c 0 node --import tsx bench/tools/auth-cost.ts   (AUTH_COST_ROUNDS, default 12)
 */

const rounds = Number(process.env.AUTH_COST_ROUNDS ?? 12);
const algorithm = (process.env.TOKENS_ALG ?? 'RS256').toUpperCase();
const dir = mkdtempSync(join(tmpdir(), 'sb-auth-cost-'));
const sb = await assemble(loadConfig({ SWITCHBOARD_DATA_DIR: dir, SWITCHBOARD_LOG_LEVEL: 'warn', SWITCHBOARD_TOKEN_ALG: algorithm }, dir), {
  tokenRateLimit: { max: 1_000_000_000, timeWindowMs: 60_000 },
});
const out = (line: string) => process.stdout.write(`${line}\n`);
try {
  const identity = sb.identity;
  const tenant = await createTenant(sb.deps, SYSTEM_CALLER, { name: 'Auth cost' });
  const channel = await createChannel(sb.deps, SYSTEM_CALLER, tenant.id, { type: 'webchat', name: 'Web' });
  const ids: string[] = [];
  for (let i = 0; i < 100; i++) ids.push((await createConversation(sb.deps, SYSTEM_CALLER, tenant.id, { channelId: channel.id, customer: { address: `c${i}@example.com` } })).conversation.id);
  const app = await registerApp(identity, SYSTEM_CALLER, tenant.id, { name: 'Bench', applicationPermissions: ['conversations.read', 'conversations.write'] });
  const secret = await addAppSecret(identity, SYSTEM_CALLER, tenant.id, app.id, { description: 'bench' });
  await grantConsent(identity, SYSTEM_CALLER, tenant.id, app.clientId);
  const apiKey = (await createAdminApiKey(sb.deps, 'auth cost')).token;

  // ---- 1. token issuance ----
  const keys = new SigningKeys(identity);
  const request: TokenRequest = {
    tenantId: tenant.id, basic: undefined, base: 'http://127.0.0.1:3000', origin: { ip: '127.0.0.1', userAgent: 'bench' },
    form: { grant_type: 'client_credentials', client_id: app.clientId, client_secret: secret.value, scope: 'api://switchboard/.default' },
  };
  const real = new TokenEndpoint(identity, keys);
  let stubToken = '';
  const stubbed = new TokenEndpoint({ ...identity, tokenCrypto: { ...identity.tokenCrypto, sign: async () => stubToken } }, keys);
  const first = await real.handle(request);
  if (!first.ok) throw new Error(`token request refused: ${first.error} ${first.description}`);
  stubToken = first.body.access_token;
  const claims = JSON.parse(Buffer.from(stubToken.split('.')[1]!, 'base64url').toString('utf8')) as Record<string, unknown>;
  const active = await keys.active();
  /** CPU µs per operation, 50 at a time (as concurrent requests would be). */
  const cpuPer = async (n: number, op: () => Promise<unknown>): Promise<number> => {
    const before = process.cpuUsage();
    let started = 0;
    await Promise.all(Array.from({ length: 50 }, async () => {
      while (started < n) {
        started++;
        await op();
      }
    }));
    const used = process.cpuUsage(before);
    return (used.user + used.system) / n;
  };
  const issuance: Record<'real' | 'stub' | 'sign', number[]> = { real: [], stub: [], sign: [] };
  for (let r = 0; r < rounds; r++) {
    issuance.real.push(await cpuPer(1_000, () => real.handle(request)));
    issuance.stub.push(await cpuPer(4_000, () => stubbed.handle(request)));
    issuance.sign.push(await cpuPer(1_000, () => identity.tokenCrypto.sign(claims, active)));
  }
  out(`token issuance (${algorithm}, TokenEndpoint.handle without HTTP), CPU per token, medians of ${rounds} rounds:`);
  out(`  whole issuance             ${median(issuance.real).toFixed(0).padStart(5)} µs  (${(1e6 / median(issuance.real)).toFixed(0)} tokens per CPU-second)`);
  out(`  without the signature      ${median(issuance.stub).toFixed(0).padStart(5)} µs  (client, secret, consent, roles, claims, audit row)`);
  out(`  the signature alone        ${median(issuance.sign).toFixed(0).padStart(5)} µs  (TokenCrypto.sign)`);

  // ---- 2. the API with an API key and with a JWT ----
  const tokenReply = await sb.app.inject({
    method: 'POST', url: `/login/${tenant.id}/oauth2/v2.0/token`, headers: { 'content-type': 'application/x-www-form-urlencoded' },
    payload: new URLSearchParams(request.form as Record<string, string>).toString(),
  });
  const jwt = (tokenReply.json() as { access_token: string }).access_token;
  const routes = {
    'GET one conversation': (i: number) => `/v1/tenants/${tenant.id}/conversations/${ids[i % ids.length]}`,
    'GET page of 20': () => `/v1/tenants/${tenant.id}/conversations?limit=20`,
  } as const;
  const perRequest = async (bearer: string, url: (i: number) => string, n: number): Promise<number> => {
    const before = process.cpuUsage();
    for (let i = 0; i < n; i++) {
      const reply = await sb.app.inject({ method: 'GET', url: url(i), headers: { authorization: `Bearer ${bearer}` } });
      if (reply.statusCode !== 200) throw new Error(`${url(i)}: ${reply.statusCode} ${reply.body}`);
    }
    const used = process.cpuUsage(before);
    return (used.user + used.system) / n;
  };
  out(`\nthe API through Fastify inject, CPU per request, ${rounds} alternating pairs of rounds (medians):`);
  for (const [name, url] of Object.entries(routes)) {
    const n = name.startsWith('GET one') ? 3_000 : 1_000;
    await perRequest(apiKey, url, n);
    await perRequest(jwt, url, n);
    const key: number[] = [];
    const token: number[] = [];
    const ratios: number[] = [];
    for (let r = 0; r < rounds; r++) {
      const [a, b] = r % 2 === 0 ? [apiKey, jwt] : [jwt, apiKey];
      const first = await perRequest(a, url, n);
      const second = await perRequest(b, url, n);
      const k = a === apiKey ? first : second;
      const j = a === apiKey ? second : first;
      key.push(k);
      token.push(j);
      ratios.push(k / j);
    }
    out(`  ${name.padEnd(22)} API key ${median(key).toFixed(1).padStart(6)} µs, JWT ${median(token).toFixed(1).padStart(6)} µs: JWT = ${(median(ratios) * 100).toFixed(1)}% of the key's requests per CPU-second (pairs ${(Math.min(...ratios) * 100).toFixed(0)}-${(Math.max(...ratios) * 100).toFixed(0)}%; target >= 90%)`);
  }
} finally {
  await sb.close();
  rmSync(dir, { recursive: true, force: true });
}
