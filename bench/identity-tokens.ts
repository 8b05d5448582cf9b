import { mkdtempSync, rmSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { spawnSync } from 'node:child_process';
import Database from 'better-sqlite3';
import { runLoad, type LoadSpec, type Sample } from './lib/load.js';
import { canReadProcStat, onExit, pinCores, startServer, type Pinning, type ServerProcess } from './lib/processes.js';
import { cores, int, median, ms, pct, table } from './lib/stats.js';
import { apiClient, ensureBuilt } from './lib/switchboard.js';

/**
 * Token issuance (identity): OAuth 2.0 `client_credentials` with a client secret
 * (`client_secret_post`, scope `api://switchboard/.default`, what a bot's MSAL client sends) against
 * the real server, `autocannon -c 100 -p 1` as in B5, and the same flags against a bare
 * node:http JSON hello measured in the same run, in interleaved rounds; medians are reported.
 *
 * One issuance is: form parsing, the client lookup, the keyed hash of the secret, the tenant's
 * consent and role assignments, an RS256 signature (RSA 2048) and the `token.issued` audit row.
 * Target: >= 2,000 tokens/s. The server is `bench/servers/switchboard-tokens.mjs`: the built
 * Switchboard assembled as `serve` does, with the per-address token rate limit lifted (every
 * request comes from 127.0.0.1).
 *
 * Settings (environment): TOKENS_ROUNDS (3), TOKENS_SECONDS per measurement (5), TOKENS_WARMUP
 * seconds per target before round 1 (3), TOKENS_BUILD (auto | always | never), TOKENS_KEEP=1 to
 * keep the data directory.
 */

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const CONNECTIONS = 100;
const PIPELINING = 1;
const TARGET_TOKENS_PER_SECOND = 2_000;

interface Target {
  readonly key: 'bare-http' | 'sb-token';
  readonly label: string;
  readonly server: ServerProcess;
  readonly load: LoadSpec;
  readonly samples: Sample[];
}

function setting(name: string, fallback: number): number {
  const value = Number(process.env[name] ?? fallback);
  if (!Number.isFinite(value) || value <= 0) throw new Error(`${name} must be a positive number`);
  return value;
}

export async function runIdentityTokens(): Promise<boolean> {
  const rounds = Math.round(setting('TOKENS_ROUNDS', 3));
  const seconds = setting('TOKENS_SECONDS', 5);
  const warmup = setting('TOKENS_WARMUP', 3);
  const build = ensureBuilt(ROOT, process.env.TOKENS_BUILD);
  const pinning = pinCores();
  const dataDir = mkdtempSync(join(tmpdir(), 'sb-bench-tokens-'));
  const removeDataDir = () => rmSync(dataDir, { recursive: true, force: true });
  const forgetCleanup = process.env.TOKENS_KEEP === '1' ? () => false : onExit(removeDataDir);
  const servers: ServerProcess[] = [];
  const loadBefore = loadavg();
  header(build.note, pinning, rounds, seconds, warmup);
  try {
    const bare = await startServer({
      name: 'bare node:http', command: process.execPath, args: [join(ROOT, 'bench/servers/bare-http.mjs')], cwd: ROOT,
      env: process.env, ready: /^listening (\d+)$/, pinning,
    });
    servers.push(bare.server);
    const sb = await startServer({
      name: 'switchboard (tokens)', command: process.execPath, args: [join(ROOT, 'bench/servers/switchboard-tokens.mjs')], cwd: dataDir,
      env: serverEnv(dataDir), ready: /^listening (http:\/\/127\.0\.0\.1:\d+) (\S+)$/, pinning,
    });
    servers.push(sb.server);
    const baseUrl = sb.readyLine[1]!;
    const seeded = await seed(baseUrl, sb.readyLine[2]!);
    out(`seeded: tenant ${seeded.tenantId}, application ${seeded.clientId} (client secret, consented: conversations.read); first token verified on GET conversations`);

    const form = new URLSearchParams({
      grant_type: 'client_credentials', client_id: seeded.clientId, client_secret: seeded.secret, scope: 'api://switchboard/.default',
    }).toString();
    const targets: Target[] = [
      { key: 'bare-http', label: 'bare node:http', server: bare.server, samples: [], load: { url: `http://127.0.0.1:${bare.readyLine[1]}/`, connections: CONNECTIONS, pipelining: PIPELINING } },
      {
        key: 'sb-token', label: 'SB token (client_credentials)', server: sb.server, samples: [],
        load: {
          url: `${baseUrl}/login/${seeded.tenantId}/oauth2/v2.0/token`, connections: CONNECTIONS, pipelining: PIPELINING, method: 'POST',
          headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: form,
        },
      },
    ];

    let issued = 0;
    out(`\nwarm-up: ${warmup} s per target (discarded)`);
    for (const target of targets) {
      const sample = await measure(target, warmup, pinning);
      if (target.key === 'sb-token') issued += sample.ok;
    }
    out(`\n${rounds} interleaved rounds of ${seconds} s per target, autocannon -c ${CONNECTIONS} -p ${PIPELINING}`);
    for (let round = 0; round < rounds; round++) {
      const order = targets.map((_, i) => targets[(i + round) % targets.length]!);
      for (const target of order) {
        const sample = await measure(target, seconds, pinning);
        if (target.key === 'sb-token') issued += sample.ok;
        target.samples.push(sample);
        out(`  round ${round + 1}/${rounds}  ${target.label.padEnd(30)} ${int(sample.rps).padStart(7)} req/s  p50 ${ms(sample.latencyP50Ms).padStart(4)} ms  p99 ${ms(sample.latencyP99Ms).padStart(4)} ms  server ${cores(sample.serverCores)} core  loadgen ${cores(sample.loadCores)} core  others ${cores(sample.othersOnServerCpu)}/${cores(sample.othersOnLoadCpu)}${sample.problems ? `  INVALID: ${sample.problems}` : ''}`);
      }
    }
    for (const server of servers.splice(0)) await server.stop();
    const audited = countAudited(join(dataDir, 'switchboard.db'), seeded.tenantId);
    return report(targets, issued, audited, loadBefore);
  } finally {
    for (const server of servers) await server.stop().catch(() => undefined);
    forgetCleanup();
    if (process.env.TOKENS_KEEP === '1') out(`data directory kept: ${dataDir}`);
    else removeDataDir();
  }
}

function serverEnv(dataDir: string): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [name, value] of Object.entries(process.env)) {
    // Nothing from the caller's shell may redirect the server (to PostgreSQL, another port, a config file).
    if (name.startsWith('SWITCHBOARD_') || name === 'DATABASE_URL' || name === 'PORT' || name === 'NODE_OPTIONS') continue;
    env[name] = value;
  }
  return {
    ...env, SWITCHBOARD_DATA_DIR: dataDir, SWITCHBOARD_HOST: '127.0.0.1', SWITCHBOARD_PORT: '0',
    SWITCHBOARD_LOG_LEVEL: 'warn', SWITCHBOARD_SQLITE_SYNCHRONOUS: 'NORMAL',
  };
}

