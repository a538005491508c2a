/**
 * The one place a {@link LimitSpec} is checked. The algorithms do exact integer arithmetic on
 * products such as `limit × windowMs` and never validate on the request path, so every spec they
 * see must come from here (or be built to the same rules).
 */
import { ErrorCode, RampartError } from '../errors.ts';
import type { LimitSpec } from './types.ts';

/** What a rule says about its limit, before normalisation. */
export interface LimitSpecOptions {
  /** Units per window (windows) or sustained units per `windowMs` (buckets). Integer ≥ 1. */
  limit: number;
  /** Window or refill period in ms. Integer ≥ 1. */
  windowMs: number;
  /** Bucket capacity for token bucket and GCRA. Integer ≥ 1; defaults to `limit`. */
  burst?: number;
}

/**
 * Validates and freezes a limit. Throws `RAMPART_ERR_INVALID_ARGUMENT` naming the field and the fix.
 *
 * Integers are required because the algorithms compare scaled integers (`count × windowMs`,
 * `tokens × windowMs`) instead of fractions, which is what makes "exactly `burst` at once" and
 * "exactly `limit` per window" hold with no floating-point slack. `max(limit, burst) × windowMs`
 * must stay below 2^53 for the same reason (a million a day is ~8.6e13, far below).
 *
 * @example
 * const spec = limitSpec({ limit: 5, windowMs: 60_000 }); // { limit: 5, windowMs: 60000, burst: 5 }
 */
export function limitSpec(options: LimitSpecOptions): LimitSpec {
  const { limit, windowMs } = options;
  const burst = options.burst ?? limit;
  requirePositiveInteger('limit', limit);
  requirePositiveInteger('windowMs', windowMs);
  requirePositiveInteger('burst', burst);
  if (Math.max(limit, burst) * windowMs > Number.MAX_SAFE_INTEGER) {
    throw new RampartError(
      ErrorCode.INVALID_ARGUMENT,
      `max(limit, burst) × windowMs is ${Math.max(limit, burst) * windowMs}, above 2^53 − 1: use a shorter window or a smaller limit`,
    );
  }
  return Object.freeze({ limit, windowMs, burst });
}

function requirePositiveInteger(name: string, value: number): void {
  if (!Number.isSafeInteger(value) || value < 1) {
    throw new RampartError(ErrorCode.INVALID_ARGUMENT, `${name} must be a whole number ≥ 1, got ${String(value)}`);
  }
}
