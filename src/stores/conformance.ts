/**
 * The conformance suite every {@link HotStore} backend must pass (memory now, Redis later). It awaits
 * every store call, so synchronous and asynchronous stores run the same tests. The reference is the
 * pure algorithm applied to a plain state map: a store may keep state however it likes, but its
 * answers must equal the algorithm's, exactly.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { newState, newVerdict } from '../limiters/types.ts';
import type { Algorithm, LimiterState, LimitSpec, Verdict } from '../limiters/types.ts';
import { runTrackersConformance } from './trackers-conformance.ts';
import type { HotStore, LimitOutcome, LimitTable } from './types.ts';

const T0 = Date.parse('2026-01-01T00:00:00.000Z');

function table(id: string, algorithm: Algorithm, spec: LimitSpec, penaltyMs = 0): LimitTable {
  return { id, algorithm, spec, penaltyMs };
}

/** The four numbers a store must get exactly right, plus `blocked`. */
function fields(o: LimitOutcome | Verdict, blocked = false): Record<string, number | boolean> {
  return {
    allowed: o.allowed,
    blocked: 'blocked' in o ? o.blocked : blocked,
    remaining: o.remaining,
    resetMs: o.resetMs,
    retryAfterMs: o.retryAfterMs,
  };
}

/** Applies `algorithm` directly, the way a store without penalty box must behave. */
class Reference {
  readonly #states = new Map<string, LimiterState>();
  readonly #algorithm: Algorithm;
  constructor(algorithm: Algorithm) {
    this.#algorithm = algorithm;
  }
  consume(t: LimitTable, key: string, cost: number, now: number): Verdict {
    const id = `${t.id}\u0000${key}`;
    const state = this.#states.get(id) ?? newState();
    const out = newVerdict();
    this.#algorithm.consume(state, now, cost, t.spec, out);
    // A peek at an unknown key creates no state, as in the store.
    if (cost > 0 || this.#states.has(id)) this.#states.set(id, state);
    return out;
  }
  refund(t: LimitTable, key: string, cost: number, consumedAt: number, now: number): void {
    const state = this.#states.get(`${t.id}\u0000${key}`);
    if (state !== undefined) this.#algorithm.refund(state, now, cost, consumedAt, t.spec);
  }
}

/**
 * {@link Reference} plus the `member` rule of {@link LimitCall}: a member counted for a key within the
 * window takes nothing and is allowed (unless blocked); a new one takes units and, when admitted, is
 * remembered until `now + windowMs`; a refund forgets it.
 */
class DistinctReference extends Reference {
  readonly #seenUntil = new Map<string, number>();
  consumeMember(t: LimitTable, key: string, member: string, cost: number, now: number): Verdict & { skipped: boolean } {
    const id = `${t.id}\u0000${key}\u0000${member}`;
    if ((this.#seenUntil.get(id) ?? 0) > now) {
      const out = this.consume(t, key, 0, now);
      return { ...out, allowed: true, retryAfterMs: 0, skipped: true };
    }
    const out = this.consume(t, key, cost, now);
    if (out.allowed && cost > 0) this.#seenUntil.set(id, now + t.spec.windowMs);
    return { ...out, skipped: false };
  }
  refundMember(t: LimitTable, key: string, member: string, cost: number, consumedAt: number, now: number): void {
    this.refund(t, key, cost, consumedAt, now);
    this.#seenUntil.delete(`${t.id}\u0000${key}\u0000${member}`);
  }
}

interface Step {
  /** ms since the previous step */
  dt: number;
  /** 0 = one or more consumes at the same instant; 1 = refund of an earlier admitted consume. */
  kind: number;
  calls: { table: number; key: string; cost: number }[];
  pick: number;
}

const specArb = fc
  .record({ limit: fc.integer({ min: 1, max: 5 }), windowMs: fc.constantFrom(100, 1_000, 1_500), extra: fc.integer({ min: 0, max: 3 }) })
  .map(({ limit, windowMs, extra }): LimitSpec => ({ limit, windowMs, burst: limit + extra }));

const stepArb: fc.Arbitrary<Step> = fc.record({
  dt: fc.oneof({ weight: 8, arbitrary: fc.integer({ min: 0, max: 300 }) }, { weight: 1, arbitrary: fc.integer({ min: 0, max: 5_000 }) }),
  kind: fc.oneof({ weight: 6, arbitrary: fc.constant(0) }, { weight: 1, arbitrary: fc.constant(1) }),
  calls: fc.array(
    fc.record({ table: fc.integer({ min: 0, max: 1 }), key: fc.constantFrom('a', 'b', 'c'), cost: fc.integer({ min: 0, max: 3 }) }),
    { minLength: 1, maxLength: 3 },
  ),
  pick: fc.nat(),
});

interface MemberStep {
  dt: number;
  /** 0 = consume, 1 = refund of an earlier admitted consume. */
  kind: number;
  calls: { key: string; member: string; cost: number }[];
  pick: number;
}

const memberStepArb: fc.Arbitrary<MemberStep> = fc.record({
  dt: fc.oneof({ weight: 8, arbitrary: fc.integer({ min: 0, max: 300 }) }, { weight: 1, arbitrary: fc.integer({ min: 0, max: 5_000 }) }),
  kind: fc.oneof({ weight: 6, arbitrary: fc.constant(0) }, { weight: 1, arbitrary: fc.constant(1) }),
  calls: fc.array(
    fc.record({ key: fc.constantFrom('a', 'b'), member: fc.constantFrom('m1', 'm2', 'm3', 'm4', 'm5', '/api/x:1'), cost: fc.integer({ min: 0, max: 2 }) }),
    { minLength: 1, maxLength: 3 },
  ),
  pick: fc.nat(),
});

export interface ConformanceOptions {
  /** Keys the store holds right now. Default `store.stats().keys`; remote stores count on the server. */
  countKeys?: (store: HotStore) => number | Promise<number>;
  /**
   * The store has `trackers` (SharedTrackers): run their tests too (trackers-conformance.ts).
   * Default false: the suite then shows them as one skipped test.
   */
  trackers?: boolean;
}

/**
 * Registers the conformance tests for one store backend with node:test. `makeStore` is called once
 * per test (and per property run); the suite closes every store it makes.
 *
 * @example
 * // src/stores/memory/memory-store.test.ts
 * runStoreConformance('memory', () => createMemoryStore({ maxKeys: 10_000 }), Object.values(algorithms));
 * // a store with shared trackers: runStoreConformance('redis', makeStore, algorithms, { countKeys, trackers: true });
 */
export function runStoreConformance(
  name: string,
  makeStore: () => Promise<HotStore> | HotStore,
  algorithms: readonly Algorithm[],
  options: ConformanceOptions = {},
): void {
  const countKeys = options.countKeys ?? ((store: HotStore) => store.stats().keys);

  async function withStore(body: (store: HotStore) => Promise<void>): Promise<void> {
    const store = await makeStore();
    try {
      await body(store);
    } finally {
      await store.close();
    }
  }

  if (options.trackers === true) runTrackersConformance(name, withStore, countKeys, algorithms[0]!);
  else it(`${name} store conformance: shared trackers`, { skip: `the ${name} store has no shared trackers (one process keeps them in its own memory)` }, () => {});

  for (const algorithm of algorithms) {
    describe(`${name} store conformance: ${algorithm.name}`, () => {
      const spec2: LimitSpec = { limit: 2, windowMs: 1_000, burst: 2 };

      it('answers exactly as the pure algorithm over any sequence of calls and refunds', async () => {
        await fc.assert(
          fc.asyncProperty(specArb, specArb, fc.array(stepArb, { maxLength: 60 }), async (specA, specB, steps) => {
            const tables = [table('t-a', algorithm, specA), table('t-b', algorithm, specB)];
            const reference = new Reference(algorithm);
            const taken: { table: number; key: string; cost: number; at: number }[] = [];
            await withStore(async (store) => {
              let now = T0;
              for (const step of steps) {
                now += step.dt;
                if (step.kind === 1 && taken.length > 0) {
                  const [r] = taken.splice(step.pick % taken.length, 1);
                  const t = tables[r.table];
                  await store.refund([{ table: t, key: r.key, cost: r.cost, consumedAt: r.at }], now);
                  reference.refund(t, r.key, r.cost, r.at, now);
                  continue;
                }
                const calls = step.calls.map((c) => ({ table: tables[c.table], key: c.key, cost: c.cost }));
                const outcomes = await store.consume(calls, now);
                assert.equal(outcomes.length, calls.length);
                for (let i = 0; i < calls.length; i++) {
                  const c = step.calls[i];
                  const expected = reference.consume(tables[c.table], c.key, c.cost, now);
                  assert.deepEqual(fields(outcomes[i]), fields(expected), `call ${i} at +${now - T0}ms`);
                  if (expected.allowed && c.cost > 0) taken.push({ table: c.table, key: c.key, cost: c.cost, at: now });
                }
              }
            });
          }),
          { numRuns: 150 },
        );
      });

      it('keeps keys independent', async () => {
        await withStore(async (store) => {
          const t = table('keys', algorithm, spec2);
          await store.consume([{ table: t, key: 'a', cost: 2 }], T0);
          const [a, b] = await store.consume([{ table: t, key: 'a', cost: 1 }, { table: t, key: 'b', cost: 1 }], T0);
          assert.equal(a.allowed, false);
          assert.equal(b.allowed, true);
          assert.equal(b.remaining, 1);
        });
      });

      it('keeps tables independent for the same key', async () => {
        await withStore(async (store) => {
          const t1 = table('first', algorithm, spec2);
          const t2 = table('second', algorithm, spec2);
          await store.consume([{ table: t1, key: 'k', cost: 2 }], T0);
          const [o1, o2] = await store.consume([{ table: t1, key: 'k', cost: 1 }, { table: t2, key: 'k', cost: 1 }], T0);
          assert.equal(o1.allowed, false);
          assert.equal(o2.allowed, true);
        });
      });

      it('applies the calls of one batch in order', async () => {
        await withStore(async (store) => {
          const t = table('batch', algorithm, spec2);
          const call = { table: t, key: 'k', cost: 1 };
          const outcomes = await store.consume([call, call, call], T0);
          assert.deepEqual(
            outcomes.map((o) => o.allowed),
            [true, true, false],
          );
        });
      });

      it('blocks a refused key for exactly penaltyMs', async () => {
        await withStore(async (store) => {
          const t = table('penalty', algorithm, spec2, 5_000);
          const call = { table: t, key: 'k', cost: 1 };
          const [, , refused] = await store.consume([call, call, call], T0);
          assert.deepEqual(
            { allowed: refused.allowed, blocked: refused.blocked, remaining: refused.remaining, retryAfterMs: refused.retryAfterMs },
            { allowed: false, blocked: true, remaining: 0, retryAfterMs: 5_000 },
          );
          assert.ok(refused.resetMs >= 5_000);
          const [late] = await store.consume([call], T0 + 4_999);
          assert.deepEqual([late.allowed, late.blocked, late.retryAfterMs, late.remaining], [false, true, 1, 0]);
          assert.ok(late.resetMs >= 1);
          const [peek] = await store.consume([{ table: t, key: 'k', cost: 0 }], T0 + 4_999);
          assert.deepEqual([peek.allowed, peek.blocked, peek.retryAfterMs], [false, true, 1]);
          const [free] = await store.consume([call], T0 + 5_000);
          assert.deepEqual([free.allowed, free.blocked], [true, false]);
        });
      });

      it('leaves the algorithm state untouched while a key is blocked', async () => {
        await withStore(async (store) => {
          // The window outlasts the penalty, so the state at unblock still matters.
          const spec: LimitSpec = { limit: 3, windowMs: 60_000, burst: 3 };
          const t = table('untouched', algorithm, spec, 1_000);
          const reference = new Reference(algorithm);
          for (const cost of [1, 1, 2]) {
            await store.consume([{ table: t, key: 'k', cost }], T0);
            reference.consume(t, 'k', cost, T0);
          }
          // Each of these would be admitted and counted if the box let them reach the algorithm.
          for (let ms = 0; ms < 1_000; ms += 100) {
            const [o] = await store.consume([{ table: t, key: 'k', cost: 1 }], T0 + ms);
            assert.equal(o.blocked, true);
          }
          const [after] = await store.consume([{ table: t, key: 'k', cost: 1 }], T0 + 1_000);
          assert.deepEqual(fields(after), fields(reference.consume(t, 'k', 1, T0 + 1_000)));
          assert.equal(after.allowed, true);
        });
      });

      it('gives refunded units back', async () => {
        await withStore(async (store) => {
          const t = table('refund', algorithm, spec2);
          const call = { table: t, key: 'k', cost: 1 };
          const outcomes = await store.consume([call, call, call], T0);
          assert.deepEqual(
            outcomes.map((o) => o.allowed),
            [true, true, false],
          );
          await store.refund([{ table: t, key: 'k', cost: 1, consumedAt: T0 }], T0);
          const [again] = await store.consume([call], T0);
          assert.equal(again.allowed, true);
        });
      });

      it('creates no state when refunding an unknown key', async () => {
        await withStore(async (store) => {
          const t = table('refund-unknown', algorithm, spec2);
          await store.refund([{ table: t, key: 'nobody', cost: 1, consumedAt: T0 }], T0);
          assert.equal(await countKeys(store), 0);
          const [o] = await store.consume([{ table: t, key: 'nobody', cost: 2 }], T0);
          assert.deepEqual([o.allowed, o.remaining], [true, 0]);
        });
      });

      it('unblocks a key on reset', async () => {
        await withStore(async (store) => {
          const t = table('reset', algorithm, spec2, 60_000);
          const call = { table: t, key: 'k', cost: 1 };
          const [, , blocked] = await store.consume([call, call, call], T0);
          assert.equal(blocked.blocked, true);
          await store.reset(t, 'k');
          const [o] = await store.consume([call], T0 + 1);
          assert.deepEqual([o.allowed, o.blocked, o.remaining], [true, false, 1]);
        });
      });

      it('answers a peek at an unknown key as fresh without creating state', async () => {
        await withStore(async (store) => {
          const t = table('peek', algorithm, spec2);
          const [o] = await store.consume([{ table: t, key: 'ghost', cost: 0 }], T0);
          assert.equal(await countKeys(store), 0);
          assert.deepEqual(fields(o), fields(new Reference(algorithm).consume(t, 'ghost', 0, T0)));
          const [after] = await store.consume([{ table: t, key: 'ghost', cost: 2 }], T0);
          assert.deepEqual([after.allowed, after.remaining], [true, 0]);
        });
      });

      it('counts distinct members exactly as the reference over any sequence of calls and refunds', async () => {
        await fc.assert(
          fc.asyncProperty(specArb, fc.array(memberStepArb, { maxLength: 60 }), async (spec, steps) => {
            const t = table('distinct', algorithm, spec);
            const reference = new DistinctReference(algorithm);
            const taken: { key: string; member: string; cost: number; at: number }[] = [];
            await withStore(async (store) => {
              let now = T0;
              for (const step of steps) {
                now += step.dt;
                if (step.kind === 1 && taken.length > 0) {
                  const [r] = taken.splice(step.pick % taken.length, 1);
                  await store.refund([{ table: t, key: r.key, cost: r.cost, consumedAt: r.at, member: r.member }], now);
                  reference.refundMember(t, r.key, r.member, r.cost, r.at, now);
                  continue;
                }
                const outcomes = await store.consume(step.calls.map((c) => ({ table: t, key: c.key, cost: c.cost, member: c.member })), now);
                for (let i = 0; i < step.calls.length; i++) {
                  const c = step.calls[i];
                  const expected = reference.consumeMember(t, c.key, c.member, c.cost, now);
                  const got = outcomes[i];
                  assert.deepEqual({ ...fields(got), skipped: got.skipped === true }, { ...fields(expected), skipped: expected.skipped }, `call ${i} at +${now - T0}ms`);
                  if (expected.allowed && c.cost > 0 && !expected.skipped) taken.push({ key: c.key, member: c.member, cost: c.cost, at: now });
                }
              }
            });
          }),
          { numRuns: 100 },
        );
      });

      it('lets a counted member through over the quota, refuses a new one, and counts it again after the window', async () => {
        await withStore(async (store) => {
          const t = table('members', algorithm, spec2);
          const call = (member: string, at: number) => store.consume([{ table: t, key: 'ip', cost: 1, member }], at);
          const [a] = await call('1', T0);
          const [b] = await call('2', T0);
          const [again] = await call('1', T0 + 10);
          const [third] = await call('3', T0 + 10);
          assert.deepEqual([a.allowed, b.allowed, again.allowed, again.skipped, third.allowed], [true, true, true, true, false]);
          assert.equal(again.remaining, 0);
          // Refused, so not remembered: it is refused again, not waved through as a repeat.
          const [thirdAgain] = await call('3', T0 + 20);
          assert.deepEqual([thirdAgain.allowed, thirdAgain.skipped === true], [false, false]);
          // Long after the window, every member is new again.
          const [later] = await call('1', T0 + 10 * spec2.windowMs);
          assert.deepEqual([later.allowed, later.skipped === true, later.remaining], [true, false, 1]);
        });
      });

      it('refuses even a counted member while the key is in the penalty box', async () => {
        await withStore(async (store) => {
          const t = table('members-boxed', algorithm, spec2, 5_000);
          const call = (member: string) => store.consume([{ table: t, key: 'ip', cost: 1, member }], T0);
          await call('1');
          await call('2');
          const [refused] = await call('3');
          assert.deepEqual([refused.allowed, refused.blocked], [false, true]);
          const [repeat] = await call('1');
          assert.deepEqual([repeat.allowed, repeat.blocked, repeat.retryAfterMs], [false, true, 5_000]);
        });
      });

      it('forgets a refunded member, and keeps members of different keys and tables apart', async () => {
        await withStore(async (store) => {
          const t = table('members-refund', algorithm, spec2);
          const other = table('members-other', algorithm, spec2);
          await store.consume([{ table: t, key: 'ip', cost: 1, member: 'x' }], T0);
          await store.refund([{ table: t, key: 'ip', cost: 1, consumedAt: T0, member: 'x' }], T0);
          const [x] = await store.consume([{ table: t, key: 'ip', cost: 1, member: 'x' }], T0);
          assert.equal(x.skipped === true, false, 'counted again after its refund');
          const [otherKey, otherTable] = await store.consume(
            [
              { table: t, key: 'other-ip', cost: 1, member: 'x' },
              { table: other, key: 'ip', cost: 1, member: 'x' },
            ],
            T0,
          );
          assert.deepEqual([otherKey.skipped === true, otherTable.skipped === true], [false, false]);
        });
      });

      it('creates no state for a peek at a new member', async () => {
        await withStore(async (store) => {
          const t = table('members-peek', algorithm, spec2);
          const [o] = await store.consume([{ table: t, key: 'ghost', cost: 0, member: 'm' }], T0);
          assert.deepEqual([o.allowed, o.skipped === true], [true, false]);
          assert.equal(await countKeys(store), 0);
        });
      });
    });
  }
}
