import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { SYSTEM_CALLER } from '../../src/app/caller.js';
import { inviteUser } from '../../src/app/identity/user-admin.js';
import { createAgent } from '../../src/app/use-cases/create-agent.js';
import { createQueue } from '../../src/app/use-cases/create-queue.js';
import { createWorkstream } from '../../src/app/use-cases/create-workstream.js';
import type { TurnContext } from 'botbuilder';
import { startBotbuilderBot, type BotbuilderBot } from '../bots/botbuilder-bot.js';
import { browserSkip, useBrowser } from '../support/browser.js';
import { customerOnDirectLine } from '../support/directline-customer.js';
import { eventually } from '../support/eventually.js';
import type { TestServer } from '../support/test-server.js';
import { acmeWithWebChat, shoot, signInToApp, startWebAppServer } from '../support/web-app.js';

const EMAIL = 'alice@demo.example';
const PASSWORD = 'correct horse battery staple';
const XSS = '<img src=x onerror=alert(1)>';
const PROBES = 20;

interface ProbeMarks {
  /** Text -> epoch ms when a WebSocket frame carrying it reached the page. */
  frames: Record<string, number>;
  /** Text -> epoch ms when the transcript first showed it. */
  shown: Record<string, number>;
}

/**
 * Runs in the page before the app (Playwright's init script): notes when each "Probe N" message
 * arrives on any WebSocket and when it first appears as a message's text. Date.now() on both sides
 * reads the same machine's clock as the test's.
 */
function recordProbes(): void {
  const probe: ProbeMarks = { frames: {}, shown: {} };
  (window as unknown as { probe: ProbeMarks }).probe = probe;
  const Native = window.WebSocket;
  window.WebSocket = class extends Native {
    constructor(url: string | URL, protocols?: string | string[]) {
      super(url, protocols);
      this.addEventListener('message', (e: MessageEvent) => {
        if (typeof e.data !== 'string') return;
        const now = Date.now();
        for (const m of e.data.matchAll(/Probe \d+/g)) probe.frames[m[0]] ??= now;
      });
    }
  };
  new MutationObserver(() => {
    const now = Date.now();
    for (const el of document.querySelectorAll('[role="log"] .text')) {
      const text = el.textContent ?? '';
      if (/^Probe \d+$/.test(text)) probe.shown[text] ??= now;
    }
  }).observe(document, { subtree: true, childList: true, characterData: true });
}

function summary(ms: number[]): string {
  const sorted = [...ms].sort((a, b) => a - b);
  return `median ${sorted[Math.floor(sorted.length / 2)]} ms, max ${sorted[sorted.length - 1]} ms`;
}

/**
 * The agent workspace (the web app at `/app/`) in Chromium against a real Switchboard on SQLite:
 * the agent signs in through the sign-in page and comes back, goes available, gets the offer of a
 * chat a customer starts on Direct Line (the service the widget uses), accepts, reads and answers;
 * the customer gets the answer; HTML a customer sends stays text; an internal note is marked; the
 * agent transfers to a colleague with a note, who accepts and answers.
 */
