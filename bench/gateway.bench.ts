// Gateway throughput and latency, against what a user would run instead, in one run:
//   - the demo shop directly (no proxy: the reference)
//   - a bare undici pass-through proxy (bench/proxies/bare-undici.ts: the cheapest a Node proxy can be)
//   - @fastify/http-proxy
//   - Rampart with the demo policy (examples/shop/rampart.yaml), decision log written to a file
//
//   npm run bench:gateway   (needs wrk: apt-get install wrk; writes the "gateway" section of BENCHMARKS.md)
//
// Every proxy runs in its own process pinned to CPU 1; the shop and the load generator share CPU 0
// (the machine has two cores). Rampart runs the demo policy with its rates raised: every rule is evaluated and
// counted exactly as when enforcing, but nothing is refused, so all targets forward every request and
// the comparison is like for like. Maximum load: wrk, 64 connections, 2 interleaved rounds.
// Latency at half load: autocannon at a fixed rate of half Rampart's measured maximum, per target.
import { spawn, spawnSync } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse, stringify } from 'yaml';
import { machine, writeSection } from './lib/harness.ts';

const quick = process.argv.includes('--quick');
const DURATION = quick ? 4 : 10;
const ROUNDS = quick ? 1 : 3;
const CONNECTIONS = 64;
const PATH = '/api/products/42';
const root = new URL('..', import.meta.url).pathname;
const dir = mkdtempSync(join(tmpdir(), 'rampart-bench-'));

if (spawnSync('wrk', ['--version']).error) throw new Error('wrk is required: apt-get install wrk');

const PORTS = { shop: 15000, bare: 15001, fastify: 15002, rampart: 15003, admin: 15004, rampartSampled: 15005, admin2: 15006 };
const children: ChildProcess[] = [];

