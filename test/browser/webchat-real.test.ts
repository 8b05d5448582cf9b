import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { createRequire } from 'node:module';
import type { AddressInfo } from 'node:net';
import { dirname, join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { browserSkip, useBrowser } from '../support/browser.js';
import { startTestServer, type TestServer } from '../support/test-server.js';
import { client, type Client } from '../http/http-helpers.js';

/**
 * Microsoft's Web Chat (the real `botframework-webchat/dist/webchat.js` bundle, served from
 * loopback) in Chromium against the real Switchboard server: the page is another origin (a tiny
 * loopback server the channel trusts), Web Chat talks Direct Line to Switchboard through
 * `createDirectLine({ domain: '<switchboard>/v3/directline', token })`. What a customer types in
 * Web Chat's send box is stored in Switchboard, Web Chat marks it sent (it needs the echo with
 * `channelData.clientActivityID`, else "Send failed"), and an agent's reply posted through the
 * REST API appears in the page.
 */
const WEBCHAT_BUNDLE = join(dirname(createRequire(import.meta.url).resolve('botframework-webchat')), '..', 'dist', 'webchat.js');

const PAGE = `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Shop</title><link rel="icon" href="data:,"></head>
<body><div id="webchat" style="height:560px;width:420px"></div><script src="/webchat.js"></script></body></html>`;

/**
 * Renders Web Chat with a Direct Line to Switchboard and keeps Web Chat's store on `window` so the
 * test can read each activity's send status. Plain JavaScript in a string (see webchat-bundle.test.ts:
 * tsx's helpers do not exist in the page). `sendTimeout` is lowered from 20 s so a missing echo
 * would show "Send failed" within this test's time.
 */
function renderScript(domain: string, token: string, userID: string): string {
  return `(() => {
    const store = window.WebChat.createStore();
    window.__store = store;
    window.WebChat.renderWebChat({
      directLine: window.WebChat.createDirectLine({ domain: ${JSON.stringify(domain)}, token: ${JSON.stringify(token)} }),
      store,
      userID: ${JSON.stringify(userID)},
      styleOptions: { sendTimeout: 4000 },
    }, document.getElementById('webchat'));
  })()`;
}

/** What Web Chat's store holds: each message's text, id, clientActivityID and send status. */
const READ_STORE = `(() => window.__store.getState().activities
  .filter((a) => a.type === 'message')
  .map((a) => ({
    id: a.id || null,
    text: a.text || '',
    role: (a.from && a.from.role) || null,
    clientActivityID: (a.channelData && a.channelData.clientActivityID) || null,
    sendStatus: (a.channelData && (a.channelData['webchat:send-status'] || a.channelData.state)) || null,
  })))()`;

describe('Web Chat (the real bundle) against Switchboard in a real browser', { skip: browserSkip() }, () => {
  const browser = useBrowser({ timeoutMs: 8_000 });
  let sb: TestServer;
  let api: Client;
  let switchboard: string;
  let pageServer: Server;
  let pageOrigin: string;
  let t: string;
  let channelId: string;
  let secret: string;
  let agentId: string;

  before(async () => {
    sb = await startTestServer();
    switchboard = await sb.app.listen({ host: '127.0.0.1', port: 0 });
    api = client(sb.app, sb.auth);
    const bundle = readFileSync(WEBCHAT_BUNDLE);
    pageServer = createServer((req, res) => {
      if (req.url === '/') res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' }).end(PAGE);
      else if (req.url === '/webchat.js') res.writeHead(200, { 'content-type': 'text/javascript; charset=utf-8' }).end(bundle);
      else res.writeHead(404).end();
    });
    await new Promise<void>((resolve) => pageServer.listen(0, '127.0.0.1', resolve));
    pageOrigin = `http://127.0.0.1:${(pageServer.address() as AddressInfo).port}`;

    const tenantId = (await api.ok('POST', '/v1/tenants', 201, { name: 'Acme' })).id;
    t = `/v1/tenants/${tenantId}`;
    channelId = (await api.ok('POST', `${t}/channels`, 201, { type: 'webchat', name: 'Acme chat', config: { title: 'Acme support' } })).id;
    // The shop's page is another origin: the channel must trust it (requests and the socket are origin-checked).
    await api.ok('PATCH', `${t}/channels/${channelId}`, 200, { config: { title: 'Acme support', trustedOrigins: [pageOrigin] } });
    secret = (await api.ok('POST', `${t}/channels/${channelId}/directline-secrets`, 201)).value;
    agentId = (await api.ok('POST', `${t}/agents`, 201, { kind: 'human', displayName: 'Ana Agent', capacity: 2 })).id;
  });
  after(async () => {
    await new Promise<void>((resolve) => (pageServer ? pageServer.close(() => resolve()) : resolve()));
    await sb?.stop();
  });

  it('sends what the customer types (stored once, marked sent, no "Send failed") and shows the agent\'s reply', async () => {
    const { page } = browser;
    // The shop's backend holds the secret and hands its page a token (Direct Line's way).
    const generated = await fetch(`${switchboard}/v3/directline/tokens/generate`, {
      method: 'POST', headers: { authorization: `Bearer ${secret}`, 'content-type': 'application/json' }, body: JSON.stringify({ user: { id: 'dl_visitor', name: 'Dana' } }),
    });
    assert.equal(generated.status, 200);
    const { token, conversationId } = await generated.json() as { token: string; conversationId: string };

    await page.goto(`${pageOrigin}/`);
    await page.waitForFunction('"WebChat" in window');
    await page.evaluate(renderScript(`${switchboard}/v3/directline`, token, 'dl_visitor'));

    const sendBox = page.getByPlaceholder('Type your message');
    await sendBox.waitFor();
    await sendBox.fill('Where is my order?');
    await sendBox.press('Enter');

    // (a) Stored in Switchboard, once, as the customer's.
    const stored = await eventually(async () => {
      const items = (await api.ok('GET', `${t}/conversations/${conversationId}/messages`, 200)).items as { text: string; senderRole: string; seq: number }[];
      assert.equal(items.length, 1, `expected the message stored; have ${JSON.stringify(items)}`);
      return items[0]!;
    });
    assert.deepEqual([stored.text, stored.senderRole], ['Where is my order?', 'customer']);

    // (b) Web Chat saw the echo (matched on clientActivityID): the activity is "sent", carries the
    // server's id, and its status line is the timestamp, not "Sending" or "Send failed".
    await page.getByText('Just now').waitFor();
    const mine = await eventually(async () => {
      const activities = await page.evaluate(READ_STORE) as { id: string | null; text: string; role: string | null; clientActivityID: string | null; sendStatus: string | null }[];
      const own = activities.filter((a) => a.text === 'Where is my order?');
      assert.equal(own.length, 1, `one activity for the message in Web Chat's store; have ${JSON.stringify(activities)}`);
      assert.equal(own[0]!.sendStatus, 'sent', `send status; have ${JSON.stringify(own)}`);
      return own[0]!;
    });
    assert.equal(mine.id, `${conversationId}|${String(stored.seq).padStart(7, '0')}`, 'the echo replaced the pending activity');
    assert.ok(mine.clientActivityID, 'Web Chat sent a clientActivityID');
    assert.equal(await page.getByText(/Send failed/).count(), 0, 'no "Send failed"');
    assert.equal(await page.getByText('Sending', { exact: true }).count(), 0, 'no activity still "Sending"');

    // (c) An agent's reply through the REST API appears in the page with the agent's text.
    await api.ok('POST', `${t}/conversations/${conversationId}/messages`, 201, { senderRole: 'agent', senderId: agentId, text: 'Let me check that for you.' });
    await api.ok('POST', `${t}/conversations/${conversationId}/messages`, 201, { senderRole: 'agent', senderId: agentId, visibility: 'internal', text: 'customer seems upset' });
    // The transcript renders the text as markdown (a paragraph); Web Chat also repeats it in its live region.
    await page.locator('p', { hasText: 'Let me check that for you.' }).waitFor();
    const afterReply = await page.evaluate(READ_STORE) as { text: string; role: string | null }[];
    assert.deepEqual(afterReply.map((a) => [a.role, a.text]), [['user', 'Where is my order?'], ['bot', 'Let me check that for you.']], 'the transcript, internal note excluded');
    assert.equal(await page.getByText('customer seems upset').count(), 0, 'internal notes never reach the page');
    assert.equal(await page.getByText(/Send failed/).count(), 0, 'still no "Send failed"');

    // (d) No console errors, page errors, failed or refused requests (CORS preflights included).
    browser.assertClean();
  });
});

async function eventually<T>(check: () => Promise<T>, ms = 5_000): Promise<T> {
  const until = Date.now() + ms;
  for (;;) {
    try {
      return await check();
    } catch (error) {
      if (Date.now() > until) throw error;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }
}
