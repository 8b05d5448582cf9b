import assert from 'node:assert/strict';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { SYSTEM_CALLER } from '../../src/app/caller.js';
import { inviteUser } from '../../src/app/identity/user-admin.js';
import { browserSkip, useBrowser } from '../support/browser.js';
import { startTestServer, type TestServer } from '../support/test-server.js';

const EMAIL = 'ana@acme.example';
const PASSWORD = 'correct horse battery staple';

/**
 * The server-rendered sign-in page (`/login/{tenant}/signin`) in Chromium against a real
 * Switchboard listening on loopback: typed into with the keyboard, submitted, redirected; the
 * cookie and the session as the browser holds them.
 */
describe('the sign-in page in a real browser', { skip: browserSkip() }, () => {
  const browser = useBrowser();
  let sb: TestServer;
  let base: string;
  let tenantId: string;
  let userId: string;

  before(async () => {
    sb = await startTestServer();
    await sb.app.listen({ host: '127.0.0.1', port: 0 });
    base = `http://127.0.0.1:${(sb.app.server.address() as AddressInfo).port}`;
    const tenant = await sb.app.inject({ method: 'POST', url: '/v1/tenants', headers: { ...sb.auth, 'content-type': 'application/json' }, payload: JSON.stringify({ name: 'Acme' }) });
    assert.equal(tenant.statusCode, 201, tenant.body);
    tenantId = JSON.parse(tenant.body).id;
    userId = (await inviteUser(sb.identity, SYSTEM_CALLER, tenantId, { email: EMAIL, displayName: 'Ana', password: PASSWORD })).id;
  });
  after(() => sb?.stop());

  const signinUrl = (returnTo: string) => `${base}/login/${tenantId}/signin?return_to=${encodeURIComponent(returnTo)}`;
  const isFormPost = (url: string, method: string) => method === 'POST' && url === `${base}/login/${tenantId}/signin`;

  /** Opens the page and types the credentials: focus the e-mail field, type, Tab to the password, type. */
  async function typeCredentials(email: string, password: string): Promise<void> {
    const { page } = browser;
    await page.goto(signinUrl('/v1/session'));
    await page.getByRole('heading', { name: 'Sign in to Acme' }).waitFor();
    await page.getByLabel('E-mail address').focus();
    await page.keyboard.type(email);
    await page.keyboard.press('Tab');
    assert.equal(await page.evaluate(() => document.activeElement?.id), 'password', 'Tab moves from the e-mail field to the password');
    await page.keyboard.type(password);
  }

  it('signs in from the keyboard: the form posts, redirects to return_to, and the browser holds an HttpOnly session', async () => {
    const { page, context } = browser;
    await typeCredentials(EMAIL, PASSWORD);
    const posted = page.waitForResponse((r) => isFormPost(r.url(), r.request().method()));
    const landed = page.waitForResponse((r) => r.url() === `${base}/v1/session` && r.request().method() === 'GET');
    await page.keyboard.press('Enter');

    const post = await posted;
    assert.equal(post.status(), 302);
    assert.equal(post.headers().location, '/v1/session');
    const landing = await landed;
    assert.equal(landing.status(), 200);
    await page.waitForURL(`${base}/v1/session`);
    assert.equal(((await landing.json()) as { user: { id: string } }).user.id, userId);

    const cookies = await context.cookies(base);
    const session = cookies.find((c) => c.name === 'sb_session');
    assert.ok(session, `no sb_session cookie among ${cookies.map((c) => c.name).join(', ')}`);
    assert.equal(session.httpOnly, true);
    assert.equal(session.sameSite, 'Lax');
    assert.equal(session.path, '/');
    assert.equal(session.secure, false, 'plain http on loopback: not Secure, or the browser would never send it back');
    assert.ok(session.expires > Date.now() / 1000, 'a persistent cookie with an expiry in the future');
    assert.ok(!cookies.some((c) => c.name === 'sb_login'), 'the one-time login token cookie is cleared after sign-in');
    assert.equal(await page.evaluate(() => document.cookie.includes('sb_session')), false, 'page scripts cannot read the session cookie');

    // A script of a page on this origin asks who is signed in: the browser sends the cookie itself.
    const fromPage = await page.evaluate(async () => {
      const res = await fetch('/v1/session', { credentials: 'same-origin' });
      return { status: res.status, body: (await res.json()) as { user: { id: string; email: string }; tenant: { id: string }; csrfToken: string } };
    });
    assert.equal(fromPage.status, 200);
    assert.equal(fromPage.body.user.id, userId);
    assert.equal(fromPage.body.user.email, EMAIL);
    assert.equal(fromPage.body.tenant.id, tenantId);
    assert.equal(typeof fromPage.body.csrfToken, 'string');
    browser.assertClean();
  });

  it('a wrong password shows the error on the page, keeps the e-mail, and sets no session cookie', async () => {
    const { page, context } = browser;
    await typeCredentials(EMAIL, 'not the password');
    const posted = page.waitForResponse((r) => isFormPost(r.url(), r.request().method()));
    await page.keyboard.press('Enter');

    assert.equal((await posted).status(), 401);
    const alert = page.getByRole('alert');
    await alert.waitFor();
    assert.match(await alert.innerText(), /e-mail address or password is wrong/);
    assert.equal(page.url(), `${base}/login/${tenantId}/signin`, 'the browser stays on the sign-in form');
    assert.equal(await page.getByLabel('E-mail address').inputValue(), EMAIL);
    assert.equal(await page.getByLabel('Password').inputValue(), '');

    const cookies = await context.cookies(base);
    assert.ok(!cookies.some((c) => c.name === 'sb_session'), 'no session cookie');
    // The same question as above, with the cookies the browser holds (the page's CSP forbids fetch()).
    const session = await context.request.get(`${base}/v1/session`);
    assert.equal(session.status(), 401);

    // The one expected problem is the refused sign-in (Chromium logs a 401 document as a failed load).
    const { consoleErrors, pageErrors, failedRequests, errorResponses } = browser.problems;
    assert.deepEqual(pageErrors, []);
    assert.deepEqual(failedRequests, []);
    assert.equal(consoleErrors.length, 1, consoleErrors.join('\n'));
    assert.match(consoleErrors[0]!, /status of 401/);
    assert.deepEqual(errorResponses, [`POST ${base}/login/${tenantId}/signin: 401`]);
  });
});
