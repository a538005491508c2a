// `rampart replay` end to end: the gateway's own decision log replays as it is and gives the gateway's
// decisions (the same policy and traffic decide the same through the gateway, live, and through
// replay); then the command line: usage errors, unreadable files, the summary and labels.
import assert from 'node:assert/strict';
import { runBinary } from './support/run-binary.ts';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import { startShop } from '../examples/shop/server.ts';
import { runCli } from '../src/cli/main.ts';
import { runGateway } from '../src/gateway/run-gateway.ts';
import { silentLogger } from '../src/logger.ts';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const POLICY = join(ROOT, 'examples', 'shop', 'rampart.yaml');
const dir = mkdtempSync(join(tmpdir(), 'rampart-replay-'));
after(() => rmSync(dir, { recursive: true, force: true }));

function file(name: string, text: string | Buffer): string {
  const path = join(dir, name);
  writeFileSync(path, text);
  return path;
}

async function cli(args: readonly string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  let stdout = '';
  let stderr = '';
  const code = await runCli(args, { stdout: { write: (s: string) => (stdout += s) }, stderr: { write: (s: string) => (stderr += s) }, env: {} });
  return { code, stdout, stderr };
}

function lines(text: string): Record<string, unknown>[] {
  return text.trimEnd().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
}

const FIREFOX = 'Mozilla/5.0 (X11; Linux x86_64; rv:133.0) Gecko/20100101 Firefox/133.0';

describe('the gateway\'s decision log, replayed', { timeout: 60_000 }, () => {
  it('parses every line and gives the decisions the gateway made', async () => {
    const log = join(dir, 'decisions.jsonl');
    const shop = await startShop({ port: 0 });
    const gateway = await runGateway({
      configFile: POLICY,
      env: { ...process.env, SHOP_PORT: String(shop.port), PORT: '0', ADMIN_PORT: '0', LISTEN_HOST: '127.0.0.1', DECISION_LOG: log },
      logger: silentLogger,
      watch: false,
    });
    const port = Number(new URL(gateway.url).port);
    // People's browsers (Firefox's header order), so only the limits under test apply.
    const send = (client: string, method: string, path: string, json?: unknown, userAgent: string | null = FIREFOX) =>
      new Promise<number>((resolve, reject) => {
        const body = json === undefined ? undefined : JSON.stringify(json);
        const headers: Record<string, string> = {};
        if (userAgent !== null) headers['user-agent'] = userAgent;
        Object.assign(headers, { accept: 'application/json', 'accept-language': 'en-GB,en;q=0.5', 'accept-encoding': 'gzip, deflate, br' });
        if (body !== undefined) Object.assign(headers, { 'content-type': 'application/json', 'content-length': String(Buffer.byteLength(body)) });
        const req = request({ host: '127.0.0.1', port, localAddress: client, method, path, agent: false, headers }, (res) => {
          res.resume().once('end', () => resolve(res.statusCode ?? 0));
        });
        req.once('error', reject);
        req.end(body);
      });
    const statuses: number[] = [];
    try {
      // Sequential, so the log's order is the order the gateway decided in.
      for (let n = 0; n < 11; n++) statuses.push(await send('127.0.0.11', 'POST', '/api/auth/login', { username: 'victim', password: 'wrong' }));
      statuses.push(await send('127.0.0.12', 'POST', '/api/auth/login', { username: 'bob', password: 'builder' }));
      statuses.push(await send('127.0.0.12', 'GET', '/api/products/42'));
      statuses.push(await send('127.0.0.13', 'GET', '/.env'));
      // Monitored in the policy: allowed by the gateway, refused by replay, which enforces.
      statuses.push(await send('127.0.0.14', 'POST', '/api/auth/login', { username: 'carol', password: 'wrong' }, null));
    } finally {
      await gateway.shutdown();
      await shop.close();
    }
    assert.deepEqual(statuses, [...Array<number>(10).fill(401), 429, 200, 200, 403, 401]);

    const out = join(dir, 'replayed.jsonl');
    const run = await cli(['replay', '--config', POLICY, '--input', log, '--output', out]);
    assert.equal(run.code, 0, run.stderr);
    assert.equal(run.stderr, '');
    const live = lines(readFileSync(log, 'utf8'));
    const replayed = lines(readFileSync(out, 'utf8'));
    assert.equal(replayed.length, live.length);
    for (const [i, line] of live.entries()) {
      const decision = line['decision'] as { action: string; intended: string; rule: string | null; reasons: string[]; monitor: boolean };
      const got = replayed[i]!;
      assert.equal(got['error'], undefined, `line ${i} parses`);
      assert.equal(got['i'], i);
      // A monitored rule decided `intended`; replay enforces it and says it was monitored.
      assert.equal(got['action'], decision.monitor ? decision.intended : decision.action, `line ${i}: ${line['url']}`);
      assert.equal(got['rule'], decision.rule, `line ${i}`);
      assert.equal(got['monitor'], decision.monitor ? true : undefined, `line ${i}`);
      if (!decision.monitor) assert.deepEqual(got['reasons'], decision.reasons, `line ${i}`);
    }
    assert.deepEqual(replayed.map((d) => d['action']), [...Array<string>(10).fill('allow'), 'throttle', 'allow', 'allow', 'deny', 'deny']);
  });
});

