import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { rampartSolve } from '../challenge/sha256-solver.ts';
import { silentLogger } from '../logger.ts';
import { builtinSignals } from '../signals/registry.ts';
import { parsePolicy } from '../policy/load-policy.ts';
import { createMemoryStore } from '../stores/memory/memory-store.ts';
import type { HotStore } from '../stores/types.ts';
import { VirtualClock } from './clock.ts';
import type { Decision } from './decision.ts';
import { createEngine } from './engine.ts';
import type { Engine } from './engine.ts';
import type { RampartRequest } from './request-context.ts';
import { refusalFor } from './respond.ts';

const T0 = Date.parse('2026-11-23T10:00:00Z');
const SECRET = 'x'.repeat(40);

const POLICY = `
challenge:
  secret: ${SECRET}
  expires: 1m
  pass: 10m
  difficulty: [{ risk: 0, max_number: 1000 }, { risk: 50, max_number: 5000 }]
signals:
  headers.no-accept: { weight: 60 }
rules:
  - name: signup
    match: POST /api/auth/register
    action: challenge
    group: accounts
  - name: login
    match: POST /api/auth/login
    action: challenge
    group: accounts
  - name: checkout
    match: POST /api/checkout
    action: challenge
`;

const BROWSER = { 'user-agent': 'Mozilla/5.0 (X11; Linux x86_64)', 'accept-language': 'en-GB', accept: 'application/json' };

function setup(store?: HotStore): { engine: Engine; clock: VirtualClock } {
  const clock = new VirtualClock(T0);
  const engine = createEngine({ policy: parsePolicy(POLICY, { env: {} }), clock, logger: silentLogger, ...(store ? { store } : {}) });
  return { engine, clock };
}

function req(url: string, headers: Record<string, string> = {}, ip = '203.0.113.7'): RampartRequest {
  return { method: 'POST', url, headers: { ...BROWSER, ...headers }, ip };
}

/** Solves the decision's challenge the way rampart/client does. */
function solve(d: Decision, change: (p: Record<string, unknown>) => void = () => {}): string {
  const c = d.challenge!.challenge;
  const payload: Record<string, unknown> = { ...c, number: rampartSolve(c.challenge, c.salt, c.maxnumber, 0, 1) };
  delete payload['maxnumber'];
  change(payload);
  return Buffer.from(JSON.stringify(payload)).toString('base64');
}

