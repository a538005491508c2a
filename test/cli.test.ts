// The `rampart` binary, run as a child process the way users run it (bin/rampart.js): what each
// command prints, on which stream, and with which exit code; and that mistakes give one line, never a
// stack trace.
import assert from 'node:assert/strict';
import { runBinary } from './support/run-binary.ts';
import { spawn } from 'node:child_process';
import type { ChildProcessWithoutNullStreams } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { startShop } from '../examples/shop/server.ts';
import type { RunningShop } from '../examples/shop/server.ts';
import { parsePolicy } from '../src/policy/load-policy.ts';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const BIN = join(ROOT, 'bin', 'rampart.js');
const DEMO_POLICY = 'examples/shop/rampart.yaml';
const dir = mkdtempSync(join(tmpdir(), 'rampart-cli-'));
after(() => rmSync(dir, { recursive: true, force: true }));

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

function rampart(args: readonly string[], env: Record<string, string> = {}): Promise<Run> {
  return runBinary(args, { env });
}

function file(name: string, text: string): string {
  const path = join(dir, name);
  writeFileSync(path, text);
  return path;
}

/** One line on stderr, nothing on stdout, no stack trace. */
function assertOneLine(run: Run, expected: string): void {
  assert.equal(run.stdout, '');
  assert.equal(run.stderr, `${expected}\n`);
  assert.doesNotMatch(run.stderr, /\n\s+at /);
}

describe('rampart check', { timeout: 60_000 }, () => {
  it('accepts the demo policy and says how many rules it has', async () => {
    const rules = parsePolicy(readFileSync(join(ROOT, DEMO_POLICY), 'utf8')).rules.length;
    const run = await rampart(['check', DEMO_POLICY]);
    assert.equal(run.code, 0);
    assert.equal(run.stdout, `ok: ${DEMO_POLICY}: ${rules} rules\n`);
    assert.equal(run.stderr, '');
  });

  it('takes the file as --config or -c as well', async () => {
    for (const args of [['check', '--config', DEMO_POLICY], ['check', '-c', DEMO_POLICY], ['check', `--config=${DEMO_POLICY}`]]) {
      const run = await rampart(args);
      assert.equal(run.code, 0, args.join(' '));
      assert.match(run.stdout, /^ok: /);
    }
  });

  it('prints every problem of the shape with its path, and exits 1', async () => {
    const bad = file('shape.yaml', [
      'mode: enforse',
      'client_ip:',
      '  trusted_proxie: [10.0.0.0/8]',
      'rules:',
      '  - name: login',
      '    match: POST /api/auth/login',
      '    key: [ip, usr]',
      '    limit: { rate: 5/fortnight, algoritm: gcra }',
      '  - match: /admin/**',
      '    action: deny',
      '',
    ].join('\n'));
    const run = await rampart(['check', bad]);
    assert.equal(run.code, 1);
    assert.equal(run.stdout, '');
    assert.deepEqual(run.stderr.trimEnd().split('\n'), [
      `${bad}: mode: Invalid option: expected one of "enforce"|"monitor" (found "enforse")`,
      `${bad}: client_ip.trusted_proxie: unknown key \`trusted_proxie\`; did you mean \`trusted_proxies\`?`,
      `${bad}: rules[0].key[1]: expected ip, ip_prefix, asn, api_key, user, route, path, global, method, fingerprint, header:<name>, query:<name>, body:<field> or hmac:body:<field> (found "usr")`,
      `${bad}: rules[0].limit.rate: expected a rate like 5/min, 100/hour, 10/s or 20/10s (found "5/fortnight")`,
      `${bad}: rules[0].limit.algoritm: unknown key \`algoritm\`; did you mean \`algorithm\`?`,
      `${bad}: rules[1].name: missing: every rule needs a name`,
    ]);
  });

  it('prints every problem of meaning once the shape is right', async () => {
    const bad = file('meaning.yaml', [
      'rules:',
      '  - name: login',
      '    match: POST /api/auth/login/:user/:user',
      '    limit: { rate: 5/min, cost: 6 }',
      '  - name: login',
      '    match: /admin/**',
      '',
    ].join('\n'));
    const run = await rampart(['check', bad]);
    assert.equal(run.code, 1);
    const lines = run.stderr.trimEnd().split('\n');
    assert.deepEqual(lines.map((l) => l.split(': ')[1]).sort(), ['rules[0].limit.cost', 'rules[0].match', 'rules[1].action', 'rules[1].name']);
    for (const line of lines) assert.ok(line.startsWith(`${bad}: rules[`), line);
  });

  it('gives the line and column of a YAML syntax error', async () => {
    const bad = file('syntax.yaml', 'rules:\n  - name: a\n    match: "POST /x\n');
    const run = await rampart(['check', bad]);
    assert.equal(run.code, 1);
    assert.match(run.stderr, new RegExp(`^${bad.replace(/[.\\]/g, '\\$&')}: line \\d+, column \\d+: .+\\n$`));
  });

  it('reads ${VARIABLES} from the environment and names the path of a missing one', async () => {
    const policy = file('env.yaml', 'rules:\n  - name: login\n    limit: { rate: "${LOGIN_RATE}" }\n');
    const missing = await rampart(['check', policy]);
    assert.equal(missing.code, 1);
    const lines = missing.stderr.trimEnd().split('\n');
    assert.equal(lines[0], `${policy}: rules[0].limit.rate: environment variable LOGIN_RATE is not set; set it or give a default: \${LOGIN_RATE:-value}`);
    for (const line of lines) assert.ok(line.startsWith(`${policy}: rules[0].limit.rate: `), line);
    const set = await rampart(['check', policy], { LOGIN_RATE: '5/min' });
    assert.equal(set.code, 0);
    assert.equal(set.stdout, `ok: ${policy}: 1 rule\n`);
  });

  it('reports a missing file in one line and exits 1', async () => {
    assertOneLine(await rampart(['check', 'no-such-policy.yaml']), 'rampart: cannot read config file no-such-policy.yaml: no such file');
    const run = await rampart(['check', 'no-such-policy.yaml']);
    assert.equal(run.code, 1);
  });
});

