/**
 * Test helper (imported by tests only, never by library code): exact reference models of the
 * algorithms' guarantees and a runner that replays a request sequence against an algorithm while
 * logging what it admitted. The models recompute everything from the log of admitted units, in
 * BigInt where it matters, so they share no arithmetic with the implementations they check.
 */
import type { Algorithm, AlgorithmName, LimiterState, LimitSpec, Verdict } from './types.ts';
import { newState, newVerdict } from './types.ts';

/** A step of a test sequence: wait `dt` ms, then consume or refund. */
export type Op =
  | { readonly kind: 'consume'; readonly dt: number; readonly cost: number }
  /** Refunds part of an earlier admitted event: event `pick % events`, `share` ∈ [0, 1] of its net units (at least 1). */
  | { readonly kind: 'refund'; readonly dt: number; readonly pick: number; readonly share: number };

/** Units admitted at one time; `units` is net of the refunds made against it. */
export interface Admitted {
  readonly time: number;
  units: number;
}

/** One consume of a run, with the verdict the algorithm gave. */
export interface Step {
  readonly time: number;
  readonly cost: number;
  readonly verdict: Verdict;
}

/** What an algorithm did with a sequence. */
export interface Run {
  readonly steps: Step[];
  readonly admitted: Admitted[];
  /** Time of the last op. */
  readonly end: number;
  /** The key's state after the last op. */
  readonly state: LimiterState;
}

/** Options of {@link runOps}. */
export interface RunOptions {
  /** Start from this state (it is updated in place) instead of a fresh key. */
  state?: LimiterState;
  /** Sees each consume with the log as it stood before it, to compare with a reference step by step. */
  observe?: (step: Step, admittedBefore: readonly Admitted[]) => void;
}

/**
 * Replays `ops` from `start` on a fresh key (or `options.state`). Refunds only ever give back units
 * actually taken (of a still-positive admitted event), as the contract requires of callers.
 *
 * @example
 * const { admitted } = runOps(gcra, spec, 0, [{ kind: 'consume', dt: 0, cost: 1 }]);
 */
export function runOps(
  algorithm: Algorithm,
  spec: LimitSpec,
  start: number,
  ops: readonly Op[],
  options: RunOptions = {},
): Run {
  const state = options.state ?? newState();
  const observe = options.observe;
  const steps: Step[] = [];
  const admitted: Admitted[] = [];
  let now = start;
  for (const op of ops) {
    now += op.dt;
    if (op.kind === 'consume') {
      const verdict = newVerdict();
      algorithm.consume(state, now, op.cost, spec, verdict);
      const step = { time: now, cost: op.cost, verdict };
      if (observe !== undefined) observe(step, admitted);
      steps.push(step);
      if (verdict.allowed && op.cost > 0) admitted.push({ time: now, units: op.cost });
    } else {
      const live = admitted.filter((e) => e.units > 0);
      if (live.length === 0) continue;
      const event = live[op.pick % live.length];
      const amount = Math.max(1, Math.round(event.units * op.share));
      algorithm.refund(state, now, amount, event.time, spec);
      event.units -= amount;
    }
  }
  return { steps, admitted, end: now, state };
}

/**
 * The largest net total inside one aligned window `[k·windowMs, (k+1)·windowMs)`.
 *
 * @example
 * maxInAlignedWindow([{ time: 999, units: 2 }, { time: 1_000, units: 2 }], 1_000) === 2;
 */
export function maxInAlignedWindow(admitted: readonly Admitted[], windowMs: number): number {
  const perWindow = new Map<number, number>();
  for (const e of admitted) {
    const k = Math.floor(e.time / windowMs);
    perWindow.set(k, (perWindow.get(k) ?? 0) + e.units);
  }
  return Math.max(0, ...perWindow.values());
}

/**
 * The largest net total of events whose times differ by less than `span` ms (any half-open interval
 * of length `span`).
 *
 * @example
 * maxInSpan([{ time: 999, units: 2 }, { time: 1_000, units: 2 }], 1_000) === 4;
 */
export function maxInSpan(admitted: readonly Admitted[], span: number): number {
  let best = 0;
  for (let i = 0; i < admitted.length; i++) {
    let sum = 0;
    for (let j = i; j < admitted.length && admitted[j].time - admitted[i].time < span; j++) sum += admitted[j].units;
    if (sum > best) best = sum;
  }
  return best;
}

/**
 * The first closed interval `[tᵢ, tⱼ]` holding more than `burst + limit × (tⱼ − tᵢ) / windowMs` net
 * units, or undefined if the bucket bound holds everywhere. Compared in integers: units × windowMs.
 *
 * @example
 * assert.equal(bucketBoundViolation(runOps(gcra, spec, 0, ops).admitted, spec), undefined);
 */
export function bucketBoundViolation(admitted: readonly Admitted[], spec: LimitSpec): string | undefined {
  const { limit, windowMs, burst } = spec;
  for (let i = 0; i < admitted.length; i++) {
    let sum = 0n;
    for (let j = i; j < admitted.length; j++) {
      sum += BigInt(admitted[j].units);
      const allowance = BigInt(burst * windowMs) + BigInt(limit) * BigInt(admitted[j].time - admitted[i].time);
      if (sum * BigInt(windowMs) > allowance) {
        return `${sum} units in [${admitted[i].time}, ${admitted[j].time}] exceed burst ${burst} + ${limit}/${windowMs} per ms`;
      }
    }
  }
  return undefined;
}

