/**
 * The pass a solved challenge earns: a short signed token, `p1.<expires>.<level>.<fp>.<group>.<mac>`,
 * where `mac` is base64url(HMAC-SHA-256(pass key, everything before it)). Stateless: any instance with
 * the same secret accepts it until it expires. It is bound like the challenge was (header fingerprint
 * and route group) and remembers the difficulty level it was earned at, so a client whose risk has
 * risen to a harder level is challenged again.
 */
import { timingSafeEqual } from 'node:crypto';
import type { HmacSha256 } from './sha256.ts';

/** What a valid pass says. */
export interface PassClaims {
  /** Seconds since the epoch. */
  readonly expires: number;
  readonly level: number;
  /** The route group's keyed hash. */
  readonly group: string;
  readonly fp: string;
}

const MAX_TOKEN = 256;

/**
 * Signs a pass.
 *
 * @example
 * const token = issuePass(new HmacSha256(key), { expires: 1_800_000_000, level: 1, group: 'signup', fp: 'ab12cd34ef567890' });
 */
export function issuePass(mac: HmacSha256, claims: PassClaims): string {
  const body = `p1.${claims.expires}.${claims.level}.${claims.fp}.${claims.group}`;
  return `${body}.${Buffer.from(mac.digest(body)).toString('base64url')}`;
}

/** The claims of a correctly signed pass (expired or not), or null. Never throws. */
export function readPass(mac: HmacSha256, token: string): PassClaims | null {
  if (token.length > MAX_TOKEN || !token.startsWith('p1.')) return null;
  const dot = token.lastIndexOf('.');
  const body = token.slice(0, dot);
  const given = Buffer.from(token.slice(dot + 1), 'base64url');
  const expected = mac.digest(body);
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) return null;
  const parts = body.split('.');
  if (parts.length < 5) return null;
  // Group names may hold dots; they come last.
  return { expires: Number(parts[1]), level: Number(parts[2]), fp: parts[3]!, group: parts.slice(4).join('.') };
}
