import { parseArgs } from 'node:util';
import type { AppDeps } from '../app/deps.js';
import { createAdminApiKey, ensureBootstrapKey, type IssuedApiKey } from '../app/use-cases/create-api-key.js';
import { ensureDemoDirectLineSecret, type DemoSecret } from '../app/webchat/demo-secret.js';
import { DEMO_TENANT_NAME, seedDemo, type DemoData } from '../app/use-cases/seed-demo.js';
import { ensureDemoPeople, type DemoPeople } from '../app/use-cases/seed-demo-people.js';
import { RoutingEngine } from '../app/routing/routing-engine.js';
import { CryptoRandom, TimerScheduler } from '../adapters/system/timer-scheduler.js';
import { SystemClock } from '../adapters/system/system-clock.js';
import { TimeOrderedIds } from '../adapters/system/time-ordered-ids.js';
import { InProcessBus } from '../adapters/bus/in-process/in-process-bus.js';
import { assemble, openStorage, type Switchboard } from '../server/composition-root.js';
import { ConfigError, loadConfig, type Config } from '../server/config.js';
import { VERSION } from '../server/version.js';
import { isSwitchboardError } from '../app/errors.js';
import { IDENTITY_HELP, IDENTITY_OPTIONS, identityDepsFor, runIdentityCommand, UsageError, type IdentityArgs } from './identity-commands.js';
import type { AddressInfo } from 'node:net';
import { ensureDemoAdviser, ensureDemoBot } from '../app/use-cases/seed-demo-bot.js';
import { DEMO_ADVISER_PATH, DEMO_BOT_PATH, demoBotRoutes } from '../server/demo/demo-bot.js';

const HELP = `switchboard ${VERSION}: open-source omnichannel contact center

Usage: switchboard <command>

  start               migrate, create the admin key and the demo data on first start, then serve
  serve               migrate and serve (creates the admin key on first start)
  migrate             apply database migrations and exit
  demo                seed the demo tenant (web chat channel, two queues, two agents) and exit
  admin create-key    create another admin API key and print it once  [--label TEXT]${IDENTITY_HELP}
  help                this text

Configuration comes from the environment (see README: SWITCHBOARD_PORT, SWITCHBOARD_DATA_DIR,
DATABASE_URL, ...) and an optional switchboard.config.json.
`;

const out = (text: string) => process.stdout.write(`${text}\n`);

async function main(argv: string[]): Promise<number> {
  const { positionals, values } = parseArgs({ args: argv, allowPositionals: true, options: { label: { type: 'string' }, help: { type: 'boolean', short: 'h' }, ...IDENTITY_OPTIONS } });
  const [command = 'help', sub] = positionals;
  const words = positionals.join(' ');
  if (values.help || command === 'help') {
    out(HELP);
    return 0;
  }
  const config = loadConfig(process.env);
  switch (command) {
    case 'start':
      return serve(config, { demo: true });
    case 'serve':
      return serve(config, { demo: false });
    case 'migrate':
      return withDeps(config, async (deps) => {
        const report = await deps.storage.migrate();
        out(report.applied.length > 0 ? `applied: ${report.applied.join(', ')}` : 'nothing to apply');
        out(`schema version ${report.current} (${deps.storage.kind})`);
      });
    case 'demo':
      return withDeps(config, async (deps) => {
        await deps.storage.migrate();
        // A short-lived engine: routes the demo conversation, then stops with the command.
        const routing = new RoutingEngine({ ...deps, scheduler: new TimerScheduler(() => deps.clock.now()), random: new CryptoRandom() });
        try {
          printDemo(await seedDemo(deps, routing), config);
        } finally {
          await routing.close();
        }
      });
    case 'admin':
      if (sub !== 'create-key') break;
      return withDeps(config, async (deps) => {
        await deps.storage.migrate();
        printKey(await createAdminApiKey(deps, values.label ?? 'created with switchboard admin create-key'), false);
      });
    case 'users':
    case 'roles':
    case 'apps':
    case 'bots':
    case 'sso': {
      let printed: unknown;
      try {
        const code = await withDeps(config, async (deps) => {
          await deps.storage.migrate();
          printed = await runIdentityCommand(identityDepsFor(deps, config), positionals, values as IdentityArgs);
        });
        if (printed === undefined) break;
        out(JSON.stringify(printed, null, 2));
        return code;
      } catch (error) {
        if (error instanceof UsageError) {
          process.stderr.write(`switchboard: ${error.message}\n`);
          return 2;
        }
        if (isSwitchboardError(error)) {
          process.stderr.write(`switchboard: ${error.code}: ${error.message}\n`);
          return 1;
        }
        throw error;
      }
    }
  }
  process.stderr.write(`switchboard: unknown command "${words || [command, sub].filter(Boolean).join(' ')}"\n\n${HELP}`);
  return 2;
}

