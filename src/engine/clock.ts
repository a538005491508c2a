/**
 * Time, injected. Everything time-dependent reads `clock.now()` (milliseconds since the epoch);
 * tests and replay pass a {@link VirtualClock}, so no test sleeps and replay runs faster than real time.
 */
export interface Clock {
  now(): number;
}

/** The wall clock. */
export const systemClock: Clock = { now: Date.now };

/**
 * A clock that only moves when told to.
 *
 * @example
 * const clock = new VirtualClock(Date.parse('2026-01-01T00:00:00Z'));
 * clock.advance(60_000); // one minute later
 */
export class VirtualClock implements Clock {
  #now: number;
  constructor(start = 0) {
    this.#now = start;
  }
  now(): number {
    return this.#now;
  }
  /** Moves time forward by `ms` (never backwards). */
  advance(ms: number): void {
    if (ms > 0) this.#now += ms;
  }
  /** Jumps to `ms`; ignored if that is in the past, so time is monotonic. */
  set(ms: number): void {
    if (ms > this.#now) this.#now = ms;
  }
}
