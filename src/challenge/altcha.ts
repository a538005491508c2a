/**
 * ALTCHA (v1 protocol) challenges, issued and verified synchronously with the plain-JS SHA-256 of
 * sha256.ts: about a microsecond per hash or HMAC, where node:crypto's HMAC costs several and WebCrypto
 * a promise per call.
 * The wire format is ALTCHA's, so the ALTCHA widget and `altcha-lib` interoperate (tested):
 *
 * - challenge: `{ algorithm: 'SHA-256', challenge: hex(sha256(salt + n)), maxnumber, salt, signature: hex(hmac(key, challenge)) }`
 * - solution (`payload`): base64 of `{ algorithm, challenge, number: n, salt, signature, took? }`
 *
 * What a challenge is bound to travels in the salt as ALTCHA parameters (`<id>?expires=…&fp=…&g=…&l=…&`):
 * the salt is hashed into `challenge`, which is signed, so none of it can be changed without the key.
 */
import { randomFillSync, timingSafeEqual } from 'node:crypto';
import { sha256Hex } from './sha256.ts';
import type { HmacSha256 } from './sha256.ts';

/** An ALTCHA challenge as the client receives it. */
export interface AltchaChallenge {
  readonly algorithm: 'SHA-256';
  readonly challenge: string;
  readonly maxnumber: number;
  readonly salt: string;
  readonly signature: string;
}

/** The challenge a request gets, with what the front door needs to present it. */
export interface ChallengeOffer {
  readonly challenge: AltchaChallenge;
  /** Difficulty level index (see `challenge.difficulty`). */
  readonly level: number;
  /** Route group it is bound to. */
  readonly group: string;
  /** When it expires, in seconds since the epoch. */
  readonly expires: number;
}

/** What a challenge is bound to. */
export interface ChallengeBinding {
  /** Expiry, in seconds since the epoch (ALTCHA's `expires` parameter). */
  readonly expires: number;
  /** The client's header fingerprint. */
  readonly fp: string;
  /** Route group (as the challenger writes it: a keyed hash of the group's name). */
  readonly group: string;
  /** Difficulty level index. */
  readonly level: number;
}

/** A verified solution: the binding it carried and the challenge's unique id (for single use). */
export interface VerifiedSolution extends ChallengeBinding {
  readonly id: string;
}

/** Longest solution payload accepted; real ones are about 300 bytes. */
const MAX_PAYLOAD = 2048;
const HEX64 = /^[0-9a-f]{64}$/;

// Random bytes drawn 4 KiB at a time: one call per 256 challenges instead of one each (~10 µs apiece).
const pool = Buffer.alloc(4096);
let poolAt = pool.length;

/**
 * Creates a challenge whose secret number is drawn from 0…maxnumber.
 *
 * @example
 * const c = issueAltcha(new HmacSha256(key), 20_000, { expires: 1_800_000_000, fp: 'ab12', group: 'signup', level: 0 });
 */
export function issueAltcha(mac: HmacSha256, maxnumber: number, binding: ChallengeBinding): AltchaChallenge {
  if (poolAt + 16 > pool.length) {
    randomFillSync(pool);
    poolAt = 0;
  }
  const random = pool.subarray(poolAt, (poolAt += 16));
  const salt = `${random.toString('hex', 0, 12)}?expires=${binding.expires}&fp=${binding.fp}&g=${binding.group}&l=${binding.level}&`;
  const secret = random.readUInt32BE(12) % (maxnumber + 1);
  const challenge = sha256Hex(salt + secret);
  return { algorithm: 'SHA-256', challenge, maxnumber, salt, signature: Buffer.from(mac.digest(challenge)).toString('hex') };
}

/**
 * Checks a solution payload (base64 JSON, as the ALTCHA widget sends it): the signature, the proof of
 * work and the salt's parameters. Expiry and binding are the caller's to compare. Null when anything
 * is wrong; never throws.
 */
export function verifyAltcha(mac: HmacSha256, payload: string): VerifiedSolution | null {
  if (payload.length > MAX_PAYLOAD) return null;
  let p: unknown;
  try {
    p = JSON.parse(Buffer.from(payload, 'base64').toString('utf8'));
  } catch {
    return null;
  }
  if (p === null || typeof p !== 'object') return null;
  const { algorithm, challenge, number, salt, signature } = p as Record<string, unknown>;
  if (algorithm !== 'SHA-256' || typeof challenge !== 'string' || typeof salt !== 'string' || typeof signature !== 'string') return null;
  if (typeof number !== 'number' || !Number.isSafeInteger(number) || number < 0) return null;
  if (!HEX64.test(challenge) || !HEX64.test(signature)) return null;
  if (!timingSafeEqual(mac.digest(challenge), Buffer.from(signature, 'hex'))) return null;
  if (sha256Hex(salt + number) !== challenge) return null;
  return parseSalt(salt);
}

/** The binding parameters of a salt made by {@link issueAltcha}, or null for any other salt. */
function parseSalt(salt: string): VerifiedSolution | null {
  const q = salt.indexOf('?');
  if (q <= 0) return null;
  const params = new URLSearchParams(salt.slice(q + 1));
  const e = params.get('expires');
  const l = params.get('l');
  const fp = params.get('fp');
  const group = params.get('g');
  if (e === null || l === null || fp === null || group === null) return null;
  const expires = Number(e);
  const level = Number(l);
  if (!Number.isSafeInteger(expires) || !Number.isSafeInteger(level)) return null;
  return { id: salt.slice(0, q), expires, fp, group, level };
}