describe('engine: challenge', () => {
  it('challenges with an ALTCHA challenge in a 403 that never names the rule', async () => {
    const { engine } = setup();
    const d = await engine.decide(req('/api/auth/register'));
    assert.equal(d.action, 'challenge');
    assert.equal(d.status, 403);
    assert.equal(d.challenge!.challenge.algorithm, 'SHA-256');
    assert.equal(d.challenge!.challenge.maxnumber, 1000);
    const refusal = refusalFor(d)!;
    assert.equal(refusal.headers['rampart-challenge'], 'altcha');
    const body = JSON.parse(refusal.body) as Record<string, unknown>;
    assert.deepEqual(Object.keys(body), ['error', 'challenge']);
    assert.doesNotMatch(refusal.body, /signup|accounts/);
  });

  it('lets a solved request through once, with a pass, and refuses the replayed solution', async () => {
    const { engine } = setup();
    const solution = solve(await engine.decide(req('/api/auth/register')));
    const solved = await engine.decide(req('/api/auth/register', { 'rampart-solution': solution }));
    assert.equal(solved.action, 'allow');
    assert.equal(solved.monitor, false);
    assert.equal(solved.rule, 'signup');
    assert.ok(solved.reasons.includes('solved:accounts'));
    assert.match(solved.headers['rampart-pass']!, /^p1\./);
    assert.match(solved.headers['set-cookie']!, /^rampart_pass=p1\.[^;]+; Path=\/; Max-Age=600; HttpOnly; SameSite=Lax$/);
    const replayed = await engine.decide(req('/api/auth/register', { 'rampart-solution': solution }));
    assert.equal(replayed.action, 'challenge');
    assert.ok(replayed.reasons.includes('replayed:accounts'));
  });

  it('refuses a solution whose challenge expired', async () => {
    const { engine, clock } = setup();
    const solution = solve(await engine.decide(req('/api/auth/register')));
    clock.advance(62_000);
    const d = await engine.decide(req('/api/auth/register', { 'rampart-solution': solution }));
    assert.equal(d.action, 'challenge');
  });

  it('refuses tampered solutions: salt, signature, number, difficulty level', async () => {
    const { engine } = setup();
    const first = await engine.decide(req('/api/auth/register'));
    const tamper: ((p: Record<string, unknown>) => void)[] = [
      (p) => (p['salt'] = String(p['salt']).replace(/g=[0-9a-f]+/, 'g=0123456789ab')),
      (p) => (p['salt'] = String(p['salt']).replace(/expires=\d+/, 'expires=9999999999')),
      (p) => (p['signature'] = '0'.repeat(64)),
      (p) => (p['number'] = Number(p['number']) + 1),
      (p) => (p['algorithm'] = 'SHA-1'),
    ];
    for (const change of tamper) {
      const d = await engine.decide(req('/api/auth/register', { 'rampart-solution': solve(first, change) }));
      assert.equal(d.action, 'challenge', change.toString());
    }
    for (const junk of ['', 'not base64!', Buffer.from('{"a":1}').toString('base64'), 'A'.repeat(5000)]) {
      assert.equal((await engine.decide(req('/api/auth/register', { 'rampart-solution': junk }))).action, 'challenge');
    }
  });

  it('binds solutions and passes to the header fingerprint and the route group, not the IP', async () => {
    const { engine } = setup();
    const solved = await engine.decide(req('/api/auth/register', { 'rampart-solution': solve(await engine.decide(req('/api/auth/register'))) }));
    const pass = solved.headers['rampart-pass']!;
    // Same group (login shares `accounts`), another IP: still passes.
    assert.equal((await engine.decide(req('/api/auth/login', { 'rampart-pass': pass }, '198.51.100.9'))).action, 'allow');
    // The pass also works from the cookie a browser keeps.
    assert.equal((await engine.decide(req('/api/auth/login', { cookie: `a=1; rampart_pass=${pass}` }))).action, 'allow');
    // Another user agent: challenged.
    assert.equal((await engine.decide(req('/api/auth/login', { 'rampart-pass': pass, 'user-agent': 'curl/8.5' }))).action, 'challenge');
    // Another group: challenged.
    assert.equal((await engine.decide(req('/api/checkout', { 'rampart-pass': pass }))).action, 'challenge');
    // A solution for one client does not serve another.
    const other = solve(await engine.decide(req('/api/auth/register')));
    assert.equal((await engine.decide(req('/api/auth/register', { 'rampart-solution': other, 'accept-language': 'fr' }))).action, 'challenge');
  });

  it('stops challenging until the pass expires', async () => {
    const { engine, clock } = setup();
    const solved = await engine.decide(req('/api/auth/register', { 'rampart-solution': solve(await engine.decide(req('/api/auth/register'))) }));
    const pass = solved.headers['rampart-pass']!;
    const again = await engine.decide(req('/api/auth/register', { 'rampart-pass': pass }));
    assert.equal(again.action, 'allow');
    assert.ok(again.reasons.includes('pass:accounts'));
    assert.equal(again.headers['rampart-pass'], undefined);
    clock.advance(601_000);
    assert.equal((await engine.decide(req('/api/auth/register', { 'rampart-pass': pass }))).action, 'challenge');
    const forged = pass.slice(0, -2) + (pass.endsWith('AA') ? 'BB' : 'AA');
    assert.equal((await engine.decide(req('/api/auth/register', { 'rampart-pass': forged }))).action, 'challenge');
  });

  it('scales difficulty with risk, and challenges again when risk rises past the pass level', async () => {
    const { engine } = setup();
    const noAccept = (h: Record<string, string>): RampartRequest => {
      const r = req('/api/auth/register', h);
      delete (r.headers as Record<string, string>)['accept'];
      return r;
    };
    const low = await engine.decide(req('/api/auth/register'));
    assert.equal(low.challenge!.level, 0);
    const high = await engine.decide(noAccept({}));
    assert.equal(high.risk, 60);
    assert.equal(high.challenge!.level, 1);
    assert.equal(high.challenge!.challenge.maxnumber, 5000);
    // A pass earned at level 0 does not cover a level-1 request ...
    const pass = (await engine.decide(req('/api/auth/register', { 'rampart-solution': solve(low) }))).headers['rampart-pass']!;
    assert.equal((await engine.decide(noAccept({ 'rampart-pass': pass }))).action, 'challenge');
    // ... nor does a level-0 solution; a level-1 one does, and its pass covers both levels.
    const pass1 = (await engine.decide(noAccept({ 'rampart-solution': solve(high) }))).headers['rampart-pass']!;
    assert.ok(pass1);
    assert.equal((await engine.decide(noAccept({ 'rampart-pass': pass1 }))).action, 'allow');
    assert.equal((await engine.decide(req('/api/auth/register', { 'rampart-pass': pass1 }))).action, 'allow');
  });

  it('records spent solutions through an asynchronous store too (as Redis would)', async () => {
    const memory = createMemoryStore({ maxKeys: 1000 });
    const store: HotStore = {
      kind: 'async-test',
      consume: async (calls, now) => memory.consume(calls, now),
      refund: async (r, now) => memory.refund(r, now),
      reset: async (t, k) => memory.reset(t, k),
      stats: () => memory.stats(),
      close: async () => memory.close(),
    };
    const { engine } = setup(store);
    const solution = solve(await engine.decide(req('/api/auth/register')));
    assert.equal((await engine.decide(req('/api/auth/register', { 'rampart-solution': solution }))).action, 'allow');
    assert.equal((await engine.decide(req('/api/auth/register', { 'rampart-solution': solution }))).action, 'challenge');
  });

  it('keeps challenging when the store fails while a solution is checked', async () => {
    const failing: HotStore = { ...createMemoryStore({ maxKeys: 1000 }), kind: 'failing', consume: () => Promise.reject(new Error('down')) };
    const { engine } = setup();
    const solution = solve(await engine.decide(req('/api/auth/register')));
    const broken = createEngine({ policy: parsePolicy(POLICY, { env: {} }), clock: new VirtualClock(T0), logger: silentLogger, store: failing });
    const d = await broken.decide(req('/api/auth/register', { 'rampart-solution': solution }));
    assert.equal(d.action, 'challenge');
    assert.ok(d.reasons.includes('error:RAMPART_ERR_STORE'));
  });

  it('answers a navigating browser with the interstitial page', async () => {
    const { engine } = setup();
    const nav = await engine.decide(req('/api/checkout', { accept: 'text/html,application/xhtml+xml' }));
    const refusal = refusalFor(nav)!;
    assert.equal(refusal.status, 403);
    assert.match(refusal.headers['content-type']!, /^text\/html/);
    assert.match(refusal.body, /<noscript>/);
    assert.match(refusal.body, /function rampartSolve/);
    assert.doesNotMatch(refusal.body, /<script[^>]+src=/);
  });

  it('enforces nothing for a monitored challenge rule', async () => {
    const clock = new VirtualClock(T0);
    const engine = createEngine({ policy: parsePolicy(`rules:\n  - { name: c, action: challenge, monitor: true }\n`, { env: {} }), clock, logger: silentLogger });
    const d = await engine.decide(req('/x'));
    assert.equal(d.action, 'allow');
    assert.equal(d.intended, 'challenge');
    assert.equal(d.challenge ?? null, null);
  });
});

