// Challenges: how long clients take to solve each difficulty level, and what verifying costs the server.
//
//   npm run bench:challenge              (writes the "challenge" section of BENCHMARKS.md)
//   npm run bench:challenge -- --quick   (fewer samples, no Chromium, prints only)
//
// Solving, per level of the default `challenge.difficulty`, median over fresh challenges:
// - rampart's solver in the calling thread (what Web Workers and worker_threads run),
// - rampart/client's solveChallenge (worker_threads: includes starting the worker),
// - node:crypto createHash in a loop, and altcha-lib v1's solveChallenge (WebCrypto): peers,
// - headless Chromium (Debian's) on the interstitial page: from the page's script start to the
//   solution cookie, as the page measures it (`took`).
// Verifying: per request, through the engine (pass, fresh solution, new challenge) and alone,
// against altcha-lib v1's verifySolution.
import { createHash } from 'node:crypto';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { solveChallenge as altchaSolve, verifySolution as altchaVerify } from 'altcha-lib/v1';
import { chromium } from 'playwright-core';
import { issueAltcha, verifyAltcha } from '../src/challenge/altcha.ts';
import { HmacSha256 } from '../src/challenge/sha256.ts';
import type { AltchaChallenge } from '../src/challenge/altcha.ts';
import { interstitialPage } from '../src/challenge/interstitial.ts';
import { rampartSolve } from '../src/challenge/sha256-solver.ts';
import { solveChallenge } from '../src/client/solve.ts';
import { VirtualClock } from '../src/engine/clock.ts';
import { createEngine } from '../src/engine/engine.ts';
import type { RampartRequest } from '../src/engine/request-context.ts';
import { silentLogger } from '../src/logger.ts';
import { parsePolicy } from '../src/policy/load-policy.ts';
import { combine, machine, measure, writeSection } from './lib/harness.ts';
import type { Result } from './lib/harness.ts';

const quick = process.argv.includes('--quick');
const LEVELS = parsePolicy('{}').challenge.difficulty.map((l) => l.max_number);
const KEY_TEXT = 'bench-key-bench-key-bench-key-bench-key!';
const KEY = new HmacSha256(Buffer.from(KEY_TEXT));
const BINDING = { expires: Math.floor(Date.now() / 1000) + 3600, fp: '0123456789abcdef', group: 'a1b2c3d4e5f6', level: 0 };

function samplesFor(max: number, base: number): number {
  const n = max >= 2_000_000 ? Math.ceil(base / 3) : base;
  return quick ? Math.max(3, Math.ceil(n / 4)) : n;
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
}

function fmtMs(ms: number): string {
  return ms >= 100 ? `${ms.toFixed(0)} ms` : ms >= 10 ? `${ms.toFixed(1)} ms` : `${ms.toFixed(2)} ms`;
}

async function timeSolves(max: number, n: number, solve: (c: AltchaChallenge) => Promise<unknown> | unknown): Promise<number> {
  const times: number[] = [];
  for (let i = 0; i < n; i++) {
    const c = issueAltcha(KEY, max, BINDING);
    const t0 = performance.now();
    await solve(c);
    times.push(performance.now() - t0);
  }
  return median(times);
}

function nodeCryptoSolve(c: AltchaChallenge): number {
  for (let i = 0; i <= c.maxnumber; i++) if (createHash('sha256').update(c.salt + i).digest('hex') === c.challenge) return i;
  return -1;
}

