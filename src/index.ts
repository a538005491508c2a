/**
 * Rampart: self-hosted protection for HTTP APIs against automated abuse.
 * Adapters live at `rampart/express`, `rampart/fastify`, `rampart/hono` and `rampart/node`; the fetch
 * wrapper that solves challenges at `rampart/client`.
 */
export { createEngine, Engine } from './engine/engine.ts';
export type { EngineOptions } from './engine/engine.ts';
export { isAllowed, isDenied, isThrottled, isChallenged, isErrored, ACTION_SEVERITY } from './engine/decision.ts';
export type { Action, Decision, PendingCount } from './engine/decision.ts';
export { RequestContext } from './engine/request-context.ts';
export type { RampartRequest, RequestHeaders } from './engine/request-context.ts';
export { refusalFor, enforce, tarpitFullRefusal, CHALLENGE_HEADER } from './engine/respond.ts';
export type { Refusal } from './engine/respond.ts';
export { systemClock, VirtualClock } from './engine/clock.ts';
export type { Clock } from './engine/clock.ts';
export { compilePolicy } from './engine/compile-policy.ts';
export { parsePolicy, loadPolicyFile } from './policy/load-policy.ts';
export type { LoadOptions } from './policy/load-policy.ts';
export { policySchema } from './policy/schema.ts';
export type { PolicyDocument, PolicyInput } from './policy/schema.ts';
export { parseRate, parseDuration } from './policy/duration.ts';
export { createMemoryStore } from './stores/memory/memory-store.ts';
export type { HotStore, LimitTable, LimitCall, LimitOutcome, LimitRefund, StoreStats } from './stores/types.ts';
export { builtinSignals } from './signals/registry.ts';
export type { Signal, Finding } from './signals/types.ts';
export { Tarpit } from './challenge/tarpit.ts';
export type { TarpitStats, TarpitWhenFull } from './challenge/tarpit.ts';
export type { AltchaChallenge, ChallengeOffer } from './challenge/altcha.ts';
export { RampartError, ErrorCode, isRampartError } from './errors.ts';
export type { ConfigIssue } from './errors.ts';
export { createClientIpResolver } from './net/client-ip.ts';
export type { ClientIpOptions, ClientIpResolver } from './net/client-ip.ts';
export { CidrSet } from './net/cidr.ts';
export { canonicalIp } from './net/ip.ts';
export { ipPrefixKey } from './net/prefix.ts';
export { createPathCanonicalizer } from './policy/canonical-path.ts';
export { createRouteMatcher } from './policy/route-matcher.ts';
export { policyJsonSchema } from './policy/json-schema.ts';
export { defaultLogger, silentLogger } from './logger.ts';
export type { Logger } from './logger.ts';
export { Intel } from './intel/intel.ts';
export type { IntelOptions, SourceStats } from './intel/intel.ts';
export type { IntelAnswer, IntelMatch } from './intel/intel-answer.ts';
export { RangeSet, NO_VALUE } from './intel/range-set.ts';
export { RangeSetBuilder } from './intel/range-set-builder.ts';
export { refreshSource, refreshAll, startRefresh } from './intel/feed-refresh.ts';
export type { RefreshOptions, RefreshResult, Refresher } from './intel/feed-refresh.ts';
export { disposableEmailTest } from './intel/disposable-email.ts';
export type { IntelDocument } from './policy/schema.ts';
