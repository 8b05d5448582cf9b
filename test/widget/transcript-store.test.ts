import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Activity } from '../../src/widget/directline-types.js';
import { TranscriptStore } from '../../src/widget/transcript-store.js';
import { nextWatermark, sequenceOf } from '../../src/widget/watermark.js';

const C = 'conv_1';
const id = (seq: number) => `${C}|${String(seq).padStart(7, '0')}`;
const agent = (seq: number, text: string, name = 'Alice Agent'): Activity => ({
  type: 'message', id: id(seq), from: { id: 'agt_alice', name, role: 'bot' }, text, channelData: { switchboard: { senderRole: 'agent' } },
});
const mine = (seq: number, text: string, clientActivityID?: string): Activity => ({
  type: 'message', id: id(seq), from: { id: 'dl_me', role: 'user' }, text, ...(clientActivityID ? { channelData: { clientActivityID } } : {}),
});
const queued = (seq: number, position: number, wait: number): Activity => ({
  type: 'message', id: id(seq), from: { id: 'switchboard', name: 'Support', role: 'bot' },
  text: `You are number ${position} in line, about ${Math.round(wait / 60)} minutes`,
  channelData: { switchboard: { kind: 'queue', position, estimatedWaitSeconds: wait } },
});
const texts = (store: TranscriptStore) => store.messages().map((m) => m.text);

describe('transcript store: order and duplicates', () => {
  it('keeps one copy of an activity that arrives twice (a replay after a reconnect)', () => {
    const store = new TranscriptStore();
    store.apply({ activities: [agent(1, 'a'), agent(2, 'b')], watermark: '2' }, 0);
    const again = store.apply({ activities: [agent(2, 'b'), agent(3, 'c')], watermark: '3' }, 0);
    assert.deepEqual(texts(store), ['a', 'b', 'c']);
    assert.deepEqual(again.added.map((m) => m.text), ['c'], 'only the new one is reported as added');
  });

  it('orders by sequence, whatever order the frames came in', () => {
    const store = new TranscriptStore();
    store.apply({ activities: [agent(3, 'c')], watermark: '3' }, 0);
    store.apply({ activities: [agent(1, 'a'), agent(4, 'd')] }, 0);
    store.apply({ activities: [agent(2, 'b')] }, 0);
    assert.deepEqual(texts(store), ['a', 'b', 'c', 'd']);
    assert.deepEqual(store.messages().map((m) => m.seq), [1, 2, 3, 4]);
  });

  it('puts an activity with an id of another shape after what came before it', () => {
    const store = new TranscriptStore();
    store.apply({ activities: [agent(1, 'a'), { ...agent(0, 'odd'), id: 'not-a-sequence' }, agent(2, 'b')] }, 0);
    assert.deepEqual(texts(store), ['a', 'odd', 'b']);
  });

  it('ignores sets and activities of the wrong shape', () => {
    const store = new TranscriptStore();
    store.apply({ activities: null as unknown as Activity[] }, 0);
    store.apply({ activities: [null as unknown as Activity, { type: 'event', id: id(1) }, agent(2, 'ok')] }, 0);
    assert.deepEqual(texts(store), ['ok']);
  });
});

describe('transcript store: edited and deleted messages', () => {
  const edited = (seq: number, text: string): Activity => ({ ...agent(seq, text), channelData: { switchboard: { senderRole: 'agent', editedAt: '2026-01-01T09:05:00.000Z' } } });
  const deleted = (seq: number): Activity => ({ type: 'message', id: id(seq), from: { id: 'agt_alice', role: 'bot' }, channelData: { switchboard: { senderRole: 'agent', deletedAt: '2026-01-01T09:06:00.000Z' } } });

  it('replaces an edited message in its place and marks it edited; the same edit again changes nothing', () => {
    const store = new TranscriptStore();
    store.apply({ activities: [agent(1, 'a'), agent(2, 'Helo'), agent(3, 'c')], watermark: '3' }, 0);
    const key = store.messages()[1]!.key;
    const result = store.apply({ activities: [edited(2, 'Hello')], watermark: '3.1' }, 0);
    assert.equal(result.changed, true);
    assert.deepEqual(result.added, [], 'an edit is not a new message');
    assert.deepEqual(texts(store), ['a', 'Hello', 'c']);
    assert.deepEqual(store.messages().map((m) => m.edited), [false, true, false]);
    assert.equal(store.messages()[1]!.key, key, 'the view keeps its node');
    assert.equal(store.apply({ activities: [edited(2, 'Hello')] }, 0).changed, false);
    assert.equal(store.apply({ activities: [agent(2, 'Helo')] }, 0).changed, false, 'a stale replay does not bring the old text back');
    assert.deepEqual(texts(store), ['a', 'Hello', 'c']);
  });

  it('removes a deleted message, and never shows one that was deleted before it arrived', () => {
    const store = new TranscriptStore();
    store.apply({ activities: [agent(1, 'a'), agent(2, 'oops')], watermark: '2' }, 0);
    assert.equal(store.apply({ activities: [deleted(2)], watermark: '2.1' }, 0).changed, true);
    assert.deepEqual(texts(store), ['a']);
    assert.equal(store.apply({ activities: [deleted(2), agent(2, 'oops')] }, 0).changed, false);
    assert.deepEqual(texts(store), ['a']);
    const fresh = new TranscriptStore();
    fresh.apply({ activities: [agent(1, 'a'), deleted(2), agent(3, 'c')], watermark: '3.1' }, 0);
    assert.deepEqual(texts(fresh), ['a', 'c']);
  });
});

