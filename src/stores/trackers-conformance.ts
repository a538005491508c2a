/**
 * The conformance tests of {@link SharedTrackers}, for stores that have `trackers` (run by
 * runStoreConformance in conformance.ts with `trackers: true`). The reference is a plain map of logs
 * and counters; expiry is not modelled: every test runs well within the TTLs it gives.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import type { Algorithm } from '../limiters/types.ts';
import type { HotStore, SharedTrackers } from './types.ts';

const TTL_MS = 600_000;
const T0 = Date.parse('2026-01-01T00:00:00.000Z');

/**
 * What {@link SharedTrackers} must answer, kept in memory. Also the in-process trackers of tests
 * that pool detectors without a Redis (test/support/shared-trackers.ts).
 */
export class TrackersReference {
  readonly #logs = new Map<string, string[]>();
  readonly #writers = new Map<string, string | undefined>();
  readonly #counters = new Map<string, number>();
  append(key: string, entries: readonly string[], capacity: number, writer?: string): string[] | null {
    const log = this.#logs.get(key) ?? [];
    // An item without entries only reads: it creates nothing, trims nothing, and answers the log.
    if (entries.length === 0) return [...log];
    log.push(...entries);
    log.splice(0, Math.max(0, log.length - capacity));
    this.#logs.set(key, log);
    const last = this.#writers.get(key);
    this.#writers.set(key, writer);
    return writer !== undefined && last === writer ? null : [...log];
  }
  add(key: string, amount: number): number {
    const total = (this.#counters.get(key) ?? 0) + amount;
    if (amount !== 0) this.#counters.set(key, total);
    return total;
  }
}

type TrackerStep =
  | { kind: 'append'; items: { key: string; entries: string[]; capacity: number; writer: string | undefined }[] }
  | { kind: 'add'; items: { key: string; amount: number }[] };

const trackerKey = fc.constantFrom('a', 'b', 'c');
const trackerStepArb: fc.Arbitrary<TrackerStep> = fc.oneof(
  fc.record({
    kind: fc.constant('append' as const),
    items: fc.array(
      fc.record({
        key: trackerKey,
        entries: fc.array(fc.string({ maxLength: 3 }), { maxLength: 4 }),
        capacity: fc.integer({ min: 1, max: 5 }),
        writer: fc.constantFrom(undefined, 'w1', 'w2'),
      }),
      { minLength: 1, maxLength: 4 },
    ),
  }),
  fc.record({
    kind: fc.constant('add' as const),
    items: fc.array(fc.record({ key: trackerKey, amount: fc.integer({ min: -3, max: 5 }) }), { minLength: 1, maxLength: 4 }),
  }),
);

/** The store's trackers; a store run with `trackers: true` must have them. */
function trackersOf(store: HotStore): SharedTrackers {
  assert.ok(store.trackers !== undefined, `a ${store.kind} store run with trackers: true has no trackers`);
  return store.trackers;
}

const append = (key: string, entries: string[], capacity = 5, writer?: string) => ({ key, entries, capacity, ttlMs: TTL_MS, writer });
const add = (key: string, amount: number) => ({ key, amount, ttlMs: TTL_MS });

/**
 * Registers the trackers tests. `withStore` makes a fresh store for a test and closes it; `countKeys`
 * counts the keys the store holds; `algorithm` is the one the interference test's limits use.
 */
export function runTrackersConformance(
  name: string,
  withStore: (body: (store: HotStore) => Promise<void>) => Promise<void>,
  countKeys: (store: HotStore) => number | Promise<number>,
  algorithm: Algorithm,
): void {
  /** Runs `body` with a fresh store's trackers. */
  const withTrackers = (body: (trackers: SharedTrackers, store: HotStore) => Promise<void>) => withStore((store) => body(trackersOf(store), store));

  describe(`${name} store conformance: shared trackers`, () => {
    it('answers exactly as the reference over any sequence of appends and adds', async () => {
      await fc.assert(
        fc.asyncProperty(fc.array(trackerStepArb, { maxLength: 30 }), async (steps) => {
          const reference = new TrackersReference();
          await withTrackers(async (trackers) => {
            for (const [n, step] of steps.entries()) {
              if (step.kind === 'append') {
                const logs = await trackers.append(step.items.map((i) => append(i.key, i.entries, i.capacity, i.writer)));
                assert.deepEqual(logs, step.items.map((i) => reference.append(i.key, i.entries, i.capacity, i.writer)), `step ${n}`);
              } else {
                const totals = await trackers.add(step.items.map((i) => add(i.key, i.amount)));
                assert.deepEqual(totals, step.items.map((i) => reference.add(i.key, i.amount)), `step ${n}`);
              }
            }
          });
        }),
        { numRuns: 100 },
      );
    });

    it('keeps the newest capacity entries of a log, dropping the oldest first', async () => {
      await withTrackers(async (trackers) => {
        assert.deepEqual(await trackers.append([append('log', ['1', '2', '3'])]), [['1', '2', '3']]);
        assert.deepEqual(await trackers.append([append('log', ['4', '5', '6'])]), [['2', '3', '4', '5', '6']]);
        assert.deepEqual(await trackers.append([append('log', ['7', '8', '9', '10', '11', '12', '13'], 3)]), [['11', '12', '13']]);
      });
    });

    it('applies several items for one key in one call in order, each seeing the ones before', async () => {
      await withTrackers(async (trackers) => {
        const logs = await trackers.append([append('k', ['a']), append('other', ['x']), append('k', ['b', 'c'], 2), append('k', [])]);
        assert.deepEqual(logs, [['a'], ['x'], ['b', 'c'], ['b', 'c']]);
        assert.deepEqual(await trackers.add([add('k', 2), add('k', 3), add('other', 1), add('k', 0), add('k', -6)]), [2, 5, 1, 5, -1]);
      });
    });

    it('answers null to a writer that made the append before, the log once another writer (or none) came between', async () => {
      await withTrackers(async (trackers) => {
        assert.deepEqual(await trackers.append([append('k', ['a1'], 5, 'A')]), [['a1']]);
        assert.deepEqual(await trackers.append([append('k', ['a2'], 5, 'A')]), [null]);
        assert.deepEqual(await trackers.append([append('k', ['b1'], 5, 'B')]), [['a1', 'a2', 'b1']]);
        assert.deepEqual(await trackers.append([append('k', ['a3'], 5, 'A'), append('k', ['a4'], 5, 'A')]), [['a1', 'a2', 'b1', 'a3'], null]);
        assert.deepEqual(await trackers.append([append('k', ['x'])]), [['a1', 'a2', 'b1', 'a3', 'a4', 'x'].slice(-5)]);
        assert.deepEqual(await trackers.append([append('k', ['a5'], 5, 'A')]), [['a2', 'b1', 'a3', 'a4', 'x', 'a5'].slice(-5)]);
        // A read answers the log whoever asks.
        assert.deepEqual(await trackers.append([append('k', [], 5, 'A')]), [['b1', 'a3', 'a4', 'x', 'a5']]);
      });
    });

    it('answers a read of a missing log with [] and creates no key', async () => {
      await withTrackers(async (trackers, store) => {
        assert.deepEqual(await trackers.append([append('ghost', [])]), [[]]);
        assert.equal(await countKeys(store), 0);
      });
    });

    it('answers an add of 0 to a missing counter with 0 and creates no key', async () => {
      await withTrackers(async (trackers, store) => {
        assert.deepEqual(await trackers.add([add('ghost', 0)]), [0]);
        assert.equal(await countKeys(store), 0);
      });
    });

    it('keeps a log and a counter with the same key apart', async () => {
      await withTrackers(async (trackers) => {
        await trackers.append([append('same', ['entry'])]);
        assert.deepEqual(await trackers.add([add('same', 0), add('same', 4)]), [0, 4]);
        assert.deepEqual(await trackers.append([append('same', [])]), [['entry']]);
      });
    });

    it('never meets a limit table whose id or key is the same string', async () => {
      await withTrackers(async (trackers, store) => {
        const tables = ['t', 'c', 'k'].map((id) => ({ id, algorithm, spec: { limit: 2, windowMs: 60_000, burst: 2 }, penaltyMs: 0 }));
        const calls = tables.map((table) => ({ table, key: 'k', cost: 1 }));
        await store.consume(calls, T0);
        await trackers.append([append('k', ['entry']), append('t', ['entry'])]);
        await trackers.add([add('k', 7), add('c', 7)]);
        const outcomes = await store.consume(calls, T0);
        assert.deepEqual(outcomes.map((o) => [o.allowed, o.remaining]), [[true, 0], [true, 0], [true, 0]]);
        assert.deepEqual(await trackers.append([append('k', []), append('t', [])]), [['entry'], ['entry']]);
        assert.deepEqual(await trackers.add([add('k', 0), add('c', 0)]), [7, 7]);
      });
    });
  });
}
