import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { SYSTEM_CALLER } from '../../src/app/caller.js';
import type { WorkspaceTx } from '../../src/app/ports/workspace-storage.js';
import { createChannel } from '../../src/app/use-cases/create-channel.js';
import { createConversation } from '../../src/app/use-cases/create-conversation.js';
import { createQueue } from '../../src/app/use-cases/create-queue.js';
import { createTenant } from '../../src/app/use-cases/create-tenant.js';
import type { QuickReply } from '../../src/core/workspace/quick-reply.js';
import type { WrapUp } from '../../src/core/workspace/wrap-up.js';
import type { StorageHarness } from './storage-contract.js';
import { closeHarness, openMigrated, type ContractDeps } from './contract-harness.js';

const BASE = Date.UTC(2026, 0, 1, 9, 0, 0);
const at = (s: number): string => new Date(BASE + s * 1000).toISOString();

/**
 * The behaviour every Storage adapter must have for the agent workspace (`storage.read.workspace`,
 * `tx.workspace`): wrap-up records that end once, quick replies per queue, the tenant's CRM lookup
 * replaced in place; every read confined to its tenant.
 */
export function workspaceStorageContract(name: string, open: () => Promise<StorageHarness>, skip: false | string = false): void {
  describe(`Workspace storage contract: ${name}`, { skip }, () => {
    let harness: StorageHarness;
    let deps: ContractDeps;

    before(async () => {
      ({ harness, deps } = await openMigrated(open, BASE));
    });
    after(() => closeHarness(harness));

    const reads = () => harness.storage.read.workspace;
    const write = <T>(work: (w: WorkspaceTx) => Promise<T>): Promise<T> => harness.storage.transaction((tx) => work(tx.workspace));

    async function world() {
      const tenant = await createTenant(deps, SYSTEM_CALLER, { name: 'Acme' });
      const channel = await createChannel(deps, SYSTEM_CALLER, tenant.id, { type: 'webchat', name: 'Site' });
      const queue = await createQueue(deps, SYSTEM_CALLER, tenant.id, { name: 'Support' });
      const conversation = async () => (await createConversation(deps, SYSTEM_CALLER, tenant.id, { channelId: channel.id, customer: { address: deps.ids.next('visitor') } })).conversation.id;
      return { tenantId: tenant.id, queueId: queue.id, conversation };
    }

    const started = (tenantId: string, conversationId: string, patch: Partial<WrapUp> = {}): WrapUp => ({
      tenantId, conversationId, queueId: 'que_gone', agentId: 'agt_ana', startedAt: at(10), dueAt: at(70),
      endedAt: null, endReason: null, code: null, label: null, notes: null, endedBy: null, ...patch,
    });

    it('starts a wrap-up, lists it as pending, ends it once with its outcome and keeps it', async () => {
      const w = await world();
      const [first, second, third] = [await w.conversation(), await w.conversation(), await w.conversation()];
      await write((s) => s.insertWrapUp(started(w.tenantId, second, { startedAt: at(20), dueAt: null, agentId: null, queueId: null })));
      await write((s) => s.insertWrapUp(started(w.tenantId, first)));
      assert.deepEqual(await reads().getWrapUp(w.tenantId, first), started(w.tenantId, first));
      assert.equal(await reads().getWrapUp(w.tenantId, third), undefined);
      assert.deepEqual((await reads().listPendingWrapUps(w.tenantId)).map((x) => x.conversationId), [first, second], 'oldest first');

      const notes = 'Rückerstattung «ok» 👋\nline two';
      const end = { endedAt: at(52.5), endReason: 'finished' as const, code: 'refund', label: 'Refund granted', notes, endedBy: { kind: 'user' as const, id: 'usr_1' } };
      assert.equal(await write((s) => s.endWrapUp(w.tenantId, first, end)), true);
      assert.equal(await write((s) => s.endWrapUp(w.tenantId, first, { ...end, code: 'other', endedAt: at(60) })), false, 'a wrap-up ends once');
      assert.equal(await write((s) => s.endWrapUp(w.tenantId, third, end)), false, 'no wrap-up, nothing to end');
      const { endedBy, ...rest } = end;
      assert.deepEqual(await reads().getWrapUp(w.tenantId, first), { ...started(w.tenantId, first), ...rest, endedBy });
      assert.deepEqual((await reads().listPendingWrapUps(w.tenantId)).map((x) => x.conversationId), [second]);
      await write((s) => s.endWrapUp(w.tenantId, second, { endedAt: at(90), endReason: 'timed-out', code: null, label: null, notes: null, endedBy: { kind: 'system', id: null } }));
      assert.deepEqual((await reads().getWrapUp(w.tenantId, second))?.endedBy, { kind: 'system', id: null });
      await assert.rejects(write((s) => s.insertWrapUp(started(w.tenantId, first))), 'a conversation has one wrap-up');
    });

    it('keeps quick replies per queue in creation order, patches only what is given, deletes one or a whole queue', async () => {
      const w = await world();
      const other = await createQueue(deps, SYSTEM_CALLER, w.tenantId, { name: 'Other' });
      const reply = (id: string, queueId: string, patch: Partial<QuickReply> = {}): QuickReply => ({
        id, tenantId: w.tenantId, queueId, title: `Greeting ${id}`, text: 'Hello {{customer.name}},\n«merci» 👋', createdAt: at(1), updatedAt: at(1), ...patch,
      });
      const [a, b, c] = [reply('qr_0001', w.queueId), reply('qr_0002', w.queueId, { title: 'Bye', createdAt: at(2), updatedAt: at(2) }), reply('qr_0003', other.id)];
      for (const r of [b, a, c]) await write((s) => s.insertQuickReply(r));
      assert.deepEqual(await reads().listQuickReplies(w.tenantId, w.queueId), [a, b]);
      assert.deepEqual(await reads().getQuickReply(w.tenantId, c.id), c);

      assert.equal(await write((s) => s.updateQuickReply(w.tenantId, a.id, { text: 'Changed {{agent.name}}' }, at(5))), true);
      assert.deepEqual(await reads().getQuickReply(w.tenantId, a.id), { ...a, text: 'Changed {{agent.name}}', updatedAt: at(5) });
      assert.equal(await write((s) => s.updateQuickReply(w.tenantId, a.id, { title: 'Renamed' }, at(6))), true);
      assert.deepEqual(await reads().getQuickReply(w.tenantId, a.id), { ...a, title: 'Renamed', text: 'Changed {{agent.name}}', updatedAt: at(6) });
      assert.equal(await write((s) => s.updateQuickReply(w.tenantId, 'qr_missing', { title: 'x' }, at(7))), false);

      assert.equal(await write((s) => s.deleteQuickReply(w.tenantId, b.id)), true);
      assert.equal(await write((s) => s.deleteQuickReply(w.tenantId, b.id)), false);
      await write((s) => s.deleteQuickRepliesOfQueue(w.tenantId, w.queueId));
      assert.deepEqual(await reads().listQuickReplies(w.tenantId, w.queueId), []);
      assert.deepEqual(await reads().listQuickReplies(w.tenantId, other.id), [c], 'the other queue keeps its replies');
    });

    it("replaces a tenant's CRM lookup in place and removes it once", async () => {
      const w = await world();
      assert.equal(await reads().getCrmLookup(w.tenantId), undefined);
      const lookup = { tenantId: w.tenantId, url: 'https://crm.example.com/lookup?region=eu', headers: { authorization: 'Bearer abc.def', 'X-Key': 'ü-not-ascii-but-stored' }, timeoutMs: 2000, updatedAt: at(1) };
      await write((s) => s.putCrmLookup(lookup));
      assert.deepEqual(await reads().getCrmLookup(w.tenantId), lookup);
      const changed = { ...lookup, url: 'http://127.0.0.1:9/x', headers: {}, timeoutMs: 100, updatedAt: at(2) };
      await write((s) => s.putCrmLookup(changed));
      assert.deepEqual(await reads().getCrmLookup(w.tenantId), changed);
      assert.equal(await write((s) => s.deleteCrmLookup(w.tenantId)), true);
      assert.equal(await write((s) => s.deleteCrmLookup(w.tenantId)), false);
      assert.equal(await reads().getCrmLookup(w.tenantId), undefined);
    });

    it("finds nothing of another tenant's workspace", async () => {
      const a = await world();
      const b = await world();
      const conversation = await a.conversation();
      await write((s) => s.insertWrapUp(started(a.tenantId, conversation)));
      await write((s) => s.insertQuickReply({ id: 'qr_a_only', tenantId: a.tenantId, queueId: a.queueId, title: 'A', text: 'A', createdAt: at(1), updatedAt: at(1) }));
      await write((s) => s.putCrmLookup({ tenantId: a.tenantId, url: 'https://a.example', headers: {}, timeoutMs: 2000, updatedAt: at(1) }));
      assert.equal(await reads().getWrapUp(b.tenantId, conversation), undefined);
      assert.deepEqual(await reads().listPendingWrapUps(b.tenantId), []);
      assert.equal(await write((s) => s.endWrapUp(b.tenantId, conversation, { endedAt: at(2), endReason: 'closed', code: null, label: null, notes: null, endedBy: { kind: 'system', id: null } })), false);
      assert.deepEqual(await reads().listQuickReplies(b.tenantId, a.queueId), []);
      assert.equal(await reads().getQuickReply(b.tenantId, 'qr_a_only'), undefined);
      assert.equal(await write((s) => s.updateQuickReply(b.tenantId, 'qr_a_only', { title: 'B' }, at(3))), false);
      assert.equal(await write((s) => s.deleteQuickReply(b.tenantId, 'qr_a_only')), false);
      await write((s) => s.deleteQuickRepliesOfQueue(b.tenantId, a.queueId));
      assert.equal(await reads().getCrmLookup(b.tenantId), undefined);
      assert.equal(await write((s) => s.deleteCrmLookup(b.tenantId)), false);
      assert.equal((await reads().getQuickReply(a.tenantId, 'qr_a_only'))?.title, 'A', "A's rows are untouched");
      assert.ok(await reads().getCrmLookup(a.tenantId));
      assert.equal((await reads().getWrapUp(a.tenantId, conversation))?.endedAt, null);
    });
  });
}
