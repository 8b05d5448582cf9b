// The supervisor's server side (issue 7), through the API with signed-in people on SQLite and
// PostgreSQL: the wallboard's agent list and conversation filters, whisper, barge, speaking to the
// customer after a barge, leaving, forcing a transfer or a close, and who may do which (an agent
// may not, a supervisor only in their queues, nobody across tenants). A customer on Microsoft's
// Direct Line client hears the barged-in supervisor by name and never the whisper.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type WebSocket from 'ws';
import { SYSTEM_CALLER } from '../../src/app/caller.js';
import { createDirectLineSecret } from '../../src/app/webchat/directline-secrets.js';
import { customerOnDirectLine } from '../support/directline-customer.js';
import { until } from '../support/eventually.js';
import { postgresSkip } from '../support/postgres.js';
import { startTestServer, type TestServer } from '../support/test-server.js';
import { assertErrorBody, client, signInWithPassword, type Client, type SessionHeaders } from './http-helpers.js';

const PASSWORD = 'correct horse battery staple';

interface World {
  t: string;
  tenantId: string;
  channelId: string;
  secret: string;
  queueA: string;
  queueB: string;
  wsA: string;
  wsB: string;
  ana: string;
  ben: string;
  cy: string;
  bot: string;
  /** Supervisor of queue A (no agent record). */
  sue: { id: string; api: Client; headers: SessionHeaders };
  /** Agent Ana's person. */
  al: { id: string; api: Client; headers: SessionHeaders };
  /** Agent Cy's person, a colleague of Ana in queue A. */
  cyUser: { id: string; api: Client };
}

