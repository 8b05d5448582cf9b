import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { SYSTEM_CALLER } from '../../src/app/caller.js';
import { SwitchboardError } from '../../src/app/errors.js';
import type { Storage } from '../../src/app/ports/storage.js';
import { changeConversationState } from '../../src/app/use-cases/change-conversation-state.js';
import { createAgent } from '../../src/app/use-cases/create-agent.js';
import { createChannel } from '../../src/app/use-cases/create-channel.js';
import { createContact } from '../../src/app/use-cases/create-contact.js';
import { createConversation } from '../../src/app/use-cases/create-conversation.js';
import { createQueue } from '../../src/app/use-cases/create-queue.js';
import { createTenant } from '../../src/app/use-cases/create-tenant.js';
import { postMessage } from '../../src/app/use-cases/post-message.js';
import { setContext } from '../../src/app/use-cases/set-context.js';
import type { Agent, Conversation } from '../../src/core/model.js';
import { closeHarness, openMigrated, type ContractDeps } from './contract-harness.js';

export interface StorageHarness {
  readonly storage: Storage;
  /** Drops what the harness created (temp file, schema). */
  cleanup(): Promise<void>;
}

/**
 * The behaviour every Storage adapter must have. Run against SQLite always and PostgreSQL when it
 * is reachable (required in CI), so the embedded default cannot drift from the scale-out store.
 */
