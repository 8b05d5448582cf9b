import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import Database from 'better-sqlite3';
import { runLoad, type LoadSpec, type Sample } from './lib/load.js';
import { onExit, pinCores, startServer, type Pinning, type ServerProcess } from './lib/processes.js';
import { cores, int, median, ms, pct, table } from './lib/stats.js';
import { apiClient, ensureBuilt, startSwitchboard } from './lib/switchboard.js';
import { machineLines, setting } from './lib/settings.js';

/**
 * B5, REST API (docs/BENCHMARKS.md, design/BENCHMARKS.md): authenticated JSON requests to the real
 * server (GET a page of 20 conversations, POST a message, create a conversation) with
 * `autocannon -c 100 -p 1`, against a bare node:http JSON hello and an empty Fastify route measured
 * in the same run, plus a size-matched baseline (bare node:http serializing the same page) that
 * shows how much of the GET gap is the payload itself. Targets are measured in interleaved rounds
 * (the order rotates each round so no target always runs first or last) and reported as medians,
 * because the machine is shared and noisy; the ratios are what the targets are about.
 *
 * The three Switchboard routes with a target are measured twice in the same run: with the bootstrap
 * admin API key and with an OAuth access token (a JWT from our token endpoint, `client_credentials`
 * of an application consented in the tenant) on every request. Authorization must not slow the
 * API: JWT / API key >= 90% per route (issue 4).
 *
 * Settings (environment): B5_ROUNDS (5), B5_SECONDS per measurement (5), B5_WARMUP seconds per
 * target before round 1 (3), B5_CONVERSATIONS written to by POST (100), B5_TARGETS (comma list of
 * target keys, default all: bare-http, bare-page, bare-fastify, sb-get, sb-get-jwt, sb-get-one,
 * sb-get-one-jwt, sb-post, sb-post-jwt, sb-create), B5_BUILD (auto | always | never), B5_PROFILE=1 to write a V8 CPU
 * profile of the Switchboard process to $TMPDIR/switchboard-b5-profiles (figures measured under
 * the profiler are not results; read it with bench/tools/cpuprofile-summary.ts),
 * B5_KEEP=1 to keep the data directory.
 */

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const CONNECTIONS = 100;
const PIPELINING = 1;
const GET_TARGET = 0.6;
const POST_TARGET = 0.3;
/** JWT on every request vs the bootstrap API key, same route, same run. */
const JWT_TARGET = 0.9;
const MESSAGE_TEXT = 'Hi, my order #4711 arrived damaged and I would like a replacement or a refund. Can you help me with that today?';

type TargetKey =
  | 'bare-http' | 'bare-page' | 'bare-fastify' | 'sb-get' | 'sb-get-jwt' | 'sb-get-one' | 'sb-get-one-jwt' | 'sb-post' | 'sb-post-jwt'
  | 'sb-create';
/** Each JWT target and the API-key target of the same route. */
const JWT_PAIRS = [['sb-get-jwt', 'sb-get'], ['sb-get-one-jwt', 'sb-get-one'], ['sb-post-jwt', 'sb-post']] as const;

interface Target {
  readonly key: TargetKey;
  readonly label: string;
  readonly server: ServerProcess;
  readonly load: LoadSpec;
  readonly samples: Sample[];
}

