// The HTTP API's happy paths, through Fastify's inject() against a real server on SQLite.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { startTestServer, type TestServer } from '../support/test-server.js';
import { assertErrorBody, client, type Client } from './http-helpers.js';

let server: TestServer;
let api: Client;

before(async () => {
  server = await startTestServer({ database: 'sqlite' });
  api = client(server.app, server.auth);
});
after(async () => server?.stop());

describe('directory: tenants, channels, agents, queues and contacts', () => {
  it('creates a tenant and reads it back, alone and in the list', async () => {
    const tenant = await api.ok('POST', '/v1/tenants', 201, { name: 'Acme' });
    assert.match(tenant.id, /^ten_/);
    assert.equal(tenant.name, 'Acme');
    assert.deepEqual(await api.ok('GET', `/v1/tenants/${tenant.id}`, 200), tenant);
    const list = await api.ok('GET', '/v1/tenants', 200);
    assert.ok(list.items.some((t: { id: string }) => t.id === tenant.id));
  });

  it('creates a channel, an agent, a queue, adds a member and reads each back', async () => {
    const tenant = await api.ok('POST', '/v1/tenants', 201, { name: 'Directory' });
    const t = `/v1/tenants/${tenant.id}`;

    const channel = await api.ok('POST', `${t}/channels`, 201, { type: 'webchat', name: 'Site chat', config: { accentColor: '#1a2b3c' } });
    assert.equal(channel.tenantId, tenant.id);
    assert.deepEqual(channel.config, { accentColor: '#1a2b3c' });
    assert.deepEqual(await api.ok('GET', `${t}/channels/${channel.id}`, 200), channel);
    assert.deepEqual((await api.ok('GET', `${t}/channels`, 200)).items, [channel]);

    const ana = await api.ok('POST', `${t}/agents`, 201, { kind: 'human', displayName: 'Ana', email: 'ana@example.com', capacity: 4 });
    const ben = await api.ok('POST', `${t}/agents`, 201, { kind: 'human', displayName: 'Ben' });
    assert.equal(ana.capacity, 4);
    assert.equal(ana.kind, 'human');
    assert.deepEqual(await api.ok('GET', `${t}/agents/${ana.id}`, 200), ana);
    assert.deepEqual((await api.ok('GET', `${t}/agents`, 200)).items.map((a: { id: string }) => a.id).sort(), [ana.id, ben.id].sort());

    const queue = await api.ok('POST', `${t}/queues`, 201, { name: 'Billing', priority: 5, memberIds: [ana.id] });
    assert.deepEqual(queue.memberIds, [ana.id]);
    const grown = await api.ok('POST', `${t}/queues/${queue.id}/members`, 200, { agentId: ben.id });
    assert.deepEqual([...grown.memberIds].sort(), [ana.id, ben.id].sort());
    const read = await api.ok('GET', `${t}/queues/${queue.id}`, 200);
    assert.deepEqual([...read.memberIds].sort(), [ana.id, ben.id].sort());
    assert.equal(read.priority, 5);
    assert.deepEqual((await api.ok('GET', `${t}/queues`, 200)).items.map((q: { id: string }) => q.id), [queue.id]);
  });

  it('creates contacts with identities and attributes and pages through them newest first', async () => {
    const tenant = await api.ok('POST', '/v1/tenants', 201, { name: 'Contacts' });
    const t = `/v1/tenants/${tenant.id}`;
    const created = [];
    for (let i = 0; i < 4; i++) {
      created.push(await api.ok('POST', `${t}/contacts`, 201, {
        displayName: `Customer ${i}`, attributes: { tier: 'gold' }, identities: [{ channelType: 'sms', address: `+100000000${i}` }],
      }));
    }
    assert.deepEqual(created[0].identities, [{ channelType: 'sms', address: '+1000000000' }]);
    assert.deepEqual(created[0].attributes, { tier: 'gold' });
    assert.deepEqual(await api.ok('GET', `${t}/contacts/${created[2].id}`, 200), created[2]);

    const first = await api.ok('GET', `${t}/contacts?limit=3`, 200);
    const second = await api.ok('GET', `${t}/contacts?limit=3&cursor=${first.nextCursor}`, 200);
    assert.equal(second.nextCursor, null);
    assert.deepEqual([...first.items, ...second.items].map((c: { id: string }) => c.id), created.map((c) => c.id).reverse());
  });
});