async function serve(config: Config, options: { demo: boolean }): Promise<number> {
  const sb = await assemble(config);
  const key = await ensureBootstrapKey(sb.deps);
  if (key) printKey(key, true);
  if (options.demo && (await sb.deps.storage.read.listTenants()).length === 0) printDemo(await seedDemo(sb.deps, sb.routing), config);
  const demoChat = options.demo ? await demoWebchat(sb, config) : undefined;
  if (demoChat) await demoBotRoutes(sb.app);
  const address = await sb.app.listen({ host: config.host, port: config.port });
  if (demoChat) {
    // The demo bot runs in this process; Switchboard reaches it over loopback like any bot.
    const port = (sb.app.server.address() as AddressInfo).port;
    await ensureDemoBot(sb.deps, `http://127.0.0.1:${port}${DEMO_BOT_PATH}`);
    await ensureDemoAdviser(sb.deps, `http://127.0.0.1:${port}${DEMO_ADVISER_PATH}`);
    printDemoWebchat(demoChat, address);
    printDemoPeople(demoChat.tenantId, await ensureDemoPeople(sb.identity, demoChat.tenantId, config.demoPassword), address);
  }
  sb.logger.info({ address, database: sb.deps.storage.kind, sources: config.sources }, 'switchboard listening');
  out(`Switchboard ${VERSION} is listening on ${address} (${sb.deps.storage.kind}); API docs at ${address}/docs`);

  await new Promise<void>((resolve) => {
    const stop = (signal: string) => {
      sb.logger.info({ signal }, 'shutting down');
      resolve();
    };
    process.once('SIGINT', () => stop('SIGINT'));
    process.once('SIGTERM', () => stop('SIGTERM'));
  });
  await sb.close();
  return 0;
}

/** The demo tenant's web chat channel and its Direct Line secret, when the demo tenant exists. */
async function demoWebchat(sb: Switchboard, config: Config): Promise<{ tenantId: string; channelId: string; secret: DemoSecret } | undefined> {
  const tenant = (await sb.deps.storage.read.listTenants()).find((t) => t.name === DEMO_TENANT_NAME);
  const channel = tenant && (await sb.deps.storage.read.listChannels(tenant.id)).find((c) => c.type === 'webchat');
  if (!tenant || !channel) return undefined;
  return { tenantId: tenant.id, channelId: channel.id, secret: await ensureDemoDirectLineSecret(sb.webchat.deps, tenant.id, channel.id, config.demoDirectLineSecret) };
}

function printDemoWebchat(chat: { channelId: string; secret: DemoSecret }, address: string): void {
  out('');
  out(`Web chat: the widget on ${address}/webchat/demo; Direct Line at ${address}/v3/directline`);
  out('  The demo bot answers first (opening hours, delivery, returns); say "agent" to reach a person (docs/BOTS.md).');
  if (chat.secret.unusable) {
    out('  The demo channel\'s Direct Line secret was revoked; set SWITCHBOARD_DEMO_DIRECTLINE_SECRET to a new value (sbdl_...).');
  } else {
    out(`  Direct Line secret of the demo channel ${chat.channelId}${chat.secret.fixed ? ' (from SWITCHBOARD_DEMO_DIRECTLINE_SECRET)' : ' (fix it with SWITCHBOARD_DEMO_DIRECTLINE_SECRET)'}:`);
    out(`    ${chat.secret.value}`);
    out(`  curl -X POST -H "Authorization: Bearer <secret>" ${address}/v3/directline/tokens/generate`);
  }
  out('');
}