async function measure(target: Target, seconds: number, pinning: Pinning): Promise<Sample> {
  const sample = await runLoad(target.load, seconds, target.server, pinning);
  await new Promise((r) => setTimeout(r, 300));
  return sample;
}

interface Seeded {
  readonly tenantId: string;
  readonly clientId: string;
  readonly secret: string;
}

/** Through the admin API, as an operator would: a tenant, an app with a secret, admin consent; then one token, used. */
async function seed(baseUrl: string, key: string): Promise<Seeded> {
  const call = apiClient(baseUrl, key);
  const tenant = await call<{ id: string }>('POST', '/v1/tenants', { name: 'Token bench' });
  const t = `/v1/tenants/${tenant.id}`;
  const app = await call<{ id: string; clientId: string }>('POST', `${t}/apps`, { name: 'Bench bot', applicationPermissions: ['conversations.read'] });
  const secret = await call<{ value: string }>('POST', `${t}/apps/${app.id}/secrets`, { description: 'bench' });
  await call('POST', `${t}/enterprise-apps`, { clientId: app.clientId });
  const response = await fetch(`${baseUrl}/login/${tenant.id}/oauth2/v2.0/token`, {
    method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ grant_type: 'client_credentials', client_id: app.clientId, client_secret: secret.value, scope: 'api://switchboard/.default' }),
  });
  const token = await response.json() as { access_token?: string };
  if (!response.ok || !token.access_token) throw new Error(`token request failed: ${response.status} ${JSON.stringify(token)}`);
  const check = await fetch(`${baseUrl}${t}/conversations`, { headers: { authorization: `Bearer ${token.access_token}` } });
  if (!check.ok) throw new Error(`the issued token was refused: ${check.status} ${await check.text()}`);
  return { tenantId: tenant.id, clientId: app.clientId, secret: secret.value };
}

/** Every issued token is audited: the `token.issued` rows of the tenant, read after the server stopped. */
function countAudited(path: string, tenantId: string): number {
  const db = new Database(path, { readonly: true, fileMustExist: true });
  try {
    return Number((db.prepare("SELECT COUNT(*) AS n FROM audit_log WHERE tenant_id = ? AND action = 'token.issued'").get(tenantId) as { n: number }).n);
  } finally {
    db.close();
  }
}

