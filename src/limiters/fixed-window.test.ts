import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import { scenarioArb } from './arbitraries.ts';
import { fixedWindow } from './fixed-window.ts';
import { limitSpec } from './limit-spec.ts';
import { maxInAlignedWindow, referenceFixedAdmits, runOps } from './reference.ts';
import { newState, newVerdict } from './types.ts';

const MINUTE = 60_000;
const T0 = Date.parse('2026-01-01T00:00:00Z');

describe('fixed window', () => {
  test('admits the 5th login and refuses the 6th in the same minute', () => {
    const spec = limitSpec({ limit: 5, windowMs: MINUTE });
    const state = newState();
    const out = newVerdict();
    for (let i = 1; i <= 5; i++) {
      assert.equal(fixedWindow.consume(state, T0 + i * 1_000, 1, spec, out), true);
      assert.equal(out.remaining, 5 - i);
    }
    assert.equal(fixedWindow.consume(state, T0 + 10_000, 1, spec, out), false);
    assert.deepEqual(out, { allowed: false, remaining: 0, resetMs: 50_000, retryAfterMs: 50_000 });
  });

  test('window edge: a new window admits again', () => {
    const spec = limitSpec({ limit: 2, windowMs: MINUTE });
    const state = newState();
    const out = newVerdict();
    fixedWindow.consume(state, T0, 2, spec, out);
    assert.equal(fixedWindow.consume(state, T0 + MINUTE - 1, 1, spec, out), false);
    assert.equal(out.retryAfterMs, 1);
    assert.equal(fixedWindow.consume(state, T0 + MINUTE, 1, spec, out), true);
    assert.equal(out.remaining, 1);
  });

  test('windows are aligned to the epoch, not to the first request', () => {
    const spec = limitSpec({ limit: 1, windowMs: MINUTE });
    const state = newState();
    const out = newVerdict();
    assert.equal(fixedWindow.consume(state, T0 + 59_000, 1, spec, out), true);
    assert.equal(out.resetMs, 1_000);
    assert.equal(fixedWindow.consume(state, T0 + MINUTE, 1, spec, out), true);
  });

  test('lets up to twice the limit through across a window edge (its known weakness)', () => {
    const spec = limitSpec({ limit: 3, windowMs: MINUTE });
    const state = newState();
    const out = newVerdict();
    assert.equal(fixedWindow.consume(state, T0 + MINUTE - 1, 3, spec, out), true);
    assert.equal(fixedWindow.consume(state, T0 + MINUTE, 3, spec, out), true);
  });

  test('a peek reports exhaustion without counting', () => {
    const spec = limitSpec({ limit: 2, windowMs: MINUTE });
    const state = newState();
    const out = newVerdict();
    assert.equal(fixedWindow.consume(state, T0, 0, spec, out), true);
    assert.deepEqual(state, newState());
    assert.deepEqual(out, { allowed: true, remaining: 2, resetMs: 0, retryAfterMs: 0 });
    fixedWindow.consume(state, T0, 2, spec, out);
    assert.equal(fixedWindow.consume(state, T0 + 1_000, 0, spec, out), false);
    assert.deepEqual(out, { allowed: false, remaining: 0, resetMs: 59_000, retryAfterMs: 59_000 });
  });

  test('a refund gives back units of the current window and ignores an older one', () => {
    const spec = limitSpec({ limit: 2, windowMs: MINUTE });
    const state = newState();
    const out = newVerdict();
    fixedWindow.consume(state, T0, 2, spec, out);
    fixedWindow.refund(state, T0 + 5, 1, T0, spec);
    assert.equal(fixedWindow.consume(state, T0 + 10, 1, spec, out), true);
    fixedWindow.consume(state, T0 + MINUTE, 2, spec, out);
    fixedWindow.refund(state, T0 + MINUTE, 2, T0 + 10, spec);
    assert.equal(fixedWindow.consume(state, T0 + MINUTE, 1, spec, out), false);
  });

  test('a clock that steps back into an older window still counts in the newer one', () => {
    const spec = limitSpec({ limit: 1, windowMs: MINUTE });
    const state = newState();
    const out = newVerdict();
    fixedWindow.consume(state, T0 + MINUTE, 1, spec, out);
    assert.equal(fixedWindow.consume(state, T0 + MINUTE - 5, 1, spec, out), false);
  });

  test('never admits more than limit units inside one aligned window', () => {
    fc.assert(
      fc.property(scenarioArb(true), ({ spec, start, ops }) => {
        assert.ok(maxInAlignedWindow(runOps(fixedWindow, spec, start, ops).admitted, spec.windowMs) <= spec.limit);
      }),
      { numRuns: 500 },
    );
  });

  test('decides like a per-window count of the admitted log, refunds included', () => {
    fc.assert(
      fc.property(scenarioArb(true), ({ spec, start, ops }) => {
        runOps(fixedWindow, spec, start, ops, {
          observe: (step, before) => assert.equal(step.verdict.allowed, referenceFixedAdmits(before, spec, step.time, step.cost)),
        });
      }),
      { numRuns: 500 },
    );
  });
});