function start(cpu: number, script: string, env: Record<string, string>): void {
  const child = spawn('taskset', ['-c', String(cpu), process.execPath, join(root, script)], {
    env: { ...process.env, ...env },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  children.push(child);
}

async function waitForPort(port: number): Promise<void> {
  for (let i = 0; i < 200; i++) {
    const ok = await new Promise<boolean>((resolve) => {
      const s = connect(port, '127.0.0.1', () => {
        s.destroy();
        resolve(true);
      });
      s.once('error', () => resolve(false));
    });
    if (ok) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`nothing listening on ${port}`);
}

function stopAll(): void {
  for (const c of children) c.kill('SIGTERM');
}
process.once('exit', stopAll);

// Rampart's config: the demo policy's rules as shipped, with every rate raised so that one client's
// load is never refused (each rule is still matched, keyed and counted: the same work per request),
// on our ports, logging to a file.
const demo = parse(readFileSync(join(root, 'examples/shop/rampart.yaml'), 'utf8')) as Record<string, any>;
for (const rule of demo['rules'] as Record<string, any>[]) {
  if (rule['limit'] === undefined) continue;
  rule['limit']['rate'] = '1000000000/min';
  if (rule['limit']['burst'] !== undefined) rule['limit']['burst'] = 1_000_000_000;
  delete rule['limit']['penalty'];
}
demo['gateway'] = { ...demo['gateway'], listen: { host: '127.0.0.1', port: PORTS.rampart }, upstream: `http://127.0.0.1:${PORTS.shop}` };
demo['admin'] = { ...(demo['admin'] ?? {}), host: '127.0.0.1', port: PORTS.admin };
demo['log'] = { ...(demo['log'] ?? {}), level: 'warn', decisions: { ...(demo['log']?.decisions ?? {}), to: join(dir, 'decisions.log') } };
const configFile = join(dir, 'rampart.yaml');
writeFileSync(configFile, stringify(demo));
// The same, logging only mitigated (and monitored) requests: what a busy production site would run.
const sampled = structuredClone(demo);
sampled['gateway'].listen.port = PORTS.rampartSampled;
sampled['admin'].port = PORTS.admin2;
sampled['log'].decisions = { ...sampled['log'].decisions, sample_allowed: 0, to: join(dir, 'decisions-sampled.log') };
const sampledFile = join(dir, 'rampart-sampled.yaml');
writeFileSync(sampledFile, stringify(sampled));

start(0, 'examples/shop/server.ts', { SHOP_PORT: String(PORTS.shop) });
start(1, 'bench/proxies/bare-undici.ts', { PORT: String(PORTS.bare), UPSTREAM: `http://127.0.0.1:${PORTS.shop}` });
start(1, 'bench/proxies/fastify-proxy.ts', { PORT: String(PORTS.fastify), UPSTREAM: `http://127.0.0.1:${PORTS.shop}` });
start(1, 'bench/proxies/rampart.ts', { CONFIG: configFile });
start(1, 'bench/proxies/rampart.ts', { CONFIG: sampledFile });
for (const port of Object.values(PORTS)) await waitForPort(port);

const TARGETS = [
  { name: 'shop directly (no proxy)', port: PORTS.shop },
  { name: 'bare undici pass-through', port: PORTS.bare },
  { name: '@fastify/http-proxy', port: PORTS.fastify },
  { name: 'rampart (demo policy)', port: PORTS.rampart },
  { name: 'rampart (demo policy, log mitigated only)', port: PORTS.rampartSampled },
] as const;

interface Max {
  rps: number;
  p99ms: number;
  non2xx: number;
}

function parseMs(text: string): number {
  const m = /([\d.]+)(us|ms|s)/.exec(text)!;
  const v = Number(m[1]);
  return m[2] === 'us' ? v / 1000 : m[2] === 's' ? v * 1000 : v;
}

function wrk(port: number, seconds: number): Max {
  const out = spawnSync('taskset', ['-c', '0', 'wrk', '-t1', `-c${CONNECTIONS}`, `-d${seconds}s`, '--latency', `http://127.0.0.1:${port}${PATH}`], { encoding: 'utf8' }).stdout;
  const rps = Number(/Requests\/sec:\s+([\d.]+)/.exec(out)![1]);
  const p99 = parseMs(/\s99%\s+(\S+)/.exec(out)![1]!);
  const non2xx = Number(/Non-2xx or 3xx responses:\s+(\d+)/.exec(out)?.[1] ?? 0);
  return { rps, p99ms: p99, non2xx };
}

/** autocannon at a fixed rate, as its own process pinned to CPU 0 (never on the proxies' core). */
async function atRate(port: number, rate: number, seconds: number): Promise<{ p50: number; p99: number; rps: number }> {
  const bin = join(root, 'node_modules/.bin/autocannon');
  const out = spawnSync('taskset', ['-c', '0', process.execPath, bin, '--json', '-c', '16', '--overallRate', String(rate), '-d', String(seconds), `http://127.0.0.1:${port}${PATH}`], {
    encoding: 'utf8',
    maxBuffer: 64 * 1024 * 1024,
  }).stdout;
  const r = JSON.parse(out) as { latency: { p50: number; p99: number }; requests: { average: number } };
  return { p50: r.latency.p50, p99: r.latency.p99, rps: r.requests.average };
}

// Warm every target (JIT, connection pools).
for (const t of TARGETS) wrk(t.port, 2);

const max = new Map<string, Max[]>();
for (let round = 0; round < ROUNDS; round++) {
  for (const t of TARGETS) {
    const m = wrk(t.port, DURATION);
    (max.get(t.name) ?? max.set(t.name, []).get(t.name)!).push(m);
    console.log(`round ${round + 1}  ${t.name.padEnd(28)} ${m.rps.toFixed(0).padStart(7)} req/s  p99 ${m.p99ms.toFixed(2)} ms  non-2xx ${m.non2xx}`);
  }
}
const best = (name: string): Max => {
  const runs = max.get(name)!;
  return { rps: runs.reduce((s, r) => s + r.rps, 0) / runs.length, p99ms: runs.reduce((s, r) => s + r.p99ms, 0) / runs.length, non2xx: runs.reduce((s, r) => s + r.non2xx, 0) };
};

const rampartMax = best('rampart (demo policy)').rps;
const halfRate = Math.floor(rampartMax / 2);
const half = new Map<string, { p50: number; p99: number; rps: number }>();
for (const t of TARGETS) {
  const r = await atRate(t.port, halfRate, DURATION);
  half.set(t.name, r);
  console.log(`half load ${halfRate} req/s  ${t.name.padEnd(28)} p50 ${r.p50} ms  p99 ${r.p99} ms`);
}
stopAll();

const bare = best('bare undici pass-through').rps;
const fastify = best('@fastify/http-proxy').rps;
const direct = half.get('shop directly (no proxy)')!;
const rows = TARGETS.map((t) => {
  const m = best(t.name);
  const h = half.get(t.name)!;
  return `| ${t.name} | ${m.rps.toFixed(0)} | ${(m.rps / bare).toFixed(2)} | ${m.p99ms.toFixed(2)} ms | ${h.p50} ms | ${h.p99} ms | ${(h.p99 - direct.p99).toFixed(0)} ms |`;
});

const summary = `Rampart / bare undici pass-through: **${(rampartMax / bare).toFixed(2)}** of its throughput (goal ≥ 0.90);
Rampart / @fastify/http-proxy: **${(rampartMax / fastify).toFixed(2)}×** (goal ≥ 1.1×);
with the decision log limited to mitigated requests: **${(best('rampart (demo policy, log mitigated only)').rps / bare).toFixed(2)}** of the pass-through, **${(best('rampart (demo policy, log mitigated only)').rps / fastify).toFixed(2)}×** @fastify/http-proxy;
p99 added over the shop at half of Rampart's maximum (${halfRate} req/s): **${(half.get('rampart (demo policy)')!.p99 - direct.p99).toFixed(0)} ms**
(autocannon reports whole milliseconds; goal ≤ 1 ms).`;
console.log(`\n${summary}`);

if (!quick) {
  writeSection(
    'gateway',
    `## Gateway: throughput and latency against other proxies

Command: \`npm run bench:gateway\` (${machine()}). \`GET ${PATH}\` on the demo shop. Each proxy in its own
process pinned to CPU 1; the shop and the load generator share CPU 0. Maximum load: \`wrk -t1 -c${CONNECTIONS}\`,
${DURATION} s per target, ${ROUNDS} interleaved rounds (mean). Half load: autocannon (own process,
also on CPU 0) at a fixed ${halfRate} req/s (half of Rampart's maximum), 16 connections, ${DURATION} s per target.
Rampart runs the rules of \`examples/shop/rampart.yaml\` with every rate raised to 10⁹/min (every rule
matched, keyed and counted as shipped, but one client's load is never refused, so every target forwards
every request) and writes its decision log to a file: in the first
Rampart row one line per request (the demo's \`sample_allowed: 1\`), in the second only mitigated and
monitored requests (\`sample_allowed: 0\`). Metrics are collected in both.

| target | max req/s | ÷ bare pass-through | p99 at max | p50 at half load | p99 at half load | p99 added vs shop |
| --- | ---: | ---: | ---: | ---: | ---: | ---: |
${rows.join('\n')}

${summary}
`,
  );
  console.log('wrote the gateway section of BENCHMARKS.md');
}
process.exit(0);
