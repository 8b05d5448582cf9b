// The conversation feed wakes a customer's socket only when the customer's view may have changed:
// a message (created, edited, deleted) or the end, not the states on the way from a bot to a person.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { RecordingBus } from '../../src/app/ports/fakes/recording-bus.js';
import { ConversationFeed } from '../../src/app/webchat/conversation-feed.js';
import type { EventType, SwitchboardEvent } from '../../src/core/model.js';

let nextId = 1;
function event(type: EventType, conversationId: string, payload: Record<string, unknown> = {}): SwitchboardEvent {
  return { id: nextId++, tenantId: 'ten_1', type, conversationId, actor: { kind: 'system', id: 'system' }, occurredAt: new Date(0).toISOString(), payload };
}

describe('conversation feed', () => {
  it('wakes on messages and the end, not on the other state changes, and only the conversation watched', async () => {
    const bus = new RecordingBus();
    const feed = new ConversationFeed(bus);
    let woken = 0;
    feed.watch('ten_1', 'conv_1', { changed: () => (woken += 1), typing: () => undefined });
    const expectWoken = async (e: SwitchboardEvent, times: number) => {
      const before = woken;
      await bus.publish([e]);
      assert.equal(woken - before, times, `${e.type} ${JSON.stringify(e.payload)}`);
    };
    await expectWoken(event('conversation.state_changed', 'conv_1', { from: 'bot', to: 'queued', reason: 'escalation' }), 0);
    await expectWoken(event('conversation.state_changed', 'conv_1', { from: 'queued', to: 'offered', reason: 'routing' }), 0);
    await expectWoken(event('conversation.state_changed', 'conv_1', { from: 'offered', to: 'active', reason: 'offer accepted' }), 0);
    await expectWoken(event('routing.offered', 'conv_1'), 0);
    await expectWoken(event('message.created', 'conv_1', { message: {} }), 1);
    await expectWoken(event('message.updated', 'conv_1', { message: {} }), 1);
    await expectWoken(event('message.deleted', 'conv_1', { message: {} }), 1);
    await expectWoken(event('message.created', 'conv_2', { message: {} }), 0);
    await expectWoken(event('conversation.state_changed', 'conv_1', { from: 'active', to: 'closed', reason: 'done' }), 1);
    feed.close();
  });
});