describe('rampart schema, version and help', { timeout: 60_000 }, () => {
  it('prints the JSON Schema that is committed in schema/', async () => {
    const run = await rampart(['schema']);
    assert.equal(run.code, 0);
    const committed = readFileSync(join(ROOT, 'schema', 'rampart.schema.json'), 'utf8');
    assert.deepEqual(JSON.parse(run.stdout), JSON.parse(committed));
    assert.equal(run.stdout, committed);
  });

  it('prints the package version for --version and version', async () => {
    const { version } = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { version: string };
    for (const args of [['--version'], ['version']]) {
      const run = await rampart(args);
      assert.equal(run.code, 0);
      assert.equal(run.stdout, `${version}\n`);
    }
  });

  it('prints the usage for help, --help, -h, no arguments and a command with --help', async () => {
    for (const args of [['help'], ['--help'], ['-h'], [], ['check', '--help'], ['start', '-c', 'x.yaml', '-h']]) {
      const run = await rampart(args);
      assert.equal(run.code, 0, args.join(' '));
      assert.equal(run.stderr, '');
      assert.match(run.stdout, /^Usage: rampart <command> \[options\]/);
      for (const word of ['start --config <file>', 'check <config>', 'schema', 'version', 'help', 'Exit codes:', 'RAMPART_DEBUG']) {
        assert.ok(run.stdout.includes(word), `help mentions ${word}`);
      }
    }
  });
});

