import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import Fastify, { type FastifyInstance } from 'fastify';
import type { AppDeps } from '../../src/app/deps.js';
import { SYSTEM_CALLER } from '../../src/app/caller.js';
import { createChannel } from '../../src/app/use-cases/create-channel.js';
import { createTenant } from '../../src/app/use-cases/create-tenant.js';
import { DEMO_TENANT_NAME } from '../../src/app/use-cases/seed-demo.js';
import { widgetRoutes } from '../../src/server/http/routes/widget-routes.js';
import { startTestServer, type TestServer } from '../support/test-server.js';

describe('GET /webchat/widget.js', () => {
  let dir: string;
  let file: string;
  let app: FastifyInstance;

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'sb-widget-'));
    file = join(dir, 'widget.js');
    app = Fastify();
    // The script route needs no store; the demo page is tested on a real server below.
    widgetRoutes(app, {} as AppDeps, { widgetFile: file });
    await app.ready();
  });
  after(async () => {
    await app.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('answers 503 with a hint while the widget is not built', async () => {
    const res = await app.inject({ method: 'GET', url: '/webchat/widget.js' });
    assert.equal(res.statusCode, 503);
    assert.equal(res.json().error.code, 'SB_ERR_UNAVAILABLE');
    assert.match(res.json().error.message, /npm run build/);
  });

  it('serves the script as JavaScript with cache headers and an ETag, and 304 when it is unchanged', async () => {
    writeFileSync(file, 'console.log("widget v1")');
    const res = await app.inject({ method: 'GET', url: '/webchat/widget.js' });
    assert.equal(res.statusCode, 200);
    assert.equal(res.headers['content-type'], 'application/javascript; charset=utf-8');
    assert.match(String(res.headers['cache-control']), /^public, max-age=\d+/);
    assert.equal(res.headers['x-content-type-options'], 'nosniff');
    assert.equal(res.body, 'console.log("widget v1")');
    const etag = String(res.headers.etag);
    assert.match(etag, /^"[\w-]{22}"$/);
    const again = await app.inject({ method: 'GET', url: '/webchat/widget.js', headers: { 'if-none-match': etag } });
    assert.equal(again.statusCode, 304);
    assert.equal(again.body, '');
  });

  it('serves a rebuilt script without a restart, under a new ETag', async () => {
    writeFileSync(file, 'console.log("widget v1")');
    const first = await app.inject({ method: 'GET', url: '/webchat/widget.js' });
    writeFileSync(file, 'console.log("widget v2")');
    const later = new Date(Date.now() + 5000);
    utimesSync(file, later, later);
    const res = await app.inject({ method: 'GET', url: '/webchat/widget.js', headers: { 'if-none-match': String(first.headers.etag) } });
    assert.equal(res.statusCode, 200);
    assert.equal(res.body, 'console.log("widget v2")');
    assert.notEqual(res.headers.etag, first.headers.etag);
  });
});

describe('the widget routes on a real server', () => {
  let sb: TestServer;
  before(async () => {
    sb = await startTestServer();
  });
  after(() => sb.stop());

  it('are public (no credentials asked) and not in the OpenAPI document', async () => {
    for (const url of ['/webchat/widget.js', '/webchat/demo']) {
      const res = await sb.app.inject({ method: 'GET', url });
      assert.notEqual(res.statusCode, 401, url);
    }
    const doc = (await sb.app.inject({ method: 'GET', url: '/openapi.json' })).json() as { paths: Record<string, unknown> };
    assert.equal(doc.paths['/webchat/widget.js'], undefined);
    assert.equal(doc.paths['/webchat/demo'], undefined);
  });

  it('says how to seed the demo when there is none', async () => {
    const res = await sb.app.inject({ method: 'GET', url: '/webchat/demo' });
    assert.equal(res.statusCode, 404);
    assert.match(res.headers['content-type'] as string, /^text\/html/);
    assert.match(res.body, /switchboard demo/);
  });

  it('embeds the widget for the demo tenant’s web chat channel', async () => {
    // The demo tenant as seedDemo names it, with a web chat channel (and another channel first).
    const tenant = await createTenant(sb.deps, SYSTEM_CALLER, { name: DEMO_TENANT_NAME });
    await createChannel(sb.deps, SYSTEM_CALLER, tenant.id, { type: 'api', name: 'Backend', config: {} });
    const channelId = (await createChannel(sb.deps, SYSTEM_CALLER, tenant.id, { type: 'webchat', name: 'Website chat', config: {} })).id;
    const res = await sb.app.inject({ method: 'GET', url: '/webchat/demo', headers: { host: '127.0.0.1:3000' } });
    assert.equal(res.statusCode, 200);
    assert.match(res.headers['content-type'] as string, /^text\/html; charset=utf-8/);
    assert.ok(res.body.includes(`<script src="/webchat/widget.js" data-channel="${channelId}" async></script>`), res.body);
    assert.ok(res.body.includes(`&lt;script src=&quot;http://127.0.0.1:3000/webchat/widget.js&quot; data-channel=&quot;${channelId}&quot; async&gt;&lt;/script&gt;`), 'the snippet to copy, escaped');
    const csp = String(res.headers['content-security-policy']);
    assert.match(csp, /script-src 'self'/);
    assert.match(csp, /connect-src 'self' ws:\/\/127\.0\.0\.1:3000/);
    assert.equal(res.headers['cache-control'], 'no-store');
  });
});
