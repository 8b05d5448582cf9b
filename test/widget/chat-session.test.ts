import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ChatSession } from '../../src/widget/chat-session.js';
import { SessionMemory, type KeyValueStorage } from '../../src/widget/saved-session.js';
import { prechatAnswers, validatePrechat } from '../../src/widget/prechat-validation.js';
import { readSettings, type PrechatField, type WidgetSettings } from '../../src/widget/webchat-api.js';
import { BASE, FakeSwitchboard, settle } from './fake-directline.js';

class MemoryStorage implements KeyValueStorage {
  readonly items = new Map<string, string>();
  getItem(key: string) {
    return this.items.get(key) ?? null;
  }
  setItem(key: string, value: string) {
    this.items.set(key, value);
  }
  removeItem(key: string) {
    this.items.delete(key);
  }
}

const FIELDS: PrechatField[] = [
  { name: 'name', label: 'Your name', type: 'text', required: true, options: [], maxLength: 40 },
  { name: 'email', label: 'E-mail', type: 'email', required: false, options: [], maxLength: undefined },
  { name: 'topic', label: 'Topic', type: 'select', required: true, options: ['Billing', 'Orders'], maxLength: undefined },
];
const SETTINGS: WidgetSettings = { channelId: 'chn_1', title: 'Support', accentColor: '#2455c3', prechatFields: FIELDS, csatEnabled: true };

function session(server: FakeSwitchboard, storage: KeyValueStorage, settings = SETTINGS) {
  let n = 0;
  let changes = 0;
  const s = new ChatSession({
    base: BASE, settings, transport: server.transport, storage, locale: 'en-GB',
    page: { url: 'https://shop.example/billing', locale: 'en-GB', title: 'Billing' },
    newId: () => `cid-${++n}`,
    onChange: () => changes++,
  });
  return { s, changes: () => changes };
}

const bubbles = (s: ChatSession) => s.store.messages().map((m) => `${m.sender}:${m.text}`);

