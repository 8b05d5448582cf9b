// The CRM lookup, the agent's screen pop (issue 7), through the API on SQLite and PostgreSQL
// against a real CRM stand-in: an HTTP server on 127.0.0.1 (port 0), so no traffic leaves the
// machine. The settings (administrators only, header values never shown whole, every problem
// listed, nothing stored on refusal), the request the CRM receives, a good answer, and every way
// an answer can fail (not JSON, the wrong shape, too large, too slow, an error status, a redirect,
// nobody listening), each a clean 502 that carries nothing of the remote body.
import assert from 'node:assert/strict';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { postgresSkip } from '../support/postgres.js';
import { startTestServer, type TestServer } from '../support/test-server.js';
import { client, refused, signInWithPassword, type Client } from './http-helpers.js';

const PASSWORD = 'correct horse battery staple';
const TOKEN = 'Bearer crm-token-0123456789abcdef';
/** Text the CRM puts in its failing answers: it must never reach a Switchboard client. */
const REMOTE_SECRET = 'REMOTE-BODY-MUST-NOT-LEAK';

interface Heard { path: string; headers: IncomingMessage['headers']; body: unknown }

/** A CRM on loopback: each path answers one way, and every request is recorded. */
async function fakeCrm(routes: Record<string, (send: (status: number, body: string, headers?: Record<string, string>) => void) => void>) {
  const heard: Heard[] = [];
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const text = Buffer.concat(chunks).toString('utf8');
      heard.push({ path: req.url ?? '', headers: req.headers, body: text ? JSON.parse(text) : undefined });
      const route = routes[req.url ?? ''] ?? ((send) => send(404, REMOTE_SECRET));
      route((status, body, headers = { 'content-type': 'application/json' }) => res.writeHead(status, headers).end(body));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    base, heard,
    close: () => new Promise<void>((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    }),
  };
}

const field = (label: string, value: unknown, url?: unknown) => ({ label, value, ...(url === undefined ? {} : { url }) });

