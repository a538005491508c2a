import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import { scenarioArb, startArb } from './arbitraries.ts';
import { limitSpec } from './limit-spec.ts';
import { maxInAlignedWindow, maxInSpan, referenceSlidingAdmits, runOps, slidingSpanBound } from './reference.ts';
import { slidingWindow } from './sliding-window.ts';
import { newState, newVerdict } from './types.ts';

const SECOND = 1_000;
const T0 = Date.parse('2026-01-01T00:00:00Z');

describe('sliding window counter', () => {
  test('weights the previous window by the share still inside the sliding window', () => {
    const spec = limitSpec({ limit: 10, windowMs: SECOND });
    const state = newState();
    const out = newVerdict();
    assert.equal(slidingWindow.consume(state, T0 + 999, 10, spec, out), true);
    // At T0 + 1000 the whole previous window still counts: 10 × 1000/1000.
    assert.equal(slidingWindow.consume(state, T0 + 1_000, 1, spec, out), false);
    assert.equal(out.retryAfterMs, 100);
    // Half way through, half of it does: room for 5 more.
    assert.equal(slidingWindow.consume(state, T0 + 1_500, 5, spec, out), true);
    assert.equal(out.remaining, 0);
    assert.equal(slidingWindow.consume(state, T0 + 1_500, 1, spec, out), false);
    assert.equal(out.resetMs, 1_500);
  });

  test('forgets everything two windows after the last unit', () => {
    const spec = limitSpec({ limit: 3, windowMs: SECOND });
    const state = newState();
    const out = newVerdict();
    slidingWindow.consume(state, T0 + 10, 3, spec, out);
    assert.equal(slidingWindow.expiresAt(state, spec), T0 + 2 * SECOND);
    assert.equal(slidingWindow.consume(state, T0 + 2 * SECOND, 3, spec, out), true);
  });

  test('reaches 2·limit − 1 units within one window length, the documented worst case', () => {
    const spec = limitSpec({ limit: 10, windowMs: SECOND });
    const state = newState();
    const out = newVerdict();
    assert.equal(slidingWindow.consume(state, T0 + 999, 10, spec, out), true);
    // 999 ms later the previous window weighs 10 × 2/1000 = 0.02, so 9 fit and 10 do not.
    assert.equal(slidingWindow.consume(state, T0 + 1_998, 10, spec, out), false);
    assert.equal(slidingWindow.consume(state, T0 + 1_998, 9, spec, out), true);
  });

  test('a refund of a unit from the previous window lowers its weight', () => {
    const spec = limitSpec({ limit: 4, windowMs: SECOND });
    const state = newState();
    const out = newVerdict();
    slidingWindow.consume(state, T0 + 500, 4, spec, out);
    assert.equal(slidingWindow.consume(state, T0 + 1_000, 1, spec, out), false);
    slidingWindow.refund(state, T0 + 1_000, 1, T0 + 500, spec);
    assert.equal(slidingWindow.consume(state, T0 + 1_000, 1, spec, out), true);
  });

  test('an evenly spaced stream of limit per window is refused at window starts', () => {
    const spec = limitSpec({ limit: 4, windowMs: SECOND });
    const state = newState();
    const out = newVerdict();
    for (let t = 0; t < SECOND; t += 250) assert.equal(slidingWindow.consume(state, T0 + t, 1, spec, out), true);
    // The estimate still counts the unit sent at T0, which an exact log would have let slide out.
    assert.equal(slidingWindow.consume(state, T0 + SECOND, 1, spec, out), false);
  });

  test('never exceeds limit per aligned window, nor 2·limit − 1 within any window length', () => {
    fc.assert(
      fc.property(scenarioArb(true), ({ spec, start, ops }) => {
        const { admitted } = runOps(slidingWindow, spec, start, ops);
        assert.ok(maxInAlignedWindow(admitted, spec.windowMs) <= spec.limit);
        assert.ok(maxInSpan(admitted, spec.windowMs) <= slidingSpanBound(spec));
      }),
      { numRuns: 500 },
    );
  });

  test('the 2·limit − 1 bound is reached whenever limit ≤ windowMs / 2', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 50 }).chain((limit) =>
          fc.record({ limit: fc.constant(limit), windowMs: fc.integer({ min: 2 * limit, max: 100_000 }), start: startArb }),
        ),
        ({ limit, windowMs, start }) => {
          const spec = limitSpec({ limit, windowMs });
          const edge = start - (start % windowMs) + windowMs;
          const ops = [
            { kind: 'consume' as const, dt: edge - 1 - start, cost: limit },
            { kind: 'consume' as const, dt: windowMs - 1, cost: limit - 1 },
          ];
          const { admitted } = runOps(slidingWindow, spec, start, ops);
          assert.equal(maxInSpan(admitted, windowMs), 2 * limit - 1);
        },
      ),
    );
  });

  test('an evenly spaced stream of up to limit − 1 per window is never refused, at any phase', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 2, max: 20 }).chain((limit) =>
          fc.record({
            limit: fc.constant(limit),
            perWindow: fc.integer({ min: 1, max: limit - 1 }),
            period: fc.integer({ min: 1, max: 500 }),
            phase: fc.nat(),
            start: startArb,
          }),
        ),
        ({ limit, perWindow, period, phase, start }) => {
          const spec = limitSpec({ limit, windowMs: perWindow * period });
          const ops = Array.from({ length: 4 * perWindow + 1 }, (_, i) => ({
            kind: 'consume' as const,
            dt: i === 0 ? phase % period : period,
            cost: 1,
          }));
          const { steps } = runOps(slidingWindow, spec, start, ops);
          assert.ok(steps.every((step) => step.verdict.allowed));
        },
      ),
    );
  });

  test('decides like the weighted estimate recomputed from the admitted log, refunds included', () => {
    fc.assert(
      fc.property(scenarioArb(true), ({ spec, start, ops }) => {
        runOps(slidingWindow, spec, start, ops, {
          observe: (step, before) => assert.equal(step.verdict.allowed, referenceSlidingAdmits(before, spec, step.time, step.cost)),
        });
      }),
      { numRuns: 500 },
    );
  });
});
