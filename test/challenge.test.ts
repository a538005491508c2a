// End to end through the gateway: a challenged client using rampart/client gets through; replayed,
// expired and tampered solutions are refused; a pass stops further challenges; navigating browsers get
// the interstitial page, which solves and continues in headless Chromium.
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium } from 'playwright-core';
import { after, before, describe, it } from 'node:test';
import { withRampart } from '../src/client/index.ts';
import { VirtualClock } from '../src/engine/clock.ts';
import { createEngine } from '../src/engine/engine.ts';
import { createGateway } from '../src/gateway/gateway.ts';
import type { Gateway } from '../src/gateway/gateway.ts';
import { silentLogger } from '../src/logger.ts';
import { parsePolicy } from '../src/policy/load-policy.ts';
import { startUpstream } from './gateway/helpers.ts';
import type { Upstream } from './gateway/helpers.ts';

const POLICY = `
challenge:
  secret: "${'s'.repeat(40)}"
  expires: 1m
  pass: 10m
  difficulty: [{ risk: 0, max_number: 20000 }]
rules:
  - name: signup
    match: [POST /api/auth/register, GET /signup]
    action: challenge
`;

let upstream: Upstream;
let gateway: Gateway;
let base: string;
const clock = new VirtualClock(Date.now());
const seen: string[] = [];

before(async () => {
  upstream = await startUpstream((req, res) => {
    seen.push(`${req.method} ${req.url}`);
    if (req.url === '/form') {
      res.writeHead(200, { 'content-type': 'text/html' });
      res.end('<!doctype html><title>Form</title><form method="post" action="/api/auth/register"><input name="email" value="a@example.com"><button id="go">Go</button></form>');
      return;
    }
    if (req.method === 'POST' && (req.headers['accept'] ?? '').includes('text/html')) {
      res.writeHead(200, { 'content-type': 'text/html' });
      res.end('<!doctype html><title>Thanks</title><h1 id="thanks">Thanks</h1>');
      return;
    }
    if (req.url === '/signup') {
      res.writeHead(200, { 'content-type': 'text/html' });
      res.end('<!doctype html><title>Sign up</title><h1 id="welcome">Sign up form</h1>');
      return;
    }
    res.writeHead(201, { 'content-type': 'application/json' });
    res.end('{"created":true}');
  });
  const config = parsePolicy(JSON.stringify({ gateway: { upstream: upstream.url, listen: { host: '127.0.0.1', port: 0 } } })).gateway!;
  const engine = createEngine({ policy: parsePolicy(POLICY), clock, logger: silentLogger });
  gateway = createGateway({ engine, config, observers: [], logger: silentLogger });
  base = (await gateway.listen()).url;
});

after(async () => {
  await gateway.close();
  await upstream.close();
});

/** A fetch that records what went over the wire, so tests can replay or alter it. */
function recordingFetch(): { fetch: typeof fetch; sent: Request[]; received: Response[] } {
  const sent: Request[] = [];
  const received: Response[] = [];
  return {
    sent,
    received,
    fetch: async (input, init) => {
      const request = new Request(input, init);
      sent.push(request.clone());
      const response = await fetch(request);
      received.push(response.clone());
      return response;
    },
  };
}

const register = { method: 'POST', headers: { 'content-type': 'application/json', 'user-agent': 'shop-app/2.1', 'accept-language': 'en' }, body: '{"email":"a@example.com"}' };

describe('challenge through the gateway', () => {
  it('lets a client using rampart/client through after solving, then on its pass alone', async () => {
    const wire = recordingFetch();
    const client = withRampart(wire.fetch);
    const res = await client(`${base}/api/auth/register`, register);
    assert.equal(res.status, 201);
    assert.deepEqual(await res.json(), { created: true });
    assert.deepEqual(wire.received.map((r) => r.status), [403, 201]);
    assert.equal(wire.received[0]!.headers.get('rampart-challenge'), 'altcha');
    assert.ok(wire.sent[1]!.headers.get('rampart-solution'));
    assert.equal(await wire.sent[1]!.text(), register.body, 'the body is sent again');
    // The pass: no more challenges for this client.
    const next = await client(`${base}/api/auth/register`, register);
    assert.equal(next.status, 201);
    assert.deepEqual(wire.received.map((r) => r.status), [403, 201, 201]);
    assert.ok(wire.sent[2]!.headers.get('rampart-pass'));
    assert.equal(wire.sent[2]!.headers.get('rampart-solution'), null);
  });

  it('refuses a replayed solution', async () => {
    const wire = recordingFetch();
    await withRampart(wire.fetch)(`${base}/api/auth/register`, register);
    const solution = wire.sent[1]!.headers.get('rampart-solution')!;
    const replay = await fetch(`${base}/api/auth/register`, { ...register, headers: { ...register.headers, 'rampart-solution': solution } });
    assert.equal(replay.status, 403);
    assert.equal(replay.headers.get('rampart-challenge'), 'altcha');
    assert.equal(replay.headers.get('rampart-pass'), null);
  });

  it('refuses an expired solution and a tampered one', async () => {
    const wire = recordingFetch();
    let hold: Request | null = null;
    // Solve, but keep the solved request instead of sending it.
    const client = withRampart(async (input, init) => {
      const r = new Request(input, init);
      if (r.headers.get('rampart-solution') !== null) {
        hold = r;
        return new Response('{}', { status: 599 });
      }
      return wire.fetch(r);
    });
    await client(`${base}/api/auth/register`, register);
    const solution = (hold as Request | null)!.headers.get('rampart-solution')!;
    const payload = JSON.parse(atob(solution)) as Record<string, unknown>;
    const tampered = btoa(JSON.stringify({ ...payload, salt: String(payload['salt']).replace(/l=0/, 'l=9') }));
    const withSolution = (s: string): Promise<Response> => fetch(`${base}/api/auth/register`, { ...register, headers: { ...register.headers, 'rampart-solution': s } });
    assert.equal((await withSolution(tampered)).status, 403);
    clock.advance(61_000);
    assert.equal((await withSolution(solution)).status, 403);
  });

  it('challenges a client that presents another client\'s pass', async () => {
    const wire = recordingFetch();
    await withRampart(wire.fetch)(`${base}/api/auth/register`, register);
    const pass = wire.received[1]!.headers.get('rampart-pass')!;
    const res = await fetch(`${base}/api/auth/register`, { ...register, headers: { ...register.headers, 'user-agent': 'python-requests/2.32', 'rampart-pass': pass } });
    assert.equal(res.status, 403);
  });
});

