import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { Redis } from 'ioredis';
import { fixedWindow } from '../../limiters/fixed-window.ts';
import { algorithms } from '../../limiters/registry.ts';
import { countKeys, deleteKeys, listKeys } from '../../../test/support/redis-server.ts';
import { runStoreConformance } from '../conformance.ts';
import type { HotStore, LimitTable } from '../types.ts';
import { keySlot } from './key-slot.ts';
import { createRedisStore } from './redis-store.ts';
import type { RedisScriptClient, RedisStore } from './redis-store.ts';

// The Redis the CI starts; these tests fail (never skip) without it.
const client = new Redis({ host: '127.0.0.1', port: 6379, lazyConnect: false, maxRetriesPerRequest: 1 });
const ROOT = `rampart-test:${process.pid}:`;
let stores = 0;
const prefixes = new WeakMap<HotStore, string>();

after(async () => {
  await deleteKeys(client, `${ROOT}*`);
  client.disconnect();
});

function storeWith(extra: Partial<Parameters<typeof createRedisStore>[0]> = {}): RedisStore {
  const prefix = `${ROOT}${++stores}:`;
  // Virtual times in the suite: TTLs get a long slack so no key expires in real time mid-test.
  const store = createRedisStore({ client, prefix, time: 'caller', ttlSlackMs: 600_000, ...extra });
  prefixes.set(store, prefix);
  return store;
}

runStoreConformance('redis', () => storeWith(), Object.values(algorithms), { countKeys: (store) => countKeys(client, `${prefixes.get(store)!}*`), trackers: true });

const T0 = Date.parse('2026-01-01T00:00:00.000Z');
const boxed: LimitTable = { id: 'boxed', algorithm: fixedWindow, spec: { limit: 1, windowMs: 60_000, burst: 1 }, penaltyMs: 10_000 };
const global: LimitTable = { id: 'global', algorithm: fixedWindow, spec: { limit: 1000, windowMs: 60_000, burst: 1000 }, penaltyMs: 0 };

/** Wraps the client to count scripts and to fail on demand. */
function wrapped(): { client: RedisScriptClient; scripts: () => number; fail: (on: boolean) => void; dropScripts: () => Promise<void> } {
  let scripts = 0;
  let failing = false;
  return {
    client: {
      evalsha: (sha, n, ...args) => {
        scripts++;
        return failing ? Promise.reject(new Error('connection lost')) : client.evalsha(sha, n, ...args);
      },
      eval: (script, n, ...args) => {
        scripts++;
        return failing ? Promise.reject(new Error('connection lost')) : client.eval(script, n, ...args);
      },
      del: (...keys) => client.del(...keys),
    },
    scripts: () => scripts,
    fail: (on) => (failing = on),
    dropScripts: async () => {
      await client.script('FLUSH');
    },
  };
}

/** A client whose EVALSHA throws instead of rejecting, as a broken client might. */
function throwing(): RedisScriptClient {
  return {
    evalsha: () => {
      throw new Error('socket gone');
    },
    eval: () => Promise.reject(new Error('socket gone')),
    del: () => Promise.resolve(0),
  };
}

