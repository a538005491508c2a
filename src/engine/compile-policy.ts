/**
 * Policy document → the structures the engine runs on every request. Everything that can be worked
 * out once is worked out here (route trie, predicates, key functions, header strings), and every
 * semantic problem becomes a config issue with its path, all at once.
 */
import { createChallenger } from '../challenge/challenger.ts';
import type { Challenger } from '../challenge/challenger.ts';
import { MAX_TARPIT_DELAY_MS } from '../challenge/tarpit.ts';
import type { ConfigIssue } from '../errors.ts';
import type { Intel } from '../intel/intel.ts';
import { limitSpec } from '../limiters/limit-spec.ts';
import { getAlgorithm } from '../limiters/registry.ts';
import type { LimitSpec } from '../limiters/types.ts';
import { createClientIpResolver } from '../net/client-ip.ts';
import { createPathCanonicalizer } from '../policy/canonical-path.ts';
import type { CanonicalPathOptions } from '../policy/canonical-path.ts';
import { parseDuration, parseRate } from '../policy/duration.ts';
import { invalidConfig } from '../policy/load-policy.ts';
import { createRouteMatcher } from '../policy/route-matcher.ts';
import { parseRouteTemplate } from '../policy/route-template.ts';
import type { PolicyDocument, RuleDocument } from '../policy/schema.ts';
import { compileClients } from '../signals/clients/first-party-clients.ts';
import { compileLogins } from '../signals/logins/login-attack.ts';
import { compileTraps } from '../signals/traps/compile-traps.ts';
import type { CompiledTraps } from '../signals/traps/compile-traps.ts';
import { intelCategorySignals } from '../signals/ip-intel/category-signals.ts';
import type { Signal } from '../signals/types.ts';
import type { LimitTable } from '../stores/types.ts';
import { compileConditions, pushIssues } from './compile-conditions.ts';
import type { Predicate } from './compile-conditions.ts';
import { compileKey, compileMember, keyNeedsBody } from './compile-keys.ts';
import type { KeyFunction } from './compile-keys.ts';
import type { Action } from './decision.ts';
import type { RequestHeaders, SignalSet } from './request-context.ts';

export interface CompiledRule {
  readonly name: string;
  readonly index: number;
  readonly action: Action;
  readonly monitor: boolean;
  /** On a store failure: `allow` skips the rule (fail open), `deny` applies its action, `local` limits in-process. */
  readonly onStoreError: 'allow' | 'deny' | 'local';
  readonly when: Predicate | null;
  /** Null for rules without a limit. */
  readonly key: KeyFunction | null;
  /** For `limit.distinct`: the member each request counts as (see `LimitCall.member`); null otherwise. */
  readonly member: KeyFunction | null;
  readonly skipIfMissing: boolean;
  readonly table: LimitTable | null;
  readonly cost: number;
  /** For limits that count only some responses: which statuses count. */
  readonly counts: ((status: number) => boolean) | null;
  readonly sendHeaders: boolean;
  /** This rule's entry in `RateLimit-Policy`, e.g. `"login";q=5;w=60`. */
  readonly policyHeader: string;
  readonly quota: number;
  readonly needsBody: boolean;
  /** Reason strings, built once. */
  readonly reasonLimit: string;
  readonly reasonPenalty: string;
  readonly reasonRule: string;
  readonly reasonMonitor: string;
  /** For `challenge`: the route group solutions and passes are bound to (`group`, default the name). */
  readonly group: string;
}

export interface CompiledRoute {
  readonly rule: number;
  /** The template as written in the policy; the value of the `route` key part. */
  readonly template: string;
}

/** A URL's canonical path and the ids of the routes it matches. */
export interface RouteLookup {
  readonly path: string;
  readonly ids: readonly number[];
  /** The path is a honeypot route (`traps.routes`). */
  readonly trap: boolean;
}

export interface CompiledPolicy {
  readonly document: PolicyDocument;
  /** Canonical path and matching routes for a request target; cached per (method, URL), bounded. */
  readonly lookup: (method: string, url: string) => RouteLookup;
  readonly rules: readonly CompiledRule[];
  readonly routes: readonly CompiledRoute[];
  readonly match: (method: string, path: string) => readonly number[];
  readonly canonicalize: (url: string) => string;
  readonly clientIp: (peer: string, headers: RequestHeaders) => string;
  readonly signals: SignalSet;
  /** Honeypot routes and bans; null when the policy has no `traps`. */
  readonly traps: CompiledTraps | null;
  readonly headersMode: PolicyDocument['responses']['rate_limit_headers'];
  /** True when any rule reads the body; front doors skip parsing otherwise. */
  readonly anyNeedsBody: boolean;
  /** True when an enabled signal watches response statuses, so front doors must report every one. */
  readonly observesResponses: boolean;
  /** IP intelligence the policy uses, or null. */
  readonly intel: Intel | null;
  /** Issues and checks challenges for rules with `action: challenge`. */
  readonly challenger: Challenger;
  /** True when some rule can answer `challenge`. */
  readonly anyChallenge: boolean;
}

