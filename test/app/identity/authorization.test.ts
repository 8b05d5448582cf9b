import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { SYSTEM_CALLER, type Caller } from '../../../src/app/caller.js';
import { addAppSecret, listAppSecrets } from '../../../src/app/identity/app-credentials.js';
import { registerApp } from '../../../src/app/identity/app-registrations.js';
import { queryAudit } from '../../../src/app/identity/audit-queries.js';
import { grantConsent, listEnterpriseApps, revokeConsent } from '../../../src/app/identity/consent.js';
import { addGroupMember, createGroup } from '../../../src/app/identity/group-admin.js';
import { userGrants } from '../../../src/app/identity/resolve-grants.js';
import { assignRole, createCustomRole } from '../../../src/app/identity/role-admin.js';
import { inviteUser } from '../../../src/app/identity/user-admin.js';
import { getConversation, listConversations, listMessages } from '../../../src/app/queries/conversation-queries.js';
import { getAgent, listAgents, listQueues } from '../../../src/app/queries/directory-queries.js';
import { readEvents } from '../../../src/app/queries/event-queries.js';
import { isSwitchboardError } from '../../../src/app/errors.js';
import { createQueue } from '../../../src/app/use-cases/create-queue.js';
import { postMessage } from '../../../src/app/use-cases/post-message.js';
import { setAgentPresence } from '../../../src/app/use-cases/set-agent-presence.js';
import { client, seedTenant } from '../../http/http-helpers.js';
import { startTestServer, type TestServer } from '../../support/test-server.js';

/** Rejects with exactly this Switchboard error code. */
async function refused(work: Promise<unknown>, code: string): Promise<void> {
  await assert.rejects(work, (e: unknown) => isSwitchboardError(e) && e.code === code);
}

