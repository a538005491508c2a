import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import { scenarioArb } from './arbitraries.ts';
import { limitSpec } from './limit-spec.ts';
import { bucketBoundViolation, referenceBucketVerdict, runOps } from './reference.ts';
import { tokenBucket } from './token-bucket.ts';
import { newState, newVerdict } from './types.ts';

const T0 = Date.parse('2026-01-01T00:00:00Z');

describe('token bucket', () => {
  test('admits a burst of 20, then refills at 10 per second', () => {
    const spec = limitSpec({ limit: 10, windowMs: 1_000, burst: 20 });
    const state = newState();
    const out = newVerdict();
    assert.equal(tokenBucket.consume(state, T0, 20, spec, out), true);
    assert.deepEqual(out, { allowed: true, remaining: 0, resetMs: 2_000, retryAfterMs: 0 });
    assert.equal(tokenBucket.consume(state, T0, 1, spec, out), false);
    assert.equal(out.retryAfterMs, 100);
    assert.equal(tokenBucket.consume(state, T0 + 99, 1, spec, out), false);
    assert.equal(tokenBucket.consume(state, T0 + 100, 1, spec, out), true);
  });

  test('refills continuously: half a token is not enough', () => {
    const spec = limitSpec({ limit: 10, windowMs: 1_000, burst: 1 });
    const state = newState();
    const out = newVerdict();
    tokenBucket.consume(state, T0, 1, spec, out);
    assert.equal(tokenBucket.consume(state, T0 + 50, 1, spec, out), false);
    assert.deepEqual(out, { allowed: false, remaining: 0, resetMs: 50, retryAfterMs: 50 });
  });

  test('a fresh key is a full bucket, also when first used at time 0', () => {
    const spec = limitSpec({ limit: 1, windowMs: 1_000, burst: 3 });
    const state = newState();
    const out = newVerdict();
    assert.equal(tokenBucket.consume(state, 0, 3, spec, out), true);
    assert.deepEqual(state, { a: 3, b: 0, c: 0 });
    assert.equal(tokenBucket.consume(state, 999, 1, spec, out), false);
    assert.equal(tokenBucket.consume(state, 1_000, 1, spec, out), true);
  });

  test('an immediate refund gives the tokens back; one after they refilled gives nothing', () => {
    const spec = limitSpec({ limit: 1, windowMs: 1_000, burst: 2 });
    const state = newState();
    const out = newVerdict();
    tokenBucket.consume(state, T0, 2, spec, out);
    tokenBucket.refund(state, T0, 2, T0, spec);
    assert.deepEqual(state, { a: 0, b: T0, c: 0 });
    tokenBucket.consume(state, T0, 2, spec, out);
    tokenBucket.consume(state, T0 + 1_500, 1, spec, out);
    // The units taken at T0 refilled by T0 + 2000; giving them back would overfill the bucket.
    tokenBucket.refund(state, T0 + 2_000, 2, T0, spec);
    assert.equal(tokenBucket.consume(state, T0 + 2_000, 2, spec, out), false);
  });

  test('a refund of units already half refilled gives back only the unrefilled half', () => {
    const spec = limitSpec({ limit: 1, windowMs: 1, burst: 10 });
    const state = newState();
    const out = newVerdict();
    tokenBucket.consume(state, 0, 2, spec, out);
    tokenBucket.consume(state, 1, 9, spec, out);
    // Of the 2 units taken at 0, one has refilled already: only 1 comes back, so 2 more would be 11 in [1, 1].
    tokenBucket.refund(state, 1, 2, 0, spec);
    assert.equal(tokenBucket.consume(state, 1, 2, spec, out), false);
    assert.equal(tokenBucket.consume(state, 1, 1, spec, out), true);
  });

  test('never admits more than burst + rate × t over any interval of length t', () => {
    fc.assert(
      fc.property(scenarioArb(true), ({ spec, start, ops }) => {
        assert.equal(bucketBoundViolation(runOps(tokenBucket, spec, start, ops).admitted, spec), undefined);
      }),
      { numRuns: 500 },
    );
  });

  test('gives the same verdicts as the exact bucket bound recomputed from the log', () => {
    fc.assert(
      fc.property(scenarioArb(false), ({ spec, start, ops }) => {
        runOps(tokenBucket, spec, start, ops, {
          observe: (step, before) => assert.deepEqual(step.verdict, referenceBucketVerdict(before, spec, step.time, step.cost)),
        });
      }),
      { numRuns: 500 },
    );
  });
});