function report(targets: Target[], issued: number, audited: number, loadBefore: number[]): boolean {
  const summary = targets.map((t) => ({
    target: t,
    rps: median(t.samples.map((s) => s.rps)),
    p50: median(t.samples.map((s) => s.latencyP50Ms)),
    p99: median(t.samples.map((s) => s.latencyP99Ms)),
    server: t.samples.every((s) => s.serverCores !== undefined) ? median(t.samples.map((s) => s.serverCores!)) : undefined,
    load: median(t.samples.map((s) => s.loadCores)),
    perCpu: t.samples.every((s) => s.serverCores) ? median(t.samples.map((s) => s.rps / s.serverCores!)) : undefined,
  }));
  out('\nmedians over rounds (closed loop: latency includes queueing behind 100 connections)');
  out(table([
    ['target', 'req/s', 'min', 'max', 'p50 ms', 'p99 ms', 'server cores', 'loadgen cores', 'req per server CPU-s'],
    ...summary.map((s) => [
      s.target.label, int(s.rps), int(Math.min(...s.target.samples.map((x) => x.rps))), int(Math.max(...s.target.samples.map((x) => x.rps))),
      ms(s.p50), ms(s.p99), cores(s.server), cores(s.load), s.perCpu === undefined ? 'n/a' : int(s.perCpu),
    ]),
  ]).split('\n').map((l) => `  ${l}`).join('\n'));
  // Requests still in flight when a run ended may have been audited without being counted as answered.
  const auditOk = audited >= issued && audited - issued <= CONNECTIONS * (targets[1]!.samples.length + 1) + 1;
  out(`\n  audit: ${int(issued)} tokens answered 200 under load, ${int(audited)} token.issued rows (incl. the seeding token): ${auditOk ? 'OK' : 'MISMATCH'}`);
  out(`  load average before ${loadBefore.map((n) => n.toFixed(2)).join(' ')}, after ${loadavg().map((n) => n.toFixed(2)).join(' ')}`);

  const bare = summary.find((s) => s.target.key === 'bare-http');
  const token = summary.find((s) => s.target.key === 'sb-token')!;
  const verdict = token.rps >= TARGET_TOKENS_PER_SECOND ? 'PASS' : `MISS (needs ${int(TARGET_TOKENS_PER_SECOND - token.rps)} more tokens/s)`;
  const ratio = bare ? ` = ${pct(token.rps / bare.rps)} of bare node:http (${int(bare.rps)} req/s, p50 ${ms(bare.p50)} ms)` : '';
  out(`\nTOKENS client_credentials issuance: ${int(token.rps)} tokens/s${ratio} (target >= ${int(TARGET_TOKENS_PER_SECOND)} tokens/s) ${verdict} | p50 ${ms(token.p50)} ms, p99 ${ms(token.p99)} ms${token.perCpu !== undefined ? ` | ${int(token.perCpu)} tokens per server CPU-second` : ''}`);
  const invalid = targets.flatMap((t) => t.samples.filter((s) => s.problems).map((s) => `${t.label}: ${s.problems}`));
  if (invalid.length > 0) {
    out(`\nTOKENS INVALID: ${invalid.length} measurement(s) had failed requests:`);
    for (const i of invalid) out(`  ${i}`);
  }
  if (!auditOk) out('\nTOKENS INVALID: the audit log does not hold one token.issued row per issued token');
  return invalid.length === 0 && auditOk;
}

function header(buildNote: string, pinning: Pinning, rounds: number, seconds: number, warmup: number): void {
  const git = (args: string[]) => spawnSync('git', args, { cwd: ROOT, encoding: 'utf8' }).stdout?.trim() ?? '';
  const dirty = git(['status', '--porcelain', '--', 'src']).length > 0;
  out('TOKENS identity: OAuth client_credentials token issuance vs bare node:http, same run, interleaved rounds');
  out(`  node ${process.version}, ${cpus().length} CPUs (${cpus()[0]?.model ?? 'unknown CPU'}), ${process.platform} ${process.arch}`);
  out(`  commit ${git(['rev-parse', '--short', 'HEAD']) || 'unknown'}${dirty ? ' + uncommitted changes in src/' : ''}; ${buildNote}`);
  out(`  CPU pinning: ${pinning.description}${canReadProcStat() ? '' : ' (no /proc: server CPU use not reported)'}`);
  out(`  SQLite: journal_mode=WAL, synchronous=NORMAL; ${rounds} rounds x ${seconds} s, ${warmup} s warm-up per target`);
}

function out(text: string): void {
  process.stdout.write(`${text}\n`);
}
