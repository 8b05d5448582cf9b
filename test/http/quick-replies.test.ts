// Quick replies (issue 7): per-queue reply templates with variables, through the API with
// signed-in people on SQLite and PostgreSQL. Templates are checked when saved (line and column of
// each problem, nothing stored); agents list their queues' replies and get them filled for a
// conversation (the customer's name, their own, context variables; missing ones named), as plain
// text with values inserted as they are; only queue administrators change them.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { postgresSkip } from '../support/postgres.js';
import { startTestServer, type TestServer } from '../support/test-server.js';
import { client, refused, signInWithPassword, type Client } from './http-helpers.js';

const PASSWORD = 'correct horse battery staple';

for (const database of ['sqlite', 'postgres'] as const) {
  describe(`quick replies (${database})`, async () => {
    const skip = database === 'postgres' ? await postgresSkip() : false;
    let sb: TestServer;
    let admin: Client;
    let t: string;
    const w = {} as { tenantId: string; channelId: string; support: string; billing: string; ana: string; al: Client; bo: Client; sue: Client };

    const person = async (email: string, displayName: string, roles: unknown[], agentId?: string) => {
      await admin.ok('POST', `${t}/users`, 201, { email, displayName, password: PASSWORD, roles, ...(agentId ? { agentId } : {}) });
      return client(sb.app, { ...(await signInWithPassword(sb.app, w.tenantId, email, PASSWORD)) });
    };
    const repliesOf = (queueId: string) => `${t}/queues/${queueId}/quick-replies`;
    const conversationIn = async (queueId: string | undefined, displayName: string | undefined, context: Record<string, unknown> = {}) =>
      (await admin.ok('POST', `${t}/conversations`, 201, {
        channelId: w.channelId, customer: { address: `visitor-${Math.random()}`, ...(displayName === undefined ? {} : { displayName }) }, context, ...(queueId ? { queueId } : {}),
      })).id as string;

    before(async () => {
      if (skip) return;
      sb = await startTestServer({ database, overrides: { signInRateLimit: 1000 } });
      admin = client(sb.app, sb.auth);
      w.tenantId = (await admin.ok('POST', '/v1/tenants', 201, { name: 'Replies' })).id;
      t = `/v1/tenants/${w.tenantId}`;
      w.channelId = (await admin.ok('POST', `${t}/channels`, 201, { type: 'webchat', name: 'Chat' })).id;
      w.ana = (await admin.ok('POST', `${t}/agents`, 201, { kind: 'human', displayName: 'Ana Alvarez' })).id;
      const bea = (await admin.ok('POST', `${t}/agents`, 201, { kind: 'human', displayName: 'Bea' })).id;
      w.support = (await admin.ok('POST', `${t}/queues`, 201, { name: 'Support', memberIds: [w.ana] })).id;
      w.billing = (await admin.ok('POST', `${t}/queues`, 201, { name: 'Billing', memberIds: [bea] })).id;
      w.al = await person('al@replies.test', 'Al', [{ role: 'agent' }], w.ana);
      w.bo = await person('bo@replies.test', 'Bo', [{ role: 'agent' }], bea);
      w.sue = await person('sue@replies.test', 'Sue Supervisor', [{ role: 'supervisor', queueIds: [w.support] }]);
    });
    after(async () => sb?.stop());

    it('an administrator adds, changes and deletes a queue\'s replies; each change is an event and is audited', { skip }, async () => {
      const created = await admin.ok('POST', repliesOf(w.support), 201, { title: 'Greeting', text: 'Hello {{customer.name}}, I am {{ agent.name }}. Order {{context.order.id}} / {{customer.name}}' });
      assert.match(created.id, /^qr_/);
      assert.deepEqual([created.queueId, created.title, created.variables], [w.support, 'Greeting', ['customer.name', 'agent.name', 'context.order.id']]);
      assert.equal(created.createdAt, created.updatedAt);
      const second = await admin.ok('POST', repliesOf(w.support), 201, { title: 'Bye', text: 'Goodbye!' });
      assert.deepEqual((await admin.ok('GET', repliesOf(w.support), 200)).items.map((r: { id: string }) => r.id), [created.id, second.id], 'creation order');

      const renamed = await admin.ok('PATCH', `${repliesOf(w.support)}/${second.id}`, 200, { title: 'Farewell' });
      assert.deepEqual([renamed.title, renamed.text], ['Farewell', 'Goodbye!'], 'only what is given changes');
      const rewritten = await admin.ok('PATCH', `${repliesOf(w.support)}/${second.id}`, 200, { text: 'Bye {{customer.name}}' });
      assert.deepEqual([rewritten.title, rewritten.variables], ['Farewell', ['customer.name']]);
      await refused(admin, 'PATCH', `${repliesOf(w.support)}/${second.id}`, {}, 400, 'SB_ERR_VALIDATION');

      await admin.ok('DELETE', `${repliesOf(w.support)}/${second.id}`, 204);
      await refused(admin, 'DELETE', `${repliesOf(w.support)}/${second.id}`, undefined, 404, 'SB_ERR_QUICK_REPLY_NOT_FOUND');
      assert.deepEqual((await admin.ok('GET', repliesOf(w.support), 200)).items.map((r: { id: string }) => r.id), [created.id]);

      const events = (await admin.ok('GET', `${t}/events?limit=1000`, 200)).items.filter((e: { type: string }) => e.type.startsWith('quick_reply.'));
      assert.deepEqual(events.map((e: { type: string }) => e.type), ['quick_reply.created', 'quick_reply.created', 'quick_reply.updated', 'quick_reply.updated', 'quick_reply.deleted']);
      assert.deepEqual(events.at(-1).payload, { quickReplyId: second.id, queueId: w.support });
      const audit = await admin.ok('GET', `${t}/audit?action=quick_reply.updated`, 200);
      assert.ok(audit.items.some((e: { targetId: string; details: { queueId?: string } }) => e.targetId === second.id && e.details.queueId === w.support), 'changes are audited');
      await admin.ok('DELETE', `${repliesOf(w.support)}/${created.id}`, 204);
    });

    it('checks templates when saved: unknown or unclosed variables with their line and column, every problem listed, nothing stored', { skip }, async () => {
      const before = await admin.ok('GET', repliesOf(w.support), 200);
      const one = await refused(admin, 'POST', repliesOf(w.support), { title: 'Typo', text: 'Hello {{customer.nam}}!' }, 400, 'SB_ERR_VALIDATION');
      assert.deepEqual(one.details?.problems, [{ path: '/text', message: 'unknown variable "{{customer.nam}}": use customer.name, agent.name or context.<variable name>', line: 1, column: 7 }]);
      assert.match(one.message, /line 1, column 7/);
      const many = await refused(admin, 'POST', repliesOf(w.support), { title: 'Many', text: 'Hi {{agent.name}}\n  {{ context.order id }} and {{}}\n{{context.ok}} {{customer.name' }, 400, 'SB_ERR_VALIDATION');
      assert.deepEqual(many.details?.problems.map((p: { line: number; column: number }) => [p.line, p.column]), [[2, 3], [2, 30], [3, 16]]);
      assert.match(many.details?.problems[2].message, /not closed/);
      for (const body of [
        { title: 'x'.repeat(81), text: 'ok' }, { title: 'ok', text: 'x'.repeat(2001) }, { title: '', text: 'ok' }, { title: '   ', text: 'ok' },
        { title: 'ok', text: ' \n ' }, { title: 'ok' }, { title: 'ok', text: 'ok', queueId: w.billing }, { title: 'ok', text: '{{html}}' }, { title: 'ok', text: '{{context.}}' },
      ]) await refused(admin, 'POST', repliesOf(w.support), body, 400, 'SB_ERR_VALIDATION');
      const kept = await admin.ok('POST', repliesOf(w.support), 201, { title: 'Braces', text: 'A } and }} and { {x} } are text' });
      await refused(admin, 'PATCH', `${repliesOf(w.support)}/${kept.id}`, { text: 'now {{wrong}}' }, 400, 'SB_ERR_VALIDATION');
      assert.equal((await admin.ok('GET', repliesOf(w.support), 200)).items.find((r: { id: string }) => r.id === kept.id).text, 'A } and }} and { {x} } are text');
      await admin.ok('DELETE', `${repliesOf(w.support)}/${kept.id}`, 204);
      assert.deepEqual(await admin.ok('GET', repliesOf(w.support), 200), before, 'the refused saves stored nothing');
    });

    it('who: agents list their own queues\' replies only and change none; a reply is found only under its own queue', { skip }, async () => {
      const reply = await admin.ok('POST', repliesOf(w.support), 201, { title: 'Hours', text: 'We are open 9 to 5.' });
      assert.deepEqual((await w.al.ok('GET', repliesOf(w.support), 200)).items.map((r: { id: string }) => r.id), [reply.id]);
      await refused(w.bo, 'GET', repliesOf(w.support), undefined, 404, 'SB_ERR_QUEUE_NOT_FOUND');
      for (const [method, url, body] of [['POST', repliesOf(w.support), { title: 'x', text: 'y' }], ['PATCH', `${repliesOf(w.support)}/${reply.id}`, { title: 'x' }], ['DELETE', `${repliesOf(w.support)}/${reply.id}`, undefined]] as const) {
        await refused(w.al, method, url, body, 403, 'SB_ERR_FORBIDDEN');
        await refused(w.sue, method, url, body, 403, 'SB_ERR_FORBIDDEN');
      }
      await refused(admin, 'PATCH', `${repliesOf(w.billing)}/${reply.id}`, { title: 'moved?' }, 404, 'SB_ERR_QUICK_REPLY_NOT_FOUND');
      await refused(admin, 'DELETE', `${repliesOf(w.billing)}/${reply.id}`, undefined, 404, 'SB_ERR_QUICK_REPLY_NOT_FOUND');
      await refused(admin, 'POST', repliesOf('que_missing'), { title: 'x', text: 'y' }, 404, 'SB_ERR_QUEUE_NOT_FOUND');
      await refused(admin, 'GET', repliesOf('que_missing'), undefined, 404, 'SB_ERR_QUEUE_NOT_FOUND');
      assert.equal((await admin.ok('GET', repliesOf(w.support), 200)).items[0].title, 'Hours');
      await admin.ok('DELETE', `${repliesOf(w.support)}/${reply.id}`, 204);
    });

    it("fills a conversation's replies: names and context as they are (no markup, no second expansion), missing values empty and named", { skip }, async () => {
      const greeting = await admin.ok('POST', repliesOf(w.support), 201, { title: 'Greeting', text: 'Hello {{customer.name}}, this is {{agent.name}}.' });
      const order = await admin.ok('POST', repliesOf(w.support), 201, {
        title: 'Order', text: 'Order {{context.order.id}} ({{context.order.total}}, paid: {{context.order.paid}}) items: {{context.order.items}}; note: {{context.note}}; {{context.none}}',
      });
      const conv = await conversationIn(w.support, 'Dana <b>Smith</b> & co', {
        'order.id': { type: 'string', value: 'A-1 {{agent.name}}' }, 'order.total': { type: 'number', value: 42.5 }, 'order.paid': { type: 'boolean', value: false },
        'order.items': { type: 'list', value: ['book', 2, true] }, note: { type: 'string', value: '' },
      });
      const url = `${t}/conversations/${conv}/quick-replies`;
      const forAl = (await w.al.ok('GET', url, 200)).items;
      assert.deepEqual(forAl, [
        { id: greeting.id, title: 'Greeting', text: 'Hello Dana <b>Smith</b> & co, this is Ana Alvarez.', missing: [] },
        { id: order.id, title: 'Order', text: 'Order A-1 {{agent.name}} (42.5, paid: false) items: book, 2, true; note: ; ', missing: ['context.note', 'context.none'] },
      ]);
      // A supervisor without an agent record is named as in the messages they send; the context is read at each call.
      await admin.ok('PATCH', `${t}/conversations/${conv}/context`, 200, { note: { type: 'string', value: 'VIP' } });
      const forSue = (await w.sue.ok('GET', url, 200)).items;
      assert.equal(forSue[0].text, 'Hello Dana <b>Smith</b> & co, this is Sue Supervisor.');
      assert.deepEqual(forSue[1].missing, ['context.none']);

      const anonymous = await conversationIn(w.support, undefined);
      const filled = (await w.al.ok('GET', `${t}/conversations/${anonymous}/quick-replies`, 200)).items[0];
      assert.deepEqual([filled.text, filled.missing], ['Hello , this is Ana Alvarez.', ['customer.name']]);

      assert.deepEqual((await admin.ok('GET', `${t}/conversations/${await conversationIn(undefined, 'Nobody')}/quick-replies`, 200)).items, [], 'no queue, no replies');
      assert.deepEqual((await admin.ok('GET', `${t}/conversations/${await conversationIn(w.billing, 'Bill')}/quick-replies`, 200)).items, [], 'Billing has none');
      await refused(w.bo, 'GET', url, undefined, 404, 'SB_ERR_CONVERSATION_NOT_FOUND');
      await refused(admin, 'GET', `${t}/conversations/conv_missing/quick-replies`, undefined, 404, 'SB_ERR_CONVERSATION_NOT_FOUND');
      for (const id of [greeting.id, order.id]) await admin.ok('DELETE', `${repliesOf(w.support)}/${id}`, 204);
    });

    it('a queue holds at most 100 replies; deleting the queue deletes its replies', { skip }, async () => {
      const queue = (await admin.ok('POST', `${t}/queues`, 201, { name: 'Busy' })).id;
      for (let i = 0; i < 100; i++) await admin.ok('POST', repliesOf(queue), 201, { title: `Reply ${i}`, text: `Text ${i}` });
      const full = await refused(admin, 'POST', repliesOf(queue), { title: 'One more', text: 'x' }, 400, 'SB_ERR_VALIDATION');
      assert.match(full.message, /at most 100/);
      await admin.ok('DELETE', `${t}/queues/${queue}`, 204);
      await refused(admin, 'GET', repliesOf(queue), undefined, 404, 'SB_ERR_QUEUE_NOT_FOUND');
      assert.deepEqual(await sb.deps.storage.read.workspace.listQuickReplies(w.tenantId, queue), []);
    });
  });
}
