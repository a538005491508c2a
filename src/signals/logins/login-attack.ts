/**
 * "Are we under a credential attack?" A distributed stuffing run rotates through thousands of
 * residential addresses and stays under every per-IP and per-username limit, but it cannot hide the
 * total: the login failure rate jumps far above its usual level. This tracker learns that level (an
 * exponentially weighted average of failures per window) and raises an "under attack" state for a
 * cooldown when one window's failures exceed `factor` times it (and at least `min_failures`). Rules use
 * the state through the `login.under-attack` signal, e.g. to challenge every unverified login.
 *
 * Each engine keeps a few numbers in memory; time comes from the request context (the engine's clock,
 * virtual in replay). With a shared store (Redis), instances also add their failures to one counter
 * per window (HotStore.trackers), in batches after answers, and each reads back the total of all of
 * them: every instance judges the whole attack, however the load balancer spreads it, one round trip
 * late. When the store fails, each instance goes on with its own count.
 */
import type { ConfigIssue } from '../../errors.ts';
import type { RequestContext } from '../../engine/request-context.ts';
import type { CanonicalPathOptions } from '../../policy/canonical-path.ts';
import { parseDuration } from '../../policy/duration.ts';
import { routeListMatcher } from '../../policy/route-matcher.ts';
import type { PolicyDocument } from '../../policy/schema.ts';
import type { SharedTrackers } from '../../stores/types.ts';
import { SharedSync } from '../shared-sync.ts';
import type { Signal } from '../types.ts';

/** The policy's `logins` section, compiled. */
export interface CompiledLogins {
  readonly isLogin: (method: string, path: string) => boolean;
  readonly isFailure: (status: number) => boolean;
  readonly windowMs: number;
  /** Weight of a new window in the average: window / baseline horizon. */
  readonly alpha: number;
  readonly factor: number;
  readonly minFailures: number;
  readonly cooldownMs: number;
}

/**
 * Compiles `logins`; null without one. Problems become config issues with their paths.
 *
 * @example
 * const logins = compileLogins(policy, { trailingSlash: 'strip', caseSensitive: false }, issues);
 */
export function compileLogins(policy: PolicyDocument, canonical: CanonicalPathOptions, issues: ConfigIssue[]): CompiledLogins | null {
  const section = policy.logins;
  if (section === undefined) return null;
  const matches = routeListMatcher(section.routes, 'logins.routes', canonical, issues);
  const failures = new Set(section.failure);
  const a = section.attack;
  const windowMs = parseDuration(a.window) ?? 60_000;
  const horizonMs = parseDuration(a.baseline) ?? 3_600_000;
  if (windowMs < 1000) issues.push({ path: 'logins.attack.window', message: 'a window is at least 1s, e.g. `window: 1m`' });
  if (horizonMs < 2 * windowMs) issues.push({ path: 'logins.attack.baseline', message: 'the baseline must span at least two windows, e.g. `baseline: 1h` with `window: 1m`' });
  return {
    isLogin: matches,
    isFailure: (status) => failures.has(status),
    windowMs: Math.max(windowMs, 1000),
    alpha: Math.min(1, Math.max(windowMs, 1000) / Math.max(horizonMs, 2 * windowMs)),
    factor: a.factor,
    minFailures: a.min_failures,
    cooldownMs: parseDuration(a.cooldown) ?? 900_000,
  };
}

/** Failures per window, the learnt level, and the attack state; a few numbers whatever the traffic. */
class AttackTracker {
  windowStart = 0;
  /** Failures in the current window: this instance's, or every instance's as of the last round trip plus this one's since. */
  count = 0;
  /** This instance's failures in the current window not yet added to the shared counter. */
  unsent = 0;
  /** Average failures per window; null until the first window closes. */
  baseline: number | null = null;
  underAttackUntil = 0;
  /** Failures in the window that raised the state, for the finding's detail. */
  peak = 0;
  peakBaseline = 0;

  failure(now: number, c: CompiledLogins): void {
    if (now >= this.windowStart + c.windowMs) this.roll(now, c);
    this.count++;
    this.unsent++;
    this.check(now, c);
  }

