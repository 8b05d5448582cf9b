import { createRequire } from 'node:module';
import { Worker } from 'node:worker_threads';

/**
 * The worker thread, as CommonJS source run with `eval`: a separate module file would be
 * TypeScript under the test runner (tsx), whose loader Node 20 does not carry into workers.
 * It holds its own connection and runs a PASSIVE checkpoint (which never blocks the serving
 * connection's readers or writer) when the serving connection has committed since the last pass
 * (a counter in shared memory the driver bumps per COMMIT), at most once per interval.
 */
const WORKER_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads');
const Database = require(workerData.module);
const commits = new Int32Array(workerData.commits);
const db = new Database(workerData.path, { fileMustExist: true });
// The connection that checkpoints decides the fsyncs: the same setting as the serving connection.
db.pragma('synchronous = ' + workerData.synchronous);
// It never writes, and must not checkpoint on its own when it closes.
db.pragma('wal_autocheckpoint = 0');
let seen = -1; // the first pass runs whatever the counter says: commits came before the thread
const timer = setInterval(() => {
  const now = Atomics.load(commits, 0);
  if (now === seen) return;
  seen = now;
  db.pragma('wal_checkpoint(PASSIVE)');
  parentPort.postMessage({ kind: 'checkpointed' });
}, workerData.intervalMs);
parentPort.on('message', (message) => {
  if (!message || message.kind !== 'close') return;
  clearInterval(timer);
  db.close();
  parentPort.close();
});
`;

/**
 * Checkpoints off the event loop. With SQLite's automatic checkpoint, the COMMIT that takes the
 * WAL past 1,000 pages copies them into the database file and fsyncs it on the serving thread:
 * 7-40 ms on this project's disks, several times a second under load, with every request waiting
 * (B4's wave ran 7 of them in a second; B1's p99 tail). Here a worker thread with its own
 * connection copies the WAL with PASSIVE checkpoints, which SQLite runs beside the writer.
 *
 * A passive pass copies what the WAL held when it began, so while the writer keeps writing no
 * pass completes, and only after a complete one does the next transaction start the WAL over.
 * That is left to the serving connection's own automatic checkpoint, raised to `BACKSTOP_PAGES`:
 * when it runs, the worker has already copied all but the last interval's frames, so it copies
 * only those, and it is the one checkpoint that can complete (no writer runs beside it). A writer
 * faster than the copy, or a dead worker (the driver then goes back to 1,000 pages), is caught by
 * the same backstop.
 *
 * Durability is unchanged: commits go to the WAL exactly as before; only who copies the WAL into
 * the database file, and when, differs.
 */
export class WalCheckpointer {
  private readonly commits = new Int32Array(new SharedArrayBuffer(4));
  private readonly worker: Worker;
  private readonly exited: Promise<void>;
  private passes = 0;

  /**
   * The serving connection's automatic checkpoint while the worker runs: 32,768 pages (128 MB of
   * 4 KB pages, the most the WAL file grows to). Whatever the worker has not copied yet when the
   * WAL reaches it is copied inside that COMMIT, on the event loop. At 8,192 pages a busy writer
   * (B2: ~40,000 pages a second) got there every ~200 ms, and those few commits took 5-50 ms each,
   * more than half of all the commit time in a replay of the engine's SQL (measured in
   * docs/BENCHMARKS.md, "The checkpoint backstop").
   */
  static readonly BACKSTOP_PAGES = 32_768;

  /**
   * How often the worker looks for new commits, ms. Each pass copies what came since the last:
   * short intervals keep the part the backstop must copy small; an idle database costs one atomic
   * read per tick.
   */
  static readonly INTERVAL_MS = 25;

  constructor(path: string, synchronous: 'NORMAL' | 'FULL', onExit: () => void, intervalMs = WalCheckpointer.INTERVAL_MS) {
    const module = createRequire(import.meta.url).resolve('better-sqlite3');
    this.worker = new Worker(WORKER_SOURCE, { eval: true, workerData: { module, path, synchronous, intervalMs, commits: this.commits.buffer } });
    this.worker.unref();
    this.worker.on('message', (message: { kind?: string }) => {
      if (message.kind === 'checkpointed') this.passes += 1;
    });
    // A thread that fails exits too, and the driver's onExit falls back to inline checkpoints; the
    // listener only keeps the error from being thrown on this side as an unhandled 'error' event.
    this.worker.on('error', () => undefined);
    this.exited = new Promise((resolve) => this.worker.once('exit', () => {
      onExit();
      resolve();
    }));
  }

  /** Called after every COMMIT of the serving connection: one atomic add, no message. */
  committed(): void {
    Atomics.add(this.commits, 0, 1);
  }

  /** Checkpoint passes the worker has run (tests and benchmarks look). */
  get checkpoints(): number {
    return this.passes;
  }

  /** Asks the worker to close its connection and waits until the thread has gone. */
  async close(): Promise<void> {
    // Unref'd so it never keeps a process alive; while closing, the wait must.
    this.worker.ref();
    this.worker.postMessage({ kind: 'close' });
    await this.exited;
  }
}
