import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { describe, it } from 'node:test';
import { isRampartError } from '../errors.ts';
import { parsePolicy } from '../policy/load-policy.ts';
import type { PolicyDocument } from '../policy/schema.ts';
import type { ParsedLine } from './replay-record.ts';
import { runReplay } from './replay-runner.ts';
import type { ReplayOptions } from './replay-runner.ts';
import { formatSummary } from './replay-summary.ts';

const POLICY = parsePolicy(`
rules:
  - name: scanners
    match: /.env
    action: deny
  - name: login-failures
    match: POST /login
    key: ip
    limit: { rate: 3/min, count: { status: [401] }, penalty: 5m }
  - name: api-window
    match: GET /api/**
    key: ip
    limit: { rate: 2/min, algorithm: fixed-window }
  - name: signup-without-ua
    match: POST /signup
    when: [{ signal: headers.no-user-agent }]
    action: deny
    monitor: true
`);

/** Midnight: fixed windows of a minute start on the minute. */
const T0 = Date.parse('2026-01-01T00:00:00Z');
const UA = { 'user-agent': 'test/1' };

/** The test log's line format: the record itself as JSON, `ts` in seconds after T0 to keep lines short. */
function parseTestLine(line: string): ParsedLine {
  try {
    const r = JSON.parse(line) as { t: number; ip: string; m: string; u: string; h?: Record<string, string>; s: number | null };
    return { ok: true, record: { ts: T0 + r.t * 1000, ip: r.ip, method: r.m, url: r.u, headers: r.h ?? UA, status: r.s } };
  } catch (err) {
    return { ok: false, error: (err as Error).message };
  }
}

function rec(t: number, ip: string, m: string, u: string, s: number | null, h?: Record<string, string>): string {
  return JSON.stringify({ t, ip, m, u, s, ...(h === undefined ? {} : { h }) });
}

class Collect extends Writable {
  text = '';
  override _write(chunk: Buffer, _encoding: BufferEncoding, callback: () => void): void {
    this.text += chunk.toString();
    callback();
  }
}

async function replay(lines: readonly string[], extra: Partial<ReplayOptions> = {}) {
  const output = new Collect();
  const stats = await runReplay({ policy: POLICY, lines, parse: parseTestLine, output, ...extra });
  const out = output.text.trimEnd().split('\n').filter((l) => l !== '').map((l) => JSON.parse(l) as Record<string, unknown>);
  return { stats, out };
}

/** Expected output, line by line: [action, rule, reasons] or an error marker. */
type Expect = readonly [string, string | null, readonly string[], boolean?] | 'error';

// The request that exceeds a limit with a penalty already reports the penalty it starts.
const THROTTLE_LOGIN = ['throttle', 'login-failures', ['penalty:login-failures']] as const;
const PENALTY_LOGIN = ['throttle', 'login-failures', ['penalty:login-failures']] as const;
const ALLOW = ['allow', null, []] as const;

