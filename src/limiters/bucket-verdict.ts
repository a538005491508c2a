/**
 * The verdict arithmetic shared by the two bucket algorithms. Both measure what a key owes in
 * *ticks*: one unit is `windowMs` ticks and `limit` ticks are repaid per ms, so with integer times,
 * limits and costs every quantity is an integer and every comparison is exact.
 */
import type { Verdict } from './types.ts';

/**
 * Fills `out` for a bucket that owes `owed` ticks (after this call) out of `capacity`, and returns
 * `allowed`. `need` is the request in ticks; a request larger than the capacity can never fit, so its
 * `retryAfterMs` is the time until the bucket is full again, or the time to refill it from empty if
 * it already is full: always > 0 and finite, as a `Retry-After` header needs.
 *
 * @example
 * writeBucketVerdict(out, false, owed, 1 * spec.windowMs, spec.burst * spec.windowMs, spec.windowMs, spec.limit);
 */
export function writeBucketVerdict(
  out: Verdict,
  allowed: boolean,
  owed: number,
  need: number,
  capacity: number,
  windowMs: number,
  limit: number,
): boolean {
  // Floors and ceilings of integer quotients below 2^53 are exact in doubles (see limit-spec.ts).
  const resetMs = Math.ceil(owed / limit);
  out.allowed = allowed;
  out.remaining = owed < capacity ? Math.floor((capacity - owed) / windowMs) : 0;
  out.resetMs = resetMs;
  if (allowed) out.retryAfterMs = 0;
  else if (need <= capacity) out.retryAfterMs = Math.ceil((owed + need - capacity) / limit);
  else out.retryAfterMs = resetMs > 0 ? resetMs : Math.ceil(capacity / limit);
  return allowed;
}