describe('rampart usage errors', { timeout: 60_000 }, () => {
  const cases: [string[], string][] = [
    [['--foo'], 'rampart: unknown flag --foo; see rampart help'],
    [['frobnicate'], 'rampart: unknown command frobnicate; see rampart help'],
    [['check', '--strict', DEMO_POLICY], 'rampart: check: unknown flag --strict; see rampart help'],
    [['check'], 'rampart: check needs a config file: rampart check <config>; see rampart help'],
    [['check', '-c'], 'rampart: check: --config needs a value; see rampart help'],
    [['check', 'a.yaml', 'b.yaml'], 'rampart: check: unexpected argument b.yaml; see rampart help'],
    [['check', '-c', 'a.yaml', 'b.yaml'], 'rampart: check: give the config file once, either as --config <file> or as an argument; see rampart help'],
    [['start'], 'rampart: start needs a config file: rampart start --config <file>; see rampart help'],
    [['schema', 'extra'], 'rampart: schema: unexpected argument extra; see rampart help'],
    [['version', '--verbose'], 'rampart: version: unknown flag --verbose; see rampart help'],
  ];
  for (const [args, message] of cases) {
    it(`rampart ${args.join(' ')}: one line, exit 2`, async () => {
      const run = await rampart(args);
      assert.equal(run.code, 2);
      assertOneLine(run, message);
    });
  }
});

describe('rampart intel', { timeout: 60_000 }, () => {
  const fixtures = join(ROOT, 'test', 'fixtures', 'intel');
  const policy = () =>
    file(
      'intel.yaml',
      `intel:
  cache_dir: ${join(dir, 'intel-cache')}
  sources:
    - { name: asn, kind: asn-csv, path: ["${fixtures}/asn-ipv4.csv", "${fixtures}/asn-ipv6.csv"] }
    - { name: tor, kind: tor, path: "${fixtures}/tor-exit-addresses.txt" }
    - { name: vpn, kind: list, category: vpn, path: "${fixtures}/vpn.txt" }
    - { name: feed, kind: tor, url: "http://127.0.0.1:1/exits" }
`,
    );

  it('lookup prints category, ASN, organisation, country and which source said so', async () => {
    const run = await rampart(['intel', 'lookup', '5.9.1.1', '--config', policy()]);
    assert.equal(run.code, 0);
    assert.equal(run.stderr, '');
    assert.match(run.stdout, /^categories +datacenter$/m);
    assert.match(run.stdout, /^asn +AS24940 Hetzner Online GmbH \(asn\)$/m);
    assert.match(run.stdout, /^organisation +Hetzner Online GmbH$/m);
    assert.match(run.stdout, /^country +unknown$/m);
    assert.match(run.stdout, /^ +hosting-asns: datacenter: Hetzner$/m);
    const tor = await rampart(['intel', 'lookup', '::ffff:192.0.2.66', '-c', policy(), '--json']);
    assert.deepEqual(JSON.parse(tor.stdout), {
      ip: '192.0.2.66',
      categories: ['tor'],
      asn: null,
      org: null,
      country: null,
      countrySource: null,
      matches: [{ source: 'tor', category: 'tor', label: 'tor exit' }],
    });
  });

  it('lookup without --config uses the installed ASN table and country database', async () => {
    const run = await rampart(['intel', 'lookup', '2a01:4f8::1', '--json']);
    assert.equal(run.code, 0);
    const answer = JSON.parse(run.stdout) as { asn: number; categories: string[]; country: string };
    assert.equal(answer.asn, 24940);
    assert.deepEqual(answer.categories, ['datacenter']);
    assert.match(answer.country, /^[A-Z]{2}$/);
  });

  it('stats lists every source with its size; --refresh reports a feed that cannot be fetched (exit 1)', async () => {
    const run = await rampart(['intel', 'stats', '-c', policy()]);
    assert.equal(run.code, 0);
    assert.match(run.stdout, /^source +kind +category +entries +ranges +memory +age +last refresh +from$/m);
    assert.match(run.stdout, /^asn +asn-csv +- +7 +7 /m);
    assert.match(run.stdout, /^vpn +list +vpn +3 /m);
    assert.match(run.stdout, /^feed +tor +tor +0 +0 .* - +- +http:\/\/127\.0\.0\.1:1\/exits$/m);
    const refresh = await rampart(['intel', 'stats', '-c', policy(), '--refresh']);
    assert.equal(refresh.code, 1);
    assert.match(refresh.stderr, /^rampart: feed: failed$/m);
    assert.match(refresh.stdout, /^feed .* failed: /m);
  });

  it('reports a broken source as a config error with its path (exit 1)', async () => {
    const broken = file('broken-intel.yaml', `intel: { sources: [{ name: b, kind: list, category: proxy, path: "${fixtures}/broken-list.txt" }] }\n`);
    const run = await rampart(['intel', 'stats', '-c', broken]);
    assert.equal(run.code, 1);
    assert.match(run.stderr, /intel\.sources\[0\]\.path: .*line 2: not an IP address or CIDR range/);
  });

  const usage: [string[], string][] = [
    [['intel'], 'rampart: intel needs a subcommand: rampart intel lookup <ip> [--config <file>] [--json] | rampart intel stats [--config <file>] [--refresh]; see rampart help'],
    [['intel', 'lookup'], 'rampart: intel lookup needs an address: rampart intel lookup <ip> [--config <file>] [--json] | rampart intel stats [--config <file>] [--refresh]; see rampart help'],
    [['intel', 'lookup', 'banana'], 'rampart: intel lookup: not an IP address: banana; see rampart help'],
  ];
  for (const [args, message] of usage) {
    it(`rampart ${args.join(' ')}: one line, exit 2`, async () => {
      const run = await rampart(args);
      assert.equal(run.code, 2);
      assertOneLine(run, message);
    });
  }
});

