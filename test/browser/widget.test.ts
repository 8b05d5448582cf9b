import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { build } from 'vite';
import { SYSTEM_CALLER } from '../../src/app/caller.js';
import { createAgent } from '../../src/app/use-cases/create-agent.js';
import { createChannel } from '../../src/app/use-cases/create-channel.js';
import { createQueue } from '../../src/app/use-cases/create-queue.js';
import { createTenant } from '../../src/app/use-cases/create-tenant.js';
import { createWorkstream } from '../../src/app/use-cases/create-workstream.js';
import { DEMO_TENANT_NAME } from '../../src/app/use-cases/seed-demo.js';
import { browserSkip, useBrowser } from '../support/browser.js';
import { startTestServer, type TestServer } from '../support/test-server.js';

const root = new URL('../..', import.meta.url).pathname;
const HOST = '[data-switchboard-webchat]';
/** The widget's focused element, described (a string: tsx-compiled functions do not run in the page). */
const FOCUSED_SCRIPT = `(() => { const a = document.querySelector('${HOST}')?.shadowRoot?.activeElement; return a ? (a.getAttribute('aria-label') || a.id || a.tagName) : 'outside:' + document.activeElement?.tagName; })()`;

/**
 * The embeddable widget in Chromium against a real Switchboard: the demo page (`GET /webchat/demo`)
 * loads `/webchat/widget.js` for the demo tenant's channel; the customer uses the keyboard through
 * the pre-chat form, writes, gets the agent's reply posted with the REST API, sees the queue
 * banner, survives a dropped socket and a reload, and answers the survey after the end.
 */
