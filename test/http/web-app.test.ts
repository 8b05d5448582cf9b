// The web app's server side: the files under /app/ (index.html for every app path, hashed assets
// cached for good, nothing outside the build folder), and the session cookie on the event stream's
// WebSocket upgrade, accepted only from a page of this site (Origin).
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import Fastify, { type FastifyInstance } from 'fastify';
import WebSocket from 'ws';
import { SYSTEM_CALLER } from '../../src/app/caller.js';
import { inviteUser } from '../../src/app/identity/user-admin.js';
import { installErrorHandling } from '../../src/server/http/error-handler.js';
import { appStaticRoutes } from '../../src/server/http/routes/app-static-routes.js';
import { startTestServer, type TestServer } from '../support/test-server.js';
import { client, seedTenant } from './http-helpers.js';

describe('the web app files under /app/', () => {
  let dir: string;
  let app: FastifyInstance;

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'sb-web-'));
    mkdirSync(join(dir, 'assets'));
    writeFileSync(join(dir, 'index.html'), '<!doctype html><title>Switchboard</title><script type="module" src="/app/assets/index-abc123.js"></script>');
    writeFileSync(join(dir, 'assets', 'index-abc123.js'), 'console.log("app")');
    writeFileSync(join(dir, 'assets', 'index-abc123.css'), 'body{margin:0}');
    writeFileSync(join(dir, 'secret.txt'), 'not part of the app');
    app = Fastify();
    installErrorHandling(app, 1024 * 1024);
    appStaticRoutes(app, { dir });
    await app.ready();
  });
  after(async () => {
    await app?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('answers index.html for /app/ and every path below it, revalidated, with a strict CSP', async () => {
    for (const url of ['/app/', '/app/conversations/conv_1', '/app/anything?x=1']) {
      const res = await app.inject({ method: 'GET', url });
      assert.equal(res.statusCode, 200, url);
      assert.match(res.headers['content-type'] as string, /^text\/html/);
      assert.match(res.body, /<title>Switchboard<\/title>/);
      assert.equal(res.headers['cache-control'], 'no-cache');
      const csp = res.headers['content-security-policy'] as string;
      assert.match(csp, /default-src 'none'/);
      assert.match(csp, /script-src 'self'(;|$)/, 'no inline or foreign scripts');
      assert.match(csp, /frame-ancestors 'none'/);
      const again = await app.inject({ method: 'GET', url, headers: { 'if-none-match': res.headers.etag as string } });
      assert.equal(again.statusCode, 304);
    }
    const bare = await app.inject({ method: 'GET', url: '/app' });
    assert.equal(bare.statusCode, 302);
    assert.equal(bare.headers.location, '/app/');
  });

  it('serves hashed assets with a year of immutable cache and the right type', async () => {
    const js = await app.inject({ method: 'GET', url: '/app/assets/index-abc123.js' });
    assert.equal(js.statusCode, 200);
    assert.match(js.headers['content-type'] as string, /^application\/javascript/);
    assert.equal(js.headers['cache-control'], 'public, max-age=31536000, immutable');
    assert.equal(js.headers['x-content-type-options'], 'nosniff');
    assert.equal(js.body, 'console.log("app")');
    const css = await app.inject({ method: 'GET', url: '/app/assets/index-abc123.css' });
    assert.match(css.headers['content-type'] as string, /^text\/css/);
  });

  it('answers 404 for a missing asset, an unknown type, or a path that leaves the assets folder', async () => {
    for (const url of ['/app/assets/index-gone.js', '/app/assets/secret.txt', '/app/assets/..%2Fsecret.txt', '/app/assets/..%2Findex.html', '/app/assets/%2E%2E%2Fsecret.txt']) {
      const res = await app.inject({ method: 'GET', url });
      assert.equal(res.statusCode, 404, `${url}: ${res.statusCode}`);
      assert.equal(res.json().error.code, 'SB_ERR_ROUTE_NOT_FOUND');
      assert.doesNotMatch(res.body, /not part of the app/);
    }
  });

  it('says the app is not built (503) when there is no build', async () => {
    const empty = Fastify();
    installErrorHandling(empty, 1024);
    appStaticRoutes(empty, { dir: join(dir, 'nowhere') });
    const res = await empty.inject({ method: 'GET', url: '/app/' });
    assert.equal(res.statusCode, 503);
    assert.match(res.json().error.message, /npm run build/);
    await empty.close();
  });
});

describe('the session cookie on the event stream upgrade', () => {
  let sb: TestServer;
  let url: string;
  let origin: string;
  let cookie: string;

  before(async () => {
    sb = await startTestServer();
    origin = await sb.app.listen({ host: '127.0.0.1', port: 0 });
    url = `${origin.replace('http', 'ws')}/v1/stream`;
    const f = await seedTenant(client(sb.app, sb.auth), 'Acme');
    await inviteUser(sb.identity, SYSTEM_CALLER, f.tenantId, { email: 'ana@acme.example', displayName: 'Ana', password: 'correct horse battery staple', agentId: f.agentId, roles: [{ role: 'agent' }] });
    const res = await sb.app.inject({
      method: 'POST', url: '/v1/auth/password', headers: { 'content-type': 'application/json' },
      payload: JSON.stringify({ tenantId: f.tenantId, email: 'ana@acme.example', password: 'correct horse battery staple' }),
    });
    assert.equal(res.statusCode, 200, res.body);
    const raw = res.headers['set-cookie'];
    cookie = (Array.isArray(raw) ? raw : [raw ?? '']).find((c) => c.startsWith('sb_session='))!.split(';')[0]!;
  });
  after(() => sb?.stop());

  /** The HTTP status of the upgrade: 101 when the socket opened. */
  const upgrade = (headers: Record<string, string>) => new Promise<number>((resolve) => {
    const socket = new WebSocket(url, { headers });
    socket.once('unexpected-response', (_req, res) => {
      resolve(res.statusCode ?? 0);
      res.resume();
      socket.terminate();
    });
    socket.once('open', () => {
      resolve(101);
      socket.close();
    });
    socket.once('error', () => undefined);
  });

  it('opens for a page of this site, and for a client that sends no Origin', async () => {
    assert.equal(await upgrade({ cookie, origin }), 101);
    assert.equal(await upgrade({ cookie }), 101);
  });

  it('refuses a page of another origin, another port of the same host included (403)', async () => {
    assert.equal(await upgrade({ cookie, origin: 'https://evil.example' }), 403);
    assert.equal(await upgrade({ cookie, origin: origin.replace(/:\d+$/, ':1') }), 403);
    assert.equal(await upgrade({ cookie, origin: 'null' }), 403);
  });
});
