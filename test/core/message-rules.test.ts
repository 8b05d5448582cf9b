import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { sameMessageRequest, type MessageRequest } from '../../src/core/message-request.js';
import { canAuthor, canSee, defaultAudience } from '../../src/core/message-visibility.js';

describe('message visibility', () => {
  const seeing: ReadonlyArray<[Parameters<typeof canSee>[0], Parameters<typeof canSee>[1], boolean]> = [
    ['customer', 'public', true],
    ['customer', 'internal', false],
    ['customer', 'whisper', false],
    ['agent', 'public', true],
    ['agent', 'internal', true],
    ['agent', 'whisper', true],
    ['supervisor', 'whisper', true],
  ];
  for (const [audience, visibility, expected] of seeing) {
    it(`${audience} ${expected ? 'sees' : 'does not see'} ${visibility} messages`, () => assert.equal(canSee(audience, visibility), expected));
  }

  it('gives bots the customer’s view, so an agent-only note never reaches a bot', () => {
    assert.equal(defaultAudience('bot'), 'customer');
    assert.equal(canSee(defaultAudience('bot'), 'internal'), false);
  });

  const authoring: ReadonlyArray<[Parameters<typeof canAuthor>[0], Parameters<typeof canAuthor>[1], boolean]> = [
    ['customer', 'public', true],
    ['customer', 'internal', false],
    ['customer', 'whisper', false],
    ['agent', 'internal', true],
    ['agent', 'whisper', false],
    ['bot', 'internal', true],
    ['supervisor', 'whisper', true],
    ['system', 'public', true],
  ];
  for (const [role, visibility, expected] of authoring) {
    it(`a ${role} ${expected ? 'may' : 'may not'} post a ${visibility} message`, () => assert.equal(canAuthor(role, visibility), expected));
  }
});

describe('idempotent message retries', () => {
  const base: MessageRequest = { senderRole: 'customer', senderId: 'con_1', visibility: 'public', text: 'hi', attachments: [{ name: 'a.png', contentType: 'image/png', size: 10 }] };
  it('treats an identical retry as the same message', () => assert.equal(sameMessageRequest(base, { ...base, attachments: [{ ...base.attachments[0]! }] }), true));
  it('treats a missing url and an undefined url alike', () => assert.equal(sameMessageRequest(base, { ...base, attachments: [{ ...base.attachments[0]!, url: undefined }] }), true));
  const changes: ReadonlyArray<[string, Partial<MessageRequest>]> = [
    ['text', { text: 'hello' }],
    ['sender', { senderId: 'con_2' }],
    ['role', { senderRole: 'agent' }],
    ['visibility', { visibility: 'internal' }],
    ['attachments', { attachments: [] }],
    ['attachment size', { attachments: [{ name: 'a.png', contentType: 'image/png', size: 11 }] }],
  ];
  for (const [what, change] of changes) {
    it(`treats a different ${what} under the same key as a different message`, () => assert.equal(sameMessageRequest(base, { ...base, ...change }), false));
  }
});
