import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { decideRevision, isSender, tombstone } from '../../src/core/message-revision.js';
import type { Message } from '../../src/core/model.js';
import { messageToActivity, parseWatermark, seqOfActivityId, watermarkOf } from '../../src/core/webchat/directline-activity.js';

const message: Message = {
  id: 'msg_1', tenantId: 'ten_1', conversationId: 'conv_1', seq: 3, senderRole: 'bot', senderId: 'agt_bot', visibility: 'public',
  text: 'Helo', attachments: [{ name: 'a.pdf', contentType: 'application/pdf', size: 3, url: '/attachments/x/a.pdf' }], idempotencyKey: null,
  channelData: { switchboard: { attachments: [{ contentType: 'application/vnd.microsoft.card.hero', content: { title: 'Secret' } }] } },
  createdAt: '2026-01-01T09:00:00.000Z', editedAt: null, deletedAt: null,
};
const bot = { senderRole: 'bot' as const, senderId: 'agt_bot' };
const content = { text: 'Hello', attachments: [], channelData: null };
const AT = '2026-01-01T09:05:00.000Z';

describe('revising a sent message', () => {
  it('lets only its sender revise it, never a system notice', () => {
    assert.equal(isSender(message, bot), true);
    assert.equal(isSender(message, { senderRole: 'bot', senderId: 'agt_other' }), false);
    assert.equal(isSender(message, { senderRole: 'agent', senderId: 'agt_bot' }), false);
    assert.equal(isSender({ ...message, senderId: null }, { senderRole: 'bot', senderId: null }), false);
    assert.equal(isSender({ ...message, senderRole: 'system', senderId: null }, { senderRole: 'system', senderId: null }), false);
    assert.deepEqual(decideRevision(message, { senderRole: 'customer', senderId: 'x' }, { kind: 'delete' }, AT), { ok: false, refusal: 'not_sender' });
  });

  it('edits in place: same id, seq, time and visibility, new content, editedAt', () => {
    const d = decideRevision(message, bot, { kind: 'update', content }, AT);
    assert.deepEqual(d, { ok: true, kind: 'updated', next: { ...message, text: 'Hello', attachments: [], channelData: null, editedAt: AT } });
    assert.deepEqual(decideRevision(message, bot, { kind: 'update', content: { ...content, text: ' \n' } }, AT), { ok: false, refusal: 'empty' });
    assert.equal(decideRevision(message, bot, { kind: 'update', content: { ...content, text: '', attachments: message.attachments } }, AT).ok, true, 'attachments alone are enough');
  });

  it('deletes to a tombstone that says nothing; a second delete is no change, an edit of it refused', () => {
    const gone = tombstone(message, AT);
    assert.deepEqual(gone, { ...message, text: '', attachments: [], channelData: null, deletedAt: AT });
    assert.deepEqual(decideRevision(message, bot, { kind: 'delete' }, AT), { ok: true, kind: 'deleted', next: gone });
    assert.deepEqual(decideRevision(gone, bot, { kind: 'delete' }, AT), { ok: true, kind: 'unchanged', next: null });
    assert.deepEqual(decideRevision(gone, bot, { kind: 'update', content }, AT), { ok: false, refusal: 'deleted' });
  });
});

describe('revised messages on Direct Line', () => {
  const view = { conversationId: 'conv_1', customerUserId: 'dl_u', customerName: null, senderNames: new Map([['agt_bot', 'Bot']]), channelTitle: 'Acme' };

  it('sends an edit under the same id and first timestamp, marked editedAt; a delete as an empty message', () => {
    const edited = messageToActivity({ ...message, text: 'Hello', editedAt: AT }, view)!;
    assert.equal(edited.id, 'conv_1|0000003');
    assert.equal(edited.timestamp, message.createdAt);
    assert.equal(edited.text, 'Hello');
    assert.equal((edited.channelData?.switchboard as { editedAt?: string }).editedAt, AT);
    const gone = messageToActivity(tombstone(message, AT), view)!;
    assert.deepEqual(gone, {
      id: 'conv_1|0000003', timestamp: message.createdAt, channelId: 'directline', conversation: { id: 'conv_1' }, type: 'message',
      from: { id: 'agt_bot', name: 'Bot', role: 'bot' }, channelData: { switchboard: { senderRole: 'bot', deletedAt: AT } },
    });
    assert.equal(messageToActivity({ ...tombstone(message, AT), visibility: 'internal' }, view), undefined, 'hidden stays hidden');
  });

  it('reads and writes watermarks with a change part only once there are changes', () => {
    assert.equal(watermarkOf(12), '12');
    assert.equal(watermarkOf(12, 0), '12');
    assert.equal(watermarkOf(12, 3), '12.3');
    assert.deepEqual(parseWatermark(undefined), { seq: 0, change: 0 });
    assert.deepEqual(parseWatermark('12'), { seq: 12, change: 0 });
    assert.deepEqual(parseWatermark('12.3'), { seq: 12, change: 3 });
    for (const bad of ['12.', '.3', '1.2.3', '-1', 'x', '12.3a']) assert.equal(parseWatermark(bad), undefined, bad);
  });

  it("finds a message's sequence in its activity id, and only in this conversation's ids", () => {
    assert.equal(seqOfActivityId('conv_1', 'conv_1|0000042'), 42);
    assert.equal(seqOfActivityId('conv_1', 'conv_2|0000042'), undefined);
    assert.equal(seqOfActivityId('conv_1', 'conv_1|e17'), undefined);
    assert.equal(seqOfActivityId('conv_1', 'conv_1|0000000'), undefined);
    assert.equal(seqOfActivityId('conv_1', 'conv_1'), undefined);
    assert.equal(seqOfActivityId('a|b', 'a|b|0000001'), 1);
  });
});