describe('redis store', () => {
  it('decides every limit of a request in one script', async () => {
    const w = wrapped();
    const store = storeWith({ client: w.client });
    const tables = [boxed, global, { ...global, id: 'third' }];
    const outcomes = await store.consume(tables.map((table) => ({ table, key: '198.51.100.1', cost: 1 })), T0);
    assert.deepEqual(outcomes.map((o) => o.allowed), [true, true, true]);
    assert.equal(w.scripts(), 1);
    assert.equal(store.stats().roundTrips, 1);
  });

  it('shares one script between requests made in the same tick, in order, counting a shared key once per call', async () => {
    const w = wrapped();
    const store = storeWith({ client: w.client, time: 'server' });
    const five: LimitTable = { id: 'five', algorithm: fixedWindow, spec: { limit: 5, windowMs: 3_600_000, burst: 5 }, penaltyMs: 0 };
    const results = await Promise.all(
      Array.from({ length: 10 }, (_, i) => store.consume([{ table: five, key: 'shared', cost: 1 }, { table: global, key: `own-${i}`, cost: 1 }], 0)),
    );
    assert.deepEqual(results.map(([o]) => o.remaining), [4, 3, 2, 1, 0, 0, 0, 0, 0, 0]);
    assert.deepEqual(results.map(([o]) => o.allowed), [true, true, true, true, true, false, false, false, false, false]);
    assert.deepEqual(results.map(([, o]) => o.remaining), Array(10).fill(999));
    assert.equal(w.scripts(), 1);
    assert.equal(store.stats().roundTrips, 1);
  });

  it('answers a key in a penalty box from the block cache, taking nothing from the other limits', async () => {
    const w = wrapped();
    const store = storeWith({ client: w.client });
    const calls = [{ table: boxed, key: 'flood', cost: 1 }, { table: global, key: 'all', cost: 1 }];
    await store.consume(calls, T0);
    const [refused] = await store.consume(calls, T0 + 1);
    assert.equal(refused.blocked, true);
    const before = w.scripts();
    for (let i = 0; i < 50; i++) {
      const [o, other] = await store.consume(calls, T0 + 2 + i);
      assert.deepEqual([o.allowed, o.blocked, o.retryAfterMs], [false, true, 10_000 - 1 - i]);
      assert.deepEqual([other.allowed, other.skipped], [true, true]);
    }
    assert.equal(w.scripts(), before);
    assert.equal(store.stats().blockCacheHits, 50);
    // The global limit counted only the two requests that reached Redis.
    const [g] = await store.consume([{ table: global, key: 'all', cost: 0 }], T0 + 100);
    assert.equal(g.remaining, 998);
    // Once the box ends, the key goes to Redis again.
    const [free] = await store.consume(calls, T0 + 60_000);
    assert.equal(free.allowed, true);
  });

  it('does not let a monitored rule\'s penalty box skip the other limits', async () => {
    const store = storeWith();
    const monitored: LimitTable = { ...boxed, id: 'watched', monitor: true };
    const calls = [{ table: monitored, key: 'k', cost: 1 }, { table: global, key: 'm', cost: 1 }];
    await store.consume(calls, T0);
    await store.consume(calls, T0 + 1);
    const [o, other] = await store.consume(calls, T0 + 2);
    assert.equal(o.blocked, true);
    assert.equal(other.skipped, undefined);
    assert.equal(other.remaining, 997);
  });

  it('sends the script again after Redis forgot it (NOSCRIPT)', async () => {
    const w = wrapped();
    const store = storeWith({ client: w.client });
    await store.consume([{ table: global, key: 'ns', cost: 1 }], T0);
    await w.dropScripts();
    const [o] = await store.consume([{ table: global, key: 'ns', cost: 1 }], T0);
    assert.deepEqual([o.allowed, o.remaining], [true, 998]);
    assert.equal(store.stats().scriptReloads, 1);
  });

  it('opens the breaker after repeated failures, then closes it when Redis answers', async () => {
    const w = wrapped();
    const store = storeWith({ client: w.client, breaker: { failures: 3, cooldownMs: 1_000 } });
    const call = [{ table: global, key: 'br', cost: 1 }];
    w.fail(true);
    for (let i = 0; i < 3; i++) await assert.rejects(store.consume(call, T0), { code: 'RAMPART_ERR_STORE' });
    assert.equal(store.stats().breaker, 'open');
    const sent = w.scripts();
    await assert.rejects(store.consume(call, T0 + 500), { code: 'RAMPART_ERR_STORE' });
    assert.equal(w.scripts(), sent, 'no call while open');
    w.fail(false);
    const [o] = await store.consume(call, T0 + 1_000);
    assert.equal(o.allowed, true);
    assert.equal(store.stats().breaker, 'closed');
    assert.deepEqual(store.stats().transitions, { open: 1, 'half-open': 1, closed: 1 });
  });

  it('takes time from Redis: stores whose callers disagree by 5 s share one limit exactly', async () => {
    const prefix = `${ROOT}skew:`;
    const a = createRedisStore({ client, prefix });
    const b = createRedisStore({ client, prefix });
    const table: LimitTable = { id: 'skew', algorithm: algorithms['sliding-window'], spec: { limit: 10, windowMs: 60_000, burst: 10 }, penaltyMs: 0 };
    let admitted = 0;
    for (let i = 0; i < 30; i++) {
      const store = i % 2 === 0 ? a : b;
      const [o] = await store.consume([{ table, key: 'k', cost: 1 }], Date.now() + (i % 2 === 0 ? 0 : 5_000));
      if (o.allowed) admitted++;
    }
    // A window edge may fall inside the loop; the sliding estimate still holds the sum to 10.
    assert.equal(admitted, 10);
  });

  it('sets a TTL on every key it writes', async () => {
    const prefix = `${ROOT}ttl:`;
    const store = createRedisStore({ client, prefix });
    await store.consume([{ table: boxed, key: 't', cost: 1 }, { table: global, key: 't', cost: 1 }], 0);
    const keys = await listKeys(client, `${prefix}*`);
    assert.equal(keys.length, 2);
    for (const key of keys) {
      const ttl = await client.pttl(key);
      assert.ok(ttl > 0 && ttl <= 61_000, `${key} ttl ${ttl}`);
    }
  });

  it('keeps a counted member in a key of its own on its counter\'s slot, for its window, sent in the request\'s one script; a refund deletes it', async () => {
    const w = wrapped();
    const store = storeWith({ client: w.client });
    const prefix = prefixes.get(store)!;
    const ids: LimitTable = { id: 'ids', algorithm: fixedWindow, spec: { limit: 5, windowMs: 60_000, burst: 5 }, penaltyMs: 0 };
    const counted = { table: ids, key: '198.51.100.9', cost: 1, member: 'alice' };
    const [o, other] = await store.consume([counted, { table: global, key: 'all', cost: 1 }], T0);
    assert.deepEqual([o.allowed, other.allowed], [true, true]);
    assert.equal(w.scripts(), 1);
    const counter = `${prefix}ids:1:{198.51.100.9}`;
    const keys = await listKeys(client, `${prefix}ids:*`);
    assert.equal(keys.length, 2);
    const member = keys.find((k) => k !== counter)!;
    assert.equal(keySlot(member), keySlot(counter));
    // storeWith's slack is 600 s: the member is kept for its 60 s window plus that.
    const ttl = await client.pttl(member);
    assert.ok(ttl > 600_000 && ttl <= 660_000, `ttl ${ttl}`);
    await store.refund([{ table: ids, key: counted.key, cost: 1, consumedAt: T0, member: 'alice' }], T0);
    assert.equal(await client.exists(member), 0);
  });

  it('refuses a counted member from the block cache while its counter is in the penalty box', async () => {
    const w = wrapped();
    const store = storeWith({ client: w.client });
    const call = (member: string, at: number) => store.consume([{ table: boxed, key: 'members', cost: 1, member }], at);
    await call('a', T0);
    const [refused] = await call('b', T0 + 1);
    assert.equal(refused.blocked, true);
    const before = w.scripts();
    const [repeat] = await call('a', T0 + 2);
    assert.deepEqual([repeat.allowed, repeat.blocked, repeat.skipped], [false, true, undefined]);
    assert.equal(w.scripts(), before);
  });

  it('counts a member once across requests that share one script', async () => {
    const w = wrapped();
    const store = storeWith({ client: w.client, time: 'server' });
    const ids: LimitTable = { id: 'shared-ids', algorithm: fixedWindow, spec: { limit: 5, windowMs: 3_600_000, burst: 5 }, penaltyMs: 0 };
    const results = await Promise.all(['x', 'x', 'y', 'x'].map((member) => store.consume([{ table: ids, key: 'ip', cost: 1, member }], 0)));
    assert.deepEqual(results.map(([o]) => [o.allowed, o.skipped === true, o.remaining]), [[true, false, 4], [true, true, 4], [true, false, 3], [true, true, 3]]);
    assert.equal(w.scripts(), 1);
  });

  it('counts member keys toward the most keys one script may carry', async () => {
    const w = wrapped();
    const store = storeWith({ client: w.client, time: 'server' });
    // 200 requests of one call and one member key each: 400 keys, more than one script's 256.
    const results = await Promise.all(Array.from({ length: 200 }, (_, i) => store.consume([{ table: global, key: `many-${i}`, cost: 1, member: 'm' }], 0)));
    assert.ok(results.every(([o]) => o.allowed && o.remaining === 999));
    assert.equal(w.scripts(), 2);
  });

  it('fails the request, never hangs it, when the client throws instead of rejecting', async () => {
    const store = storeWith({ client: throwing(), time: 'server' });
    await assert.rejects(store.consume([{ table: global, key: 'x', cost: 1 }], T0), { code: 'RAMPART_ERR_STORE', message: /socket gone/ });
  });

  it('refuses a prefix that would change the hash slot', () => {
    assert.throws(() => createRedisStore({ client, prefix: 'a{b}' }), { code: 'RAMPART_ERR_INVALID_ARGUMENT' });
  });
});

