import { mkdirSync, writeFileSync } from 'node:fs';
import { Session } from 'node:inspector/promises';
import { join } from 'node:path';

/**
 * A V8 CPU profile of part of this process (the timed window of one engine round), written where
 * bench/tools/cpuprofile-summary.ts can read it. Figures measured under the profiler are not results.
 */
export async function profiled<T>(dir: string, name: string, work: () => Promise<T>): Promise<{ value: T; file: string }> {
  const session = new Session();
  session.connect();
  try {
    await session.post('Profiler.enable');
    await session.post('Profiler.setSamplingInterval', { interval: 200 });
    await session.post('Profiler.start');
    const value = await work();
    const { profile } = await session.post('Profiler.stop');
    mkdirSync(dir, { recursive: true });
    const file = join(dir, `${name}.cpuprofile`);
    writeFileSync(file, JSON.stringify(profile));
    return { value, file };
  } finally {
    session.disconnect();
  }
}
