import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { SYSTEM_CALLER } from '../../src/app/caller.js';
import type { MessageRevision } from '../../src/app/ports/message-revision-storage.js';
import { createChannel } from '../../src/app/use-cases/create-channel.js';
import { createConversation } from '../../src/app/use-cases/create-conversation.js';
import { createTenant } from '../../src/app/use-cases/create-tenant.js';
import { postMessage } from '../../src/app/use-cases/post-message.js';
import { tombstone } from '../../src/core/message-revision.js';
import type { Message } from '../../src/core/model.js';
import type { StorageHarness } from './storage-contract.js';
import { closeHarness, openMigrated, type ContractDeps } from './contract-harness.js';

const BASE = Date.UTC(2026, 0, 1, 9, 0, 0);
const at = (s: number): string => new Date(BASE + s * 1000).toISOString();

/**
 * The behaviour every Storage adapter must have for revisions of sent messages
 * (`storage.read.messageRevisions`, `tx.messageRevisions`): the row takes the new content, the
 * revision keeps what it replaced, change numbers count 1, 2, 3 per conversation in commit order,
 * a deleted message is revised no more, the event log forgets what a deleted message said (and
 * nothing else), a rolled back revision leaves nothing; every read confined to its tenant.
 */
export function messageRevisionStorageContract(name: string, open: () => Promise<StorageHarness>, skip: false | string = false): void {
  describe(`Message revision storage contract: ${name}`, { skip }, () => {
    let harness: StorageHarness;
    let deps: ContractDeps;

    before(async () => {
      ({ harness, deps } = await openMigrated(open, BASE));
    });
    after(() => closeHarness(harness));

    const reads = () => harness.storage.read.messageRevisions;

    async function world() {
      const tenant = await createTenant(deps, SYSTEM_CALLER, { name: 'Acme' });
      const channel = await createChannel(deps, SYSTEM_CALLER, tenant.id, { type: 'webchat', name: 'Site' });
      const conversation = async () => (await createConversation(deps, SYSTEM_CALLER, tenant.id, { channelId: channel.id, customer: { address: deps.ids.next('visitor') } })).conversation.id;
      const say = async (conversationId: string, text: string): Promise<Message> => (
        await postMessage(deps, SYSTEM_CALLER, tenant.id, conversationId, { senderRole: 'bot', senderId: 'agt_bot', text, channelData: { kept: 1 } })).message;
      return { tenantId: tenant.id, conversation, say };
    }

    const revisionOf = (message: Message, kind: MessageRevision['kind'], s: number): Omit<MessageRevision, 'change'> => ({
      tenantId: message.tenantId, conversationId: message.conversationId, messageId: message.id, messageSeq: message.seq, kind,
      previous: { text: message.text, attachments: message.attachments, channelData: message.channelData }, actor: { kind: 'bot', id: 'agt_bot' }, at: at(s),
    });
    /** One revision in its own transaction, as the use case runs it. */
    const revise = (next: Message, revision: Omit<MessageRevision, 'change'>) => harness.storage.transaction(async (tx) => {
      await tx.lockConversation(next.tenantId, next.conversationId);
      return tx.messageRevisions.reviseMessage(next, revision);
    });

    it('stores an edit in the row and what it replaced in the revision, numbering changes per conversation', async () => {
      const w = await world();
      const [one, two] = [await w.conversation(), await w.conversation()];
      const hello = await w.say(one, 'Helo');
      const bye = await w.say(one, 'Bye');
      const elsewhere = await w.say(two, 'Other');

      const edited: Message = { ...hello, text: 'Hello «edited» 👋', attachments: [{ name: 'a.png', contentType: 'image/png', size: 0, url: 'https://example.com/a.png' }], channelData: null, editedAt: at(5) };
      assert.equal(await revise(edited, revisionOf(hello, 'updated', 5)), 1);
      const editedAgain: Message = { ...edited, text: 'Hello', editedAt: at(6) };
      assert.equal(await revise(editedAgain, revisionOf(edited, 'updated', 6)), 2);
      assert.equal(await revise({ ...bye, text: 'Goodbye', editedAt: at(7) }, revisionOf(bye, 'updated', 7)), 3);
      assert.equal(await revise({ ...elsewhere, text: 'Another', editedAt: at(8) }, revisionOf(elsewhere, 'updated', 8)), 1, 'another conversation counts its own');

      assert.deepEqual(await reads().getMessageBySeq(w.tenantId, one, hello.seq), editedAgain);
      assert.deepEqual((await harness.storage.read.listMessages(w.tenantId, one, 0, 10)).map((m) => [m.text, m.editedAt, m.deletedAt]), [['Hello', at(6), null], ['Goodbye', at(7), null]]);
      assert.deepEqual((await reads().listMessagesBySeq(w.tenantId, one, [bye.seq, hello.seq, bye.seq, 99])).map((m) => m.seq), [hello.seq, bye.seq], 'in sequence order, once, unknown ones left out');
      assert.deepEqual(await reads().listMessagesBySeq(w.tenantId, one, []), []);
      assert.deepEqual(await reads().listChanges(w.tenantId, one, 0, 10), [{ change: 1, messageSeq: hello.seq }, { change: 2, messageSeq: hello.seq }, { change: 3, messageSeq: bye.seq }]);
      assert.deepEqual(await reads().listChanges(w.tenantId, one, 2, 10), [{ change: 3, messageSeq: bye.seq }]);
      assert.deepEqual(await reads().listChanges(w.tenantId, one, 0, 1), [{ change: 1, messageSeq: hello.seq }]);

      const revisions = await reads().listRevisions(w.tenantId, one, hello.id);
      assert.deepEqual(revisions, [
        { ...revisionOf(hello, 'updated', 5), change: 1 },
        { ...revisionOf(edited, 'updated', 6), change: 2 },
      ]);
      assert.deepEqual(revisions[0]!.previous, { text: 'Helo', attachments: [], channelData: { kept: 1 } });
    });

    it('revises a deleted message no more, and a rolled back revision leaves nothing', async () => {
      const w = await world();
      const one = await w.conversation();
      const hello = await w.say(one, 'Hello');
      const gone = tombstone(hello, at(10));
      assert.equal(await revise(gone, revisionOf(hello, 'deleted', 10)), 1);
      assert.deepEqual(await reads().getMessageBySeq(w.tenantId, one, hello.seq), gone);
      assert.equal(await revise({ ...hello, text: 'Back', editedAt: at(11) }, revisionOf(gone, 'updated', 11)), undefined, 'a tombstone stays one');
      assert.equal(await revise(tombstone(hello, at(12)), revisionOf(gone, 'deleted', 12)), undefined);
      assert.equal(await revise({ ...hello, seq: 99, text: 'x' }, revisionOf(hello, 'updated', 13)), undefined, 'no such message');
      assert.deepEqual(await reads().getMessageBySeq(w.tenantId, one, hello.seq), gone);
      assert.deepEqual((await reads().listChanges(w.tenantId, one, 0, 10)).map((c) => c.change), [1]);

      const bye = await w.say(one, 'Bye');
      await assert.rejects(harness.storage.transaction(async (tx) => {
        await tx.messageRevisions.reviseMessage({ ...bye, text: 'never', editedAt: at(20) }, revisionOf(bye, 'updated', 20));
        throw new Error('boom after the writes');
      }), /boom/);
      assert.deepEqual(await reads().getMessageBySeq(w.tenantId, one, bye.seq), bye);
      assert.deepEqual(await reads().listRevisions(w.tenantId, one, bye.id), []);
      assert.equal(await revise({ ...bye, text: 'Goodbye', editedAt: at(21) }, revisionOf(bye, 'updated', 21)), 2, 'the rolled back change number is taken again');
    });

    it("rewrites a deleted message's own events only", async () => {
      const w = await world();
      const one = await w.conversation();
      const hello = await w.say(one, 'Secret text');
      // Another message quoting the first one's id and text: its event stays as it was.
      const quote = await w.say(one, `"id":"${hello.id}" Secret text`);
      const gone = tombstone(hello, at(30));
      const rewritten = await harness.storage.transaction(async (tx) => {
        await tx.lockConversation(w.tenantId, one);
        await tx.messageRevisions.reviseMessage(gone, revisionOf(hello, 'deleted', 30));
        return tx.messageRevisions.redactMessageEvents(gone);
      });
      assert.equal(rewritten, 1);
      const events = await harness.storage.read.readEvents(w.tenantId, 0, 1000, one);
      const created = events.filter((e) => e.type === 'message.created').map((e) => e.payload.message as Message);
      assert.deepEqual(created, [gone, quote]);
      assert.equal((await harness.storage.read.readEvents(w.tenantId, 0, 1000)).filter((e) => JSON.stringify(e.payload).includes('Secret text')).length, 1, 'only the quote still says it');
    });

    it("never reads another tenant's revisions or messages", async () => {
      const a = await world();
      const b = await world();
      const conv = await b.conversation();
      const hello = await b.say(conv, 'Hello');
      await revise({ ...hello, text: 'Hi', editedAt: at(40) }, revisionOf(hello, 'updated', 40));
      assert.equal(await reads().getMessageBySeq(a.tenantId, conv, hello.seq), undefined);
      assert.deepEqual(await reads().listMessagesBySeq(a.tenantId, conv, [hello.seq]), []);
      assert.deepEqual(await reads().listChanges(a.tenantId, conv, 0, 10), []);
      assert.deepEqual(await reads().listRevisions(a.tenantId, conv, hello.id), []);
      const foreign = await harness.storage.transaction((tx) => tx.messageRevisions.reviseMessage({ ...hello, tenantId: a.tenantId, text: 'Hijacked', editedAt: at(41) }, revisionOf(hello, 'updated', 41)));
      assert.equal(foreign, undefined, 'a revision naming another tenant changes nothing');
      assert.equal((await reads().getMessageBySeq(b.tenantId, conv, hello.seq))?.text, 'Hi');
    });
  });
}