export async function runB5(): Promise<boolean> {
  const rounds = Math.round(setting('B5_ROUNDS', 5));
  const seconds = setting('B5_SECONDS', 5);
  const warmup = setting('B5_WARMUP', 3);
  const spread = Math.round(setting('B5_CONVERSATIONS', 100));
  if (spread < 20) throw new Error('B5_CONVERSATIONS must be at least 20: the GET reads a page of 20');
  const profile = process.env.B5_PROFILE === '1';
  const only = process.env.B5_TARGETS?.split(',').map((s) => s.trim()).filter(Boolean);

  const build = ensureBuilt(ROOT, process.env.B5_BUILD);
  const pinning: Pinning = pinCores();
  const dataDir = mkdtempSync(join(tmpdir(), 'sb-bench-b5-'));
  const removeDataDir = () => rmSync(dataDir, { recursive: true, force: true });
  const forgetCleanup = process.env.B5_KEEP === '1' ? () => false : onExit(removeDataDir);
  const profileDir = join(tmpdir(), 'switchboard-b5-profiles');
  const servers: ServerProcess[] = [];
  const loadBefore = loadavg();

  header(build.note, pinning, rounds, seconds, warmup);
  try {
    const bare = await startServer({
      name: 'bare node:http', command: process.execPath, args: [join(ROOT, 'bench/servers/bare-http.mjs')], cwd: ROOT,
      env: process.env, ready: /^listening (\d+)$/, pinning,
    });
    servers.push(bare.server);
    const fastify = await startServer({
      name: 'empty Fastify', command: process.execPath, args: [join(ROOT, 'bench/servers/bare-fastify.mjs')], cwd: ROOT,
      env: process.env, ready: /^listening (\d+)$/, pinning,
    });
    servers.push(fastify.server);
    if (profile) mkdirSync(profileDir, { recursive: true });
    const sb = await startSwitchboard({
      entry: build.entry, dataDir, pinning,
      nodeArgs: profile ? ['--cpu-prof', `--cpu-prof-dir=${profileDir}`] : [],
    });
    servers.push(sb.server);

    const seeded = await seed(apiClient(sb.baseUrl, sb.key), spread);
    out(`seeded: tenant ${seeded.tenantId} with ${seeded.conversationIds.length} conversations x 3 messages; GET page returns ${seeded.pageSize} conversations (${seeded.pageJson.length} bytes)`);
    const accessToken = await issueAccessToken(sb.baseUrl, apiClient(sb.baseUrl, sb.key), seeded);
    out(`access token: client_credentials of an application consented in the tenant (conversations.read, conversations.write), ${accessToken.length} characters, RS256; checked on the GET page and the POST with the same answers as the API key`);

    // The size-matched baseline: bare node:http serializing the very page Switchboard returns.
    const pageFile = join(dataDir, 'page.json');
    writeFileSync(pageFile, seeded.pageJson);
    const barePage = await startServer({
      name: 'bare node:http (page)', command: process.execPath, args: [join(ROOT, 'bench/servers/bare-http.mjs')], cwd: ROOT,
      env: { ...process.env, BARE_BODY_FILE: pageFile }, ready: /^listening (\d+)$/, pinning,
    });
    servers.push(barePage.server);

    const auth = { authorization: `Bearer ${sb.key}` };
    const json = { ...auth, 'content-type': 'application/json' };
    const jwtAuth = { authorization: `Bearer ${accessToken}` };
    const jwtJson = { ...jwtAuth, 'content-type': 'application/json' };
    const messageBody = JSON.stringify({ senderRole: 'customer', text: MESSAGE_TEXT });
    // Each request goes to the next of `spread` conversations, so no single row is the hot spot.
    const nextPost = () => ({ path: `/v1/tenants/${seeded.tenantId}/conversations/${seeded.conversationIds[postCount++ % spread]}/messages` });
    const nextGetOne = () => ({ path: `/v1/tenants/${seeded.tenantId}/conversations/${seeded.conversationIds[getCount++ % spread]}` });
    const pageUrl = `${sb.baseUrl}/v1/tenants/${seeded.tenantId}/conversations?limit=20`;
    let postCount = 0;
    let getCount = 0;
    let createCount = 0;
    const all: Target[] = [
      { key: 'bare-http', label: 'bare node:http', server: bare.server, samples: [], load: { url: `http://127.0.0.1:${bare.readyLine[1]}/`, connections: CONNECTIONS, pipelining: PIPELINING } },
      { key: 'bare-page', label: 'bare node:http, same page', server: barePage.server, samples: [], load: { url: `http://127.0.0.1:${barePage.readyLine[1]}/`, connections: CONNECTIONS, pipelining: PIPELINING } },
      { key: 'bare-fastify', label: 'empty Fastify', server: fastify.server, samples: [], load: { url: `http://127.0.0.1:${fastify.readyLine[1]}/`, connections: CONNECTIONS, pipelining: PIPELINING } },
      { key: 'sb-get', label: 'SB GET conversation page', server: sb.server, samples: [], load: { url: pageUrl, connections: CONNECTIONS, pipelining: PIPELINING, headers: auth } },
      { key: 'sb-get-jwt', label: 'SB GET conversation page, JWT', server: sb.server, samples: [], load: { url: pageUrl, connections: CONNECTIONS, pipelining: PIPELINING, headers: jwtAuth } },
      // One conversation resource, rotating over all of them: the smallest authenticated read.
      { key: 'sb-get-one', label: 'SB GET one conversation', server: sb.server, samples: [], load: { url: `${sb.baseUrl}/`, connections: CONNECTIONS, pipelining: PIPELINING, headers: auth, next: nextGetOne } },
      { key: 'sb-get-one-jwt', label: 'SB GET one conversation, JWT', server: sb.server, samples: [], load: { url: `${sb.baseUrl}/`, connections: CONNECTIONS, pipelining: PIPELINING, headers: jwtAuth, next: nextGetOne } },
      {
        key: 'sb-post', label: 'SB POST message', server: sb.server, samples: [],
        load: { url: `${sb.baseUrl}/`, connections: CONNECTIONS, pipelining: PIPELINING, method: 'POST', headers: json, body: messageBody, next: nextPost },
      },
      {
        key: 'sb-post-jwt', label: 'SB POST message, JWT', server: sb.server, samples: [],
        load: { url: `${sb.baseUrl}/`, connections: CONNECTIONS, pipelining: PIPELINING, method: 'POST', headers: jwtJson, body: messageBody, next: nextPost },
      },
      {
        key: 'sb-create', label: 'SB create conversation', server: sb.server, samples: [],
        load: {
          url: `${sb.baseUrl}/v1/tenants/${seeded.createTenantId}/conversations`, connections: CONNECTIONS, pipelining: PIPELINING, method: 'POST', headers: json,
          // A new customer each time: contact + identity + conversation + participant + events.
          next: () => ({
            path: `/v1/tenants/${seeded.createTenantId}/conversations`,
            body: JSON.stringify({ channelId: seeded.createChannelId, customer: { address: `bench-${createCount++}@example.com` } }),
          }),
        },
      },
    ];
    const targets = only ? all.filter((t) => only.includes(t.key)) : all;
    if (targets.length === 0) throw new Error(`B5_TARGETS matched nothing (known: ${all.map((t) => t.key).join(', ')})`);

    let postOk = 0;
    let createOk = 0;
    const tally = (target: Target, sample: Sample) => {
      if (target.key === 'sb-post' || target.key === 'sb-post-jwt') postOk += sample.ok;
      if (target.key === 'sb-create') createOk += sample.ok;
    };

    out(`\nwarm-up: ${warmup} s per target (discarded)`);
    for (const target of targets) tally(target, await measure(target, warmup, pinning));

    out(`\n${rounds} interleaved rounds of ${seconds} s per target, autocannon -c ${CONNECTIONS} -p ${PIPELINING}`);
    for (let round = 0; round < rounds; round++) {
      const order = targets.map((_, i) => targets[(i + round) % targets.length]!);
      for (const target of order) {
        const sample = await measure(target, seconds, pinning);
        tally(target, sample);
        target.samples.push(sample);
        out(`  round ${round + 1}/${rounds}  ${target.label.padEnd(31)} ${int(sample.rps).padStart(7)} req/s  p50 ${ms(sample.latencyP50Ms).padStart(4)} ms  p99 ${ms(sample.latencyP99Ms).padStart(4)} ms  server ${cores(sample.serverCores)} core  loadgen ${cores(sample.loadCores)} core  others ${cores(sample.othersOnServerCpu)}/${cores(sample.othersOnLoadCpu)}${sample.problems ? `  INVALID: ${sample.problems}` : ''}`);
      }
    }

    const switchboardPid = sb.server.pid;
    for (const server of servers.splice(0)) await server.stop();
    // Requests in flight when a measurement stops may still commit: at most one per connection per
    // measurement (warm-up included) of each writing target.
    const writing = (keys: readonly TargetKey[]) => targets.filter((t) => keys.includes(t.key)).length * (rounds + 1) * CONNECTIONS;
    const storeCheck = inspectStore(join(dataDir, 'switchboard.db'), seeded, postOk, createOk, { post: writing(['sb-post', 'sb-post-jwt']), create: writing(['sb-create']) });
    if (profile) out(`\nCPU profile of the Switchboard process (pid ${switchboardPid}) written to ${profileDir}/ (CPU.*.${switchboardPid}.*.cpuprofile)`);
    return report(targets, storeCheck, loadBefore, profile);
  } finally {
    for (const server of servers) await server.stop().catch(() => undefined);
    forgetCleanup();
    if (process.env.B5_KEEP === '1') out(`data directory kept: ${dataDir}`);
    else removeDataDir();
  }
}