describe('policy: challenge and tarpit settings', () => {
  const problems = (yaml: string): string => {
    try {
      createEngine({ policy: parsePolicy(yaml, { env: {} }), logger: silentLogger });
      return '';
    } catch (err) {
      return (err as Error).message;
    }
  };

  it('names each mistake with its path', () => {
    const message = problems(`
challenge:
  expires: 2s
  difficulty: [{ risk: 10, max_number: 5000 }, { risk: 5, max_number: 9000 }]
tarpit: { delay: 2m }
rules:
  - { name: a, action: deny, group: g }
`);
    assert.match(message, /challenge\.difficulty\[0\]\.risk: the first difficulty level must start at risk 0/);
    assert.match(message, /challenge\.difficulty\[1\]\.risk: difficulty levels must be listed by increasing `risk`/);
    assert.match(message, /challenge\.expires: a challenge must live at least 10s/);
    assert.match(message, /tarpit\.delay: at most 60s/);
    assert.match(message, /rules\[0\]\.group: `group` only applies to `action: challenge`/);
    assert.match(problems('challenge: { secret: short }\n'), /challenge\.secret: the challenge secret must be at least 32 characters/);
  });

  it('warns, when a front door asks, that challenges are signed with a per-process key', () => {
    const warned: string[] = [];
    const logger = { ...silentLogger, warn: (_o: object, msg?: string) => void warned.push(msg ?? '') };
    createEngine({ policy: parsePolicy('rules:\n  - { name: c, action: challenge }\n', { env: {} }), logger }).warnIfUnsharedSecret();
    createEngine({ policy: parsePolicy(`challenge: { secret: "${SECRET}" }\nrules:\n  - { name: c, action: challenge }\n`, { env: {} }), logger }).warnIfUnsharedSecret();
    createEngine({ policy: parsePolicy('rules:\n  - { name: d, action: deny }\n', { env: {} }), logger }).warnIfUnsharedSecret();
    assert.equal(warned.length, 1);
    assert.match(warned[0]!, /challenge\.secret is not set/);
  });
});

