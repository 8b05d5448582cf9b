import assert from 'node:assert/strict';
import { readFileSync, statSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { createRequire } from 'node:module';
import type { AddressInfo } from 'node:net';
import { dirname, join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { browserSkip, useBrowser } from '../support/browser.js';

/**
 * Microsoft's Web Chat as a browser bundle (`botframework-webchat/dist/webchat.js`, the script
 * Web Chat's documentation loads from a CDN) served from loopback instead, loaded into Chromium.
 * The package exports only ".", so the file is found next to its main module.
 */
const WEBCHAT_BUNDLE = join(dirname(createRequire(import.meta.url).resolve('botframework-webchat')), '..', 'dist', 'webchat.js');

const PAGE = `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Web Chat</title><link rel="icon" href="data:,"></head>
<body><div id="webchat" style="height:480px"></div><script src="/webchat.js"></script></body></html>`;
const BLANK = '<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Blank</title><link rel="icon" href="data:,"></head><body></body></html>';

/**
 * The smallest Direct Line Web Chat accepts: observables saying "online" (ConnectionStatus.Online
 * is 2) that bring no activities. Plain JavaScript in a string, run as it is: a function passed to
 * page.evaluate() would be compiled by tsx, whose helpers (`__name`) do not exist in the page.
 */
const RENDER_WITH_STAND_IN = `(() => {
  const observable = (first) => ({
    subscribe(observer) {
      const next = typeof observer === 'function' ? observer : observer && observer.next && observer.next.bind(observer);
      if (first !== undefined && next) next(first);
      return { unsubscribe() {} };
    },
  });
  const directLine = { activity$: observable(), connectionStatus$: observable(2), postActivity: () => observable(), end() {} };
  window.WebChat.renderWebChat({ directLine, userID: 'visitor' }, document.getElementById('webchat'));
})()`;

describe('the Web Chat browser bundle in a real browser', { skip: browserSkip() }, () => {
  const browser = useBrowser();
  let server: Server;
  let base: string;
  const served: string[] = [];

  before(async () => {
    assert.ok(statSync(WEBCHAT_BUNDLE).size > 1_000_000, `${WEBCHAT_BUNDLE} looks too small to be the bundle`);
    const bundle = readFileSync(WEBCHAT_BUNDLE);
    server = createServer((req, res) => {
      served.push(req.url ?? '');
      if (req.url === '/') res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' }).end(PAGE);
      else if (req.url === '/blank') res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' }).end(BLANK);
      else if (req.url === '/webchat.js') res.writeHead(200, { 'content-type': 'text/javascript; charset=utf-8' }).end(bundle);
      else res.writeHead(404).end();
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  after(() => new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve())));

  it('defines window.WebChat with createDirectLine and renderWebChat, loaded from loopback only', async () => {
    const { page } = browser;
    await page.goto(`${base}/`);
    await page.waitForFunction(() => 'WebChat' in window);
    const api = await page.evaluate(() => {
      const webChat = (window as unknown as { WebChat: Record<string, unknown> }).WebChat;
      return { createDirectLine: typeof webChat.createDirectLine, renderWebChat: typeof webChat.renderWebChat, createStore: typeof webChat.createStore };
    });
    assert.deepEqual(api, { createDirectLine: 'function', renderWebChat: 'function', createStore: 'function' });
    assert.deepEqual(served.filter((u) => !['/', '/webchat.js', '/blank'].includes(u)), [], 'the page asked the server for nothing else');
    browser.assertClean();
  });

  it('renders, with a stand-in Direct Line on the page (no network), a send box', async () => {
    const { page } = browser;
    await page.goto(`${base}/`);
    await page.waitForFunction(() => 'WebChat' in window);
    await page.evaluate(RENDER_WITH_STAND_IN);
    await page.getByRole('textbox').first().waitFor();
    browser.assertClean();
  });

  it('blocks a request that leaves loopback and reports it as a failed request', async () => {
    const { page } = browser;
    await page.goto(`${base}/blank`);
    const failed = page.waitForEvent('requestfailed');
    await page.evaluate(() => {
      const script = document.createElement('script');
      script.src = 'https://cdn.example.invalid/webchat.js';
      document.head.append(script);
    });
    assert.equal((await failed).url(), 'https://cdn.example.invalid/webchat.js');
    assert.equal(browser.problems.failedRequests.length, 1);
    assert.match(browser.problems.failedRequests[0]!, /^GET https:\/\/cdn\.example\.invalid\/webchat\.js: net::ERR_BLOCKED_BY_CLIENT/);
  });
});