describe('chat session: a whole chat', () => {
  it('goes from the pre-chat form through the queue, messages and the end to the survey', async () => {
    const server = new FakeSwitchboard();
    const storage = new MemoryStorage();
    const { s } = session(server, storage);
    s.setOpen(true);
    assert.equal(await s.start({ prechat: { name: 'Dana', topic: 'Billing' }, user: { name: 'Dana' } }), true);
    assert.deepEqual(server.tokenRequests, [{ prechat: { name: 'Dana', topic: 'Billing' }, user: { name: 'Dana' }, page: { url: 'https://shop.example/billing', locale: 'en-GB', title: 'Billing' } }]);
    assert.equal(s.phase, 'chat');
    await settle();
    assert.equal(s.connection, 'online');

    server.queueUpdate(3, 120);
    assert.equal(s.store.queue?.text, 'You are number 3 in line, about 2 minutes');
    server.queueUpdate(1, 30);
    assert.equal(s.store.queue?.position, 1);
    server.agentSays('Hi Dana, Alice here.');
    assert.equal(s.store.queue, undefined);

    await s.send('I was charged twice');
    assert.deepEqual(bubbles(s), ['agent:Hi Dana, Alice here.', 'self:I was charged twice']);
    assert.equal(s.store.messages()[1]!.status, 'sent');

    server.end(true);
    assert.equal(s.phase, 'ended');
    assert.equal(s.csatState, 'offered');
    assert.equal(await s.submitSurvey(5, '  Quick and kind  '), true);
    assert.deepEqual(server.csat, [{ rating: 5, comment: 'Quick and kind' }]);
    assert.equal(s.csatState, 'done');
    assert.equal(await s.submitSurvey(1, 'again'), false, 'answered once');
    assert.equal(server.csat.length, 1);
  });

  it('does not offer the survey when the end says csat: false', async () => {
    const server = new FakeSwitchboard();
    const { s } = session(server, new MemoryStorage());
    await s.start({});
    await settle();
    server.end(false);
    assert.equal(s.phase, 'ended');
    assert.equal(s.csatState, 'none');
  });

  it('starts the conversation on the first message when there is no pre-chat form', async () => {
    const server = new FakeSwitchboard();
    const { s } = session(server, new MemoryStorage(), { ...SETTINGS, prechatFields: [] });
    await s.send('Hello?');
    await settle();
    assert.equal(server.tokenRequests.length, 1);
    assert.deepEqual(bubbles(s), ['self:Hello?']);
    assert.equal(server.activities.length, 1);
  });

  it('maps the server’s refusal of an answer to its field and stays on the form', async () => {
    const server = new FakeSwitchboard();
    const transport = server.transport;
    const original = transport.request.bind(transport);
    transport.request = async (url, init) => url.endsWith('/token')
      ? { status: 400, body: { error: { code: 'SB_ERR_VALIDATION', message: 'email: not an e-mail address', details: { problems: ['email: not an e-mail address'] } } } }
      : original(url, init);
    const { s } = session(server, new MemoryStorage());
    assert.equal(await s.start({ prechat: { name: 'Dana', topic: 'Billing', email: 'nope' } }), false);
    assert.equal(s.phase, 'new');
    assert.equal(s.fieldProblems.get('email'), 'not an e-mail address');
    assert.match(s.problem!, /check/);
  });

  it('counts unread messages while the window is closed', async () => {
    const server = new FakeSwitchboard();
    const { s } = session(server, new MemoryStorage());
    await s.start({});
    await settle();
    server.agentSays('one');
    server.agentSays('two');
    assert.equal(s.unread, 2);
    s.setOpen(true);
    assert.equal(s.unread, 0);
    server.agentSays('three');
    assert.equal(s.unread, 0);
  });

  it('marks a message failed when the network is gone, and a retry stores one copy', async () => {
    const server = new FakeSwitchboard();
    const { s } = session(server, new MemoryStorage());
    await s.start({});
    await settle();
    server.transport.networkDown = true;
    const sending = s.send('are you there?');
    await server.transport.advance(60_000);
    await sending;
    assert.equal(s.store.messages()[0]!.status, 'failed');
    server.transport.networkDown = false;
    const retry = s.retry('cid-1');
    await server.transport.advance(10_000);
    await retry;
    assert.equal(server.activities.length, 1);
    assert.deepEqual(s.store.messages().map((m) => [m.text, m.status]), [['are you there?', 'sent']]);
  });
});

describe('chat session: a page reload', () => {
  it('resumes the same conversation: the transcript read again, the stream from its watermark, nothing twice', async () => {
    const server = new FakeSwitchboard();
    const storage = new MemoryStorage();
    const first = session(server, storage).s;
    first.setOpen(true);
    await first.start({ prechat: { name: 'Dana', topic: 'Orders' } });
    await settle();
    server.agentSays('Hello');
    await first.send('Where is my parcel?');
    server.agentSays('Let me check');
    first.close(); // the page goes away

    server.agentSays('It ships today'); // while the page reloads
    const second = session(server, storage).s;
    assert.equal(await second.resume(), true);
    await settle();
    assert.equal(server.tokenRequests.length, 1, 'no new conversation');
    assert.equal(second.open, true, 'the window stays open across the reload');
    assert.deepEqual(bubbles(second), ['agent:Hello', 'self:Where is my parcel?', 'agent:Let me check', 'agent:It ships today']);
    assert.equal(second.connection, 'online');
    const socket = server.transport.lastSocket();
    assert.equal(socket.watermark, '4', 'the stream starts after the history');
    server.agentSays('Anything else?');
    assert.equal(bubbles(second).length, 5);
    assert.equal(second.unread, 0, 'the history is not unread');
  });

  it('resumes an ended conversation into the survey, and not again once answered', async () => {
    const server = new FakeSwitchboard();
    const storage = new MemoryStorage();
    const first = session(server, storage).s;
    await first.start({});
    await settle();
    server.end(true);
    first.close();
    const second = session(server, storage).s;
    await second.resume();
    assert.equal(second.phase, 'ended');
    assert.equal(second.csatState, 'offered');
    await second.submitSurvey(4, '');
    assert.deepEqual(server.csat, [{ rating: 4 }]);
    const third = session(server, storage).s;
    await third.resume();
    assert.equal(third.csatState, 'done');
  });

  it('starts over after "new chat": nothing is resumed', async () => {
    const server = new FakeSwitchboard();
    const storage = new MemoryStorage();
    const { s } = session(server, storage);
    await s.start({});
    s.newChat();
    assert.equal(s.phase, 'new');
    assert.equal(await session(server, storage).s.resume(), false);
  });
});

