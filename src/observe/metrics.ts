/**
 * Prometheus metrics for the gateway, in a registry of their own (never prom-client's global one,
 * so several gateways, or tests, in one process do not share series).
 *
 * | name | type | labels | meaning |
 * | --- | --- | --- | --- |
 * | `rampart_requests_total` | counter | `route`, `action`, `rule` | requests by route template (`none` when no rule matched), enforced action, and deciding rule (`none` when none fired) |
 * | `rampart_monitor_hits_total` | counter | `rule`, `would` | requests a rule would have refused in monitor mode; `would` is the suppressed action |
 * | `rampart_decision_duration_seconds` | histogram | — | time spent deciding (buckets 1 µs … 10 ms) |
 * | `rampart_upstream_duration_seconds` | histogram | `route` | forward to upstream response headers (buckets 1 ms … 10 s) |
 * | `rampart_upstream_errors_total` | counter | `kind` | upstream gave no answer: `unreachable`, `timeout`, `aborted`, `error` |
 * | `rampart_store_errors_total` | counter | — | decisions made while the state store was failing (`RAMPART_ERR_STORE`) |
 * | `rampart_store_keys` | gauge | — | keys the state store currently tracks |
 * | `rampart_store_evictions_total` | counter | — | keys evicted for room while still holding state |
 * | `rampart_store_protected_evictions_total` | counter | — | of those, keys that were blocked or over their limit |
 * | `rampart_store_expired_total` | counter | — | keys removed because their state expired |
 * | `rampart_store_round_trips_total` | counter | — | Redis store: round trips to Redis (a cluster pipeline counts once) |
 * | `rampart_store_block_cache_hits_total` | counter | — | Redis store: requests refused from the local block cache, without a Redis call |
 * | `rampart_store_script_reloads_total` | counter | — | Redis store: NOSCRIPT replies answered by sending the script again |
 * | `rampart_store_failures_total` | counter | — | Redis store: failed round trips, and calls refused at once by the open breaker |
 * | `rampart_store_breaker_transitions_total` | counter | `to` | Redis store: circuit breaker transitions (`open`, `half-open`, `closed`) |
 * | `rampart_store_connection_events_total` | counter | `event` | Redis store: `connect` and `disconnect` events |
 * | `rampart_store_up` | gauge | — | Redis store: 1 while connected and the breaker is closed, else 0 |
 * | `rampart_intel_refresh_total` | counter | `source`, `result` | refreshes of `url` intel sources: `refreshed`, `not_modified`, `failed` |
 * | `rampart_intel_source_entries` | gauge | `source` | entries (ranges, addresses, database nodes) each intel source holds |
 * | `rampart_intel_source_age_seconds` | gauge | `source` | age of the data each intel source is using (absent until it has some) |
 * | `rampart_tarpit_held` | gauge | — | tarpitted requests waiting now |
 * | `rampart_tarpit_full_total` | counter | — | tarpitted requests turned away because the tarpit was full |
 *
 * Label values come only from the policy (route templates, rule names, intel source names) and closed sets (actions,
 * failure kinds): a URL, IP or header never becomes a label, so cardinality is bounded by the
 * policy, whatever the traffic.
 */
import { Counter, Gauge, Histogram, Registry } from 'prom-client';
import { ErrorCode } from '../errors.ts';
import type { RedisStoreStats } from '../stores/redis/redis-store.ts';
import type { Intel } from '../intel/intel.ts';
import type { TarpitStats } from '../challenge/tarpit.ts';
import type { StoreStats, HotStore } from '../stores/types.ts';
import type { RequestObserver, RequestRecord, UpstreamFailure } from './request-observer.ts';