async function measure(target: Target, seconds: number, pinning: Pinning): Promise<Sample> {
  const sample = await runLoad(target.load, seconds, target.server, pinning);
  // Let the closed sockets drain before the next target starts.
  await new Promise((r) => setTimeout(r, 300));
  return sample;
}

interface Seeded {
  tenantId: string;
  conversationIds: string[];
  createTenantId: string;
  createChannelId: string;
  pageSize: number;
  pageJson: string;
  seededMessages: number;
}

async function seed(call: ReturnType<typeof apiClient>, spread: number): Promise<Seeded> {
  const tenant = await call<{ id: string }>('POST', '/v1/tenants', { name: 'B5 bench' });
  const channel = await call<{ id: string }>('POST', `/v1/tenants/${tenant.id}/channels`, { type: 'webchat', name: 'B5 web chat' });
  const conversationIds: string[] = [];
  let seededMessages = 0;
  for (let i = 0; i < spread; i++) {
    const conversation = await call<{ id: string }>('POST', `/v1/tenants/${tenant.id}/conversations`, { channelId: channel.id, customer: { address: `seed-${i}@example.com` } });
    conversationIds.push(conversation.id);
    for (let m = 0; m < 3; m++) {
      await call('POST', `/v1/tenants/${tenant.id}/conversations/${conversation.id}/messages`, { senderRole: 'customer', text: `${MESSAGE_TEXT} (${m + 1})` });
      seededMessages++;
    }
  }
  const page = await call<{ items: unknown[] }>('GET', `/v1/tenants/${tenant.id}/conversations?limit=20`);
  if (page.items.length !== 20) throw new Error(`expected a page of 20 conversations, got ${page.items.length}`);
  const createTenant = await call<{ id: string }>('POST', '/v1/tenants', { name: 'B5 bench (create conversation)' });
  const createChannel = await call<{ id: string }>('POST', `/v1/tenants/${createTenant.id}/channels`, { type: 'webchat', name: 'B5 web chat' });
  return {
    tenantId: tenant.id, conversationIds, createTenantId: createTenant.id, createChannelId: createChannel.id,
    pageSize: page.items.length, pageJson: JSON.stringify(page), seededMessages,
  };
}

