/**
 * The decision engine: a plain request in, a {@link Decision} out. Knows no framework.
 *
 * Per request: canonical path → matching rules (route trie) → conditions → plain rules fire,
 * limit rules collect one store call each → one store round trip → the strongest action wins.
 */
import { Tarpit } from '../challenge/tarpit.ts';
import type { ChallengeOffer, VerifiedSolution } from '../challenge/altcha.ts';
import { ErrorCode, RampartError, toRampartError } from '../errors.ts';
import type { Intel } from '../intel/intel.ts';
import { intelForPolicy } from '../intel/shared-intel.ts';
import { defaultLogger } from '../logger.ts';
import type { Logger } from '../logger.ts';
import type { PolicyDocument } from '../policy/schema.ts';
import { builtinSignalsWith } from '../signals/registry.ts';
import type { Signal } from '../signals/types.ts';
import { createStore } from '../stores/create-store.ts';
import { createMemoryStore } from '../stores/memory/memory-store.ts';
import type { MemoryStore } from '../stores/memory/memory-store.ts';
import type { HotStore, LimitOutcome, LimitRefund, SharedTrackers } from '../stores/types.ts';
import { systemClock } from './clock.ts';
import type { Clock } from './clock.ts';
import { compilePolicy } from './compile-policy.ts';
import type { CompiledPolicy, CompiledRule } from './compile-policy.ts';
import { ACTION_SEVERITY } from './decision.ts';
import type { Action, Decision, PendingCount } from './decision.ts';
import { EngineDecision, NO_REASONS } from './engine-decision.ts';
import type { EngineCall, LimitReport } from './engine-decision.ts';
import { RequestContext } from './request-context.ts';
import type { RampartRequest } from './request-context.ts';

export interface EngineOptions {
  /** A validated policy document (see `parsePolicy` / `loadPolicyFile`). */
  policy: PolicyDocument;
  /** Hot state. Default: the policy's `state` (a memory store bounded by `state.memory.max_keys`, or Redis). */
  store?: HotStore;
  /** Default: the system clock. Tests and replay pass a VirtualClock. */
  clock?: Clock;
  /** Default: pino at level info on stderr (`RAMPART_LOG_LEVEL` overrides). */
  logger?: Logger;
  /** Signals available to the policy. Default: the built-in signals. */
  signals?: readonly Signal[];
  /** Shown in config error messages; when it is a file, relative intel paths are relative to its directory. */
  source?: string;
  /**
   * IP intelligence. Default: built from the policy's `intel` section (once per process and
   * configuration, shared across reloads), and only when the policy uses it. `null` turns it off.
   */
  intel?: Intel | null;
}

const STATUS: Readonly<Record<Action, number>> = { allow: 0, deny: 403, throttle: 429, challenge: 403, tarpit: 0 };
/** Stands in for a key part the request lacks, so all such requests share one counter. */
const MISSING_KEY = '\u0000missing';

const NO_PENDING: readonly PendingCount[] = Object.freeze([]) as readonly PendingCount[];
const NO_ROUTES: readonly number[] = Object.freeze([]) as readonly number[];

/** Collects what fired while one request is evaluated; created only when something fires. */
class Verdicts {
  action: Action = 'allow';
  rule: CompiledRule | null = null;
  intended: Action = 'allow';
  intendedRule: CompiledRule | null = null;
  reasons: string[] = [];
  retryAfterMs = 0;
  /** For an enforced challenge: the one to present, or the pass a solution earned. */
  offer: ChallengeOffer | null = null;
  pass: string | null = null;
  passMaxAge = 0;

  fire(rule: CompiledRule, action: Action, reason: string, retryAfterMs: number): void {
    const severity = ACTION_SEVERITY[action];
    if (severity > ACTION_SEVERITY[this.intended]) {
      this.intended = action;
      this.intendedRule = rule;
    }
    // One reason per cause: a trap bans by IP and by fingerprint, and both calls say the same thing.
    const repeated = this.reasons.includes(reason);
    if (rule.monitor) {
      if (!repeated) this.reasons.push(reason, rule.reasonMonitor);
      return;
    }
    if (!repeated) this.reasons.push(reason);
    if (severity > ACTION_SEVERITY[this.action]) {
      this.action = action;
      this.rule = rule;
    }
    if (action === 'throttle' && retryAfterMs > this.retryAfterMs) this.retryAfterMs = retryAfterMs;
  }

