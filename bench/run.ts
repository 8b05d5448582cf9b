/**
 * Runs the benchmarks: all of them, or those named on the command line (`npm run bench -- b5`).
 * Each benchmark prints its own summary lines; the exit code is non-zero when one could not
 * produce valid figures (a crash, failed requests), not when it misses its target.
 */
const BENCHMARKS: Record<string, { title: string; run: () => Promise<boolean> }> = {
  b1: { title: 'Chat message end to end (Direct Line -> agent socket)', run: async () => (await import('./b1-chat.js')).runB1() },
  b2: { title: 'Routing engine', run: async () => (await import('./b2-routing.js')).runB2() },
  b3: { title: 'Wallboard fan-out (200 supervisor sockets, 2,000 routing changes/s)', run: async () => (await import('./b3-wallboard.js')).runB3() },
  b4: { title: 'Bot -> agent handoff (botbuilder bot, Direct Line customers)', run: async () => (await import('./b4-bots.js')).runB4() },
  b5: { title: 'REST API', run: async () => (await import('./b5-rest-api.js')).runB5() },
  b8: { title: 'Connection scale and reconnect storm (Direct Line streams)', run: async () => (await import('./b8-connections.js')).runB8() },
  tokens: { title: 'Identity: OAuth token issuance', run: async () => (await import('./identity-tokens.js')).runIdentityTokens() },
};

async function main(argv: string[]): Promise<number> {
  const names = argv.map((a) => a.toLowerCase()).filter((a) => a !== '--');
  if (names.includes('--help') || names.includes('-h')) {
    process.stdout.write(`Usage: npm run bench [-- <name> ...]\n\n${Object.entries(BENCHMARKS).map(([n, b]) => `  ${n}  ${b.title}`).join('\n')}\n`);
    return 0;
  }
  const unknown = names.filter((n) => !(n in BENCHMARKS));
  if (unknown.length > 0) {
    process.stderr.write(`bench: unknown benchmark ${unknown.join(', ')} (known: ${Object.keys(BENCHMARKS).join(', ')})\n`);
    return 2;
  }
  let failed = 0;
  for (const name of names.length > 0 ? names : Object.keys(BENCHMARKS)) {
    const started = Date.now();
    try {
      const valid = await BENCHMARKS[name]!.run();
      if (!valid) failed++;
    } catch (error) {
      failed++;
      process.stderr.write(`bench ${name} failed: ${(error as Error).stack ?? String(error)}\n`);
    }
    process.stdout.write(`(${name} took ${((Date.now() - started) / 1000).toFixed(0)} s)\n`);
  }
  return failed === 0 ? 0 : 1;
}

process.exitCode = await main(process.argv.slice(2));