/** A long-running `rampart start`: waits for lines on stderr, sends signals, reports the exit code. */
class Running {
  readonly child: ChildProcessWithoutNullStreams;
  readonly exited: Promise<number | null>;
  stderr = '';
  #waiters: { re: RegExp; resolve: (m: RegExpMatchArray) => void }[] = [];

  constructor(args: readonly string[]) {
    this.child = spawn(process.execPath, [BIN, ...args], { cwd: ROOT, env: process.env, timeout: 50_000 });
    this.child.stdout.resume();
    this.child.stderr.setEncoding('utf8').on('data', (s: string) => {
      this.stderr += s;
      this.#waiters = this.#waiters.filter((w) => {
        const m = this.stderr.match(w.re);
        if (m !== null) w.resolve(m);
        return m === null;
      });
    });
    this.exited = new Promise((resolve) => this.child.once('close', (code) => resolve(code)));
  }

  /** Resolves when stderr (so far or later) matches; rejects if the process exits first. */
  waitFor(re: RegExp): Promise<RegExpMatchArray> {
    const m = this.stderr.match(re);
    if (m !== null) return Promise.resolve(m);
    return Promise.race([
      new Promise<RegExpMatchArray>((resolve) => this.#waiters.push({ re, resolve })),
      this.exited.then((code) => {
        throw new Error(`rampart exited (${code}) before printing ${re}; stderr:\n${this.stderr}`);
      }),
    ]);
  }
}

const STARTED = /^rampart: proxy (\S+) → upstream (\S+); admin (\S+)$/m;

function gatewayPolicy(upstream: string, extra = ''): string {
  return [
    'rules:',
    '  - name: login',
    '    match: POST /api/auth/login',
    '    limit: { rate: 2/min }',
    'gateway:',
    '  listen: { host: 127.0.0.1, port: 0 }',
    `  upstream: ${upstream}`,
    extra,
    'admin: { port: 0 }',
    'log: { level: silent, decisions: { enabled: false } }',
    '',
  ].join('\n');
}