describe('rampart replay', { timeout: 60_000 }, () => {
  const T = Date.parse('2026-11-23T10:00:00Z');
  const jsonl = [
    { ts: T, ip: '203.0.113.7', method: 'GET', url: '/.env', headers: { 'user-agent': 'scanner' }, status: 404 },
    { ts: T + 1, ip: '198.51.100.1', method: 'GET', url: '/api/products/1', headers: { 'user-agent': 'browser' }, status: 200 },
    { ts: T + 2, ip: '203.0.113.8', method: 'GET', url: '/wp-login.php', headers: { 'user-agent': 'scanner' }, status: 404 },
    { ts: T + 3, ip: '198.51.100.2', method: 'GET', url: '/api/products', headers: { 'user-agent': 'browser' }, status: 200 },
  ]
    .map((r) => JSON.stringify(r))
    .join('\n');
  const input = file('four.jsonl', `${jsonl}\n`);

  it('writes one decision per record to stdout', async () => {
    const run = await cli(['replay', '--config', POLICY, '--input', input]);
    assert.equal(run.code, 0);
    assert.equal(run.stderr, '');
    assert.deepEqual(lines(run.stdout), [
      { i: 0, action: 'deny', rule: 'trap', reasons: ['trap:hit'], risk: 0 },
      { i: 1, action: 'allow', rule: null, reasons: [], risk: 0 },
      { i: 2, action: 'deny', rule: 'trap', reasons: ['trap:hit'], risk: 0 },
      { i: 3, action: 'allow', rule: null, reasons: [], risk: 0 },
    ]);
  });

  it('prints counts, identities and records/s with --summary, on stderr', async () => {
    const run = await cli(['replay', '-c', POLICY, '-i', input, '--summary']);
    assert.equal(run.code, 0);
    assert.equal(lines(run.stdout).length, 4);
    assert.match(run.stderr, /^replay: 4 records in \d+\.\d\d s \([\d,]+ records\/s\)\n/);
    assert.match(run.stderr, /actions: allow 2 \(50\.0%\), deny 2 \(50\.0%\)/);
    assert.match(run.stderr, /decisions by rule:\n {2}trap {2}2\n/);
    assert.match(run.stderr, /top mitigated IPs:\n {2}203\.0\.113\.7 {2}1\n {2}203\.0\.113\.8 {2}1\n/);
    assert.match(run.stderr, /top mitigated networks \(ip_prefix\):\n {2}203\.0\.113\.0\/24 {2}2\n/);
  });

  it('scores the decisions against --labels', async () => {
    const labels = file('four.labels.jsonl', '{"malicious":true}\n{"malicious":false}\n{"malicious":false}\n{"malicious":true}\n');
    const run = await cli(['replay', '-c', POLICY, '-i', input, '--summary', '--labels', labels]);
    assert.equal(run.code, 0, run.stderr);
    assert.match(run.stderr, /precision 0\.500, recall 0\.500, false-positive rate 0\.500\n {2}true positives 1, false positives 1, true negatives 1, false negatives 1\n/);
  });

  it('exits 1 with one line when the labels do not match the records', async () => {
    const labels = file('three.labels.jsonl', '{"malicious":true}\n{"malicious":false}\n{"malicious":false}\n');
    const run = await cli(['replay', '-c', POLICY, '-i', input, '--labels', labels, '--output', join(dir, 'ignored.jsonl')]);
    assert.equal(run.code, 1);
    assert.equal(run.stderr, `rampart: ${labels} ended after 3 labels, but the input has more records; give one label per record\n`);
  });

  it('reports unparsable lines in the output and once on stderr, and still exits 0', async () => {
    const bad = file('bad.jsonl', `${jsonl.split('\n')[0]}\n{"ts":"yesterday"}\n\n${jsonl.split('\n')[1]}\n`);
    const run = await cli(['replay', '-c', POLICY, '-i', bad, '--format', 'jsonl']);
    assert.equal(run.code, 0);
    const out = lines(run.stdout);
    assert.deepEqual(out.map((o) => o['i']), [0, 1, 2]);
    assert.equal(typeof out[1]!['error'], 'string');
    assert.match(run.stderr, /^rampart: 1 line could not be parsed \(first, record 1: .+\)\n$/);
  });

  it('detects an nginx log, gzip-compressed, and decides on its timestamps', async () => {
    const nginx = [
      '203.0.113.7 - - [23/Nov/2026:10:00:00 +0000] "GET /.env HTTP/1.1" 404 0 "-" "zgrab/0.x"',
      '198.51.100.1 - - [23/Nov/2026:10:00:01 +0000] "GET /api/products HTTP/1.1" 200 512 "https://shop.example/" "Mozilla/5.0"',
    ].join('\n');
    const gz = file('access.log.gz', gzipSync(`${nginx}\n`));
    const run = await cli(['replay', '-c', POLICY, '-i', gz]);
    assert.equal(run.code, 0, run.stderr);
    assert.deepEqual(lines(run.stdout).map((o) => o['action']), ['deny', 'allow']);
  });

  it('reads stdin and writes stdout as a child process', async () => {
    const run = await runBinary(['replay', '--config', POLICY, '--input', '-'], { stdin: `${jsonl}\n` });
    assert.equal(run.code, 0, run.stderr);
    assert.equal(run.stderr, '');
    assert.deepEqual(lines(run.stdout).map((o) => o['action']), ['deny', 'allow', 'deny', 'allow']);
  });

  it('exits 2 for usage errors', async () => {
    const cases: [string[], RegExp][] = [
      [['replay', '--input', input], /^rampart: replay needs --config <policy>: rampart replay --config/],
      [['replay', '--config', POLICY], /^rampart: replay needs --input <file\|->: /],
      [['replay', '-c', POLICY, '-i', input, '--format', 'csv'], /^rampart: replay: --format must be jsonl, nginx or auto \(found csv\); see rampart help\n$/],
      [['replay', '-c', POLICY, '-i', input, '--sumary'], /^rampart: replay: unknown flag --sumary \(did you mean --summary\?\); see rampart help\n$/],
      [['replay', '-c', POLICY, '-i', '-', '--labels', '-'], /cannot both read stdin/],
      [['replay', '-c', POLICY, '-i', input, 'extra'], /unexpected argument extra/],
    ];
    for (const [args, expected] of cases) {
      const run = await cli(args);
      assert.equal(run.code, 2, args.join(' '));
      assert.match(run.stderr, expected);
      assert.equal(run.stdout, '');
    }
  });

  it('exits 1 with one line for a missing input, labels or config file', async () => {
    const missing = join(dir, 'nope.jsonl');
    assert.deepEqual(await cli(['replay', '-c', POLICY, '-i', missing]), { code: 1, stdout: '', stderr: `rampart: cannot read input file ${missing}: no such file\n` });
    assert.deepEqual(await cli(['replay', '-c', POLICY, '-i', input, '--labels', missing]), { code: 1, stdout: '', stderr: `rampart: cannot read labels file ${missing}: no such file\n` });
    assert.deepEqual(await cli(['replay', '-c', missing, '-i', input]), { code: 1, stdout: '', stderr: `rampart: cannot read config file ${missing}: no such file\n` });
    assert.deepEqual(await cli(['replay', '-c', POLICY, '-i', dir]), { code: 1, stdout: '', stderr: `rampart: cannot read input file ${dir}: is a directory\n` });
  });

  it('exits 1 with every problem of an invalid policy', async () => {
    const bad = file('bad-policy.yaml', 'rules:\n  - { name: a, limit: { rate: 5/fortnight } }\n');
    const run = await cli(['replay', '-c', bad, '-i', input]);
    assert.equal(run.code, 1);
    assert.match(run.stderr, /^.*bad-policy\.yaml: rules\[0\]\.limit\.rate: expected a rate/);
  });
});