/**
 * An OAuth access token for the seeded tenant, as an integration would get one: an app registration
 * with application permissions, a client secret, admin consent, then `client_credentials` at the
 * token endpoint. Checked before the run: the GET page answers exactly what it answers to the API
 * key, and a POST is accepted (counted with the seeded messages).
 */
async function issueAccessToken(baseUrl: string, call: ReturnType<typeof apiClient>, seeded: Seeded): Promise<string> {
  const t = `/v1/tenants/${seeded.tenantId}`;
  const app = await call<{ id: string; clientId: string }>('POST', `${t}/apps`, { name: 'B5 integration', applicationPermissions: ['conversations.read', 'conversations.write'] });
  const secret = await call<{ value: string }>('POST', `${t}/apps/${app.id}/secrets`, { description: 'B5' });
  await call('POST', `${t}/enterprise-apps`, { clientId: app.clientId });
  const response = await fetch(`${baseUrl}/login/${seeded.tenantId}/oauth2/v2.0/token`, {
    method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ grant_type: 'client_credentials', client_id: app.clientId, client_secret: secret.value, scope: 'api://switchboard/.default' }),
  });
  const token = await response.json() as { access_token?: string };
  if (!response.ok || !token.access_token) throw new Error(`token request failed: ${response.status} ${JSON.stringify(token)}`);
  const withToken = { authorization: `Bearer ${token.access_token}` };
  const page = await fetch(`${baseUrl}${t}/conversations?limit=20`, { headers: withToken });
  const pageText = await page.text();
  if (!page.ok || pageText !== seeded.pageJson) throw new Error(`GET page with the access token: ${page.status}, ${page.ok ? 'a different page than with the API key' : pageText}`);
  const post = await fetch(`${baseUrl}${t}/conversations/${seeded.conversationIds[0]}/messages`, {
    method: 'POST', headers: { ...withToken, 'content-type': 'application/json' }, body: JSON.stringify({ senderRole: 'customer', text: MESSAGE_TEXT }),
  });
  if (post.status !== 201) throw new Error(`POST message with the access token: ${post.status} ${await post.text()}`);
  seeded.seededMessages++;
  return token.access_token;
}