describe('saved session', () => {
  it('is forgotten when its token has expired, or is not ours', () => {
    const storage = new MemoryStorage();
    const memory = new SessionMemory(storage, 'chn_1');
    memory.save({ conversationId: 'c', token: 't', expiresAt: 1000, userId: 'u' });
    assert.equal(memory.load(999)?.conversationId, 'c');
    assert.equal(memory.load(1000), undefined);
    assert.equal(storage.items.size, 0);
    storage.setItem('switchboard.webchat.chn_1', '{not json');
    assert.equal(memory.load(0), undefined);
    storage.setItem('switchboard.webchat.chn_1', JSON.stringify({ conversationId: 1 }));
    assert.equal(memory.load(0), undefined);
  });

  it('keeps one per channel', () => {
    const storage = new MemoryStorage();
    new SessionMemory(storage, 'a').save({ conversationId: 'ca', token: 't', expiresAt: 10, userId: 'u' });
    assert.equal(new SessionMemory(storage, 'b').load(0), undefined);
  });

  it('works without storage, or with one that throws', () => {
    const throwing: KeyValueStorage = { getItem: () => { throw new Error('denied'); }, setItem: () => { throw new Error('quota'); }, removeItem: () => { throw new Error('denied'); } };
    for (const storage of [undefined, throwing]) {
      const memory = new SessionMemory(storage, 'x');
      memory.save({ conversationId: 'c', token: 't', expiresAt: 10, userId: 'u' });
      assert.equal(memory.load(0), undefined);
      memory.clear();
    }
  });
});

describe('pre-chat answers', () => {
  const cases: ReadonlyArray<[string, Record<string, string>, Record<string, string>]> = [
    ['all good', { name: 'Dana', topic: 'Billing', email: 'dana@example.com' }, {}],
    ['required missing (blank counts as missing)', { name: '   ', topic: 'Billing' }, { name: 'Your name is required.' }],
    ['too long', { name: 'x'.repeat(41), topic: 'Billing' }, { name: 'Your name can be at most 40 characters.' }],
    ['not an option', { name: 'Dana', topic: 'Refunds' }, { topic: 'Choose one of the options for Topic.' }],
    ['not an e-mail', { name: 'Dana', topic: 'Orders', email: 'dana@' }, { email: 'E-mail must be an e-mail address, like name@example.com.' }],
  ];
  for (const [name, values, expected] of cases) {
    it(name, () => assert.deepEqual(Object.fromEntries(validatePrechat(FIELDS, values)), expected));
  }

  it('sends trimmed answers and leaves out empty ones', () => {
    assert.deepEqual(prechatAnswers(FIELDS, { name: ' Dana ', email: '', topic: 'Orders' }), { name: 'Dana', topic: 'Orders' });
  });

  it('reads settings defensively: bad fields and colours are dropped', () => {
    const s = readSettings({
      title: 'Help', accentColor: 'red;background:url(x)', csat: { enabled: true },
      prechat: { fields: [{ name: 'a', label: 'A', type: 'weird' }, { name: 'b', type: 'select' }, { label: 'no name' }, { name: 'c', type: 'select', options: ['x', 2] }] },
    }, 'chn_9');
    assert.equal(s.accentColor, undefined);
    assert.deepEqual(s.prechatFields.map((f) => [f.name, f.type, f.options]), [['a', 'text', []], ['c', 'select', ['x']]]);
    assert.equal(s.csatEnabled, true);
    assert.equal(readSettings({}, 'x').title, 'Chat');
  });
});
