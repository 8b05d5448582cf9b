// Baseline A of B5: the physical limit of one Node process answering JSON over HTTP/1.1.
// Plain JavaScript, run by plain `node` (no loader), like the built Switchboard it is compared with.
import { createServer } from 'node:http';

const server = createServer((req, res) => {
  const body = JSON.stringify({ hello: 'world' });
  res.writeHead(200, { 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(body) });
  res.end(body);
});
server.listen(0, '127.0.0.1', () => {
  process.stdout.write(`listening ${server.address().port}\n`);
});
const stop = () => server.close(() => process.exit(0));
process.once('SIGTERM', stop);
process.once('SIGINT', stop);
