import autocannon from 'autocannon';
import { cpuBusySeconds, type Pinning, type ServerProcess } from './processes.js';

/**
 * One closed-loop HTTP load run with autocannon in this (the load generator's) process, and what
 * it cost the server and the generator in CPU. A run with errors or non-2xx answers is kept but
 * marked invalid: a fast stream of 401s is not throughput.
 */

export interface LoadSpec {
  readonly url: string;
  readonly connections: number;
  readonly pipelining: number;
  readonly method?: string;
  readonly headers?: Record<string, string>;
  readonly body?: string;
  /** Builds each request (path, body) in turn, e.g. to spread writes over many conversations. */
  readonly next?: () => { path: string; body?: string };
}

export interface Sample {
  readonly rps: number;
  readonly latencyP50Ms: number;
  readonly latencyP99Ms: number;
  readonly ok: number;
  readonly seconds: number;
  /** Server CPU use during the run: 1.0 is one core fully busy. */
  readonly serverCores: number | undefined;
  /** Load generator CPU use during the run, same unit. */
  readonly loadCores: number;
  /** Other work on the server's CPU (cores), when pinned: the noise of a shared machine. */
  readonly othersOnServerCpu: number | undefined;
  /** Other work on the load generator's CPU (cores), when pinned. */
  readonly othersOnLoadCpu: number | undefined;
  /**
   * Other work on both CPUs together (cores), when pinned: the figure to read when the server was
   * allowed both CPUs, since its time on the generator's CPU cannot be told apart per CPU.
   */
  readonly othersOnBothCpus: number | undefined;
  readonly problems: string | undefined;
}

export async function runLoad(spec: LoadSpec, seconds: number, server: ServerProcess | undefined, pinning: Pinning): Promise<Sample> {
  const options: autocannon.Options = {
    url: spec.url,
    connections: spec.connections,
    pipelining: spec.pipelining,
    duration: seconds,
    method: spec.method ?? 'GET',
    headers: spec.headers ?? {},
    ...(spec.body !== undefined ? { body: spec.body } : {}),
  };
  const next = spec.next;
  if (next) {
    options.requests = [{
      setupRequest: (request) => {
        const built = next();
        return { ...request, path: built.path, ...(built.body !== undefined ? { body: built.body } : {}) };
      },
    }];
  }

  const busy = () => (pinning.used ? [cpuBusySeconds(pinning.serverCpu!), cpuBusySeconds(pinning.loadCpu!)] : [undefined, undefined]);
  const busyBefore = busy();
  const serverBefore = server?.cpuSeconds();
  const loadBefore = process.cpuUsage();
  const result = await autocannon(options);
  const load = process.cpuUsage(loadBefore);
  const serverAfter = server?.cpuSeconds();
  const busyAfter = busy();

  const elapsed = result.duration;
  const ok = result['2xx'];
  const bad = result.non2xx + result.errors + result.timeouts;
  const serverSeconds = serverBefore !== undefined && serverAfter !== undefined ? serverAfter - serverBefore : undefined;
  const loadSeconds = (load.user + load.system) / 1e6;
  const others = (i: 0 | 1, own: number | undefined) => {
    const before = busyBefore[i];
    const after = busyAfter[i];
    return before === undefined || after === undefined || own === undefined ? undefined : Math.max(0, (after - before - own) / elapsed);
  };
  const both = busyBefore.every((b) => b !== undefined) && busyAfter.every((b) => b !== undefined) && serverSeconds !== undefined
    ? Math.max(0, (busyAfter[0]! - busyBefore[0]! + busyAfter[1]! - busyBefore[1]! - serverSeconds - loadSeconds) / elapsed)
    : undefined;
  const problems = bad === 0 ? undefined
    : `${result.non2xx} non-2xx (${Object.entries(result.statusCodeStats).map(([code, s]) => `${code}: ${s.count}`).join(', ')}), ${result.errors} errors, ${result.timeouts} timeouts`;
  return {
    rps: ok / elapsed,
    latencyP50Ms: result.latency.p50,
    latencyP99Ms: result.latency.p99,
    ok,
    seconds: elapsed,
    serverCores: serverSeconds === undefined ? undefined : serverSeconds / elapsed,
    loadCores: loadSeconds / elapsed,
    othersOnServerCpu: others(0, serverSeconds),
    othersOnLoadCpu: others(1, loadSeconds),
    othersOnBothCpus: both,
    problems,
  };
}
