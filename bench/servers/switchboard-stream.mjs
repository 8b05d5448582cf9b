// B8's Switchboard: the built server assembled exactly as `switchboard serve` does it (same
// composition root, configuration from the environment, SQLite in the data directory), plus a
// report on SIGUSR2 (bench/servers/process-report.mjs: event-loop delay, memory after a full
// collection, and the number of Direct Line streams watching their conversation). Nothing in the
// product changes; the report lives here. Prints "listening <url> <admin key>".
import { assemble } from '../../dist/server/composition-root.js';
import { loadConfig } from '../../dist/server/config.js';
import { createAdminApiKey } from '../../dist/app/use-cases/create-api-key.js';
import { reportOnSignal } from './process-report.mjs';

const config = loadConfig(process.env, process.cwd());
const sb = await assemble(config);
const key = await createAdminApiKey(sb.deps, 'stream benchmark');
reportOnSignal(() => sb.webchat.feed.watching);
// BENCH_BACKLOG: the listen backlog (Node's default, 511, as `serve` has it, when unset).
const backlog = process.env.BENCH_BACKLOG ? Number(process.env.BENCH_BACKLOG) : undefined;
const address = await sb.app.listen({ host: '127.0.0.1', port: 0, ...(backlog ? { backlog } : {}) });
process.stdout.write(`listening ${address} ${key.token}\n`);
const stop = () => sb.close().then(() => process.exit(0), () => process.exit(1));
process.once('SIGTERM', stop);
process.once('SIGINT', stop);
