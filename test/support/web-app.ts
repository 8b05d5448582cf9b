/**
 * What the web app's browser journeys share: the app built as `npm run build` builds it, a real
 * Switchboard listening on loopback, the sign-in through the tenant's sign-in page, and the docs'
 * screenshots (taken only with SWITCHBOARD_SCREENSHOTS=1, so an ordinary run leaves the tree as it was).
 */
import { mkdirSync } from 'node:fs';
import type { Page } from 'playwright-core';
import { build } from 'vite';
import { SYSTEM_CALLER } from '../../src/app/caller.js';
import { createChannel } from '../../src/app/use-cases/create-channel.js';
import { createTenant } from '../../src/app/use-cases/create-tenant.js';
import { createDirectLineSecret } from '../../src/app/webchat/directline-secrets.js';
import { startTestServer, type TestServer } from './test-server.js';

const root = new URL('../..', import.meta.url).pathname;

/** The web app (dist/web) and the widget (dist/widget), as `npm run build` builds them. */
export async function buildFrontEnds(): Promise<void> {
  await build({ configFile: `${root}vite.web.config.ts`, logLevel: 'silent' });
  await build({ configFile: `${root}vite.widget.config.ts`, root, logLevel: 'silent' });
}

/**
 * Builds dist/web and dist/widget (unless scripts/run-tests.mjs built them once for the whole run: two suites
 * building at the same time empty the folders under each other) and starts a Switchboard on
 * 127.0.0.1 (port 0); `base` is its address.
 */
export async function startWebAppServer(setup?: (sb: TestServer) => Promise<void>): Promise<{ sb: TestServer; base: string }> {
  if (process.env.SWITCHBOARD_WEB_BUILT !== '1') await buildFrontEnds();
  const sb = await startTestServer();
  await setup?.(sb);
  const base = (await sb.app.listen({ host: '127.0.0.1', port: 0 })).replace('localhost', '127.0.0.1');
  return { sb, base };
}

/** Opens the app with no session: it sends the browser to the tenant's sign-in page; signs in there and comes back. */
export async function signInToApp(page: Page, base: string, tenantId: string, email: string, password: string): Promise<void> {
  await page.setViewportSize({ width: 1280, height: 720 });
  await page.goto(`${base}/app/?tenant=${tenantId}`);
  await page.waitForURL((url) => url.pathname === `/login/${tenantId}/signin`);
  await page.getByLabel('E-mail address').fill(email);
  await page.getByLabel('Password').fill(password);
  await page.getByLabel('Password').press('Enter');
  await page.waitForURL(`${base}/app/?tenant=${tenantId}`);
}

/** Saves a screenshot of the viewport to docs/screenshots/ when SWITCHBOARD_SCREENSHOTS=1. */
export async function shoot(page: Page, name: string): Promise<void> {
  if (process.env.SWITCHBOARD_SCREENSHOTS !== '1') return;
  mkdirSync(`${root}docs/screenshots`, { recursive: true });
  await page.screenshot({ path: `${root}docs/screenshots/${name}` });
}

/** The Switchboard REST API as the test's administrator (the test server's admin key), JSON in and out. */
export function adminApi(sb: TestServer, tenantId: string) {
  return async (method: 'GET' | 'POST' | 'PUT', url: string, body?: unknown) => {
    const res = await sb.app.inject({
      method, url: `/v1/tenants/${tenantId}${url}`, headers: { ...sb.auth, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
      ...(body === undefined ? {} : { payload: JSON.stringify(body) }),
    });
    return { status: res.statusCode, body: (res.body === '' ? undefined : res.json()) as any };
  };
}

/** The tenant most journeys start from: "Acme" with a web chat channel and a Direct Line secret for its customers. */
export async function acmeWithWebChat(sb: TestServer): Promise<{ tenantId: string; channelId: string; secret: string }> {
  const tenantId = (await createTenant(sb.deps, SYSTEM_CALLER, { name: 'Acme' })).id;
  const channelId = (await createChannel(sb.deps, SYSTEM_CALLER, tenantId, { type: 'webchat', name: 'Website chat', config: { title: 'Acme Support' } })).id;
  const secret = (await createDirectLineSecret(sb.webchat.deps, SYSTEM_CALLER, tenantId, channelId)).value;
  return { tenantId, channelId, secret };
}