interface StoreCheck {
  journalMode: string;
  lines: string[];
  ok: boolean;
}

/**
 * After the server stopped: every answered POST must be a row (more rows than answers is fine: a
 * request in flight when the client stopped waiting may still commit), and the WAL setting.
 */
function inspectStore(path: string, seeded: Seeded, postOk: number, createOk: number, slack: { post: number; create: number }): StoreCheck {
  const db = new Database(path, { readonly: true, fileMustExist: true });
  try {
    const journalMode = String(db.pragma('journal_mode', { simple: true }));
    const count = (sql: string, id: string) => Number((db.prepare(sql).get(id) as { n: number }).n);
    const messages = count('SELECT COUNT(*) AS n FROM messages WHERE tenant_id = ?', seeded.tenantId) - seeded.seededMessages;
    const conversations = count('SELECT COUNT(*) AS n FROM conversations WHERE tenant_id = ?', seeded.createTenantId);
    const lines: string[] = [];
    let ok = true;
    for (const [what, answered, rows, allowed] of [['POST message', postOk, messages, slack.post], ['create conversation', createOk, conversations, slack.create]] as const) {
      const fine = rows >= answered && rows - answered <= allowed;
      ok &&= fine;
      lines.push(`${what}: ${int(answered)} answered 2xx, ${int(rows)} rows committed${rows > answered ? ` (${rows - answered} were in flight when the client stopped)` : ''}: ${fine ? 'OK' : 'MISMATCH'}`);
    }
    return { journalMode, lines, ok };
  } finally {
    db.close();
  }
}

