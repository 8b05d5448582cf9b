import { spawn } from 'node:child_process';
import { join } from 'node:path';

/** What bench/b2/memory-child.ts reports. */
export interface MemoryReport {
  readonly conversations: number;
  readonly setupSeconds: number;
  readonly loadSeconds: number;
  readonly shape: { agents: number; queues: number; items: number; waiting: number };
  readonly offersMade: number;
  readonly timersPending: number;
  readonly heapUsedBefore: number;
  readonly heapUsedAfter: number;
  readonly rssBefore: number;
  readonly rssAfter: number;
  readonly externalBefore: number;
  readonly externalAfter: number;
}

/**
 * Runs the memory measurement in a fresh Node process: garbage collection can only be forced with
 * --expose-gc, and a process that has not just run the other parts holds no leftovers from them.
 */
export function measureMemory(root: string, dbPath: string, conversations: number, seed: number): Promise<MemoryReport> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--expose-gc', '--import', 'tsx', join(root, 'bench/b2/memory-child.ts'), dbPath, String(conversations), String(seed)], {
      cwd: root, stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
    child.once('error', reject);
    child.once('exit', (code) => {
      const line = stdout.trim().split('\n').pop() ?? '';
      if (code !== 0 || !line.startsWith('{')) return reject(new Error(`memory measurement failed (exit ${code}): ${stderr.slice(-3000)}`));
      resolve(JSON.parse(line) as MemoryReport);
    });
  });
}
