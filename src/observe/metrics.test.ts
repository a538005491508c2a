import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { register as globalRegistry } from 'prom-client';
import { VirtualClock } from '../engine/clock.ts';
import { ErrorCode, RampartError } from '../errors.ts';
import { Intel } from '../intel/intel.ts';
import { parsePolicy } from '../policy/load-policy.ts';
import type { HotStore, StoreStats } from '../stores/types.ts';
import { createMemoryStore } from '../stores/memory/memory-store.ts';
import { createMetrics } from './metrics.ts';
import { makeRecord } from './test-records.ts';

function fakeStore(stats: StoreStats): HotStore {
  return {
    kind: 'memory',
    consume: () => [],
    refund: () => {},
    reset: () => {},
    stats: () => ({ ...stats }),
    close: () => Promise.resolve(),
  };
}

const zeroStats = (): StoreStats => ({ keys: 0, evictions: 0, protectedEvictions: 0, expired: 0 });

/** The value of one sample line, e.g. `rampart_requests_total{route="none",action="allow",rule="none"}`. */
function sample(text: string, series: string): number | undefined {
  const line = text.split('\n').find((l) => l.startsWith(series + ' '));
  return line === undefined ? undefined : Number(line.slice(series.length + 1));
}

describe('metrics: requests and decisions', () => {
  it('counts requests by route, action and rule, with none for missing route or rule', async () => {
    const m = createMetrics({ store: fakeStore(zeroStats()) });
    m.observer.onRequest(makeRecord());
    m.observer.onRequest(makeRecord());
    m.observer.onRequest(makeRecord({ decision: { action: 'throttle', rule: 'login' }, record: { status: 429 } }));
    m.observer.onRequest(makeRecord({ record: { route: null } }));
    const text = await m.render();
    assert.equal(sample(text, 'rampart_requests_total{route="POST /api/auth/login",action="allow",rule="none"}'), 2);
    assert.equal(sample(text, 'rampart_requests_total{route="POST /api/auth/login",action="throttle",rule="login"}'), 1);
    assert.equal(sample(text, 'rampart_requests_total{route="none",action="allow",rule="none"}'), 1);
  });

  it('counts monitor-mode hits with the action that was suppressed', async () => {
    const m = createMetrics({ store: fakeStore(zeroStats()) });
    m.observer.onRequest(makeRecord({ decision: { action: 'allow', intended: 'deny', monitor: true, rule: 'scrapers' } }));
    m.observer.onRequest(makeRecord({ decision: { action: 'deny', rule: 'scrapers' } }));
    const text = await m.render();
    assert.equal(sample(text, 'rampart_monitor_hits_total{rule="scrapers",would="deny"}'), 1);
    assert.equal(sample(text, 'rampart_requests_total{route="POST /api/auth/login",action="allow",rule="scrapers"}'), 1);
  });

  it('observes decision time in microsecond buckets and upstream time per route', async () => {
    const m = createMetrics({ store: fakeStore(zeroStats()) });
    m.observer.onRequest(makeRecord({ record: { decisionSeconds: 3e-6, upstreamSeconds: 0.02 } }));
    m.observer.onRequest(makeRecord({ record: { decisionSeconds: 2e-3, upstreamSeconds: null, upstreamStatus: null } }));
    const text = await m.render();
    assert.equal(sample(text, 'rampart_decision_duration_seconds_bucket{le="0.000001"}'), 0);
    assert.equal(sample(text, 'rampart_decision_duration_seconds_bucket{le="0.000005"}'), 1);
    assert.equal(sample(text, 'rampart_decision_duration_seconds_bucket{le="0.01"}'), 2);
    assert.equal(sample(text, 'rampart_decision_duration_seconds_count'), 2);
    assert.equal(sample(text, 'rampart_upstream_duration_seconds_count{route="POST /api/auth/login"}'), 1);
    assert.equal(sample(text, 'rampart_upstream_duration_seconds_bucket{le="0.025",route="POST /api/auth/login"}'), 1);
    assert.equal(sample(text, 'rampart_upstream_duration_seconds_bucket{le="0.01",route="POST /api/auth/login"}'), 0);
  });

  it('counts upstream failures by kind, every kind present from the start', async () => {
    const m = createMetrics({ store: fakeStore(zeroStats()) });
    assert.equal(sample(await m.render(), 'rampart_upstream_errors_total{kind="timeout"}'), 0);
    m.observer.onRequest(makeRecord({ record: { status: 504, upstreamStatus: null, upstreamSeconds: null, upstreamFailure: 'timeout' } }));
    m.observer.onRequest(makeRecord({ record: { status: 502, upstreamStatus: null, upstreamSeconds: null, upstreamFailure: 'unreachable' } }));
    const text = await m.render();
    assert.equal(sample(text, 'rampart_upstream_errors_total{kind="timeout"}'), 1);
    assert.equal(sample(text, 'rampart_upstream_errors_total{kind="unreachable"}'), 1);
    assert.equal(sample(text, 'rampart_upstream_errors_total{kind="aborted"}'), 0);
    assert.equal(sample(text, 'rampart_upstream_errors_total{kind="error"}'), 0);
  });

  it('counts decisions made while the store was failing, and only those', async () => {
    const m = createMetrics({ store: fakeStore(zeroStats()) });
    m.observer.onRequest(makeRecord({ decision: { error: new RampartError(ErrorCode.STORE, 'redis timeout'), reasons: ['error:RAMPART_ERR_STORE'] } }));
    m.observer.onRequest(makeRecord({ decision: { error: new RampartError(ErrorCode.SIGNAL, 'signal failed') } }));
    assert.equal(sample(await m.render(), 'rampart_store_errors_total'), 1);
  });
});

