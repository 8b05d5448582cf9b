// The token benchmark's server: the built Switchboard assembled exactly as `switchboard serve`
// does it (same composition root, configuration from the environment, SQLite in the data
// directory), with one difference: the token endpoint's per-address rate limit (300 per minute by
// default, an option of the composition root, not a setting) is lifted, because every request of
// the load generator comes from 127.0.0.1. Prints "listening <url> <admin key>".
import { assemble } from '../../dist/server/composition-root.js';
import { loadConfig } from '../../dist/server/config.js';
import { createAdminApiKey } from '../../dist/app/use-cases/create-api-key.js';

const config = loadConfig(process.env, process.cwd());
const sb = await assemble(config, { tokenRateLimit: { max: 1_000_000_000, timeWindowMs: 60_000 } });
const key = await createAdminApiKey(sb.deps, 'token benchmark');
const address = await sb.app.listen({ host: '127.0.0.1', port: 0 });
process.stdout.write(`listening ${address} ${key.token}\n`);
const stop = () => sb.close().then(() => process.exit(0), () => process.exit(1));
process.once('SIGTERM', stop);
process.once('SIGINT', stop);