// One log exercising every behaviour the issue lists, with the decision expected for each line.
const LOG: readonly (readonly [string, Expect])[] = [
  // A fixed window of 2/min crossing a minute edge: the count starts again at 00:01:00.
  [rec(50, '198.51.100.1', 'GET', '/api/items', 200), ALLOW],
  [rec(55, '198.51.100.1', 'GET', '/api/items', 200), ALLOW],
  [rec(58, '198.51.100.1', 'GET', '/api/items', 200), ['throttle', 'api-window', ['limit:api-window']]],
  [rec(61, '198.51.100.1', 'GET', '/api/items', 200), ALLOW],
  [rec(62, '198.51.100.1', 'GET', '/api/items', 200), ALLOW],
  [rec(63, '198.51.100.1', 'GET', '/api/items', 200), ['throttle', 'api-window', ['limit:api-window']]],
  // Conditional counting: successful logins (200) are observed and never count ...
  [rec(64, '203.0.113.9', 'POST', '/login', 200), ALLOW],
  [rec(65, '203.0.113.9', 'POST', '/login', 200), ALLOW],
  [rec(66, '203.0.113.9', 'POST', '/login', 200), ALLOW],
  [rec(67, '203.0.113.9', 'POST', '/login', 200), ALLOW],
  // ... failures (401) do: 3 allowed, the 4th throttled and penalised for 5 minutes.
  [rec(70, '203.0.113.9', 'POST', '/login', 401), ALLOW],
  [rec(71, '203.0.113.9', 'POST', '/login', 401), ALLOW],
  ['this is not a record', 'error'],
  [rec(72, '203.0.113.9', 'POST', '/login', 401), ALLOW],
  [rec(73, '203.0.113.9', 'POST', '/login', 401), THROTTLE_LOGIN],
  // Two minutes later the window is empty, but the penalty box still holds the IP ...
  [rec(200, '203.0.113.9', 'POST', '/login', 200), PENALTY_LOGIN],
  // ... until 5 minutes after the 4th failure.
  [rec(73 + 300 + 1, '203.0.113.9', 'POST', '/login', 200), ALLOW],
  // A deny rule.
  [rec(400, '192.0.2.66', 'GET', '/.env', 404), ['deny', 'scanners', ['rule:scanners']]],
  // A monitored rule is enforced in replay and marked.
  [rec(401, '192.0.2.77', 'POST', '/signup', 201, {}), ['deny', 'signup-without-ua', ['rule:signup-without-ua', 'signal:headers.no-user-agent'], true]],
  [rec(402, '192.0.2.78', 'POST', '/signup', 201), ALLOW],
];

describe('runReplay', () => {
  it('decides a hand-written log line by line: window edges, penalty expiry, counting on 401s, deny, monitor, a bad line', async () => {
    const { stats, out } = await replay(LOG.map(([line]) => line));
    assert.equal(out.length, LOG.length);
    for (const [i, [, expected]] of LOG.entries()) {
      const got = out[i]!;
      assert.equal(got['i'], i, `line ${i} is numbered`);
      if (expected === 'error') {
        assert.equal(typeof got['error'], 'string', `line ${i}`);
        assert.deepEqual(Object.keys(got), ['i', 'error']);
        continue;
      }
      const [action, rule, reasons, monitor] = expected;
      assert.deepEqual(
        { action: got['action'], rule: got['rule'], reasons: got['reasons'], monitor: got['monitor'] },
        { action, rule, reasons, monitor: monitor === true ? true : undefined },
        `line ${i}: ${LOG[i]![0]}`,
      );
      assert.equal(typeof got['risk'], 'number');
    }
    assert.equal(stats.records, LOG.length);
    assert.equal(stats.errors, 1);
    assert.deepEqual(stats.firstError?.i, 12);
    assert.deepEqual(stats.actions, { allow: 13, deny: 2, throttle: 4, challenge: 0, tarpit: 0 });
    assert.deepEqual([...stats.rules].sort(), [['api-window', 2], ['login-failures', 2], ['scanners', 1], ['signup-without-ua', 1]]);
    assert.equal(stats.monitored, 1);
    assert.deepEqual(stats.topIps[0], { key: '198.51.100.1', count: 2, overestimate: 0 });
  });

  it('skips blank lines without numbering them', async () => {
    const { stats, out } = await replay(['', rec(1, '192.0.2.1', 'GET', '/', 200), '   ', '', rec(2, '192.0.2.1', 'GET', '/', 200)]);
    assert.deepEqual(out.map((o) => o['i']), [0, 1]);
    assert.equal(stats.records, 2);
  });

  it('decides a record older than the one before it at the latest time seen', async () => {
    // Had the clock gone back to 0:59, the third request would be in the first window and throttled.
    const lines = [rec(58, '192.0.2.1', 'GET', '/api/a', 200), rec(60, '192.0.2.1', 'GET', '/api/a', 200), rec(59, '192.0.2.1', 'GET', '/api/a', 200)];
    const { out } = await replay(lines);
    assert.deepEqual(out.map((o) => o['action']), ['allow', 'allow', 'allow']);
  });

  it('reads lines from an async iterable and writes in order through a slow output', async () => {
    async function* lines() {
      for (let i = 0; i < 20_000; i++) yield rec(i, `10.0.${i % 256}.1`, 'GET', '/', 200);
    }
    let text = '';
    let writes = 0;
    const output = new Writable({
      highWaterMark: 1024,
      write(chunk: Buffer, _encoding, callback) {
        text += chunk.toString();
        writes++;
        setImmediate(callback);
      },
    });
    const stats = await runReplay({ policy: POLICY, lines: lines(), parse: parseTestLine, output });
    const indices = text.trimEnd().split('\n').map((l) => (JSON.parse(l) as { i: number }).i);
    assert.equal(stats.records, 20_000);
    assert.deepEqual(indices, Array.from({ length: 20_000 }, (_, i) => i));
    assert.ok(writes > 1, 'output went out in chunks');
  });

  it('reports progress every 4096 records', async () => {
    const seen: number[] = [];
    await replay(Array.from({ length: 10_000 }, (_, i) => rec(i, '192.0.2.1', 'GET', '/', 200)), { onProgress: (n) => seen.push(n) });
    assert.deepEqual(seen, [4096, 8192]);
  });

  it('says once that a configured store other than memory is replaced', async () => {
    const notices: string[] = [];
    const policy = { ...POLICY, state: { ...POLICY.state, redis: { url: 'redis://prod' } } } as PolicyDocument;
    await replay([rec(1, '192.0.2.1', 'GET', '/', 200), rec(2, '192.0.2.1', 'GET', '/', 200)], { policy, notice: (m) => notices.push(m) });
    assert.equal(notices.length, 1);
    assert.match(notices[0]!, /memory store .* state\.redis/);
    const quiet: string[] = [];
    await replay([rec(1, '192.0.2.1', 'GET', '/', 200)], { notice: (m) => quiet.push(m) });
    assert.deepEqual(quiet, []);
  });

  it('leaves the policy it was given unchanged', async () => {
    const before = JSON.stringify(POLICY);
    await replay([rec(1, '192.0.2.1', 'POST', '/signup', 201, {})]);
    assert.equal(JSON.stringify(POLICY), before);
  });

  it('decides every rule as enforced when the whole policy is in monitor mode, and marks each', async () => {
    const policy = { ...POLICY, mode: 'monitor' } as PolicyDocument;
    const { out } = await replay([rec(1, '192.0.2.1', 'GET', '/.env', 404), rec(2, '192.0.2.1', 'GET', '/', 200)], { policy });
    assert.deepEqual(out[0], { i: 0, action: 'deny', rule: 'scanners', reasons: ['rule:scanners'], risk: 0, monitor: true });
    assert.deepEqual(out[1], { i: 1, action: 'allow', rule: null, reasons: [], risk: 0 });
  });
});