describe('conversations', () => {
  let t: string;
  let channelId: string;

  before(async () => {
    const tenant = await api.ok('POST', '/v1/tenants', 201, { name: 'Conversations' });
    t = `/v1/tenants/${tenant.id}`;
    channelId = (await api.ok('POST', `${t}/channels`, 201, { type: 'webchat', name: 'Chat' })).id;
  });

  it('starts a conversation from a customer address, creating the contact once and storing the context', async () => {
    const queue = await api.ok('POST', `${t}/queues`, 201, { name: 'Sales' });
    const conversation = await api.ok('POST', `${t}/conversations`, 201, {
      channelId, customer: { address: 'visitor-42', displayName: 'Dana' }, subject: 'Refund', priority: 7, queueId: queue.id,
      context: { 'customer.tier': { type: 'string', value: 'gold' }, cartValue: { type: 'number', value: 129.5 } },
    });
    assert.equal(conversation.state, 'open');
    assert.equal(conversation.lastSeq, 0);
    assert.equal(conversation.subject, 'Refund');
    assert.equal(conversation.priority, 7);
    assert.equal(conversation.queueId, queue.id);
    assert.equal(conversation.closedAt, null);

    const contact = await api.ok('GET', `${t}/contacts/${conversation.contactId}`, 200);
    assert.equal(contact.displayName, 'Dana');
    assert.deepEqual(contact.identities, [{ channelType: 'webchat', address: 'visitor-42' }]);

    const context = await api.ok('GET', `${t}/conversations/${conversation.id}/context`, 200);
    assert.deepEqual(
      [...context.items].sort((a, b) => a.name.localeCompare(b.name)),
      [{ name: 'cartValue', type: 'number', value: 129.5 }, { name: 'customer.tier', type: 'string', value: 'gold' }],
    );
    assert.deepEqual(await api.ok('GET', `${t}/conversations/${conversation.id}`, 200), conversation);

    const again = await api.ok('POST', `${t}/conversations`, 201, { channelId, customer: { address: 'visitor-42' } });
    assert.equal(again.contactId, conversation.contactId, 'the same address on the same channel finds the same contact');
    assert.notEqual(again.id, conversation.id);
  });

  it('pages through conversations newest first with a cursor: no duplicates, no gaps, null cursor at the end', async () => {
    const tenant = await api.ok('POST', '/v1/tenants', 201, { name: 'Paging' });
    const p = `/v1/tenants/${tenant.id}`;
    const chat = await api.ok('POST', `${p}/channels`, 201, { type: 'webchat', name: 'Chat' });
    const ids: string[] = [];
    for (let i = 0; i < 7; i++) ids.push((await api.ok('POST', `${p}/conversations`, 201, { channelId: chat.id, customer: { address: `c${i}` } })).id);

    const seen: string[] = [];
    const sizes: number[] = [];
    let cursor: string | null = null;
    do {
      const url: string = `${p}/conversations?limit=3${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`;
      const page: { items: { id: string }[]; nextCursor: string | null } = await api.ok('GET', url, 200);
      sizes.push(page.items.length);
      seen.push(...page.items.map((c) => c.id));
      cursor = page.nextCursor;
    } while (cursor !== null && sizes.length < 10);

    assert.deepEqual(sizes, [3, 3, 1]);
    assert.deepEqual(seen, [...ids].reverse(), 'every conversation once, newest first');
    assert.equal(new Set(seen).size, seen.length);
  });

  it('filters conversations by state (one or several) and by contact', async () => {
    const tenant = await api.ok('POST', '/v1/tenants', 201, { name: 'Filters' });
    const p = `/v1/tenants/${tenant.id}`;
    const chat = await api.ok('POST', `${p}/channels`, 201, { type: 'webchat', name: 'Chat' });
    const open1 = await api.ok('POST', `${p}/conversations`, 201, { channelId: chat.id, customer: { address: 'alice' } });
    const queued = await api.ok('POST', `${p}/conversations`, 201, { channelId: chat.id, customer: { address: 'bob' } });
    const open2 = await api.ok('POST', `${p}/conversations`, 201, { channelId: chat.id, customer: { address: 'alice' } });
    await api.ok('POST', `${p}/conversations/${queued.id}/state`, 200, { to: 'queued' });

    const ids = async (query: string) => (await api.ok('GET', `${p}/conversations?${query}`, 200)).items.map((c: { id: string }) => c.id);
    assert.deepEqual(await ids('state=queued'), [queued.id]);
    assert.deepEqual(await ids('state=open'), [open2.id, open1.id]);
    assert.deepEqual(await ids('state=open&state=queued'), [open2.id, queued.id, open1.id]);
    assert.deepEqual(await ids('state=closed'), []);
    assert.deepEqual(await ids(`contactId=${open1.contactId}`), [open2.id, open1.id]);
    assert.deepEqual(await ids(`contactId=${queued.contactId}&state=open`), []);
    assert.deepEqual(await ids(`channelId=${chat.id}&state=queued`), [queued.id]);
  });

  it('moves through the lifecycle open -> queued -> offered -> active -> wrap_up -> closed', async () => {
    const conversation = await api.ok('POST', `${t}/conversations`, 201, { channelId, customer: { address: 'lifecycle' } });
    const path = `${t}/conversations/${conversation.id}`;
    for (const to of ['queued', 'offered', 'active', 'wrap_up'] as const) {
      const moved = await api.ok('POST', `${path}/state`, 200, { to, reason: `to ${to}` });
      assert.equal(moved.state, to);
      assert.equal(moved.closedAt, null);
    }
    const closed = await api.ok('POST', `${path}/state`, 200, { to: 'closed', expectedState: 'wrap_up' });
    assert.equal(closed.state, 'closed');
    assert.notEqual(closed.closedAt, null);
    const read = await api.ok('GET', path, 200);
    assert.equal(read.state, 'closed');
    assert.equal(read.closedAt, closed.closedAt);

    const events = await api.ok('GET', `${t}/events?conversationId=${conversation.id}`, 200);
    const steps = events.items.filter((e: { type: string }) => e.type === 'conversation.state_changed').map((e: { payload: { from: string; to: string } }) => `${e.payload.from}->${e.payload.to}`);
    assert.deepEqual(steps, ['open->queued', 'queued->offered', 'offered->active', 'active->wrap_up', 'wrap_up->closed']);
  });

  it('adds an agent participant, lists participants, and lets the agent leave (twice is harmless)', async () => {
    const agent = await api.ok('POST', `${t}/agents`, 201, { kind: 'human', displayName: 'Ana' });
    const bot = await api.ok('POST', `${t}/agents`, 201, { kind: 'bot', displayName: 'Helper bot' });
    const conversation = await api.ok('POST', `${t}/conversations`, 201, { channelId, customer: { address: 'participants', displayName: 'Pat' } });
    const path = `${t}/conversations/${conversation.id}/participants`;

    const joined = await api.ok('POST', path, 201, { role: 'agent', agentId: agent.id });
    assert.equal(joined.role, 'agent');
    assert.equal(joined.refId, agent.id);
    assert.equal(joined.displayName, 'Ana');
    assert.equal(joined.audience, 'agent');
    assert.equal(joined.leftAt, null);
    const botJoined = await api.ok('POST', path, 201, { role: 'bot', agentId: bot.id, audience: 'supervisor' });
    assert.equal(botJoined.audience, 'customer', 'a bot never gets agent-side visibility');

    const before = (await api.ok('GET', path, 200)).items;
    assert.deepEqual(before.map((p: { role: string }) => p.role).sort(), ['agent', 'bot', 'customer']);
    const customer = before.find((p: { role: string }) => p.role === 'customer');
    assert.equal(customer.refId, conversation.contactId);
    assert.equal(customer.displayName, 'Pat');

    const left = await api.call('DELETE', `${path}/${joined.id}`);
    assert.equal(left.status, 204);
    assert.equal((await api.call('DELETE', `${path}/${joined.id}`)).status, 204);
    const after = (await api.ok('GET', path, 200)).items;
    assert.notEqual(after.find((p: { id: string }) => p.id === joined.id).leftAt, null);
    assert.equal(after.find((p: { role: string }) => p.role === 'customer').leftAt, null);
    const leftEvents = (await api.ok('GET', `${t}/events?conversationId=${conversation.id}`, 200)).items.filter((e: { type: string }) => e.type === 'participant.left');
    assert.equal(leftEvents.length, 1, 'leaving twice emits one event');
  });

  it('numbers messages 1, 2, 3 and lists them after a sequence number', async () => {
    const agent = await api.ok('POST', `${t}/agents`, 201, { kind: 'human', displayName: 'Writer' });
    const conversation = await api.ok('POST', `${t}/conversations`, 201, { channelId, customer: { address: 'messages' } });
    const path = `${t}/conversations/${conversation.id}/messages`;
    const m1 = await api.ok('POST', path, 201, { senderRole: 'customer', text: 'Hi, my order is late' });
    const m2 = await api.ok('POST', path, 201, { senderRole: 'agent', senderId: agent.id, text: 'Looking into it' });
    const m3 = await api.ok('POST', path, 201, {
      senderRole: 'agent', senderId: agent.id, visibility: 'internal', text: 'courier delayed',
      attachments: [{ name: 'label.pdf', contentType: 'application/pdf', size: 1234 }],
    });
    assert.deepEqual([m1.seq, m2.seq, m3.seq], [1, 2, 3]);
    assert.equal(m1.visibility, 'public');
    assert.equal(m2.senderId, agent.id);
    assert.deepEqual(m3.attachments, [{ name: 'label.pdf', contentType: 'application/pdf', size: 1234 }]);

    const all = await api.ok('GET', path, 200);
    assert.deepEqual(all.items, [m1, m2, m3]);
    assert.equal(all.lastSeq, 3);
    const later = await api.ok('GET', `${path}?after=1`, 200);
    assert.deepEqual(later.items.map((m: { seq: number }) => m.seq), [2, 3]);
    assert.deepEqual((await api.ok('GET', `${path}?after=1&limit=1`, 200)).items.map((m: { seq: number }) => m.seq), [2]);
    assert.deepEqual((await api.ok('GET', `${path}?after=3`, 200)).items, []);
    assert.equal((await api.ok('GET', `${t}/conversations/${conversation.id}`, 200)).lastSeq, 3);
  });

  it('answers an idempotent retry (same key, same body) with 200 and the first message, storing one copy', async () => {
    const conversation = await api.ok('POST', `${t}/conversations`, 201, { channelId, customer: { address: 'idempotency' } });
    const path = `${t}/conversations/${conversation.id}/messages`;
    const body = { senderRole: 'customer', text: 'Is anyone there?', idempotencyKey: 'client-activity-1' };

    const first = await api.call('POST', path, body);
    const retry = await api.call('POST', path, body);
    assert.equal(first.status, 201);
    assert.equal(retry.status, 200);
    assert.deepEqual(retry.body, first.body);

    const viaHeader = { senderRole: 'customer', text: 'Second question' };
    const h1 = await api.call('POST', path, viaHeader, { 'idempotency-key': 'client-activity-2' });
    const h2 = await api.call('POST', path, viaHeader, { 'idempotency-key': 'client-activity-2' });
    assert.equal(h1.status, 201);
    assert.equal(h2.status, 200);
    assert.equal(h2.body.id, h1.body.id);
    assert.equal(h1.body.idempotencyKey, 'client-activity-2');
    // The same key in the body finds the message sent with the header: it is one key either way.
    const h3 = await api.call('POST', path, { ...viaHeader, idempotencyKey: 'client-activity-2' });
    assert.equal(h3.status, 200);
    assert.equal(h3.body.id, h1.body.id);

    const stored = (await api.ok('GET', path, 200)).items;
    assert.deepEqual(stored.map((m: { id: string }) => m.id), [first.body.id, h1.body.id]);
    assert.deepEqual(stored.map((m: { seq: number }) => m.seq), [1, 2]);
    const created = (await api.ok('GET', `${t}/events?conversationId=${conversation.id}`, 200)).items.filter((e: { type: string }) => e.type === 'message.created');
    assert.equal(created.length, 2, 'a retry emits no second message.created');
  });

  it('sets context variables of all five types, normalises datetimes to UTC, and removes one with null', async () => {
    const conversation = await api.ok('POST', `${t}/conversations`, 201, { channelId, customer: { address: 'context' } });
    const path = `${t}/conversations/${conversation.id}/context`;
    assert.deepEqual((await api.ok('GET', path, 200)).items, []);

    const set = await api.ok('PATCH', path, 200, {
      'customer.name': { type: 'string', value: 'Dana' },
      orderTotal: { type: 'number', value: 42.5 },
      isVip: { type: 'boolean', value: true },
      promisedBy: { type: 'datetime', value: '2026-01-31T10:00:00+01:00' },
      topics: { type: 'list', value: ['billing', 2, false] },
    });
    const byName = (items: { name: string }[]) => [...items].sort((a, b) => a.name.localeCompare(b.name));
    const expected = [
      { name: 'customer.name', type: 'string', value: 'Dana' },
      { name: 'isVip', type: 'boolean', value: true },
      { name: 'orderTotal', type: 'number', value: 42.5 },
      { name: 'promisedBy', type: 'datetime', value: '2026-01-31T09:00:00.000Z' },
      { name: 'topics', type: 'list', value: ['billing', 2, false] },
    ];
    assert.deepEqual(byName(set.items), expected);
    assert.deepEqual(byName((await api.ok('GET', path, 200)).items), expected);

    const patched = await api.ok('PATCH', path, 200, { isVip: null, orderTotal: { type: 'number', value: 50 } });
    const afterPatch = expected.filter((v) => v.name !== 'isVip').map((v) => (v.name === 'orderTotal' ? { ...v, value: 50 } : v));
    assert.deepEqual(byName(patched.items), afterPatch);
    assert.deepEqual(byName((await api.ok('GET', path, 200)).items), afterPatch);
  });

  it('records every change in the event log, read after an id, in order', async () => {
    const startAfter = Math.max(0, ...(await api.ok('GET', `${t}/events?limit=1000`, 200)).items.map((e: { id: number }) => e.id));
    const conversation = await api.ok('POST', `${t}/conversations`, 201, {
      channelId, customer: { address: 'event-log-customer' }, context: { lang: { type: 'string', value: 'en' } },
    });
    const c = `${t}/conversations/${conversation.id}`;
    const agent = await api.ok('POST', `${t}/agents`, 201, { kind: 'human', displayName: 'Eve' });
    await api.ok('POST', `${c}/participants`, 201, { role: 'agent', agentId: agent.id });
    const message = await api.ok('POST', `${c}/messages`, 201, { senderRole: 'customer', text: 'hello' });
    await api.ok('POST', `${c}/state`, 200, { to: 'queued' });
    await api.ok('PATCH', `${c}/context`, 200, { lang: { type: 'string', value: 'de' } });

    const log = (await api.ok('GET', `${t}/events?after=${startAfter}`, 200)).items;
    assert.deepEqual(log.map((e: { type: string }) => e.type), [
      'contact.created', 'conversation.created', 'participant.added', 'context.updated', 'agent.created',
      'participant.added', 'message.created', 'conversation.state_changed', 'context.updated',
    ]);
    const ids = log.map((e: { id: number }) => e.id);
    assert.ok(ids.every((id: number, i: number) => id > startAfter && (i === 0 || id > ids[i - 1])), `ascending ids after ${startAfter}: ${ids}`);
    for (const event of log) {
      assert.equal(event.tenantId, conversation.tenantId);
      assert.equal(event.actor.kind, 'admin');
      assert.ok(!Number.isNaN(Date.parse(event.occurredAt)));
    }
    assert.equal(log[6].payload.message.id, message.id);
    assert.deepEqual(log[7].payload, { from: 'open', to: 'queued', reason: null });

    const forConversation = (await api.ok('GET', `${t}/events?after=${startAfter}&conversationId=${conversation.id}`, 200)).items;
    assert.deepEqual(forConversation.map((e: { type: string }) => e.type), [
      'conversation.created', 'participant.added', 'context.updated', 'participant.added', 'message.created', 'conversation.state_changed', 'context.updated',
    ]);
    const middle = ids[4];
    const rest = (await api.ok('GET', `${t}/events?after=${middle}&limit=2`, 200)).items;
    assert.deepEqual(rest.map((e: { id: number }) => e.id), ids.slice(5, 7));
  });
});