describe('the agent workspace in a real browser', { skip: browserSkip() }, () => {
  const browser = useBrowser({ timeoutMs: 15_000 });
  let sb: TestServer;
  let base: string;
  let tenantId: string;
  let agentId: string;
  let bobId: string;
  let secret: string;
  let crm: Server;
  const crmAsked: string[] = [];
  /** A real botbuilder assist bot, on no queue: it advises only where an agent invites it. */
  let adviser: BotbuilderBot;

  before(async () => {
    ({ sb, base } = await startWebAppServer());
    ({ tenantId, secret } = await acmeWithWebChat(sb));
    agentId = (await createAgent(sb.deps, SYSTEM_CALLER, tenantId, { kind: 'human', displayName: 'Alice Agent', email: EMAIL, capacity: 2, skills: {} })).id;
    bobId = (await createAgent(sb.deps, SYSTEM_CALLER, tenantId, { kind: 'human', displayName: 'Bob Agent', email: 'bob@demo.example', capacity: 2, skills: {} })).id;
    const queue = await createQueue(sb.deps, SYSTEM_CALLER, tenantId, { name: 'General', priority: 1, memberIds: [agentId, bobId], routing: { assignmentMethod: 'longest-idle' } });
    await createWorkstream(sb.deps, SYSTEM_CALLER, tenantId, { name: 'Website chat', channelTypes: ['webchat'], fallbackQueueId: queue.id, classificationRules: [], routeRules: [] });
    // A CRM stand-in on loopback for the screen pop: it answers by the contact it is asked about.
    crm = createServer((req, res) => {
      let body = '';
      req.on('data', (chunk) => (body += chunk));
      req.on('end', () => {
        const asked = JSON.parse(body) as { contact: { displayName: string | null } };
        crmAsked.push(String(req.headers.authorization));
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ fields: [
          { label: 'Customer', value: asked.contact.displayName ?? '?' }, { label: 'Plan', value: 'Gold <script>' },
          { label: 'Record', value: '#4711', url: 'https://crm.acme.example/4711' },
        ] }));
      });
    });
    await new Promise<void>((resolve) => crm.listen(0, '127.0.0.1', resolve));
    const crmSettings = await sb.app.inject({
      method: 'PUT', url: `/v1/tenants/${tenantId}/crm-lookup`, headers: { ...sb.auth, 'content-type': 'application/json' },
      payload: JSON.stringify({ url: `http://127.0.0.1:${(crm.address() as AddressInfo).port}/lookup`, headers: { Authorization: 'Bearer crm-secret-123456' } }),
    });
    if (crmSettings.statusCode !== 200) throw new Error(crmSettings.body);
    const reply = await sb.app.inject({
      method: 'POST', url: `/v1/tenants/${tenantId}/queues/${queue.id}/quick-replies`, headers: { ...sb.auth, 'content-type': 'application/json' },
      payload: JSON.stringify({ title: 'Greeting', text: 'Hi {{customer.name}}, I am {{agent.name}}. <b>How can I help?</b>' }),
    });
    if (reply.statusCode !== 201) throw new Error(reply.body);
    adviser = await startBotbuilderBot({ MicrosoftAppId: '', MicrosoftAppPassword: '' }, async (context: TurnContext) => {
      const role = (context.activity.channelData as { switchboard?: { senderRole?: string } } | undefined)?.switchboard?.senderRole;
      if (context.activity.type !== 'message' || role !== 'customer') return;
      // It thinks aloud and takes that back (a delete), then sharpens its advice (an update): the
      // Connector's DeleteActivity and UpdateActivity, as botbuilder calls them.
      const draft = await context.sendActivity('Suggest: checking the order history…');
      if (draft?.id) await context.deleteActivity(draft.id);
      const advice = await context.sendActivity(`Suggest: offer a refund for "${context.activity.text}"`);
      if (advice?.id) await context.updateActivity({ id: advice.id, type: 'message', text: `Suggest: offer a refund or a resend for "${context.activity.text}"` });
    });
    const registered = await sb.app.inject({
      method: 'POST', url: `/v1/tenants/${tenantId}/bots`, headers: { ...sb.auth, 'content-type': 'application/json' },
      payload: JSON.stringify({ displayName: 'Refund adviser', messagingEndpoint: adviser.url, role: 'assist' }),
    });
    if (registered.statusCode !== 201) throw new Error(registered.body);
    await inviteUser(sb.identity, SYSTEM_CALLER, tenantId, { email: EMAIL, displayName: 'Alice Agent', password: PASSWORD, agentId, roles: [{ role: 'agent' }] });
    await inviteUser(sb.identity, SYSTEM_CALLER, tenantId, { email: 'bob@demo.example', displayName: 'Bob Agent', password: PASSWORD, agentId: bobId, roles: [{ role: 'agent' }] });
  });
  after(async () => {
    crm?.close();
    await adviser?.close();
    await sb?.stop();
  });

  it('signs in, goes available, accepts a customer chat, chats both ways, and shows HTML as text', async (t) => {
    const { page } = browser;
    await page.setViewportSize({ width: 1280, height: 720 });

    // No session: the app sends the browser to the tenant's sign-in page and back to itself.
    await page.goto(`${base}/app/?tenant=${tenantId}`);
    await page.waitForURL((url) => url.pathname === `/login/${tenantId}/signin`);
    assert.equal(new URL(page.url()).searchParams.get('return_to'), `/app/?tenant=${tenantId}`);
    await page.getByLabel('E-mail address').fill(EMAIL);
    await page.getByLabel('Password').fill(PASSWORD);
    await page.getByLabel('Password').press('Enter');
    await page.waitForURL(`${base}/app/?tenant=${tenantId}`);
    await page.getByRole('status').filter({ hasText: 'Live' }).waitFor();
    await page.getByText('Alice Agent', { exact: true }).waitFor();
    assert.equal(await page.getByRole('navigation', { name: 'Views' }).count(), 0, 'an agent is offered no wallboard');
    const load = page.getByTestId('load');
    // The load shows "…" until the agent's status has loaded.
    await page.waitForFunction(() => document.querySelector('[data-testid="load"]')?.textContent !== '…');
    assert.equal(await load.innerText(), '0 / 2');

    // Presence from the keyboard: focus the select and pick "Available".
    const presence = page.getByRole('combobox', { name: 'Presence' });
    assert.equal(await presence.inputValue(), 'offline');
    await presence.focus();
    await presence.selectOption('available');
    await page.getByText('Waiting for work.').waitFor();
    const status = await sb.app.inject({ method: 'GET', url: `/v1/tenants/${tenantId}/agents/${agentId}/status`, headers: sb.auth });
    assert.equal(status.json().presence, 'available');

    // A customer starts a chat.
    const customer = await customerOnDirectLine(base, secret, { id: 'dl_dana', name: 'Dana' });
    try {
      await customer.say('Hello, I need help with my order');

      // The offer pops up with channel, queue, wait and a countdown.
      const offer = page.getByRole('article', { name: /^Offer from/ });
      await offer.getByText('Website chat (webchat)').waitFor();
      const offerText = await offer.innerText();
      assert.match(offerText, /Website chat \(webchat\)/);
      assert.match(offerText, /General/);
      assert.match(offerText, /Waiting/);
      assert.match(offerText, /\d+ s left/);
      await shoot(page, 'agent-workspace-offer.png');

      // Accept with the keyboard: the conversation opens with the customer's message, the load goes up.
      await offer.getByRole('button', { name: 'Accept' }).focus();
      await page.keyboard.press('Enter');
      const transcript = page.getByRole('log', { name: 'Transcript' });
      await transcript.getByText('Hello, I need help with my order').waitFor();
      await page.waitForFunction(() => document.querySelector('[data-testid="load"]')?.textContent === '1 / 2');
      assert.equal(await page.getByRole('article', { name: /^Offer from/ }).count(), 0, 'the offer is gone once accepted');

      // The context panel: the variables the channel set, and why the conversation came to Alice.
      const context = page.getByRole('complementary', { name: 'Context' });
      await context.getByText('customer.authenticated').waitFor();
      await context.getByText(/first eligible member in longest-idle order/).waitFor();
      assert.match(await context.innerText(), /Queue General/);
      // The screen pop: the CRM's fields for this customer, as text, with its record linked.
      const record = context.getByRole('region', { name: /Customer record/ });
      await record.getByText('Gold <script>').waitFor();
      assert.match(await record.innerText(), /Customer\s+Dana/);
      assert.equal(await record.getByRole('link', { name: '#4711' }).getAttribute('href'), 'https://crm.acme.example/4711');
      assert.equal(crmAsked[0], 'Bearer crm-secret-123456', 'the configured header went to the CRM');

      // The reply box has the focus; Enter sends, the customer receives it.
      const reply = page.getByRole('textbox', { name: 'Reply' });
      await reply.waitFor();
      assert.equal(await page.evaluate(() => document.activeElement?.id), 'reply');
      // Typing both ways: the customer's shows in the workspace, the agent's reaches the customer.
      await customer.typing();
      await page.getByText('Dana is typing…').waitFor();
      await page.keyboard.type('Hi! I am Alice. Which order is it?');
      await eventually(() => assert.ok(customer.seen.some((a) => a.type === 'typing' && a.from.name === 'Alice Agent'), 'the customer sees the agent typing'));
      await page.keyboard.press('Enter');
      await transcript.getByText('Hi! I am Alice. Which order is it?').waitFor();
      assert.equal(await reply.inputValue(), '', 'the box empties after sending');
      await customer.received('Hi! I am Alice. Which order is it?');

      // A quick reply, filled for this conversation, goes into the box as text; Enter sends it.
      await page.getByRole('button', { name: 'Quick replies' }).click();
      await page.getByRole('list', { name: 'Quick replies' }).getByRole('button', { name: 'Greeting' }).click();
      assert.equal(await reply.inputValue(), 'Hi Dana, I am Alice Agent. <b>How can I help?</b>');
      await page.keyboard.press('Enter');
      await customer.received('Hi Dana, I am Alice Agent. <b>How can I help?</b>');
      assert.equal(await transcript.locator('b').count(), 0, 'the template\'s markup stays text');

      // The customer sends HTML: the workspace shows it as text, and creates no element from it.
      const sentAt = Date.now();
      await customer.say(XSS);
      await transcript.getByText(XSS, { exact: true }).waitFor();
      t.diagnostic(`customer message shown in the workspace ${Date.now() - sentAt} ms after the customer pressed Enter`);
      assert.equal(await transcript.locator('img').count(), 0, 'no img element in the transcript');

      // Attachments show as download links, and only for web addresses: a javascript: URL stays text.
      const conversationForFiles = (await sb.app.inject({ method: 'GET', url: `/v1/tenants/${tenantId}/conversations`, headers: sb.auth })).json().items[0].id as string;
      const files = await sb.app.inject({
        method: 'POST', url: `/v1/tenants/${tenantId}/conversations/${conversationForFiles}/messages`, headers: { ...sb.auth, 'content-type': 'application/json' },
        payload: JSON.stringify({ senderRole: 'customer', text: 'Here are the files', attachments: [
          { name: 'invoice.pdf', contentType: 'application/pdf', size: 12_345, url: 'javascript:alert(1)' },
          { name: 'photo.png', contentType: 'image/png', size: 2_048_000, url: 'https://files.acme.example/photo.png' },
        ] }),
      });
      assert.equal(files.statusCode, 201, files.body);
      const withFiles = transcript.getByRole('listitem').filter({ hasText: 'Here are the files' });
      await withFiles.waitFor();
      assert.equal(await withFiles.getByRole('link', { name: 'invoice.pdf' }).count(), 0, 'no link for a javascript: URL');
      await withFiles.getByText('invoice.pdf').waitFor();
      assert.equal(await withFiles.getByRole('link', { name: 'photo.png' }).getAttribute('href'), 'https://files.acme.example/photo.png');
      assert.match(await withFiles.innerText(), /image\/png, 2\.0 MB/);

      // An internal note (posted as the agent through the API) is marked as agent-only.
      const conversationId = (await sb.app.inject({ method: 'GET', url: `/v1/tenants/${tenantId}/conversations`, headers: sb.auth })).json().items[0].id as string;
      const note = await sb.app.inject({
        method: 'POST', url: `/v1/tenants/${tenantId}/conversations/${conversationId}/messages`, headers: { ...sb.auth, 'content-type': 'application/json' },
        payload: JSON.stringify({ senderRole: 'agent', senderId: agentId, visibility: 'internal', text: 'Customer asked about order 1042' }),
      });
      assert.equal(note.statusCode, 201, note.body);
      const noteItem = transcript.getByRole('listitem').filter({ hasText: 'Customer asked about order 1042' });
      await noteItem.waitFor();
      assert.match(await noteItem.innerText(), /only agents see this/);
      assert.ok(!customer.seen.some((a) => a.text === 'Customer asked about order 1042'), 'the customer never gets the note');

      // Invite the assist bot, keyboard only: it hears the conversation and suggests, for Alice's eyes only.
      await page.getByRole('button', { name: 'Assist bots…' }).focus();
      await page.keyboard.press('Enter');
      const assist = page.getByRole('group', { name: 'Assist bots' });
      await assist.getByRole('button', { name: 'Invite Refund adviser' }).focus();
      await page.keyboard.press('Enter');
      await assist.getByRole('button', { name: 'Send Refund adviser away' }).waitFor();
      await customer.say('The parcel never came');
      const suggestion = transcript.getByRole('listitem').filter({ hasText: 'Suggest: offer a refund or a resend' });
      await suggestion.waitFor();
      assert.match(await suggestion.innerText(), /Suggestion · only agents see this/);
      // The bot's revisions show as such: the edited advice marked, the withdrawn draft gone.
      await suggestion.getByText('edited').waitFor();
      await transcript.getByText('message deleted').waitFor();
      assert.equal(await transcript.getByText('Suggest: checking the order history…').count(), 0, 'the deleted text is not shown');
      assert.ok(adviser.turns.some((a) => a.type === 'conversationUpdate'), 'the bot joined with a conversationUpdate');
      await sb.bots.dispatcher.idle();
      assert.ok(!customer.seen.some((a) => a.text?.startsWith('Suggest:')), 'the customer never gets a suggestion');
      await shoot(page, 'agent-workspace-assist.png');
      await page.getByRole('button', { name: 'Assist bots…' }).click();

      await shoot(page, 'agent-workspace.png');

      // Transfer to Bob with a note: Bob is offered the conversation, accepts, and reads the note.
      const inject = (method: 'GET' | 'POST' | 'PUT', url: string, body?: unknown) => sb.app.inject({
        method, url: `/v1/tenants/${tenantId}${url}`, headers: { ...sb.auth, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
        ...(body === undefined ? {} : { payload: JSON.stringify(body) }),
      });
      // Bob works in a browser of his own: he signs in and goes available there.
      const bobContext = await browser.browser.newContext();
      const bobPage = await bobContext.newPage();
      await bobPage.addInitScript(recordProbes);
      await signInToApp(bobPage, base, tenantId, 'bob@demo.example', PASSWORD);
      await bobPage.getByRole('status').filter({ hasText: 'Live' }).waitFor();
      await bobPage.getByRole('combobox', { name: 'Presence' }).selectOption('available');
      await bobPage.getByText('Waiting for work.').waitFor();
      await page.getByRole('button', { name: 'Transfer…' }).click();
      const transfer = page.getByRole('form', { name: 'Transfer' });
      await transfer.getByRole('combobox', { name: 'Transfer to' }).selectOption({ label: 'Bob Agent' });
      await transfer.getByRole('textbox', { name: 'Transfer note' }).fill('Order 1042, refund approved');
      await transfer.getByRole('button', { name: 'Transfer' }).click();
      await page.waitForFunction(() => document.querySelector('#convs-h .count')?.textContent === '0');
      const bobOffer = bobPage.getByRole('article', { name: /^Offer from/ });
      await bobOffer.getByRole('button', { name: 'Accept' }).click();
      const bobTranscript = bobPage.getByRole('log', { name: 'Transcript' });
      await bobTranscript.getByText('Transfer note: Order 1042, refund approved').waitFor();
      await bobTranscript.getByText('Hello, I need help with my order').waitFor();
      const afterTransfer = (await inject('GET', `/conversations/${conversationId}/messages?after=0`)).json().items as { text: string; visibility: string }[];
      assert.deepEqual(afterTransfer.filter((m) => m.text.startsWith('Transfer note')).map((m) => [m.text, m.visibility]), [['Transfer note: Order 1042, refund approved', 'internal']]);
      await bobPage.getByRole('textbox', { name: 'Reply' }).fill('Bob here, your refund is on its way.');
      await bobPage.getByRole('textbox', { name: 'Reply' }).press('Enter');
      await customer.received('Bob here, your refund is on its way.');
      const bobSaid = (await inject('GET', `/conversations/${conversationId}/messages?after=0`)).json().items.find((m: { text: string }) => m.text === 'Bob here, your refund is on its way.');
      assert.deepEqual([bobSaid.senderRole, bobSaid.senderId], ['agent', bobId], 'the reply is Bob\'s');

      // How soon a new message shows in the workspace (issue 7: reported, not asserted as a timing).
      const probeSentAt = new Map<string, number>();
      for (let i = 0; i < PROBES; i++) {
        const text = `Probe ${i}`;
        probeSentAt.set(text, Date.now());
        await customer.say(text);
        await bobTranscript.getByText(text, { exact: true }).waitFor();
      }
      const marks = await bobPage.evaluate(() => (window as unknown as { probe: ProbeMarks }).probe);
      const render: number[] = [];
      const endToEnd: number[] = [];
      for (const [text, sent] of probeSentAt) {
        const shown = marks.shown[text];
        const frame = marks.frames[text];
        assert.ok(shown !== undefined && frame !== undefined, `${text} was seen arriving and shown`);
        render.push(shown - frame);
        endToEnd.push(shown - sent);
      }
      t.diagnostic(`new message -> on screen, ${PROBES} messages: from the frame reaching the page ${summary(render)}; from the customer's Direct Line POST ${summary(endToEnd)}`);
      await bobContext.close();
      assert.ok(!customer.seen.some((a) => a.text?.startsWith('Transfer note')), 'the customer never gets the transfer note');
    } finally {
      customer.end();
    }
    // The one expected problem: the first GET /v1/session before sign-in (Chromium logs the 401).
    const { consoleErrors, pageErrors, failedRequests, errorResponses } = browser.problems;
    assert.deepEqual({ pageErrors, failedRequests }, { pageErrors: [], failedRequests: [] });
    assert.deepEqual(errorResponses, [`GET ${base}/v1/session: 401`]);
    assert.equal(consoleErrors.length, 1, consoleErrors.join('\n'));
    assert.match(consoleErrors[0]!, /status of 401/);
  });
});
