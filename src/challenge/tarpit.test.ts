import assert from 'node:assert/strict';
import { EventEmitter } from 'node:events';
import { describe, it, mock } from 'node:test';
import { parsePolicy } from '../policy/load-policy.ts';
import { Tarpit } from './tarpit.ts';

function tarpit(yaml: string): Tarpit {
  return new Tarpit(parsePolicy(yaml, { env: {} }));
}

describe('tarpit', () => {
  it('releases a held request after the delay, and holds at most max_concurrent at once', () => {
    mock.timers.enable({ apis: ['setTimeout'] });
    try {
      const t = tarpit('tarpit: { delay: 2s, max_concurrent: 2 }\n');
      const released: number[] = [];
      assert.equal(t.hold(() => released.push(1)), true);
      assert.equal(t.hold(() => released.push(2)), true);
      assert.equal(t.hold(() => released.push(3)), false);
      assert.deepEqual(t.stats(), { held: 2, overflowed: 1 });
      mock.timers.tick(1999);
      assert.equal(released.length, 0);
      mock.timers.tick(1);
      assert.deepEqual(released, [1, 2]);
      assert.equal(t.hold(() => released.push(4)), true);
      assert.deepEqual(t.stats(), { held: 1, overflowed: 1 });
    } finally {
      mock.timers.reset();
    }
  });

  it('frees the slot at once, without releasing, when the client leaves', () => {
    mock.timers.enable({ apis: ['setTimeout'] });
    try {
      const t = tarpit('tarpit: { delay: 5s, max_concurrent: 1 }\n');
      const client = new EventEmitter();
      let released = false;
      assert.equal(t.hold(() => (released = true), client), true);
      client.emit('close');
      assert.deepEqual(t.stats(), { held: 0, overflowed: 0 });
      mock.timers.tick(5000);
      assert.equal(released, false);
    } finally {
      mock.timers.reset();
    }
  });

  it('keeps its settings in bounds and follows a reload', () => {
    const t = tarpit('{}\n');
    assert.equal(t.delayMs, 3000);
    assert.equal(t.whenFull, 'throttle');
    t.configure(parsePolicy('tarpit: { delay: 500ms, max_concurrent: 7, when_full: deny }\n', { env: {} }));
    assert.deepEqual([t.delayMs, t.maxConcurrent, t.whenFull], [500, 7, 'deny']);
  });
});
