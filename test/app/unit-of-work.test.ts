import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { SYSTEM_CALLER } from '../../src/app/caller.js';
import type { AppDeps } from '../../src/app/deps.js';
import { commit } from '../../src/app/unit-of-work.js';

/**
 * A store whose transactions fail with the given errors first, then succeed: what PostgreSQL does
 * to the losing side of a deadlock. Events appended in a failed attempt count as rolled back.
 */
function flakyDeps(failures: unknown[]) {
  const published: unknown[][] = [];
  let attempts = 0;
  let nextId = 1;
  const deps = {
    clock: { now: () => Date.UTC(2026, 11, 1) },
    bus: { publish: async (events: unknown[]) => void published.push(events) },
    storage: {
      transaction: async <T>(work: (tx: unknown) => Promise<T>): Promise<T> => {
        attempts += 1;
        const tx = { appendEvent: async (e: object) => ({ ...e, id: nextId++ }), identity: { appendAudit: async () => undefined } };
        const result = await work(tx);
        const failure = failures.shift();
        if (failure) throw failure;
        return result;
      },
    },
  } as unknown as AppDeps;
  return { deps, published, attempts: () => attempts };
}

describe('unit of work', () => {
  it('runs the work again after a deadlock and publishes only the committed attempt\'s events', async () => {
    const deadlock = Object.assign(new Error('deadlock detected'), { code: '40P01' });
    const { deps, published, attempts } = flakyDeps([deadlock, Object.assign(new Error('could not serialize'), { code: '40001' })]);
    const result = await commit(deps, SYSTEM_CALLER, async (_tx, emit) => {
      await emit('message.created', 'ten_1', 'conv_1', { n: 1 });
      return 'done';
    });
    assert.equal(result, 'done');
    assert.equal(attempts(), 3);
    assert.equal(published.length, 1, 'one publication');
    assert.equal(published[0]!.length, 1, 'with the last attempt\'s one event');
  });

  it('gives up after four attempts, and never retries other errors', async () => {
    const deadlock = () => Object.assign(new Error('deadlock detected'), { code: '40P01' });
    const stuck = flakyDeps([deadlock(), deadlock(), deadlock(), deadlock()]);
    await assert.rejects(commit(stuck.deps, SYSTEM_CALLER, async () => 'x'), /deadlock detected/);
    assert.equal(stuck.attempts(), 4);
    const other = flakyDeps([new Error('disk full')]);
    await assert.rejects(commit(other.deps, SYSTEM_CALLER, async () => 'x'), /disk full/);
    assert.equal(other.attempts(), 1);
    assert.equal(other.published.length + stuck.published.length, 0, 'nothing published');
  });
});
