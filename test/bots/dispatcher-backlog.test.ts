/**
 * A backlog larger than a pass of the outbox, for a bot already at its concurrency limit, must not
 * starve the server: the dispatcher waits for an attempt to finish instead of reading the outbox
 * again and again (the store's reads are synchronous on SQLite, so that loop would never yield).
 */
import assert from 'node:assert/strict';
import { createServer, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, describe, it } from 'node:test';
import { client } from '../http/http-helpers.js';
import { startTestServer, type TestServer } from '../support/test-server.js';

describe('the bot dispatcher with a backlog', () => {
  let sb: TestServer | undefined;
  const hanging: ServerResponse[] = [];
  const bot = createServer((_req, res) => hanging.push(res));
  after(async () => {
    await sb?.stop();
    for (const res of hanging) res.destroy();
    bot.closeAllConnections();
    await new Promise<void>((resolve) => bot.close(() => resolve()));
  });

  it('keeps serving while 300 deliveries wait for a bot that has all its attempts in flight', async () => {
    await new Promise<void>((resolve) => bot.listen(0, '127.0.0.1', resolve));
    const url = `http://127.0.0.1:${(bot.address() as AddressInfo).port}/api/messages`;
    sb = await startTestServer({ overrides: { botSettings: { perBotConcurrency: 2, deliveryTimeoutMs: 60_000 } } });
    const api = client(sb.app, sb.auth);
    const tenantId = (await api.ok('POST', '/v1/tenants', 201, { name: 'Backlog' })).id as string;
    const registered = await api.ok('POST', `/v1/tenants/${tenantId}/bots`, 201, { displayName: 'Slow bot', messagingEndpoint: url, authMode: 'none' });
    const now = new Date().toISOString();
    await sb.deps.storage.transaction(async (tx) => {
      for (let i = 0; i < 300; i++) {
        await tx.bots.insertDelivery({
          tenantId, botId: registered.id, conversationId: `conv_backlog_${i}`, dedupeKey: `backlog:${i}`,
          activity: { type: 'message', text: `m${i}`, conversation: { id: `conv_backlog_${i}` } }, nextAttemptAt: 0, createdAt: now,
        });
      }
    });
    // The dispatcher starts with the server listening and finds the backlog at once.
    await sb.app.listen({ host: '127.0.0.1', port: 0 });
    const deadline = Date.now() + 5_000;
    while (hanging.length < 2 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 20));
    assert.equal(hanging.length, 2, 'two attempts in flight, the limit');
    // The event loop still turns: a timer fires on time and the API answers.
    const started = Date.now();
    await new Promise((resolve) => setTimeout(resolve, 50));
    assert.ok(Date.now() - started < 2_000, 'a timer is not starved');
    assert.equal((await sb.app.inject({ method: 'GET', url: '/healthz' })).statusCode < 500, true, 'the server answers');
    assert.equal(hanging.length, 2, 'and no more attempts than the limit');
  });
});
