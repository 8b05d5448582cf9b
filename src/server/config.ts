import { existsSync, readFileSync } from 'node:fs';
import { isAbsolute, join, resolve } from 'node:path';
import type { IdentitySettings } from '../app/identity/identity-deps.js';
import { SIGNING_ALGORITHMS } from '../core/identity/identity-model.js';

/**
 * Configuration: read once from the environment and an optional JSON file, validated with every
 * problem listed at once, then frozen. Nothing else in Switchboard reads `process.env`; the CLI
 * passes it here. Environment variables win over the file, the file over the defaults.
 */
export type DatabaseConfig =
  | { readonly kind: 'sqlite'; readonly path: string; readonly synchronous: 'NORMAL' | 'FULL'; readonly checkpoint: 'background' | 'inline' }
  | { readonly kind: 'postgres'; readonly url: string; readonly schema: string | undefined; readonly maxConnections: number };

export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

export interface Config {
  readonly host: string;
  readonly port: number;
  readonly dataDir: string;
  readonly database: DatabaseConfig;
  readonly bus: 'in-process';
  readonly logLevel: LogLevel;
  /** Largest accepted request body, in bytes. */
  readonly bodyLimit: number;
  /** Seconds between queue statistics snapshots on the event stream (0: none). */
  readonly routingStatsSeconds: number;
  /** The wallboard feed: least milliseconds between two frames to a subscriber, and the refresh while nothing happens. */
  readonly wallboard: { readonly intervalMs: number; readonly refreshMs: number };
  /** Identity: token lifetimes, lockout, secret expiry, the public URL and the hashing key. */
  readonly identity: IdentitySettings;
  /** The demo web chat channel's Direct Line secret, when fixed by the configuration. */
  readonly demoDirectLineSecret: string | null;
  /** The demo people's shared password (SWITCHBOARD_DEMO_PASSWORD); null: generated on the first start. */
  readonly demoPassword: string | null;
  /** Where the configuration came from, for the start-up log. */
  readonly sources: readonly string[];
}