describe('health, readiness and the API description', () => {
  it('serves /healthz and /readyz without credentials', async () => {
    const anonymous = client(server.app, {});
    const health = await anonymous.call('GET', '/healthz');
    assert.equal(health.status, 200);
    assert.deepEqual(health.body, { status: 'ok' });
    const ready = await anonymous.call('GET', '/readyz');
    assert.equal(ready.status, 200);
    assert.deepEqual(ready.body, { status: 'ready', database: 'sqlite' });
  });

  it('serves the OpenAPI document and the browsable docs page without credentials', async () => {
    const anonymous = client(server.app, {});
    const doc = await anonymous.call('GET', '/openapi.json');
    assert.equal(doc.status, 200);
    assert.equal(doc.body.openapi, '3.1.0');
    for (const path of ['/v1/tenants', '/v1/tenants/{tenantId}/conversations', '/v1/tenants/{tenantId}/conversations/{conversationId}/messages', '/v1/tenants/{tenantId}/events']) {
      assert.ok(doc.body.paths[path], `the OpenAPI document describes ${path}`);
    }
    const page = await anonymous.call('GET', '/docs');
    assert.equal(page.status, 200);
    assert.match(String(page.headers['content-type']), /text\/html/);
    assert.match(page.body, /<html/i);
  });
});

