// Bytes per tracked key in the memory store with 1,000,000 keys (after GC), that memory does not grow
// once those keys expire and a new million arrive, and the same figure for the peers' memory stores.
//
//   npm run bench:memory   (needs --expose-gc, which the script passes; writes the "memory" section)
import { MemoryStore as ErlMemoryStore } from 'express-rate-limit';
import { RateLimiterMemory } from 'rate-limiter-flexible';
import { VirtualClock } from '../src/engine/clock.ts';
import { getAlgorithm } from '../src/limiters/registry.ts';
import { createMemoryStore } from '../src/stores/memory/memory-store.ts';
import type { LimitTable } from '../src/stores/types.ts';
import { machine, writeSection } from './lib/harness.ts';

const N = process.argv.includes('--quick') ? 100_000 : 1_000_000;
const gc = globalThis.gc;
if (gc === undefined) throw new Error('run with node --expose-gc (npm run bench:memory does)');

function used(): number {
  gc!();
  gc!();
  const m = process.memoryUsage();
  return m.heapUsed + m.arrayBuffers;
}

/** A key string built per request, as a front door would (the store must own it). */
function keyOf(round: number, i: number): string {
  return `${10 + round}.${(i >>> 16) & 255}.${(i >>> 8) & 255}.${i & 255}`;
}

const rows: string[] = [];
const mb = (b: number): string => `${(b / 1024 / 1024).toFixed(1)} MiB`;

// --- rampart memory store ---
{
  const clock = new VirtualClock(Date.parse('2026-01-01T00:00:00Z'));
  const table: LimitTable = { id: 'per-ip', algorithm: getAlgorithm('sliding-window'), spec: { limit: 100, windowMs: 60_000, burst: 100 }, penaltyMs: 0 };
  const before = used();
  const store = createMemoryStore({ maxKeys: N + 1024 });
  for (let i = 0; i < N; i++) store.consume([{ table, key: keyOf(0, i), cost: 1 }], clock.now());
  const full = used();
  const perKey = (full - before) / N;
  // Let every key expire, sweep them out, then bring a fresh million: memory must not grow.
  clock.advance(3 * 60_000);
  store.sweep(clock.now(), N + 1024);
  const afterExpiry = used();
  for (let i = 0; i < N; i++) store.consume([{ table, key: keyOf(1, i), cost: 1 }], clock.now());
  const refilled = used();
  const stats = store.stats();
  console.log(`rampart memory store: ${perKey.toFixed(1)} B/key; full ${mb(full - before)}, after expiry ${mb(afterExpiry - before)}, refilled ${mb(refilled - before)}; keys ${stats.keys}, expired ${stats.expired}, evictions ${stats.evictions}`);
  rows.push(`| rampart memory store (sliding window) | ${perKey.toFixed(0)} | ${mb(full - before)} | ${mb(afterExpiry - before)} | ${mb(refilled - before)} (${(((refilled - full) / (full - before)) * 100).toFixed(1)}% vs first million) |`);
  await store.close();
}

// --- rate-limiter-flexible RateLimiterMemory (a timer per key) ---
{
  const before = used();
  const limiter = new RateLimiterMemory({ points: 100, duration: 60 });
  for (let i = 0; i < N; i++) await limiter.consume(keyOf(2, i));
  const full = used();
  const perKey = (full - before) / N;
  console.log(`rate-limiter-flexible RateLimiterMemory: ${perKey.toFixed(1)} B/key`);
  rows.push(`| rate-limiter-flexible RateLimiterMemory | ${perKey.toFixed(0)} | ${mb(full - before)} | (timer per key, 60 s) | n/a |`);
  // Its per-key timers would keep the process alive for a minute.
  for (let i = 0; i < N; i++) await limiter.delete(keyOf(2, i));
}

// --- express-rate-limit MemoryStore ---
{
  const before = used();
  const store = new ErlMemoryStore();
  store.init({ windowMs: 60_000 } as never);
  for (let i = 0; i < N; i++) await store.increment(keyOf(3, i));
  const full = used();
  const perKey = (full - before) / N;
  console.log(`express-rate-limit MemoryStore: ${perKey.toFixed(1)} B/key`);
  rows.push(`| express-rate-limit MemoryStore | ${perKey.toFixed(0)} | ${mb(full - before)} | (cleared per window) | n/a |`);
  store.shutdown();
}

if (N === 1_000_000) {
  writeSection(
    'memory',
    `## Memory per tracked key

Command: \`npm run bench:memory\` (${machine()}). ${N.toLocaleString('en')} distinct IPv4 keys, each consumed once;
heap + array buffers after two full GCs, minus the same before; key strings are built per request, so the
store's own copies are counted. Then every key expires, the sweep frees them, and a fresh million arrives.

| store | bytes per key | 1M keys | after expiry + sweep | a new 1M after expiry |
| --- | ---: | ---: | ---: | ---: |
${rows.join('\n')}
`,
  );
  console.log('wrote the memory section of BENCHMARKS.md');
}
