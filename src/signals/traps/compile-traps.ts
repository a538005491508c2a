/**
 * Honeypot routes: paths no legitimate client calls (`/.env`, `/wp-login.php`, an undocumented
 * `/api/v0/admin`). A request to one is refused and bans its client for the configured time: its IP,
 * and, for clients that are not browsers, its header fingerprint, so a script that rotates addresses
 * stays banned. Browsers' fingerprints are shared by thousands of people and are never banned.
 *
 * Bans live in the hot-state store like any limit (a penalty box on a table of their own), so every
 * instance sharing the store enforces them, and a ban check joins the request's one store round trip.
 */
import type { ConfigIssue } from '../../errors.ts';
import type { CompiledRule } from '../../engine/compile-policy.ts';
import type { EngineCall } from '../../engine/engine-decision.ts';
import type { RequestContext } from '../../engine/request-context.ts';
import { fixedWindow } from '../../limiters/fixed-window.ts';
import type { CanonicalPathOptions } from '../../policy/canonical-path.ts';
import { parseDuration } from '../../policy/duration.ts';
import { routeListMatcher } from '../../policy/route-matcher.ts';
import type { PolicyDocument } from '../../policy/schema.ts';
import type { LimitTable } from '../../stores/types.ts';

export interface CompiledTraps {
  /** True when the canonical path is a trap route. */
  readonly matches: (method: string, path: string) => boolean;
  /**
   * The store calls for this request: on a trap hit, calls that ban its keys; otherwise peeks that
   * find an existing ban. Appended to `calls`, which is returned (created when null).
   */
  calls(ctx: RequestContext, hit: boolean, calls: EngineCall[] | null): EngineCall[];
}

// Not a valid rule name, so a rule's counters can never share this table's keys.
const TABLE_ID = '~trap';
// More than the table's limit of 1: the store refuses the call and puts the key in the penalty box.
const BAN_COST = 2;

function pseudoRule(name: string, reason: string, monitor: boolean, table: LimitTable): CompiledRule {
  return {
    name,
    index: -1,
    group: name,
    action: 'deny',
    monitor,
    // While the shared store is down, hits still ban in this process.
    onStoreError: 'local',
    when: null,
    key: null,
    member: null,
    skipIfMissing: false,
    table,
    cost: 0,
    counts: null,
    sendHeaders: false,
    policyHeader: '',
    quota: 1,
    needsBody: false,
    reasonLimit: reason,
    reasonPenalty: reason,
    reasonRule: reason,
    reasonMonitor: `monitor:${name}`,
  };
}

/**
 * Compiles the policy's `traps` section; null without one. Problems become config issues.
 *
 * @example
 * const traps = compileTraps(policy, { trailingSlash: 'strip', caseSensitive: false }, issues);
 */
export function compileTraps(policy: PolicyDocument, canonical: CanonicalPathOptions, issues: ConfigIssue[]): CompiledTraps | null {
  const section = policy.traps;
  if (section === undefined || section.routes.length === 0) return null;
  const banMs = parseDuration(section.ban) ?? 0;
  if (banMs < 1000) issues.push({ path: 'traps.ban', message: 'a ban lasts at least 1s, e.g. `ban: 1h`' });
  const matches = routeListMatcher(section.routes, 'traps.routes', canonical, issues);
  const monitor = policy.mode === 'monitor' || section.monitor;
  const table: LimitTable = { id: TABLE_ID, algorithm: fixedWindow, spec: { limit: 1, windowMs: Math.max(banMs, 1000), burst: 1 }, penaltyMs: Math.max(banMs, 1000), monitor };
  const hitRule = pseudoRule('trap', 'trap:hit', monitor, table);
  const banRule = pseudoRule('trap', 'trap:banned', monitor, table);
  const byFingerprint = section.fingerprint;

  return {
    matches,
    calls(ctx, hit, calls) {
      const out = calls ?? [];
      const rule = hit ? hitRule : banRule;
      const cost = hit ? BAN_COST : 0;
      out.push({ table, key: `ip:${ctx.clientIp}`, cost, rule });
      // Browsers share fingerprints with everyone on the same version and language: only ban scripts'.
      if (byFingerprint && ctx.userAgent().kind !== 'browser') out.push({ table, key: `fp:${ctx.fingerprint()}`, cost, rule });
      return out;
    },
  };
}
