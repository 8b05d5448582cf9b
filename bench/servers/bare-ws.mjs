// Baseline of B8: a bare `ws` server (the library Switchboard's Fastify uses) that accepts
// WebSockets on any path and holds them: no authentication, no storage, nothing sent but a ping
// to every socket every 20 s (the Direct Line stream's heartbeat), and a socket that missed a
// pong is terminated, as ws's own documentation does it (one timer for all sockets). Frames
// from clients (their empty keep-alive messages) are read and dropped. Plain `node`, no loader.
// SIGUSR2 prints a report line (bench/servers/process-report.mjs).
import { createServer } from 'node:http';
import { WebSocketServer } from 'ws';
import { reportOnSignal } from './process-report.mjs';

const HEARTBEAT_MS = Number(process.env.BARE_HEARTBEAT_MS ?? 20_000);
const server = createServer((req, res) => res.writeHead(404).end());
const wss = new WebSocketServer({ server, perMessageDeflate: false });
wss.on('connection', (socket) => {
  socket.alive = true;
  socket.on('pong', () => (socket.alive = true));
  socket.on('message', () => (socket.alive = true));
});
const heartbeat = setInterval(() => {
  for (const socket of wss.clients) {
    if (!socket.alive) {
      socket.terminate();
      continue;
    }
    socket.alive = false;
    socket.ping();
  }
}, HEARTBEAT_MS);
heartbeat.unref();
reportOnSignal(() => wss.clients.size);
// BENCH_BACKLOG: the listen backlog (Node's default, 511, when unset), the same for both B8 servers.
const backlog = process.env.BENCH_BACKLOG ? Number(process.env.BENCH_BACKLOG) : undefined;
server.listen({ port: 0, host: '127.0.0.1', ...(backlog ? { backlog } : {}) }, () => process.stdout.write(`listening ${server.address().port}\n`));
const stop = () => {
  for (const socket of wss.clients) socket.terminate();
  server.close(() => process.exit(0));
};
process.once('SIGTERM', stop);
process.once('SIGINT', stop);