function compileStatusMatcher(list: readonly (number | string)[]): (status: number) => boolean {
  const table = new Uint8Array(600);
  for (const s of list) {
    if (typeof s === 'number') table[s] = 1;
    else {
      const base = Number(s[0]) * 100;
      table.fill(1, base, base + 100);
    }
  }
  return (status) => status >= 0 && status < 600 && table[status] === 1;
}

/** Quoted-string escaping for structured field values (RFC 8941). */
function sfString(s: string): string {
  return `"${s.replace(/[\\"]/g, '\\$&')}"`;
}

function compileRule(rule: RuleDocument, index: number, policy: PolicyDocument, knownSignals: ReadonlySet<string>, issues: ConfigIssue[], intel: Intel | null): CompiledRule {
  const path = `rules[${index}]`;
  const needsBody = { value: false };
  const when = rule.when === undefined ? null : compileConditions(rule.when, `${path}.when`, { policy, knownSignals, issues, needsBody, intel });
  const keyParts = rule.key === undefined ? ['ip'] : Array.isArray(rule.key) ? rule.key : [rule.key];
  if (keyParts.includes('asn') && (intel === null || !intel.hasAsnSource)) {
    issues.push({ path: `${path}.key`, message: 'the `asn` key needs an ASN source: `intel: { sources: [{ name: asn, kind: asn-csv }] }` (see docs/intel.md)' });
  }
  let action: Action;
  let table: LimitTable | null = null;
  let counts: ((status: number) => boolean) | null = null;
  let quota = 0;
  let windowSec = 0;

  if (rule.limit === undefined) {
    if (rule.action === undefined) issues.push({ path: `${path}.action`, message: 'a rule without a `limit` needs an `action`: deny, challenge, tarpit or allow' });
    else if (rule.action === 'throttle') issues.push({ path: `${path}.action`, message: '`throttle` needs a `limit`; add one, or use `deny`' });
    if (rule.key !== undefined) issues.push({ path: `${path}.key`, message: '`key` only applies to a rule with a `limit`' });
    action = rule.action ?? 'deny';
  } else {
    const lim = rule.limit;
    if (rule.action === 'allow') issues.push({ path: `${path}.action`, message: '`allow` with a `limit` never limits; use throttle or deny' });
    action = rule.action ?? 'throttle';
    const rate = parseRate(lim.rate);
    if (rate === null) issues.push({ path: `${path}.limit.rate`, message: `rate \`${lim.rate}\` must be at least 1 per period` });
    const bucket = lim.algorithm === 'token-bucket' || lim.algorithm === 'gcra';
    if (lim.burst !== undefined && !bucket) {
      issues.push({ path: `${path}.limit.burst`, message: `\`burst\` applies to token-bucket and gcra, not ${lim.algorithm}; remove it or change the algorithm` });
    }
    const penaltyMs = lim.penalty === undefined ? 0 : (parseDuration(lim.penalty) ?? 0);
    quota = rate?.limit ?? 1;
    windowSec = Math.max(1, Math.round((rate?.windowMs ?? 1000) / 1000));
    const burst = lim.burst ?? quota;
    if (lim.cost > (bucket ? burst : quota)) {
      issues.push({ path: `${path}.limit.cost`, message: `cost ${lim.cost} is more than the limit allows at once (${bucket ? burst : quota}); every request would be refused` });
    }
    let spec: LimitSpec = { limit: 1, windowMs: 1000, burst: 1 };
    try {
      spec = limitSpec({ limit: quota, windowMs: rate?.windowMs ?? 1000, burst });
    } catch (err) {
      issues.push({ path: `${path}.limit`, message: (err as Error).message });
    }
    table = { id: rule.name, algorithm: getAlgorithm(lim.algorithm), spec, penaltyMs, monitor: policy.mode === 'monitor' || rule.monitor === true };
    if (lim.count !== undefined) counts = compileStatusMatcher(lim.count.status);
    if (bucket) {
      // A bucket's quota is its burst, and it takes burst/rate to refill: `q=60;w=12` for 300/min with burst 60.
      quota = burst;
      windowSec = Math.max(1, Math.ceil((burst * (rate?.windowMs ?? 1000)) / (rate?.limit ?? 1) / 1000));
    }
  }
  if (rule.group !== undefined && rule.action !== 'challenge') issues.push({ path: `${path}.group`, message: '`group` only applies to `action: challenge`; remove it' });
  if (rule.action === 'allow' && rule.monitor === true) issues.push({ path: `${path}.monitor`, message: 'an `allow` rule has nothing to monitor; remove `monitor`' });

  return {
    name: rule.name,
    index,
    action,
    monitor: policy.mode === 'monitor' || rule.monitor === true,
    onStoreError: rule.on_store_error ?? policy.on_error,
    when,
    key: table === null ? null : compileKey(keyParts, policy),
    member: rule.limit?.distinct === undefined ? null : compileMember(rule.limit.distinct, policy),
    skipIfMissing: rule.if_missing === 'skip',
    table,
    cost: rule.limit?.cost ?? 0,
    counts,
    // A monitored rule enforces nothing, so clients must not see its quota either.
    sendHeaders: rule.headers && table !== null && !(policy.mode === 'monitor' || rule.monitor === true),
    policyHeader: `${sfString(rule.name)};q=${quota};w=${windowSec}`,
    quota,
    needsBody: needsBody.value || (table !== null && keyNeedsBody(rule.limit?.distinct === undefined ? keyParts : [...keyParts, rule.limit.distinct], policy)),
    reasonLimit: `limit:${rule.name}`,
    reasonPenalty: `penalty:${rule.name}`,
    reasonRule: `rule:${rule.name}`,
    reasonMonitor: `monitor:${rule.name}`,
    group: rule.group ?? rule.name,
  };
}