describe('engine: tarpit', () => {
  it('counts a tarpitted request in the other limits, since it reaches the application', async () => {
    const clock = new VirtualClock(T0);
    const engine = createEngine({
      policy: parsePolicy(`
rules:
  - { name: slow, match: GET /items, key: ip, limit: { rate: 1/min }, action: tarpit }
  - { name: cap, match: GET /items, key: ip, limit: { rate: 3/min } }
`, { env: {} }),
      clock,
      logger: silentLogger,
    });
    const r: RampartRequest = { method: 'GET', url: '/items', headers: {}, ip: '203.0.113.7' };
    const actions: string[] = [];
    for (let i = 0; i < 4; i++) actions.push((await engine.decide(r)).action);
    // 1 allowed, 2 tarpitted (and counted by `cap`), then `cap` throttles the 4th.
    assert.deepEqual(actions, ['allow', 'tarpit', 'tarpit', 'throttle']);
    const d = await engine.decide(r);
    assert.equal(d.status, 429);
  });
});

describe('engine: challenge when something fails', () => {
  it('still accepts a pass while the store is down (a pass needs no store)', async () => {
    const { engine } = setup();
    const pass = (await engine.decide(req('/api/auth/register', { 'rampart-solution': solve(await engine.decide(req('/api/auth/register'))) }))).headers['rampart-pass']!;
    const down: HotStore = { ...createMemoryStore({ maxKeys: 1000 }), kind: 'down', consume: () => Promise.reject(new Error('down')) };
    const policy = `challenge: { secret: "${SECRET}" }\nrules:\n  - { name: signup, match: POST /api/auth/register, limit: { rate: 100/min }, action: challenge, on_store_error: deny, group: accounts }\n`;
    const broken = createEngine({ policy: parsePolicy(policy, { env: {} }), clock: new VirtualClock(T0), logger: silentLogger, store: down });
    const withPass = await broken.decide(req('/api/auth/register', { 'rampart-pass': pass }));
    assert.equal(withPass.action, 'allow');
    assert.ok(withPass.reasons.includes('pass:accounts'));
    const without = await broken.decide(req('/api/auth/register'));
    assert.equal(without.action, 'challenge');
    assert.ok(without.challenge !== null && without.challenge !== undefined);
  });

  it('challenges at the hardest level when scoring risk fails', async () => {
    const failing = { name: 'test.broken', weight: 50, detect: (): string | null => { throw new Error('boom'); } };
    const engine = createEngine({ policy: parsePolicy(POLICY, { env: {} }), clock: new VirtualClock(T0), logger: silentLogger, signals: [...builtinSignals, failing] });
    const d = await engine.decide(req('/api/auth/register'));
    assert.equal(d.action, 'challenge');
    assert.equal(d.challenge!.level, 1);
  });
});
