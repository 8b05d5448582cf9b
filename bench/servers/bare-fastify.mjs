// Baseline B of B5: an empty Fastify route returning JSON, with the Fastify version Switchboard uses.
// No logger, no plugins, no hooks: what the framework itself costs on top of node:http.
import Fastify from 'fastify';

const app = Fastify({ logger: false });
app.get('/', async () => ({ hello: 'world' }));
const address = await app.listen({ host: '127.0.0.1', port: 0 });
process.stdout.write(`listening ${new URL(address).port}\n`);
const stop = () => app.close().then(() => process.exit(0));
process.once('SIGTERM', stop);
process.once('SIGINT', stop);