function compileSignals(policy: PolicyDocument, available: readonly Signal[], issues: ConfigIssue[], canonical: CanonicalPathOptions): SignalSet {
  const byName = new Map<string, { signal: Signal; weight: number }>();
  for (const signal of available) byName.set(signal.name, { signal, weight: signal.weight });
  for (const [name, setting] of Object.entries(policy.signals)) {
    if (!byName.has(name)) {
      issues.push({ path: `signals.${name}`, message: `unknown signal \`${name}\`; known: ${[...byName.keys()].sort().join(', ')}` });
      continue;
    }
    if (setting === false) byName.delete(name);
    else byName.get(name)!.weight = setting.weight;
  }
  return { byName, all: [...byName.values()], clients: compileClients(policy.clients, 'clients', issues), logins: compileLogins(policy, canonical, issues) };
}

const noTrap = (): boolean => false;

/** The `challenge` and `tarpit` sections: what the schema cannot say. */
function checkChallengeSettings(policy: PolicyDocument, issues: ConfigIssue[]): void {
  const levels = policy.challenge.difficulty;
  if (levels[0]!.risk !== 0) issues.push({ path: 'challenge.difficulty[0].risk', message: 'the first difficulty level must start at risk 0, so every request has one' });
  for (let i = 1; i < levels.length; i++) {
    if (levels[i]!.risk <= levels[i - 1]!.risk) issues.push({ path: `challenge.difficulty[${i}].risk`, message: 'difficulty levels must be listed by increasing `risk`' });
  }
  const expires = parseDuration(policy.challenge.expires) ?? 0;
  if (expires < 10_000) issues.push({ path: 'challenge.expires', message: 'a challenge must live at least 10s, or slow clients can never present a solution' });
  if ((parseDuration(policy.challenge.pass) ?? 0) < 1000) issues.push({ path: 'challenge.pass', message: 'a pass must last at least 1s' });
  const delay = parseDuration(policy.tarpit.delay) ?? 0;
  if (delay > MAX_TARPIT_DELAY_MS) issues.push({ path: 'tarpit.delay', message: `at most ${MAX_TARPIT_DELAY_MS / 1000}s: a longer wait holds a connection for little more effect` });
}

/** Entries per method before the cache is emptied and starts over. */
const LOOKUP_CACHE_LIMIT = 4096;

/**
 * Canonicalising and matching are pure functions of (method, URL) under one policy, and real traffic
 * repeats URLs, so their result is cached. The cache is bounded: when a method's map reaches the limit
 * it is emptied (a flood of distinct URLs costs one extra Map.set per request, never memory). A reload
 * compiles a new policy and so starts a new cache.
 */