for (const database of ['sqlite', 'postgres'] as const) {
  describe(`supervision (${database})`, async () => {
    const skip = database === 'postgres' ? await postgresSkip() : false;
    let sb: TestServer;
    let base: string;
    let admin: Client;
    let w: World;
    let n = 0;

    async function person(email: string, displayName: string, roles: unknown[], agentId?: string) {
      const user = await admin.ok('POST', `${w.t}/users`, 201, { email, displayName, password: PASSWORD, roles, ...(agentId ? { agentId } : {}) });
      const headers = await signInWithPassword(sb.app, w.tenantId, email, PASSWORD);
      return { id: user.id as string, api: client(sb.app, { ...headers }), headers };
    }

    /** A conversation routed with `wsId` and accepted by its agent: active, handled by that agent. */
    async function active(wsId: string, agentId: string): Promise<string> {
      const conv = await admin.ok('POST', `${w.t}/conversations`, 201, { channelId: w.channelId, customer: { address: `visitor-${++n}` } });
      const routed = await admin.ok('POST', `${w.t}/conversations/${conv.id}/route`, 200, { workstreamId: wsId });
      assert.deepEqual([routed.status, routed.agentId], ['offered', agentId], JSON.stringify(routed));
      const offer = (await admin.ok('GET', `${w.t}/agents/${agentId}/offers?status=pending`, 200)).items.find((o: { conversationId: string }) => o.conversationId === conv.id);
      await admin.ok('POST', `${w.t}/agents/${agentId}/offers/${offer.id}/accept`, 200);
      // The web chat announcer tells the customer who joined; wait for it, so later snapshots are stable.
      await until(async () => (await messagesOf(conv.id)).some((m) => m.senderRole === 'system'), 'the "joined" notice');
      return conv.id;
    }

    const messagesOf = async (id: string) => (await admin.ok('GET', `${w.t}/conversations/${id}/messages`, 200)).items as { text: string; senderRole: string; senderId: string | null; visibility: string }[];
    const participantsOf = async (id: string) => (await admin.ok('GET', `${w.t}/conversations/${id}/participants`, 200)).items as { id: string; role: string; refId: string; leftAt: string | null }[];
    const stateOf = async (id: string) => (await admin.ok('GET', `${w.t}/conversations/${id}`, 200)).state as string;
    const refused = async (api: Client, method: 'GET' | 'POST' | 'PUT' | 'DELETE', url: string, body: unknown, status: number, code: string) => {
      const reply = await api.call(method, url, body);
      assert.equal(reply.status, status, `${method} ${url}: ${reply.status} ${JSON.stringify(reply.body)}`);
      assertErrorBody(reply.body, code);
    };

    before(async () => {
      if (skip) return;
      sb = await startTestServer({ database, overrides: { signInRateLimit: 1000 } });
      base = await sb.app.listen({ host: '127.0.0.1', port: 0 });
      admin = client(sb.app, sb.auth);
      const tenantId = (await admin.ok('POST', '/v1/tenants', 201, { name: 'Acme' })).id as string;
      const t = `/v1/tenants/${tenantId}`;
      const channel = await admin.ok('POST', `${t}/channels`, 201, { type: 'webchat', name: 'Acme chat', config: { title: 'Acme support' } });
      const secret = (await createDirectLineSecret(sb.webchat.deps, SYSTEM_CALLER, tenantId, channel.id)).value;
      const ana = (await admin.ok('POST', `${t}/agents`, 201, { kind: 'human', displayName: 'Ana', capacity: 20, presence: 'available' })).id;
      const ben = (await admin.ok('POST', `${t}/agents`, 201, { kind: 'human', displayName: 'Ben', capacity: 20, presence: 'available' })).id;
      // Cy stays offline until a test hands him a conversation, so routing in queue A always picks Ana.
      const cy = (await admin.ok('POST', `${t}/agents`, 201, { kind: 'human', displayName: 'Cy', capacity: 1 })).id;
      const bot = (await admin.ok('POST', `${t}/agents`, 201, { kind: 'bot', displayName: 'Helper bot' })).id;
      const queueA = (await admin.ok('POST', `${t}/queues`, 201, { name: 'Sales', memberIds: [ana, cy] })).id;
      const queueB = (await admin.ok('POST', `${t}/queues`, 201, { name: 'Billing', memberIds: [ben] })).id;
      const wsA = (await admin.ok('POST', `${t}/workstreams`, 201, { name: 'Chat', channelTypes: ['webchat'], fallbackQueueId: queueA, offerTimeoutSeconds: 3600 })).id;
      const wsB = (await admin.ok('POST', `${t}/workstreams`, 201, { name: 'Mail', channelTypes: ['email'], fallbackQueueId: queueB, offerTimeoutSeconds: 3600 })).id;
      w = { t, tenantId, channelId: channel.id, secret, queueA, queueB, wsA, wsB, ana, ben, cy, bot } as World;
      w.sue = await person('sue@acme.test', 'Sue Supervisor', [{ role: 'supervisor', queueIds: [queueA] }]);
      w.al = await person('al@acme.test', 'Al', [{ role: 'agent' }], ana);
      w.cyUser = await person('cy@acme.test', 'Cy', [{ role: 'agent' }], cy);
    });
    after(async () => sb?.stop());

    it('an agent holds no supervision: whisper, barge, posting as supervisor and the agent board answer 403, and write nothing', { skip }, async () => {
      const conv = await active(w.wsA, w.ana);
      const before = [await messagesOf(conv), await participantsOf(conv)];
      const one = `${w.t}/conversations/${conv}`;
      await refused(w.al.api, 'POST', `${one}/whisper`, { text: 'psst' }, 403, 'SB_ERR_FORBIDDEN');
      await refused(w.al.api, 'POST', `${one}/barge`, undefined, 403, 'SB_ERR_FORBIDDEN');
      await refused(w.al.api, 'GET', `${w.t}/routing/agents`, undefined, 403, 'SB_ERR_FORBIDDEN');
      // The hole this closes: anyone who may write could post as a supervisor.
      for (const visibility of ['public', 'internal', 'whisper']) {
        await refused(w.al.api, 'POST', `${one}/messages`, { senderRole: 'supervisor', visibility, text: 'I am the boss' }, 403, 'SB_ERR_FORBIDDEN');
      }
      // Joining as a supervisor through the generic participant route is not a way around it.
      await refused(w.al.api, 'POST', `${one}/participants`, { role: 'supervisor', agentId: w.ana }, 400, 'SB_ERR_VALIDATION');
      assert.deepEqual([await messagesOf(conv), await participantsOf(conv)], before, 'nothing was written');
      const denied = await admin.ok('GET', `${w.t}/audit?action=access.denied&actorId=${w.al.id}`, 200);
      assert.ok(denied.items.some((e: { details: { permission?: string } }) => e.details.permission === 'conversations.supervise'), 'the denials are audited');
      // Ana's own work is still hers: her status answers, her message goes out.
      await w.al.api.ok('GET', `${w.t}/agents/${w.ana}/status`, 200);
      await w.al.api.ok('POST', `${one}/messages`, 201, { senderRole: 'agent', senderId: w.ana, text: 'Still here' });
    });

    it('a supervisor whispers: the agent gets it live as message.created, stored as sent, never interpreted; retries are idempotent', { skip }, async () => {
      const conv = await active(w.wsA, w.ana);
      const socket = await sb.app.injectWS('/v1/stream', { headers: { cookie: w.al.headers.cookie } });
      const frames: Record<string, any>[] = [];
      socket.on('message', (data: WebSocket.RawData) => frames.push(JSON.parse(data.toString())));
      try {
        socket.send(JSON.stringify({ type: 'subscribe', id: 's1', tenantId: w.tenantId }));
        await until(() => frames.some((f) => f.type === 'subscribed'), 'Al is subscribed');
        const text = 'Offer the <b>10%</b> discount <img src=x onerror=alert(1)> & ask about **shipping**';
        const reply = await w.sue.api.call('POST', `${w.t}/conversations/${conv}/whisper`, { text, idempotencyKey: 'w-1' });
        assert.equal(reply.status, 201, JSON.stringify(reply.body));
        const whisper = reply.body;
        assert.deepEqual(
          [whisper.senderRole, whisper.visibility, whisper.senderId, whisper.text, whisper.conversationId],
          ['supervisor', 'whisper', w.sue.id, text, conv], 'sent as Sue (her user id), for the agents, the text exactly as given',
        );
        await until(() => frames.some((f) => f.type === 'event' && f.event.type === 'message.created' && f.event.payload.message.id === whisper.id), 'the whisper reaches Al on his stream');
        const stored = (await w.al.api.ok('GET', `${w.t}/conversations/${conv}/messages`, 200)).items.find((m: { id: string }) => m.id === whisper.id);
        assert.equal(stored.text, text, 'the agent reads it back unchanged');

        const again = await w.sue.api.call('POST', `${w.t}/conversations/${conv}/whisper`, { text, idempotencyKey: 'w-1' });
        assert.deepEqual([again.status, again.body.id], [200, whisper.id], 'a retry returns the first whisper');
        await refused(w.sue.api, 'POST', `${w.t}/conversations/${conv}/whisper`, { text: 'something else', idempotencyKey: 'w-1' }, 409, 'SB_ERR_IDEMPOTENCY_CONFLICT');
        await refused(w.sue.api, 'POST', `${w.t}/conversations/${conv}/whisper`, { text: '' }, 400, 'SB_ERR_VALIDATION');
        await refused(w.sue.api, 'POST', `${w.t}/conversations/${conv}/whisper`, { text: 'x'.repeat(20_001) }, 400, 'SB_ERR_VALIDATION');
        await refused(w.sue.api, 'POST', `${w.t}/conversations/${conv}/whisper`, { text: 'hi', senderRole: 'agent' }, 400, 'SB_ERR_VALIDATION');
        // A whisper through the messages route is the same thing; naming somebody else as sender is not.
        await w.sue.api.ok('POST', `${w.t}/conversations/${conv}/messages`, 201, { senderRole: 'supervisor', visibility: 'whisper', text: 'via messages' });
        await refused(w.sue.api, 'POST', `${w.t}/conversations/${conv}/messages`, { senderRole: 'supervisor', senderId: w.al.id, visibility: 'whisper', text: 'as Al' }, 403, 'SB_ERR_FORBIDDEN');
        assert.equal((await messagesOf(conv)).filter((m) => m.senderRole === 'supervisor').length, 2, 'one whisper per send, the refused ones wrote nothing');

        await admin.ok('POST', `${w.t}/conversations/${conv}/state`, 200, { to: 'closed' });
        await refused(w.sue.api, 'POST', `${w.t}/conversations/${conv}/whisper`, { text: 'too late' }, 409, 'SB_ERR_CONVERSATION_CLOSED');
      } finally {
        socket.terminate();
      }
    });

    it('barge: joins once as a supervisor participant, speaks to the customer only while in, and leaves', { skip }, async () => {
      const conv = await active(w.wsA, w.ana);
      const one = `${w.t}/conversations/${conv}`;
      await refused(w.sue.api, 'POST', `${one}/messages`, { senderRole: 'supervisor', visibility: 'public', text: 'Hello' }, 409, 'SB_ERR_NOT_BARGED_IN');

      const joined = await w.sue.api.call('POST', `${one}/barge`);
      assert.equal(joined.status, 201, JSON.stringify(joined.body));
      assert.deepEqual(
        [joined.body.role, joined.body.audience, joined.body.refId, joined.body.displayName, joined.body.leftAt],
        ['supervisor', 'supervisor', w.sue.id, 'Sue Supervisor', null],
      );
      const twice = await w.sue.api.call('POST', `${one}/barge`, {});
      assert.deepEqual([twice.status, twice.body.id], [200, joined.body.id], 'barging in again returns the participant already there');
      await refused(w.sue.api, 'POST', `${one}/barge`, { as: 'someone' }, 400, 'SB_ERR_VALIDATION');
      assert.equal((await participantsOf(conv)).filter((p) => p.role === 'supervisor').length, 1);

      const said = await w.sue.api.ok('POST', `${one}/messages`, 201, { senderRole: 'supervisor', visibility: 'public', text: 'Hello, I am Sue, the team lead.' });
      assert.deepEqual([said.senderRole, said.senderId, said.visibility], ['supervisor', w.sue.id, 'public']);
      // Ownership and capacity stay with Ana: a barge is no transfer.
      const status = await admin.ok('GET', `${w.t}/agents/${w.ana}/status`, 200);
      assert.ok(status.conversations.some((c: { conversationId: string }) => c.conversationId === conv), 'Ana still owns it');

      const events = (await admin.ok('GET', `${w.t}/events?conversationId=${conv}&limit=1000`, 200)).items as { type: string; payload: any }[];
      assert.ok(events.some((e) => e.type === 'participant.added' && e.payload.participant.id === joined.body.id), 'participant.added is in the log');

      await w.sue.api.ok('DELETE', `${one}/participants/${joined.body.id}`, 204);
      await refused(w.sue.api, 'POST', `${one}/messages`, { senderRole: 'supervisor', visibility: 'public', text: 'Still me' }, 409, 'SB_ERR_NOT_BARGED_IN');
      await w.sue.api.ok('POST', `${one}/whisper`, 201, { text: 'watching silently again' });
      const back = await w.sue.api.call('POST', `${one}/barge`);
      assert.equal(back.status, 201, 'after leaving, a barge joins anew');
      assert.notEqual(back.body.id, joined.body.id);

      await admin.ok('POST', `${one}/state`, 200, { to: 'closed' });
      await refused(w.sue.api, 'POST', `${one}/barge`, undefined, 409, 'SB_ERR_CONVERSATION_CLOSED');
    });

    it('force: a supervisor transfers (to a queue or a named agent) and closes a conversation Ana handles; a colleague agent may not', { skip }, async () => {
      const x = await active(w.wsA, w.ana);
      const y = await active(w.wsA, w.ana);
      const z = await active(w.wsA, w.ana);
      const before = await participantsOf(x);
      await refused(w.cyUser.api, 'POST', `${w.t}/conversations/${x}/transfer`, { queueId: w.queueB }, 403, 'SB_ERR_FORBIDDEN');
      for (const to of ['wrap_up', 'closed']) await refused(w.cyUser.api, 'POST', `${w.t}/conversations/${x}/state`, { to }, 403, 'SB_ERR_FORBIDDEN');
      assert.equal(await stateOf(x), 'active');
      assert.deepEqual(await participantsOf(x), before, 'the refused transfer changed nothing');

      const moved = await w.sue.api.ok('POST', `${w.t}/conversations/${x}/transfer`, 200, { queueId: w.queueB, reason: 'billing question' });
      assert.deepEqual([moved.queueId, moved.status, moved.agentId], [w.queueB, 'offered', w.ben], 'routing offers it in the new queue');
      assert.ok((await participantsOf(x)).every((p) => p.role !== 'agent' || p.refId !== w.ana || p.leftAt !== null), 'Ana left it');

      await admin.ok('PUT', `${w.t}/agents/${w.cy}/presence`, 200, { presence: 'available' });
      const toCy = await w.sue.api.ok('POST', `${w.t}/conversations/${y}/transfer`, 200, { agentId: w.cy });
      assert.deepEqual([toCy.status, toCy.agentId], ['offered', w.cy], 'offered to the named agent first');

      const closed = await w.sue.api.ok('POST', `${w.t}/conversations/${z}/state`, 200, { to: 'closed', reason: 'supervisor ended it' });
      assert.equal(closed.state, 'closed');
      const status = await admin.ok('GET', `${w.t}/agents/${w.ana}/status`, 200);
      assert.ok(!status.conversations.some((c: { conversationId: string }) => c.conversationId === z), 'Ana\'s capacity came back');

      // The owner keeps every right she had: wrap-up and close of her own conversation.
      const own = await active(w.wsA, w.ana);
      await w.al.api.ok('POST', `${w.t}/conversations/${own}/state`, 200, { to: 'wrap_up' });
      await w.al.api.ok('POST', `${w.t}/conversations/${own}/state`, 200, { to: 'closed' });
      await admin.ok('PUT', `${w.t}/agents/${w.cy}/presence`, 200, { presence: 'offline' });
    });

    it('scope: out of the supervisor\'s queues, and in another tenant, everything answers not found and changes nothing', { skip }, async () => {
      const inB = await active(w.wsB, w.ben);
      const before = [await messagesOf(inB), await participantsOf(inB), await stateOf(inB)];
      const one = `${w.t}/conversations/${inB}`;
      const probes: [string, 'GET' | 'POST', string, unknown][] = [
        ['whisper', 'POST', `${one}/whisper`, { text: 'psst' }],
        ['barge', 'POST', `${one}/barge`, undefined],
        ['post as supervisor', 'POST', `${one}/messages`, { senderRole: 'supervisor', visibility: 'internal', text: 'note' }],
        ['transfer', 'POST', `${one}/transfer`, { queueId: w.queueA }],
        ['close', 'POST', `${one}/state`, { to: 'closed' }],
        ['monitor', 'GET', `${one}/messages`, undefined],
      ];
      for (const [what, method, url, body] of probes) {
        const reply = await w.sue.api.call(method, url, body);
        assert.equal(reply.status, 404, `${what}: ${reply.status} ${JSON.stringify(reply.body)}`);
        assertErrorBody(reply.body, 'SB_ERR_CONVERSATION_NOT_FOUND');
      }
      assert.deepEqual([await messagesOf(inB), await participantsOf(inB), await stateOf(inB)], before);

      const other = await admin.ok('POST', '/v1/tenants', 201, { name: 'Other' });
      const ot = `/v1/tenants/${other.id}`;
      const ch = await admin.ok('POST', `${ot}/channels`, 201, { type: 'webchat', name: 'Other chat' });
      const foreign = (await admin.ok('POST', `${ot}/conversations`, 201, { channelId: ch.id, customer: { address: 'stranger' } })).id;
      await refused(w.sue.api, 'POST', `${w.t}/conversations/${foreign}/whisper`, { text: 'psst' }, 404, 'SB_ERR_CONVERSATION_NOT_FOUND');
      await refused(w.sue.api, 'POST', `${w.t}/conversations/${foreign}/barge`, undefined, 404, 'SB_ERR_CONVERSATION_NOT_FOUND');
      await refused(w.sue.api, 'POST', `${ot}/conversations/${foreign}/whisper`, { text: 'psst' }, 404, 'SB_ERR_TENANT_NOT_FOUND');
      await refused(w.sue.api, 'GET', `${ot}/routing/agents`, undefined, 404, 'SB_ERR_TENANT_NOT_FOUND');
      assert.deepEqual((await admin.ok('GET', `${ot}/conversations/${foreign}/messages`, 200)).items, [], 'nothing reached the other tenant');
      assert.deepEqual((await admin.ok('GET', `${ot}/conversations/${foreign}/participants`, 200)).items.map((p: { role: string }) => p.role), ['customer']);
    });

    it('the wallboard: agents in scope with presence, load and work; conversations filtered by queue, agent and state', { skip }, async () => {
      const conv = await active(w.wsA, w.ana);
      const board = (await w.sue.api.ok('GET', `${w.t}/routing/agents`, 200)).items as Record<string, any>[];
      assert.deepEqual(board.map((a) => a.agentId), [w.ana, w.cy], 'Sue sees the members of her queue only');
      const ana = board[0]!;
      assert.deepEqual([ana.displayName, ana.kind, ana.presence, ana.capacity], ['Ana', 'human', 'available', 20]);
      assert.ok(ana.usedCapacity >= 1 && typeof ana.presenceSince === 'string' && Array.isArray(ana.pendingOffers) && ana.missedOffers === 0);
      assert.ok(ana.conversations.some((c: { conversationId: string; status: string; queueId: string }) => c.conversationId === conv && c.status === 'assigned' && c.queueId === w.queueA));
      const single = await admin.ok('GET', `${w.t}/agents/${w.ana}/status`, 200);
      assert.deepEqual({ ...ana, displayName: undefined, kind: undefined }, { ...single, displayName: undefined, kind: undefined }, 'each line is the agent\'s status');
      const all = (await admin.ok('GET', `${w.t}/routing/agents`, 200)).items as { agentId: string; kind: string }[];
      assert.deepEqual(all.map((a) => a.agentId), [w.ana, w.ben, w.cy, w.bot], 'a tenant-wide caller sees every agent, bots too');
      assert.equal(all.find((a) => a.agentId === w.bot)?.kind, 'bot');

      const ids = async (api: Client, query: string) => ((await api.ok('GET', `${w.t}/conversations?${query}`, 200)).items as { id: string }[]).map((c) => c.id);
      assert.ok((await ids(w.sue.api, `queueId=${w.queueA}&state=active`)).includes(conv));
      assert.ok((await ids(w.sue.api, `agentId=${w.ana}`)).includes(conv));
      assert.ok(!(await ids(w.sue.api, `agentId=${w.ana}&state=closed`)).includes(conv));
      assert.deepEqual(await ids(w.sue.api, `agentId=${w.ben}`), [], 'Ben\'s conversations are in queue B, outside Sue\'s scope');
      assert.deepEqual(await ids(w.sue.api, `queueId=${w.queueB}`), []);
      assert.ok((await ids(admin, `agentId=${w.ben}`)).length > 0, 'they exist');
      await refused(w.sue.api, 'GET', `${w.t}/conversations?state=chatting`, undefined, 400, 'SB_ERR_VALIDATION');
      await refused(w.sue.api, 'GET', `${w.t}/conversations?agentId=${encodeURIComponent('not an id')}`, undefined, 400, 'SB_ERR_VALIDATION');
      await refused(w.sue.api, 'GET', `${w.t}/conversations?owner=${w.ana}`, undefined, 400, 'SB_ERR_VALIDATION');
    });

    it('presence: a supervisor changes the presence of an agent of their queues, not of others; an agent only their own', { skip }, async () => {
      const changed = await w.sue.api.ok('PUT', `${w.t}/agents/${w.cy}/presence`, 200, { presence: 'away' });
      assert.equal(changed.presence, 'away');
      await refused(w.sue.api, 'PUT', `${w.t}/agents/${w.ben}/presence`, { presence: 'away' }, 404, 'SB_ERR_AGENT_NOT_FOUND');
      await refused(w.al.api, 'PUT', `${w.t}/agents/${w.cy}/presence`, { presence: 'available' }, 403, 'SB_ERR_FORBIDDEN');
      const board = (await w.sue.api.ok('GET', `${w.t}/routing/agents`, 200)).items as { agentId: string; presence: string }[];
      assert.equal(board.find((a) => a.agentId === w.cy)?.presence, 'away', 'the board shows it');
      assert.equal((await admin.ok('GET', `${w.t}/agents/${w.ben}`, 200)).presence, 'available', 'Ben is untouched');
      await w.sue.api.ok('PUT', `${w.t}/agents/${w.cy}/presence`, 200, { presence: 'offline' });
    });

    it('a customer on Direct Line hears the barged-in supervisor by name, and never the whisper', { skip }, async () => {
      const customer = await customerOnDirectLine(base, w.secret, { id: `dl_dana_${database}`, name: 'Dana' });
      try {
        await customer.say('Hello, my order is late');
        let conv = '';
        await until(async () => {
          const pending = (await admin.ok('GET', `${w.t}/agents/${w.ana}/offers?status=pending`, 200)).items as { id: string; conversationId: string }[];
          for (const offer of pending) {
            const messages = await messagesOf(offer.conversationId);
            if (messages.some((m) => m.text === 'Hello, my order is late')) {
              conv = offer.conversationId;
              await w.al.api.ok('POST', `${w.t}/agents/${w.ana}/offers/${offer.id}/accept`, 200);
              return true;
            }
          }
          return false;
        }, 'the customer\'s conversation is offered to Ana');
        const one = `${w.t}/conversations/${conv}`;
        await w.al.api.ok('POST', `${one}/messages`, 201, { senderRole: 'agent', senderId: w.ana, text: 'Ana here, let me check.' });
        await w.sue.api.ok('POST', `${one}/whisper`, 201, { text: 'Whisper: offer free shipping' });
        await w.sue.api.ok('POST', `${one}/barge`, 201);
        await w.sue.api.ok('POST', `${one}/messages`, 201, { senderRole: 'supervisor', visibility: 'public', text: 'Sue here: it ships today.' });

        const fromSue = await customer.received('Sue here: it ships today.');
        assert.equal(fromSue.from.name, 'Sue Supervisor', 'the supervisor\'s display name');
        assert.equal(fromSue.from.id, w.sue.id);
        assert.equal((await customer.received('Ana here, let me check.')).from.name, 'Ana');
        // Delivery is in message order: the whisper came before Sue's words, so it would be here by now.
        assert.ok(!customer.seen.some((a) => a.text?.includes('Whisper')), `the customer never receives the whisper: ${JSON.stringify(customer.seen.map((a) => a.text))}`);
      } finally {
        customer.end();
      }
    });
  });
}