describe('rampart start', { timeout: 60_000 }, () => {
  const children: Running[] = [];
  const start = (args: readonly string[]) => {
    const running = new Running(args);
    children.push(running);
    return running;
  };
  let shop: RunningShop;
  before(async () => {
    shop = await startShop({ port: 0 });
  });
  after(async () => {
    for (const c of children) if (c.child.exitCode === null && c.child.signalCode === null) c.child.kill('SIGKILL');
    await Promise.all(children.map((c) => c.exited));
    await shop.close();
  });

  it('proxies to the upstream, reloads on SIGHUP, keeps the old policy when the file breaks, and exits 0 on SIGTERM', async () => {
    const policy = file('start.yaml', gatewayPolicy(shop.url));
    const running = start(['start', '--config', policy]);
    const [, proxy, upstream, admin] = await running.waitFor(STARTED);
    assert.equal(upstream, shop.url);
    assert.equal((await fetch(`${proxy}/api/products/7`)).status, 200);
    assert.equal((await fetch(`${admin}/health`)).status, 200);

    running.child.kill('SIGHUP');
    await running.waitFor(new RegExp(`^rampart: SIGHUP: reloaded ${policy}$`, 'm'));

    writeFileSync(policy, `${gatewayPolicy(shop.url)}rules: [\n`);
    running.child.kill('SIGHUP');
    await running.waitFor(/^rampart: SIGHUP: .* not reloaded; the previous policy stays in force\n.*: line \d+, column \d+: /m);
    const login = () => fetch(`${proxy}/api/auth/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' });
    assert.deepEqual([(await login()).status, (await login()).status, (await login()).status], [401, 401, 429], 'the old policy still limits');

    running.child.kill('SIGTERM');
    assert.equal(await running.exited, 0);
    assert.match(running.stderr, /^rampart: SIGTERM: finishing in-flight requests/m);
    assert.doesNotMatch(running.stderr, /\n\s+at /);
  });

  it('exits at once with 1 on a second signal while a request is still in flight', async () => {
    const held: ServerResponse[] = [];
    let arrived!: () => void;
    const requestArrived = new Promise<void>((resolve) => (arrived = resolve));
    const slow = createServer((_req, res) => {
      held.push(res);
      arrived();
    });
    await new Promise<void>((resolve) => slow.listen(0, '127.0.0.1', resolve));
    try {
      const upstream = `http://127.0.0.1:${(slow.address() as AddressInfo).port}`;
      const policy = file('slow.yaml', gatewayPolicy(upstream, '  timeouts: { upstream: 40s, shutdown: 40s }'));
      const running = start(['start', '-c', policy]);
      const [, proxy] = await running.waitFor(STARTED);
      const pending = fetch(`${proxy}/slow`).catch(() => null);
      await requestArrived;
      running.child.kill('SIGTERM');
      await running.waitFor(/SIGTERM: finishing in-flight requests/);
      running.child.kill('SIGINT');
      assert.equal(await running.exited, 1);
      assert.match(running.stderr, /^rampart: SIGINT again; exiting without waiting$/m);
      await pending;
    } finally {
      for (const res of held) res.destroy();
      slow.closeAllConnections();
      await new Promise((resolve) => slow.close(resolve));
    }
  });

  it('refuses to start on an invalid policy, printing every problem with its path (exit 1)', async () => {
    const policy = file('invalid-start.yaml', gatewayPolicy('ftp://example.com').replace('rate: 2/min', 'rate: 2/fortnight'));
    const run = await rampart(['start', '-c', policy]);
    assert.equal(run.code, 1);
    assert.deepEqual(run.stderr.trimEnd().split('\n'), [
      `${policy}: rules[0].limit.rate: expected a rate like 5/min, 100/hour, 10/s or 20/10s (found "2/fortnight")`,
      `${policy}: gateway.upstream: expected an origin like http://127.0.0.1:5000 (scheme, host, optional port; no path) (found "ftp://example.com")`,
    ]);
  });

  it('names the missing gateway section (exit 1)', async () => {
    const policy = file('no-gateway.yaml', 'rules: []\n');
    const run = await rampart(['start', '-c', policy]);
    assert.equal(run.code, 1);
    assert.equal(run.stderr, `${policy}: gateway: missing: add \`gateway: { upstream: http://127.0.0.1:5000 }\`\n`);
  });

  it('says in one line that the port is taken (exit 1)', async () => {
    const taken = createServer();
    await new Promise<void>((resolve) => taken.listen(0, '127.0.0.1', resolve));
    try {
      const port = (taken.address() as AddressInfo).port;
      const policy = file('taken.yaml', gatewayPolicy(shop.url).replace('port: 0 }', `port: ${port} }`));
      const run = await rampart(['start', '-c', policy]);
      assert.equal(run.code, 1);
      assert.equal(run.stderr, `rampart: gateway.listen: cannot listen on 127.0.0.1:${port}: address already in use\n`);
    } finally {
      await new Promise((resolve) => taken.close(resolve));
    }
  });
});