  /** A pass or a solution answered the challenge: the request goes through, the rule stays on record. */
  admit(reason: string): void {
    this.reasons.push(reason);
    this.action = 'allow';
    if (this.intended === 'challenge') this.intended = 'allow';
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
  /** Holds tarpitted requests for front doors; its count survives reloads. */
  readonly tarpit: Tarpit;
  readonly #signals: readonly Signal[];
  readonly #source: string;
  readonly #intel: Intel | null | undefined;
  #policy: CompiledPolicy;
  /** In-process limits for rules with `on_store_error: local`, made on the first store failure. */
  #fallback: MemoryStore | null = null;
  /** Where signals pool their trackers with other instances (HotStore.trackers), or null. */
  readonly #shared: SharedTrackers | null;
  #lastErrorLog = 0;
  #suppressedErrors = 0;

  constructor(options: EngineOptions) {
    this.#signals = options.signals ?? builtinSignalsWith();
    this.#source = options.source ?? 'policy';
    this.#intel = options.intel;
    this.logger = options.logger ?? defaultLogger();
    this.#policy = compilePolicy(options.policy, this.#signals, this.#source, this.#intelFor(options.policy, this.#source));
    this.store = options.store ?? createStore(options.policy.state, this.logger);
    this.#shared = this.store.trackers ?? null;
    this.clock = options.clock ?? systemClock;
    this.tarpit = new Tarpit(options.policy);
  }

  /** The IP intelligence of the policy in force, or null. */
  get intel(): Intel | null {
    return this.#policy.intel;
  }

  #intelFor(policy: PolicyDocument, source: string): Intel | null {
    return this.#intel !== undefined ? this.#intel : intelForPolicy(policy, source, this.logger);
  }

  /**
   * Logs a warning when a rule can challenge but the policy has no `challenge.secret`. Front doors
   * that serve clients call it at start and after a reload; replay has no use for it.
   */
  warnIfUnsharedSecret(): void {
    const p = this.#policy;
    if (p.anyChallenge && p.challenger.ephemeralSecret) {
      this.logger.warn({}, 'challenge.secret is not set: challenges and passes are signed with a random per-process key; several instances need one shared secret');
    }
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
    this.#policy = compilePolicy(policy, this.#signals, source, this.#intelFor(policy, source));
    this.tarpit.configure(policy);
  }

