import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import { scenarioArb, specArb, startArb } from './arbitraries.ts';
import { gcra } from './gcra.ts';
import { limitSpec } from './limit-spec.ts';
import { bucketBoundViolation, referenceBucketVerdict, runOps } from './reference.ts';
import { tokenBucket } from './token-bucket.ts';
import { newState, newVerdict } from './types.ts';

const T0 = Date.parse('2026-01-01T00:00:00Z');

describe('GCRA', () => {
  test('admits all 6 of 6-per-second at one epoch instant, where a single-double TAT admits 5', () => {
    const spec = limitSpec({ limit: 6, windowMs: 1_000 });
    const state = newState();
    const out = newVerdict();
    for (let i = 0; i < 6; i++) assert.equal(gcra.consume(state, T0, 1, spec, out), true);
    assert.equal(out.remaining, 0);
    assert.equal(gcra.consume(state, T0, 1, spec, out), false);
    // T = 166.67 ms, so the next unit is due in 167 whole ms.
    assert.equal(out.retryAfterMs, 167);
    assert.equal(out.resetMs, 1_000);
    assert.equal(gcra.consume(state, T0 + 166, 1, spec, out), false);
    assert.equal(gcra.consume(state, T0 + 167, 1, spec, out), true);
  });

  test('admits exactly burst units at one instant from fresh, then one per emission interval', () => {
    fc.assert(
      fc.property(specArb, startArb, fc.integer({ min: 1, max: 30 }), (spec, start, extra) => {
        // Units due within the same whole ms pile up; that needs room for them: a whole-ms T, or (burst − 1)·T ≥ 1 ms.
        fc.pre(spec.windowMs % spec.limit === 0 || (spec.burst - 1) * spec.windowMs >= spec.limit);
        const state = newState();
        const out = newVerdict();
        const T = spec.windowMs / spec.limit;
        for (let i = 0; i < spec.burst; i++) assert.equal(gcra.consume(state, start, 1, spec, out), true);
        assert.equal(gcra.consume(state, start, 1, spec, out), false);
        assert.equal(out.retryAfterMs, Math.ceil(T));
        let previous = start;
        for (let k = 1; k <= extra; k++) {
          // The k-th unit after the burst is due at start + k·T, i.e. at the first whole ms not before it.
          const due = start + Math.ceil((k * spec.windowMs) / spec.limit);
          if (due - 1 > previous) assert.equal(gcra.consume(state, due - 1, 1, spec, out), false);
          assert.equal(gcra.consume(state, due, 1, spec, out), true);
          previous = due;
        }
      }),
      { numRuns: 500 },
    );
  });

  test('a refund pulls the TAT back only by what is still owed, so the bound survives', () => {
    const spec = limitSpec({ limit: 1, windowMs: 1, burst: 10 });
    const state = newState();
    const out = newVerdict();
    gcra.consume(state, 0, 2, spec, out);
    gcra.consume(state, 1, 9, spec, out);
    // max(now, TAT − 2·T) would let 2 more through here: 11 units in [1, 1] against a burst of 10.
    gcra.refund(state, 1, 2, 0, spec);
    assert.equal(gcra.consume(state, 1, 2, spec, out), false);
    assert.equal(gcra.consume(state, 1, 1, spec, out), true);
  });

  test('state is one timestamp: whole ms in a, the fraction in b', () => {
    const spec = limitSpec({ limit: 3, windowMs: 1_000 });
    const state = newState();
    gcra.consume(state, T0, 1, spec, newVerdict());
    assert.equal(state.a, T0 + 333);
    assert.ok(Math.abs(state.b - 1 / 3) < 1e-12);
    assert.equal(gcra.expiresAt(state, spec), T0 + 334);
  });

  test('never admits more than burst + rate × t over any interval of length t', () => {
    fc.assert(
      fc.property(scenarioArb(true), ({ spec, start, ops }) => {
        assert.equal(bucketBoundViolation(runOps(gcra, spec, start, ops).admitted, spec), undefined);
      }),
      { numRuns: 500 },
    );
  });

  test('gives the same verdicts as the exact bucket bound recomputed from the log', () => {
    fc.assert(
      fc.property(scenarioArb(false), ({ spec, start, ops }) => {
        runOps(gcra, spec, start, ops, {
          observe: (step, before) => assert.deepEqual(step.verdict, referenceBucketVerdict(before, spec, step.time, step.cost)),
        });
      }),
      { numRuns: 500 },
    );
  });

  test('decides exactly like the token bucket, refunds included', () => {
    fc.assert(
      fc.property(scenarioArb(true), ({ spec, start, ops }) => {
        assert.deepEqual(runOps(gcra, spec, start, ops).steps, runOps(tokenBucket, spec, start, ops).steps);
      }),
      { numRuns: 500 },
    );
  });
});