async function chromiumSolves(max: number, n: number): Promise<number | null> {
  const browserPath = '/usr/bin/chromium';
  const pages = new Map<string, string>();
  const server = createServer((req, res) => {
    const html = pages.get(req.url ?? '');
    if (html !== undefined && !(req.headers.cookie ?? '').includes('rampart_solution=')) {
      res.writeHead(403, { 'content-type': 'text/html' });
      res.end(html);
      return;
    }
    res.writeHead(200, { 'content-type': 'text/html' });
    res.end('<!doctype html><title>ok</title><p id="ok">ok</p>');
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const profile = mkdtempSync(join(tmpdir(), 'rampart-bench-chromium-'));
  try {
    const context = await chromium.launchPersistentContext(profile, {
      executablePath: browserPath,
      headless: true,
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-quic', '--no-first-run', '--disable-component-update', '--disable-sync'],
    });
    const page = context.pages()[0] ?? (await context.newPage());
    const took: number[] = [];
    for (let i = 0; i < n; i++) {
      const c = issueAltcha(KEY, max, BINDING);
      const path = `/p${max}-${i}`;
      pages.set(path, interstitialPage({ challenge: c, level: 0, group: 'g', expires: BINDING.expires }, true, 600));
      await context.clearCookies();
      await page.goto(base + path);
      await page.waitForSelector('#ok', { timeout: 120_000 });
      const cookie = (await context.cookies()).find((k) => k.name === 'rampart_solution');
      took.push((JSON.parse(atob(cookie!.value)) as { took: number }).took);
    }
    await context.close();
    return median(took);
  } catch (err) {
    process.stderr.write(`chromium: ${(err as Error).message}\n`);
    return null;
  } finally {
    rmSync(profile, { recursive: true, force: true });
    server.close();
  }
}

// ── solving ──────────────────────────────────────────────────────────────────────────────────────
const solveRows: string[] = [];
const expectedHashes = (max: number): number => max / 2;
for (const max of LEVELS) {
  const n = samplesFor(max, 21);
  const inThread = await timeSolves(max, n, (c) => rampartSolve(c.challenge, c.salt, c.maxnumber, 0, 1));
  const client = await timeSolves(max, n, (c) => solveChallenge(c));
  const nodeCrypto = await timeSolves(max, samplesFor(max, 11), nodeCryptoSolve);
  const altcha = max <= 200_000 ? await timeSolves(max, max <= 20_000 ? samplesFor(max, 7) : 3, (c) => altchaSolve(c.challenge, c.salt, c.algorithm, c.maxnumber).promise) : null;
  const browser = quick ? null : await chromiumSolves(max, samplesFor(max, 11));
  const row = `| ${max.toLocaleString('en')} | ${expectedHashes(max).toLocaleString('en')} | ${fmtMs(inThread)} | ${fmtMs(client)} | ${browser === null ? 'n/a' : fmtMs(browser)} | ${fmtMs(nodeCrypto)} | ${altcha === null ? '(too slow)' : fmtMs(altcha)} |`;
  solveRows.push(row);
  process.stderr.write(row + '\n');
}

// ── verifying ────────────────────────────────────────────────────────────────────────────────────
const POLICY = `
challenge:
  secret: "${'b'.repeat(40)}"
  expires: 1h
  difficulty: [{ risk: 0, max_number: 1000 }]
rules:
  - { name: signup, match: POST /api/auth/register, action: challenge }
`;
const clock = new VirtualClock(Date.now());
const engine = createEngine({ policy: parsePolicy(POLICY), clock, logger: silentLogger });
const headers = { 'user-agent': 'Mozilla/5.0 (X11; Linux x86_64) Chrome/131', 'accept-language': 'en-GB,en;q=0.9', accept: 'application/json', 'accept-encoding': 'gzip, br' };
const base: RampartRequest = { method: 'POST', url: '/api/auth/register', headers, ip: '203.0.113.7' };
const first = engine.evaluate(base);
if (first instanceof Promise) throw new Error('memory store is synchronous');

function solvedPayload(c: AltchaChallenge): string {
  const { maxnumber: _m, ...rest } = c;
  return Buffer.from(JSON.stringify({ ...rest, number: rampartSolve(c.challenge, c.salt, c.maxnumber, 0, 1) })).toString('base64');
}

const VERIFY_BATCH = quick ? 200 : 500;
const VERIFY_BATCHES = quick ? 10 : 20;
const fresh: string[] = [];
for (let i = 0; i < VERIFY_BATCH * VERIFY_BATCHES * 3; i++) {
  const d = engine.evaluate(base) as { challenge: { challenge: AltchaChallenge } };
  fresh.push(solvedPayload(d.challenge.challenge));
}
const pass = (engine.evaluate({ ...base, headers: { ...headers, 'rampart-solution': fresh.pop()! } }) as { headers: Record<string, string> }).headers['rampart-pass']!;
const withPass: RampartRequest = { ...base, headers: { ...headers, 'rampart-pass': pass } };
const standalone = issueAltcha(KEY, 1000, BINDING);
const standalonePayload = solvedPayload(standalone);
if (verifyAltcha(KEY, standalonePayload) === null || !(await altchaVerify(standalonePayload, KEY_TEXT))) throw new Error('payload does not verify');

let freshAt = 0;
const cases: [string, (i: number) => unknown][] = [
  ['engine: request with a valid pass → allow', () => engine.evaluate(withPass)],
  ['engine: request with a fresh solution → allow + pass (spends the id in the memory store)', () => engine.evaluate({ ...base, headers: { ...headers, 'rampart-solution': fresh[freshAt++]! } })],
  ['engine: request without either → new challenge', () => engine.evaluate(base)],
  ['verifyAltcha alone (signature + work + salt)', () => verifyAltcha(KEY, standalonePayload)],
  ['altcha-lib v1 verifySolution (WebCrypto, peer)', () => altchaVerify(standalonePayload, KEY_TEXT)],
];
const rounds = new Map<string, Result[]>();
for (let round = 0; round < 3; round++) {
  for (const [name, op] of cases) {
    const r = await measure(name, op, { batches: VERIFY_BATCHES, batchSize: VERIFY_BATCH });
    rounds.set(name, [...(rounds.get(name) ?? []), r]);
  }
}
const verifyRows = cases.map(([name]) => {
  const r = combine(rounds.get(name)!);
  return `| ${name} | ${(r.medianNs / 1000).toFixed(2)} µs | ${(r.p99BatchNs / 1000).toFixed(2)} µs |`;
});
process.stderr.write(verifyRows.join('\n') + '\n');

const markdown = `## Challenges

Command: \`npm run bench:challenge\` (${machine()}).

**Solving**, median time per challenge over fresh challenges of each default difficulty level
(\`maxnumber\`; a client tries \`maxnumber / 2\` SHA-256 hashes on average, so single solves vary
a lot around these medians). Columns: rampart's solver in the calling thread (the code Web Workers
and worker_threads run); \`rampart/client\`'s \`solveChallenge\` (worker_threads above
\`maxnumber\` 50,000, worker start included; in-thread at or below it); headless Chromium (Debian's)
on the interstitial page (a Web Worker above 50,000, the page itself at or below), from script start
to the solution cookie as the page measures it; and two peers: node:crypto \`createHash\` in a loop, and
altcha-lib v1's \`solveChallenge\` (WebCrypto, one promise per hash; 3 samples at 200,000, not run at 2,000,000).
Phones are several times slower than this machine.

| maxnumber | hashes (mean) | rampart solver, in-thread | rampart/client (Node worker) | Chromium interstitial | node:crypto loop | altcha-lib v1 |
| ---: | ---: | ---: | ---: | ---: | ---: | ---: |
${solveRows.join('\n')}

**Verifying**, per request, memory store, median of per-batch means (3 rounds × ${VERIFY_BATCHES} batches
× ${VERIFY_BATCH}). The engine rows include everything the engine does for a challenge rule: the
header fingerprint (an HMAC), the pass or solution checks, and for a solution the store call that
spends its id and signing the pass. Goal: ≤ 20 µs.

| case | median | p99 of batches |
| --- | ---: | ---: |
${verifyRows.join('\n')}
`;

if (quick) process.stdout.write(markdown);
else {
  writeSection('challenge', markdown);
  process.stdout.write('wrote the challenge section of BENCHMARKS.md\n');
}
