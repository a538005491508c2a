/**
 * The engine's Decision value, and the store calls it keeps so RateLimit headers are built lazily.
 */
import type { ChallengeOffer } from '../challenge/altcha.ts';
import type { RampartError } from '../errors.ts';
import type { LimitCall, LimitOutcome } from '../stores/types.ts';
import type { CompiledRule } from './compile-policy.ts';
import { ACTION_SEVERITY } from './decision.ts';
import type { Action, Decision, PendingCount } from './decision.ts';
import { rateLimitHeaders } from './rate-limit-headers.ts';
import type { HeadersMode } from './rate-limit-headers.ts';
import type { RequestContext } from './request-context.ts';

const NO_HEADERS: Readonly<Record<string, string>> = Object.freeze({});
/** The shared empty reasons list. */
export const NO_REASONS: readonly string[] = Object.freeze([]) as readonly string[];

/** A store call plus the rule it came from. */
export interface EngineCall extends LimitCall {
  readonly rule: CompiledRule;
}

/** What the limits said, kept so RateLimit headers are built only if someone reads them. */
export interface LimitReport {
  readonly calls: readonly EngineCall[];
  readonly outcomes: readonly LimitOutcome[];
  readonly mode: HeadersMode;
}

/**
 * The engine's Decision. A plain value apart from `headers`, which is built on first read: replay,
 * logs and policies without RateLimit headers never pay for the strings.
 */
export class EngineDecision implements Decision {
  readonly action: Action;
  readonly intended: Action;
  readonly monitor: boolean;
  readonly rule: string | null;
  readonly reasons: readonly string[];
  readonly risk: number;
  readonly status: number;
  readonly retryAfter: number;
  readonly error: RampartError | null;
  readonly context: RequestContext;
  readonly pending: readonly PendingCount[];
  challenge: ChallengeOffer | null = null;
  #limits: LimitReport | null;
  #pass: string | null = null;
  #passMaxAge = 0;
  #headers: Readonly<Record<string, string>> | null = null;

  constructor(action: Action, intended: Action, rule: string | null, reasons: readonly string[], status: number, retryAfter: number, error: RampartError | null, context: RequestContext, pending: readonly PendingCount[], limits: LimitReport | null) {
    this.action = action;
    this.intended = intended;
    this.monitor = ACTION_SEVERITY[intended] > ACTION_SEVERITY[action];
    this.rule = rule;
    this.reasons = reasons.length === 0 ? NO_REASONS : reasons;
    this.risk = context.riskComputed ? context.risk() : 0;
    this.status = status;
    this.retryAfter = retryAfter;
    this.error = error;
    this.context = context;
    this.pending = pending;
    this.#limits = limits;
  }

  /** A solved challenge earned a pass: it goes back in a `Rampart-Pass` header and, for browsers, a cookie. */
  setPass(token: string, maxAgeSeconds: number): void {
    this.#pass = token;
    this.#passMaxAge = maxAgeSeconds;
  }

  get headers(): Readonly<Record<string, string>> {
    if (this.#headers !== null) return this.#headers;
    const limits = this.#limits;
    if (limits === null && this.retryAfter === 0 && this.#pass === null) return (this.#headers = NO_HEADERS);
    const out: Record<string, string> = {};
    if (limits !== null) rateLimitHeaders(limits.mode, limits.calls, limits.outcomes, this.context.now, out);
    if (this.retryAfter > 0) out['retry-after'] = String(this.retryAfter);
    if (this.#pass !== null) {
      out['rampart-pass'] = this.#pass;
      out['set-cookie'] = `rampart_pass=${this.#pass}; Path=/; Max-Age=${this.#passMaxAge}; HttpOnly; SameSite=Lax`;
    }
    this.#limits = null;
    return (this.#headers = out);
  }
}