function createLookupCache(
  canonicalize: (url: string) => string,
  match: (method: string, path: string) => readonly number[],
  trap: (method: string, path: string) => boolean,
): (method: string, url: string) => RouteLookup {
  const byMethod = new Map<string, Map<string, RouteLookup>>();
  let methodCount = 0;
  return (method, url) => {
    let cache = byMethod.get(method);
    if (cache === undefined) {
      // Methods are attacker-chosen strings too: bound the number of per-method maps.
      if (methodCount >= 32) {
        const path = canonicalize(url);
        return { path, ids: match(method, path), trap: trap(method, path) };
      }
      cache = new Map();
      byMethod.set(method, cache);
      methodCount++;
    }
    const hit = cache.get(url);
    if (hit !== undefined) return hit;
    const path = canonicalize(url);
    const entry: RouteLookup = { path, ids: match(method, path), trap: trap(method, path) };
    if (cache.size >= LOOKUP_CACHE_LIMIT) cache.clear();
    cache.set(url, entry);
    return entry;
  };
}

/**
 * Compiles a validated document.
 *
 * @throws RampartError INVALID_CONFIG listing every semantic problem.
 * @example
 * const compiled = compilePolicy(parsePolicy(text), builtinSignals);
 * // with IP intelligence (the engine builds it when the policy has an `intel` section):
 * const withIntel = compilePolicy(doc, builtinSignals, 'rampart.yaml', new Intel(doc.intel!));
 */
export function compilePolicy(policy: PolicyDocument, signals: readonly Signal[], source = 'policy', intel: Intel | null = null): CompiledPolicy {
  const issues: ConfigIssue[] = [];
  const signalSet = compileSignals(policy, intel === null ? signals : [...signals, ...intelCategorySignals(intel)], issues, {
    trailingSlash: policy.paths.trailing_slash,
    caseSensitive: policy.paths.case_sensitive,
  });
  const known = new Set(signalSet.byName.keys());
  const canonicalOptions = { trailingSlash: policy.paths.trailing_slash, caseSensitive: policy.paths.case_sensitive } as const;
  const canonicalize = createPathCanonicalizer(canonicalOptions);

  const seen = new Map<string, number>();
  const rules: CompiledRule[] = [];
  const routes: CompiledRoute[] = [];
  policy.rules.forEach((rule, i) => {
    const earlier = seen.get(rule.name);
    if (earlier !== undefined) issues.push({ path: `rules[${i}].name`, message: `rule name \`${rule.name}\` is already used by rules[${earlier}]; names must be unique` });
    seen.set(rule.name, i);
    rules.push(compileRule(rule, i, policy, known, issues, intel));
    const templates = Array.isArray(rule.match) ? rule.match : [rule.match];
    templates.forEach((template, j) => {
      const where = Array.isArray(rule.match) ? `rules[${i}].match[${j}]` : `rules[${i}].match`;
      try {
        parseRouteTemplate(template, canonicalOptions);
        routes.push({ rule: i, template });
      } catch (err) {
        issues.push({ path: where, message: (err as Error).message });
      }
    });
  });

  const traps = compileTraps(policy, canonicalOptions, issues);
  checkChallengeSettings(policy, issues);

  let clientIp: CompiledPolicy['clientIp'] = (peer) => peer;
  try {
    clientIp = createClientIpResolver({ trustedProxies: policy.client_ip.trusted_proxies, header: policy.client_ip.header, label: 'client_ip.trusted_proxies' });
  } catch (err) {
    pushIssues(issues, err, 'client_ip.trusted_proxies');
  }
  if (issues.length > 0) throw invalidConfig(source, issues);

  const matcher = createRouteMatcher(routes.map((r, id) => ({ template: r.template, id })), canonicalOptions);
  // The matcher works on route ids; several routes of one rule may match, the engine dedupes by rule.
  return {
    document: policy,
    lookup: createLookupCache(canonicalize, matcher.match, traps === null ? noTrap : traps.matches),
    rules,
    routes,
    match: (method, path) => matcher.match(method, path),
    canonicalize,
    clientIp,
    signals: signalSet,
    traps,
    headersMode: policy.responses.rate_limit_headers,
    anyNeedsBody: rules.some((r) => r.needsBody),
    observesResponses: signalSet.all.some((s) => s.signal.observe !== undefined),
    intel,
    challenger: createChallenger(policy),
    anyChallenge: rules.some((r) => r.action === 'challenge'),
  };
}
