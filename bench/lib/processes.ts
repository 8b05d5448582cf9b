import { fork, spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';

/**
 * Child processes for benchmarks: every server under test runs in its own process, pinned to its
 * own core when `taskset` is available, so the load generator never competes with it for a CPU.
 * Children are tracked and killed when the benchmark ends, fails or is interrupted.
 */

export interface Pinning {
  /** True when servers and the load generator run on separate cores. */
  readonly used: boolean;
  readonly serverCpu: number | undefined;
  readonly loadCpu: number | undefined;
  /** One line for the report: what was pinned, or why not. */
  readonly description: string;
}

/** Pins this process (all its threads) to the second allowed core and reserves the first for servers. */
export function pinCores(): Pinning {
  const probe = spawnSync('taskset', ['-cp', String(process.pid)], { encoding: 'utf8' });
  if (probe.error || probe.status !== 0) {
    return { used: false, serverCpu: undefined, loadCpu: undefined, description: 'no (taskset not available): servers and load generator share the cores' };
  }
  const allowed = parseCpuList(probe.stdout.split(':').pop() ?? '');
  const [serverCpu, loadCpu] = allowed;
  if (serverCpu === undefined || loadCpu === undefined) {
    return { used: false, serverCpu: undefined, loadCpu: undefined, description: `no (only CPU ${allowed.join(',')} allowed): servers and load generator share a core` };
  }
  // -a: every thread of this process (V8 platform threads, the tsx loader thread) moves too.
  const pin = spawnSync('taskset', ['-a', '-cp', String(loadCpu), String(process.pid)], { encoding: 'utf8' });
  if (pin.status !== 0) {
    return { used: false, serverCpu: undefined, loadCpu: undefined, description: `no (taskset failed: ${pin.stderr.trim()})` };
  }
  return { used: true, serverCpu, loadCpu, description: `yes: servers on CPU ${serverCpu}, load generator on CPU ${loadCpu} (taskset)` };
}

/**
 * Moves every thread of a running process (and the threads it starts later, which inherit the
 * mask) onto `cpus`. Lets one server be measured on one core and on all of them in the same run.
 */
export function setAffinity(pid: number, cpus: readonly number[]): void {
  const result = spawnSync('taskset', ['-a', '-cp', cpus.join(','), String(pid)], { encoding: 'utf8' });
  if (result.error || result.status !== 0) throw new Error(`taskset -a -cp ${cpus.join(',')} ${pid} failed: ${result.stderr?.trim() ?? result.error?.message}`);
}

function parseCpuList(text: string): number[] {
  const cpus: number[] = [];
  for (const part of text.trim().split(',')) {
    const [from, to] = part.split('-').map((n) => Number.parseInt(n, 10));
    if (from === undefined || Number.isNaN(from)) continue;
    for (let cpu = from; cpu <= (to === undefined || Number.isNaN(to) ? from : to); cpu++) cpus.push(cpu);
  }
  return cpus;
}

const live = new Set<ChildProcess>();
const cleanups = new Set<() => void>();
let exitHooksInstalled = false;

function installExitHooks(): void {
  if (exitHooksInstalled) return;
  exitHooksInstalled = true;
  const cleanUp = () => {
    for (const child of live) child.kill('SIGKILL');
    for (const cleanup of cleanups) {
      try {
        cleanup();
      } catch {
        // best effort on the way out
      }
    }
    cleanups.clear();
  };
  process.on('exit', cleanUp);
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.once(signal, () => {
      process.stderr.write(`\nbench: ${signal}, stopping ${live.size} server process(es)\n`);
      cleanUp();
      process.exit(130);
    });
  }
}

/** Runs `cleanup` (synchronously) if the benchmark is interrupted or exits; returns an unregister function. */
export function onExit(cleanup: () => void): () => void {
  installExitHooks();
  cleanups.add(cleanup);
  return () => cleanups.delete(cleanup);
}

export interface ServerProcess {
  readonly name: string;
  readonly pid: number;
  /** Every stdout line so far (Switchboard prints its admin key there). */
  readonly stdout: readonly string[];
  /** CPU time used by the process so far (user + system, all threads), in seconds. */
  cpuSeconds(): number;
  /** SIGTERM, then SIGKILL after `graceMs`; resolves when the process is gone. */
  stop(graceMs?: number): Promise<void>;
}

export interface StartOptions {
  readonly name: string;
  readonly command: string;
  readonly args: readonly string[];
  readonly cwd: string;
  readonly env: NodeJS.ProcessEnv;
  /** The process is ready once a stdout line matches. */
  readonly ready: RegExp;
  readonly pinning: Pinning;
  /** With pinning: start on these CPUs instead of the server CPU (a server measured on several). */
  readonly cpus?: readonly number[];
  readonly timeoutMs?: number;
}

const CLOCK_TICKS = (() => {
  const out = spawnSync('getconf', ['CLK_TCK'], { encoding: 'utf8' });
  const ticks = Number.parseInt(out.stdout ?? '', 10);
  return Number.isFinite(ticks) && ticks > 0 ? ticks : 100;
})();

