// Baseline of B3: a bare `ws` server (the library Switchboard's Fastify uses) that broadcasts the
// wallboard feed's bytes without the feed: on SIGUSR2 it reads a list of frame sizes (B3_SIZES_FILE,
// JSON, the sizes one Switchboard client received, in order) and, every B3_INTERVAL_MS for
// B3_SECONDS, sends one frame of the next size (cycling through the list) to every connected
// socket, the same Buffer to all, as ws's broadcast example does. A frame is JSON,
// {"t":<send time, ms on CLOCK_MONOTONIC>,"n":<frame number>,"p":"xxx..."} padded to the size, so
// the clients parse what they get as they parse Switchboard's frames. No authentication, no
// storage, nothing computed. Prints `listening <port>`, then `done {"frames":..,"cpuSeconds":..}`
// after each broadcast. Plain `node`, no loader.
import { readFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { WebSocketServer } from 'ws';

const INTERVAL_MS = Number(process.env.B3_INTERVAL_MS ?? 250);
const SECONDS = Number(process.env.B3_SECONDS ?? 20);
const server = createServer((req, res) => res.writeHead(404).end());
const wss = new WebSocketServer({ server, perMessageDeflate: false });
wss.on('connection', (socket) => socket.on('message', () => undefined));
const hrMs = () => Number(process.hrtime.bigint()) / 1e6;

function frameOf(size, n) {
  const head = `{"t":${hrMs().toFixed(3)},"n":${n},"p":"`;
  return Buffer.from(`${head}${'x'.repeat(Math.max(0, size - head.length - 2))}"}`);
}

process.on('SIGUSR2', () => {
  const sizes = JSON.parse(readFileSync(process.env.B3_SIZES_FILE, 'utf8'));
  const cpuBefore = process.cpuUsage();
  const started = performance.now();
  const total = Math.round((SECONDS * 1000) / INTERVAL_MS);
  let n = 0;
  let sent = 0;
  const tick = () => {
    const frame = frameOf(sizes[n % sizes.length], n);
    for (const socket of wss.clients) {
      socket.send(frame, { binary: false });
      sent += 1;
    }
    n += 1;
    if (n < total) setTimeout(tick, Math.max(0, started + n * INTERVAL_MS - performance.now()));
    else {
      const cpu = process.cpuUsage(cpuBefore);
      process.stdout.write(`done ${JSON.stringify({ frames: sent, ticks: n, cpuSeconds: (cpu.user + cpu.system) / 1e6, seconds: (performance.now() - started) / 1000 })}\n`);
    }
  };
  tick();
});
server.listen({ port: 0, host: '127.0.0.1' }, () => process.stdout.write(`listening ${server.address().port}\n`));
const stop = () => {
  for (const socket of wss.clients) socket.terminate();
  server.close(() => process.exit(0));
};
process.once('SIGTERM', stop);
process.once('SIGINT', stop);
