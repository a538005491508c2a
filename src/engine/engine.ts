/**
 * The decision engine: a plain request in, a {@link Decision} out. Knows no framework.
 *
 * Per request: canonical path → matching rules (route trie) → conditions → plain rules fire,
 * limit rules collect one store call each → one store round trip → the strongest action wins.
 */
import { ErrorCode, RampartError, toRampartError } from '../errors.ts';
import { defaultLogger } from '../logger.ts';
import type { Logger } from '../logger.ts';
import type { PolicyDocument } from '../policy/schema.ts';
import { builtinSignals } from '../signals/registry.ts';
import type { Signal } from '../signals/types.ts';
import { createMemoryStore } from '../stores/memory/memory-store.ts';
import type { HotStore, LimitCall, LimitOutcome, LimitRefund } from '../stores/types.ts';
import { systemClock } from './clock.ts';
import type { Clock } from './clock.ts';
import { compilePolicy } from './compile-policy.ts';
import type { CompiledPolicy, CompiledRule } from './compile-policy.ts';
import { ACTION_SEVERITY } from './decision.ts';
import type { Action, Decision, PendingCount } from './decision.ts';
import { rateLimitHeaders } from './rate-limit-headers.ts';
import { RequestContext } from './request-context.ts';
import type { RampartRequest } from './request-context.ts';

export interface EngineOptions {
  /** A validated policy document (see `parsePolicy` / `loadPolicyFile`). */
  policy: PolicyDocument;
  /** Hot state. Default: a memory store bounded by `state.memory.max_keys`. */
  store?: HotStore;
  /** Default: the system clock. Tests and replay pass a VirtualClock. */
  clock?: Clock;
  /** Default: pino at level warn on stderr. */
  logger?: Logger;
  /** Signals available to the policy. Default: the built-in signals. */
  signals?: readonly Signal[];
  /** Shown in config error messages. */
  source?: string;
}

const STATUS: Readonly<Record<Action, number>> = { allow: 0, deny: 403, throttle: 429, challenge: 403, tarpit: 0 };
/** Stands in for a key part the request lacks, so all such requests share one counter. */
const MISSING_KEY = '\u0000missing';
const NO_HEADERS: Readonly<Record<string, string>> = Object.freeze({});
const NO_PENDING: readonly PendingCount[] = Object.freeze([]) as readonly PendingCount[];
const NO_REASONS: readonly string[] = Object.freeze([]) as readonly string[];

/** Collects what fired while one request is evaluated. */
class Verdicts {
  action: Action = 'allow';
  rule: CompiledRule | null = null;
  intended: Action = 'allow';
  intendedRule: CompiledRule | null = null;
  reasons: string[] = [];
  retryAfterMs = 0;

  fire(rule: CompiledRule, action: Action, reason: string, retryAfterMs: number): void {
    const severity = ACTION_SEVERITY[action];
    if (severity > ACTION_SEVERITY[this.intended]) {
      this.intended = action;
      this.intendedRule = rule;
    }
    if (rule.monitor) {
      this.reasons.push(reason, rule.reasonMonitor);
      return;
    }
    this.reasons.push(reason);
    if (severity > ACTION_SEVERITY[this.action]) {
      this.action = action;
      this.rule = rule;
    }
    if (action === 'throttle' && retryAfterMs > this.retryAfterMs) this.retryAfterMs = retryAfterMs;
  }
}

/**
 * Creates an engine.
 *
 * @example
 * const engine = createEngine({ policy: loadPolicyFile('rampart.yaml') });
 * const decision = await engine.decide({ method: 'POST', url: '/api/auth/login', headers: {}, ip: '203.0.113.7' });
 * if (decision.action !== 'allow') { res.writeHead(decision.status, decision.headers); res.end(); }
 * else engine.observe(decision, upstreamStatus);
 */
export function createEngine(options: EngineOptions): Engine {
  return new Engine(options);
}

export class Engine {
  readonly store: HotStore;
  readonly clock: Clock;
  readonly logger: Logger;
  readonly #signals: readonly Signal[];
  readonly #source: string;
  #policy: CompiledPolicy;
  #lastErrorLog = 0;
  #suppressedErrors = 0;

  constructor(options: EngineOptions) {
    this.#signals = options.signals ?? builtinSignals;
    this.#source = options.source ?? 'policy';
    this.#policy = compilePolicy(options.policy, this.#signals, this.#source);
    this.store = options.store ?? createMemoryStore({ maxKeys: options.policy.state.memory.max_keys });
    this.clock = options.clock ?? systemClock;
    this.logger = options.logger ?? defaultLogger();
  }

  /** The compiled policy in force. */
  get policy(): CompiledPolicy {
    return this.#policy;
  }

