// Shared by B8's servers: on SIGUSR2 a server prints one line
//   report {"rss":..,"heapUsed":..,"external":..,"eld":{"p50":ms,"p99":ms,"max":ms},"sockets":n}
// with the event-loop delay (perf_hooks monitorEventLoopDelay, 10 ms resolution) since the previous
// report, then memory after a full garbage collection (when started with --expose-gc). The
// delay is read before the collection and the histogram reset after it, so the collection the
// report itself forces is never counted as lag. Lives in the benchmark's server scripts only.
import { monitorEventLoopDelay } from 'node:perf_hooks';

export function reportOnSignal(sockets) {
  const delay = monitorEventLoopDelay({ resolution: 10 });
  delay.enable();
  process.on('SIGUSR2', () => {
    const ms = (ns) => Math.round(ns / 1e4) / 100;
    const eld = { p50: ms(delay.percentile(50)), p99: ms(delay.percentile(99)), max: ms(delay.max), samples: delay.count };
    if (typeof globalThis.gc === 'function') {
      globalThis.gc();
      globalThis.gc();
    }
    const memory = process.memoryUsage();
    delay.reset();
    process.stdout.write(`report ${JSON.stringify({ rss: memory.rss, heapUsed: memory.heapUsed, heapTotal: memory.heapTotal, external: memory.external, arrayBuffers: memory.arrayBuffers, eld, sockets: sockets() })}\n`);
  });
}
