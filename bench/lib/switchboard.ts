import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { startServer, type Pinning, type ServerProcess } from './processes.js';

/**
 * The real Switchboard, as an operator runs it: the built CLI (`node dist/cli/main.js serve`) in
 * its own process, configured only through the environment. The benchmark talks to it over HTTP
 * like any client.
 */

export interface BuildState {
  readonly entry: string;
  readonly note: string;
}

/** Builds dist/ when it is missing or older than src/ (or when B5_BUILD=always). */
export function ensureBuilt(root: string, mode: string | undefined): BuildState {
  const entry = join(root, 'dist', 'cli', 'main.js');
  const newestSource = newest(join(root, 'src'), '.ts');
  // tsc rewrites every output on each build, so the entry's time is the time of the last build.
  const stale = !existsSync(entry) || newestSource > statSync(entry).mtimeMs;
  if (mode === 'never') return { entry, note: stale ? 'dist/ is STALE (B5_BUILD=never): measured an old build' : 'dist/ up to date' };
  if (!stale && mode !== 'always') return { entry, note: 'dist/ up to date with src/' };
  process.stdout.write('building dist/ (npm run build) ...\n');
  const build = spawnSync('npm', ['run', 'build', '--silent'], { cwd: root, stdio: 'inherit' });
  if (build.status !== 0) throw new Error('npm run build failed; fix the build or run with B5_BUILD=never to measure the existing dist/');
  return { entry, note: stale ? 'dist/ was stale or missing: rebuilt with npm run build' : 'dist/ rebuilt (B5_BUILD=always)' };
}

function walk(dir: string, suffix: string, visit: (mtime: number) => void): void {
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) walk(path, suffix, visit);
    else if (entry.name.endsWith(suffix)) visit(statSync(path).mtimeMs);
  }
}
function newest(dir: string, suffix: string): number {
  let value = 0;
  walk(dir, suffix, (m) => (value = Math.max(value, m)));
  return value;
}
export interface RunningSwitchboard {
  readonly server: ServerProcess;
  readonly baseUrl: string;
  /** The admin key printed at first start. */
  readonly key: string;
}

/** Starts `serve` on a fresh data directory; port 0 lets the OS pick a free loopback port. */
/** The environment a benchmark's Switchboard runs with: SQLite in `dataDir`, loopback, warnings only. */
export function switchboardEnv(dataDir: string): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [name, value] of Object.entries(process.env)) {
    // Nothing from the caller's shell may redirect the server (to PostgreSQL, another port, a config file).
    if (name.startsWith('SWITCHBOARD_') || name === 'DATABASE_URL' || name === 'PORT' || name === 'NODE_OPTIONS') continue;
    env[name] = value;
  }
  Object.assign(env, {
    SWITCHBOARD_DATA_DIR: dataDir,
    SWITCHBOARD_HOST: '127.0.0.1',
    SWITCHBOARD_PORT: '0',
    // Request logging at info would measure pino, not the API.
    SWITCHBOARD_LOG_LEVEL: 'warn',
    SWITCHBOARD_SQLITE_SYNCHRONOUS: 'NORMAL',
    // BENCH_SQLITE_CHECKPOINT=inline runs the server with SQLite's checkpoint inside its commits (A/B).
    SWITCHBOARD_SQLITE_CHECKPOINT: process.env.BENCH_SQLITE_CHECKPOINT === 'inline' ? 'inline' : 'background',
  });
  return env;
}

export async function startSwitchboard(options: {
  entry: string; dataDir: string; pinning: Pinning; nodeArgs?: readonly string[];
}): Promise<RunningSwitchboard> {
  const env = switchboardEnv(options.dataDir);
  const { server, readyLine } = await startServer({
    name: 'switchboard',
    command: process.execPath,
    args: [...(options.nodeArgs ?? []), options.entry, 'serve'],
    cwd: options.dataDir,
    env,
    ready: /is listening on (http:\/\/127\.0\.0\.1:\d+)/,
    pinning: options.pinning,
  });
  const key = server.stdout.map((line) => /^\s+(key_[A-Za-z0-9_]+\.[0-9a-f]+)\s*$/.exec(line)?.[1]).find((k) => k !== undefined);
  if (!key) {
    await server.stop();
    throw new Error('switchboard serve did not print an admin key on first start');
  }
  return { server, baseUrl: readyLine[1]!, key };
}

/** A minimal JSON client for seeding: throws on any non-2xx answer. */
export function apiClient(baseUrl: string, key: string) {
  return async function call<T = Record<string, unknown>>(method: 'GET' | 'POST', path: string, body?: unknown): Promise<T> {
    const response = await fetch(`${baseUrl}${path}`, {
      method,
      headers: { authorization: `Bearer ${key}`, ...(body !== undefined ? { 'content-type': 'application/json' } : {}) },
      ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
    });
    const text = await response.text();
    if (!response.ok) throw new Error(`${method} ${path}: ${response.status} ${text}`);
    return JSON.parse(text) as T;
  };
}