describe('runReplay with labels', () => {
  // Three scanner probes (denied) and three page views (allowed); one probe and one view are mislabelled.
  const lines = [
    rec(1, '192.0.2.66', 'GET', '/.env', 404),
    rec(2, '192.0.2.66', 'GET', '/.env', 404),
    rec(3, '192.0.2.67', 'GET', '/.env', 404),
    rec(4, '198.51.100.1', 'GET', '/', 200),
    rec(5, '198.51.100.2', 'GET', '/', 200),
    rec(6, '198.51.100.3', 'GET', '/', 200),
  ];
  const labels = ['{"malicious":true}', '{"malicious":true}', '{"malicious":false}', '{"malicious":true}', '{"malicious":false}', '', '{"malicious":false}'];

  it('scores mitigation against the labels: precision, recall, false-positive rate', async () => {
    const { stats } = await replay(lines, { labels });
    assert.deepEqual(stats.labels, {
      truePositives: 2,
      falsePositives: 1,
      trueNegatives: 2,
      falseNegatives: 1,
      precision: 2 / 3,
      recall: 2 / 3,
      falsePositiveRate: 1 / 3,
    });
    assert.match(formatSummary(stats), /precision 0\.667, recall 0\.667, false-positive rate 0\.333/);
  });

  it('refuses fewer labels than records, and more', async () => {
    await assert.rejects(replay(lines, { labels: labels.slice(0, 4), labelsName: 'l.jsonl' }), (err) => isRampartError(err) && /l\.jsonl ended after 4 labels/.test(err.message));
    await assert.rejects(replay(lines, { labels: [...labels, '{"malicious":true}'] }), /more labels than the input has records \(6\)/);
  });

  it('refuses a label line that is not {"malicious":true|false}, naming its line', async () => {
    await assert.rejects(replay(lines, { labels: ['{"malicious":true}', '{"malicious":"yes"}'] }), /labels: line 2: expected \{"malicious":true\} or \{"malicious":false\}/);
  });
});

