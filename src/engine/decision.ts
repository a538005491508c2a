/**
 * A decision is a value: what to do with one request, and why. Front doors map it to a response;
 * logs, metrics and replay read it. The engine never throws into the caller; an internal failure
 * becomes a decision with `error` set.
 */
import type { ChallengeOffer } from '../challenge/altcha.ts';
import type { RampartError } from '../errors.ts';
import type { LimitRefund } from '../stores/types.ts';
import type { RequestContext } from './request-context.ts';

export type Action = 'allow' | 'deny' | 'throttle' | 'challenge' | 'tarpit';

/** Larger is stronger; when several rules fire, the strongest action wins (the earliest rule on ties). */
export const ACTION_SEVERITY: Readonly<Record<Action, number>> = {
  allow: 0,
  tarpit: 1,
  challenge: 2,
  throttle: 3,
  deny: 4,
};

/** Units a request took from a limit that counts only some responses; settled by `engine.observe`. */
export interface PendingCount extends LimitRefund {
  readonly counts: (status: number) => boolean;
}

export interface Decision {
  /** What the front door must do. `allow` when monitor mode suppressed a stronger action. */
  readonly action: Action;
  /** What the policy decided before monitor mode: equals `action` unless `monitor` is true. */
  readonly intended: Action;
  /** True when a rule fired but monitor mode (global or the rule's) kept it from being enforced. */
  readonly monitor: boolean;
  /** The rule that decided `intended`, or null when no rule fired. */
  readonly rule: string | null;
  /**
   * Why, as short machine-readable strings: `limit:<rule>`, `penalty:<rule>`, `rule:<rule>`,
   * `signal:<name>`, `monitor:<rule>`, `error:<code>`; for a challenge rule, `pass:<group>` (a valid
   * pass let the request through), `solved:<group>` (a valid solution did, and earned a pass),
   * `replayed:<group>` (a solution already used). For logs and metrics; never sent to the client.
   */
  readonly reasons: readonly string[];
  /** Risk 0–100 (0 when no rule needed it and it was not computed). */
  readonly risk: number;
  /** HTTP status for a refusal (429 throttle, 403 deny and challenge); 0 for allow and tarpit. */
  readonly status: number;
  /** Response headers to set (RateLimit headers, Retry-After). */
  readonly headers: Readonly<Record<string, string>>;
  /** Seconds the client should wait, for throttle. */
  readonly retryAfter: number;
  /** The internal failure this decision papers over, if any. */
  readonly error: RampartError | null;
  readonly context: RequestContext;
  /** Counts that depend on the response; `engine.observe(decision, status)` settles them. */
  readonly pending: readonly PendingCount[];
  /** For `challenge`: the proof-of-work challenge to present (see `challengeResponse`). */
  readonly challenge?: ChallengeOffer | null;
}

/** @example if (isDenied(decision)) res.writeHead(decision.status) */
export function isAllowed(d: Decision): boolean {
  return d.action === 'allow';
}
/** True for deny and throttle: the request must not reach the application. */
export function isDenied(d: Decision): boolean {
  return d.action === 'deny' || d.action === 'throttle';
}
export function isThrottled(d: Decision): boolean {
  return d.action === 'throttle';
}
export function isChallenged(d: Decision): boolean {
  return d.action === 'challenge';
}
export function isErrored(d: Decision): boolean {
  return d.error !== null;
}
