import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { canReadProcStat, type Pinning } from './processes.js';

/** A numeric benchmark setting from the environment: positive (or, with `allowZero`, non-negative). */
export function setting(name: string, fallback: number, allowZero = false): number {
  const value = Number(process.env[name] ?? fallback);
  if (!Number.isFinite(value) || value < 0 || (!allowZero && value === 0)) throw new Error(`${name} must be a ${allowZero ? 'non-negative' : 'positive'} number`);
  return value;
}

/** The lines every benchmark header starts with: machine, commit (and whether src/ is dirty), build, CPU pinning. */
export function machineLines(root: string, buildNote: string, pinning: Pinning): string[] {
  const git = (args: string[]) => spawnSync('git', args, { cwd: root, encoding: 'utf8' }).stdout?.trim() ?? '';
  const dirty = git(['status', '--porcelain', '--', 'src']).length > 0;
  let memory = '';
  try {
    memory = `, ${Math.round(Number(/MemTotal:\s+(\d+)/.exec(readFileSync('/proc/meminfo', 'utf8'))?.[1] ?? 0) / 1024 / 1024)} GiB RAM`;
  } catch {
    memory = '';
  }
  return [
    `  node ${process.version}, ${cpus().length} CPUs (${cpus()[0]?.model ?? 'unknown CPU'})${memory}, ${process.platform} ${process.arch}`,
    `  commit ${git(['rev-parse', '--short', 'HEAD']) || 'unknown'}${dirty ? ' + uncommitted changes in src/' : ''}; ${buildNote}`,
    `  CPU pinning: ${pinning.description}${canReadProcStat() ? '' : ' (no /proc: server CPU use not reported)'}`,
  ];
}
