/**
 * Challenges as the engine runs them, compiled once per policy from its `challenge` section: keys,
 * difficulty levels, lifetimes, and the limit table that records spent challenge ids.
 *
 * Per challenged request the engine asks, in order: does the request carry a valid pass for this
 * client and route group, at this difficulty or a harder one? A valid solution? (Then the challenge's
 * id is spent through the hot store, so a solution works once across every instance that shares the
 * store.) Otherwise the client gets a fresh challenge.
 */
import { createHmac, randomBytes } from 'node:crypto';
import type { RequestContext } from '../engine/request-context.ts';
import { limitSpec } from '../limiters/limit-spec.ts';
import { tokenBucket } from '../limiters/token-bucket.ts';
import { parseDuration } from '../policy/duration.ts';
import type { PolicyDocument } from '../policy/schema.ts';
import type { LimitTable } from '../stores/types.ts';
import { issueAltcha, verifyAltcha } from './altcha.ts';
import type { ChallengeOffer, VerifiedSolution } from './altcha.ts';
import { headerFingerprint } from './fingerprint.ts';
import { HmacSha256 } from './sha256.ts';
import { issuePass, readPass } from './pass-token.ts';

/** Request header carrying a solution (base64 ALTCHA payload). */
export const SOLUTION_HEADER = 'rampart-solution';
/** Request and response header carrying a pass. */
export const PASS_HEADER = 'rampart-pass';
/** Cookie the interstitial page puts a solution in. */
export const SOLUTION_COOKIE = 'rampart_solution';
/** Cookie a pass is set in for browsers. */
export const PASS_COOKIE = 'rampart_pass';
/** Table id of spent challenge ids; not a valid rule name, so it cannot collide with one. */
export const SPENT_TABLE_ID = '~challenge-spent';

/** Used when the policy gives no secret: passes and challenges then die with the process. */
const PROCESS_SECRET = randomBytes(32).toString('hex');

export interface Challenger {
  /** True when the policy gave no `challenge.secret` (a random one per process is used). */
  readonly ephemeralSecret: boolean;
  readonly expiresMs: number;
  readonly passMs: number;
  readonly spentTable: LimitTable;
  /** Number of difficulty levels. */
  readonly levels: number;
  /** The difficulty level index for a risk score. */
  levelFor(risk: number): number;
  fingerprint(ctx: RequestContext): string;
  /** True when the request carries a pass for this client and group, earned at `level` or harder. */
  hasPass(ctx: RequestContext, fp: string, group: string, level: number): boolean;
  /** A correctly signed, unexpired solution bound to this client and group at `level` or harder; not yet checked for reuse. */
  solution(ctx: RequestContext, fp: string, group: string, level: number): VerifiedSolution | null;
  offer(fp: string, group: string, level: number, now: number): ChallengeOffer;
  pass(fp: string, group: string, level: number, now: number): string;
}

/** A cookie's value from a `Cookie` header, or undefined. */
export function cookieValue(cookie: string | undefined, name: string): string | undefined {
  if (cookie === undefined) return undefined;
  let at = cookie.indexOf(name + '=');
  while (at > 0 && cookie[at - 1] !== ' ' && cookie[at - 1] !== ';') at = cookie.indexOf(name + '=', at + 1);
  if (at === -1) return undefined;
  const start = at + name.length + 1;
  const end = cookie.indexOf(';', start);
  return cookie.slice(start, end === -1 ? undefined : end).trim();
}

function derive(secret: string, purpose: string): HmacSha256 {
  return new HmacSha256(createHmac('sha256', secret).update(`rampart ${purpose} v1`).digest());
}

/**
 * Compiles `policy.challenge`. Shape is validated by the schema; semantic checks (level order) are
 * reported by compile-policy.
 *
 * @example
 * const challenger = createChallenger(policy);
 * challenger.offer(challenger.fingerprint(ctx), 'signup', challenger.levelFor(ctx.risk()), Date.now());
 */
export function createChallenger(policy: PolicyDocument): Challenger {
  const config = policy.challenge;
  const secret = config.secret ?? PROCESS_SECRET;
  const challengeKey = derive(secret, 'challenge');
  const passKey = derive(secret, 'pass');
  const fpKey = derive(secret, 'fingerprint');
  const expiresMs = Math.max(1000, parseDuration(config.expires) ?? 300_000);
  const passMs = Math.max(1000, parseDuration(config.pass) ?? 1_800_000);
  const levels = config.difficulty;
  // One unit per challenge id, refilled after the longest a challenge lives: a second use always fails.
  const spentTable: LimitTable = { id: SPENT_TABLE_ID, algorithm: tokenBucket, spec: limitSpec({ limit: 1, windowMs: expiresMs + 1000, burst: 1 }), penaltyMs: 0 };

  // The group is a rule name by default: clients see only a keyed hash of it.
  const groupTags = new Map<string, string>();
  const tag = (group: string): string => {
    let t = groupTags.get(group);
    if (t === undefined) {
      t = Buffer.from(fpKey.digest(`group ${group}`)).toString('hex', 0, 6);
      groupTags.set(group, t);
    }
    return t;
  };

  return {
    ephemeralSecret: config.secret === undefined,
    expiresMs,
    passMs,
    spentTable,
    levels: levels.length,
    levelFor(risk) {
      let level = 0;
      for (let i = 1; i < levels.length; i++) if (risk >= levels[i]!.risk) level = i;
      return level;
    },
    fingerprint(ctx) {
      return headerFingerprint((name) => ctx.header(name), fpKey);
    },
    hasPass(ctx, fp, group, level) {
      const token = ctx.header(PASS_HEADER) ?? cookieValue(ctx.header('cookie'), PASS_COOKIE);
      if (token === undefined) return false;
      const claims = readPass(passKey, token);
      return claims !== null && claims.expires * 1000 > ctx.now && claims.fp === fp && claims.group === tag(group) && claims.level >= level;
    },
    solution(ctx, fp, group, level) {
      const payload = ctx.header(SOLUTION_HEADER) ?? cookieValue(ctx.header('cookie'), SOLUTION_COOKIE);
      if (payload === undefined) return null;
      const s = verifyAltcha(challengeKey, payload);
      return s !== null && s.expires * 1000 > ctx.now && s.fp === fp && s.group === tag(group) && s.level >= level ? s : null;
    },
    offer(fp, group, level, now) {
      const expires = Math.ceil((now + expiresMs) / 1000);
      return { challenge: issueAltcha(challengeKey, levels[level]!.max_number, { expires, fp, group: tag(group), level }), level, group, expires };
    },
    pass(fp, group, level, now) {
      return issuePass(passKey, { expires: Math.floor((now + passMs) / 1000), level, group: tag(group), fp });
    },
  };
}