  /**
   * Swaps in a new policy atomically. Requests already being decided finish on the old one. Counters
   * are kept for rules whose name (and algorithm) stay the same.
   *
   * @throws RampartError INVALID_CONFIG, leaving the old policy in force.
   */
  reload(policy: PolicyDocument, source = this.#source): void {
    this.#policy = compilePolicy(policy, this.#signals, source);
  }

  /** Decides one request. Never rejects: failures become decisions with `error` set. */
  async decide(request: RampartRequest): Promise<Decision> {
    return this.evaluate(request);
  }

  /**
   * Decides one request, synchronously when the store is synchronous (the memory store). Replay and
   * benchmarks use this to skip a microtask; front doors use {@link decide}.
   */
  evaluate(request: RampartRequest): Decision | Promise<Decision> {
    const policy = this.#policy;
    const now = this.clock.now();
    let ctx: RequestContext | null = null;
    try {
      const m = request.method;
      const method = m === 'GET' || m === 'POST' ? m : m.toUpperCase();
      ctx = new RequestContext(request, method, policy.canonicalize(request.url), policy.clientIp(request.ip, request.headers), now, policy.signals);
      const routeIds = policy.match(method, ctx.path);
      if (routeIds.length === 0) return this.#allow(ctx);

      const verdicts = new Verdicts();
      let calls: LimitCall[] | null = null;
      let callRules: CompiledRule[] | null = null;
      let last = -1;
      for (const id of routeIds) {
        const route = policy.routes[id]!;
        if (route.rule === last) continue; // several templates of one rule matched
        last = route.rule;
        const rule = policy.rules[route.rule]!;
        if (rule.when !== null && !rule.when(ctx)) continue;
        if (rule.table === null) {
          if (rule.action === 'allow') break; // an allow rule ends evaluation: later rules do not apply
          verdicts.fire(rule, rule.action, rule.reasonRule, 0);
          if (rule.action === 'deny' && !rule.monitor) break; // nothing can outrank it
          continue;
        }
        let key = rule.key!(ctx, route.template);
        if (key === null) {
          if (rule.skipIfMissing) continue;
          key = MISSING_KEY;
        }
        (calls ??= []).push({ table: rule.table, key, cost: rule.cost });
        (callRules ??= []).push(rule);
      }
      if (calls === null || verdicts.action === 'deny') return this.#finish(ctx, verdicts, null, null, policy);

      let outcomes: LimitOutcome[] | Promise<LimitOutcome[]>;
      try {
        outcomes = this.store.consume(calls, now);
      } catch (err) {
        return this.#storeFailed(ctx, verdicts, callRules!, err, policy);
      }
      if (outcomes instanceof Promise) {
        const c = ctx;
        const r = callRules!;
        return outcomes.then(
          (o) => this.#completeLimits(c, verdicts, calls, r, o, policy),
          (err: unknown) => this.#storeFailed(c, verdicts, r, err, policy),
        );
      }
      return this.#completeLimits(ctx, verdicts, calls, callRules!, outcomes, policy);
    } catch (err) {
      return this.#internalError(request, ctx, err, policy, now);
    }
  }

  /**
   * Reports the status the application answered for an allowed request. Limits that count only some
   * responses give back the units of responses that don't count; signals that watch responses see it.
   * Never throws.
   */
  observe(decision: Decision, status: number): void {
    try {
      const pending = decision.pending;
      if (pending.length > 0) {
        let refunds: LimitRefund[] | null = null;
        for (const p of pending) if (!p.counts(status)) (refunds ??= []).push(p);
        if (refunds !== null) this.#refund(refunds);
      }
      for (const { signal } of this.#policy.signals.all) signal.observe?.(decision.context, status);
    } catch (err) {
      this.#logError(toRampartError(ErrorCode.INTERNAL, err), 'observe failed');
    }
  }

  /** True when a rule matching this request reads the JSON body, so the front door must parse it. */
  needsBody(method: string, url: string): boolean {
    const policy = this.#policy;
    if (!policy.anyNeedsBody) return false;
    const ids = policy.match(method.toUpperCase(), policy.canonicalize(url));
    for (const id of ids) if (policy.rules[policy.routes[id]!.rule]!.needsBody) return true;
    return false;
  }

  /** Closes the store. */
  async close(): Promise<void> {
    await this.store.close();
  }

  #completeLimits(ctx: RequestContext, verdicts: Verdicts, calls: LimitCall[], rules: CompiledRule[], outcomes: readonly LimitOutcome[], policy: CompiledPolicy): Decision {
    let pending: PendingCount[] | null = null;
    for (let i = 0; i < rules.length; i++) {
      const rule = rules[i]!;
      const o = outcomes[i]!;
      if (!o.allowed) verdicts.fire(rule, rule.action, o.blocked ? rule.reasonPenalty : rule.reasonLimit, o.retryAfterMs);
      else if (rule.counts !== null && calls[i]!.cost > 0) {
        const c = calls[i]!;
        (pending ??= []).push({ table: c.table, key: c.key, cost: c.cost, consumedAt: ctx.now, counts: rule.counts });
      }
    }
    // A request refused here never reaches the application, so it has no response that could count.
    if (pending !== null && verdicts.action !== 'allow') {
      this.#refund(pending);
      pending = null;
    }
    const headers: Record<string, string> = {};
    rateLimitHeaders(policy.headersMode, rules, outcomes, ctx.now, headers);
    return this.#finish(ctx, verdicts, headers, pending, policy);
  }

