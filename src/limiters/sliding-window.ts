/**
 * Sliding window counter (the approximation Cloudflare and nginx-style limiters use): two aligned
 * fixed-window counts, the previous one weighted by how much of it the sliding window still covers.
 */
import type { Algorithm, LimiterState, LimitSpec, Verdict } from './types.ts';

/**
 * Sliding window counter. State: `a` = start of the current aligned window, `b` = units counted in
 * it, `c` = units counted in the window before. At `now`, `elapsed` ms into the current window,
 *
 *     estimate = c × (windowMs − elapsed) / windowMs + b
 *
 * and a request is admitted iff `estimate + cost ≤ limit`. The comparison is done on
 * `c × (windowMs − elapsed) + (b + cost) × windowMs ≤ limit × windowMs`, all integers, so it is exact.
 *
 * The estimate assumes the previous window's units were spread evenly; it is not an exact sliding
 * log. What it does guarantee (units net of refunds; integer ms and costs; tested in
 * sliding-window.test.ts):
 * - **aligned windows**: never more than `limit` units inside one aligned window;
 * - **any window-long span**: units whose times all lie within `windowMs − 1` ms of each other (any
 *   half-open interval of length `windowMs`) total at most `2 × limit − 1`. Such a span covers at
 *   most the end of one aligned window (≤ c units) and the start of the next; its last request was
 *   admitted only if `c × (windowMs − elapsed)/windowMs + (units before it in its window) + cost ≤ limit`
 *   with `elapsed < windowMs`, so it holds at most `limit + c × elapsed/windowMs < 2 × limit`. It is reached
 *   (`limit` units in the last ms of one window, `limit − 1` two ms before the end of the next)
 *   whenever `limit ≤ windowMs / 2`. An exact sliding log would allow `limit`;
 * - **steady traffic**: `n` units per window, evenly spaced a whole number of ms apart (any phase),
 *   are never refused when `n ≤ limit − 1`. At `n = limit` the first unit of a window that follows a
 *   full one is refused (the estimate still counts a share of the unit that just slid out), where an
 *   exact log would admit it.
 *
 * A `cost` of 0 is a peek: `allowed` tells whether one more unit would be admitted now, nothing is
 * stored. A cost above `limit` is always refused with `retryAfterMs` = time until the estimate is
 * back to 0 (a whole window if it already is).
 *
 * @example
 * const state = newState(), out = newVerdict(), spec = limitSpec({ limit: 100, windowMs: 60_000 });
 * slidingWindow.consume(state, Date.now(), 1, spec, out);
 */
export const slidingWindow: Algorithm = {
  name: 'sliding-window',

  consume(state: LimiterState, now: number, cost: number, spec: LimitSpec, out: Verdict): boolean {
    const windowMs = spec.windowMs;
    const limit = spec.limit;
    let start = now - (now % windowMs);
    let current = 0;
    let previous = 0;
    if (start <= state.a) {
      // Same window, or the clock stepped back into an older one: keep counting in the newer window.
      start = state.a;
      current = state.b;
      previous = state.c;
    } else if (start === state.a + windowMs) {
      previous = state.b;
    }
    const elapsed = now > start ? now - start : 0;
    const previousWeight = windowMs - elapsed;
    const need = cost > 0 ? cost : 1;
    // Scaled by windowMs: what is left of the quota after the previous window's share and this window's count.
    const room = limit * windowMs - previous * previousWeight - current * windowMs;
    const allowed = need * windowMs <= room;
    let left = room;
    if (allowed && cost > 0) {
      current += cost;
      left -= cost * windowMs;
      state.a = start;
      state.b = current;
      state.c = previous;
    }
    let resetMs = 0;
    if (current > 0) resetMs = start + 2 * windowMs - now;
    else if (previous > 0) resetMs = start + windowMs - now;
    out.allowed = allowed;
    out.remaining = left > 0 ? Math.floor(left / windowMs) : 0;
    out.resetMs = resetMs;
    if (allowed) out.retryAfterMs = 0;
    else if (need > limit) out.retryAfterMs = resetMs > 0 ? resetMs : windowMs;
    else out.retryAfterMs = retryAt(start, windowMs, limit, previous, current, need) - now;
    return allowed;
  },

  refund(state: LimiterState, _now: number, cost: number, consumedAt: number, spec: LimitSpec): void {
    const windowMs = spec.windowMs;
    const start = consumedAt - (consumedAt % windowMs);
    if (start === state.a) state.b = state.b > cost ? state.b - cost : 0;
    else if (start === state.a - windowMs) state.c = state.c > cost ? state.c - cost : 0;
  },

  expiresAt(state: LimiterState, spec: LimitSpec): number {
    if (state.b > 0) return state.a + 2 * spec.windowMs;
    if (state.c > 0) return state.a + spec.windowMs;
    return state.a;
  },
};

/**
 * The earliest time a request of `need ≤ limit` units fits, with no other traffic. Floors are exact:
 * the operands are integers below 2^53 (see limit-spec.ts).
 */
function retryAt(start: number, windowMs: number, limit: number, previous: number, current: number, need: number): number {
  const spare = limit - current - need;
  if (spare >= 0) {
    // It fits in this window once enough of the previous window has slid out:
    // previous × (windowMs − elapsed) ≤ spare × windowMs. previous > 0, or it would have fitted already.
    return start + windowMs - Math.floor((spare * windowMs) / previous);
  }
  // Only in the next window, where this window's count becomes the weighted one: current > 0 here.
  const wait = windowMs - Math.floor(((limit - need) * windowMs) / current);
  return start + windowMs + (wait > 0 ? wait : 0);
}