  /** Decides one request. Never rejects: failures become decisions with `error` set. */
  decide(request: RampartRequest): Promise<Decision> {
    const result = this.evaluate(request);
    return result instanceof Promise ? result : Promise.resolve(result);
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
      const lookup = policy.lookup(method, request.url);
      ctx = new RequestContext(request, method, lookup.path, policy.clientIp(request.ip, request.headers), now, policy.signals, policy.intel);
      const routeIds = lookup.ids;
      const traps = policy.traps;
      if (routeIds.length === 0 && traps === null) return new EngineDecision('allow', 'allow', null, NO_REASONS, 0, 0, null, ctx, NO_PENDING, null);

      let verdicts: Verdicts | null = null;
      // Bans from honeypot routes join the request's one store call; a hit skips the rules (it is refused anyway).
      let calls: EngineCall[] | null = traps === null ? null : traps.calls(ctx, lookup.trap, null);
      let last = -1;
      for (const id of lookup.trap ? NO_ROUTES : routeIds) {
        const route = policy.routes[id]!;
        if (route.rule === last) continue; // several templates of one rule matched
        last = route.rule;
        const rule = policy.rules[route.rule]!;
        if (rule.when !== null && !rule.when(ctx)) continue;
        if (rule.table === null) {
          if (rule.action === 'allow') break; // an allow rule ends evaluation: later rules do not apply
          (verdicts ??= new Verdicts()).fire(rule, rule.action, rule.reasonRule, 0);
          if (rule.action === 'deny' && !rule.monitor) break; // nothing can outrank it
          continue;
        }
        let key = rule.key!(ctx, route.template);
        if (key === null) {
          if (rule.skipIfMissing) continue;
          key = MISSING_KEY;
        }
        // A `distinct` limit counts the request's member (one missing member counts as one value).
        const member = rule.member === null ? undefined : (rule.member(ctx, route.template) ?? MISSING_KEY);
        (calls ??= []).push({ table: rule.table, key, cost: rule.cost, member, rule });
      }
      if (calls === null || verdicts?.action === 'deny') {
        if (verdicts?.action === 'challenge') {
          const v = verdicts;
          const c = ctx;
          const gate = this.#challenge(c, v, policy);
          if (gate !== null) return gate.then(() => this.#finish(c, v, null, null, null));
        }
        return this.#finish(ctx, verdicts, null, null, null);
      }

      let outcomes: LimitOutcome[] | Promise<LimitOutcome[]>;
      try {
        outcomes = this.store.consume(calls, now);
      } catch (err) {
        return this.#storeFailed(ctx, verdicts, calls, err, policy);
      }
      if (outcomes instanceof Promise) {
        const c = ctx;
        const k = calls;
        const v = verdicts;
        return outcomes.then(
          (o) => this.#completeLimits(c, v, k, o, policy),
          (err: unknown) => this.#storeFailed(c, v, k, err, policy),
        );
      }
      return this.#completeLimits(ctx, verdicts, calls, outcomes, policy);
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
      for (const { signal } of this.#policy.signals.all) signal.observe?.(decision.context, status, this.#shared);
    } catch (err) {
      this.#logError(toRampartError(ErrorCode.INTERNAL, err), 'observe failed');
    }
  }

  /** True when a rule matching this request reads the JSON body, so the front door must parse it. */
  needsBody(method: string, url: string): boolean {
    const policy = this.#policy;
    if (!policy.anyNeedsBody) return false;
    const { ids } = policy.lookup(method.toUpperCase(), url);
    for (const id of ids) if (policy.rules[policy.routes[id]!.rule]!.needsBody) return true;
    return false;
  }

  /**
   * Resolves once the signals have sent what they learnt to the shared store (HotStore.trackers) and
   * taken in its answers. Never rejects.
   */
  async settle(): Promise<void> {
    await Promise.all(this.#signals.map((s) => s.settle?.()));
  }

  /** Sends what the signals learnt last (see {@link settle}), then closes the store (and the Redis connection, if the engine made one). */
  async close(): Promise<void> {
    await this.settle();
    await this.store.close();
    await this.#fallback?.close();
  }

  #completeLimits(ctx: RequestContext, verdicts: Verdicts | null, calls: readonly EngineCall[], outcomes: readonly LimitOutcome[], policy: CompiledPolicy): Decision | Promise<Decision> {
    let pending: PendingCount[] | null = null;
    for (let i = 0; i < calls.length; i++) {
      const c = calls[i]!;
      const rule = c.rule;
      const o = outcomes[i]!;
      if (!o.allowed) (verdicts ??= new Verdicts()).fire(rule, rule.action, o.blocked ? rule.reasonPenalty : rule.reasonLimit, o.retryAfterMs);
      else if (rule.counts !== null && c.cost > 0 && o.skipped !== true) {
        (pending ??= []).push({ table: c.table, key: c.key, cost: c.cost, consumedAt: o.at ?? ctx.now, member: c.member, counts: rule.counts });
      }
    }
    if (verdicts !== null && verdicts.action === 'challenge') {
      const v = verdicts;
      const p = pending;
      const gate = this.#challenge(ctx, v, policy);
      if (gate !== null) return gate.then(() => this.#settle(ctx, v, calls, outcomes, policy, p));
    }
    return this.#settle(ctx, verdicts, calls, outcomes, policy, pending);
  }

  /** After the limits and any challenge check: refunds for a refused request, then the decision. */
  #settle(ctx: RequestContext, verdicts: Verdicts | null, calls: readonly EngineCall[], outcomes: readonly LimitOutcome[], policy: CompiledPolicy, pending: PendingCount[] | null): Decision {
    // A refused request never reaches the application: it takes no units from the limits that admitted
    // it (a flood throttled by one limit must not drain another, e.g. a global one, for everybody).
    // A tarpitted one does reach it, late, and counts like an allowed one.
    if (verdicts !== null && verdicts.action !== 'allow' && verdicts.action !== 'tarpit') {
      let refunds: LimitRefund[] | null = null;
      for (let i = 0; i < calls.length; i++) {
        const c = calls[i]!;
        const o = outcomes[i]!;
        if (c.cost > 0 && o.allowed && o.skipped !== true) {
          (refunds ??= []).push({ table: c.table, key: c.key, cost: c.cost, consumedAt: o.at ?? ctx.now, member: c.member });
          // The outcome is ours (stores hand out fresh ones): make the RateLimit header show the refund.
          o.remaining = Math.min(c.rule.quota, o.remaining + c.cost);
        }
      }
      if (refunds !== null) this.#refund(refunds);
      pending = null;
    }
    return this.#finish(ctx, verdicts, policy.headersMode === 'none' ? null : { calls, outcomes, mode: policy.headersMode }, pending, null);
  }

  #finish(ctx: RequestContext, v: Verdicts | null, limits: LimitReport | null, pending: PendingCount[] | null, error: RampartError | null): Decision {
    if (v === null) return new EngineDecision('allow', 'allow', null, NO_REASONS, 0, 0, error, ctx, pending ?? NO_PENDING, limits);
    const action = v.action;
    const retryAfter = action === 'throttle' ? Math.max(1, Math.ceil(v.retryAfterMs / 1000)) : 0;
    const monitor = ACTION_SEVERITY[v.intended] > ACTION_SEVERITY[action];
    const decidedBy = action !== 'allow' ? v.rule : v.intendedRule;
    if (monitor) this.logger.info({ rule: v.intendedRule?.name, would: v.intended, ip: ctx.clientIp, method: ctx.method, path: ctx.path }, 'monitor: rule fired, not enforced');
    // The signals that fired for this request explain the rule that used them.
    for (const f of ctx.findings()) v.reasons.push(`signal:${f.signal}`);
    const decision = new EngineDecision(action, v.intended, decidedBy === null ? null : decidedBy.name, v.reasons, STATUS[action], retryAfter, error, ctx, pending ?? NO_PENDING, limits);
    if (action === 'challenge') decision.challenge = v.offer;
    else if (v.pass !== null) decision.setPass(v.pass, v.passMaxAge);
    return decision;
  }