describe('the web chat widget in a real browser', { skip: browserSkip() }, () => {
  const browser = useBrowser({ timeoutMs: 15_000 });
  let sb: TestServer;
  let base: string;
  let tenantId: string;
  let agentId: string;
  let demoChannelId: string;
  /** Another site (another loopback port: another origin) that embeds the widget. */
  let shop: Server;
  let shopOrigin: string;
  let shopChannelId: string;

  const api = async (method: 'GET' | 'POST', path: string, body?: unknown) => {
    const res = await sb.app.inject({ method, url: `/v1/tenants/${tenantId}${path}`, headers: { ...sb.auth, ...(body ? { 'content-type': 'application/json' } : {}) }, ...(body ? { payload: JSON.stringify(body) } : {}) });
    assert.ok(res.statusCode < 300, `${method} ${path}: ${res.statusCode} ${res.body}`);
    return res.json();
  };
  const conversations = async (): Promise<Array<{ id: string; state: string }>> => (await api('GET', '/conversations')).items;
  const messagesOf = async (id: string): Promise<Array<{ senderRole: string; text: string }>> => (await api('GET', `/conversations/${id}/messages`)).items;
  const agentSays = (conversationId: string, text: string) => api('POST', `/conversations/${conversationId}/messages`, { senderRole: 'agent', senderId: agentId, text });
  const focused = async (): Promise<string> => String(await browser.page.evaluate(FOCUSED_SCRIPT));
  async function eventually<T>(read: () => Promise<T>, ok: (value: T) => boolean, what: string): Promise<T> {
    const until = Date.now() + 10_000;
    for (;;) {
      const value = await read();
      if (ok(value)) return value;
      if (Date.now() > until) assert.fail(`${what}: still ${JSON.stringify(value)}`);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }

  before(async () => {
    // The script the route serves: built as `npm run build` builds it.
    if (process.env.SWITCHBOARD_WEB_BUILT !== '1') await build({ configFile: `${root}vite.widget.config.ts`, root, logLevel: 'silent' });
    sb = await startTestServer();
    await sb.app.listen({ host: '127.0.0.1', port: 0 });
    base = `http://127.0.0.1:${(sb.app.server.address() as AddressInfo).port}`;
    const tenant = await createTenant(sb.deps, SYSTEM_CALLER, { name: DEMO_TENANT_NAME });
    tenantId = tenant.id;
    demoChannelId = (await createChannel(sb.deps, SYSTEM_CALLER, tenantId, {
      type: 'webchat', name: 'Website chat',
      config: {
        title: 'Demo Support', accentColor: '#0a6e4f', csat: { enabled: true },
        prechat: { fields: [
          { name: 'name', label: 'Your name', type: 'text', required: true, maxLength: 60 },
          { name: 'topic', label: 'Topic', type: 'select', required: true, options: ['Billing', 'Orders'] },
        ] },
      },
    })).id;
    shop = createServer((req, res) => {
      const channel = req.url === '/untrusted' ? demoChannelId : shopChannelId;
      res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' }).end(`<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Shop</title><link rel="icon" href="data:,"></head>
<body><h1>Shop</h1><script src="${base}/webchat/widget.js" data-channel="${channel}" async></script></body></html>`);
    });
    await new Promise<void>((resolve) => shop.listen(0, '127.0.0.1', resolve));
    shopOrigin = `http://127.0.0.1:${(shop.address() as AddressInfo).port}`;
    shopChannelId = (await createChannel(sb.deps, SYSTEM_CALLER, tenantId, { type: 'webchat', name: 'Shop chat', config: { title: 'Shop help', trustedOrigins: [shopOrigin] } })).id;
    agentId = (await createAgent(sb.deps, SYSTEM_CALLER, tenantId, { kind: 'human', displayName: 'Alice Agent', email: 'alice@demo.example', capacity: 2, skills: {} })).id;
    // Routing puts web chats in a queue whose only agent is signed out: they wait, and are told so.
    const queue = await createQueue(sb.deps, SYSTEM_CALLER, tenantId, { name: 'General', priority: 1, memberIds: [agentId], routing: { assignmentMethod: 'longest-idle' } });
    await createWorkstream(sb.deps, SYSTEM_CALLER, tenantId, { name: 'Website chat', channelTypes: ['webchat'], fallbackQueueId: queue.id, classificationRules: [], routeRules: [] });
  });
  after(async () => {
    await new Promise<void>((resolve) => (shop ? shop.close(() => resolve()) : resolve()));
    await sb?.stop();
  });

  it('takes a customer from the pre-chat form through a conversation to the survey, by keyboard', async () => {
    const { page } = browser;
    await page.goto(`${base}/webchat/demo`);
    const launcher = page.getByRole('button', { name: /^Open chat: Demo Support/ });
    await launcher.focus();
    await page.keyboard.press('Enter');

    // The pre-chat form: focus on its first field, labels on every control.
    assert.match(await focused(), /^sb-field-name/);
    await page.keyboard.press('Enter'); // submitted empty: refused in the page, nothing sent
    await page.getByText('Your name is required.').waitFor();
    assert.equal((await conversations()).length, 0);
    await page.keyboard.type('Dana');
    await page.getByLabel('Topic').selectOption('Billing');
    await page.getByLabel('Your name').press('Enter');

    // The chat: the composer has the focus; Shift+Enter is a new line, Enter sends.
    const input = page.getByRole('textbox', { name: 'Message' });
    await input.waitFor();
    await eventually(() => focused(), (f) => /^sb-input/.test(f), 'focus moves to the composer');
    await page.keyboard.type('I was charged twice');
    await page.keyboard.press('Shift+Enter');
    await page.keyboard.type('for order 1042');
    await page.keyboard.press('Enter');
    const log = page.getByRole('log', { name: 'Messages' });
    await log.getByText('for order 1042').waitFor();

    const [conversation] = await eventually(conversations, (c) => c.length === 1, 'one conversation');
    const id = conversation!.id;
    const stored = await eventually(() => messagesOf(id), (m) => m.some((x) => x.senderRole === 'customer'), 'the customer message stored');
    assert.deepEqual(stored.filter((m) => m.senderRole === 'customer').map((m) => m.text), ['I was charged twice\nfor order 1042']);
    const variables = (await api('GET', `/conversations/${id}/context`)).items as Array<{ name: string; value: unknown }>;
    const context = Object.fromEntries(variables.map((v) => [v.name, v.value]));
    assert.equal(context['prechat.name'], 'Dana');
    assert.equal(context['prechat.topic'], 'Billing');
    assert.match(String(context['page.url']), /\/webchat\/demo$/);
    assert.equal(context['page.title'], 'Switchboard web chat demo');

    // The agent answers through the REST API: name shown, markdown formatted, HTML left as text.
    await agentSays(id, 'Sorry about that, **Dana**. See https://shop.example/refunds <img src=x onerror=alert(1)>');
    await log.getByText('Alice Agent').waitFor();
    await log.locator('strong', { hasText: 'Dana' }).waitFor();
    assert.equal(await log.getByRole('link', { name: 'https://shop.example/refunds' }).getAttribute('href'), 'https://shop.example/refunds');
    assert.equal(await log.locator('img').count(), 0, 'no element from the agent\'s text');
    await log.getByText('<img src=x onerror=alert(1)>').waitFor();

    // The end offers the survey; a rating by keyboard and a comment are stored once.
    await api('POST', `/conversations/${id}/state`, { to: 'closed' });
    const four = page.getByRole('radio', { name: /^4, Satisfied/ });
    // Attached, not "visible": the native radio is visually hidden behind its label, kept for the keyboard.
    await four.waitFor({ state: 'attached' });
    await eventually(() => focused(), (f) => f === '1, Very dissatisfied', 'focus moves to the first rating');
    await page.keyboard.press('ArrowRight'); // native radios: arrows move and check
    await page.keyboard.press('ArrowRight');
    await page.keyboard.press('ArrowRight');
    assert.equal(await four.isChecked(), true);
    await page.getByLabel(/Anything you would like to add/).fill('Quick and kind');
    await page.getByRole('button', { name: 'Send feedback' }).click();
    await page.getByText('Thank you for your feedback.').waitFor();
    const surveys = (await api('GET', '/surveys')).items as Array<{ conversationId: string; rating: number; comment: string | null }>;
    assert.deepEqual(surveys.map((s) => [s.conversationId, s.rating, s.comment]), [[id, 4, 'Quick and kind']]);

    // Escape closes the window and gives the focus back to the launcher.
    await page.keyboard.press('Escape');
    assert.equal(await page.getByRole('dialog').count(), 0);
    assert.match(await focused(), /^Open chat: Demo Support/);
    browser.assertClean();
  });

  it('shows the wait as one banner, keeps every message across a dropped socket and a reload, once each', async () => {
    const { page } = browser;
    await page.goto(`${base}/webchat/demo`);
    await page.getByRole('button', { name: /^Open chat/ }).click();
    await page.getByLabel('Your name').fill('Eve');
    await page.getByLabel('Topic').selectOption('Orders');
    await page.getByRole('button', { name: 'Start chat' }).click();
    const input = page.getByRole('textbox', { name: 'Message' });
    await input.fill('Where is my parcel?');
    await input.press('Enter');
    const log = page.getByRole('log', { name: 'Messages' });
    await log.getByText('Where is my parcel?').waitFor();
    const id = (await eventually(conversations, (c) => c.some((x) => x.state !== 'closed'), 'the second conversation')).find((c) => c.state !== 'closed')!.id;
    await eventually(() => messagesOf(id), (m) => m.some((x) => x.senderRole === 'customer'), 'stored');

    // Waiting is a status banner above the log, not a bubble in it; it goes when the agent writes.
    const banner = page.getByRole('status').filter({ hasText: /in line/ });
    await banner.waitFor();
    assert.match(await banner.innerText(), /You are number 1 in line/);
    assert.equal(await log.getByText(/in line/).count(), 0);

    // The server drops the socket; the agent writes while the widget is away.
    for (const client of sb.app.websocketServer.clients) client.terminate();
    await agentSays(id, 'First, while you were away');
    await agentSays(id, 'Second, while you were away');
    await log.getByText('Second, while you were away').waitFor();
    await agentSays(id, 'Third, after the reconnect');
    await log.getByText('Third, after the reconnect').waitFor();
    assert.equal(await banner.count(), 0, 'the banner went when the agent wrote');

    const bubbles = async () => (await log.locator('.bubble').allInnerTexts()).map((t) => t.trim());
    const expected = ['Where is my parcel?', 'First, while you were away', 'Second, while you were away', 'Third, after the reconnect'];
    assert.deepEqual(await bubbles(), expected);

    // A reload resumes the same conversation from sessionStorage: same transcript, nothing twice.
    await page.reload();
    await page.getByRole('log', { name: 'Messages' }).getByText('Third, after the reconnect').waitFor();
    assert.deepEqual(await bubbles(), expected);
    await agentSays(id, 'Fourth, after the reload');
    await log.getByText('Fourth, after the reload').waitFor();
    assert.equal((await conversations()).length, 2, 'no new conversation was started');
    const customer = (await messagesOf(id)).filter((m) => m.senderRole === 'customer');
    assert.equal(customer.length, 1, 'the message is stored once');
    browser.assertClean();
  });

  it('works on another site whose origin the channel trusts, and stays away from one it does not', async () => {
    const { page } = browser;
    await page.goto(`${shopOrigin}/`);
    await page.getByRole('button', { name: /^Open chat: Shop help/ }).click();
    // No pre-chat fields: the composer is there at once and the first message starts the chat.
    const input = page.getByRole('textbox', { name: 'Message' });
    await input.fill('Hello from the shop');
    await input.press('Enter');
    const log = page.getByRole('log', { name: 'Messages' });
    await log.getByText('Hello from the shop').waitFor();
    await eventually(async () => (await page.locator('.state').allInnerTexts()).join(''), (t) => t === '', 'the message is confirmed (no "Sending…")');
    const started = (await conversations()).length;
    browser.assertClean();

    await page.goto(`${shopOrigin}/untrusted`);
    await page.getByRole('heading', { name: 'Shop' }).waitFor();
    // The refusal carries no CORS header, so the page cannot even read it: the request fails.
    await eventually(async () => browser.problems.failedRequests, (f) => f.some((r) => r.includes(`/webchat/${demoChannelId}/settings`)), 'the settings refused');
    assert.ok(browser.problems.consoleErrors.some((e) => /blocked by CORS policy/.test(e)));
    assert.equal(await page.locator(HOST).count(), 0, 'no widget on a page the channel does not trust');
    assert.equal((await conversations()).length, started);
  });
});