function printDemoPeople(tenantId: string, demo: DemoPeople, address: string): void {
  out(`Web app: ${address}/app/?tenant=${tenantId} (agent workspace and supervisor wallboard); sign in as`);
  const width = Math.max(...demo.people.map((p) => p.email.length));
  for (const person of demo.people) out(`    ${person.email.padEnd(width)}  ${person.role.padEnd(13)} ${person.displayName}`);
  out(`  password for all of them${demo.fixed ? ' (from SWITCHBOARD_DEMO_PASSWORD)' : ' (fix it with SWITCHBOARD_DEMO_PASSWORD)'}: ${demo.password}`);
  out('');
}

/** A short-lived set of dependencies for one-shot commands (no HTTP server). */
async function withDeps(config: Config, work: (deps: AppDeps) => Promise<void>): Promise<number> {
  const clock = new SystemClock();
  const storage = openStorage(config.database, clock);
  const bus = new InProcessBus();
  try {
    await work({ storage, bus, clock, ids: new TimeOrderedIds(() => clock.now()) });
    return 0;
  } finally {
    await bus.close();
    await storage.close();
  }
}

function printKey(key: IssuedApiKey, firstStart: boolean): void {
  out('');
  out(firstStart ? '  An admin API key was created on first start. It is shown only now; keep it safe:' : '  New admin API key (shown only now):');
  out('');
  out(`    ${key.token}`);
  out('');
  out('  Use it as "Authorization: Bearer <key>". Make another with: switchboard admin create-key');
  out('');
}

function printDemo(demo: DemoData, config: Config): void {
  const base = `http://${config.host === '0.0.0.0' ? '127.0.0.1' : config.host}:${config.port}`;
  if (!demo.created) {
    out(`Demo tenant already present: ${demo.tenant.id} (${demo.tenant.name})`);
    return;
  }
  out(`Demo data: tenant "${demo.tenant.name}" (${demo.tenant.id})`);
  out(`  web chat channel  ${demo.channel?.id}  "${demo.channel?.name}"`);
  for (const q of demo.queues ?? []) out(`  queue             ${q.id}  "${q.name}" (${q.memberIds.length} members)`);
  for (const a of demo.agents ?? []) out(`  agent             ${a.id}  "${a.displayName}" (capacity ${a.capacity})`);
  out(`  workstream        ${demo.workstream?.id}  "${demo.workstream?.name}" (billing pages -> Billing, gold customers first)`);
  out(`  conversation      ${demo.conversation?.id}  waiting in Billing (agents are signed out), with a transcript and context`);
  out('');
  out('Try it (with the admin key printed above):');
  out(`  export KEY=<admin key>`);
  out(`  curl -H "Authorization: Bearer $KEY" ${base}/v1/tenants/${demo.tenant.id}/conversations`);
  out(`  curl -H "Authorization: Bearer $KEY" ${base}/v1/tenants/${demo.tenant.id}/conversations/${demo.conversation?.id}/messages`);
  out(`  curl -H "Authorization: Bearer $KEY" -H "content-type: application/json" \\`);
  out(`       -d '{"senderRole":"agent","senderId":"${demo.agents?.[0]?.id}","text":"Hi Dana, I am looking into it."}' \\`);
  out(`       ${base}/v1/tenants/${demo.tenant.id}/conversations/${demo.conversation?.id}/messages`);
  out(`  # sign Bob in: the waiting conversation is offered to him at once`);
  out(`  curl -X PUT -H "Authorization: Bearer $KEY" -H "content-type: application/json" -d '{"presence":"available"}' \\`);
  out(`       ${base}/v1/tenants/${demo.tenant.id}/agents/${demo.agents?.[1]?.id}/presence`);
  out(`  curl -H "Authorization: Bearer $KEY" ${base}/v1/tenants/${demo.tenant.id}/agents/${demo.agents?.[1]?.id}/offers`);
  out(`  curl -H "Authorization: Bearer $KEY" ${base}/v1/tenants/${demo.tenant.id}/conversations/${demo.conversation?.id}/routing`);
  out(`  API reference: ${base}/docs`);
  out('');
  out('Answer in the agent workspace and watch the wallboard: the web app\'s sign-ins are printed below.');
  out('');
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    if (error instanceof ConfigError) {
      process.stderr.write(`switchboard: SB_ERR_CONFIG_INVALID ${error.message}\n`);
      process.exitCode = 78; // EX_CONFIG
      return;
    }
    process.stderr.write(`switchboard: ${(error as Error).stack ?? String(error)}\n`);
    process.exitCode = 1;
  },
);
