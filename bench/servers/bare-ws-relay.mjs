// Baseline of B1: a bare `ws` relay. Customer sockets (/c/<n>) send frames that go, unchanged, to
// the agent socket (/a/<n / RELAY_FAN_IN>): no parsing, no validation, no storage, no answer to
// the sender. The physical limit of moving a frame from one socket to another through one Node
// process, with the same `ws` library Switchboard's Fastify uses. Plain `node`, no loader.
// With an HTTP POST in (below) it is also B1's informational "HTTP relay" baseline.
import { createServer } from 'node:http';
import { WebSocketServer } from 'ws';

const fanIn = Number(process.env.RELAY_FAN_IN ?? 10);
const agents = new Map();
// The same relay for HTTP: POST /c/<n> forwards the request body as one frame to the agent socket
// and answers {"id":...} (what a Direct Line POST answers), still without parsing or storing.
let posted = 0;
const server = createServer((req, res) => {
  const match = req.method === 'POST' ? /^\/c\/(\d+)$/.exec(req.url ?? '') : null;
  if (!match) return res.writeHead(404).end();
  const chunks = [];
  req.on('data', (chunk) => chunks.push(chunk));
  req.on('end', () => {
    const target = agents.get(Math.floor(Number(match[1]) / fanIn));
    if (target !== undefined && target.readyState === 1) target.send(chunks.length === 1 ? chunks[0] : Buffer.concat(chunks), { binary: false });
    const body = `{"id":"relay|${++posted}"}`;
    res.writeHead(200, { 'content-type': 'application/json; charset=utf-8', 'content-length': body.length }).end(body);
  });
});
const wss = new WebSocketServer({ server, perMessageDeflate: false });
wss.on('connection', (socket, req) => {
  const match = /^\/(a|c)\/(\d+)$/.exec(req.url ?? '');
  if (!match) return socket.close(1008, 'path must be /a/<n> or /c/<n>');
  const n = Number(match[2]);
  if (match[1] === 'a') {
    agents.set(n, socket);
    socket.on('close', () => agents.get(n) === socket && agents.delete(n));
    return;
  }
  const agent = Math.floor(n / fanIn);
  socket.on('message', (data, isBinary) => {
    const target = agents.get(agent);
    if (target !== undefined && target.readyState === 1) target.send(data, { binary: isBinary });
  });
});
server.listen(0, '127.0.0.1', () => process.stdout.write(`listening ${server.address().port}\n`));
const stop = () => {
  for (const socket of wss.clients) socket.terminate();
  server.close(() => process.exit(0));
};
process.once('SIGTERM', stop);
process.once('SIGINT', stop);
