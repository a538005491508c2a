/**
 * Token bucket: a bucket of `burst` tokens, refilled continuously at `limit` tokens per `windowMs`;
 * a request takes `cost` tokens or is refused.
 */
import { writeBucketVerdict } from './bucket-verdict.ts';
import type { Algorithm, LimiterState, LimitSpec, Verdict } from './types.ts';

/**
 * Token bucket with capacity `spec.burst` and refill rate `spec.limit / spec.windowMs` per ms.
 *
 * State: `a` = tokens *missing* from the bucket (owed), `b` = time of the last update. Storing what
 * is missing rather than what is left makes all-zero a full bucket with no "never used" flag, so a
 * legitimate update at time 0 (a virtual clock) needs no special case; `b` is irrelevant while `a` is 0.
 * Internally the debt is counted in ticks (1 token = `windowMs` ticks, `limit` ticks refilled per ms),
 * which are integers for integer times, so `burst` requests at one instant are admitted exactly.
 *
 * Guarantee (net of refunds, tested): over every closed interval `[s, s + t]` the admitted units are at
 * most `burst + limit × t / windowMs`; without refunds it admits a request exactly when the bound
 * still holds with it, so it decides exactly like the `gcra` algorithm.
 *
 * Refunds give back only the part of the units that has not been refilled yet:
 * `cost − (now − consumedAt) × rate`. Adding all `cost` tokens back, capped at `burst`, would break the
 * guarantee above: a bucket drained by old units that are already half refilled would get them a
 * second time.
 *
 * A `cost` of 0 is a peek: `allowed` tells whether one more unit would be admitted now, nothing is
 * stored. A cost above `burst` is always refused (see {@link writeBucketVerdict} for its retryAfterMs).
 *
 * @example
 * const spec = limitSpec({ limit: 10, windowMs: 1_000, burst: 20 }); // 10/s sustained, bursts of 20
 * tokenBucket.consume(newState(), Date.now(), 1, spec, newVerdict());
 */
/** Ticks missing from the bucket at `now`: the stored debt less what refilled since the last update (never below 0). */
function owedAt(state: LimiterState, now: number, windowMs: number, limit: number): number {
  // Rounding recovers the exact tick count from the token count stored in `a`.
  const owed = Math.round(state.a * windowMs);
  if (now <= state.b) return owed;
  const left = owed - (now - state.b) * limit;
  return left < 0 ? 0 : left;
}

export const tokenBucket: Algorithm = {
  name: 'token-bucket',

  consume(state: LimiterState, now: number, cost: number, spec: LimitSpec, out: Verdict): boolean {
    const windowMs = spec.windowMs;
    const limit = spec.limit;
    const capacity = spec.burst * windowMs;
    const updated = now > state.b ? now : state.b;
    let owed = owedAt(state, now, windowMs, limit);
    const need = (cost > 0 ? cost : 1) * windowMs;
    const allowed = owed + need <= capacity;
    if (allowed && cost > 0) {
      owed += need;
      state.a = owed / windowMs;
      state.b = updated;
    }
    return writeBucketVerdict(out, allowed, owed, need, capacity, windowMs, limit);
  },

  refund(state: LimiterState, now: number, cost: number, consumedAt: number, spec: LimitSpec): void {
    const windowMs = spec.windowMs;
    const limit = spec.limit;
    const updated = now > state.b ? now : state.b;
    let owed = owedAt(state, now, windowMs, limit);
    // The units have been refilling since they were taken (at most `limit` ticks per ms, oldest first),
    // so at least this much of them is still missing and can be given back without double-counting.
    const since = updated > consumedAt ? updated - consumedAt : 0;
    const back = cost * windowMs - since * limit;
    if (back <= 0 || owed === 0) return;
    owed = owed > back ? owed - back : 0;
    state.a = owed / windowMs;
    state.b = updated;
  },

  expiresAt(state: LimiterState, spec: LimitSpec): number {
    if (state.a <= 0) return state.b;
    return state.b + Math.ceil(Math.round(state.a * spec.windowMs) / spec.limit);
  },
};