export class ConfigError extends Error {
  override readonly name = 'ConfigError';
  constructor(readonly problems: readonly string[]) {
    super(`invalid configuration:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
  }
}

/** One row per setting; docs/CONFIGURATION.md and the README table are written from this. */
export const SETTINGS = [
  { env: 'SWITCHBOARD_CONFIG', file: null, default: './switchboard.config.json if present', doc: 'Path of a JSON file with any of the settings below (by their file key).' },
  { env: 'SWITCHBOARD_HOST', file: 'host', default: '127.0.0.1', doc: 'Interface to listen on; 0.0.0.0 to accept connections from other machines.' },
  { env: 'SWITCHBOARD_PORT', file: 'port', default: '3000 (or PORT)', doc: 'HTTP and WebSocket port; the conventional PORT is used when this is unset.' },
  { env: 'SWITCHBOARD_DATA_DIR', file: 'dataDir', default: './data', doc: 'Directory of the embedded SQLite database (switchboard.db).' },
  { env: 'DATABASE_URL', file: 'databaseUrl', default: '(unset: SQLite)', doc: 'A postgres:// (or postgresql://) URL selects PostgreSQL; sqlite:PATH picks a SQLite file.' },
  { env: 'SWITCHBOARD_PG_SCHEMA', file: 'pgSchema', default: '(public)', doc: 'PostgreSQL schema to use (created if missing).' },
  { env: 'SWITCHBOARD_PG_POOL_SIZE', file: 'pgPoolSize', default: '10', doc: 'PostgreSQL connections per process.' },
  { env: 'SWITCHBOARD_SQLITE_SYNCHRONOUS', file: 'sqliteSynchronous', default: 'NORMAL', doc: 'NORMAL survives a process crash; FULL also a power loss, at a cost per commit.' },
  { env: 'SWITCHBOARD_SQLITE_CHECKPOINT', file: 'sqliteCheckpoint', default: 'background', doc: 'background: a worker thread copies the WAL into the database file, off the event loop; inline: SQLite does it inside a commit.' },
  { env: 'SWITCHBOARD_BUS', file: 'bus', default: 'in-process', doc: 'Event bus; in-process for one node (NATS arrives with scale-out).' },
  { env: 'SWITCHBOARD_LOG_LEVEL', file: 'logLevel', default: 'info', doc: 'fatal, error, warn, info, debug, trace or silent.' },
  { env: 'SWITCHBOARD_BODY_LIMIT', file: 'bodyLimit', default: '1048576', doc: 'Largest request body in bytes (413 SB_ERR_BODY_TOO_LARGE above it).' },
  { env: 'SWITCHBOARD_ROUTING_STATS_SECONDS', file: 'routingStatsSeconds', default: '10', doc: 'Seconds between routing.queue_stats snapshot events for wallboards, per tenant with routing activity (0 turns them off).' },
  { env: 'SWITCHBOARD_WALLBOARD_INTERVAL_MS', file: 'wallboardIntervalMs', default: '250', doc: 'Least milliseconds between two frames of the wallboard feed to one subscriber (250: at most 4 a second), 50 to 60000.' },
  { env: 'SWITCHBOARD_WALLBOARD_REFRESH_MS', file: 'wallboardRefreshMs', default: '5000', doc: 'While nothing changes, the wallboard feed recomputes this often and sends a longest wait that grew by itself at most this often; at least the interval.' },
  { env: 'SWITCHBOARD_PUBLIC_URL', file: 'publicUrl', default: '(unset: from each request)', doc: 'External base URL (https://cc.example.com); the OAuth issuer and redirect URLs are built from it. Set it in production.' },
  { env: 'SWITCHBOARD_HASH_KEY', file: 'hashKey', default: '(unset: generated and kept in the database)', doc: 'Hex key (32+ bytes) for the keyed hash of client secrets; keep it outside the database in production.' },
  { env: 'SWITCHBOARD_ACCESS_TOKEN_SECONDS', file: 'accessTokenSeconds', default: '3600', doc: 'Lifetime of access tokens issued by the token endpoint.' },
  { env: 'SWITCHBOARD_REFRESH_TOKEN_DAYS', file: 'refreshTokenDays', default: '30', doc: 'Lifetime of refresh tokens (each use rotates them).' },
  { env: 'SWITCHBOARD_SECRET_MAX_DAYS', file: 'secretMaxDays', default: '730', doc: 'Longest expiry an administrator may give a client secret.' },
  { env: 'SWITCHBOARD_SESSION_HOURS', file: 'sessionHours', default: '12', doc: 'Lifetime of a web sign-in session.' },
  { env: 'SWITCHBOARD_SIGNING_KEY_DAYS', file: 'signingKeyDays', default: '30', doc: 'Days a token signing key signs before the next one takes over (the old one stays published until its tokens expire).' },
  { env: 'SWITCHBOARD_TOKEN_ALG', file: 'tokenAlgorithm', default: 'RS256', doc: 'How access and ID tokens are signed: RS256 (RSA, what Entra and every client accept) or ES256 (EC P-256, over ten times cheaper to sign); set the same on every node.' },
  { env: 'SWITCHBOARD_LOCKOUT_THRESHOLD', file: 'lockoutThreshold', default: '5', doc: 'Failed password sign-ins in a row that lock an account.' },
  { env: 'SWITCHBOARD_LOCKOUT_MINUTES', file: 'lockoutMinutes', default: '15', doc: 'How long a locked account stays locked.' },
  { env: 'SWITCHBOARD_DEMO_DIRECTLINE_SECRET', file: 'demoDirectLineSecret', default: '(unset: a new one printed at each start)', doc: 'Fixes the Direct Line secret of the demo web chat channel (sbdl_ and 32+ more characters), for acceptance checks and scripts.' },
  { env: 'SWITCHBOARD_DEMO_PASSWORD', file: 'demoPassword', default: '(unset: generated on the first start, printed at each start)', doc: 'The password of the demo tenant\'s people (agents, supervisor, administrator), 12 to 256 characters; set again on every start.' },
] as const;

type Env = Readonly<Record<string, string | undefined>>;

export function loadConfig(env: Env, cwd: string = process.cwd()): Config {
  const problems: string[] = [];
  const sources: string[] = ['defaults'];
  const file = readConfigFile(env, cwd, problems, sources);
  if (Object.keys(env).some((k) => k.startsWith('SWITCHBOARD_') || k === 'DATABASE_URL' || k === 'PORT')) sources.push('environment');

  const pick = (envName: string, fileKey: string): string | undefined => {
    const fromEnv = env[envName];
    if (fromEnv !== undefined && fromEnv !== '') return fromEnv;
    const fromFile = file[fileKey];
    return fromFile === undefined || fromFile === null ? undefined : String(fromFile);
  };

  const host = pick('SWITCHBOARD_HOST', 'host') ?? '127.0.0.1';
  const portText = pick('SWITCHBOARD_PORT', 'port') ?? env.PORT ?? '3000';
  const port = integer(portText, 'port (SWITCHBOARD_PORT / PORT)', 0, 65535, problems);
  const dataDir = absolute(pick('SWITCHBOARD_DATA_DIR', 'dataDir') ?? './data', cwd);

  const syncText = (pick('SWITCHBOARD_SQLITE_SYNCHRONOUS', 'sqliteSynchronous') ?? 'NORMAL').toUpperCase();
  if (syncText !== 'NORMAL' && syncText !== 'FULL') problems.push(`sqliteSynchronous (SWITCHBOARD_SQLITE_SYNCHRONOUS) must be NORMAL or FULL, got "${syncText}"`);
  const synchronous = syncText === 'FULL' ? 'FULL' : 'NORMAL';
  const checkpointText = (pick('SWITCHBOARD_SQLITE_CHECKPOINT', 'sqliteCheckpoint') ?? 'background').toLowerCase();
  if (checkpointText !== 'background' && checkpointText !== 'inline') problems.push(`sqliteCheckpoint (SWITCHBOARD_SQLITE_CHECKPOINT) must be background or inline, got "${checkpointText}"`);
  const checkpoint = checkpointText === 'inline' ? 'inline' : 'background';

  let database: DatabaseConfig = { kind: 'sqlite', path: join(dataDir, 'switchboard.db'), synchronous, checkpoint };
  const url = pick('DATABASE_URL', 'databaseUrl');
  if (url !== undefined) {
    if (/^postgres(ql)?:\/\//.test(url)) {
      const schema = pick('SWITCHBOARD_PG_SCHEMA', 'pgSchema');
      if (schema !== undefined && !/^[a-z_][a-z0-9_]{0,62}$/.test(schema)) problems.push(`pgSchema (SWITCHBOARD_PG_SCHEMA) must be a lower-case identifier, got "${schema}"`);
      const maxConnections = integer(pick('SWITCHBOARD_PG_POOL_SIZE', 'pgPoolSize') ?? '10', 'pgPoolSize (SWITCHBOARD_PG_POOL_SIZE)', 1, 1000, problems);
      database = { kind: 'postgres', url, schema, maxConnections };
    } else if (url.startsWith('sqlite:')) {
      const path = url.slice('sqlite:'.length);
      database = { kind: 'sqlite', path: path === ':memory:' ? path : absolute(path, cwd), synchronous, checkpoint };
    } else {
      problems.push('databaseUrl (DATABASE_URL) must start with postgres://, postgresql:// or sqlite:');
    }
  }

  const bus = pick('SWITCHBOARD_BUS', 'bus') ?? 'in-process';
  if (bus !== 'in-process') problems.push(`bus (SWITCHBOARD_BUS) must be "in-process" in this version, got "${bus}"`);

  const logLevel = pick('SWITCHBOARD_LOG_LEVEL', 'logLevel') ?? 'info';
  if (!(LOG_LEVELS as readonly string[]).includes(logLevel)) problems.push(`logLevel (SWITCHBOARD_LOG_LEVEL) must be one of ${LOG_LEVELS.join(', ')}, got "${logLevel}"`);

  const bodyLimit = integer(pick('SWITCHBOARD_BODY_LIMIT', 'bodyLimit') ?? '1048576', 'bodyLimit (SWITCHBOARD_BODY_LIMIT)', 1024, 100 * 1024 * 1024, problems);
  const routingStatsSeconds = integer(pick('SWITCHBOARD_ROUTING_STATS_SECONDS', 'routingStatsSeconds') ?? '10', 'routingStatsSeconds (SWITCHBOARD_ROUTING_STATS_SECONDS)', 0, 3600, problems);
  const wallboardIntervalMs = integer(pick('SWITCHBOARD_WALLBOARD_INTERVAL_MS', 'wallboardIntervalMs') ?? '250', 'wallboardIntervalMs (SWITCHBOARD_WALLBOARD_INTERVAL_MS)', 50, 60_000, problems);
  const wallboardRefreshMs = integer(pick('SWITCHBOARD_WALLBOARD_REFRESH_MS', 'wallboardRefreshMs') ?? '5000', 'wallboardRefreshMs (SWITCHBOARD_WALLBOARD_REFRESH_MS)', 50, 3_600_000, problems);
  if (wallboardRefreshMs < wallboardIntervalMs) problems.push('wallboardRefreshMs (SWITCHBOARD_WALLBOARD_REFRESH_MS) must be at least wallboardIntervalMs');

  const publicUrlText = pick('SWITCHBOARD_PUBLIC_URL', 'publicUrl');
  let publicUrl: string | null = null;
  if (publicUrlText !== undefined) {
    try {
      const u = new URL(publicUrlText);
      if (u.protocol !== 'https:' && u.protocol !== 'http:') throw new Error('scheme');
      publicUrl = u.origin + u.pathname.replace(/\/+$/, '');
    } catch {
      problems.push(`publicUrl (SWITCHBOARD_PUBLIC_URL) must be an http(s) URL, got "${publicUrlText}"`);
    }
  }
  const hashKey = pick('SWITCHBOARD_HASH_KEY', 'hashKey') ?? null;
  if (hashKey !== null && !/^([0-9a-fA-F]{2}){32,}$/.test(hashKey)) problems.push('hashKey (SWITCHBOARD_HASH_KEY) must be at least 32 bytes in hex (64 hex digits)');
  const tokenAlgorithm = (pick('SWITCHBOARD_TOKEN_ALG', 'tokenAlgorithm') ?? 'RS256').toUpperCase();
  if (!(SIGNING_ALGORITHMS as readonly string[]).includes(tokenAlgorithm)) {
    problems.push(`tokenAlgorithm (SWITCHBOARD_TOKEN_ALG) must be ${SIGNING_ALGORITHMS.join(' or ')}, got "${tokenAlgorithm}"`);
  }
  const identity: IdentitySettings = Object.freeze({
    publicUrl,
    hashKey,
    accessTokenSeconds: integer(pick('SWITCHBOARD_ACCESS_TOKEN_SECONDS', 'accessTokenSeconds') ?? '3600', 'accessTokenSeconds (SWITCHBOARD_ACCESS_TOKEN_SECONDS)', 60, 86_400, problems),
    refreshTokenDays: integer(pick('SWITCHBOARD_REFRESH_TOKEN_DAYS', 'refreshTokenDays') ?? '30', 'refreshTokenDays (SWITCHBOARD_REFRESH_TOKEN_DAYS)', 1, 365, problems),
    secretMaxDays: integer(pick('SWITCHBOARD_SECRET_MAX_DAYS', 'secretMaxDays') ?? '730', 'secretMaxDays (SWITCHBOARD_SECRET_MAX_DAYS)', 1, 3650, problems),
    sessionHours: integer(pick('SWITCHBOARD_SESSION_HOURS', 'sessionHours') ?? '12', 'sessionHours (SWITCHBOARD_SESSION_HOURS)', 1, 720, problems),
    signingKeyDays: integer(pick('SWITCHBOARD_SIGNING_KEY_DAYS', 'signingKeyDays') ?? '30', 'signingKeyDays (SWITCHBOARD_SIGNING_KEY_DAYS)', 1, 365, problems),
    tokenAlgorithm: tokenAlgorithm === 'ES256' ? 'ES256' : 'RS256',
    lockoutThreshold: integer(pick('SWITCHBOARD_LOCKOUT_THRESHOLD', 'lockoutThreshold') ?? '5', 'lockoutThreshold (SWITCHBOARD_LOCKOUT_THRESHOLD)', 1, 100, problems),
    lockoutMinutes: integer(pick('SWITCHBOARD_LOCKOUT_MINUTES', 'lockoutMinutes') ?? '15', 'lockoutMinutes (SWITCHBOARD_LOCKOUT_MINUTES)', 1, 1440, problems),
  });

  const demoDirectLineSecret = pick('SWITCHBOARD_DEMO_DIRECTLINE_SECRET', 'demoDirectLineSecret') ?? null;
  if (demoDirectLineSecret !== null && !/^sbdl_[A-Za-z0-9_-]{32,200}$/.test(demoDirectLineSecret)) {
    problems.push('demoDirectLineSecret (SWITCHBOARD_DEMO_DIRECTLINE_SECRET) must be sbdl_ followed by 32 to 200 letters, digits, _ or -');
  }

  const demoPassword = pick('SWITCHBOARD_DEMO_PASSWORD', 'demoPassword') ?? null;
  if (demoPassword !== null && (demoPassword.length < 12 || demoPassword.length > 256)) {
    problems.push('demoPassword (SWITCHBOARD_DEMO_PASSWORD) must be 12 to 256 characters');
  }

  if (problems.length > 0) throw new ConfigError(problems);
  return Object.freeze({
    host, port, dataDir, database: Object.freeze(database), bus: 'in-process', logLevel: logLevel as LogLevel, bodyLimit, routingStatsSeconds,
    wallboard: Object.freeze({ intervalMs: wallboardIntervalMs, refreshMs: wallboardRefreshMs }), identity, demoDirectLineSecret, demoPassword,
    sources: Object.freeze(sources),
  });
}

const FILE_KEYS = new Set<string>(SETTINGS.map((s) => s.file).filter((k): k is NonNullable<typeof k> => k !== null));

function readConfigFile(env: Env, cwd: string, problems: string[], sources: string[]): Record<string, unknown> {
  const explicit = env.SWITCHBOARD_CONFIG;
  const path = explicit ? absolute(explicit, cwd) : join(cwd, 'switchboard.config.json');
  if (!existsSync(path)) {
    if (explicit) problems.push(`config file ${path} (SWITCHBOARD_CONFIG) does not exist`);
    return {};
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(readFileSync(path, 'utf8'));
  } catch (error) {
    problems.push(`config file ${path} is not valid JSON: ${(error as Error).message}`);
    return {};
  }
  if (!parsed || typeof parsed !== 'object' || Array.isArray(parsed)) {
    problems.push(`config file ${path} must hold a JSON object`);
    return {};
  }
  for (const key of Object.keys(parsed)) {
    if (!FILE_KEYS.has(key)) problems.push(`config file ${path}: unknown setting "${key}" (known: ${[...FILE_KEYS].join(', ')})`);
  }
  sources.push(path);
  return parsed as Record<string, unknown>;
}

function integer(text: string, what: string, min: number, max: number, problems: string[]): number {
  const value = Number(text);
  if (!/^\d+$/.test(text.trim()) || !Number.isSafeInteger(value) || value < min || value > max) {
    problems.push(`${what} must be an integer from ${min} to ${max}, got "${text}"`);
    return min;
  }
  return value;
}

function absolute(path: string, cwd: string): string {
  return isAbsolute(path) ? path : resolve(cwd, path);
}