  /**
   * The request's rules say `challenge`: a valid pass or a fresh solution (bound to this client's
   * fingerprint and the rule's group, at the current difficulty or harder) lets it through; otherwise
   * `v.offer` is set to a new challenge. Null when settled synchronously; a promise when the store
   * that records spent solutions answers asynchronously. Never rejects: a store failure keeps the
   * challenge (failing closed costs a legitimate client one more solve).
   */
  #challenge(ctx: RequestContext, v: Verdicts, policy: CompiledPolicy): Promise<void> | null {
    const challenger = policy.challenger;
    const group = v.rule!.group;
    let level: number;
    try {
      level = challenger.levelFor(ctx.risk());
    } catch (err) {
      // A signal failed while scoring risk: the hardest level, rather than an easier one than deserved.
      const error = toRampartError(ErrorCode.INTERNAL, err);
      this.#logError(error, 'risk scoring failed while choosing a challenge difficulty; using the hardest level');
      v.reasons.push(`error:${error.code}`);
      level = challenger.levels - 1;
    }
    const fp = challenger.fingerprint(ctx);
    if (challenger.hasPass(ctx, fp, group, level)) {
      v.admit(`pass:${group}`);
      return null;
    }
    const solution = challenger.solution(ctx, fp, group, level);
    const offer = (): void => {
      v.offer = challenger.offer(fp, group, level, ctx.now);
    };
    if (solution === null) {
      offer();
      return null;
    }
    const spent = (outcomes: readonly LimitOutcome[]): void => {
      if (outcomes[0]!.allowed) this.#solved(v, solution, group, fp, ctx.now, policy);
      else {
        v.reasons.push(`replayed:${group}`);
        offer();
      }
    };
    const failed = (err: unknown): void => {
      this.#logError(new RampartError(ErrorCode.STORE, `state store failed: ${err instanceof Error ? err.message : String(err)}`, { cause: err }), 'state store failed while checking a challenge solution; challenging again');
      v.reasons.push(`error:${ErrorCode.STORE}`);
      offer();
    };
    try {
      const outcomes = this.store.consume([{ table: challenger.spentTable, key: solution.id, cost: 1 }], ctx.now);
      if (outcomes instanceof Promise) return outcomes.then(spent, failed);
      spent(outcomes);
    } catch (err) {
      failed(err);
    }
    return null;
  }

  #solved(v: Verdicts, solution: VerifiedSolution, group: string, fp: string, now: number, policy: CompiledPolicy): void {
    v.admit(`solved:${group}`);
    v.pass = policy.challenger.pass(fp, group, solution.level, now);
    v.passMaxAge = Math.floor(policy.challenger.passMs / 1000);
  }

  /**
   * The store failed: each limit rule fails open (skipped), closed (fires), or to an in-process
   * limiter with the same settings (`local`), as its `on_store_error` says.
   */
  #storeFailed(ctx: RequestContext, verdicts: Verdicts | null, calls: readonly EngineCall[], err: unknown, policy: CompiledPolicy): Decision | Promise<Decision> {
    const error = new RampartError(ErrorCode.STORE, `state store failed: ${err instanceof Error ? err.message : String(err)}`, { cause: err });
    this.#logError(error, 'state store failed; limits fall back as their on_store_error says');
    const v = verdicts ?? new Verdicts();
    v.reasons.push(`error:${ErrorCode.STORE}`);
    let local: EngineCall[] | null = null;
    for (const c of calls) {
      const rule = c.rule;
      if (rule.onStoreError === 'deny') v.fire(rule, rule.action, rule.reasonLimit, 1000);
      else if (rule.onStoreError === 'local') (local ??= []).push(c);
    }
    if (local !== null) {
      // Counts that depend on the response are not kept for these: every response counts locally.
      const fallback = (this.#fallback ??= createMemoryStore({ maxKeys: this.#policy.document.state.memory.max_keys }));
      const outcomes = fallback.consume(local, ctx.now);
      for (let i = 0; i < local.length; i++) {
        const o = outcomes[i]!;
        const rule = local[i]!.rule;
        if (!o.allowed) v.fire(rule, rule.action, o.blocked ? rule.reasonPenalty : rule.reasonLimit, o.retryAfterMs);
      }
      // Tarpitted requests reach the application: their units stay taken.
      if (v.action !== 'allow' && v.action !== 'tarpit') {
        const refunds: LimitRefund[] = [];
        for (let i = 0; i < local.length; i++) {
          const c = local[i]!;
          const o = outcomes[i]!;
          if (c.cost > 0 && o.allowed && o.skipped !== true) refunds.push({ table: c.table, key: c.key, cost: c.cost, consumedAt: ctx.now, member: c.member });
        }
        fallback.refund(refunds, ctx.now);
      }
    }
    // A pass needs no store: it can still answer a challenge.
    if (v.action === 'challenge') {
      const gate = this.#challenge(ctx, v, policy);
      if (gate !== null) return gate.then(() => this.#finish(ctx, v, null, null, error));
    }
    return this.#finish(ctx, v, null, null, error);
  }

  /** A bug or an unexpected input: decide by the global `on_error`, and say why. */
  #internalError(request: RampartRequest, ctx: RequestContext | null, err: unknown, policy: CompiledPolicy, now: number): Decision {
    const error = toRampartError(ErrorCode.INTERNAL, err);
    this.#logError(error, 'engine failed while deciding; falling back to on_error');
    const context = ctx ?? new RequestContext(request, String(request.method), '/', String(request.ip), now, policy.signals);
    const action: Action = policy.document.on_error === 'deny' ? 'deny' : 'allow';
    return new EngineDecision(action, action, null, [`error:${error.code}`], STATUS[action], 0, error, context, NO_PENDING, null);
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