/**
 * The documented worst case of the sliding window counter over any window-long span.
 *
 * @example
 * slidingSpanBound(limitSpec({ limit: 10, windowMs: 1_000 })) === 19;
 */
export function slidingSpanBound(spec: LimitSpec): number {
  return 2 * spec.limit - 1;
}

/**
 * Checks the guarantee each algorithm documents, on net units; undefined when it holds.
 * Fixed window: ≤ limit per aligned window. Sliding window: that, and ≤ 2·limit − 1 over any
 * window-long span. Buckets: ≤ burst + rate × t over every closed interval of length t.
 *
 * @example
 * assert.equal(boundViolation('sliding-window', spec, run.admitted), undefined);
 */
export function boundViolation(name: AlgorithmName, spec: LimitSpec, admitted: readonly Admitted[]): string | undefined {
  if (name === 'token-bucket' || name === 'gcra') return bucketBoundViolation(admitted, spec);
  const aligned = maxInAlignedWindow(admitted, spec.windowMs);
  if (aligned > spec.limit) return `${aligned} units in one aligned window, limit ${spec.limit}`;
  if (name === 'sliding-window') {
    const span = maxInSpan(admitted, spec.windowMs);
    if (span > slidingSpanBound(spec)) return `${span} units within ${spec.windowMs} ms, bound ${slidingSpanBound(spec)}`;
  }
  return undefined;
}

/**
 * The largest verdict `remaining` can be: `burst` for buckets, `limit` for windows.
 *
 * @example
 * capacityOf('gcra', limitSpec({ limit: 1, windowMs: 1_000, burst: 5 })) === 5;
 */
export function capacityOf(name: AlgorithmName, spec: LimitSpec): number {
  return name === 'token-bucket' || name === 'gcra' ? spec.burst : spec.limit;
}

/**
 * An exact bucket, from the log of admitted units: admits a request iff the log plus it still
 * satisfies `units in [s, now] ≤ burst + (now − s) / T` for every s. That is the greedy policy for
 * the bound itself, stated without any bucket or TAT, so token bucket and GCRA are checked against
 * the definition. The verdict fields come from the same constraints (the debt is the tightest one).
 * Exact for logs without refunds; the algorithms refund conservatively, so they may admit less.
 *
 * @example
 * referenceBucketVerdict([], spec, 0, 1).allowed === true;
 */
export function referenceBucketVerdict(admitted: readonly Admitted[], spec: LimitSpec, now: number, cost: number): Verdict {
  const W = BigInt(spec.windowMs);
  const L = BigInt(spec.limit);
  const capacity = BigInt(spec.burst) * W;
  const t = BigInt(now);
  // Debt in ticks (1 unit = windowMs ticks, limit ticks repaid per ms): the largest excess over the rate.
  let owed = 0n;
  let suffix = 0n;
  for (let i = admitted.length - 1; i >= 0; i--) {
    suffix += BigInt(admitted[i].units) * W;
    const excess = suffix - (t - BigInt(admitted[i].time)) * L;
    if (excess > owed) owed = excess;
  }
  const need = BigInt(cost > 0 ? cost : 1) * W;
  const allowed = owed + need <= capacity;
  if (allowed && cost > 0) owed += need;
  const reset = ceilDiv(owed, L);
  let retry = 0n;
  if (!allowed) retry = need <= capacity ? ceilDiv(owed + need - capacity, L) : reset > 0n ? reset : ceilDiv(capacity, L);
  return {
    allowed,
    remaining: Number(owed < capacity ? (capacity - owed) / W : 0n),
    resetMs: Number(reset),
    retryAfterMs: Number(retry),
  };
}

/**
 * The sliding window counter recomputed from the log of admitted units (net of refunds): counts per
 * aligned window, then the weighted estimate in exact rationals. A `cost` of 0 asks about one unit.
 *
 * @example
 * referenceSlidingAdmits(run.admitted, spec, run.end, 1);
 */
export function referenceSlidingAdmits(admitted: readonly Admitted[], spec: LimitSpec, now: number, cost: number): boolean {
  const w = spec.windowMs;
  const k = Math.floor(now / w);
  let current = 0;
  let previous = 0;
  for (const e of admitted) {
    const ek = Math.floor(e.time / w);
    if (ek === k) current += e.units;
    else if (ek === k - 1) previous += e.units;
  }
  const elapsed = now - k * w;
  // previous × (w − elapsed) / w + current + cost ≤ limit, multiplied through by w.
  return BigInt(previous) * BigInt(w - elapsed) + BigInt(current + Math.max(cost, 1)) * BigInt(w) <= BigInt(spec.limit) * BigInt(w);
}

/**
 * The fixed window recomputed from the log: units already in `now`'s aligned window, plus the request
 * (one unit for a peek), against the limit.
 *
 * @example
 * referenceFixedAdmits(run.admitted, spec, run.end, 1);
 */
export function referenceFixedAdmits(admitted: readonly Admitted[], spec: LimitSpec, now: number, cost: number): boolean {
  const k = Math.floor(now / spec.windowMs);
  let count = 0;
  for (const e of admitted) if (Math.floor(e.time / spec.windowMs) === k) count += e.units;
  return count + Math.max(cost, 1) <= spec.limit;
}

function ceilDiv(a: bigint, b: bigint): bigint {
  return a <= 0n ? 0n : (a + b - 1n) / b;
}
