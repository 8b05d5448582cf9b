// Baseline A of B5: the physical limit of one Node process answering JSON over HTTP/1.1.
// Plain JavaScript, run by plain `node` (no loader), like the built Switchboard it is compared with.
// With BARE_BODY_FILE it answers that JSON document instead of the hello (parsed once, serialized
// per request): the same bytes as a Switchboard response, without anything Switchboard does.
import { readFileSync } from 'node:fs';
import { createServer } from 'node:http';

const document = process.env.BARE_BODY_FILE ? JSON.parse(readFileSync(process.env.BARE_BODY_FILE, 'utf8')) : { hello: 'world' };

const server = createServer((req, res) => {
  const body = JSON.stringify(document);
  res.writeHead(200, { 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(body) });
  res.end(body);
});
server.listen(0, '127.0.0.1', () => {
  process.stdout.write(`listening ${server.address().port}\n`);
});
const stop = () => server.close(() => process.exit(0));
process.once('SIGTERM', stop);
process.once('SIGINT', stop);