export function storageContract(name: string, open: () => Promise<StorageHarness>, skip: false | string = false): void {
  describe(`Storage contract: ${name}`, { skip }, () => {
    let harness: StorageHarness;
    let deps: ContractDeps;
    const caller = SYSTEM_CALLER;

    before(async () => {
      ({ harness, deps } = await openMigrated(open));
    });
    after(() => closeHarness(harness));

    async function world() {
      const tenant = await createTenant(deps, caller, { name: 'Acme' });
      const channel = await createChannel(deps, caller, tenant.id, { type: 'webchat', name: 'Site' });
      return { tenant, channel };
    }
    async function conversationIn(tenantId: string, channelId: string, address = `visitor-${deps.ids.next('x')}`): Promise<Conversation> {
      return (await createConversation(deps, caller, tenantId, { channelId, customer: { address } })).conversation;
    }

    it('migrating twice is a no-op the second time', async () => {
      const again = await harness.storage.migrate();
      assert.deepEqual(again.applied, []);
      assert.ok(again.current >= 1);
    });

    it('answers a ping', async () => {
      await harness.storage.ping();
    });

    it('stores and reads back every entity unchanged', async () => {
      const { tenant, channel } = await world();
      assert.deepEqual(await harness.storage.read.getTenant(tenant.id), tenant);
      assert.deepEqual(await harness.storage.read.getChannel(tenant.id, channel.id), channel);
      const contact = await createContact(deps, caller, tenant.id, {
        displayName: 'Dana', attributes: { crmId: '42' }, identities: [{ channelType: 'email', address: 'dana@example.com' }],
      });
      assert.deepEqual(await harness.storage.read.getContact(tenant.id, contact.id), contact);
      const agent = await createAgent(deps, caller, tenant.id, { kind: 'human', displayName: 'Alice', email: 'a@example.com', capacity: 4 });
      assert.deepEqual(await harness.storage.read.getAgent(tenant.id, agent.id), agent);
      const queue = await createQueue(deps, caller, tenant.id, { name: 'Support', priority: 3, memberIds: [agent.id] });
      assert.deepEqual(await harness.storage.read.getQueue(tenant.id, queue.id), queue);
      const created = await createConversation(deps, caller, tenant.id, { channelId: channel.id, contactId: contact.id, subject: 'Hi', priority: 2, queueId: queue.id });
      assert.deepEqual(await harness.storage.read.getConversation(tenant.id, created.conversation.id), created.conversation);
      assert.deepEqual(await harness.storage.read.listParticipants(tenant.id, created.conversation.id), created.participants);
    });

    it('never returns another tenant’s rows for a known id', async () => {
      const a = await world();
      const b = await world();
      const conv = await conversationIn(b.tenant.id, b.channel.id);
      const r = harness.storage.read;
      assert.equal(await r.getConversation(a.tenant.id, conv.id), undefined);
      assert.equal(await r.getChannel(a.tenant.id, b.channel.id), undefined);
      assert.equal(await r.getContact(a.tenant.id, conv.contactId), undefined);
      assert.deepEqual(await r.listMessages(a.tenant.id, conv.id, 0, 10), []);
      assert.deepEqual(await r.getContext(a.tenant.id, conv.id), []);
      assert.deepEqual(await r.listParticipants(a.tenant.id, conv.id), []);
      assert.ok((await r.readEvents(a.tenant.id, 0, 1000)).every((e) => e.tenantId === a.tenant.id));
      assert.ok((await r.listConversations(a.tenant.id, {}, { limit: 100 })).every((c) => c.tenantId === a.tenant.id));
    });

    it('finds a contact by channel identity and refuses the same identity twice', async () => {
      const { tenant, channel } = await world();
      const first = await conversationIn(tenant.id, channel.id, 'visitor-7');
      const second = await conversationIn(tenant.id, channel.id, 'visitor-7');
      assert.equal(second.contactId, first.contactId, 'the returning visitor is the same contact');
      await assert.rejects(
        createContact(deps, caller, tenant.id, { identities: [{ channelType: 'webchat', address: 'visitor-7' }] }),
        (e: unknown) => e instanceof SwitchboardError && e.code === 'SB_ERR_CONTACT_IDENTITY_TAKEN',
      );
    });

    it('numbers messages 1, 2, 3 ... per conversation', async () => {
      const { tenant, channel } = await world();
      const one = await conversationIn(tenant.id, channel.id);
      const two = await conversationIn(tenant.id, channel.id);
      for (const text of ['a', 'b', 'c']) await postMessage(deps, caller, tenant.id, one.id, { senderRole: 'customer', text });
      await postMessage(deps, caller, tenant.id, two.id, { senderRole: 'customer', text: 'x' });
      assert.deepEqual((await harness.storage.read.listMessages(tenant.id, one.id, 0, 10)).map((m) => [m.seq, m.text]), [[1, 'a'], [2, 'b'], [3, 'c']]);
      assert.deepEqual((await harness.storage.read.listMessages(tenant.id, one.id, 1, 10)).map((m) => m.seq), [2, 3]);
      assert.deepEqual((await harness.storage.read.listMessages(tenant.id, two.id, 0, 10)).map((m) => m.seq), [1]);
      assert.equal((await harness.storage.read.getConversation(tenant.id, one.id))?.lastSeq, 3);
    });

    it('keeps sequences gap-free and unique under concurrent sends', async () => {
      const { tenant, channel } = await world();
      const conv = await conversationIn(tenant.id, channel.id);
      const sends = Array.from({ length: 40 }, (_, i) => postMessage(deps, caller, tenant.id, conv.id, { senderRole: 'customer', text: `m${i}` }));
      const results = await Promise.all(sends);
      const seqs = results.map((r) => r.message.seq).sort((x, y) => x - y);
      assert.deepEqual(seqs, Array.from({ length: 40 }, (_, i) => i + 1));
      assert.equal((await harness.storage.read.listMessages(tenant.id, conv.id, 0, 100)).length, 40);
    });

    it('returns the first message for a retried idempotency key, even when retries race', async () => {
      const { tenant, channel } = await world();
      const conv = await conversationIn(tenant.id, channel.id);
      const send = () => postMessage(deps, caller, tenant.id, conv.id, { senderRole: 'customer', text: 'once', idempotencyKey: 'k-1' });
      const results = await Promise.all([send(), send(), send(), send()]);
      assert.equal(new Set(results.map((r) => r.message.id)).size, 1);
      assert.equal(results.filter((r) => r.created).length, 1);
      assert.equal((await harness.storage.read.listMessages(tenant.id, conv.id, 0, 10)).length, 1);
      await assert.rejects(
        postMessage(deps, caller, tenant.id, conv.id, { senderRole: 'customer', text: 'different', idempotencyKey: 'k-1' }),
        (e: unknown) => e instanceof SwitchboardError && e.code === 'SB_ERR_IDEMPOTENCY_CONFLICT',
      );
    });

    it('commits a use case’s writes and events together or not at all', async () => {
      const { tenant, channel } = await world();
      const conv = await conversationIn(tenant.id, channel.id);
      const eventsBefore = await harness.storage.read.readEvents(tenant.id, 0, 1000);
      await assert.rejects(
        harness.storage.transaction(async (tx) => {
          const seq = await tx.nextMessageSeq(tenant.id, conv.id, '2026-01-01T09:00:00.000Z');
          await tx.insertMessage({
            id: 'msg_rolled_back', tenantId: tenant.id, conversationId: conv.id, seq, senderRole: 'customer', senderId: null,
            visibility: 'public', text: 'never', attachments: [], idempotencyKey: null, channelData: null, createdAt: '2026-01-01T09:00:00.000Z', editedAt: null, deletedAt: null,
          });
          await tx.appendEvent({ tenantId: tenant.id, type: 'message.created', conversationId: conv.id, actor: { kind: 'system', id: null }, occurredAt: '2026-01-01T09:00:00.000Z', payload: {} });
          throw new Error('boom after the writes');
        }),
        /boom/,
      );
      assert.deepEqual(await harness.storage.read.listMessages(tenant.id, conv.id, 0, 10), []);
      assert.equal((await harness.storage.read.getConversation(tenant.id, conv.id))?.lastSeq, 0);
      assert.deepEqual(await harness.storage.read.readEvents(tenant.id, 0, 1000), eventsBefore);
    });

    it('never remembers a tenant whose insert rolled back, and finds it once committed', async () => {
      const tenant = { id: 'ten_rolled_back', name: 'Gone', createdAt: '2026-01-01T09:00:00.000Z' };
      await assert.rejects(harness.storage.transaction(async (tx) => {
        await tx.insertTenant(tenant);
        assert.deepEqual(await tx.getTenant(tenant.id), tenant);
        throw new Error('boom after the insert');
      }), /boom/);
      assert.equal(await harness.storage.read.getTenant(tenant.id), undefined);
      await harness.storage.transaction((tx) => tx.insertTenant(tenant));
      assert.deepEqual(await harness.storage.read.getTenant(tenant.id), tenant);
      // The second read is answered from what the first found; inside a transaction too.
      assert.deepEqual(await harness.storage.read.getTenant(tenant.id), tenant);
      assert.deepEqual(await harness.storage.transaction((tx) => tx.getTenant(tenant.id)), tenant);
    });

    it('rolls back only the failing one of many concurrent transactions', async () => {
      const { tenant, channel } = await world();
      const conv = await conversationIn(tenant.id, channel.id);
      const outcomes = await Promise.allSettled(Array.from({ length: 12 }, (_, i) =>
        postMessage(deps, caller, tenant.id, conv.id, i === 5
          ? { senderRole: 'customer', text: '', attachments: [] } // invalid: rejected before writing
          : { senderRole: 'customer', text: `t${i}` })));
      const failing = await Promise.allSettled(Array.from({ length: 6 }, (_, i) =>
        harness.storage.transaction(async (tx) => {
          await tx.nextMessageSeq(tenant.id, conv.id, '2026-01-01T09:00:00.000Z');
          if (i % 2 === 1) throw new Error(`unit ${i} fails after a write`);
          return i;
        })));
      assert.deepEqual(outcomes.map((o) => o.status).filter((s) => s === 'rejected').length, 1);
      assert.deepEqual(failing.map((o) => o.status), ['fulfilled', 'rejected', 'fulfilled', 'rejected', 'fulfilled', 'rejected']);
      // 11 messages plus 3 surviving sequence reservations; the 3 failed reservations left no trace.
      assert.equal((await harness.storage.read.getConversation(tenant.id, conv.id))?.lastSeq, 14);
      assert.deepEqual((await harness.storage.read.listMessages(tenant.id, conv.id, 0, 100)).map((m) => m.seq), Array.from({ length: 11 }, (_, i) => i + 1));
    });

    it('changes state only from the state it was read in (compare-and-set)', async () => {
      const { tenant, channel } = await world();
      const conv = await conversationIn(tenant.id, channel.id);
      const won = await harness.storage.transaction((tx) => tx.updateConversationState(tenant.id, conv.id, 'open', 'queued', '2026-01-01T09:00:01.000Z'));
      const lost = await harness.storage.transaction((tx) => tx.updateConversationState(tenant.id, conv.id, 'open', 'bot', '2026-01-01T09:00:02.000Z'));
      assert.equal(won, true);
      assert.equal(lost, false);
      assert.equal((await harness.storage.read.getConversation(tenant.id, conv.id))?.state, 'queued');
    });

    it('lets exactly one of two racing transitions from the same state win', async () => {
      const { tenant, channel } = await world();
      const conv = await conversationIn(tenant.id, channel.id);
      const results = await Promise.allSettled([
        changeConversationState(deps, caller, tenant.id, conv.id, { to: 'queued', expectedState: 'open' }),
        changeConversationState(deps, caller, tenant.id, conv.id, { to: 'bot', expectedState: 'open' }),
      ]);
      assert.equal(results.filter((r) => r.status === 'fulfilled').length, 1);
      const stateEvents = (await harness.storage.read.readEvents(tenant.id, 0, 1000, conv.id)).filter((e) => e.type === 'conversation.state_changed');
      assert.equal(stateEvents.length, 1);
    });

    it('sets closedAt when a conversation ends', async () => {
      const { tenant, channel } = await world();
      const conv = await conversationIn(tenant.id, channel.id);
      deps.clock.advance(1000);
      const closed = await changeConversationState(deps, caller, tenant.id, conv.id, { to: 'closed' });
      const stored = await harness.storage.read.getConversation(tenant.id, conv.id);
      assert.equal(stored?.state, 'closed');
      assert.equal(stored?.closedAt, closed.closedAt);
      assert.notEqual(stored?.closedAt, null);
    });

    it('stores typed context variables and removes them', async () => {
      const { tenant, channel } = await world();
      const conv = await conversationIn(tenant.id, channel.id);
      await setContext(deps, caller, tenant.id, conv.id, {
        'customer.tier': { type: 'string', value: 'gold' },
        'cart.total': { type: 'number', value: 99.5 },
        authenticated: { type: 'boolean', value: false },
        'order.placedAt': { type: 'datetime', value: '2026-01-31T10:00:00+01:00' },
        'customer.segments': { type: 'list', value: ['vip', 3, true] },
      });
      const afterRemove = await setContext(deps, caller, tenant.id, conv.id, { authenticated: null, 'cart.total': { type: 'number', value: 100 } });
      assert.deepEqual(afterRemove, [
        { name: 'cart.total', type: 'number', value: 100 },
        { name: 'customer.segments', type: 'list', value: ['vip', 3, true] },
        { name: 'customer.tier', type: 'string', value: 'gold' },
        { name: 'order.placedAt', type: 'datetime', value: '2026-01-31T09:00:00.000Z' },
      ]);
      assert.deepEqual(await harness.storage.read.getContext(tenant.id, conv.id), afterRemove);
    });

    it('pages conversations newest first with filters', async () => {
      const { tenant, channel } = await world();
      const made: Conversation[] = [];
      for (let i = 0; i < 5; i++) made.push(await conversationIn(tenant.id, channel.id));
      await changeConversationState(deps, caller, tenant.id, made[1]!.id, { to: 'queued' });
      await changeConversationState(deps, caller, tenant.id, made[3]!.id, { to: 'queued' });
      const r = harness.storage.read;
      const first = await r.listConversations(tenant.id, {}, { limit: 2 });
      const second = await r.listConversations(tenant.id, {}, { limit: 2, beforeId: first[1]!.id });
      const third = await r.listConversations(tenant.id, {}, { limit: 2, beforeId: second[1]!.id });
      assert.deepEqual([...first, ...second, ...third].map((c) => c.id), made.map((c) => c.id).reverse());
      assert.deepEqual((await r.listConversations(tenant.id, { state: ['queued'] }, { limit: 10 })).map((c) => c.id), [made[3]!.id, made[1]!.id]);
      assert.deepEqual((await r.listConversations(tenant.id, { state: ['queued', 'open'], contactId: made[0]!.contactId }, { limit: 10 })).map((c) => c.id), [made[0]!.id]);
    });

    it('filters conversations by the agent taking part in them now (active agent or bot participants only)', async () => {
      const { tenant, channel } = await world();
      const [a, b, c] = [await conversationIn(tenant.id, channel.id), await conversationIn(tenant.id, channel.id), await conversationIn(tenant.id, channel.id)];
      const at = new Date().toISOString();
      const part = (conversationId: string, role: 'agent' | 'bot' | 'supervisor', refId: string) => ({
        id: deps.ids.next('par'), tenantId: tenant.id, conversationId, role, refId, displayName: refId, audience: role === 'bot' ? 'customer' as const : 'agent' as const, joinedAt: at, leftAt: null,
      });
      const left = part(b.id, 'agent', 'agt_ana');
      await harness.storage.transaction(async (tx) => {
        await tx.insertParticipant(part(a.id, 'agent', 'agt_ana'));
        await tx.insertParticipant(left);
        await tx.markParticipantLeft(tenant.id, left.id, at);
        // A supervisor whose id happens to equal the agent's is not the agent handling it.
        await tx.insertParticipant(part(c.id, 'supervisor', 'agt_ana'));
        await tx.insertParticipant(part(c.id, 'bot', 'agt_bot'));
      });
      const r = harness.storage.read;
      const ids = async (filter: Parameters<typeof r.listConversations>[1]) => (await r.listConversations(tenant.id, filter, { limit: 10 })).map((x) => x.id);
      assert.deepEqual(await ids({ agentId: 'agt_ana' }), [a.id]);
      assert.deepEqual(await ids({ agentId: 'agt_bot' }), [c.id]);
      assert.deepEqual(await ids({ agentId: 'agt_ana', state: ['closed'] }), []);
      assert.deepEqual(await ids({ agentId: 'agt_nobody' }), []);
      const other = await world();
      assert.deepEqual((await r.listConversations(other.tenant.id, { agentId: 'agt_ana' }, { limit: 10 })), [], 'another tenant finds none of them');
    });

    it('appends events with ids that increase in commit order, readable after an id', async () => {
      const { tenant, channel } = await world();
      const conv = await conversationIn(tenant.id, channel.id);
      await Promise.all(Array.from({ length: 10 }, (_, i) => postMessage(deps, caller, tenant.id, conv.id, { senderRole: 'customer', text: `e${i}` })));
      const all = await harness.storage.read.readEvents(tenant.id, 0, 1000);
      const ids = all.map((e) => e.id);
      assert.deepEqual(ids, [...ids].sort((x, y) => x - y));
      assert.equal(new Set(ids).size, ids.length);
      // Message events appear in sequence order: commit order equals id order.
      const seqs = all.filter((e) => e.type === 'message.created' && e.conversationId === conv.id).map((e) => (e.payload.message as { seq: number }).seq);
      assert.deepEqual(seqs, Array.from({ length: 10 }, (_, i) => i + 1));
      const tail = await harness.storage.read.readEvents(tenant.id, ids[4]!, 3);
      assert.deepEqual(tail.map((e) => e.id), ids.slice(5, 8));
      assert.equal(await harness.storage.read.latestEventId(tenant.id), ids[ids.length - 1]);
      const onlyConv = await harness.storage.read.readEvents(tenant.id, 0, 1000, conv.id);
      assert.ok(onlyConv.length > 0 && onlyConv.every((e) => e.conversationId === conv.id));
      assert.equal(all[0]!.type, 'tenant.created');
      assert.deepEqual(all[0]!.actor, { kind: 'system', id: null });
    });

    it('publishes events only after they are committed', async () => {
      const { tenant, channel } = await world();
      const before = deps.bus.published.length;
      await assert.rejects(createConversation(deps, caller, tenant.id, { channelId: channel.id, customer: { address: 'v' }, queueId: 'que_missing' }));
      assert.equal(deps.bus.published.length, before, 'a rolled-back use case publishes nothing');
      const conv = await conversationIn(tenant.id, channel.id);
      const published = deps.bus.published.slice(before);
      const stored = await harness.storage.read.readEvents(tenant.id, 0, 1000, conv.id);
      assert.deepEqual(published.filter((e) => e.conversationId === conv.id), stored);
    });

    it('stores api keys by hash and counts them', async () => {
      const n = await harness.storage.read.countApiKeys();
      await harness.storage.transaction((tx) => tx.insertApiKey({ id: 'key_contract', secretHash: 'ab'.repeat(32), label: 'contract', createdAt: '2026-01-01T09:00:00.000Z', revokedAt: null }));
      assert.equal(await harness.storage.read.countApiKeys(), n + 1);
      assert.deepEqual(await harness.storage.read.getApiKey('key_contract'), { id: 'key_contract', secretHash: 'ab'.repeat(32), label: 'contract', createdAt: '2026-01-01T09:00:00.000Z', revokedAt: null });
    });

    it('refuses a second membership of the same agent in a queue', async () => {
      const { tenant } = await world();
      const agent = await createAgent(deps, caller, tenant.id, { kind: 'bot', displayName: 'Bot' });
      const queue = await createQueue(deps, caller, tenant.id, { name: 'Q', memberIds: [agent.id] });
      assert.equal(await harness.storage.transaction((tx) => tx.addQueueMember(tenant.id, queue.id, agent.id, '2026-01-01T09:00:00.000Z')), false);
      assert.deepEqual((await harness.storage.read.getQueue(tenant.id, queue.id))?.memberIds, [agent.id]);
    });

    it('gives an app id to one agent per tenant, found by it; people and unbound bots share null', async () => {
      const { tenant } = await world();
      const other = await createTenant(deps, caller, { name: 'Globex' });
      const bot = (id: string, tenantId: string, appId: string | null): Agent => ({
        id, tenantId, kind: 'bot', displayName: id, email: null, appId, capacity: 10, usedCapacity: 0, presence: 'available',
        presenceSince: '2026-01-01T09:00:00.000Z', skills: { english: 5 }, attributes: {}, lastAssignedAt: null, missedOffers: 0,
        createdAt: '2026-01-01T09:00:00.000Z',
      });
      const insert = (agent: Agent) => harness.storage.transaction((tx) => tx.insertAgent(agent));
      assert.equal(await insert(bot('agt_app_1', tenant.id, 'app-contract')), true);
      assert.equal(await insert(bot('agt_app_2', tenant.id, 'app-contract')), false, 'the same app id twice in a tenant');
      assert.equal(await harness.storage.read.getAgent(tenant.id, 'agt_app_2'), undefined, 'the refused insert wrote nothing');
      assert.equal(await insert(bot('agt_app_3', other.id, 'app-contract')), true, 'another tenant may bind the same app');
      assert.equal(await insert(bot('agt_app_4', tenant.id, null)), true);
      assert.equal(await insert(bot('agt_app_5', tenant.id, null)), true);
      assert.deepEqual(await harness.storage.read.getAgentByAppId(tenant.id, 'app-contract'), bot('agt_app_1', tenant.id, 'app-contract'));
      assert.equal((await harness.storage.read.getAgentByAppId(other.id, 'app-contract'))?.id, 'agt_app_3');
      assert.equal(await harness.storage.read.getAgentByAppId(tenant.id, 'app-unknown'), undefined);
      await harness.storage.transaction((tx) => tx.routing.updateAgent(tenant.id, 'agt_app_1', { appId: null }));
      assert.equal(await harness.storage.read.getAgentByAppId(tenant.id, 'app-contract'), undefined);
    });
  });
}