  #finish(ctx: RequestContext, v: Verdicts, headers: Record<string, string> | null, pending: PendingCount[] | null, _policy: CompiledPolicy, error: RampartError | null = null): Decision {
    const action = v.action;
    let retryAfter = 0;
    if (action === 'throttle') {
      retryAfter = Math.max(1, Math.ceil(v.retryAfterMs / 1000));
      (headers ??= {})['retry-after'] = String(retryAfter);
    }
    const monitor = ACTION_SEVERITY[v.intended] > ACTION_SEVERITY[action];
    const decidedBy = action !== 'allow' ? v.rule : v.intendedRule;
    if (monitor) this.logger.info({ rule: v.intendedRule?.name, would: v.intended, ip: ctx.clientIp, method: ctx.method, path: ctx.path }, 'monitor: rule fired, not enforced');
    return {
      action,
      intended: v.intended,
      monitor,
      rule: decidedBy === null ? null : decidedBy.name,
      reasons: v.reasons.length === 0 ? NO_REASONS : v.reasons,
      risk: ctx.riskComputed ? ctx.risk() : 0,
      status: STATUS[action],
      headers: headers ?? NO_HEADERS,
      retryAfter,
      error,
      context: ctx,
      pending: pending ?? NO_PENDING,
    };
  }

  #allow(ctx: RequestContext): Decision {
    return {
      action: 'allow',
      intended: 'allow',
      monitor: false,
      rule: null,
      reasons: NO_REASONS,
      risk: 0,
      status: 0,
      headers: NO_HEADERS,
      retryAfter: 0,
      error: null,
      context: ctx,
      pending: NO_PENDING,
    };
  }

  /** The store failed: each limit rule fails open (skipped) or closed (fires) as configured. */
  #storeFailed(ctx: RequestContext, verdicts: Verdicts, rules: readonly CompiledRule[], err: unknown, policy: CompiledPolicy): Decision {
    const error = new RampartError(ErrorCode.STORE, `state store failed: ${err instanceof Error ? err.message : String(err)}`, { cause: err });
    this.#logError(error, 'state store failed; limits fail open or closed as configured');
    verdicts.reasons.push(`error:${ErrorCode.STORE}`);
    for (const rule of rules) if (rule.failClosed) verdicts.fire(rule, rule.action, rule.reasonLimit, 1000);
    return this.#finish(ctx, verdicts, null, null, policy, error);
  }

  /** A bug or an unexpected input: decide by the global `on_error`, and say why. */
  #internalError(request: RampartRequest, ctx: RequestContext | null, err: unknown, policy: CompiledPolicy, now: number): Decision {
    const error = toRampartError(ErrorCode.INTERNAL, err);
    this.#logError(error, 'engine failed while deciding; falling back to on_error');
    const context = ctx ?? new RequestContext(request, String(request.method), '/', String(request.ip), now, policy.signals);
    const failClosed = policy.document.on_error === 'deny';
    const action: Action = failClosed ? 'deny' : 'allow';
    return {
      action,
      intended: action,
      monitor: false,
      rule: null,
      reasons: [`error:${error.code}`],
      risk: 0,
      status: STATUS[action],
      headers: NO_HEADERS,
      retryAfter: 0,
      error,
      context,
      pending: NO_PENDING,
    };
  }

  #refund(refunds: readonly LimitRefund[]): void {
    try {
      const r = this.store.refund(refunds, this.clock.now());
      if (r instanceof Promise) r.catch((err: unknown) => this.#logError(toRampartError(ErrorCode.STORE, err), 'refund failed'));
    } catch (err) {
      this.#logError(toRampartError(ErrorCode.STORE, err), 'refund failed');
    }
  }

  /** At most one error line per second, with a count of those held back: an outage must not flood the log. */
  #logError(error: RampartError, msg: string): void {
    const t = Date.now();
    if (t - this.#lastErrorLog < 1000) {
      this.#suppressedErrors++;
      return;
    }
    this.logger.error({ code: error.code, err: error.message, suppressed: this.#suppressedErrors }, msg);
    this.#lastErrorLog = t;
    this.#suppressedErrors = 0;
  }
}
