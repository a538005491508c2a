/**
 * Parsing of the human-readable rates and durations used in the policy file: `5/min`, `100/hour`,
 * `10/s`, `20/10s`, and `30s`, `15m`, `1h`, `500ms`.
 */

const UNIT_MS: Readonly<Record<string, number>> = {
  ms: 1,
  s: 1_000, sec: 1_000, second: 1_000, seconds: 1_000,
  m: 60_000, min: 60_000, minute: 60_000, minutes: 60_000,
  h: 3_600_000, hour: 3_600_000, hours: 3_600_000,
  d: 86_400_000, day: 86_400_000, days: 86_400_000,
};

/** Regex source for a duration: an optional count and a unit (`15m`, `1 hour`, `500ms`). */
export const DURATION_PATTERN = '^\\s*(\\d+(?:\\.\\d+)?)\\s*(ms|s|sec|seconds?|m|min|minutes?|h|hours?|d|days?)\\s*$';
/** Regex source for a rate: units, a slash, then a duration whose count may be omitted (`5/min`, `20/10s`). */
export const RATE_PATTERN = '^\\s*(\\d+)\\s*/\\s*(\\d+(?:\\.\\d+)?)?\\s*(ms|s|sec|seconds?|m|min|minutes?|h|hours?|d|days?)\\s*$';

const DURATION_RE = new RegExp(DURATION_PATTERN);
const RATE_RE = new RegExp(RATE_PATTERN);

/**
 * Parses a duration into milliseconds; a bare number is already milliseconds. Returns null when invalid.
 *
 * @example
 * parseDuration('15m') // 900000
 */
export function parseDuration(value: string | number): number | null {
  if (typeof value === 'number') return Number.isFinite(value) && value >= 0 ? value : null;
  const m = DURATION_RE.exec(value);
  if (m === null) return null;
  return Math.round(Number(m[1]) * UNIT_MS[m[2]!]!);
}

/** A rate: `limit` units per `windowMs`. */
export interface Rate {
  limit: number;
  windowMs: number;
}

/**
 * Parses `N/unit` or `N/<count><unit>`. Returns null when invalid.
 *
 * @example
 * parseRate('5/min')  // { limit: 5, windowMs: 60000 }
 * parseRate('20/10s') // { limit: 20, windowMs: 10000 }
 */
export function parseRate(value: string): Rate | null {
  const m = RATE_RE.exec(value);
  if (m === null) return null;
  const limit = Number(m[1]);
  const count = m[2] === undefined ? 1 : Number(m[2]);
  const windowMs = Math.round(count * UNIT_MS[m[3]!]!);
  if (limit < 1 || windowMs < 1) return null;
  return { limit, windowMs };
}
