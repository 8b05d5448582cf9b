import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { ensureDemoPeople } from '../../src/app/use-cases/seed-demo-people.js';
import { seedDemo } from '../../src/app/use-cases/seed-demo.js';
import { startTestServer, type TestServer } from '../support/test-server.js';

/** The demo tenant's sign-ins: agents linked to their agent records, a supervisor and an administrator. */
describe('the demo people', () => {
  let sb: TestServer;
  let tenantId: string;
  before(async () => {
    sb = await startTestServer();
    tenantId = (await seedDemo(sb.deps, sb.routing)).tenant.id;
  });
  after(() => sb.stop());

  const signIn = async (email: string, password: string) => {
    const res = await sb.app.inject({ method: 'POST', url: '/v1/auth/password', headers: { 'content-type': 'application/json' }, payload: JSON.stringify({ tenantId, email, password }) });
    return res.statusCode;
  };
  const session = async (email: string, password: string) => {
    const res = await sb.app.inject({ method: 'POST', url: '/v1/auth/password', headers: { 'content-type': 'application/json' }, payload: JSON.stringify({ tenantId, email, password }) });
    const cookie = String(res.headers['set-cookie']).split(';')[0]!;
    return (await sb.app.inject({ method: 'GET', url: '/v1/session', headers: { cookie } })).json() as { user: { agentId: string | null }; permissions: string[] };
  };

  it('creates each person once, with the generated password kept across starts', async () => {
    const first = await ensureDemoPeople(sb.identity, tenantId, null);
    const again = await ensureDemoPeople(sb.identity, tenantId, null);
    assert.equal(again.password, first.password);
    assert.equal(first.fixed, false);
    assert.ok(first.password.length >= 12, 'long enough for the password rules');
    assert.deepEqual(first.people.map((p) => [p.email, p.role]), [
      ['alice@demo.example', 'agent'], ['bob@demo.example', 'agent'], ['sam@demo.example', 'supervisor'], ['ada@demo.example', 'administrator'],
    ]);
    const users = await sb.deps.storage.read.identity.listUsers(tenantId, { limit: 100 });
    assert.equal(users.length, 4, 'nobody twice');
    for (const person of first.people) assert.equal(await signIn(person.email, first.password), 200, person.email);

    const alice = await session('alice@demo.example', first.password);
    assert.ok(alice.user.agentId, 'the agent is linked to her agent record');
    assert.ok(!alice.permissions.includes('conversations.supervise'), 'an agent does not supervise');
    const sam = await session('sam@demo.example', first.password);
    assert.equal(sam.user.agentId, null);
    assert.ok(sam.permissions.includes('reports.read') && sam.permissions.includes('queues.read'), 'the supervisor gets the wallboard');
  });

  it('takes a fixed password from the configuration and applies it to existing people', async () => {
    const fixed = 'the demo password of the acceptance run';
    const ensured = await ensureDemoPeople(sb.identity, tenantId, fixed);
    assert.deepEqual([ensured.password, ensured.fixed], [fixed, true]);
    assert.equal(await signIn('sam@demo.example', fixed), 200);
    assert.equal(await signIn('ada@demo.example', fixed), 200);
  });
});
