/**
 * Test helper (tests only): fast-check generators for limits and request sequences. Sequences
 * bunch requests at one instant and around window edges, where the algorithms differ, and start
 * either at 0 (a virtual clock) or at an epoch-sized time, where floating-point drift would show.
 */
import fc from 'fast-check';
import { limitSpec } from './limit-spec.ts';
import type { Op } from './reference.ts';
import type { LimitSpec } from './types.ts';

/**
 * Small limits and windows, so that random sequences actually hit them.
 *
 * @example
 * fc.assert(fc.property(specArb, (spec) => spec.limit >= 1));
 */
export const specArb: fc.Arbitrary<LimitSpec> = fc
  .record({
    limit: fc.integer({ min: 1, max: 12 }),
    windowMs: fc.oneof(fc.integer({ min: 1, max: 20 }), fc.integer({ min: 1, max: 5_000 }), fc.constantFrom(1_000, 60_000)),
    burst: fc.integer({ min: 1, max: 15 }),
  })
  .map((options) => limitSpec(options));

/**
 * Start times: a virtual clock at 0, small, or epoch milliseconds around 2024–2026.
 *
 * @example
 * fc.property(specArb, startArb, (spec, start) => runOps(gcra, spec, start, []).end === start);
 */
export const startArb: fc.Arbitrary<number> = fc.oneof(
  fc.constant(0),
  fc.integer({ min: 0, max: 10_000 }),
  fc.integer({ min: 1_700_000_000_000, max: 1_800_000_000_000 }),
);

/**
 * A wait before the next request: often none, sometimes a fraction of a window, sometimes several windows.
 *
 * @example
 * specArb.chain((spec) => dtArb(spec));
 */
export function dtArb(spec: LimitSpec): fc.Arbitrary<number> {
  return fc.oneof(
    { weight: 3, arbitrary: fc.constant(0) },
    { weight: 4, arbitrary: fc.integer({ min: 1, max: Math.max(1, Math.ceil(spec.windowMs / 4)) }) },
    { weight: 2, arbitrary: fc.integer({ min: 0, max: 2 * spec.windowMs }) },
    { weight: 1, arbitrary: fc.integer({ min: 0, max: 5 * spec.windowMs }) },
  );
}

/**
 * A cost: mostly 1, sometimes a peek (0), sometimes up to just past the largest capacity.
 *
 * @example
 * specArb.chain((spec) => costArb(spec));
 */
export function costArb(spec: LimitSpec): fc.Arbitrary<number> {
  const most = Math.max(spec.limit, spec.burst) + 2;
  return fc.oneof(
    { weight: 5, arbitrary: fc.constant(1) },
    { weight: 1, arbitrary: fc.constant(0) },
    { weight: 3, arbitrary: fc.integer({ min: 1, max: most }) },
  );
}

/**
 * A sequence of 1 to `maxLength` consumes, with refunds mixed in when `withRefunds`.
 *
 * @example
 * specArb.chain((spec) => opsArb(spec, true, 40));
 */
export function opsArb(spec: LimitSpec, withRefunds: boolean, maxLength = 80): fc.Arbitrary<Op[]> {
  const consume = fc.record({ kind: fc.constant('consume' as const), dt: dtArb(spec), cost: costArb(spec) });
  const refund = fc.record({
    kind: fc.constant('refund' as const),
    dt: dtArb(spec),
    pick: fc.nat(),
    share: fc.double({ min: 0, max: 1, noNaN: true }),
  });
  const op: fc.Arbitrary<Op> = withRefunds
    ? fc.oneof({ weight: 3, arbitrary: consume }, { weight: 1, arbitrary: refund })
    : consume;
  return fc.array(op, { minLength: 1, maxLength, size: 'max' });
}

/**
 * A limit, a start time and a sequence for it.
 *
 * @example
 * fc.assert(fc.property(scenarioArb(true), ({ spec, start, ops }) => { runOps(gcra, spec, start, ops); }));
 */
export function scenarioArb(withRefunds: boolean): fc.Arbitrary<{ spec: LimitSpec; start: number; ops: Op[] }> {
  return specArb.chain((spec) => fc.record({ spec: fc.constant(spec), start: startArb, ops: opsArb(spec, withRefunds) }));
}