describe('authorisation in the app layer: roles, queue scope, grants', () => {
  let sb: TestServer;
  let tenantId: string;
  let q1: string;
  let q2: string;
  let agent1: string;
  let agent2: string;
  let conv1: string;
  let conv2: string;
  const as = async (userId: string): Promise<Caller> => {
    const user = (await sb.deps.storage.read.identity.getUser(tenantId, userId))!;
    return { actor: { kind: 'user', id: user.id }, tenants: [tenantId], isPlatformAdmin: false, grants: await userGrants(sb.deps.storage.read, user), agentId: user.agentId };
  };
  let supervisor: Caller;
  let agent: Caller;
  let reader: Caller;
  let admin: Caller;

  before(async () => {
    sb = await startTestServer();
    const api = client(sb.app, sb.auth);
    const fx = await seedTenant(api, 'Acme');
    tenantId = fx.tenantId;
    const t = `/v1/tenants/${tenantId}`;
    agent1 = fx.agentId;
    agent2 = (await api.ok('POST', `${t}/agents`, 201, { kind: 'human', displayName: 'Other agent', capacity: 2 })).id;
    q1 = fx.queueId;
    q2 = (await api.ok('POST', `${t}/queues`, 201, { name: 'Billing', memberIds: [agent2] })).id;
    conv1 = (await api.ok('POST', `${t}/conversations`, 201, { channelId: fx.channelId, contactId: fx.contactId, queueId: q1 })).id;
    conv2 = (await api.ok('POST', `${t}/conversations`, 201, { channelId: fx.channelId, contactId: fx.contactId, queueId: q2 })).id;
    const sup = await inviteUser(sb.identity, SYSTEM_CALLER, tenantId, { email: 'Sue@Acme.test', displayName: 'Sue', roles: [{ role: 'supervisor', queueIds: [q1] }] });
    const ag = await inviteUser(sb.identity, SYSTEM_CALLER, tenantId, { email: 'al@acme.test', displayName: 'Al', agentId: agent1, roles: [{ role: 'agent' }] });
    const rd = await inviteUser(sb.identity, SYSTEM_CALLER, tenantId, { email: 'rita@acme.test', displayName: 'Rita' });
    const readers = await createGroup(sb.identity, SYSTEM_CALLER, tenantId, { name: 'Analysts' });
    await addGroupMember(sb.identity, SYSTEM_CALLER, tenantId, readers.id, rd.id);
    await assignRole(sb.identity, SYSTEM_CALLER, tenantId, { principalType: 'group', principalId: readers.id, role: 'reporting-reader' });
    const ad = await inviteUser(sb.identity, SYSTEM_CALLER, tenantId, { email: 'ada@acme.test', displayName: 'Ada', roles: [{ role: 'administrator' }] });
    assert.equal(sup.email, 'sue@acme.test', 'e-mail addresses are stored lower-cased');
    supervisor = await as(sup.id);
    agent = await as(ag.id);
    reader = await as(rd.id);
    admin = await as(ad.id);
  });
  after(() => sb.stop());

  it('a supervisor scoped to one queue sees that queue, its agents and its conversations only', async () => {
    assert.deepEqual((await listQueues(sb.deps, supervisor, tenantId)).map((q) => q.id), [q1]);
    assert.deepEqual((await listAgents(sb.deps, supervisor, tenantId)).map((a) => a.id), [agent1]);
    await refused(getAgent(sb.deps, supervisor, tenantId, agent2), 'SB_ERR_AGENT_NOT_FOUND');
    const page = await listConversations(sb.deps, supervisor, tenantId, {});
    assert.deepEqual(page.items.map((c) => c.id), [conv1]);
    assert.equal((await getConversation(sb.deps, supervisor, tenantId, conv1)).id, conv1);
    await refused(getConversation(sb.deps, supervisor, tenantId, conv2), 'SB_ERR_CONVERSATION_NOT_FOUND');
    await refused(listMessages(sb.deps, supervisor, tenantId, conv2), 'SB_ERR_CONVERSATION_NOT_FOUND');
  });

  it('a supervisor writes to conversations in scope and is told "not found" outside it, changing nothing', async () => {
    const posted = await postMessage(sb.deps, supervisor, tenantId, conv1, { senderRole: 'supervisor', visibility: 'public', text: 'joining' }).catch((e) => e);
    // Whether a supervisor may post publicly is the message model's rule; scope must not be the reason it fails.
    if (isSwitchboardError(posted)) assert.notEqual(posted.code, 'SB_ERR_CONVERSATION_NOT_FOUND');
    const before = await sb.deps.storage.read.listMessages(tenantId, conv2, 0, 100);
    await refused(postMessage(sb.deps, supervisor, tenantId, conv2, { senderRole: 'system', text: 'sneaky' }), 'SB_ERR_CONVERSATION_NOT_FOUND');
    assert.deepEqual(await sb.deps.storage.read.listMessages(tenantId, conv2, 0, 100), before);
  });

  it('a supervisor may not change configuration: 403, and the denial is in the audit log', async () => {
    await refused(createQueue(sb.deps, supervisor, tenantId, { name: 'Mine' }), 'SB_ERR_FORBIDDEN');
    const denied = await queryAudit(sb.deps, SYSTEM_CALLER, tenantId, { action: 'access.denied', actorId: supervisor.actor.id! });
    assert.ok(denied.items.some((e) => e.details.permission === 'queues.write' && e.outcome === 'denied'));
  });

  it('an agent sets their own presence but not a colleague\'s; sees the conversations of their own queues', async () => {
    assert.equal((await setAgentPresence(sb.deps, agent, tenantId, agent1, 'available')).presence, 'available');
    await refused(setAgentPresence(sb.deps, agent, tenantId, agent2, 'away'), 'SB_ERR_FORBIDDEN');
    assert.deepEqual((await listConversations(sb.deps, agent, tenantId, {})).items.map((c) => c.id), [conv1]);
  });

  it('a scoped caller reading the tenant\'s events sees only its queues\' conversations', async () => {
    const events = await readEvents(sb.deps, supervisor, tenantId, 0, 1000);
    assert.ok(events.length > 0);
    assert.ok(events.every((e) => e.conversationId !== conv2), 'no event of a conversation in another queue');
    assert.ok(events.some((e) => e.conversationId === conv1));
  });

  it('roles held through a group count: a reporting reader reads queues but changes nothing', async () => {
    assert.equal((await listQueues(sb.deps, reader, tenantId)).length, 2);
    await refused(getConversation(sb.deps, reader, tenantId, conv1), 'SB_ERR_FORBIDDEN');
  });

  it('nobody grants what they do not hold: a supervisor with roles.write cannot make anyone administrator', async () => {
    const roleId = (await createCustomRole(sb.identity, admin, tenantId, { name: 'Team lead', permissions: ['roles.write', 'users.read'] })).id;
    const lead = await inviteUser(sb.identity, SYSTEM_CALLER, tenantId, { email: 'lee@acme.test', displayName: 'Lee', roles: [{ role: roleId }, { role: 'supervisor', queueIds: [q1] }] });
    const leadCaller = await as(lead.id);
    await refused(assignRole(sb.identity, leadCaller, tenantId, { principalType: 'user', principalId: lead.id, role: 'administrator' }), 'SB_ERR_FORBIDDEN');
    await refused(assignRole(sb.identity, leadCaller, tenantId, { principalType: 'user', principalId: lead.id, role: 'supervisor', queueIds: [q2] }), 'SB_ERR_FORBIDDEN');
    // Within what the lead holds it works: supervisor of their own queue for someone else.
    const other = await inviteUser(sb.identity, SYSTEM_CALLER, tenantId, { email: 'ola@acme.test', displayName: 'Ola' });
    const made = await assignRole(sb.identity, leadCaller, tenantId, { principalType: 'user', principalId: other.id, role: 'supervisor', queueIds: [q1] });
    assert.deepEqual(made.queueIds, [q1]);
    await refused(createCustomRole(sb.identity, leadCaller, tenantId, { name: 'Almighty', permissions: ['apps.write'] }), 'SB_ERR_FORBIDDEN');
    await refused(createCustomRole(sb.identity, admin, tenantId, { name: 'Platform', permissions: ['tenants.manage'] }), 'SB_ERR_INVALID_PERMISSION');
  });

  it('client secrets: the value once, then only hint and expiry; revoking consent is audited', async () => {
    const app = await registerApp(sb.identity, admin, tenantId, { name: 'CRM sync', applicationPermissions: ['conversations.read'] });
    const secret = await addAppSecret(sb.identity, admin, tenantId, app.id, { description: 'prod' });
    assert.match(secret.value, /^sbs_[A-Za-z0-9_-]{43}$/, '256 bits, base64url');
    const listed = await listAppSecrets(sb.identity, admin, tenantId, app.id);
    assert.equal(listed.length, 1);
    assert.equal(JSON.stringify(listed).includes(secret.value), false, 'never listed');
    assert.equal(JSON.stringify(listed).includes(secret.value.slice(8)), false);
    assert.equal(listed[0]!.hint, secret.value.slice(0, 7));
    const stored = JSON.stringify(await sb.deps.storage.read.identity.listAppSecrets(app.id));
    assert.equal(stored.includes(secret.value), false, 'only a keyed hash is stored');
    await refused(addAppSecret(sb.identity, admin, tenantId, app.id, { expiresAt: new Date(Date.now() + 800 * 86_400_000).toISOString() }), 'SB_ERR_INVALID_SECRET_EXPIRY');
    await grantConsent(sb.identity, admin, tenantId, app.clientId);
    await revokeConsent(sb.identity, admin, tenantId, app.id);
    const [entry] = await listEnterpriseApps(sb.identity, admin, tenantId);
    assert.ok(entry!.revokedAt !== null);
    const actions = (await queryAudit(sb.deps, admin, tenantId, { targetId: app.id })).items.map((e) => e.action);
    for (const a of ['app.registered', 'app.secret_created', 'consent.granted', 'consent.revoked']) assert.ok(actions.includes(a), a);
    assert.equal(JSON.stringify(await queryAudit(sb.deps, admin, tenantId, {})).includes(secret.value), false, 'no secret in the audit log');
  });

  it('administrative changes made through the API are audited with who did it', async () => {
    const entries = (await queryAudit(sb.deps, admin, tenantId, { action: 'queue.created' })).items;
    assert.ok(entries.some((e) => e.targetId === q2 && e.actorKind === 'admin'));
  });
});
