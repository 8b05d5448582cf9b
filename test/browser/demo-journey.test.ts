import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { ensureDemoPeople } from '../../src/app/use-cases/seed-demo-people.js';
import { seedDemo } from '../../src/app/use-cases/seed-demo.js';
import { ensureDemoBot } from '../../src/app/use-cases/seed-demo-bot.js';
import { DEMO_BOT_PATH, demoBotRoutes } from '../../src/server/demo/demo-bot.js';
import { browserSkip, useBrowser } from '../support/browser.js';
import type { TestServer } from '../support/test-server.js';
import { adminApi, signInToApp, startWebAppServer } from '../support/web-app.js';

/**
 * The README's "try it" as a newcomer walks it, on the demo `npm start` seeds: Bob signs in to the
 * workspace with the printed demo password and goes available (the waiting demo conversation is
 * offered at once; he wraps it up with one of the Billing queue's outcome codes); a customer in
 * the demo page's widget (a browser of their own) fills in the pre-chat form and asks the demo bot
 * (a real botbuilder bot in the process) a billing question, the bot hands over, and Bob's next
 * offer carries the bot's escalation summary; Bob accepts and answers, the customer reads it in
 * the widget and answers back.
 */
describe('the demo, from customer to agent, in a real browser', { skip: browserSkip() }, () => {
  const browser = useBrowser({ timeoutMs: 20_000 });
  let sb: TestServer;
  let base: string;
  let tenantId: string;
  let password: string;
  let seeded: string;

  before(async () => {
    let seededId = '';
    ({ sb, base } = await startWebAppServer(async (server) => {
      const demo = await seedDemo(server.deps, server.routing);
      tenantId = demo.tenant.id;
      seededId = demo.conversation!.id;
      await demoBotRoutes(server.app);
    }));
    await ensureDemoBot(sb.deps, `http://127.0.0.1:${new URL(base).port}${DEMO_BOT_PATH}`);
    password = (await ensureDemoPeople(sb.identity, tenantId, null)).password;
    seeded = seededId;
  });
  after(() => sb?.stop());

  it('answers a customer the demo bot handed over, with the bot\'s summary on the offer', async () => {
    const { page } = browser;
    await signInToApp(page, base, tenantId, 'bob@demo.example', password);
    await page.getByRole('status').filter({ hasText: 'Live' }).waitFor();

    // Available: the demo conversation waiting in Billing is offered; Bob takes it and finishes it.
    await page.getByRole('combobox', { name: 'Presence' }).selectOption('available');
    const seededOffer = page.getByRole('article', { name: 'Offer from Dana Customer' });
    await seededOffer.waitFor();
    await seededOffer.getByRole('button', { name: 'Accept' }).click();
    await page.getByRole('log', { name: 'Transcript' }).getByText('Hello, I was charged twice for order 1042.').waitFor();
    // Wrap up with the Billing queue's outcome codes: one is required, then the chat closes.
    await page.getByRole('button', { name: 'Wrap up' }).click();
    const wrapUp = page.getByRole('region', { name: 'Wrap-up' });
    await wrapUp.getByRole('timer').waitFor();
    assert.equal(await wrapUp.getByRole('button', { name: 'Finish wrap-up' }).isDisabled(), true, 'a code is required');
    await wrapUp.getByLabel('Wrap-up code').selectOption({ label: 'Refund issued' });
    await wrapUp.getByLabel('Wrap-up notes').fill('Refunded the duplicate charge on order 1042');
    await wrapUp.getByRole('button', { name: 'Finish wrap-up' }).click();
    await page.waitForFunction(() => document.querySelector('#convs-h .count')?.textContent === '0');
    const recorded = (await adminApi(sb, tenantId)('GET', `/conversations/${seeded}/wrap-up`)).body.wrapUp;
    assert.deepEqual([recorded.code, recorded.notes, recorded.endReason], ['refund-issued', 'Refunded the duplicate charge on order 1042', 'finished']);

    // A customer on the demo page's widget (a browser of their own) fills in the pre-chat form and
    // asks the bot a billing question; the bot hands over with its summary.
    const customerContext = await browser.browser.newContext();
    try {
      const shop = await customerContext.newPage();
      await shop.setViewportSize({ width: 1280, height: 720 });
      await shop.goto(`${base}/webchat/demo`);
      await shop.getByRole('button', { name: /^Open chat: Demo Support/ }).click();
      await shop.getByLabel('Your name').fill('Erin');
      await shop.getByLabel('What is it about?').selectOption('Billing');
      await shop.getByLabel('Your name').press('Enter');
      const widgetLog = shop.getByRole('log', { name: 'Messages' });
      await widgetLog.getByText(/Hi! I am the demo bot/).waitFor();
      await shop.getByRole('textbox', { name: 'Message' }).fill('I was charged twice on my invoice');
      await shop.getByRole('textbox', { name: 'Message' }).press('Enter');
      const offer = page.getByRole('article', { name: /^Offer from/ }).filter({ hasText: 'Bot summary' });
      await offer.waitFor();
      assert.match(await offer.innerText(), /Billing question from the customer/);
      assert.match(await offer.innerText(), /Billing/);
      await offer.getByRole('button', { name: 'Accept' }).click();
      const transcript = page.getByRole('log', { name: 'Transcript' });
      await transcript.getByText('I was charged twice on my invoice', { exact: true }).waitFor();
      await page.getByRole('textbox', { name: 'Reply' }).fill('Hi Erin, Bob from billing here. I am refunding the second charge.');
      await page.getByRole('textbox', { name: 'Reply' }).press('Enter');
      await widgetLog.getByText('Hi Erin, Bob from billing here. I am refunding the second charge.').waitFor();
      await widgetLog.getByText('Bob Agent').first().waitFor();
      assert.doesNotMatch(await widgetLog.innerText(), /Billing question from the customer/, 'the summary is for the agent only');
      // And back: the customer writes in the widget, Bob reads it in the workspace.
      await shop.getByRole('textbox', { name: 'Message' }).fill('Thank you, Bob!');
      await shop.getByRole('textbox', { name: 'Message' }).press('Enter');
      await transcript.getByText('Thank you, Bob!', { exact: true }).waitFor();
    } finally {
      await customerContext.close();
    }
    const { pageErrors, failedRequests } = browser.problems;
    assert.deepEqual({ pageErrors, failedRequests }, { pageErrors: [], failedRequests: [] });
  });
});