describe('transcript store: the watermark', () => {
  const cases: ReadonlyArray<[string, string | undefined, string | null | undefined, string | undefined]> = [
    ['takes the first one', undefined, '3', '3'],
    ['moves forward', '3', '7', '7'],
    ['is not overwritten by a missing one', '7', undefined, '7'],
    ['is not overwritten by null', '7', null, '7'],
    ['is not overwritten by an empty one', '7', '', '7'],
    ['does not move back (a late poll answer)', '7', '5', '7'],
    ['takes an opaque one verbatim', '7', 'abc-12', 'abc-12'],
    ['moves forward to a change', '7', '7.1', '7.1'],
    ['moves forward past a change', '7.1', '9.1', '9.1'],
    ['does not move back to before a change', '7.2', '7.1', '7.2'],
    ['does not move back to a plain sequence', '7.2', '7', '7.2'],
    ['takes one ahead in either part', '9', '7.2', '7.2'],
  ];
  for (const [name, previous, incoming, expected] of cases) {
    it(name, () => assert.equal(nextWatermark(previous, incoming), expected));
  }

  it('is kept by the store across sets without one (keep-alives, empty pages)', () => {
    const store = new TranscriptStore();
    store.apply({ activities: [agent(1, 'a')], watermark: '1' }, 0);
    store.apply({ activities: [] }, 0);
    store.apply({ activities: [], watermark: null }, 0);
    assert.equal(store.watermark, '1');
  });

  it('reads sequences from activity ids', () => {
    assert.equal(sequenceOf(id(42)), 42);
    assert.equal(sequenceOf('a|b|0000007'), 7);
    assert.equal(sequenceOf('nope'), undefined);
    assert.equal(sequenceOf(undefined), undefined);
  });
});

describe('transcript store: the queue banner', () => {
  it('shows the latest queue message as a banner, not as bubbles', () => {
    const store = new TranscriptStore();
    store.apply({ activities: [queued(1, 3, 120)] }, 0);
    assert.equal(store.queue?.text, 'You are number 3 in line, about 2 minutes');
    store.apply({ activities: [queued(2, 2, 60)] }, 0);
    assert.deepEqual(store.queue, { text: 'You are number 2 in line, about 1 minutes', position: 2, estimatedWaitSeconds: 60 });
    assert.deepEqual(texts(store), [], 'queue updates are not messages');
  });

  it('is not taken back by an older queue message replayed later', () => {
    const store = new TranscriptStore();
    store.apply({ activities: [queued(2, 1, 30)] }, 0);
    store.apply({ activities: [queued(1, 4, 300)] }, 0);
    assert.equal(store.queue?.position, 1);
  });

  it('goes away when an agent joins or writes, and comes back with a later queue message (a transfer)', () => {
    const store = new TranscriptStore();
    // Read through a function: an assertion about the getter would narrow it for the lines after.
    const position = () => store.queue?.position;
    store.apply({ activities: [queued(1, 1, 30)] }, 0);
    store.apply({ activities: [{ type: 'message', id: id(2), from: { id: 'switchboard', name: 'Support' }, text: 'Alice joined', channelData: { switchboard: { kind: 'assigned', agent: 'Alice' } } }] }, 0);
    assert.equal(position(), undefined);
    assert.equal(store.messages()[0]?.notice, 'assigned');
    store.apply({ activities: [queued(3, 2, 60)] }, 0);
    assert.equal(position(), 2);
    store.apply({ activities: [agent(4, 'Hello, Bob here')] }, 0);
    assert.equal(position(), undefined);
  });

  it('stays away when a queue message older than the agent arrives after it', () => {
    const store = new TranscriptStore();
    store.apply({ activities: [agent(5, 'hi')] }, 0);
    store.apply({ activities: [queued(4, 1, 30)] }, 0);
    assert.equal(store.queue, undefined);
  });
});