/** Buckets of `rampart_decision_duration_seconds`: 1 µs … 10 ms. */
export const DECISION_BUCKETS: readonly number[] = [1e-6, 2.5e-6, 5e-6, 1e-5, 2.5e-5, 5e-5, 1e-4, 2.5e-4, 5e-4, 1e-3, 1e-2];
/** Buckets of `rampart_upstream_duration_seconds`: 1 ms … 10 s. */
export const UPSTREAM_BUCKETS: readonly number[] = [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

const UPSTREAM_FAILURES: readonly UpstreamFailure[] = ['unreachable', 'timeout', 'aborted', 'error'];

export interface Metrics {
  /** Counts every finished request; register it with the gateway. */
  readonly observer: RequestObserver;
  readonly registry: Registry;
  /** The `content-type` of {@link Metrics.render}'s output. */
  readonly contentType: string;
  /** Prometheus text exposition of every metric. */
  render(): Promise<string>;
}

/**
 * Creates the metrics and their registry. Store statistics are read from `store.stats()` at
 * scrape time.
 *
 * @example
 * const metrics = createMetrics({ store: engine.store, tarpit: engine.tarpit });
 * const gateway = createGateway({ engine, config, observers: [metrics.observer] });
 * const admin = createAdminServer({ host: '127.0.0.1', port: 9090, metrics, ready: () => true });
 */
export function createMetrics(options: { store: HotStore; intel?: () => Intel | null; tarpit?: { stats(): TarpitStats } }): Metrics {
  const store = options.store;
  const tarpit = options.tarpit;
  const registry = new Registry();
  const registers = [registry];

  const requests = new Counter({ name: 'rampart_requests_total', help: 'Requests by route template, enforced action and deciding rule.', labelNames: ['route', 'action', 'rule'] as const, registers });
  const monitorHits = new Counter({ name: 'rampart_monitor_hits_total', help: 'Requests a rule would have refused, had monitor mode not suppressed it.', labelNames: ['rule', 'would'] as const, registers });
  const decisionSeconds = new Histogram({ name: 'rampart_decision_duration_seconds', help: 'Time spent deciding a request.', buckets: [...DECISION_BUCKETS], registers });
  const upstreamSeconds = new Histogram({ name: 'rampart_upstream_duration_seconds', help: 'Time from forwarding a request to the upstream response headers.', labelNames: ['route'] as const, buckets: [...UPSTREAM_BUCKETS], registers });
  const upstreamErrors = new Counter({ name: 'rampart_upstream_errors_total', help: 'Forwarded requests the upstream did not answer, by kind.', labelNames: ['kind'] as const, registers });
  const storeErrors = new Counter({ name: 'rampart_store_errors_total', help: 'Decisions made while the state store was failing.', registers });
  for (const kind of UPSTREAM_FAILURES) upstreamErrors.inc({ kind }, 0);

  new Gauge({
    name: 'rampart_store_keys',
    help: 'Keys the state store currently tracks.',
    registers,
    collect() {
      this.set(store.stats().keys);
    },
  });
  storeCounter(registry, store, 'rampart_store_evictions_total', 'Keys evicted to make room while still holding state.', (s) => s.evictions);
  storeCounter(registry, store, 'rampart_store_protected_evictions_total', 'Evicted keys that were blocked or over their limit (each may have let an abuser start over).', (s) => s.protectedEvictions);
  storeCounter(registry, store, 'rampart_store_expired_total', 'Keys removed because their state expired.', (s) => s.expired);
  if (store.kind === 'redis') remoteStoreMetrics(registry, store as HotStore & { stats(): RedisStoreStats });

  if (options.intel !== undefined) intelMetrics(registry, options.intel);

  if (tarpit !== undefined) {
    new Gauge({
      name: 'rampart_tarpit_held',
      help: 'Tarpitted requests waiting now.',
      registers,
      collect() {
        this.set(tarpit.stats().held);
      },
    });
    let seenFull = 0;
    new Counter({
      name: 'rampart_tarpit_full_total',
      help: 'Tarpitted requests turned away because the tarpit was full.',
      registers,
      collect() {
        const now = tarpit.stats().overflowed;
        if (now > seenFull) this.inc(now - seenFull);
        seenFull = now;
      },
    });
  }

  const observer: RequestObserver = {
    onRequest(record: RequestRecord): void {
      const d = record.decision;
      const route = record.route ?? 'none';
      requests.inc({ route, action: d.action, rule: d.rule ?? 'none' });
      if (d.monitor) monitorHits.inc({ rule: d.rule ?? 'none', would: d.intended });
      decisionSeconds.observe(record.decisionSeconds);
      if (record.upstreamSeconds !== null) upstreamSeconds.observe({ route }, record.upstreamSeconds);
      if (record.upstreamFailure !== null) upstreamErrors.inc({ kind: record.upstreamFailure });
      if (d.error !== null && d.error.code === ErrorCode.STORE) storeErrors.inc();
    },
  };

  return { observer, registry, contentType: registry.contentType, render: () => registry.metrics() };
}

// The store keeps cumulative counts; each scrape adds what grew since the last one. A count that
// went down means a new store: the counter resets, which Prometheus' rate() reads correctly.
function storeCounter<S extends StoreStats>(registry: Registry, store: { stats(): S }, name: string, help: string, read: (s: S) => number): void {
  let seen = 0;
  new Counter({
    name,
    help,
    registers: [registry],
    collect() {
      const now = read(store.stats());
      if (now < seen) {
        this.reset();
        seen = 0;
      }
      if (now > seen) this.inc(now - seen);
      seen = now;
    },
  });
}

/** Counters of a Redis store: round trips, block cache hits, failures, breaker and connection transitions. */
function remoteStoreMetrics(registry: Registry, store: { stats(): RedisStoreStats }): void {
  storeCounter(registry, store, 'rampart_store_round_trips_total', 'Round trips to Redis (a cluster pipeline counts once).', (s) => s.roundTrips);
  storeCounter(registry, store, 'rampart_store_block_cache_hits_total', 'Requests refused from the local block cache, without a Redis call.', (s) => s.blockCacheHits);
  storeCounter(registry, store, 'rampart_store_script_reloads_total', 'NOSCRIPT replies answered by sending the script again.', (s) => s.scriptReloads);
  storeCounter(registry, store, 'rampart_store_failures_total', 'Failed round trips to Redis, and calls refused at once by the open breaker.', (s) => s.failures);
  const seen = { open: 0, 'half-open': 0, closed: 0, connect: 0, disconnect: 0 };
  const grow = (c: Counter, label: string, name: keyof typeof seen, now: number): void => {
    if (now > seen[name]) c.inc({ [label]: name }, now - seen[name]);
    seen[name] = now;
  };
  const transitions: Counter = new Counter({
    name: 'rampart_store_breaker_transitions_total',
    help: 'Circuit breaker transitions, by target state.',
    labelNames: ['to'],
    registers: [registry],
    collect() {
      const t = store.stats().transitions;
      grow(transitions, 'to', 'open', t.open);
      grow(transitions, 'to', 'half-open', t['half-open']);
      grow(transitions, 'to', 'closed', t.closed);
    },
  });
  const connections: Counter = new Counter({
    name: 'rampart_store_connection_events_total',
    help: 'Redis connection events: connect, disconnect.',
    labelNames: ['event'],
    registers: [registry],
    collect() {
      const s = store.stats();
      grow(connections, 'event', 'connect', s.connects);
      grow(connections, 'event', 'disconnect', s.disconnects);
    },
  });
  new Gauge({
    name: 'rampart_store_up',
    help: '1 while Redis is connected and the circuit breaker is closed, else 0.',
    registers: [registry],
    collect() {
      const s = store.stats();
      this.set(s.connected && s.breaker === 'closed' ? 1 : 0);
    },
  });
  for (const to of ['open', 'half-open', 'closed']) transitions.inc({ to }, 0);
  for (const event of ['connect', 'disconnect']) connections.inc({ event }, 0);
}

/** Intel sources are read at scrape time; the intel in force may change with a reload. */
function intelMetrics(registry: Registry, current: () => Intel | null): void {
  const registers = [registry];
  const seen = new Map<string, number>();
  new Counter({
    name: 'rampart_intel_refresh_total',
    help: 'Refreshes of URL intel sources by result (refreshed, not_modified, failed).',
    labelNames: ['source', 'result'] as const,
    registers,
    collect() {
      for (const s of current()?.stats() ?? []) {
        for (const [result, count] of [['refreshed', s.refreshed], ['not_modified', s.notModified], ['failed', s.failed]] as const) {
          const id = `${s.name}\u0000${result}`;
          const before = seen.get(id) ?? 0;
          // A smaller count means a new intel instance (reload with another configuration): start over.
          this.inc({ source: s.name, result }, count >= before ? count - before : count);
          seen.set(id, count);
        }
      }
    },
  });
  new Gauge({
    name: 'rampart_intel_source_entries',
    help: 'Entries (ranges, addresses or database nodes) each intel source holds.',
    labelNames: ['source'] as const,
    registers,
    collect() {
      this.reset();
      for (const s of current()?.stats() ?? []) this.set({ source: s.name }, s.entries);
    },
  });
  new Gauge({
    name: 'rampart_intel_source_age_seconds',
    help: 'Age of the data each intel source is using.',
    labelNames: ['source'] as const,
    registers,
    collect() {
      this.reset();
      const intel = current();
      if (intel === null) return;
      const now = intel.clock.now();
      for (const s of intel.stats()) if (s.loadedAt !== null) this.set({ source: s.name }, Math.max(0, (now - s.loadedAt) / 1000));
    },
  });
}