describe('redis store: shared trackers', () => {
  const log = (key: string, entries: string[], ttlMs = 60_000, capacity = 10) => ({ key, entries, capacity, ttlMs });
  const counter = (key: string, amount: number, ttlMs = 60_000) => ({ key, amount, ttlMs });

  it('keeps a log and a counter for the ttlMs of their last write, without the store\'s slack; a read leaves the TTL alone', async () => {
    const store = storeWith();
    const prefix = prefixes.get(store)!;
    await store.trackers.append([log('203.0.113.7', ['GET /'], 30_000)]);
    await store.trackers.add([counter('203.0.113.7', 1, 45_000)]);
    await store.trackers.append([log('203.0.113.7', [], 90_000)]);
    await store.trackers.add([counter('203.0.113.7', 0, 90_000)]);
    const logTtl = await client.pttl(`${prefix}t#{203.0.113.7}`);
    const counterTtl = await client.pttl(`${prefix}c#{203.0.113.7}`);
    assert.ok(logTtl > 29_000 && logTtl <= 30_000, `log ttl ${logTtl}`);
    assert.ok(counterTtl > 44_000 && counterTtl <= 45_000, `counter ttl ${counterTtl}`);
    await store.trackers.append([log('203.0.113.7', ['GET /a'], 90_000)]);
    assert.ok((await client.pttl(`${prefix}t#{203.0.113.7}`)) > 89_000, 'an append sets the TTL again');
  });

  it('sends a batch of appends, and one of adds, as one script in one round trip each', async () => {
    const w = wrapped();
    const store = storeWith({ client: w.client });
    const logs = await store.trackers.append([log('a', ['1']), log('b', ['2']), log('a', ['3'])]);
    assert.deepEqual(logs, [['1'], ['2'], ['1', '3']]);
    assert.deepEqual([w.scripts(), store.stats().roundTrips, store.stats().commands], [1, 1, 1]);
    assert.deepEqual(await store.trackers.add([counter('a', 1), counter('b', 2), counter('c', 0)]), [1, 2, 0]);
    assert.deepEqual([w.scripts(), store.stats().roundTrips, store.stats().commands], [2, 2, 2]);
  });

  it('answers exactly, as numbers, counters up to the largest safe integer', async () => {
    const store = storeWith();
    assert.deepEqual(await store.trackers.add([counter('big', Number.MAX_SAFE_INTEGER - 1), counter('big', 1)]), [Number.MAX_SAFE_INTEGER - 1, Number.MAX_SAFE_INTEGER]);
  });

  it('sends the tracker scripts again after Redis forgot them (NOSCRIPT)', async () => {
    const w = wrapped();
    const store = storeWith({ client: w.client });
    await w.dropScripts();
    assert.deepEqual(await store.trackers.append([log('ns', ['x'])]), [['x']]);
    assert.deepEqual(await store.trackers.add([counter('ns', 3)]), [3]);
    assert.equal(store.stats().scriptReloads, 2);
  });

  it('rejects with a store error when Redis fails, counts the failure, and stops calling once the breaker opens', async () => {
    const w = wrapped();
    const store = storeWith({ client: w.client, breaker: { failures: 2, cooldownMs: 60_000 } });
    w.fail(true);
    await assert.rejects(store.trackers.append([log('f', ['x'])]), { code: 'RAMPART_ERR_STORE', message: /connection lost/ });
    assert.equal(store.stats().failures, 1);
    await assert.rejects(store.trackers.add([counter('f', 1)]), { code: 'RAMPART_ERR_STORE' });
    assert.equal(store.stats().breaker, 'open');
    const sent = w.scripts();
    await assert.rejects(store.trackers.add([counter('f', 1)]), { code: 'RAMPART_ERR_STORE', message: /circuit open/ });
    assert.equal(w.scripts(), sent, 'no call while open');
    assert.equal(store.stats().failures, 3);
  });

  it('rejects, never throws, when the client throws instead of rejecting', async () => {
    const store = storeWith({ client: throwing() });
    let pending: Promise<unknown> | undefined;
    assert.doesNotThrow(() => (pending = store.trackers.append([log('x', ['1'])])));
    await assert.rejects(pending!, { code: 'RAMPART_ERR_STORE', message: /socket gone/ });
  });

  it('refuses invalid items before sending anything, and accepts the limits themselves', async () => {
    const w = wrapped();
    const store = storeWith({ client: w.client });
    const badAppends = [
      log('', ['x']),
      log('k'.repeat(129), ['x']),
      log('a{b}', ['x']),
      log('a}', ['x']),
      log('k', ['e'.repeat(257)]),
      { ...log('k', ['x']), capacity: 0 },
      { ...log('k', ['x']), capacity: 1_025 },
      { ...log('k', ['x']), capacity: 1.5 },
      log('k', ['x'], 999),
      log('k', ['x'], 1_000.5),
    ];
    const badAdds = [counter('k', 1.5), counter('k', 2 ** 53), counter('k', Number.NaN), counter('{k}', 1), counter('k', 1, 0)];
    for (const bad of badAppends) await assert.rejects(store.trackers.append([log('fine', ['x']), bad]), { code: 'RAMPART_ERR_INVALID_ARGUMENT', message: /appends\[1\]/ }, JSON.stringify(bad));
    for (const bad of badAdds) await assert.rejects(store.trackers.add([bad]), { code: 'RAMPART_ERR_INVALID_ARGUMENT', message: /adds\[0\]/ }, JSON.stringify(bad));
    await assert.rejects(store.trackers.append([log('a{b}', [])]), { message: /must not contain \{ or \}/ });
    assert.deepEqual([w.scripts(), store.stats().failures], [0, 0]);
    const [edge] = await store.trackers.append([{ key: 'k'.repeat(128), entries: ['e'.repeat(256)], capacity: 1_024, ttlMs: 1_000 }]);
    assert.deepEqual(edge, ['e'.repeat(256)]);
    assert.deepEqual(await store.trackers.add([counter('k'.repeat(128), -(2 ** 53 - 1), 1_000)]), [-(2 ** 53 - 1)]);
  });
});
