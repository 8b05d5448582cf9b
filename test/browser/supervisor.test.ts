import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { SYSTEM_CALLER } from '../../src/app/caller.js';
import { inviteUser } from '../../src/app/identity/user-admin.js';
import { createAgent } from '../../src/app/use-cases/create-agent.js';
import { createQueue } from '../../src/app/use-cases/create-queue.js';
import { createWorkstream } from '../../src/app/use-cases/create-workstream.js';
import { browserSkip, useBrowser } from '../support/browser.js';
import { customerOnDirectLine } from '../support/directline-customer.js';
import { eventually } from '../support/eventually.js';
import type { TestServer } from '../support/test-server.js';
import { acmeWithWebChat, adminApi, shoot, signInToApp, startWebAppServer } from '../support/web-app.js';

const SUPERVISOR = { email: 'sam@acme.example', name: 'Sam Supervisor' };
const PASSWORD = 'correct horse battery staple';

/**
 * The supervisor's wallboard in Chromium against a real Switchboard on SQLite: a supervisor scoped
 * to one queue signs in and lands on the wallboard; a customer's chat shows up as waiting; the
 * supervisor sets the offline agent available from the board, the agent accepts (through the API,
 * as their workspace would), and the supervisor monitors the conversation live, whispers (the agent
 * side has it, the customer never does) and barges in (the customer reads the supervisor's name).
 * A queue outside the supervisor's scope never appears.
 */