// Debian's chromium, never a downloaded browser; screenshots go to test-artifacts/ (gitignored).
const CHROMIUM = '/usr/bin/chromium';
const CHROMIUM_ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-quic', '--no-first-run', '--disable-component-update', '--disable-sync'];
const ARTIFACTS = join(import.meta.dirname, '..', 'test-artifacts');

async function withBrowser<T>(javaScriptEnabled: boolean, use: (page: import('playwright-core').Page) => Promise<T>): Promise<T> {
  const profile = mkdtempSync(join(tmpdir(), 'rampart-chromium-'));
  const context = await chromium.launchPersistentContext(profile, { executablePath: CHROMIUM, args: CHROMIUM_ARGS, headless: true, javaScriptEnabled });
  try {
    return await use(context.pages()[0] ?? (await context.newPage()));
  } finally {
    await context.close();
    rmSync(profile, { recursive: true, force: true });
  }
}

describe('the interstitial page in headless Chromium', () => {
  it('solves the challenge, earns a pass cookie and continues to the page', { timeout: 60_000 }, async () => {
    mkdirSync(ARTIFACTS, { recursive: true });
    const before = seen.filter((s) => s === 'GET /signup').length;
    await withBrowser(true, async (page) => {
      const first = await page.goto(`${base}/signup`);
      assert.ok(first !== null);
      await page.waitForSelector('#welcome', { timeout: 30_000 });
      assert.equal(await page.textContent('#welcome'), 'Sign up form');
      await page.screenshot({ path: join(ARTIFACTS, 'challenge-interstitial-passed.png') });
      const cookies = await page.context().cookies();
      assert.ok(cookies.some((c) => c.name === 'rampart_pass' && c.httpOnly));
      // Navigating again: the pass cookie lets it straight through.
      const again = await page.goto(`${base}/signup`);
      assert.equal(again!.status(), 200);
    });
    assert.equal(seen.filter((s) => s === 'GET /signup').length - before, 2, 'the upstream saw the solved request and the one on the pass, never the challenged one');
  });

  it('solves a harder challenge in a Web Worker after a form POST, then lets the resubmitted form through', { timeout: 90_000 }, async () => {
    // A second gateway on the same upstream, with a difficulty above the in-page threshold.
    const config = parsePolicy(JSON.stringify({ gateway: { upstream: upstream.url, listen: { host: '127.0.0.1', port: 0 } } })).gateway!;
    const hard = POLICY.replace('max_number: 20000', 'max_number: 100000');
    const gw = createGateway({ engine: createEngine({ policy: parsePolicy(hard), logger: silentLogger }), config, observers: [], logger: silentLogger });
    const url = (await gw.listen()).url;
    try {
      await withBrowser(true, async (page) => {
        await page.goto(`${url}/form`);
        await page.click('#go');
        await page.waitForSelector('html[data-rampart="solved"]', { timeout: 60_000, state: 'attached' });
        assert.equal(await page.getAttribute('html', 'data-rampart-solver'), 'worker');
        assert.match((await page.textContent('#status')) ?? '', /submit the form again/);
        await page.screenshot({ path: join(ARTIFACTS, 'challenge-interstitial-form.png') });
        await page.goto(`${url}/form`);
        await page.click('#go');
        await page.waitForSelector('#thanks', { timeout: 30_000 });
      });
    } finally {
      await gw.close();
    }
  });

  it('explains itself without JavaScript', { timeout: 60_000 }, async () => {
    mkdirSync(ARTIFACTS, { recursive: true });
    await withBrowser(false, async (page) => {
      const res = await page.goto(`${base}/signup`);
      assert.equal(res!.status(), 403);
      assert.match((await page.textContent('body')) ?? '', /needs JavaScript/);
      await page.screenshot({ path: join(ARTIFACTS, 'challenge-interstitial-noscript.png') });
    });
  });
});
