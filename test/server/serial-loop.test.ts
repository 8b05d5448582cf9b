// The event stream's read loop guard: wake-ups while a pass runs coalesce into one more pass,
// never a second loop beside it and never a lost wake-up; a pass can stop the loop; errors end it.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { SerialLoop } from '../../src/server/ws/serial-loop.js';

describe('SerialLoop', () => {
  it('runs one pass at a time and turns wake-ups during a pass into exactly one more', async () => {
    let passes = 0;
    let inside = 0;
    let release: () => void = () => undefined;
    const loop = new SerialLoop(async () => {
      passes += 1;
      inside += 1;
      assert.equal(inside, 1, 'never two passes at once');
      if (passes === 1) await new Promise<void>((resolve) => (release = resolve));
      inside -= 1;
      return true;
    }, (error) => assert.fail(String(error)));
    const first = loop.run();
    assert.equal(loop.running, true);
    await Promise.all([loop.run(), loop.run(), loop.run()]); // return at once: the running loop will go round again
    release();
    await first;
    assert.equal(passes, 2, 'three wake-ups during the first pass made one more pass');
    assert.equal(loop.running, false);
    await loop.run();
    assert.equal(passes, 3, 'a wake-up after the loop ended starts it again');
  });

  it('stops when a pass answers false, and hands an error to onError', async () => {
    let passes = 0;
    let release: () => void = () => undefined;
    const stopping = new SerialLoop(async () => {
      passes += 1;
      await new Promise<void>((resolve) => (release = resolve));
      return false;
    }, (error) => assert.fail(String(error)));
    const run = stopping.run();
    void stopping.run();
    release();
    await run;
    assert.equal(passes, 1, 'a pass that stops is not repeated for a wake-up it saw');

    const errors: unknown[] = [];
    const failing = new SerialLoop(async () => {
      throw new Error('the log could not be read');
    }, (error) => errors.push(error));
    await failing.run();
    assert.equal(errors.length, 1);
    assert.equal(failing.running, false, 'a failed loop can run again');
  });
});