describe('formatSummary', () => {
  it('gives counts per action and rule, the top identities and the rate', async () => {
    const { stats } = await replay(LOG.map(([line]) => line));
    const text = formatSummary(stats);
    assert.match(text, /^replay: 20 records in \d+\.\d\d s \([\d,]+ records\/s\)\n/);
    assert.match(text, /errors: 1 could not be parsed \(5\.0%\)/);
    assert.match(text, /actions: allow 13 \(68\.4%\), deny 2 \(10\.5%\), throttle 4 \(21\.1%\), challenge 0 \(0\.0%\), tarpit 0 \(0\.0%\)/);
    assert.match(text, /\n {2}signup-without-ua +1 \(monitored in the policy/);
    assert.match(text, /top mitigated IPs:\n {2}198\.51\.100\.1 +2\n/);
    assert.match(text, /top mitigated networks \(ip_prefix\):\n {2}192\.0\.2\.0\/24 +2\n {2}198\.51\.100\.0\/24 +2\n/);
    assert.match(text, /top mitigated ASNs: needs an ASN source/);
  });
});

describe('replay with IP intelligence', () => {
  const fixtures = new URL('../../test/fixtures/intel/', import.meta.url).pathname;
  const policy = parsePolicy(
    `
intel:
  sources: [{ name: asn, kind: asn-csv, path: ["${fixtures}asn-ipv4.csv"] }]
rules:
  - { name: hosting, when: [{ ip.category: datacenter }], action: deny }
`,
    { env: {} },
  );

  it('lists the most mitigated ASNs in the summary', async () => {
    const lines = [rec(0, '5.9.1.1', 'GET', '/', 200), rec(1, '5.9.1.2', 'GET', '/', 200), rec(2, '3.0.0.1', 'GET', '/', 200), rec(3, '81.2.69.1', 'GET', '/', 200)];
    const { stats, out } = await replay(lines, { policy });
    assert.deepEqual(out.map((o) => o['action']), ['deny', 'deny', 'deny', 'allow']);
    assert.match(formatSummary(stats), /top mitigated ASNs:\n {2}AS24940 Hetzner Online GmbH +2\n {2}AS16509 Amazon\.com, Inc\. +1\n/);
  });

  it('says that feeds are not fetched, and uses only what is cached', async () => {
    const notices: string[] = [];
    const withFeed = parsePolicy(`intel: { cache_dir: /nonexistent/rampart, sources: [{ name: tor, kind: tor, url: "http://127.0.0.1:1/tor" }] }`, { env: {} });
    await replay([rec(0, '5.9.1.1', 'GET', '/', 200)], { policy: withFeed, notice: (m) => notices.push(m) });
    assert.deepEqual(notices, ['replay does not fetch intel feeds; it uses the disk cache of tor (no cached copy: unused)']);
  });
});

describe('runReplay with challenge and tarpit rules', () => {
  const policy = parsePolicy(`
tarpit: { delay: 60s }
rules:
  - name: pow
    match: POST /signup
    action: challenge
  - name: slow
    match: GET /items
    action: tarpit
`);
  const lines = [rec(1, '192.0.2.1', 'POST', '/signup', 201), rec(2, '192.0.2.2', 'GET', '/items', 200), rec(3, '192.0.2.3', 'GET', '/other', 200)];

  // The tarpit's 60 s delay is far beyond this test's timeout: finishing at all shows replay never waits.
  it('counts challenge and tarpit as mitigated, and never waits for the tarpit', { timeout: 30_000 }, async () => {
    const { stats, out } = await replay(lines, { policy, labels: ['{"malicious":true}', '{"malicious":true}', '{"malicious":false}'] });
    assert.deepEqual(out.map((o) => o['action']), ['challenge', 'tarpit', 'allow']);
    assert.deepEqual(stats.actions, { allow: 1, deny: 0, throttle: 0, challenge: 1, tarpit: 1 });
    assert.equal(stats.labels?.recall, 1);
    assert.equal(stats.labels?.falsePositiveRate, 0);
  });
});