describe('metrics: store statistics', () => {
  it('exports the store keys and its cumulative eviction and expiry counts at scrape time', async () => {
    const stats = { keys: 10, evictions: 3, protectedEvictions: 1, expired: 7 };
    const store = fakeStore(stats);
    const live = { ...stats };
    store.stats = () => ({ ...live });
    const m = createMetrics({ store });
    let text = await m.render();
    assert.equal(sample(text, 'rampart_store_keys'), 10);
    assert.equal(sample(text, 'rampart_store_evictions_total'), 3);
    assert.equal(sample(text, 'rampart_store_protected_evictions_total'), 1);
    assert.equal(sample(text, 'rampart_store_expired_total'), 7);
    Object.assign(live, { keys: 4, evictions: 5, expired: 9 });
    text = await m.render();
    assert.equal(sample(text, 'rampart_store_keys'), 4);
    assert.equal(sample(text, 'rampart_store_evictions_total'), 5);
    assert.equal(sample(text, 'rampart_store_expired_total'), 9);
  });

  it('reads a store count that went down as a counter reset', async () => {
    const live = { keys: 0, evictions: 8, protectedEvictions: 0, expired: 0 };
    const store = fakeStore(live);
    store.stats = () => ({ ...live });
    const m = createMetrics({ store });
    await m.render();
    live.evictions = 2;
    assert.equal(sample(await m.render(), 'rampart_store_evictions_total'), 2);
  });
});

describe('metrics: exposition', () => {
  it('renders valid Prometheus text with HELP and TYPE for every metric', async () => {
    const m = createMetrics({ store: fakeStore(zeroStats()) });
    m.observer.onRequest(makeRecord({ decision: { action: 'allow', intended: 'throttle', monitor: true, rule: 'login' } }));
    const text = await m.render();
    const types = new Map<string, string>();
    for (const line of text.split('\n')) {
      if (line === '') continue;
      const type = /^# TYPE (\S+) (counter|gauge|histogram)$/.exec(line);
      if (type) types.set(type[1]!, type[2]!);
      else if (!line.startsWith('# HELP ')) assert.match(line, /^[a-zA-Z_:][a-zA-Z0-9_:]*(\{[a-zA-Z_][a-zA-Z0-9_]*="(?:[^"\\\n]|\\.)*"(,[a-zA-Z_][a-zA-Z0-9_]*="(?:[^"\\\n]|\\.)*")*\})? (-?[0-9.e+-]+|[+-]Inf|NaN)$/, line);
    }
    assert.deepEqual(Object.fromEntries(types), {
      rampart_requests_total: 'counter',
      rampart_monitor_hits_total: 'counter',
      rampart_decision_duration_seconds: 'histogram',
      rampart_upstream_duration_seconds: 'histogram',
      rampart_upstream_errors_total: 'counter',
      rampart_store_errors_total: 'counter',
      rampart_store_keys: 'gauge',
      rampart_store_evictions_total: 'counter',
      rampart_store_protected_evictions_total: 'counter',
      rampart_store_expired_total: 'counter',
    });
    assert.match(m.contentType, /^text\/plain; version=0\.0\.4/);
  });

  it('keeps each instance in its own registry, never the global one', async () => {
    const a = createMetrics({ store: fakeStore(zeroStats()) });
    const b = createMetrics({ store: fakeStore(zeroStats()) });
    a.observer.onRequest(makeRecord());
    assert.equal(sample(await a.render(), 'rampart_requests_total{route="POST /api/auth/login",action="allow",rule="none"}'), 1);
    assert.equal(sample(await b.render(), 'rampart_requests_total{route="POST /api/auth/login",action="allow",rule="none"}'), undefined);
    assert.equal(globalRegistry.getSingleMetric('rampart_requests_total'), undefined);
  });
});

describe('metrics: intel sources', () => {
  it('exports refreshes by source and result, and each source\'s entries and age', async () => {
    const fixtures = new URL('../../test/fixtures/intel/', import.meta.url).pathname;
    const clock = new VirtualClock(1_000_000);
    const doc = parsePolicy(`intel: { sources: [{ name: vpn, kind: list, category: vpn, path: "${fixtures}vpn.txt" }] }`, { env: {} }).intel!;
    const intel = new Intel(doc, { clock });
    const m = createMetrics({ store: fakeStore(zeroStats()), intel: () => intel });
    clock.advance(90_000);
    const vpn = intel.sources[0]!;
    vpn.refreshed = 2;
    vpn.failed = 1;
    let text = await m.render();
    assert.equal(sample(text, 'rampart_intel_refresh_total{source="vpn",result="refreshed"}'), 2);
    assert.equal(sample(text, 'rampart_intel_refresh_total{source="vpn",result="failed"}'), 1);
    assert.equal(sample(text, 'rampart_intel_source_entries{source="vpn"}'), 3);
    assert.equal(sample(text, 'rampart_intel_source_age_seconds{source="vpn"}'), 90);
    vpn.failed = 3;
    text = await m.render();
    assert.equal(sample(text, 'rampart_intel_refresh_total{source="vpn",result="failed"}'), 3);
  });
});

describe('metrics: tarpit', () => {
  it('reports the requests held and those turned away by a full tarpit', async () => {
    const stats = { held: 3, overflowed: 7 };
    const metrics = createMetrics({ store: createMemoryStore({ maxKeys: 100 }), tarpit: { stats: () => stats } });
    let text = await metrics.render();
    assert.match(text, /^rampart_tarpit_held 3$/m);
    assert.match(text, /^rampart_tarpit_full_total 7$/m);
    stats.overflowed = 9;
    text = await metrics.render();
    assert.match(text, /^rampart_tarpit_full_total 9$/m);
  });
});
