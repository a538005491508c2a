/**
 * The Algorithm contract (types.ts), checked on every registered algorithm with random limits and
 * request sequences.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import { costArb, dtArb, opsArb, scenarioArb, specArb, startArb } from './arbitraries.ts';
import { boundViolation, capacityOf, runOps } from './reference.ts';
import { algorithms } from './registry.ts';
import type { Op } from './reference.ts';
import type { Algorithm, AlgorithmName, LimiterState, LimitSpec } from './types.ts';
import { newState, newVerdict } from './types.ts';

const RUNS = { numRuns: 300 };

/** A key with some history, and a probe to try against it. */
const probedArb = specArb.chain((spec) =>
  fc.record({
    spec: fc.constant(spec),
    start: startArb,
    history: opsArb(spec, true, 40),
    dt: dtArb(spec),
    cost: costArb(spec),
    continuation: opsArb(spec, true, 30),
  }),
);

function copy(state: LimiterState): LimiterState {
  return { a: state.a, b: state.b, c: state.c };
}

function verdictsOf(algorithm: Algorithm, spec: LimitSpec, start: number, ops: readonly Op[], state: LimiterState) {
  return runOps(algorithm, spec, start, ops, { state }).steps.map((step) => step.verdict);
}

for (const name of Object.keys(algorithms) as AlgorithmName[]) {
  const algorithm = algorithms[name];

  describe(`${name} contract`, () => {
    test('admitted units stay within the documented bound, refunds included', () => {
      fc.assert(
        fc.property(scenarioArb(true), ({ spec, start, ops }) => {
          const { admitted } = runOps(algorithm, spec, start, ops);
          assert.equal(boundViolation(name, spec, admitted), undefined);
        }),
        RUNS,
      );
    });

    test('a refused request and a peek leave the state exactly as it was', () => {
      fc.assert(
        fc.property(probedArb, ({ spec, start, history, dt, cost }) => {
          const { state, end } = runOps(algorithm, spec, start, history);
          const before = copy(state);
          const allowed = algorithm.consume(state, end + dt, cost, spec, newVerdict());
          if (!allowed || cost === 0) assert.deepEqual(state, before);
        }),
        RUNS,
      );
    });

    test('verdict fields are in range: remaining, retryAfterMs and resetMs', () => {
      fc.assert(
        fc.property(scenarioArb(true), ({ spec, start, ops }) => {
          const capacity = capacityOf(name, spec);
          for (const { cost, verdict } of runOps(algorithm, spec, start, ops).steps) {
            assert.ok(Number.isInteger(verdict.remaining) && verdict.remaining >= 0 && verdict.remaining <= capacity);
            assert.ok(Number.isInteger(verdict.resetMs) && verdict.resetMs >= 0);
            if (verdict.allowed) assert.equal(verdict.retryAfterMs, 0);
            else assert.ok(Number.isInteger(verdict.retryAfterMs) && verdict.retryAfterMs > 0);
            if (cost > capacity) assert.equal(verdict.allowed, false);
          }
        }),
        RUNS,
      );
    });

    test('a refused request is admitted exactly retryAfterMs later, not a millisecond sooner', () => {
      fc.assert(
        fc.property(probedArb, ({ spec, start, history, dt, cost }) => {
          const { state, end } = runOps(algorithm, spec, start, history);
          const now = end + dt;
          const out = newVerdict();
          if (algorithm.consume(copy(state), now, cost, spec, out) || cost > capacityOf(name, spec)) return;
          const retry = out.retryAfterMs;
          const units = cost > 0 ? cost : 1;
          assert.equal(algorithm.consume(copy(state), now + retry, units, spec, newVerdict()), true);
          assert.equal(algorithm.consume(copy(state), now + retry - 1, units, spec, newVerdict()), false);
        }),
        RUNS,
      );
    });

    test('after resetMs the whole quota is available again', () => {
      fc.assert(
        fc.property(probedArb, ({ spec, start, history, dt, cost }) => {
          const { state, end } = runOps(algorithm, spec, start, history);
          const now = end + dt;
          const out = newVerdict();
          algorithm.consume(state, now, cost, spec, out);
          const capacity = capacityOf(name, spec);
          const later = newVerdict();
          assert.equal(algorithm.consume(state, now + out.resetMs, capacity, spec, later), true);
          assert.equal(later.remaining, 0);
        }),
        RUNS,
      );
    });

    test('a request costing more than the capacity is refused with a finite wait', () => {
      fc.assert(
        fc.property(probedArb, fc.integer({ min: 1, max: 1_000 }), ({ spec, start, history, dt }, extra) => {
          const { state, end } = runOps(algorithm, spec, start, history);
          const before = copy(state);
          const out = newVerdict();
          assert.equal(algorithm.consume(state, end + dt, capacityOf(name, spec) + extra, spec, out), false);
          assert.ok(Number.isFinite(out.retryAfterMs) && out.retryAfterMs > 0);
          assert.ok(out.retryAfterMs <= Math.max(2 * spec.windowMs, Math.ceil((spec.burst * spec.windowMs) / spec.limit)));
          assert.deepEqual(state, before);
        }),
        RUNS,
      );
    });

    test('refunding what was just taken leaves the key as if nothing happened', () => {
      fc.assert(
        fc.property(probedArb, ({ spec, start, history, dt, cost, continuation }) => {
          const { state, end } = runOps(algorithm, spec, start, history);
          const now = end + dt;
          const refunded = copy(state);
          if (cost === 0 || !algorithm.consume(refunded, now, cost, spec, newVerdict())) return;
          algorithm.refund(refunded, now, cost, now, spec);
          assert.deepEqual(
            verdictsOf(algorithm, spec, now, continuation, refunded),
            verdictsOf(algorithm, spec, now, continuation, copy(state)),
          );
        }),
        RUNS,
      );
    });

    test('at or after expiresAt the key behaves exactly like a fresh one', () => {
      fc.assert(
        fc.property(probedArb, ({ spec, start, history, dt, continuation }) => {
          const { state, end } = runOps(algorithm, spec, start, history);
          const expiresAt = algorithm.expiresAt(state, spec);
          // Never later than one full refill after the last update: stores rely on it to free memory.
          assert.ok(expiresAt <= end + Math.max(2 * spec.windowMs, Math.ceil((spec.burst * spec.windowMs) / spec.limit) + 1));
          const from = Math.max(end, expiresAt) + (dt % 3 === 0 ? 0 : dt);
          assert.deepEqual(
            verdictsOf(algorithm, spec, from, continuation, state),
            verdictsOf(algorithm, spec, from, continuation, newState()),
          );
        }),
        RUNS,
      );
    });

    test('a fresh key admits a full quota at time 0 of a virtual clock', () => {
      const spec = { limit: 3, windowMs: 1_000, burst: 3 };
      const state = newState();
      const out = newVerdict();
      for (let i = 0; i < 3; i++) assert.equal(algorithm.consume(state, 0, 1, spec, out), true);
      assert.equal(algorithm.consume(state, 0, 1, spec, out), false);
      assert.equal(out.remaining, 0);
    });
  });
}
