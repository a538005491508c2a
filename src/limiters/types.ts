/**
 * Contracts for the rate-limiting algorithms. An algorithm is a pure function of
 * (state, now, cost, spec): no I/O, no clock of its own, no hidden state. To keep the hot path free of
 * allocation it updates a caller-owned {@link LimiterState} record in place and writes its verdict into
 * a caller-owned {@link Verdict}; stores copy state in and out of their own storage around the call.
 */

export type AlgorithmName = 'fixed-window' | 'sliding-window' | 'token-bucket' | 'gcra';

/** The limit, normalised once at policy load. */
export interface LimitSpec {
  /** Units admitted per window (windows) or sustained units per `windowMs` (buckets). Integer ≥ 1. */
  readonly limit: number;
  /** Length of the window or refill period, in ms. */
  readonly windowMs: number;
  /** Bucket capacity for token bucket and GCRA (units that may arrive at once). Equals `limit` by default. */
  readonly burst: number;
}

/**
 * Algorithm state: three numbers whose meaning depends on the algorithm. All zero means "fresh key".
 * - fixed window: a = window start, b = count
 * - sliding window counter: a = current window start, b = current count, c = previous window count
 * - token bucket: a = tokens missing from the bucket (0 = full, so all-zero needs no "unused" flag),
 *   b = time of last refill
 * - GCRA: a + b = theoretical arrival time (TAT): a its whole ms, b the fraction of a ms (kept apart
 *   so the arithmetic stays exact at epoch magnitudes)
 */
export interface LimiterState {
  a: number;
  b: number;
  c: number;
}

/** The outcome of one consume call. */
export interface Verdict {
  allowed: boolean;
  /** Units still available right after this call (≥ 0, integer). Feeds `RateLimit: r=`. */
  remaining: number;
  /** Ms until the quota is back to full. Feeds `RateLimit: t=`. */
  resetMs: number;
  /** Ms until a request of the same cost would be admitted; 0 when allowed. Feeds `Retry-After`. */
  retryAfterMs: number;
}

export interface Algorithm {
  readonly name: AlgorithmName;
  /**
   * Tries to take `cost` units at `now`. When admitted, updates `state`; a refused request leaves
   * `state` as it was (refused requests do not count). Writes the verdict to `out` and returns `out.allowed`.
   * `cost` 0 is a peek: it reports without consuming, answering as for a 1-unit request (`allowed` is
   * false and `retryAfterMs` > 0 while the quota is used up).
   */
  consume(state: LimiterState, now: number, cost: number, spec: LimitSpec, out: Verdict): boolean;
  /**
   * Gives back `cost` units taken at `consumedAt` (used when a rule counts only some responses and
   * this response did not match). Never gives back more than was taken, never past a full quota, and
   * is a no-op if the units taken have already expired.
   */
  refund(state: LimiterState, now: number, cost: number, consumedAt: number, spec: LimitSpec): void;
  /** The time after which `state` is equivalent to a fresh key and may be dropped. */
  expiresAt(state: LimiterState, spec: LimitSpec): number;
}

/** Creates a zeroed verdict record for callers that reuse one. */
export function newVerdict(): Verdict {
  return { allowed: true, remaining: 0, resetMs: 0, retryAfterMs: 0 };
}

/** Creates a fresh (all-zero) state record. */
export function newState(): LimiterState {
  return { a: 0, b: 0, c: 0 };
}
