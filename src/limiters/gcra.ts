/**
 * GCRA, the generic cell rate algorithm: one timestamp per key, exact rate plus burst.
 */
import { writeBucketVerdict } from './bucket-verdict.ts';
import type { Algorithm, LimiterState, LimitSpec, Verdict } from './types.ts';

/**
 * GCRA with emission interval `T = windowMs / limit` and capacity `burst`. A request of `cost` units
 * moves the theoretical arrival time to `max(TAT, now) + cost × T` and is admitted iff that is at most
 * `burst × T` ahead of `now`. From a fresh key exactly `burst` units pass at one instant, then one
 * per `T`; over every closed interval `[s, s + t]` at most `burst + t / T` units pass (net of refunds,
 * tested). It decides exactly like `tokenBucket`, with one timestamp of state.
 *
 * State: `a + b` = TAT, split into whole ms (`a`) and the fraction of a ms (`b`, in [0, 1)). An epoch
 * timestamp as a double resolves only ~0.2 µs, so a TAT kept in one number drifts as `T`s such as
 * 1000/6 are added: at 2026-01-01T00:00Z it refuses the 6th of 6 simultaneous requests. Split, the
 * arithmetic runs on exact integers: ticks of `1 / limit` ms, in which `T` is `windowMs` ticks.
 * All-zero is a fresh key: a TAT of 0 is in the past. `c` is unused.
 *
 * Refunds pull the TAT back by the part of the units not yet paid off,
 * `cost × T − (now − consumedAt)`, never below `now`. The tempting `max(now, TAT − cost × T)` would
 * let more than the bound through once other requests have arrived since `consumedAt`. This
 * assumes `now` is not earlier than the key's latest consume (the clock is monotonic).
 *
 * A `cost` of 0 is a peek: `allowed` tells whether one more unit would be admitted now, nothing is
 * stored. A cost above `burst` is always refused (see `writeBucketVerdict` for its retryAfterMs).
 *
 * @example
 * const spec = limitSpec({ limit: 1, windowMs: 1_000, burst: 5 }); // 1/s, bursts of 5
 * gcra.consume(newState(), Date.now(), 1, spec, newVerdict());
 */
export const gcra: Algorithm = {
  name: 'gcra',

  consume(state: LimiterState, now: number, cost: number, spec: LimitSpec, out: Verdict): boolean {
    const windowMs = spec.windowMs;
    const limit = spec.limit;
    const capacity = spec.burst * windowMs;
    let ahead = ticksAhead(state, now, limit);
    if (ahead < 0) ahead = 0;
    const need = (cost > 0 ? cost : 1) * windowMs;
    const allowed = ahead + need <= capacity;
    if (allowed && cost > 0) {
      ahead += need;
      storeTat(state, now, ahead, limit);
    }
    return writeBucketVerdict(out, allowed, ahead, need, capacity, windowMs, limit);
  },

  refund(state: LimiterState, now: number, cost: number, consumedAt: number, spec: LimitSpec): void {
    const limit = spec.limit;
    let ahead = ticksAhead(state, now, limit);
    if (ahead <= 0) return;
    // Since consumedAt the debt has been paid off at one tick per tick, oldest units first, so only
    // what those units could not yet have paid off is certainly still owed.
    const since = now > consumedAt ? now - consumedAt : 0;
    const back = cost * spec.windowMs - since * limit;
    if (back <= 0) return;
    ahead = ahead > back ? ahead - back : 0;
    storeTat(state, now, ahead, limit);
  },

  expiresAt(state: LimiterState): number {
    return state.b > 0 ? state.a + 1 : state.a;
  },
};

/** TAT − now in ticks (1/limit ms); negative when the TAT is in the past. */
function ticksAhead(state: LimiterState, now: number, limit: number): number {
  // a − now is exact for timestamps of the same magnitude; b × limit is a whole tick count up to rounding.
  return (state.a - now) * limit + Math.round(state.b * limit);
}

function storeTat(state: LimiterState, now: number, ahead: number, limit: number): void {
  const fraction = ahead % limit;
  state.a = now + (ahead - fraction) / limit;
  state.b = fraction / limit;
}