function report(targets: Target[], store: StoreCheck, loadBefore: number[], profile: boolean): boolean {
  const summary = targets.map((t) => ({
    target: t,
    rps: median(t.samples.map((s) => s.rps)),
    p50: median(t.samples.map((s) => s.latencyP50Ms)),
    p99: median(t.samples.map((s) => s.latencyP99Ms)),
    server: t.samples.every((s) => s.serverCores !== undefined) ? median(t.samples.map((s) => s.serverCores!)) : undefined,
    load: median(t.samples.map((s) => s.loadCores)),
    othersServer: t.samples.every((s) => s.othersOnServerCpu !== undefined) ? median(t.samples.map((s) => s.othersOnServerCpu!)) : undefined,
    othersLoad: t.samples.every((s) => s.othersOnLoadCpu !== undefined) ? median(t.samples.map((s) => s.othersOnLoadCpu!)) : undefined,
    // Requests per second of server CPU: less sensitive than req/s to other work stealing the core.
    perCpu: t.samples.every((s) => s.serverCores) ? median(t.samples.map((s) => s.rps / s.serverCores!)) : undefined,
  }));
  const byKey = new Map(summary.map((s) => [s.target.key, s]));
  const invalid = targets.flatMap((t) => t.samples.filter((s) => s.problems).map((s) => `${t.label}: ${s.problems}`));

  out('\nmedians over rounds (closed loop: latency includes queueing behind 100 connections;');
  out('"others": cores used by other processes on the server / load generator CPU during the runs)');
  out(table([
    ['target', 'req/s', 'min', 'max', 'p50 ms', 'p99 ms', 'server cores', 'loadgen cores', 'others', 'req per server CPU-s'],
    ...summary.map((s) => [
      s.target.label, int(s.rps), int(Math.min(...s.target.samples.map((x) => x.rps))), int(Math.max(...s.target.samples.map((x) => x.rps))),
      ms(s.p50), ms(s.p99), cores(s.server), cores(s.load), `${cores(s.othersServer)}/${cores(s.othersLoad)}`, s.perCpu === undefined ? 'n/a' : int(s.perCpu),
    ]),
  ]).split('\n').map((l) => `  ${l}`).join('\n'));

  out('\nstore after the run');
  for (const line of store.lines) out(`  ${line}`);
  out(`  journal_mode=${store.journalMode} (read from the file); synchronous=NORMAL (1), as configured (SWITCHBOARD_SQLITE_SYNCHRONOUS; a per-connection setting the server sets on open)`);
  out(`  load average before ${loadBefore.map((n) => n.toFixed(2)).join(' ')}, after ${loadavg().map((n) => n.toFixed(2)).join(' ')}`);

  const bare = byKey.get('bare-http');
  const fastify = byKey.get('bare-fastify');
  const barePage = byKey.get('bare-page');
  for (const base of [bare, barePage, fastify]) {
    if (base && base.load >= 0.9 && base.server !== undefined && base.server < 0.9) {
      out(`  note: ${base.target.label} was limited by the load generator (server ${cores(base.server)} core, loadgen ${cores(base.load)} core): that baseline is understated, so ratios against it are overstated`);
    }
  }

  out('');
  if (profile) out('B5 (profiling run: the figures below were measured under --cpu-prof and are not results)');
  const pairedRange = (key: TargetKey, baseKey: TargetKey): string => {
    const a = targets.find((t) => t.key === key)?.samples ?? [];
    const b = targets.find((t) => t.key === baseKey)?.samples ?? [];
    const ratios = a.map((s, i) => (b[i] ? s.rps / b[i]!.rps : Number.NaN)).filter(Number.isFinite);
    return ratios.length === 0 ? 'n/a' : `${pct(Math.min(...ratios))}-${pct(Math.max(...ratios))}`;
  };
  const line = (key: TargetKey, title: string, target: number | undefined) => {
    const s = byKey.get(key);
    if (!s) return;
    const parts = [`B5 ${title}: ${int(s.rps)} req/s`];
    if (bare) {
      const ratio = s.rps / bare.rps;
      parts[0] += ` = ${pct(ratio)} of bare node:http`;
      if (target === undefined) parts.push('(no target; for information)');
      else {
        const verdict = ratio >= target ? 'PASS' : `MISS by ${((target - ratio) * 100).toFixed(1)} points (needs ${int(target * bare.rps)} req/s, ${int(target * bare.rps - s.rps)} more)`;
        parts.push(`(target >= ${pct(target).replace('.0%', '%')}) ${verdict}`);
      }
    }
    if (fastify) parts.push(`| ${pct(s.rps / fastify.rps)} of empty Fastify`);
    parts.push(`| p50 ${ms(s.p50)} ms, p99 ${ms(s.p99)} ms`);
    if (bare) parts.push(`| same-round ratios ${pairedRange(key, 'bare-http')}`);
    out(parts.join(' '));
  };
  line('sb-get', 'GET conversation page', GET_TARGET);
  line('sb-get-one', 'GET one conversation', GET_TARGET);
  line('sb-post', 'POST message', POST_TARGET);
  line('sb-create', 'create conversation', undefined);
  line('sb-get-jwt', 'GET conversation page, JWT', GET_TARGET);
  line('sb-get-one-jwt', 'GET one conversation, JWT', GET_TARGET);
  line('sb-post-jwt', 'POST message, JWT', POST_TARGET);
  for (const [jwtKey, keyKey] of JWT_PAIRS) {
    const jwt = byKey.get(jwtKey);
    const key = byKey.get(keyKey);
    if (!jwt || !key) continue;
    const ratio = jwt.rps / key.rps;
    const verdict = ratio >= JWT_TARGET ? 'PASS' : `MISS by ${((JWT_TARGET - ratio) * 100).toFixed(1)} points`;
    const perCpu = jwt.perCpu !== undefined && key.perCpu !== undefined ? ` | per server CPU-second ${pct(jwt.perCpu / key.perCpu)}` : '';
    out(`B5 JWT vs API key, ${key.target.label.replace('SB ', '')}: ${int(jwt.rps)} vs ${int(key.rps)} req/s = ${pct(ratio)} (target >= ${pct(JWT_TARGET).replace('.0%', '%')}) ${verdict} | same-round ratios ${pairedRange(jwtKey, keyKey)}${perCpu} | p50 ${ms(jwt.p50)} vs ${ms(key.p50)} ms, p99 ${ms(jwt.p99)} vs ${ms(key.p99)} ms`);
  }
  if (bare?.perCpu) {
    const per = (key: TargetKey) => byKey.get(key)?.perCpu;
    const parts = (['sb-get', 'sb-get-jwt', 'sb-get-one', 'sb-get-one-jwt', 'sb-post', 'sb-post-jwt', 'sb-create'] as const).filter((k) => per(k) !== undefined).map((k) => `${byKey.get(k)!.target.label.replace('SB ', '')} ${pct(per(k)! / bare.perCpu!)}`);
    if (parts.length > 0) out(`B5 per server CPU-second vs bare node:http (for information; discounts CPU taken by other processes): ${parts.join(', ')}`);
  }
  const get = byKey.get('sb-get');
  if (get && barePage) out(`B5 GET conversation page vs bare node:http serializing the same page: ${pct(get.rps / barePage.rps)} (for information; bare page ${int(barePage.rps)} req/s = ${bare ? pct(barePage.rps / bare.rps) : 'n/a'} of the hello, p50 ${ms(barePage.p50)} ms, p99 ${ms(barePage.p99)} ms)`);
  if (bare && fastify) out(`B5 baselines: bare node:http ${int(bare.rps)} req/s (p50 ${ms(bare.p50)} ms, p99 ${ms(bare.p99)} ms); empty Fastify ${int(fastify.rps)} req/s = ${pct(fastify.rps / bare.rps)} of bare (p50 ${ms(fastify.p50)} ms, p99 ${ms(fastify.p99)} ms)`);

  if (invalid.length > 0) {
    out(`\nB5 INVALID: ${invalid.length} measurement(s) had failed requests:`);
    for (const i of invalid) out(`  ${i}`);
  }
  if (!store.ok) out('\nB5 INVALID: the store does not hold what the server acknowledged (see above)');
  return invalid.length === 0 && store.ok;
}

function header(buildNote: string, pinning: Pinning, rounds: number, seconds: number, warmup: number): void {
  out('B5 REST API: Switchboard vs bare node:http and empty Fastify, same run, interleaved rounds');
  for (const line of machineLines(ROOT, buildNote, pinning)) out(line);
  out(`  SQLite: journal_mode=WAL, synchronous=NORMAL (configured); ${rounds} rounds x ${seconds} s, ${warmup} s warm-up per target`);
}

function out(text: string): void {
  process.stdout.write(`${text}\n`);
}
