import { copyFileSync, statSync } from 'node:fs';
import Database from 'better-sqlite3';
import { WalCheckpointer } from '../../src/adapters/storage/sqlite/wal-checkpointer.js';

/**
 * The engine's SQL without the engine. While recording, every statement this process runs through
 * better-sqlite3 (the driver's transaction control included: BEGIN IMMEDIATE, SAVEPOINT, RELEASE,
 * COMMIT) is logged with its parameters, in order. Replaying the log with raw better-sqlite3 on a
 * copy of the same starting database costs what the engine's SQL costs; the engine's time minus
 * the replay's is the engine's own work (JavaScript, promises, mapping rows). That split is what
 * tells a slow storage layout from a slow engine.
 */

export interface TraceEntry {
  readonly sql: string;
  readonly method: 'run' | 'get' | 'all';
  readonly params: readonly unknown[];
}

type Prepare = (this: Database.Database, sql: string) => Database.Statement;

let recording: TraceEntry[] | null = null;
/** Time spent inside better-sqlite3 calls while recording, ns (with the logging's own small cost). */
let insideNs = 0;
let original: Prepare | null = null;

/**
 * Wraps statements prepared from now on (call it before the storage under test prepares any; the
 * driver prepares lazily and caches). Only statements run while `start`ed are logged.
 */
export function installTrace(): void {
  if (original) return;
  const proto = Database.prototype as unknown as { prepare: Prepare };
  const prepare = proto.prepare;
  original = prepare;
  proto.prepare = function (this: Database.Database, sql: string) {
    const statement = prepare.call(this, sql);
    return new Proxy(statement, {
      get(target, property) {
        if (property === 'run' || property === 'get' || property === 'all') {
          return (...params: unknown[]) => {
            if (!recording) return (target[property] as (...p: unknown[]) => unknown)(...params);
            recording.push({ sql, method: property, params });
            const t = process.hrtime.bigint();
            try {
              return (target[property] as (...p: unknown[]) => unknown)(...params);
            } finally {
              insideNs += Number(process.hrtime.bigint() - t);
            }
          };
        }
        const value = Reflect.get(target, property, target) as unknown;
        return typeof value === 'function' ? (value as (...a: unknown[]) => unknown).bind(target) : value;
      },
    });
  };
}

export function uninstallTrace(): void {
  if (!original) return;
  (Database.prototype as unknown as { prepare: Prepare }).prepare = original;
  original = null;
  recording = null;
}

export function startRecording(): void {
  recording = [];
  insideNs = 0;
}

export function stopRecording(): { entries: TraceEntry[]; insideSeconds: number } {
  const entries = recording ?? [];
  recording = null;
  return { entries, insideSeconds: insideNs / 1e9 };
}

export interface ReplayResult {
  readonly seconds: number;
  readonly statements: number;
  readonly commits: number;
  /** Time by kind of statement (its first words), largest first. */
  readonly byKind: readonly { readonly kind: string; readonly count: number; readonly seconds: number }[];
  /** WAL pages written per commit, when counted (autocheckpoint off, so nothing is lost to a checkpoint). */
  readonly pagesPerCommit?: number | undefined;
}

const PAGE_FRAME_HEADER = 24;
const WAL_HEADER = 32;

/** The first words of a statement, enough to tell which table and which kind of write it is. */
export function kindOf(sql: string): string {
  const flat = sql.replace(/\s+/g, ' ').trim();
  const match = /^(INSERT INTO \w+|UPDATE \w+ SET \w+|DELETE FROM \w+|SELECT .*? FROM \w+|BEGIN IMMEDIATE|COMMIT|ROLLBACK|SAVEPOINT|RELEASE|ROLLBACK TO)/i.exec(flat);
  if (!match) return flat.slice(0, 40);
  return match[1]!.replace(/^SELECT .*? FROM/i, 'SELECT ... FROM');
}

/**
 * Runs a trace on a copy of `template` with the driver's pragmas. With `countPages` the WAL is
 * never checkpointed and its size gives the pages written (the timing of that run is not a figure).
 */
export async function replayTrace(template: string, path: string, trace: readonly TraceEntry[], countPages = false): Promise<ReplayResult> {
  const db = openCopyLikeDriver(template, path, countPages);
  // Checkpointed as the engine's driver does it (a worker thread), so that the engine's time minus
  // the replay's is the engine's own work and not the difference between two ways to checkpoint.
  const checkpointer = countPages ? null : new WalCheckpointer(path, 'NORMAL', () => undefined);
  if (checkpointer) db.pragma(`wal_autocheckpoint = ${WalCheckpointer.BACKSTOP_PAGES}`);
  try {
    const pageSize = Number(db.pragma('page_size', { simple: true }));
    const statements = new Map<string, Database.Statement>();
    const kinds = new Map<string, { count: number; ns: number }>();
    const kindOfSql = new Map<string, string>();
    let commits = 0;
    let total = 0;
    for (const entry of trace) {
      let statement = statements.get(entry.sql);
      if (!statement) {
        statement = db.prepare(entry.sql);
        statements.set(entry.sql, statement);
        kindOfSql.set(entry.sql, kindOf(entry.sql));
      }
      const t = process.hrtime.bigint();
      if (entry.method === 'run') statement.run(...entry.params);
      else if (entry.method === 'get') statement.get(...entry.params);
      else statement.all(...entry.params);
      const dt = Number(process.hrtime.bigint() - t);
      total += dt;
      const kind = kindOfSql.get(entry.sql)!;
      const k = kinds.get(kind) ?? { count: 0, ns: 0 };
      k.count++;
      k.ns += dt;
      kinds.set(kind, k);
      if (kind === 'COMMIT') {
        commits++;
        checkpointer?.committed();
      }
    }
    const pagesPerCommit = countPages && commits > 0 ? (statSync(`${path}-wal`).size - WAL_HEADER) / (pageSize + PAGE_FRAME_HEADER) / commits : undefined;
    return {
      seconds: total / 1e9, statements: trace.length, commits,
      byKind: [...kinds.entries()].map(([kind, k]) => ({ kind, count: k.count, seconds: k.ns / 1e9 })).sort((a, b) => b.seconds - a.seconds),
      pagesPerCommit,
    };
  } finally {
    await checkpointer?.close();
    db.close();
  }
}

/**
 * A copy of `template` opened with raw better-sqlite3 and the pragmas SqliteDriver sets, for the
 * baselines. With `countPages` the WAL is never checkpointed, so its size gives the pages written.
 */
export function openCopyLikeDriver(template: string, path: string, countPages: boolean): Database.Database {
  copyFileSync(template, path);
  const db = new Database(path);
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = NORMAL');
  db.pragma('foreign_keys = ON');
  db.pragma('busy_timeout = 5000');
  db.pragma('temp_store = MEMORY');
  if (countPages) db.pragma('wal_autocheckpoint = 0');
  return db;
}
