/**
 * Microsoft's own Direct Line client (`botframework-directlinejs`, unmodified, pointed at
 * Switchboard with its `domain` option) against the real server on loopback, once over the
 * WebSocket stream and once polling: the customer's messages come back (echo with channelData,
 * which Web Chat needs), an agent's reply arrives with the agent's name, a forced disconnect
 * resumes from the watermark with no gap and no duplicate, and the token refreshes.
 */
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { after, before, describe, it } from 'node:test';
import { SYSTEM_CALLER } from '../../src/app/caller.js';
import { createDirectLineSecret } from '../../src/app/webchat/directline-secrets.js';
import { startTestServer, type TestServer } from '../support/test-server.js';
import { client, type Client } from '../http/http-helpers.js';

const require = createRequire(import.meta.url);
// The package README's way of using it from Node: XMLHttpRequest and WebSocket as globals.
(globalThis as Record<string, unknown>).XMLHttpRequest = require('xhr2');
(globalThis as Record<string, unknown>).WebSocket = require('ws');
const { DirectLine, ConnectionStatus } = require('botframework-directlinejs') as typeof import('botframework-directlinejs');

type Activity = { type: string; id?: string; text?: string; from: { id: string; name?: string; role?: string }; channelData?: Record<string, unknown> };

/** Everything a client saw, and a way to wait for a condition on it. */
function recorder(dl: InstanceType<typeof DirectLine>) {
  const seen: Activity[] = [];
  const waiters: (() => void)[] = [];
  const subscription = dl.activity$.subscribe((a: Activity) => {
    seen.push(a);
    for (const w of waiters.splice(0)) w();
  });
  async function until(check: (seen: Activity[]) => boolean, what: string, ms = 5_000): Promise<void> {
    const deadline = Date.now() + ms;
    while (!check(seen)) {
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}; saw ${JSON.stringify(seen.map((a) => [a.type, a.text, a.id]))}`);
      await new Promise<void>((resolve) => {
        waiters.push(resolve);
        setTimeout(resolve, 50);
      });
    }
  }
  return { seen, until, stop: () => subscription.unsubscribe() };
}

async function statusReached(dl: InstanceType<typeof DirectLine>, status: number): Promise<void> {
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`connection status ${status} not reached`)), 5_000);
    const sub = dl.connectionStatus$.subscribe((s: number) => {
      if (s === status) {
        clearTimeout(timer);
        setTimeout(() => sub.unsubscribe());
        resolve();
      }
    });
  });
}

function post(dl: InstanceType<typeof DirectLine>, activity: Record<string, unknown>): Promise<string> {
  return new Promise((resolve, reject) => dl.postActivity(activity as never).subscribe({ next: resolve, error: reject }));
}

for (const mode of ['websocket', 'polling'] as const) {
  describe(`botframework-directlinejs against Switchboard (${mode})`, () => {
    let sb: TestServer;
    let api: Client;
    let base: string;
    let tenantId: string;
    let secret: string;
    let agentId: string;

    before(async () => {
      sb = await startTestServer();
      base = await sb.app.listen({ host: '127.0.0.1', port: 0 });
      api = client(sb.app, sb.auth);
      tenantId = (await api.ok('POST', '/v1/tenants', 201, { name: 'Acme' })).id;
      const channel = await api.ok('POST', `/v1/tenants/${tenantId}/channels`, 201, { type: 'webchat', name: 'Acme chat', config: { title: 'Acme support' } });
      secret = (await createDirectLineSecret(sb.webchat.deps, SYSTEM_CALLER, tenantId, channel.id)).value;
      agentId = (await api.ok('POST', `/v1/tenants/${tenantId}/agents`, 201, { kind: 'human', displayName: 'Ana', capacity: 2 })).id;
    });
    after(() => sb.stop());

    const options = (extra: Record<string, unknown>) => ({
      domain: `${base}/v3/directline`, webSocket: mode === 'websocket', pollingInterval: 200, ...extra,
    });

    async function tokenFor(userId: string): Promise<{ token: string; conversationId: string }> {
      const res = await fetch(`${base}/v3/directline/tokens/generate`, {
        method: 'POST', headers: { authorization: `Bearer ${secret}`, 'content-type': 'application/json' }, body: JSON.stringify({ user: { id: userId, name: 'Dana' } }),
      });
      assert.equal(res.status, 200);
      const body = await res.json() as { token: string; conversationId: string; expires_in: number };
      assert.equal(body.expires_in, 1800);
      return body;
    }

    it('round-trips a message: echoed with its channelData, an agent\'s reply with the agent\'s name', async () => {
      const { token, conversationId } = await tokenFor('dl_dana');
      const dl = new DirectLine(options({ token }));
      const rec = recorder(dl);
      try {
        await statusReached(dl, ConnectionStatus.Online);
        const id = await post(dl, { type: 'message', from: { id: 'someone-else' }, text: 'Where is my order?', channelData: { clientActivityID: 'c-1', page: 'checkout' } });
        assert.match(id, new RegExp(`^${conversationId}\\|\\d{7}$`));
        await rec.until((s) => s.some((a) => a.id === id), 'the echo');
        const echo = rec.seen.find((a) => a.id === id)!;
        assert.equal(echo.from.id, 'dl_dana', 'the token\'s user, whatever from.id said');
        assert.deepEqual(echo.channelData, { clientActivityID: 'c-1', page: 'checkout' });
        // The conversation is Switchboard's: stored, with the customer's context.
        const stored = await api.ok('GET', `/v1/tenants/${tenantId}/conversations/${conversationId}/messages`, 200);
        assert.deepEqual(stored.items.map((m: { text: string }) => m.text), ['Where is my order?']);
        await api.ok('POST', `/v1/tenants/${tenantId}/conversations/${conversationId}/messages`, 201, { senderRole: 'agent', senderId: agentId, text: 'Let me check.' });
        await api.ok('POST', `/v1/tenants/${tenantId}/conversations/${conversationId}/messages`, 201, { senderRole: 'agent', senderId: agentId, visibility: 'internal', text: 'customer seems upset' });
        await rec.until((s) => s.some((a) => a.text === 'Let me check.'), 'the agent\'s reply');
        const reply = rec.seen.find((a) => a.text === 'Let me check.')!;
        assert.deepEqual([reply.from.id, reply.from.name, reply.from.role], [agentId, 'Ana', 'bot']);
        assert.ok(!rec.seen.some((a) => a.text === 'customer seems upset'), 'internal notes never reach the customer');
      } finally {
        rec.stop();
        dl.end();
      }
    });

    it('stores one copy of a retried clientActivityID', async () => {
      const { token, conversationId } = await tokenFor('dl_retry');
      const dl = new DirectLine(options({ token }));
      // DLJS connects when someone listens.
      const rec = recorder(dl);
      try {
        await statusReached(dl, ConnectionStatus.Online);
        const first = await post(dl, { type: 'message', from: { id: 'dl_retry' }, text: 'once', channelData: { clientActivityID: 'same' } });
        const again = await post(dl, { type: 'message', from: { id: 'dl_retry' }, text: 'once', channelData: { clientActivityID: 'same' } });
        assert.equal(again, first);
        const stored = await api.ok('GET', `/v1/tenants/${tenantId}/conversations/${conversationId}/messages`, 200);
        assert.equal(stored.items.length, 1);
      } finally {
        rec.stop();
        dl.end();
      }
    });

    it('resumes from the watermark after a disconnect: no gap, no duplicate', async () => {
      const { token, conversationId } = await tokenFor('dl_resume');
      const first = new DirectLine(options({ token }));
      const rec1 = recorder(first);
      await statusReached(first, ConnectionStatus.Online);
      await post(first, { type: 'message', from: { id: 'dl_resume' }, text: 'm1', channelData: { clientActivityID: 'r1' } });
      const say = (text: string) => api.ok('POST', `/v1/tenants/${tenantId}/conversations/${conversationId}/messages`, 201, { senderRole: 'agent', senderId: agentId, text });
      await say('a1');
      await rec1.until((s) => s.some((a) => a.text === 'a1'), 'a1');
      const watermark = (first as unknown as { watermark: string }).watermark;
      rec1.stop();
      first.end();
      // Said while the customer was away.
      await say('a2');
      await say('a3');
      const second = new DirectLine(options({ token, conversationId, watermark }));
      const rec2 = recorder(second);
      try {
        await rec2.until((s) => s.some((a) => a.text === 'a3'), 'a3 after the resume');
        await say('a4');
        await rec2.until((s) => s.some((a) => a.text === 'a4'), 'a4 live');
        assert.deepEqual(rec2.seen.filter((a) => a.type === 'message').map((a) => a.text), ['a2', 'a3', 'a4']);
        const ids = [...rec1.seen, ...rec2.seen].map((a) => a.id);
        assert.equal(new Set(ids).size, ids.length, 'no activity twice');
      } finally {
        rec2.stop();
        second.end();
      }
    });

    it('refreshes the token for the same conversation; an expired or foreign token is refused', async () => {
      const { token, conversationId } = await tokenFor('dl_refresh');
      const refreshed = await fetch(`${base}/v3/directline/tokens/refresh`, { method: 'POST', headers: { authorization: `Bearer ${token}` } });
      assert.equal(refreshed.status, 200);
      const body = await refreshed.json() as { token: string; conversationId: string };
      assert.equal(body.conversationId, conversationId);
      const started = await fetch(`${base}/v3/directline/conversations`, { method: 'POST', headers: { authorization: `Bearer ${body.token}` } });
      assert.equal(started.status, 201);
      const other = await tokenFor('dl_other');
      const foreign = await fetch(`${base}/v3/directline/conversations/${conversationId}/activities`, { headers: { authorization: `Bearer ${other.token}` } });
      assert.equal(foreign.status, 403);
      assert.equal(((await foreign.json()) as { error: { code: string } }).error.code, 'Forbidden');
      const garbage = await fetch(`${base}/v3/directline/conversations/${conversationId}/activities`, { headers: { authorization: 'Bearer not-a-token' } });
      assert.equal(garbage.status, 401);
    });
  });
}
