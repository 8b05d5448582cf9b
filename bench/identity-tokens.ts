import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { spawnSync } from 'node:child_process';
import Database from 'better-sqlite3';
import { runLoad, type LoadSpec, type Sample } from './lib/load.js';
import { canReadProcStat, onExit, pinCores, setAffinity, startServer, type Pinning, type ServerProcess } from './lib/processes.js';
import { cores, int, median, ms, pct, table } from './lib/stats.js';
import { apiClient, ensureBuilt } from './lib/switchboard.js';
import { setting } from './lib/settings.js';

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
 * The same server process is measured twice per round: restricted to the server core (as every
 * other benchmark pins its servers), and allowed both cores, where it shares the second one with
 * the load generator (`taskset -a -p` moves all its threads between measurements). The RSA
 * signature runs on libuv's thread pool, so the second figure is what the server reaches on this
 * whole 2-core machine; the first is what one core does.
 *
 * Settings (environment): TOKENS_ROUNDS (3), TOKENS_SECONDS per measurement (5), TOKENS_WARMUP
 * seconds per target before round 1 (3), TOKENS_BUILD (auto | always | never), TOKENS_KEEP=1 to
 * keep the data directory, TOKENS_PROFILE=1 to write a V8 CPU profile of the Switchboard process to
 * $TMPDIR/switchboard-tokens-profiles (figures measured under the profiler are not results; read
 * it with bench/tools/cpuprofile-summary.ts), TOKENS_TARGETS (comma list of bare-http, sb-1core,
 * sb-2cores; default all), TOKENS_ALG (RS256, the default and the figure the target is about, or
 * ES256: the server runs with SWITCHBOARD_TOKEN_ALG=ES256, for information).
 */

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const CONNECTIONS = 100;
const PIPELINING = 1;
const TARGET_TOKENS_PER_SECOND = 2_000;

type TargetKey = 'bare-http' | 'sb-1core' | 'sb-2cores';

interface Target {
  readonly key: TargetKey;
  readonly label: string;
  readonly server: ServerProcess;
  readonly load: LoadSpec;
  readonly samples: Sample[];
  /** The CPUs the server may use during this target's measurements (when pinning is available). */
  readonly cpus?: readonly number[];
}

const isToken = (t: Target): boolean => t.key !== 'bare-http';

