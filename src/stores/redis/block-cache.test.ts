import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createBlockCache } from './block-cache.ts';
import { createCircuitBreaker } from './circuit-breaker.ts';

describe('block cache', () => {
  it('never holds more than maxKeys entries, dropping the oldest', () => {
    const cache = createBlockCache(3);
    for (let i = 0; i < 10; i++) cache.add(`k${i}`, 1_000);
    assert.equal(cache.size, 3);
    assert.equal(cache.blockedUntil('k0', 0), 0);
    assert.equal(cache.blockedUntil('k9', 0), 1_000);
  });

  it('forgets a block once it has ended', () => {
    const cache = createBlockCache(10);
    cache.add('k', 500);
    assert.equal(cache.blockedUntil('k', 499), 500);
    assert.equal(cache.blockedUntil('k', 500), 0);
    assert.equal(cache.size, 0);
  });

  it('caches nothing when turned off', () => {
    const cache = createBlockCache(0);
    cache.add('k', 500);
    assert.equal(cache.size, 0);
  });
});

describe('circuit breaker', () => {
  it('opens after failures in a row, lets one trial through after the cooldown, and closes on success', () => {
    const moves: string[] = [];
    const breaker = createCircuitBreaker({ failures: 2, cooldownMs: 100, onChange: (to) => moves.push(to) });
    breaker.failure(0);
    breaker.success(); // a success in between resets the count
    breaker.failure(1);
    assert.equal(breaker.state, 'closed');
    breaker.failure(2);
    assert.equal(breaker.state, 'open');
    assert.equal(breaker.allow(50), false);
    assert.equal(breaker.allow(102), true);
    assert.equal(breaker.allow(103), false, 'one trial at a time');
    breaker.failure(104);
    assert.equal(breaker.state, 'open');
    assert.equal(breaker.allow(204), true);
    breaker.success();
    assert.deepEqual(moves, ['open', 'half-open', 'open', 'half-open', 'closed']);
  });
});
