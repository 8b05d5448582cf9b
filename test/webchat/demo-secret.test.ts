import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { after, before, describe, it } from 'node:test';
import { seedDemo } from '../../src/app/use-cases/seed-demo.js';
import { ensureDemoDirectLineSecret } from '../../src/app/webchat/demo-secret.js';
import { startTestServer, type TestServer } from '../support/test-server.js';

/** The demo channel's Direct Line secret: printed at every start, or fixed by SWITCHBOARD_DEMO_DIRECTLINE_SECRET. */
describe('the demo Direct Line secret', () => {
  let sb: TestServer;
  let tenantId: string;
  let channelId: string;
  before(async () => {
    sb = await startTestServer();
    const demo = await seedDemo(sb.deps, sb.routing);
    tenantId = demo.tenant.id;
    channelId = demo.channel!.id;
  });
  after(() => sb.stop());

  const generate = (secret: string) => sb.app.inject({ method: 'POST', url: '/v3/directline/tokens/generate', headers: { authorization: `Bearer ${secret}` } });

  it('is generated once and the same at every later start, and it works', async () => {
    const first = await ensureDemoDirectLineSecret(sb.webchat.deps, tenantId, channelId, null);
    const again = await ensureDemoDirectLineSecret(sb.webchat.deps, tenantId, channelId, null);
    assert.equal(again.value, first.value);
    assert.match(first.value, /^sbdl_/);
    assert.equal((await generate(first.value)).statusCode, 200);
    assert.equal((await sb.deps.storage.read.webchat.listDirectLineSecrets(tenantId, channelId)).length, 1, 'one secret, not one per start');
  });

  it('takes a fixed value from the configuration', async () => {
    const fixed = `sbdl_${'acceptance'.repeat(4)}`;
    const ensured = await ensureDemoDirectLineSecret(sb.webchat.deps, tenantId, channelId, fixed);
    assert.deepEqual(ensured, { value: fixed, fixed: true, unusable: false });
    assert.equal((await generate(fixed)).statusCode, 200);
    await ensureDemoDirectLineSecret(sb.webchat.deps, tenantId, channelId, fixed);
    assert.equal((await sb.deps.storage.read.webchat.listDirectLineSecrets(tenantId, channelId)).length, 2);
  });

  it('serves botframework-directlinejs on the demo channel, reaching its workstream', async () => {
    const require = createRequire(import.meta.url);
    (globalThis as Record<string, unknown>).XMLHttpRequest ??= require('xhr2');
    (globalThis as Record<string, unknown>).WebSocket ??= require('ws');
    const { DirectLine } = require('botframework-directlinejs') as typeof import('botframework-directlinejs');
    const base = await sb.app.listen({ host: '127.0.0.1', port: 0 });
    const { value } = await ensureDemoDirectLineSecret(sb.webchat.deps, tenantId, channelId, null);
    const dl = new DirectLine({ domain: `${base}/v3/directline`, secret: value, webSocket: true });
    const seen: { type: string; text?: string; channelData?: any }[] = [];
    const subscription = dl.activity$.subscribe((a: any) => seen.push(a));
    try {
      await new Promise<void>((resolve, reject) => dl.postActivity({ type: 'message', from: { id: 'dl_demo' }, text: 'Hello demo' } as never).subscribe({ next: () => resolve(), error: reject }));
      const until = Date.now() + 5_000;
      // The demo workstream routes it (its agents are signed out): the customer hears their place in line.
      while (!seen.some((a) => a.channelData?.switchboard?.kind === 'queue')) {
        if (Date.now() > until) throw new Error(`no queue message; saw ${JSON.stringify(seen.map((a) => a.text))}`);
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
      assert.ok(seen.some((a) => a.text === 'Hello demo'), 'the echo arrived');
    } finally {
      subscription.unsubscribe();
      dl.end();
    }
  });

  it('is not brought back once an administrator revoked it', async () => {
    const current = await ensureDemoDirectLineSecret(sb.webchat.deps, tenantId, channelId, null);
    const stored = (await sb.deps.storage.read.webchat.listDirectLineSecrets(tenantId, channelId)).find((s) => current.value.startsWith(s.hint) && s.revokedAt === null)!;
    await sb.app.inject({ method: 'DELETE', url: `/v1/tenants/${tenantId}/channels/${channelId}/directline-secrets/${stored.id}`, headers: sb.auth });
    assert.equal((await ensureDemoDirectLineSecret(sb.webchat.deps, tenantId, channelId, null)).unusable, true);
    assert.equal((await generate(current.value)).statusCode, 401);
  });
});
