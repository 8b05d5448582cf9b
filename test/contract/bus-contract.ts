import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Bus } from '../../src/app/ports/bus.js';
import type { SwitchboardEvent } from '../../src/core/model.js';

const event = (id: number, tenantId = 'ten_1'): SwitchboardEvent => ({
  id, tenantId, type: 'message.created', conversationId: 'conv_1', actor: { kind: 'system', id: null }, occurredAt: '2026-01-01T09:00:00.000Z', payload: { n: id },
});

/** The behaviour every Bus adapter must have; the NATS adapter (scale-out issue) runs it too. */
export function busContract(name: string, make: () => Bus): void {
  describe(`Bus contract: ${name}`, () => {
    it('delivers published events to every subscriber in publish order', async () => {
      const bus = make();
      const a: number[] = [];
      const b: number[] = [];
      bus.subscribe((e) => a.push(e.id));
      bus.subscribe((e) => b.push(e.id));
      await bus.publish([event(1), event(2)]);
      await bus.publish([event(3)]);
      assert.deepEqual(a, [1, 2, 3]);
      assert.deepEqual(b, [1, 2, 3]);
      await bus.close();
    });

    it('stops delivering after unsubscribe', async () => {
      const bus = make();
      const got: number[] = [];
      const off = bus.subscribe((e) => got.push(e.id));
      await bus.publish([event(1)]);
      off();
      await bus.publish([event(2)]);
      assert.deepEqual(got, [1]);
      await bus.close();
    });

    it('keeps delivering to others when one subscriber throws', async () => {
      const bus = make();
      const got: number[] = [];
      bus.subscribe(() => {
        throw new Error('bad subscriber');
      });
      bus.subscribe((e) => got.push(e.id));
      await bus.publish([event(1), event(2)]);
      assert.deepEqual(got, [1, 2]);
      await bus.close();
    });

    it('delivers the event unchanged', async () => {
      const bus = make();
      const got: SwitchboardEvent[] = [];
      bus.subscribe((e) => got.push(e));
      await bus.publish([event(7, 'ten_x')]);
      assert.deepEqual(got, [event(7, 'ten_x')]);
      await bus.close();
    });

    it('treats the same handler subscribed twice as two subscriptions', async () => {
      const bus = make();
      const got: number[] = [];
      const handler = (e: SwitchboardEvent) => got.push(e.id);
      const off1 = bus.subscribe(handler);
      bus.subscribe(handler);
      off1();
      await bus.publish([event(1)]);
      assert.deepEqual(got, [1]);
      await bus.close();
    });
  });
}