export async function runIdentityTokens(): Promise<boolean> {
  const rounds = Math.round(setting('TOKENS_ROUNDS', 3));
  const seconds = setting('TOKENS_SECONDS', 5);
  const warmup = setting('TOKENS_WARMUP', 3);
  const profile = process.env.TOKENS_PROFILE === '1';
  const algorithm = (process.env.TOKENS_ALG ?? 'RS256').toUpperCase();
  if (algorithm !== 'RS256' && algorithm !== 'ES256') throw new Error('TOKENS_ALG must be RS256 or ES256');
  const profileDir = join(tmpdir(), 'switchboard-tokens-profiles');
  const build = ensureBuilt(ROOT, process.env.TOKENS_BUILD);
  const pinning = pinCores();
  const dataDir = mkdtempSync(join(tmpdir(), 'sb-bench-tokens-'));
  const removeDataDir = () => rmSync(dataDir, { recursive: true, force: true });
  const forgetCleanup = process.env.TOKENS_KEEP === '1' ? () => false : onExit(removeDataDir);
  const servers: ServerProcess[] = [];
  const loadBefore = loadavg();
  header(build.note, pinning, rounds, seconds, warmup, algorithm);
  try {
    const bare = await startServer({
      name: 'bare node:http', command: process.execPath, args: [join(ROOT, 'bench/servers/bare-http.mjs')], cwd: ROOT,
      env: process.env, ready: /^listening (\d+)$/, pinning,
    });
    servers.push(bare.server);
    if (profile) mkdirSync(profileDir, { recursive: true });
    const sb = await startServer({
      name: 'switchboard (tokens)', command: process.execPath, cwd: dataDir,
      args: [...(profile ? ['--cpu-prof', `--cpu-prof-dir=${profileDir}`] : []), join(ROOT, 'bench/servers/switchboard-tokens.mjs')],
      // Started on every core, so the server sizes its signing concurrency to the machine; each
      // measurement then moves it to the cores it is measured on.
      env: serverEnv(dataDir, algorithm), ready: /^listening (http:\/\/127\.0\.0\.1:\d+) (\S+)$/, pinning,
      ...(pinning.used ? { cpus: [pinning.serverCpu!, pinning.loadCpu!] } : {}),
    });
    servers.push(sb.server);
    const baseUrl = sb.readyLine[1]!;
    const seeded = await seed(baseUrl, sb.readyLine[2]!);
    out(`seeded: tenant ${seeded.tenantId}, application ${seeded.clientId} (client secret, consented: conversations.read); first token verified on GET conversations`);

    const form = new URLSearchParams({
      grant_type: 'client_credentials', client_id: seeded.clientId, client_secret: seeded.secret, scope: 'api://switchboard/.default',
    }).toString();
    const tokenLoad: LoadSpec = {
      url: `${baseUrl}/login/${seeded.tenantId}/oauth2/v2.0/token`, connections: CONNECTIONS, pipelining: PIPELINING, method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: form,
    };
    const all: Target[] = [
      { key: 'bare-http', label: 'bare node:http', server: bare.server, samples: [], load: { url: `http://127.0.0.1:${bare.readyLine[1]}/`, connections: CONNECTIONS, pipelining: PIPELINING } },
    ];
    if (pinning.used) {
      all.push(
        { key: 'sb-1core', label: 'SB token, server on 1 core', server: sb.server, samples: [], load: tokenLoad, cpus: [pinning.serverCpu!] },
        { key: 'sb-2cores', label: 'SB token, server on 2 cores', server: sb.server, samples: [], load: tokenLoad, cpus: [pinning.serverCpu!, pinning.loadCpu!] },
      );
    } else {
      all.push({ key: 'sb-2cores', label: 'SB token (unpinned)', server: sb.server, samples: [], load: tokenLoad });
    }
    const only = process.env.TOKENS_TARGETS?.split(',').map((t) => t.trim()).filter(Boolean);
    const targets = only ? all.filter((t) => only.includes(t.key)) : all;
    if (!targets.some(isToken)) throw new Error(`TOKENS_TARGETS selects no token target (known: ${all.map((t) => t.key).join(', ')})`);

    let issued = 0;
    out(`\nwarm-up: ${warmup} s per target (discarded)`);
    for (const target of targets) {
      const sample = await measure(target, warmup, pinning);
      if (isToken(target)) issued += sample.ok;
    }
    out(`\n${rounds} interleaved rounds of ${seconds} s per target, autocannon -c ${CONNECTIONS} -p ${PIPELINING}`);
    for (let round = 0; round < rounds; round++) {
      const order = targets.map((_, i) => targets[(i + round) % targets.length]!);
      for (const target of order) {
        const sample = await measure(target, seconds, pinning);
        if (isToken(target)) issued += sample.ok;
        target.samples.push(sample);
        out(`  round ${round + 1}/${rounds}  ${target.label.padEnd(30)} ${int(sample.rps).padStart(7)} req/s  p50 ${ms(sample.latencyP50Ms).padStart(4)} ms  p99 ${ms(sample.latencyP99Ms).padStart(4)} ms  server ${cores(sample.serverCores)} core  loadgen ${cores(sample.loadCores)} core  others ${othersText(target, sample)}${sample.problems ? `  INVALID: ${sample.problems}` : ''}`);
      }
    }
    const switchboardPid = sb.server.pid;
    for (const server of servers.splice(0)) await server.stop();
    if (profile) out(`\nCPU profile of the Switchboard process (pid ${switchboardPid}, figures above are not results) written to ${profileDir}/ (CPU.*.${switchboardPid}.*.cpuprofile)`);
    const audited = countAudited(join(dataDir, 'switchboard.db'), seeded.tenantId);
    return report(targets, issued, audited, loadBefore, algorithm);
  } finally {
    for (const server of servers) await server.stop().catch(() => undefined);
    forgetCleanup();
    if (process.env.TOKENS_KEEP === '1') out(`data directory kept: ${dataDir}`);
    else removeDataDir();
  }
}

