import { readFileSync } from 'node:fs';
import { cpuBusySeconds, type Pinning, type ServerProcess } from './processes.js';

/** CPU used during a measurement window: the server, this (load generator) process, and others. */
export interface CpuUse {
  readonly seconds: number;
  /** Server CPU (cores: 1.0 is one core fully busy); undefined without /proc. */
  readonly server: number | undefined;
  /** This process (the load generator), same unit; children of it are not included. */
  readonly load: number;
  /** Other work on the server's CPU and on the load generator's, when pinned: the machine's noise. */
  readonly othersOnServerCpu: number | undefined;
  readonly othersOnLoadCpu: number | undefined;
}

/**
 * Starts a window; the returned function ends it. `extraLoad` adds the CPU seconds of helper
 * processes of the load generator (B8's socket clients) so they are not counted as "others".
 */
export function cpuWindow(server: ServerProcess | undefined, pinning: Pinning, extraLoad?: () => number): () => CpuUse {
  const busy = () => (pinning.used ? [cpuBusySeconds(pinning.serverCpu!), cpuBusySeconds(pinning.loadCpu!)] : [undefined, undefined]);
  const started = performance.now();
  const busyBefore = busy();
  const serverBefore = safe(() => server?.cpuSeconds());
  const ownBefore = process.cpuUsage();
  const extraBefore = extraLoad?.() ?? 0;
  return () => {
    const seconds = (performance.now() - started) / 1000;
    const own = process.cpuUsage(ownBefore);
    const serverAfter = safe(() => server?.cpuSeconds());
    const busyAfter = busy();
    const serverSeconds = serverBefore !== undefined && serverAfter !== undefined ? serverAfter - serverBefore : undefined;
    const loadSeconds = (own.user + own.system) / 1e6 + ((extraLoad?.() ?? 0) - extraBefore);
    const others = (i: 0 | 1, mine: number | undefined) => {
      const before = busyBefore[i];
      const after = busyAfter[i];
      return before === undefined || after === undefined || mine === undefined ? undefined : Math.max(0, (after - before - mine) / seconds);
    };
    return {
      seconds,
      server: serverSeconds === undefined ? undefined : serverSeconds / seconds,
      load: loadSeconds / seconds,
      othersOnServerCpu: others(0, serverSeconds),
      othersOnLoadCpu: others(1, loadSeconds),
    };
  };
}

function safe(read: () => number | undefined): number | undefined {
  try {
    return read();
  } catch {
    return undefined;
  }
}

/** The value at quantile `q` (0..1) of an ascending array (nearest rank); NaN when empty. */
export function quantile(sorted: ArrayLike<number>, q: number): number {
  if (sorted.length === 0) return Number.NaN;
  const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1));
  return sorted[rank]!;
}

/** RSS of a process in bytes, from /proc (undefined where it cannot be read). */
export function rssOf(pid: number): number | undefined {
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    const kb = /VmRSS:\s+(\d+)\s+kB/.exec(status)?.[1];
    return kb === undefined ? undefined : Number(kb) * 1024;
  } catch {
    return undefined;
  }
}