describe('the supervisor wallboard in a real browser', { skip: browserSkip() }, () => {
  const browser = useBrowser({ timeoutMs: 15_000 });
  let sb: TestServer;
  let base: string;
  let tenantId: string;
  let agentId: string;
  let secret: string;

  before(async () => {
    ({ sb, base } = await startWebAppServer());
    ({ tenantId, secret } = await acmeWithWebChat(sb));
    agentId = (await createAgent(sb.deps, SYSTEM_CALLER, tenantId, { kind: 'human', displayName: 'Alice Agent', email: 'alice@acme.example', capacity: 2, skills: {} })).id;
    const other = (await createAgent(sb.deps, SYSTEM_CALLER, tenantId, { kind: 'human', displayName: 'Oscar Other', email: 'oscar@acme.example', capacity: 2, skills: {} })).id;
    const general = await createQueue(sb.deps, SYSTEM_CALLER, tenantId, { name: 'General', priority: 1, memberIds: [agentId], routing: { assignmentMethod: 'longest-idle' } });
    await createQueue(sb.deps, SYSTEM_CALLER, tenantId, { name: 'Secret VIP desk', priority: 1, memberIds: [other], routing: { assignmentMethod: 'round-robin' } });
    await createWorkstream(sb.deps, SYSTEM_CALLER, tenantId, { name: 'Website chat', channelTypes: ['webchat'], fallbackQueueId: general.id, classificationRules: [], routeRules: [] });
    await inviteUser(sb.identity, SYSTEM_CALLER, tenantId, {
      email: SUPERVISOR.email, displayName: SUPERVISOR.name, password: PASSWORD, roles: [{ role: 'supervisor', queueIds: [general.id] }],
    });
  });
  after(() => sb?.stop());

  const api = (method: 'GET' | 'POST' | 'PUT', url: string, body?: unknown) => adminApi(sb, tenantId)(method, url, body);

  it('watches the queues live, changes presence, monitors, whispers and barges', async (t) => {
    const { page } = browser;
    await signInToApp(page, base, tenantId, SUPERVISOR.email, PASSWORD);

    // No agent record: the wallboard is the view. Only the queue in scope is listed.
    await page.getByRole('heading', { name: 'Wallboard' }).waitFor();
    await page.getByRole('status').filter({ hasText: 'Live' }).waitFor();
    const queues = page.getByRole('table', { name: 'Queues' });
    const general = queues.getByRole('row').filter({ hasText: 'General' });
    await general.waitFor();
    assert.equal(await queues.getByText('Secret VIP desk').count(), 0, 'a queue outside the scope is not shown');
    assert.equal(await general.getByTestId('waiting').innerText(), '0');
    const agents = page.getByRole('table', { name: 'Agents' });
    await agents.getByRole('row').filter({ hasText: 'Alice Agent' }).waitFor();
    assert.equal(await agents.getByText('Oscar Other').count(), 0, 'an agent outside the scope is not shown');

    const customer = await customerOnDirectLine(base, secret, { id: 'dl_dana', name: 'Dana' });
    try {
      // Alice is offline: the chat waits, and the board shows it without a reload.
      await customer.say('Hello, my parcel never arrived');
      await page.waitForFunction(() => document.querySelector('[data-queue] [data-testid="waiting"]')?.textContent === '1');

      // The supervisor sets Alice available from the board; she is offered the chat and accepts.
      await agents.getByRole('combobox', { name: 'Presence of Alice Agent' }).selectOption('available');
      let offer: { id: string; conversationId: string } | undefined;
      await eventually(async () => {
        const status = await api('GET', `/agents/${agentId}/status`);
        offer = (status.body as { pendingOffers: { id: string; conversationId: string }[] }).pendingOffers[0];
        assert.ok(offer, 'an offer for Alice');
      });
      if (!offer) throw new Error('no offer');
      assert.equal((await api('POST', `/agents/${agentId}/offers/${offer.id}/accept`)).status, 200);
      await page.waitForFunction(() => document.querySelector('[data-queue] [data-testid="waiting"]')?.textContent === '0');

      // The conversation is listed as ongoing with its agent; the supervisor opens it to monitor.
      const ongoing = page.getByRole('button', { name: 'Monitor Dana' });
      await ongoing.waitFor();
      await page.getByRole('button', { name: 'Monitor Dana' }).filter({ hasText: 'Alice Agent' }).waitFor();
      await ongoing.click();
      const monitored = page.getByRole('log', { name: 'Monitored transcript' });
      await monitored.getByText('Hello, my parcel never arrived').waitFor();
      await page.getByText('monitoring (read-only)').waitFor();

      // Live: the agent answers and the customer writes again; both appear while monitoring.
      const conversationId = offer.conversationId;
      assert.equal((await api('POST', `/conversations/${conversationId}/messages`, { senderRole: 'agent', senderId: agentId, text: 'Sorry to hear that, let me check.' })).status, 201);
      await customer.say('Order 1042');
      await monitored.getByText('Sorry to hear that, let me check.').waitFor();
      await monitored.getByText('Order 1042').waitFor();

      // Whisper: only the agent side sees it.
      await page.getByRole('textbox', { name: 'Whisper to the agent' }).fill('Offer a refund, it is the second time');
      await page.getByRole('button', { name: 'Whisper', exact: true }).click();
      const whisper = monitored.getByRole('listitem').filter({ hasText: 'Offer a refund, it is the second time' });
      await whisper.waitFor();
      assert.match(await whisper.innerText(), /Whisper · only agents see this/);
      const stored = (await api('GET', `/conversations/${conversationId}/messages?after=0`)).body as { items: { text: string; visibility: string; senderRole: string }[] };
      const storedWhisper = stored.items.find((m) => m.text === 'Offer a refund, it is the second time');
      assert.deepEqual([storedWhisper?.visibility, storedWhisper?.senderRole], ['whisper', 'supervisor']);

      // Barge: the supervisor joins and writes; the customer reads it under the supervisor's name.
      await page.getByRole('button', { name: 'Barge in' }).click();
      await page.getByText('you have joined').waitFor();
      await page.getByRole('textbox', { name: 'Whisper to the agent, or message the customer' }).fill('Hi Dana, I am Sam, Alice\'s team lead. We will refund you today.');
      await page.getByRole('button', { name: 'Send to customer' }).click();
      const barged = await customer.received('Hi Dana, I am Sam, Alice\'s team lead. We will refund you today.');
      assert.equal(barged.from.name, SUPERVISOR.name);
      await customer.received('Sorry to hear that, let me check.');
      assert.ok(!customer.seen.some((a) => a.text === 'Offer a refund, it is the second time'), 'the customer never gets the whisper');
      t.diagnostic(`wallboard updates received: ${await page.getByTestId('updates').innerText()}`);
      await page.evaluate('document.querySelector(".board").scrollTop = 0');
      await shoot(page, 'supervisor-wallboard.png');

      // Large-screen mode keeps the figures and hides the conversation panels.
      await page.getByRole('button', { name: 'Large screen' }).click();
      assert.equal(await page.getByRole('region', { name: 'Ongoing conversations' }).isVisible(), false);
      await general.waitFor();
      await shoot(page, 'supervisor-wallboard-large.png');
    } finally {
      customer.end();
    }
    const { pageErrors, failedRequests, errorResponses } = browser.problems;
    assert.deepEqual({ pageErrors, failedRequests }, { pageErrors: [], failedRequests: [] });
    assert.deepEqual(errorResponses, [`GET ${base}/v1/session: 401`]);
  });
});