/** Starts a server child and resolves with the stdout line that said it is ready. */
export async function startServer(options: StartOptions): Promise<{ server: ServerProcess; readyLine: RegExpMatchArray }> {
  installExitHooks();
  const pinned = options.pinning.used && options.pinning.serverCpu !== undefined;
  // taskset execs the command, so the child's pid is the server's own pid. Without it the child
  // would inherit this process's mask: the load generator's CPU.
  const command = pinned ? 'taskset' : options.command;
  const cpuList = options.cpus?.join(',') ?? String(options.pinning.serverCpu);
  const args = pinned ? ['-c', cpuList, options.command, ...options.args] : [...options.args];
  const child = spawn(command, args, { cwd: options.cwd, env: options.env, stdio: ['ignore', 'pipe', 'pipe'] });
  live.add(child);
  const stdout: string[] = [];
  const stderr: string[] = [];
  let exited = false;
  const gone = new Promise<void>((resolve) => child.once('exit', () => {
    exited = true;
    live.delete(child);
    resolve();
  }));

  const readyLine = await new Promise<RegExpMatchArray>((resolve, reject) => {
    const timer = setTimeout(() => fail(new Error(`${options.name} did not start within ${options.timeoutMs ?? 60_000} ms`)), options.timeoutMs ?? 60_000);
    let settled = false;
    const fail = (error: Error) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      child.kill('SIGKILL');
      reject(new Error(`${error.message}\n--- ${options.name} stderr ---\n${stderr.join('').slice(-4000)}`));
    };
    let partial = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
      partial += chunk;
      const lines = partial.split('\n');
      partial = lines.pop() ?? '';
      for (const line of lines) {
        stdout.push(line);
        const match = options.ready.exec(line);
        if (match && !settled) {
          settled = true;
          clearTimeout(timer);
          resolve(match);
        }
      }
    });
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => {
      stderr.push(chunk);
      if (stderr.length > 200) stderr.splice(0, stderr.length - 200);
    });
    child.once('error', (error) => fail(error));
    child.once('exit', (code, signal) => fail(new Error(`${options.name} exited before it was ready (code ${code}, signal ${signal})`)));
  });

  const pid = child.pid!;
  const server: ServerProcess = {
    name: options.name,
    pid,
    stdout,
    cpuSeconds() {
      // /proc/<pid>/stat: fields 14 and 15 (utime, stime) count every thread, in clock ticks.
      const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      return (Number(fields[11]) + Number(fields[12])) / CLOCK_TICKS;
    },
    async stop(graceMs = 10_000) {
      if (exited) return;
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
      await gone;
      clearTimeout(timer);
    },
  };
  return { server, readyLine };
}

/**
 * Seconds one CPU spent busy (anything but idle and I/O wait, including time stolen by the
 * hypervisor), from /proc/stat; undefined where that cannot be read. Compared with the CPU time
 * of the process pinned there, it shows how much other work (another developer's test run, kernel
 * writeback) competed with a measurement.
 */
export function cpuBusySeconds(cpu: number): number | undefined {
  try {
    const line = readFileSync('/proc/stat', 'utf8').split('\n').find((l) => l.startsWith(`cpu${cpu} `));
    if (!line) return undefined;
    // user nice system idle iowait irq softirq steal ...
    const [user, nice, system, , , irq, softirq, steal] = line.trim().split(/\s+/).slice(1).map(Number);
    return ((user ?? 0) + (nice ?? 0) + (system ?? 0) + (irq ?? 0) + (softirq ?? 0) + (steal ?? 0)) / CLOCK_TICKS;
  } catch {
    return undefined;
  }
}

/** True when /proc/<pid>/stat can be read (Linux), so server CPU use can be reported. */
export function canReadProcStat(): boolean {
  try {
    readFileSync(`/proc/${process.pid}/stat`, 'utf8');
    return true;
  } catch {
    return false;
  }
}

/**
 * A helper process of the load generator (B8's socket clients, B3's wallboard clients): a
 * TypeScript file forked under tsx on the load generator's CPU (it inherits this process's
 * affinity), that answers each command sent over IPC with one reply, in order. Killed when the
 * benchmark ends, fails or is interrupted.
 */
export class CommandChild<Command, Reply extends { type: string }> {
  private readonly waiting: ((reply: Reply) => void)[] = [];
  readonly child: ChildProcess;

  constructor(readonly name: string, script: string, env: NodeJS.ProcessEnv = process.env) {
    installExitHooks();
    this.child = fork(script, [], { execArgv: ['--import', 'tsx'], env, stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
    live.add(this.child);
    this.child.on('message', (reply: Reply) => this.waiting.shift()?.(reply));
    this.child.on('exit', (code, signal) => {
      live.delete(this.child);
      for (const w of this.waiting.splice(0)) w({ type: 'error', message: `${name} exited (code ${code}, signal ${signal})` } as unknown as Reply);
    });
  }

  call(command: Command): Promise<Reply> {
    return new Promise((resolve) => {
      this.waiting.push(resolve);
      this.child.send(command as object);
    });
  }

  /** CPU time used so far (user + system, all threads), in seconds; 0 once it is gone. */
  cpuSeconds(): number {
    try {
      const stat = readFileSync(`/proc/${this.child.pid}/stat`, 'utf8');
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      return (Number(fields[11]) + Number(fields[12])) / CLOCK_TICKS;
    } catch {
      return 0;
    }
  }

  kill(): void {
    this.child.kill('SIGKILL');
  }
}
