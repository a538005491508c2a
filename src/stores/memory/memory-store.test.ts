import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { ErrorCode, isRampartError } from '../../errors.ts';
import { fixedWindow } from '../../limiters/fixed-window.ts';
import { gcra } from '../../limiters/gcra.ts';
import { algorithms } from '../../limiters/registry.ts';
import type { Algorithm, LimitSpec } from '../../limiters/types.ts';
import { runStoreConformance } from '../conformance.ts';
import type { LimitTable } from '../types.ts';
import { createMemoryStore, MAX_TABLES } from './memory-store.ts';
import type { MemoryStore } from './memory-store.ts';

runStoreConformance('memory', () => createMemoryStore({ maxKeys: 1_000 }), Object.values(algorithms));

const T0 = Date.parse('2026-01-01T00:00:00.000Z');
const perMinute: LimitSpec = { limit: 1, windowMs: 60_000, burst: 1 };

function table(id: string, penaltyMs = 0, spec: LimitSpec = perMinute, algorithm: Algorithm = fixedWindow): LimitTable {
  return { id, algorithm, spec, penaltyMs };
}

function hit(store: MemoryStore, t: LimitTable, key: string, now = T0, cost = 1) {
  const [outcome] = store.consume([{ table: t, key, cost }], now);
  return outcome;
}

describe('memory store: bounds and eviction', () => {
  it('never tracks more than maxKeys keys under a flood of fresh keys', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 40 }),
        fc.integer({ min: 0, max: 8 }),
        fc.array(fc.record({ key: fc.string({ maxLength: 4 }), table: fc.integer({ min: 0, max: 2 }), cost: fc.integer({ min: 0, max: 2 }), dt: fc.nat(30_000) }), { maxLength: 300 }),
        (maxKeys, sweepBatch, calls) => {
          const store = createMemoryStore({ maxKeys, sweepBatch });
          const tables = [table('x'), table('y', 10_000), table('z', 0, { limit: 3, windowMs: 1_000, burst: 3 })];
          let now = T0;
          for (const c of calls) {
            now += c.dt;
            store.consume([{ table: tables[c.table], key: c.key, cost: c.cost }], now);
            assert.ok(store.stats().keys <= maxKeys);
            assert.ok(store.capacity <= maxKeys);
          }
        },
      ),
    );
  });

  it('keeps a blocked key through a flood of 10 × maxKeys fresh keys and evicts normal keys instead', () => {
    const store = createMemoryStore({ maxKeys: 100 });
    const login = table('login', 600_000);
    hit(store, login, 'attacker');
    assert.equal(hit(store, login, 'attacker').blocked, true);
    for (let i = 0; i < 1_000; i++) hit(store, login, `fresh-${i}`, T0 + i);
    const stats = store.stats();
    assert.equal(stats.keys, 100);
    assert.equal(stats.evictions, 901);
    assert.equal(stats.protectedEvictions, 0);
    const again = hit(store, login, 'attacker', T0 + 1_000);
    assert.deepEqual([again.allowed, again.blocked, again.retryAfterMs], [false, true, 599_000]);
  });

  it('keeps an over-limit key (no penalty box) through a flood, so its counter is not reset', () => {
    const store = createMemoryStore({ maxKeys: 10 });
    const api = table('api');
    hit(store, api, 'scraper');
    assert.equal(hit(store, api, 'scraper').allowed, false);
    for (let i = 0; i < 100; i++) hit(store, api, `fresh-${i}`);
    assert.equal(hit(store, api, 'scraper').allowed, false);
    assert.equal(store.stats().protectedEvictions, 0);
  });

  it('evicts the least recently used protected key, and counts it, when only protected keys remain', () => {
    const evicted: [string, string, boolean][] = [];
    const store = createMemoryStore({ maxKeys: 3, onEvict: (t, k, p) => evicted.push([t, k, p]) });
    const login = table('login', 600_000);
    for (const key of ['a', 'b', 'c']) {
      hit(store, login, key);
      hit(store, login, key);
    }
    hit(store, login, 'a', T0 + 1);
    hit(store, login, 'd', T0 + 2);
    assert.deepEqual(evicted, [['login', 'b', true]]);
    assert.deepEqual(store.stats(), { keys: 3, evictions: 1, protectedEvictions: 1, expired: 0 });
  });

  it('evicts normal keys in least-recently-used order', () => {
    const evicted: string[] = [];
    const store = createMemoryStore({ maxKeys: 3, onEvict: (_t, k) => evicted.push(k) });
    const t = table('t', 0, { limit: 10, windowMs: 60_000, burst: 10 });
    for (const key of ['a', 'b', 'c']) hit(store, t, key);
    hit(store, t, 'a');
    hit(store, t, 'b', T0, 0);
    hit(store, t, 'd');
    hit(store, t, 'e');
    assert.deepEqual(evicted, ['c', 'a']);
    assert.equal(hit(store, t, 'b').remaining, 8);
  });

  it('sweeps expired keys and reuses their slots without evicting', () => {
    const store = createMemoryStore({ maxKeys: 100, sweepBatch: 0 });
    const t = table('t', 0, { limit: 5, windowMs: 1_000, burst: 5 });
    for (let i = 0; i < 100; i++) hit(store, t, `old-${i}`);
    assert.equal(store.stats().keys, 100);
    assert.equal(store.sweep(T0 + 10_000, Number.POSITIVE_INFINITY), 100);
    assert.deepEqual(store.stats(), { keys: 0, evictions: 0, protectedEvictions: 0, expired: 100 });
    for (let i = 0; i < 100; i++) hit(store, t, `new-${i}`, T0 + 10_000);
    assert.deepEqual(store.stats(), { keys: 100, evictions: 0, protectedEvictions: 0, expired: 100 });
  });

  it('frees expired keys incrementally as new keys arrive', () => {
    const store = createMemoryStore({ maxKeys: 64, sweepBatch: 8 });
    const t = table('t', 0, { limit: 5, windowMs: 1_000, burst: 5 });
    for (let i = 0; i < 64; i++) hit(store, t, `old-${i}`);
    for (let i = 0; i < 64; i++) hit(store, t, `new-${i}`, T0 + 10_000);
    const stats = store.stats();
    assert.equal(stats.evictions, 0);
    assert.equal(stats.expired, 64);
    assert.equal(stats.keys, 64);
  });

  it('keeps a blocked key until its penalty ends even if its window expired', () => {
    const store = createMemoryStore({ maxKeys: 10 });
    const t = table('t', 60_000, { limit: 1, windowMs: 1_000, burst: 1 });
    hit(store, t, 'k');
    hit(store, t, 'k');
    assert.equal(store.sweep(T0 + 59_999, 100), 0);
    assert.equal(hit(store, t, 'k', T0 + 59_999).blocked, true);
    assert.equal(store.sweep(T0 + 60_000, 100), 1);
    assert.equal(store.stats().keys, 0);
  });

  it('counts an expired victim as expired, not as an eviction', () => {
    const store = createMemoryStore({ maxKeys: 2, sweepBatch: 0 });
    const t = table('t', 0, { limit: 5, windowMs: 1_000, burst: 5 });
    hit(store, t, 'a');
    hit(store, t, 'b');
    hit(store, t, 'c', T0 + 5_000);
    assert.deepEqual(store.stats(), { keys: 2, evictions: 0, protectedEvictions: 0, expired: 1 });
  });

  it('drops an expired key when it is peeked at', () => {
    const store = createMemoryStore({ maxKeys: 10 });
    const t = table('t', 0, { limit: 5, windowMs: 1_000, burst: 5 });
    hit(store, t, 'k');
    const peek = hit(store, t, 'k', T0 + 5_000, 0);
    assert.deepEqual([peek.allowed, peek.remaining], [true, 5]);
    assert.deepEqual(store.stats(), { keys: 0, evictions: 0, protectedEvictions: 0, expired: 1 });
  });

  it('grows its arrays by doubling instead of allocating maxKeys up front', () => {
    const store = createMemoryStore({ maxKeys: 1_000_000 });
    assert.equal(store.capacity, 1_024);
    const t = table('t');
    for (let i = 0; i < 3_000; i++) hit(store, t, `k${i}`);
    assert.equal(store.capacity, 4_096);
    assert.equal(store.stats().keys, 3_000);
  });
});