describe('authentication', () => {
  /**
   * Every /v1 route: those of the OpenAPI document, with placeholder ids, plus the WebSocket stream
   * (@fastify/websocket keeps it out of the document); not the public sign-in routes.
   */
  async function v1Routes(): Promise<{ method: string; url: string }[]> {
    const doc = (await server.app.inject({ method: 'GET', url: '/openapi.json' })).json() as { paths: Record<string, Record<string, unknown>> };
    const routes: { method: string; url: string }[] = [{ method: 'GET', url: '/v1/stream' }];
    for (const [path, operations] of Object.entries(doc.paths)) {
      if (!path.startsWith('/v1/')) continue;
      for (const [method, operation] of Object.entries(operations)) {
        // `security: []` marks the sign-in routes, which authenticate with a password or a cookie of their own.
        if (Array.isArray((operation as { security?: unknown }).security) && (operation as { security: unknown[] }).security.length === 0) continue;
        if (['get', 'post', 'patch', 'put', 'delete'].includes(method)) routes.push({ method: method.toUpperCase(), url: path.replace(/\{[^}]+\}/g, 'x_1') });
      }
    }
    return routes;
  }

  it('walks every /v1 route (the list the next tests use is complete)', async () => {
    const routes = await v1Routes();
    const keys = routes.map((r) => `${r.method} ${r.url}`);
    for (const expected of [
      'POST /v1/tenants', 'GET /v1/tenants', 'GET /v1/tenants/x_1', 'POST /v1/tenants/x_1/channels', 'POST /v1/tenants/x_1/queues/x_1/members',
      'POST /v1/tenants/x_1/conversations/x_1/messages', 'DELETE /v1/tenants/x_1/conversations/x_1/participants/x_1',
      'PATCH /v1/tenants/x_1/conversations/x_1/context', 'GET /v1/tenants/x_1/events', 'GET /v1/stream',
    ]) assert.ok(keys.includes(expected), `${expected} is listed`);
    assert.ok(routes.length >= 25, `found ${routes.length} routes`);
  });

  it('rejects every /v1 route without a key: 401 SB_ERR_UNAUTHENTICATED with a Bearer challenge', async () => {
    const anonymous = client(server.app, {});
    for (const { method, url } of await v1Routes()) {
      const reply = await anonymous.call(method as 'GET', url, method === 'GET' || method === 'DELETE' ? undefined : {});
      assert.equal(reply.status, 401, `${method} ${url}`);
      assertErrorBody(reply.body, 'SB_ERR_UNAUTHENTICATED');
      assert.equal(reply.headers['www-authenticate'], 'Bearer');
    }
  });

  it('rejects every /v1 route with a wrong key: 401', async () => {
    const [id, secret] = server.key.split('.') as [string, string];
    const wrongSecret = `${id}.${secret.slice(0, -1)}${secret.endsWith('0') ? '1' : '0'}`;
    const wrongKeys = [
      `Bearer ${wrongSecret}`,
      `Bearer key_00000000000000000000000000.${secret}`,
      'Bearer not-a-key',
      `Basic ${Buffer.from(`admin:${server.key}`).toString('base64')}`,
      server.key,
    ];
    const routes = await v1Routes();
    for (const authorization of wrongKeys) {
      const stranger = client(server.app, { authorization });
      for (const { method, url } of routes) {
        const reply = await stranger.call(method as 'GET', url, method === 'GET' || method === 'DELETE' ? undefined : {});
        assert.equal(reply.status, 401, `${method} ${url} with "${authorization.slice(0, 20)}..."`);
        assertErrorBody(reply.body, 'SB_ERR_UNAUTHENTICATED');
      }
    }
  });

  it('accepts the key on a route that needs it (the 401s above are about the key, not the route)', async () => {
    assert.equal((await api.call('GET', '/v1/tenants')).status, 200);
  });
});