describe('transcript store: typing, the end, our own messages', () => {
  const typing: Activity = { type: 'typing', from: { id: 'agt_alice', name: 'Alice Agent', role: 'bot' } };

  it('shows an agent typing until the timeout', () => {
    const store = new TranscriptStore({ typingTimeoutMs: 5000 });
    store.apply({ activities: [typing] }, 1000);
    assert.deepEqual(store.typing.active(5999).map((t) => t.name), ['Alice Agent']);
    assert.equal(store.typing.nextExpiry(1000), 6000);
    assert.deepEqual(store.typing.active(6000), []);
  });

  it('ends the typing indicator when that agent’s message arrives', () => {
    const store = new TranscriptStore();
    store.apply({ activities: [typing] }, 0);
    store.apply({ activities: [agent(1, 'done')] }, 10);
    assert.deepEqual(store.typing.active(10), []);
  });

  it('does not show our own typing, and typing is not a message', () => {
    const store = new TranscriptStore({ userId: 'dl_me' });
    store.apply({ activities: [{ type: 'typing', from: { id: 'dl_me' } }] }, 0);
    assert.deepEqual(store.typing.active(0), []);
    assert.deepEqual(store.messages(), []);
  });

  it('records the end and whether the survey is offered; the banner and typing go', () => {
    const store = new TranscriptStore();
    store.apply({ activities: [queued(1, 1, 30), typing] }, 0);
    store.apply({ activities: [{ type: 'endOfConversation', id: id(2), from: { id: 'switchboard' }, channelData: { switchboard: { kind: 'ended', csat: true } } }] }, 0);
    assert.deepEqual(store.ended, { csat: true });
    assert.equal(store.queue, undefined);
    assert.deepEqual(store.typing.active(0), []);
    const other = new TranscriptStore();
    other.apply({ activities: [{ type: 'endOfConversation', id: id(1), channelData: { switchboard: { kind: 'ended', csat: false } } }] }, 0);
    assert.deepEqual(other.ended, { csat: false });
  });

  it('replaces a pending message by its echo (matched on clientActivityID): one entry, same key', () => {
    const store = new TranscriptStore({ userId: 'dl_me' });
    store.apply({ activities: [agent(1, 'How can I help?')] }, 0);
    const pending = store.addPending({ clientActivityId: 'c1', text: 'my order' });
    assert.equal(pending.status, 'sending');
    assert.deepEqual(store.messages().map((m) => [m.text, m.status]), [['How can I help?', 'sent'], ['my order', 'sending']]);
    store.apply({ activities: [mine(2, 'my order', 'c1')] }, 0);
    const after = store.messages();
    assert.equal(after.length, 2);
    assert.equal(after[1]!.key, pending.key);
    assert.equal(after[1]!.id, id(2));
    assert.equal(after[1]!.sender, 'self');
    assert.equal(store.markPending('c1', 'failed'), false, 'a late failure cannot touch an echoed message');
  });

  it('keeps pending messages after the confirmed ones, in the order written', () => {
    const store = new TranscriptStore({ userId: 'dl_me' });
    store.addPending({ clientActivityId: 'c1', text: 'one' });
    store.addPending({ clientActivityId: 'c2', text: 'two' });
    store.apply({ activities: [agent(1, 'agent')] }, 0);
    assert.deepEqual(texts(store), ['agent', 'one', 'two']);
    store.markPending('c1', 'failed');
    assert.equal(store.pendingMessage('c1')?.status, 'failed');
  });

  it('tells senders apart: self by user id or role, agents, bots, Switchboard', () => {
    const store = new TranscriptStore({ userId: 'dl_me' });
    store.apply({
      activities: [
        { type: 'message', id: id(1), from: { id: 'dl_me' }, text: 'me by id' },
        mine(2, 'me by role'),
        agent(3, 'agent'),
        { type: 'message', id: id(4), from: { id: 'bot_1', name: 'Helper', role: 'bot' }, text: 'bot', channelData: { switchboard: { senderRole: 'bot' } } },
        { type: 'message', id: id(5), from: { id: 'switchboard', name: 'Support', role: 'bot' }, text: 'notice', channelData: { switchboard: { kind: 'notice' } } },
      ],
    }, 0);
    assert.deepEqual(store.messages().map((m) => m.sender), ['self', 'self', 'agent', 'bot', 'system']);
    assert.deepEqual(store.messages().map((m) => m.textFormat), ['plain', 'plain', 'markdown', 'markdown', 'markdown']);
    assert.equal(store.messages()[2]!.senderName, 'Alice Agent');
  });
});