  /** Takes in every instance's failures in `window` as the shared counter answered, at `now`. */
  shared(window: number, total: number, now: number, c: CompiledLogins): void {
    if (window !== this.windowStart || total + this.unsent <= this.count) return;
    this.count = total + this.unsent;
    this.check(now, c);
  }

  check(now: number, c: CompiledLogins): void {
    const threshold = Math.max(c.minFailures, c.factor * (this.baseline ?? 0));
    if (this.count >= threshold) {
      // Every failure over the threshold extends the state: it ends a cooldown after the attack does.
      this.underAttackUntil = now + c.cooldownMs;
      if (this.count > this.peak) {
        this.peak = this.count;
        this.peakBaseline = this.baseline ?? 0;
      }
    }
  }

  /** Closes the windows that ended before `now`. Windows of an attack do not teach the baseline. */
  roll(now: number, c: CompiledLogins): void {
    const closed = this.windowStart === 0 ? 0 : Math.floor((now - this.windowStart) / c.windowMs);
    if (closed > 0) {
      const attack = this.windowStart < this.underAttackUntil;
      if (!attack) this.baseline = this.baseline === null ? this.count : this.baseline + c.alpha * (this.count - this.baseline);
      // Empty windows after it pull the average down, all at once rather than one by one.
      if (closed > 1 && this.baseline !== null) this.baseline *= (1 - c.alpha) ** Math.min(closed - 1, 10_000);
    }
    this.windowStart = this.windowStart === 0 ? now - (now % c.windowMs) : this.windowStart + closed * c.windowMs;
    this.count = 0;
    // Failures not sent by now are added to the new window's counter: a moment's misplacement, not a loss.
    if (now >= this.underAttackUntil) this.peak = 0;
  }
}

/** Adds the tracker's failures to the shared counter of their window and takes in the total. */
class SharedCounts {
  readonly #tracker: AttackTracker;
  #target: SharedTrackers | null = null;
  #logins: CompiledLogins | null = null;
  #now = 0;
  readonly sync = new SharedSync(
    () => this.#flush(),
    () => this.#tracker.unsent > 0,
  );

  constructor(tracker: AttackTracker) {
    this.#tracker = tracker;
  }

  failed(shared: SharedTrackers, now: number, logins: CompiledLogins): void {
    this.#target = shared;
    this.#logins = logins;
    this.#now = now;
    this.sync.request();
  }

  #flush(): Promise<void> | null {
    const t = this.#tracker;
    const target = this.#target;
    const c = this.#logins;
    if (target === null || c === null || t.unsent === 0) return null;
    const window = t.windowStart;
    const amount = t.unsent;
    t.unsent = 0;
    const key = `logins:${c.windowMs}:${window}`;
    // Kept for the window and the one after, when late instances may still add to it.
    return target.add([{ key, amount, ttlMs: 2 * c.windowMs + 60_000 }]).then(([total]) => t.shared(window, total!, this.#now, c));
  }
}

/**
 * The `login.under-attack` signal with its own tracker (one per engine). It watches responses on the
 * policy's login routes and fires, for any request, while the state is raised.
 *
 * @example
 * const signal = createLoginAttackSignal();
 */
export function createLoginAttackSignal(): Signal {
  const tracker = new AttackTracker();
  const counts = new SharedCounts(tracker);
  return {
    name: 'login.under-attack',
    weight: 0,
    detect(ctx: RequestContext): string | null {
      const logins = ctx.logins();
      if (logins === null || ctx.now >= tracker.underAttackUntil) return null;
      return `login failures: ${tracker.peak} in one ${Math.round(logins.windowMs / 1000)}s window against a usual ${tracker.peakBaseline.toFixed(1)}`;
    },
    observe(ctx: RequestContext, status: number, shared: SharedTrackers | null): void {
      const logins = ctx.logins();
      if (logins === null || !logins.isFailure(status) || !logins.isLogin(ctx.method, ctx.path)) return;
      tracker.failure(ctx.now, logins);
      if (shared !== null) counts.failed(shared, ctx.now, logins);
    },
    settle: () => counts.sync.idle(),
  };
}
