/**
 * Fixed window: at most `limit` units in each window `[k·windowMs, (k+1)·windowMs)`, windows aligned
 * to the epoch so every instance and every store agrees on where a window starts.
 */
import type { Algorithm, LimiterState, LimitSpec, Verdict } from './types.ts';

/**
 * Fixed-window counter. State: `a` = start of the window the count belongs to, `b` = units counted.
 * All-zero is a fresh key without a special case: it reads as "window 0, nothing counted".
 *
 * Guarantee: the units admitted (net of refunds) inside one aligned window never exceed `limit`.
 * The known weakness: up to `2 × limit` can pass across a window edge (end of one, start of the next).
 *
 * A `cost` of 0 is a peek: `allowed` tells whether one more unit would be admitted now, nothing is
 * stored. A cost above `limit` is always refused with `retryAfterMs` = time until the window resets
 * (a whole window if nothing is counted yet), since no wait can make it fit.
 *
 * Times are epoch ms (≥ 0); if `now` steps back into an older window, it is counted in the newer one.
 *
 * @example
 * const state = newState(), out = newVerdict(), spec = limitSpec({ limit: 5, windowMs: 60_000 });
 * fixedWindow.consume(state, Date.now(), 1, spec, out); // out.allowed, out.remaining === 4
 */
export const fixedWindow: Algorithm = {
  name: 'fixed-window',

  consume(state: LimiterState, now: number, cost: number, spec: LimitSpec, out: Verdict): boolean {
    const windowMs = spec.windowMs;
    const limit = spec.limit;
    let start = now - (now % windowMs);
    let count = 0;
    if (start <= state.a) {
      start = state.a;
      count = state.b;
    }
    const need = cost > 0 ? cost : 1;
    const allowed = count + need <= limit;
    if (allowed && cost > 0) {
      count += cost;
      state.a = start;
      state.b = count;
    }
    const untilNextWindow = start + windowMs - now;
    const resetMs = count > 0 ? untilNextWindow : 0;
    out.allowed = allowed;
    out.remaining = count < limit ? limit - count : 0;
    out.resetMs = resetMs;
    if (allowed) out.retryAfterMs = 0;
    else if (need <= limit) out.retryAfterMs = untilNextWindow;
    else out.retryAfterMs = resetMs > 0 ? resetMs : windowMs;
    return allowed;
  },

  refund(state: LimiterState, _now: number, cost: number, consumedAt: number, spec: LimitSpec): void {
    // Units from an older window have already been forgotten; refunding them would credit this window.
    if (consumedAt - (consumedAt % spec.windowMs) !== state.a) return;
    state.b = state.b > cost ? state.b - cost : 0;
  },

  expiresAt(state: LimiterState, spec: LimitSpec): number {
    return state.b > 0 ? state.a + spec.windowMs : state.a;
  },
};