describe('memory store: tables and lifecycle', () => {
  it('answers synchronously with fresh outcome objects', () => {
    const store = createMemoryStore({ maxKeys: 10 });
    const t = table('t', 0, { limit: 2, windowMs: 1_000, burst: 2 });
    const first = store.consume([{ table: t, key: 'k', cost: 1 }], T0);
    assert.ok(Array.isArray(first));
    const second = store.consume([{ table: t, key: 'k', cost: 1 }], T0);
    assert.notEqual(first[0], second[0]);
    assert.equal(first[0].remaining, 1);
  });

  it('keeps state when a reload changes only the spec', () => {
    const store = createMemoryStore({ maxKeys: 10 });
    hit(store, table('t', 0, { limit: 3, windowMs: 60_000, burst: 3 }), 'k');
    const reloaded = table('t', 0, { limit: 2, windowMs: 60_000, burst: 2 });
    assert.equal(hit(store, reloaded, 'k').remaining, 0);
  });

  it('drops a table’s state when a reload changes its algorithm', () => {
    const store = createMemoryStore({ maxKeys: 10 });
    const before = table('t', 60_000);
    hit(store, before, 'k');
    hit(store, before, 'k');
    hit(store, table('other'), 'k');
    assert.equal(store.stats().keys, 2);
    const after = hit(store, table('t', 60_000, perMinute, gcra), 'k', T0 + 1);
    assert.deepEqual([after.allowed, after.blocked], [true, false]);
    assert.equal(hit(store, table('other'), 'k').allowed, false);
    assert.equal(store.stats().keys, 2);
  });

  it('rejects more than 65,535 distinct tables', () => {
    const store = createMemoryStore({ maxKeys: 10 });
    for (let i = 0; i < MAX_TABLES; i++) hit(store, table(`t${i}`), 'k', T0, 0);
    assert.throws(
      () => hit(store, table('one-too-many'), 'k', T0, 0),
      (err) => isRampartError(err) && err.code === ErrorCode.INVALID_ARGUMENT,
    );
  });

  it('forgets everything on close', async () => {
    const store = createMemoryStore({ maxKeys: 1 });
    const t = table('t', 60_000);
    hit(store, t, 'a');
    hit(store, t, 'b');
    await store.close();
    assert.deepEqual(store.stats(), { keys: 0, evictions: 0, protectedEvictions: 0, expired: 0 });
    assert.equal(hit(store, t, 'b').allowed, true);
  });

  it('rejects invalid options', () => {
    for (const options of [{ maxKeys: 0 }, { maxKeys: 1.5 }, { maxKeys: 2 ** 25 }, { maxKeys: 10, sweepBatch: -1 }]) {
      assert.throws(
        () => createMemoryStore(options),
        (err) => isRampartError(err) && err.code === ErrorCode.INVALID_ARGUMENT,
      );
    }
  });
});
