/**
 * The pure parts of the Bot Framework channel: what a bot's activity means, the escalate phrases,
 * the handoff context as variables, and the registration settings check.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { readBotActivity } from '../../../src/core/bots/bot-activity.js';
import { DEFAULT_ESCALATE_PHRASES, readBotSettings } from '../../../src/core/bots/bot-registration.js';
import { escalationVariables, matchesEscalatePhrase } from '../../../src/core/bots/escalation.js';

describe('a bot\'s activity', () => {
  const read = (body: unknown, bridgedOnly = false) => readBotActivity(body, { bridgedOnly });

  it('a message goes to the customer; under the Omnichannel convention only when bridged', () => {
    const plain = read({ type: 'message', text: 'Hi' });
    assert.ok(plain.ok && plain.intent.kind === 'message' && plain.intent.visibility === 'public', JSON.stringify(plain));
    const hidden = read({ type: 'message', text: 'note' }, true);
    assert.ok(hidden.ok && hidden.intent.kind === 'message' && hidden.intent.visibility === 'internal', JSON.stringify(hidden));
    const bridged = read({ type: 'message', text: 'Hi', channelData: { deliveryMode: 'bridged' } }, true);
    assert.ok(bridged.ok && bridged.intent.kind === 'message' && bridged.intent.visibility === 'public', JSON.stringify(bridged));
  });

  it('handoff.initiate escalates with its context, summary and transcript; va_* context is Copilot Studio\'s', () => {
    const generic = read({
      type: 'event', name: 'handoff.initiate', value: { Skill: 'cards', MessageToAgent: 'Lost card' },
      attachments: [{ contentType: 'application/json', name: 'Transcript', content: { activities: [{ type: 'message', text: 'hi' }] } }],
    });
    assert.deepEqual(generic.ok && generic.intent, { kind: 'escalate', trigger: 'handoff', context: { Skill: 'cards', MessageToAgent: 'Lost card' }, summary: 'Lost card', transcript: [{ type: 'message', text: 'hi' }] });
    const copilot = read({ type: 'event', name: 'handoff.initiate', value: { va_LastTopic: 'Store hours', va_AgentMessage: 'Transferred' } });
    assert.ok(copilot.ok && copilot.intent.kind === 'escalate' && copilot.intent.trigger === 'copilot' && copilot.intent.summary === 'Transferred', JSON.stringify(copilot));
    assert.equal(read({ type: 'event', name: 'handoff.initiate', value: 'x' }).ok, false, 'a context that is not an object is refused');
    const other = read({ type: 'event', name: 'weather' });
    assert.ok(other.ok && other.intent.kind === 'ignored', 'unknown events are ignored, as the spec asks');
  });

  it('Omnichannel tags: Escalate with context (the text is the summary), EndConversation; other tags are ordinary messages', () => {
    const escalate = read({ type: 'message', text: 'Summary for agent', channelData: { tags: '{"type":"Escalate","context":{"BotHandoffTopic":"CreditCard"}}' } });
    assert.deepEqual(escalate.ok && escalate.intent, { kind: 'escalate', trigger: 'omnichannel', context: { BotHandoffTopic: 'CreditCard' }, summary: 'Summary for agent', transcript: null });
    const end = read({ type: 'message', text: 'End of conversation', channelData: { tags: '{"type":"EndConversation","context":{}}' } });
    assert.ok(end.ok && end.intent.kind === 'end' && end.intent.trigger === 'omnichannel', JSON.stringify(end));
    const plainTag = read({ type: 'message', text: 'hello', channelData: { tags: 'vip,en' } });
    assert.ok(plainTag.ok && plainTag.intent.kind === 'message', 'a plain-text tag is not a command');
  });

  it('refuses what is malformed, with a reason', () => {
    for (const body of [null, [], 'x', { text: 'no type' }, { type: 'message', text: 5 }, { type: 'message', text: '' }, { type: 'message', text: 'x', channelData: [] }, { type: 'message', text: 'x', attachments: [{}] }, { type: 'message', text: 'x', attachments: [{ contentType: 'image/png', contentUrl: 'javascript:alert(1)' }] }]) {
      const result = read(body);
      assert.equal(result.ok, false, JSON.stringify(body));
    }
    const end = read({ type: 'endOfConversation', code: 'completedSuccessfully' });
    assert.ok(end.ok && end.intent.kind === 'end', 'endOfConversation ends');
    const trace = read({ type: 'trace', name: 'x' });
    assert.ok(trace.ok && trace.intent.kind === 'ignored', 'trace is dropped');
  });
});

describe('escalate phrases', () => {
  it('match alone or with a few words, ignoring case, accents and punctuation; not inside a long sentence', () => {
    assert.equal(matchesEscalatePhrase('Speak to agent!', 'en-US', DEFAULT_ESCALATE_PHRASES), 'speak to agent');
    assert.equal(matchesEscalatePhrase('please, a HUMAN', 'en', DEFAULT_ESCALATE_PHRASES), 'human');
    assert.equal(matchesEscalatePhrase('Parler à un agent', 'fr-FR', DEFAULT_ESCALATE_PHRASES), 'parler à un agent');
    assert.equal(matchesEscalatePhrase('my travel agent booked the wrong hotel for the whole family', 'en', DEFAULT_ESCALATE_PHRASES), null);
    assert.equal(matchesEscalatePhrase('hello', 'en', DEFAULT_ESCALATE_PHRASES), null);
    assert.equal(matchesEscalatePhrase('mitarbeiter bitte', null, DEFAULT_ESCALATE_PHRASES), 'mitarbeiter', 'without a locale every list applies');
    assert.equal(matchesEscalatePhrase('mitarbeiter', 'en', DEFAULT_ESCALATE_PHRASES), null, 'with a locale only its lists apply');
  });
});

describe('handoff context as variables', () => {
  it('keeps types, lists and JSON for objects; skips names that are not variable names', () => {
    const { variables, skipped } = escalationVariables({ BotHandoffTopic: 'CreditCard', attempts: 3, vip: true, va_Topics: ['a', 'b'], order: { id: 7 }, 'bad name': 'x', empty: null });
    assert.deepEqual(variables, [
      { name: 'BotHandoffTopic', type: 'string', value: 'CreditCard' },
      { name: 'attempts', type: 'number', value: 3 },
      { name: 'vip', type: 'boolean', value: true },
      { name: 'va_Topics', type: 'list', value: ['a', 'b'] },
      { name: 'order', type: 'string', value: '{"id":7}' },
    ]);
    assert.deepEqual(skipped, ['bad name', 'empty']);
  });
});

describe('bot settings', () => {
  it('defaults by app id, and lists every problem', () => {
    const anonymous = readBotSettings({ messagingEndpoint: 'http://127.0.0.1:3978/api/messages' }, null, null);
    assert.ok(anonymous.ok && anonymous.settings.authMode === 'none' && anonymous.settings.state === 'active', JSON.stringify(anonymous));
    const withApp = readBotSettings({ messagingEndpoint: 'https://bot.example/api/messages' }, null, 'app-1');
    assert.ok(withApp.ok && withApp.settings.authMode === 'switchboard', JSON.stringify(withApp));
    const entra = readBotSettings({ messagingEndpoint: 'https://bot.example/api/messages', authMode: 'entra' }, null, 'app-1');
    assert.ok(entra.ok && entra.settings.entra?.audience === 'https://api.botframework.com', 'entra gets Microsoft\'s defaults');
    const bad = readBotSettings({ messagingEndpoint: 'ftp://x', authMode: 'entra', role: 'boss', escalatePhrases: { 'not a locale': ['x'] } }, null, null);
    assert.equal(bad.ok, false);
    assert.ok(!bad.ok && bad.problems.length >= 4, JSON.stringify(bad));
    assert.equal(readBotSettings({}, null, null).ok, false, 'an endpoint is required');
    assert.equal(readBotSettings({ messagingEndpoint: 'http://u:p@h/x' }, null, null).ok, false, 'no credentials in the URL');
  });
});