for (const database of ['sqlite', 'postgres'] as const) {
  describe(`CRM lookup (${database})`, async () => {
    const skip = database === 'postgres' ? await postgresSkip() : false;
    let sb: TestServer;
    let admin: Client;
    let t: string;
    let crm: Awaited<ReturnType<typeof fakeCrm>>;
    /** Another host's stand-in, where a redirect points: it must never be called. */
    let elsewhere: Awaited<ReturnType<typeof fakeCrm>>;
    const w = {} as { tenantId: string; conversation: string; contactId: string; outOfScope: string; al: Client; bo: Client; sue: Client };

    const settings = () => `${t}/crm-lookup`;
    const panel = (conversationId = w.conversation) => `${t}/conversations/${conversationId}/crm`;
    const configure = (path: string, extra: Record<string, unknown> = {}) => admin.ok('PUT', settings(), 200, { url: `${crm.base}${path}`, ...extra });

    before(async () => {
      if (skip) return;
      elsewhere = await fakeCrm({ '/good': (send) => send(200, JSON.stringify({ fields: [field('Stolen', 'yes')] })) });
      const hugeValue = 'x'.repeat(1900);
      crm = await fakeCrm({
        '/good': (send) => send(200, JSON.stringify({
          fields: [field('Plan', 'Gold <b>VIP</b>'), field('Open tickets', 3), field('Blocked', false), field('Record', '#4711', 'https://crm.example.com/records/4711'), field('No link', 'n', null)],
          ignored: { anything: true },
        })),
        '/empty': (send) => send(200, JSON.stringify({ fields: [] })),
        '/not-json': (send) => send(200, `<html>${REMOTE_SECRET}</html>`, { 'content-type': 'text/html' }),
        '/array': (send) => send(200, JSON.stringify([field('A', 'b')])),
        '/no-fields': (send) => send(200, JSON.stringify({ items: [REMOTE_SECRET] })),
        '/too-many': (send) => send(200, JSON.stringify({ fields: Array.from({ length: 51 }, (_, i) => field(`F${i}`, 'v')) })),
        '/long-label': (send) => send(200, JSON.stringify({ fields: [field('L'.repeat(81), REMOTE_SECRET)] })),
        '/long-value': (send) => send(200, JSON.stringify({ fields: [field('Long', 'v'.repeat(2001))] })),
        '/object-value': (send) => send(200, JSON.stringify({ fields: [field('Nested', { secret: REMOTE_SECRET })] })),
        '/script-url': (send) => send(200, JSON.stringify({ fields: [field('Click', 'me', 'javascript:alert(1)')] })),
        '/huge': (send) => send(200, JSON.stringify({ fields: Array.from({ length: 150 }, (_, i) => field(`F${i}`, hugeValue)) })),
        '/error': (send) => send(500, JSON.stringify({ error: REMOTE_SECRET })),
        '/unauthorized': (send) => send(401, REMOTE_SECRET, { 'content-type': 'text/plain' }),
        '/redirect': (send) => send(302, REMOTE_SECRET, { location: `${elsewhere.base}/good`, 'content-type': 'text/plain' }),
        '/slow': () => undefined, // never answers
      });
      sb = await startTestServer({ database, overrides: { signInRateLimit: 1000 } });
      admin = client(sb.app, sb.auth);
      w.tenantId = (await admin.ok('POST', '/v1/tenants', 201, { name: 'Crm' })).id;
      t = `/v1/tenants/${w.tenantId}`;
      const channel = (await admin.ok('POST', `${t}/channels`, 201, { type: 'webchat', name: 'Chat' })).id;
      const ana = (await admin.ok('POST', `${t}/agents`, 201, { kind: 'human', displayName: 'Ana' })).id;
      const bea = (await admin.ok('POST', `${t}/agents`, 201, { kind: 'human', displayName: 'Bea' })).id;
      const support = (await admin.ok('POST', `${t}/queues`, 201, { name: 'Support', memberIds: [ana] })).id;
      const billing = (await admin.ok('POST', `${t}/queues`, 201, { name: 'Billing', memberIds: [bea] })).id;
      const conv = await admin.ok('POST', `${t}/conversations`, 201, {
        channelId: channel, queueId: support, customer: { address: 'visitor-42', displayName: 'Dana Smith' },
        context: { 'order.id': { type: 'string', value: 'A-1' }, 'order.total': { type: 'number', value: 42.5 }, tags: { type: 'list', value: ['vip', 1] } },
      });
      w.conversation = conv.id;
      w.contactId = conv.contactId;
      w.outOfScope = (await admin.ok('POST', `${t}/conversations`, 201, { channelId: channel, queueId: billing, customer: { address: 'visitor-43' } })).id;
      const person = async (email: string, roles: unknown[], agentId?: string) => {
        await admin.ok('POST', `${t}/users`, 201, { email, displayName: email, password: PASSWORD, roles, ...(agentId ? { agentId } : {}) });
        return client(sb.app, { ...(await signInWithPassword(sb.app, w.tenantId, email, PASSWORD)) });
      };
      w.al = await person('al@crm.test', [{ role: 'agent' }], ana);
      w.bo = await person('bo@crm.test', [{ role: 'agent' }], bea);
      w.sue = await person('sue@crm.test', [{ role: 'supervisor', queueIds: [support] }]);
    });
    after(async () => {
      await sb?.stop();
      await crm?.close();
      await elsewhere?.close();
    });

    it('settings: administrators set, read (header values masked), keep the headers on a change and remove them; audited without secrets', { skip }, async () => {
      await refused(admin, 'GET', settings(), undefined, 404, 'SB_ERR_CRM_LOOKUP_NOT_CONFIGURED');
      await refused(w.al, 'GET', panel(), undefined, 404, 'SB_ERR_CRM_LOOKUP_NOT_CONFIGURED');
      const set = await configure('/good', { headers: { Authorization: TOKEN, 'X-Tenant': 'abc' }, timeoutMs: 1500 });
      assert.deepEqual({ ...set, updatedAt: undefined }, {
        tenantId: w.tenantId, url: `${crm.base}/good`, headers: { Authorization: 'Bea…', 'X-Tenant': '…' }, timeoutMs: 1500, updatedAt: undefined,
      });
      assert.deepEqual(await admin.ok('GET', settings(), 200), set);
      const moved = await admin.ok('PUT', settings(), 200, { url: `${crm.base}/good` });
      assert.deepEqual([moved.headers, moved.timeoutMs], [{ Authorization: 'Bea…', 'X-Tenant': '…' }, 2000], 'omitted headers are kept; the timeout has its default');
      assert.deepEqual((await admin.ok('PUT', settings(), 200, { url: `${crm.base}/good`, headers: null })).headers, {});
      await configure('/good', { headers: { Authorization: TOKEN } });
      const audit = await admin.ok('GET', `${t}/audit?action=crm_lookup.configured`, 200);
      assert.equal(audit.items.length, 4);
      assert.deepEqual(audit.items[0].details, { url: `${crm.base}/good`, headerNames: ['Authorization'], timeoutMs: 2000 });
      assert.ok(!JSON.stringify(audit).includes('crm-token'), 'the audit holds no header value');

      await admin.ok('DELETE', settings(), 204);
      await refused(admin, 'DELETE', settings(), undefined, 404, 'SB_ERR_CRM_LOOKUP_NOT_CONFIGURED');
      await refused(admin, 'GET', settings(), undefined, 404, 'SB_ERR_CRM_LOOKUP_NOT_CONFIGURED');
      assert.equal((await admin.ok('GET', `${t}/audit?action=crm_lookup.deleted`, 200)).items.length, 1);
    });

    it('settings: every problem listed, nothing stored; agents and supervisors may not touch them', { skip }, async () => {
      const stored = await configure('/good', { headers: { Authorization: TOKEN } });
      const invalid = await refused(admin, 'PUT', settings(), {
        url: 'ftp://crm.example.com/x', headers: { 'Bad Name': 'x', Host: 'evil.example', 'X-Split': 'a\r\nInjected: yes', 'proxy-authorization': 'x' },
      }, 400, 'SB_ERR_INVALID_CRM_LOOKUP');
      assert.deepEqual(invalid.details?.problems.map((p: { path: string }) => p.path), ['/url', '/headers/Bad Name', '/headers/Host', '/headers/X-Split', '/headers/proxy-authorization']);
      for (const url of ['not a url', 'https://user:pw@crm.example.com/', 'https://crm.example.com/#frag', '   ']) {
        await refused(admin, 'PUT', settings(), { url }, 400, 'SB_ERR_INVALID_CRM_LOOKUP');
      }
      await refused(admin, 'PUT', settings(), { url: crm.base, headers: { a: '1', A: '2' } }, 400, 'SB_ERR_INVALID_CRM_LOOKUP');
      for (const body of [{ url: crm.base, timeoutMs: 99 }, { url: crm.base, timeoutMs: 5001 }, { url: crm.base, timeoutMs: 1.5 }, { headers: {} }, { url: crm.base, extra: 1 }, { url: crm.base, headers: { a: 5 } }, { url: `https://crm.example.com/${'x'.repeat(2000)}` }]) {
        await refused(admin, 'PUT', settings(), body, 400, 'SB_ERR_VALIDATION');
      }
      assert.deepEqual(await admin.ok('GET', settings(), 200), stored, 'the refused changes stored nothing');
      for (const api of [w.al, w.sue]) {
        await refused(api, 'GET', settings(), undefined, 403, 'SB_ERR_FORBIDDEN');
        await refused(api, 'PUT', settings(), { url: `${crm.base}/elsewhere` }, 403, 'SB_ERR_FORBIDDEN');
        await refused(api, 'DELETE', settings(), undefined, 403, 'SB_ERR_FORBIDDEN');
      }
      assert.deepEqual(await admin.ok('GET', settings(), 200), stored);
    });

    it('the screen pop: the CRM hears the customer, their identity on this channel and the context; the fields come back as text, fresh each time', { skip }, async () => {
      await configure('/good', { headers: { Authorization: TOKEN, 'X-Tenant': 'crm-tenant-7' } });
      const heardBefore = crm.heard.length;
      const reply = await w.al.call('GET', panel());
      assert.equal(reply.status, 200, JSON.stringify(reply.body));
      assert.equal(reply.headers['cache-control'], 'no-store');
      assert.deepEqual(reply.body.fields, [
        { label: 'Plan', value: 'Gold <b>VIP</b>' }, { label: 'Open tickets', value: '3' }, { label: 'Blocked', value: 'false' },
        { label: 'Record', value: '#4711', url: 'https://crm.example.com/records/4711' }, { label: 'No link', value: 'n' },
      ]);
      assert.ok(!Number.isNaN(Date.parse(reply.body.fetchedAt)));
      const heard = crm.heard.slice(heardBefore);
      assert.equal(heard.length, 1);
      assert.deepEqual(heard[0]!.body, {
        tenantId: w.tenantId, conversationId: w.conversation,
        contact: { id: w.contactId, displayName: 'Dana Smith', address: 'visitor-42', channelType: 'webchat' },
        context: { 'order.id': 'A-1', 'order.total': 42.5, tags: ['vip', 1] },
      });
      assert.equal(heard[0]!.headers.authorization, TOKEN);
      assert.equal(heard[0]!.headers['x-tenant'], 'crm-tenant-7');
      assert.match(String(heard[0]!.headers['content-type']), /^application\/json/);
      // Not cached: a second look asks again; a supervisor of the queue and an administrator may look too.
      await w.sue.ok('GET', panel(), 200);
      await admin.ok('GET', panel(), 200);
      assert.equal(crm.heard.length - heardBefore, 3);
      await configure('/empty');
      assert.deepEqual((await w.al.ok('GET', panel(), 200)).fields, []);
    });

    it('only for those who may read the conversation: out of scope or unknown is missing, and the CRM is not asked', { skip }, async () => {
      await configure('/good');
      const heardBefore = crm.heard.length;
      await refused(w.bo, 'GET', panel(), undefined, 404, 'SB_ERR_CONVERSATION_NOT_FOUND');
      await refused(w.al, 'GET', panel(w.outOfScope), undefined, 404, 'SB_ERR_CONVERSATION_NOT_FOUND');
      await refused(admin, 'GET', panel('conv_missing'), undefined, 404, 'SB_ERR_CONVERSATION_NOT_FOUND');
      assert.equal(crm.heard.length, heardBefore);
    });

    const failures: [string, string, string][] = [
      ['/not-json', 'invalid-answer', 'not JSON'],
      ['/array', 'invalid-answer', 'not a JSON object'],
      ['/no-fields', 'invalid-answer', 'no "fields" list'],
      ['/too-many', 'invalid-answer', '51 fields, more than 50'],
      ['/long-label', 'invalid-answer', 'field 1: "label"'],
      ['/long-value', 'invalid-answer', 'longer than 2000'],
      ['/object-value', 'invalid-answer', 'field 1: "value"'],
      ['/script-url', 'invalid-answer', 'field 1: "url" must be an http or https URL'],
      ['/huge', 'too-large', 'larger than 256 KiB'],
      ['/error', 'status', 'answered 500'],
      ['/unauthorized', 'status', 'answered 401'],
      ['/redirect', 'redirect', 'redirect (302)'],
    ];
    for (const [path, reason, words] of failures) {
      it(`a CRM answer that cannot be used (${path}) is a clean 502 ${reason}, with nothing of the remote body`, { skip }, async () => {
        await configure(path);
        const error = await refused(w.al, 'GET', panel(), undefined, 502, 'SB_ERR_CRM_LOOKUP_FAILED');
        assert.equal(error.details?.reason, reason);
        assert.ok(error.message.includes(words), error.message);
        assert.ok(!JSON.stringify(error).includes(REMOTE_SECRET), 'nothing of the remote body');
        assert.equal((error as { errorId?: string }).errorId, undefined);
      });
    }

    it('a redirect is not followed: the other host never hears of the customer', { skip }, async () => {
      await configure('/redirect', { headers: { Authorization: TOKEN } });
      await refused(w.al, 'GET', panel(), undefined, 502, 'SB_ERR_CRM_LOOKUP_FAILED');
      assert.deepEqual(elsewhere.heard, []);
    });

    it('a CRM too slow for the timeout is cut off at it; one that is not listening is unreachable', { skip }, async () => {
      await configure('/slow', { timeoutMs: 150 });
      const started = Date.now();
      const slow = await refused(w.al, 'GET', panel(), undefined, 502, 'SB_ERR_CRM_LOOKUP_FAILED');
      const took = Date.now() - started;
      assert.equal(slow.details?.reason, 'timeout');
      assert.match(slow.message, /within 150 ms/);
      assert.ok(took >= 140 && took < 2000, `cut off after ${took} ms`);

      const gone = await fakeCrm({});
      await gone.close();
      await admin.ok('PUT', settings(), 200, { url: `${gone.base}/lookup` });
      const unreachable = await refused(w.al, 'GET', panel(), undefined, 502, 'SB_ERR_CRM_LOOKUP_FAILED');
      assert.equal(unreachable.details?.reason, 'unreachable');
    });
  });
}
