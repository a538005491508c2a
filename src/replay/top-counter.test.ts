import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { TopCounter } from './top-counter.ts';

function trueCounts(keys: readonly string[]): Map<string, number> {
  const m = new Map<string, number>();
  for (const k of keys) m.set(k, (m.get(k) ?? 0) + 1);
  return m;
}

describe('TopCounter', () => {
  it('counts exactly while there are no more distinct keys than counters', () => {
    const top = new TopCounter(3);
    for (const k of ['a', 'b', 'a', 'c', 'a', 'b']) top.add(k);
    assert.deepEqual(top.top(10), [
      { key: 'a', count: 3, overestimate: 0 },
      { key: 'b', count: 2, overestimate: 0 },
      { key: 'c', count: 1, overestimate: 0 },
    ]);
    assert.deepEqual(top.top(1).map((e) => e.key), ['a']);
  });

  it('keeps every key seen more than total/capacity times, with bounds around its true count', () => {
    const keys = fc.array(fc.constantFrom(...'abcdefghijklmnopqrst'.split('')), { maxLength: 400 });
    fc.assert(
      fc.property(keys, fc.integer({ min: 1, max: 8 }), (stream, capacity) => {
        const top = new TopCounter(capacity);
        for (const k of stream) top.add(k);
        const kept = new Map(top.top(capacity).map((e) => [e.key, e]));
        for (const [key, count] of trueCounts(stream)) {
          const e = kept.get(key);
          if (count > stream.length / capacity) assert.ok(e !== undefined, `${key} seen ${count} of ${stream.length} times is kept`);
          if (e !== undefined) assert.ok(e.count - e.overestimate <= count && count <= e.count, `${key}: ${count} within [${e.count - e.overestimate}, ${e.count}]`);
        }
      }),
    );
  });

  it('uses a fixed number of counters however many keys pass through', () => {
    const top = new TopCounter(10);
    for (let i = 0; i < 100_000; i++) top.add(i % 7 === 0 ? 'heavy' : `k${i}`);
    const entries = top.top(100);
    assert.equal(entries.length, 10);
    assert.equal(entries[0]!.key, 'heavy');
  });

  it('refuses a capacity that is not a positive integer', () => {
    assert.throws(() => new TopCounter(0), /capacity must be a positive integer/);
  });
});
