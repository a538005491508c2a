/**
 * A circuit breaker for the Redis store: after `failures` failed round trips in a row it opens and
 * the store answers at once with an error (each rule then falls back as its `on_store_error` says)
 * instead of waiting out a timeout per request. After `cooldownMs` one request is let through as a
 * trial: success closes the breaker, failure opens it for another cooldown.
 */

export type BreakerState = 'closed' | 'open' | 'half-open';

export interface CircuitBreaker {
  readonly state: BreakerState;
  /** True when a request may go to Redis now (closed, or the one trial of half-open). */
  allow(now: number): boolean;
  success(): void;
  failure(now: number): void;
}

/**
 * @example
 * const breaker = createCircuitBreaker({ failures: 5, cooldownMs: 1_000, onChange: (to) => log(to) });
 * if (!breaker.allow(now)) return fail(); send().then(() => breaker.success(), () => breaker.failure(now));
 */
export function createCircuitBreaker(options: { failures: number; cooldownMs: number; onChange: (to: BreakerState, from: BreakerState) => void }): CircuitBreaker {
  const { failures, cooldownMs, onChange } = options;
  let state: BreakerState = 'closed';
  let failed = 0;
  let openedAt = 0;
  let trialOut = false;

  function move(to: BreakerState): void {
    if (to === state) return;
    const from = state;
    state = to;
    onChange(to, from);
  }

  return {
    get state() {
      return state;
    },
    allow(now) {
      if (state === 'closed') return true;
      if (state === 'open') {
        if (now - openedAt < cooldownMs) return false;
        move('half-open');
        trialOut = false;
      }
      if (trialOut) return false;
      trialOut = true;
      return true;
    },
    success() {
      failed = 0;
      if (state === 'closed') return;
      trialOut = false;
      move('closed');
    },
    failure(now) {
      trialOut = false;
      if (state === 'half-open' || ++failed >= failures) {
        openedAt = now;
        failed = 0;
        move('open');
      }
    },
  };
}
