import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { SYSTEM_CALLER } from '../../src/app/caller.js';
import { inviteUser } from '../../src/app/identity/user-admin.js';
import { createAgent } from '../../src/app/use-cases/create-agent.js';
import { createQueue } from '../../src/app/use-cases/create-queue.js';
import { createWorkstream } from '../../src/app/use-cases/create-workstream.js';
import { browserSkip, useBrowser } from '../support/browser.js';
import type { TestServer } from '../support/test-server.js';
import { acmeWithWebChat, adminApi, shoot, signInToApp, startWebAppServer } from '../support/web-app.js';

const ADMIN = { email: 'ada@acme.example', name: 'Ada Admin' };
const PASSWORD = 'correct horse battery staple';

/**
 * The admin console in Chromium against a real Switchboard on SQLite: an administrator creates a
 * queue, writes a route rule (the editor points at a syntax error while typing and refuses to add
 * it, then takes the corrected rule), tries it in the dry run, and a new conversation with that
 * context is routed to the new queue; the web chat channel shows its widget snippet and makes a
 * Direct Line secret that works; a classification rule, and a supervisor of the new queue invited.
 */
describe('the admin console in a real browser', { skip: browserSkip() }, () => {
  const browser = useBrowser({ timeoutMs: 15_000 });
  let sb: TestServer;
  let base: string;
  let tenantId: string;
  let channelId: string;

  before(async () => {
    ({ sb, base } = await startWebAppServer());
    ({ tenantId, channelId } = await acmeWithWebChat(sb));
    const alice = (await createAgent(sb.deps, SYSTEM_CALLER, tenantId, { kind: 'human', displayName: 'Alice Agent', email: 'alice@acme.example', capacity: 2, skills: {} })).id;
    await createAgent(sb.deps, SYSTEM_CALLER, tenantId, { kind: 'human', displayName: 'Victor VIP', email: 'victor@acme.example', capacity: 2, skills: {} });
    const general = await createQueue(sb.deps, SYSTEM_CALLER, tenantId, { name: 'General', priority: 1, memberIds: [alice], routing: { assignmentMethod: 'longest-idle' } });
    await createWorkstream(sb.deps, SYSTEM_CALLER, tenantId, { name: 'Website chat', channelTypes: ['webchat'], fallbackQueueId: general.id, classificationRules: [], routeRules: [] });
    await inviteUser(sb.identity, SYSTEM_CALLER, tenantId, { email: ADMIN.email, displayName: ADMIN.name, password: PASSWORD, roles: [{ role: 'administrator' }] });
  });
  after(() => sb?.stop());

  const api = async (method: 'GET' | 'POST', url: string, body?: unknown) => (await adminApi(sb, tenantId)(method, url, body)).body as Record<string, unknown>;

  it('creates a queue and a rule, tries it in the dry run, and a new conversation follows it', async () => {
    const { page } = browser;
    await signInToApp(page, base, tenantId, ADMIN.email, PASSWORD);
    await page.getByRole('navigation', { name: 'Views' }).getByRole('link', { name: 'Admin' }).click();

    // A queue with a member.
    const form = page.getByRole('region', { name: 'New queue' });
    await form.getByLabel('Name').fill('VIP desk');
    await form.getByLabel('Assignment method').selectOption('round-robin');
    await form.getByLabel('Victor VIP').check();
    await form.getByRole('button', { name: 'Create queue' }).click();
    await page.getByRole('status').filter({ hasText: 'Queue "VIP desk" created: done.' }).waitFor();
    const row = page.getByRole('region', { name: 'Queues' }).getByRole('row').filter({ hasText: 'VIP desk' });
    assert.match(await row.innerText(), /round-robin\s+Victor VIP/);

    // Its settings afterwards: service level, operating hours on weekdays, and a second member.
    const settings = page.getByRole('region', { name: 'Queue settings' });
    await settings.getByLabel('Queue to edit').selectOption({ label: 'VIP desk' });
    await settings.getByLabel(/Service level/).fill('30');
    await settings.getByLabel(/^Operating hours/).check();
    await settings.getByLabel('Time zone').fill('Europe/Paris');
    await settings.getByLabel('Monday closes').fill('18:30');
    await settings.getByRole('button', { name: 'Save queue' }).click();
    await page.getByRole('status').filter({ hasText: 'Queue "VIP desk" saved: done.' }).waitFor();
    await settings.getByLabel('Agent to add').selectOption({ label: 'Alice Agent' });
    await settings.getByRole('button', { name: 'Add member' }).click();
    await page.getByRole('status').filter({ hasText: 'Alice Agent added to VIP desk: done.' }).waitFor();
    const saved = ((await api('GET', '/queues')).items as { name: string; memberIds: string[]; routing: { serviceLevelSeconds: number; operatingHours: { timeZone: string; weekly: { day: string; open: string; close: string }[] } } }[])
      .find((q) => q.name === 'VIP desk')!;
    assert.equal(saved.routing.serviceLevelSeconds, 30);
    assert.equal(saved.routing.operatingHours.timeZone, 'Europe/Paris');
    assert.deepEqual(saved.routing.operatingHours.weekly.map((w) => `${w.day} ${w.open}-${w.close}`), ['mon 09:00-18:30', 'tue 09:00-17:00', 'wed 09:00-17:00', 'thu 09:00-17:00', 'fri 09:00-17:00']);
    assert.equal(saved.memberIds.length, 2);
    // A quick reply for the queue: a misspelt variable is refused with its place, the fixed one kept.
    const replyForm = settings.getByRole('form', { name: 'New quick reply' });
    await replyForm.getByLabel('Title').fill('Welcome');
    await replyForm.getByLabel(/^Text/).fill('Welcome {{customer.nam}}!');
    await replyForm.getByRole('button', { name: 'Add quick reply' }).click();
    await page.getByRole('alert').filter({ hasText: /line 1, column 9/ }).waitFor();
    await replyForm.getByLabel(/^Text/).fill('Welcome {{customer.name}}! I am {{agent.name}} from the VIP desk.');
    await replyForm.getByRole('button', { name: 'Add quick reply' }).click();
    await page.getByRole('status').filter({ hasText: 'Quick reply "Welcome" added: done.' }).waitFor();
    await settings.getByText('Welcome {{customer.name}}! I am {{agent.name}} from the VIP desk.').waitFor();

    // Back to always open, so the routing below does not depend on the time of day the test runs.
    await settings.getByLabel(/^Operating hours/).uncheck();
    await settings.getByRole('button', { name: 'Save queue' }).click();
    await page.getByRole('status').filter({ hasText: 'Queue "VIP desk" saved: done.' }).waitFor();

    // A route rule: the editor shows where the condition is wrong and will not add it.
    await page.getByRole('navigation', { name: 'Settings' }).getByRole('button', { name: 'Routing rules' }).click();
    const wsForm = page.getByRole('form', { name: 'Workstream settings' });
    await wsForm.getByLabel('Offer timeout (seconds)').fill('45');
    await wsForm.getByRole('button', { name: 'Save workstream' }).click();
    await page.getByRole('status').filter({ hasText: 'Workstream "Website chat" saved: done.' }).waitFor();
    const ruleForm = page.getByRole('form', { name: 'New route rule' });
    await ruleForm.getByLabel('Rule id').fill('gold-to-vip');
    const condition = ruleForm.getByLabel('Condition');
    await condition.fill('customer.tier = "gold"');
    await ruleForm.getByText(/^Line 1, column \d+:/).waitFor();
    assert.equal(await condition.getAttribute('aria-invalid'), 'true');
    await ruleForm.getByLabel('Send to queue').selectOption({ label: 'VIP desk' });
    assert.equal(await ruleForm.getByRole('button', { name: 'Add rule' }).isDisabled(), true, 'an invalid condition cannot be added');
    await condition.fill('customer.tier == "gold"');
    await ruleForm.getByText('Valid; reads customer.tier').waitFor();
    await ruleForm.getByRole('button', { name: 'Add rule' }).click();
    await page.getByRole('status').filter({ hasText: 'Rule "gold-to-vip" added: done.' }).waitFor();
    assert.match(await page.getByRole('region', { name: 'Route-to-queue rules' }).getByRole('row').filter({ hasText: 'gold-to-vip' }).innerText(), /customer\.tier == "gold"\s+VIP desk/);

    // The dry run with a gold customer names the new queue and the rule.
    const dry = page.getByRole('region', { name: 'Dry run' });
    await dry.getByRole('button', { name: 'Simulate' }).click();
    await dry.getByTestId('simulated-queue').filter({ hasText: 'VIP desk' }).waitFor();
    assert.match(await dry.getByRole('definition').nth(1).innerText(), /gold-to-vip/);
    await page.evaluate(`(() => {
      const main = document.querySelector('.admin-main');
      const rules = document.querySelector('[aria-labelledby="panel-route-to-queue-rules"]');
      main.scrollTop += rules.getBoundingClientRect().top - main.getBoundingClientRect().top - 8;
    })()`);
    await shoot(page, 'admin-routing-rules.png');

    // A new conversation with that context is routed to the new queue.
    const created = await api('POST', '/conversations', {
      channelId, customer: { address: 'visitor-gold', displayName: 'Gina Gold' }, context: { 'customer.tier': { type: 'string', value: 'gold' } },
    });
    const conversationId = (created.id ?? (created.conversation as { id: string }).id) as string;
    const workstream = ((await api('GET', '/workstreams')).items as { offerTimeoutSeconds: number; routeRules: unknown[]; classificationRules: unknown[] }[])[0]!;
    assert.deepEqual([workstream.offerTimeoutSeconds, workstream.routeRules.length, workstream.classificationRules.length], [45, 1, 0], 'every change kept (the classification rule comes next)');
    await api('POST', `/conversations/${conversationId}/route`, {});
    const routing = await api('GET', `/conversations/${conversationId}/routing`);
    const vip = ((await api('GET', '/queues')).items as { id: string; name: string }[]).find((q) => q.name === 'VIP desk')!;
    assert.equal((routing.item as { queueId: string }).queueId, vip.id);

    // A classification rule next to it, checked the same way.
    const classForm = page.getByRole('form', { name: 'New classification rule' });
    await classForm.getByLabel('Rule id').fill('gold-first');
    await classForm.getByLabel('Condition').fill('customer.tier == "gold"');
    await classForm.getByLabel('Set priority to').fill('7');
    await classForm.getByRole('button', { name: 'Add rule' }).click();
    await page.getByRole('status').filter({ hasText: 'Rule "gold-first" added: done.' }).waitFor();
    assert.match(await page.getByRole('region', { name: 'Classification rules' }).getByRole('row').filter({ hasText: 'gold-first' }).innerText(), /priority: 7/);

    // A supervisor of the new queue, invited from the console with a password.
    await page.getByRole('navigation', { name: 'Settings' }).getByRole('button', { name: 'People' }).click();
    const invite = page.getByRole('region', { name: 'Invite someone' });
    await invite.getByLabel('Name').fill('Sam Supervisor');
    await invite.getByLabel('E-mail').fill('sam@acme.example');
    await invite.getByLabel('Role').selectOption('supervisor');
    await invite.getByLabel('VIP desk').check();
    await invite.getByLabel(/^Password/).fill('another long passphrase');
    await invite.getByRole('button', { name: 'Invite' }).click();
    await page.getByRole('status').filter({ hasText: 'Sam Supervisor invited: done.' }).waitFor();
    assert.match(await page.getByRole('region', { name: 'People' }).getByRole('row').filter({ hasText: 'sam@acme.example' }).innerText(), /active\s+supervisor \(VIP desk\)/);

    // The web chat channel: its widget snippet, and a new Direct Line secret that works.
    await page.getByRole('navigation', { name: 'Settings' }).getByRole('button', { name: 'Channels' }).click();
    const channel = page.getByRole('article', { name: 'Channel Website chat' });
    assert.match(await channel.getByLabel(/Widget snippet/).inputValue(), new RegExp(`<script src="${base}/webchat/widget.js" data-channel="${channelId}" async></script>`));
    await channel.getByRole('button', { name: 'New secret' }).click();
    const secret = (await channel.getByRole('status').filter({ hasText: 'shown only now' }).locator('code').innerText()).trim();
    const generated = await fetch(`${base}/v3/directline/tokens/generate`, { method: 'POST', headers: { authorization: `Bearer ${secret}` } });
    assert.equal(generated.status, 200, 'the new secret works');
    await channel.getByRole('listitem').filter({ hasText: secret.slice(0, 8) }).first().waitFor();

    // A second web chat channel for a partner's site, with its trusted origin and no survey.
    const newChannel = page.getByRole('form', { name: 'New web chat channel' });
    await newChannel.getByLabel('Name').fill('Partner chat');
    await newChannel.getByLabel(/^Trusted origins/).fill('https://partner.acme.example');
    await newChannel.getByLabel(/satisfaction survey/).uncheck();
    await newChannel.getByRole('button', { name: 'Create channel' }).click();
    await page.getByRole('status').filter({ hasText: 'Channel "Partner chat" created: done.' }).waitFor();
    await page.getByRole('article', { name: 'Channel Partner chat' }).waitFor();
    const partner = ((await api('GET', '/channels')).items as { name: string; config: { trustedOrigins: string[]; csat: { enabled: boolean } } }[]).find((c) => c.name === 'Partner chat')!;
    assert.deepEqual([partner.config.trustedOrigins, partner.config.csat.enabled], [['https://partner.acme.example'], false]);

    // The CRM lookup behind the workspace's customer record: the header value is kept, shown masked.
    await page.getByRole('navigation', { name: 'Settings' }).getByRole('button', { name: 'Integrations' }).click();
    const crmForm = page.getByRole('form', { name: 'CRM lookup' });
    await crmForm.getByLabel(/^Address/).fill('https://crm.acme.example/switchboard');
    await crmForm.getByLabel(/^Header value/).fill('Bearer a-long-crm-credential');
    await crmForm.getByRole('button', { name: 'Save' }).click();
    await page.getByRole('status').filter({ hasText: 'CRM lookup saved: done.' }).waitFor();
    await page.getByText('Stored headers: Authorization: Bea…').waitFor();
    assert.equal(await crmForm.getByLabel(/^Header value/).inputValue(), '', 'the secret is not kept in the page');

    const { pageErrors, failedRequests, errorResponses } = browser.problems;
    assert.deepEqual({ pageErrors, failedRequests }, { pageErrors: [], failedRequests: [] });
    // The expected refusals: no session before signing in, the misspelt quick reply, and no CRM lookup yet.
    assert.deepEqual(errorResponses.map((r) => r.replace(/qr_\w+|que_\w+/g, 'ID')), [
      `GET ${base}/v1/session: 401`, `POST ${base}/v1/tenants/${tenantId}/queues/ID/quick-replies: 400`, `GET ${base}/v1/tenants/${tenantId}/crm-lookup: 404`,
    ]);
  });

  it('manages groups, roles, skills, capacity profiles, an application with its secret and consent, and the app gets a token', async () => {
    const { page } = browser;
    await signInToApp(page, base, tenantId, ADMIN.email, PASSWORD);
    await page.getByRole('navigation', { name: 'Views' }).getByRole('link', { name: 'Admin' }).click();
    const settings = page.getByRole('navigation', { name: 'Settings' });

    // A group with a member, a custom role, and the role given to the group on one queue.
    await settings.getByRole('button', { name: 'Groups and roles' }).click();
    await page.getByRole('form', { name: 'New group' }).getByLabel('New group').fill('Night shift');
    await page.getByRole('form', { name: 'New group' }).getByRole('button', { name: 'Create group' }).click();
    await page.getByRole('status').filter({ hasText: 'Group "Night shift" created: done.' }).waitFor();
    await page.getByLabel('Add a member to Night shift').selectOption({ label: ADMIN.name });
    await page.getByRole('region', { name: 'Groups' }).getByRole('button', { name: 'Add', exact: true }).click();
    await page.getByRole('status').filter({ hasText: `${ADMIN.name} added to Night shift: done.` }).waitFor();
    const roleForm = page.getByRole('form', { name: 'New role' });
    await roleForm.getByLabel('New role name').fill('report-viewer');
    await roleForm.getByRole('checkbox', { name: 'reports.read' }).check();
    await roleForm.getByRole('button', { name: 'Create role' }).click();
    await page.getByRole('status').filter({ hasText: 'Role "report-viewer" created: done.' }).waitFor();
    const assign = page.getByRole('form', { name: 'Assign a role' });
    await assign.getByLabel('Assign to').selectOption({ label: 'Night shift' });
    await assign.getByLabel('Role to assign').selectOption({ label: 'report-viewer' });
    await assign.getByLabel('Only on the queue').selectOption({ label: 'General' });
    await assign.getByRole('button', { name: 'Assign' }).click();
    await page.getByRole('status').filter({ hasText: 'Role "report-viewer" assigned: done.' }).waitFor();
    await page.getByRole('region', { name: 'Role assignments' }).getByText('group Night shift: report-viewer on General').waitFor();

    // Skills: a new one, given to an agent with a proficiency and a new capacity.
    await settings.getByRole('button', { name: 'Skills' }).click();
    await page.getByLabel('New skill').fill('french');
    await page.getByRole('button', { name: 'Add', exact: true }).click();
    await page.getByRole('status').filter({ hasText: 'Skill "french" created: done.' }).waitFor();
    await page.getByLabel('Agent to edit').selectOption({ label: 'Victor VIP' });
    await page.getByLabel('Proficiency in french').fill('8');
    await page.getByLabel(/^Capacity/).fill('4');
    await page.getByRole('button', { name: 'Save agent' }).click();
    await page.getByRole('status').filter({ hasText: 'Victor VIP saved: done.' }).waitFor();
    const victor = ((await adminApi(sb, tenantId)('GET', '/agents')).body.items as { displayName: string; capacity: number; skills: Record<string, number> }[]).find((a) => a.displayName === 'Victor VIP')!;
    assert.deepEqual([victor.capacity, victor.skills.french], [4, 8]);

    // A capacity profile on the workstream.
    await settings.getByRole('button', { name: 'Routing rules' }).click();
    await page.getByLabel(/^Capacity profiles/).fill('chat = 1\nvoice = 3');
    await page.getByRole('button', { name: 'Save workstream' }).click();
    await page.getByRole('status').filter({ hasText: 'Workstream "Website chat" saved: done.' }).waitFor();
    assert.deepEqual(((await adminApi(sb, tenantId)('GET', '/workstreams')).body.items[0] as { capacityProfiles: Record<string, number> }).capacityProfiles, { chat: 1, voice: 3 });

    // An application asking for reports.read: a secret shown once, consent, and a token with it.
    await settings.getByRole('button', { name: 'Applications' }).click();
    const register = page.getByRole('form', { name: 'Register an application' });
    await register.getByLabel('Name').fill('Reporting tool');
    await register.getByRole('checkbox', { name: 'reports.read' }).check();
    await register.getByRole('button', { name: 'Register' }).click();
    await page.getByRole('status').filter({ hasText: 'Application "Reporting tool" registered: done.' }).waitFor();
    const row = page.getByRole('region', { name: 'App registrations' }).getByRole('row').filter({ hasText: 'Reporting tool' });
    const clientId = (await row.locator('code').innerText()).trim();
    await row.getByRole('button', { name: 'New secret' }).click();
    const secretValue = (await page.getByRole('status').filter({ hasText: 'shown only now' }).locator('code').innerText()).trim();
    await row.getByRole('button', { name: 'Grant consent' }).click();
    await page.getByRole('status').filter({ hasText: 'Consent granted to Reporting tool: done.' }).waitFor();
    await page.getByRole('region', { name: 'Consented applications' }).getByText('Reporting tool').waitFor();
    const token = await fetch(`${base}/login/${tenantId}/oauth2/v2.0/token`, {
      method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ grant_type: 'client_credentials', client_id: clientId, client_secret: secretValue, scope: 'api://switchboard/.default' }),
    });
    assert.equal(token.status, 200, await token.clone().text());
    const { access_token: accessToken } = await token.json() as { access_token: string };
    const stats = await fetch(`${base}/v1/tenants/${tenantId}/routing/agents`, { headers: { authorization: `Bearer ${accessToken}` } });
    assert.equal(stats.status, 200, 'the consented permission works');
    const people = await fetch(`${base}/v1/tenants/${tenantId}/users`, { headers: { authorization: `Bearer ${accessToken}` } });
    assert.equal(people.status, 403, 'and nothing more');
    const { pageErrors, failedRequests } = browser.problems;
    assert.deepEqual({ pageErrors, failedRequests }, { pageErrors: [], failedRequests: [] });
  });
});