function serverEnv(dataDir: string, algorithm: string): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [name, value] of Object.entries(process.env)) {
    // Nothing from the caller's shell may redirect the server (to PostgreSQL, another port, a config file).
    if (name.startsWith('SWITCHBOARD_') || name === 'DATABASE_URL' || name === 'PORT' || name === 'NODE_OPTIONS') continue;
    env[name] = value;
  }
  return {
    ...env, SWITCHBOARD_DATA_DIR: dataDir, SWITCHBOARD_HOST: '127.0.0.1', SWITCHBOARD_PORT: '0',
    SWITCHBOARD_LOG_LEVEL: 'warn', SWITCHBOARD_SQLITE_SYNCHRONOUS: 'NORMAL', SWITCHBOARD_TOKEN_ALG: algorithm,
  };
}

async function measure(target: Target, seconds: number, pinning: Pinning): Promise<Sample> {
  if (pinning.used && target.cpus) setAffinity(target.server.pid, target.cpus);
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

/** Other processes' CPU: per CPU (server's / generator's) for a pinned server, both together for one spread over both. */
function othersText(target: Target, sample: Sample): string {
  return (target.cpus?.length ?? 1) > 1 ? `${cores(sample.othersOnBothCpus)} (both CPUs)` : `${cores(sample.othersOnServerCpu)}/${cores(sample.othersOnLoadCpu)}`;
}

function report(targets: Target[], issued: number, audited: number, loadBefore: number[], algorithm: string): boolean {
  const summary = targets.map((t) => ({
    target: t,
    rps: median(t.samples.map((s) => s.rps)),
    p50: median(t.samples.map((s) => s.latencyP50Ms)),
    p99: median(t.samples.map((s) => s.latencyP99Ms)),
    server: t.samples.every((s) => s.serverCores !== undefined) ? median(t.samples.map((s) => s.serverCores!)) : undefined,
    load: median(t.samples.map((s) => s.loadCores)),
    perCpu: t.samples.every((s) => s.serverCores) ? median(t.samples.map((s) => s.rps / s.serverCores!)) : undefined,
    others: (t.cpus?.length ?? 1) > 1
      ? (t.samples.every((s) => s.othersOnBothCpus !== undefined) ? `${cores(median(t.samples.map((s) => s.othersOnBothCpus!)))} (both)` : 'n/a')
      : (t.samples.every((s) => s.othersOnServerCpu !== undefined && s.othersOnLoadCpu !== undefined)
        ? `${cores(median(t.samples.map((s) => s.othersOnServerCpu!)))}/${cores(median(t.samples.map((s) => s.othersOnLoadCpu!)))}` : 'n/a'),
  }));
  out('\nmedians over rounds (closed loop: latency includes queueing behind 100 connections; "others": cores other');
  out('processes used on the server / load generator CPU, or on both CPUs when the server had both)');
  out(table([
    ['target', 'req/s', 'min', 'max', 'p50 ms', 'p99 ms', 'server cores', 'loadgen cores', 'others', 'req per server CPU-s'],
    ...summary.map((s) => [
      s.target.label, int(s.rps), int(Math.min(...s.target.samples.map((x) => x.rps))), int(Math.max(...s.target.samples.map((x) => x.rps))),
      ms(s.p50), ms(s.p99), cores(s.server), cores(s.load), s.others, s.perCpu === undefined ? 'n/a' : int(s.perCpu),
    ]),
  ]).split('\n').map((l) => `  ${l}`).join('\n'));
  // Requests still in flight when a measurement ended may have been audited without being counted
  // as answered: at most one per connection per token measurement (warm-up included).
  const tokenMeasurements = targets.filter(isToken).reduce((n, t) => n + t.samples.length + 1, 0);
  const auditOk = audited >= issued && audited - issued <= CONNECTIONS * tokenMeasurements + 1;
  out(`\n  audit: ${int(issued)} tokens answered 200 under load, ${int(audited)} token.issued rows (incl. the seeding token): ${auditOk ? 'OK' : 'MISMATCH'}`);
  out(`  load average before ${loadBefore.map((n) => n.toFixed(2)).join(' ')}, after ${loadavg().map((n) => n.toFixed(2)).join(' ')}`);

  const bare = summary.find((s) => s.target.key === 'bare-http');
  out('');
  for (const token of summary.filter((s) => isToken(s.target))) {
    const verdict = token.rps >= TARGET_TOKENS_PER_SECOND ? 'PASS' : `MISS (needs ${int(TARGET_TOKENS_PER_SECOND - token.rps)} more tokens/s)`;
    const ratio = bare ? ` = ${pct(token.rps / bare.rps)} of bare node:http (${int(bare.rps)} req/s, p50 ${ms(bare.p50)} ms)` : '';
    const range = bare ? ` | same-round ratios ${pairedRange(token.target, bare.target)}` : '';
    out(`TOKENS client_credentials issuance (${algorithm}), ${token.target.label.replace('SB token, ', '')}: ${int(token.rps)} tokens/s = ${pct(token.rps / TARGET_TOKENS_PER_SECOND)} of the target${ratio} (target >= ${int(TARGET_TOKENS_PER_SECOND)} tokens/s) ${verdict} | p50 ${ms(token.p50)} ms, p99 ${ms(token.p99)} ms${token.perCpu !== undefined ? ` | ${int(token.perCpu)} tokens per server CPU-second` : ''}${range}`);
  }
  const invalid = targets.flatMap((t) => t.samples.filter((s) => s.problems).map((s) => `${t.label}: ${s.problems}`));
  if (invalid.length > 0) {
    out(`\nTOKENS INVALID: ${invalid.length} measurement(s) had failed requests:`);
    for (const i of invalid) out(`  ${i}`);
  }
  if (!auditOk) out('\nTOKENS INVALID: the audit log does not hold one token.issued row per issued token');
  return invalid.length === 0 && auditOk;
}

function pairedRange(a: Target, b: Target): string {
  const ratios = a.samples.map((s, i) => (b.samples[i] ? s.rps / b.samples[i]!.rps : Number.NaN)).filter(Number.isFinite);
  return ratios.length === 0 ? 'n/a' : `${pct(Math.min(...ratios))}-${pct(Math.max(...ratios))}`;
}

function header(buildNote: string, pinning: Pinning, rounds: number, seconds: number, warmup: number, algorithm: string): void {
  const git = (args: string[]) => spawnSync('git', args, { cwd: ROOT, encoding: 'utf8' }).stdout?.trim() ?? '';
  const dirty = git(['status', '--porcelain', '--', 'src']).length > 0;
  out('TOKENS identity: OAuth client_credentials token issuance vs bare node:http, same run, interleaved rounds');
  out(`  node ${process.version}, ${cpus().length} CPUs (${cpus()[0]?.model ?? 'unknown CPU'}), ${process.platform} ${process.arch}`);
  out(`  commit ${git(['rev-parse', '--short', 'HEAD']) || 'unknown'}${dirty ? ' + uncommitted changes in src/' : ''}; ${buildNote}`);
  out(`  CPU pinning: ${pinning.description}${canReadProcStat() ? '' : ' (no /proc: server CPU use not reported)'}`);
  out(`  tokens signed ${algorithm}${algorithm === 'RS256' ? ' (RSA 2048, the default)' : ' (SWITCHBOARD_TOKEN_ALG=ES256: not the default, for information)'}`);
  out(`  SQLite: journal_mode=WAL, synchronous=NORMAL; ${rounds} rounds x ${seconds} s, ${warmup} s warm-up per target`);
}

function out(text: string): void {
  process.stdout.write(`${text}\n`);
}
