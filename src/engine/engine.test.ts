import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { parsePolicy } from '../policy/load-policy.ts';
import { silentLogger } from '../logger.ts';
import type { Logger } from '../logger.ts';
import type { HotStore, LimitRefund } from '../stores/types.ts';
import type { Signal } from '../signals/types.ts';
import { VirtualClock } from './clock.ts';
import { createEngine } from './engine.ts';
import type { Engine } from './engine.ts';
import type { Decision } from './decision.ts';
import type { RampartRequest } from './request-context.ts';

const T0 = Date.parse('2026-11-23T10:00:00Z');

function setup(yaml: string, extra: { signals?: Signal[]; store?: HotStore; logger?: Logger } = {}): { engine: Engine; clock: VirtualClock } {
  const clock = new VirtualClock(T0);
  const engine = createEngine({ policy: parsePolicy(yaml, { env: {} }), clock, logger: extra.logger ?? silentLogger, ...(extra.signals ? { signals: extra.signals } : {}), ...(extra.store ? { store: extra.store } : {}) });
  return { engine, clock };
}

function req(method: string, url: string, more: Partial<RampartRequest> = {}): RampartRequest {
  return { method, url, headers: {}, ip: '203.0.113.7', ...more };
}

async function run(engine: Engine, r: RampartRequest, times: number): Promise<Decision[]> {
  const out: Decision[] = [];
  for (let i = 0; i < times; i++) out.push(await engine.decide(r));
  return out;
}

const LOGIN = `
rules:
  - name: login
    match: POST /api/auth/login
    limit: { rate: 5/min }
`;

describe('engine: rate limits', () => {
  it('admits 5 logins a minute from one IP and throttles the 6th with Retry-After and RateLimit headers', async () => {
    const { engine } = setup(LOGIN);
    const ds = await run(engine, req('POST', '/api/auth/login'), 6);
    assert.deepEqual(ds.map((d) => d.action), ['allow', 'allow', 'allow', 'allow', 'allow', 'throttle']);
    const last = ds[5]!;
    assert.equal(last.status, 429);
    assert.equal(last.rule, 'login');
    assert.deepEqual(last.reasons, ['limit:login']);
    assert.ok(Number(last.headers['retry-after']) >= 1);
    assert.equal(last.headers['ratelimit-policy'], '"login";q=5;w=60');
    assert.match(last.headers['ratelimit']!, /^"login";r=0;t=\d+$/);
    // Sliding window counter: a unit taken at the start of a window weighs on the estimate until the
    // end of the next one, so the quota is whole again after 120 s.
    assert.equal(ds[0]!.headers['ratelimit'], '"login";r=4;t=120');
  });

  it('admits again once the window has passed', async () => {
    const { engine, clock } = setup(LOGIN);
    await run(engine, req('POST', '/api/auth/login'), 6);
    clock.advance(120_000);
    assert.equal((await engine.decide(req('POST', '/api/auth/login'))).action, 'allow');
  });

  it('counts every spelling of the path against the same limit', async () => {
    const { engine } = setup(LOGIN);
    const spellings = ['//api//auth/login', '/api/./auth/login', '/API/auth/login', '/api/auth/login/', '/api/auth/%6cogin', '/api/auth/login;x=1'];
    for (const url of spellings.slice(0, 5)) assert.equal((await engine.decide(req('POST', url))).action, 'allow', url);
    assert.equal((await engine.decide(req('POST', spellings[5]!))).action, 'throttle');
  });

  it('keeps other routes, methods and IPs out of the login limit', async () => {
    const { engine } = setup(LOGIN);
    await run(engine, req('POST', '/api/auth/login'), 6);
    assert.equal((await engine.decide(req('GET', '/api/auth/login'))).action, 'allow');
    assert.equal((await engine.decide(req('POST', '/api/auth/logout'))).action, 'allow');
    assert.equal((await engine.decide(req('POST', '/api/auth/login', { ip: '198.51.100.1' }))).action, 'allow');
  });

  it('limits by a JSON body field, trimmed and case-folded, across rotating IPs', async () => {
    const { engine } = setup(`
rules:
  - name: per-user
    match: POST /login
    key: body:username
    limit: { rate: 3/hour }
`);
    const names = ['alice', 'Alice', ' ALICE ', 'alice'];
    const ds = [];
    for (let i = 0; i < names.length; i++) ds.push(await engine.decide(req('POST', '/login', { ip: `198.51.100.${i}`, body: { username: names[i] } })));
    assert.deepEqual(ds.map((d) => d.action), ['allow', 'allow', 'allow', 'throttle']);
    assert.equal((await engine.decide(req('POST', '/login', { body: { username: 'bob' } }))).action, 'allow');
  });

  it('groups IPv4 clients by /24 and IPv6 clients by /64 with ip_prefix', async () => {
    const { engine } = setup(`
rules:
  - name: net
    key: ip_prefix
    limit: { rate: 2/min }
`);
    const a = await run(engine, req('GET', '/x', { ip: '192.0.2.1' }), 1);
    const b = await run(engine, req('GET', '/x', { ip: '192.0.2.200' }), 1);
    const c = await engine.decide(req('GET', '/x', { ip: '::ffff:192.0.2.9' }));
    assert.deepEqual([a[0]!.action, b[0]!.action, c.action], ['allow', 'allow', 'throttle']);
    await run(engine, req('GET', '/x', { ip: '2001:db8:1:2::1' }), 2);
    assert.equal((await engine.decide(req('GET', '/x', { ip: '2001:db8:1:2:ffff::9' }))).action, 'throttle');
    assert.equal((await engine.decide(req('GET', '/x', { ip: '2001:db8:1:3::1' }))).action, 'allow');
  });

  it('composes keys so that values cannot collide across parts', async () => {
    const { engine } = setup(`
rules:
  - name: pair
    key: [header:x-a, header:x-b]
    limit: { rate: 1/min }
`);
    assert.equal((await engine.decide(req('GET', '/', { headers: { 'x-a': 'p:q', 'x-b': 'r' } }))).action, 'allow');
    assert.equal((await engine.decide(req('GET', '/', { headers: { 'x-a': 'p', 'x-b': 'q:r' } }))).action, 'allow');
    assert.equal((await engine.decide(req('GET', '/', { headers: { 'x-a': 'p', 'x-b': 'q:r' } }))).action, 'throttle');
  });

  it('shares one counter among requests missing a key part, or skips them with if_missing: skip', async () => {
    const shared = setup(`
rules:
  - { name: k, key: api_key, limit: { rate: 1/min } }
`).engine;
    assert.equal((await shared.decide(req('GET', '/', { ip: '192.0.2.1' }))).action, 'allow');
    assert.equal((await shared.decide(req('GET', '/', { ip: '192.0.2.2' }))).action, 'throttle');
    assert.equal((await shared.decide(req('GET', '/', { headers: { 'x-api-key': 'k1' } }))).action, 'allow');
    const skip = setup(`
rules:
  - { name: k, key: api_key, if_missing: skip, limit: { rate: 1/min } }
`).engine;
    assert.deepEqual((await run(skip, req('GET', '/'), 3)).map((d) => d.action), ['allow', 'allow', 'allow']);
  });

  it('applies the cost of a request', async () => {
    const { engine } = setup(`
rules:
  - { name: export, match: GET /export, limit: { rate: 10/min, cost: 4 } }
`);
    assert.deepEqual((await run(engine, req('GET', '/export'), 3)).map((d) => d.action), ['allow', 'allow', 'throttle']);
  });

  it('describes a token bucket in RateLimit-Policy as its burst over the time to refill it', async () => {
    const { engine } = setup(`
rules:
  - { name: api, limit: { rate: 300/min, algorithm: token-bucket, burst: 60 } }
`);
    const d = await engine.decide(req('GET', '/'));
    assert.equal(d.headers['ratelimit-policy'], '"api";q=60;w=12');
    assert.equal(d.headers['ratelimit'], '"api";r=59;t=1');
  });

  it('sends the legacy X-RateLimit trio when asked', async () => {
    const { engine, clock } = setup(`
responses: { rate_limit_headers: legacy }
rules:
  - { name: a, limit: { rate: 10/min, algorithm: fixed-window } }
`);
    const d = await engine.decide(req('GET', '/'));
    assert.equal(d.headers['x-ratelimit-limit'], '10');
    assert.equal(d.headers['x-ratelimit-remaining'], '9');
    assert.equal(d.headers['x-ratelimit-reset'], String(Math.ceil((clock.now() + 60_000) / 1000)));
    assert.equal(d.headers['ratelimit'], undefined);
  });
});

describe('engine: refused requests', () => {
  it('takes no units from the other limits a refused request passed', async () => {
    const { engine } = setup(`
rules:
  - { name: per-ip, limit: { rate: 2/min } }
  - { name: global, key: global, limit: { rate: 5/min } }
`);
    // One client is throttled by its own limit many times over; the global budget is untouched.
    const flood = await run(engine, req('GET', '/', { ip: '198.51.100.66' }), 20);
    assert.equal(flood.filter((d) => d.action === 'throttle').length, 18);
    const others = [];
    for (let i = 1; i <= 3; i++) others.push((await engine.decide(req('GET', '/', { ip: `192.0.2.${i}` }))).action);
    assert.deepEqual(others, ['allow', 'allow', 'allow']);
  });

  it('lists the signals that fired among the reasons', async () => {
    const { engine } = setup(`
rules:
  - { name: bare, when: [{ signal: headers.no-user-agent }], action: deny }
`);
    const d = await engine.decide(req('GET', '/'));
    assert.deepEqual(d.reasons, ['rule:bare', 'signal:headers.no-user-agent']);
  });

  it('sends no RateLimit headers for a monitored rule', async () => {
    const { engine } = setup(`
rules:
  - { name: trial, limit: { rate: 1/min }, monitor: true }
`);
    const d = await engine.decide(req('GET', '/'));
    assert.equal(d.headers['ratelimit'], undefined);
  });

  it('reads identity headers whatever case the policy writes them in', async () => {
    const { engine } = setup(`
identities: { api_key: { header: X-API-Key } }
rules:
  - { name: k, key: api_key, if_missing: skip, limit: { rate: 1/min } }
`);
    await engine.decide(req('GET', '/', { headers: { 'x-api-key': 'k1' } }));
    assert.equal((await engine.decide(req('GET', '/', { headers: { 'x-api-key': 'k1' } }))).action, 'throttle');
  });
});

describe('engine: counting only some responses', () => {
  const FAILED = `
rules:
  - name: failed-logins
    match: POST /login
    limit: { rate: 3/min, count: { status: [401, 403] } }
`;

  it('counts only failed logins', async () => {
    const { engine } = setup(FAILED);
    for (let i = 0; i < 10; i++) {
      const d = await engine.decide(req('POST', '/login'));
      assert.equal(d.action, 'allow');
      engine.observe(d, 200);
    }
    for (let i = 0; i < 3; i++) {
      const d = await engine.decide(req('POST', '/login'));
      assert.equal(d.action, 'allow');
      engine.observe(d, 401);
    }
    assert.equal((await engine.decide(req('POST', '/login'))).action, 'throttle');
  });

  it('holds units for requests still in flight, so parallel guesses cannot overrun the limit', async () => {
    const { engine } = setup(FAILED);
    const inFlight = await run(engine, req('POST', '/login'), 4);
    assert.deepEqual(inFlight.map((d) => d.action), ['allow', 'allow', 'allow', 'throttle']);
    for (const d of inFlight.slice(0, 3)) engine.observe(d, 200);
    assert.equal((await engine.decide(req('POST', '/login'))).action, 'allow');
  });
});

describe('engine: penalty box', () => {
  it('refuses the key for the penalty duration once the limit is exceeded', async () => {
    const { engine, clock } = setup(`
rules:
  - { name: otp, match: POST /otp, limit: { rate: 2/min, penalty: 15m } }
`);
    await run(engine, req('POST', '/otp'), 3);
    clock.advance(5 * 60_000);
    const blocked = await engine.decide(req('POST', '/otp'));
    assert.equal(blocked.action, 'throttle');
    assert.deepEqual(blocked.reasons, ['penalty:otp']);
    assert.ok(Number(blocked.headers['retry-after']) > 500);
    clock.advance(11 * 60_000);
    assert.equal((await engine.decide(req('POST', '/otp'))).action, 'allow');
  });
});

describe('engine: plain rules and precedence', () => {
  it('denies with 403 and a generic reason', async () => {
    const { engine } = setup(`
rules:
  - { name: no-admin, match: /admin/**, action: deny }
`);
    const d = await engine.decide(req('GET', '/admin/users'));
    assert.equal(d.action, 'deny');
    assert.equal(d.status, 403);
    assert.equal((await engine.decide(req('GET', '/api'))).action, 'allow');
  });

  it('lets an allow rule end evaluation, so later rules do not apply', async () => {
    const { engine } = setup(`
rules:
  - { name: office, when: [{ ip: [192.0.2.0/24] }], action: allow }
  - { name: all, limit: { rate: 1/min } }
`);
    assert.deepEqual((await run(engine, req('GET', '/', { ip: '192.0.2.5' }), 3)).map((d) => d.action), ['allow', 'allow', 'allow']);
    assert.deepEqual((await run(engine, req('GET', '/'), 2)).map((d) => d.action), ['allow', 'throttle']);
  });

  it('chooses the strongest action among the rules that fire', async () => {
    const { engine } = setup(`
rules:
  - { name: tight, limit: { rate: 1/min } }
  - { name: curl, when: [{ header: { name: user-agent, matches: '^curl/', ignore_case: true } }], action: deny }
`);
    const ua = { 'user-agent': 'CURL/8.0' };
    await engine.decide(req('GET', '/', { headers: ua }));
    const d = await engine.decide(req('GET', '/', { headers: ua }));
    assert.equal(d.action, 'deny');
    assert.equal(d.rule, 'curl');
  });

  it('evaluates conditions on method, query, body and identity presence', async () => {
    const { engine } = setup(`
rules:
  - name: guarded
    when:
      - method: [POST]
      - query: { name: debug, equals: '1' }
      - body: { field: user.role, equals: [admin, root] }
      - not: { present: api_key }
    action: deny
`);
    const base = req('POST', '/x?debug=1', { body: { user: { role: 'admin' } } });
    assert.equal((await engine.decide(base)).action, 'deny');
    assert.equal((await engine.decide({ ...base, method: 'PUT' })).action, 'allow');
    assert.equal((await engine.decide({ ...base, url: '/x?debug=0' })).action, 'allow');
    assert.equal((await engine.decide({ ...base, body: { user: { role: 'user' } } })).action, 'allow');
    assert.equal((await engine.decide({ ...base, headers: { 'x-api-key': 'k' } })).action, 'allow');
  });
});

describe('engine: signals and risk', () => {
  const ua: Signal = { name: 'test.scripted', weight: 60, detect: (ctx) => (ctx.header('user-agent')?.startsWith('python') ? 'scripted client' : null) };
  let calls = 0;
  const counted: Signal = { name: 'test.counted', weight: 50, detect: () => (calls++, 'always') };

  it('combines signal weights into a 0–100 risk that rules can test', async () => {
    const { engine } = setup(`
rules:
  - { name: risky, when: [{ risk: { gte: 70 } }], action: deny }
`, { signals: [ua, counted] });
    const d = await engine.decide(req('GET', '/', { headers: { 'user-agent': 'python-requests/2' } }));
    assert.equal(d.action, 'deny');
    assert.equal(d.risk, 80); // 1 - 0.4 * 0.5
    const ok = await engine.decide(req('GET', '/', { headers: { 'user-agent': 'Mozilla/5.0' } }));
    assert.equal(ok.action, 'allow');
    assert.equal(ok.risk, 50);
  });

  it('computes a signal only when a rule needs it', async () => {
    calls = 0;
    const { engine } = setup(`
rules:
  - { name: scripted, match: /api/**, when: [{ signal: test.scripted }], action: deny }
`, { signals: [ua, counted] });
    await engine.decide(req('GET', '/other'));
    await engine.decide(req('GET', '/api/x'));
    assert.equal(calls, 0);
  });

  it('lets the policy override a weight or turn a signal off', async () => {
    const { engine } = setup(`
signals: { test.scripted: { weight: 10 }, test.counted: false }
rules:
  - { name: r, when: [{ risk: { gte: 1 } }], action: deny }
`, { signals: [ua, counted] });
    const d = await engine.decide(req('GET', '/', { headers: { 'user-agent': 'python' } }));
    assert.equal(d.risk, 10);
  });
});

describe('engine: monitor mode', () => {
  it('decides and logs but enforces nothing when the whole policy is in monitor mode', async () => {
    const lines: object[] = [];
    const logger: Logger = { ...silentLogger, info: (obj) => void lines.push(obj) };
    const { engine } = setup(`
mode: monitor
rules:
  - { name: login, match: POST /login, limit: { rate: 1/min } }
  - { name: deny-all, match: /admin, action: deny }
`, { logger });
    const ds = await run(engine, req('POST', '/login'), 2);
    assert.equal(ds[1]!.action, 'allow');
    assert.equal(ds[1]!.intended, 'throttle');
    assert.equal(ds[1]!.monitor, true);
    assert.equal(ds[1]!.rule, 'login');
    assert.deepEqual(ds[1]!.reasons, ['limit:login', 'monitor:login']);
    const admin = await engine.decide(req('GET', '/admin'));
    assert.equal(admin.action, 'allow');
    assert.equal(admin.intended, 'deny');
    assert.equal(lines.length, 2);
  });

  it('monitors one rule while enforcing the others', async () => {
    const { engine } = setup(`
rules:
  - { name: trial, limit: { rate: 1/min }, monitor: true }
  - { name: real, limit: { rate: 3/min } }
`);
    const ds = await run(engine, req('GET', '/'), 4);
    assert.deepEqual(ds.map((d) => d.action), ['allow', 'allow', 'allow', 'throttle']);
    assert.equal(ds[1]!.monitor, true);
    assert.equal(ds[3]!.rule, 'real');
  });
});

describe('engine: failures become decisions', () => {
  const failing: HotStore = {
    kind: 'broken',
    consume: () => Promise.reject(new Error('connection refused')),
    refund: () => undefined,
    reset: () => undefined,
    stats: () => ({ keys: 0, evictions: 0, protectedEvictions: 0, expired: 0 }),
    close: async () => undefined,
  };

  it('fails open or closed per rule when the store is down, and says why', async () => {
    const { engine } = setup(`
rules:
  - { name: open, match: /a, limit: { rate: 5/min } }
  - { name: closed, match: /b, limit: { rate: 5/min }, on_store_error: deny }
`, { store: failing });
    const a = await engine.decide(req('GET', '/a'));
    assert.equal(a.action, 'allow');
    assert.equal(a.error?.code, 'RAMPART_ERR_STORE');
    assert.ok(a.reasons.includes('error:RAMPART_ERR_STORE'));
    const b = await engine.decide(req('GET', '/b'));
    assert.equal(b.action, 'throttle');
    assert.equal(b.rule, 'closed');
  });

  it('limits in-process with the same settings while the store is down (on_store_error: local)', async () => {
    const { engine } = setup(`
rules:
  - { name: near, match: /c, limit: { rate: 3/min, penalty: 1m }, on_store_error: local }
  - { name: wide, match: /c, key: global, limit: { rate: 100/min }, on_store_error: local }
`, { store: failing });
    const ds = await run(engine, req('GET', '/c'), 5);
    assert.deepEqual(ds.map((d) => d.action), ['allow', 'allow', 'allow', 'throttle', 'throttle']);
    assert.deepEqual(ds.map((d) => d.error?.code), Array(5).fill('RAMPART_ERR_STORE'));
    assert.ok(ds[4]!.reasons.includes('penalty:near'));
    // Refused requests took nothing from the global limit: 97 more pass from other addresses.
    const others = [];
    for (let i = 0; i < 98; i++) others.push(await engine.decide(req('GET', '/c', { ip: `198.51.100.${i + 10}` })));
    assert.deepEqual(others.map((d) => d.action).filter((a) => a === 'allow').length, 97);
  });

  it('refunds with the time the store reports, and never a call the store skipped', async () => {
    const refunds: LimitRefund[] = [];
    const skew: HotStore = {
      kind: 'remote',
      consume: (calls) => Promise.resolve(calls.map((c, i) => (i === 0 ? { allowed: false, blocked: true, remaining: 0, resetMs: 5, retryAfterMs: 5, at: 42 } : { allowed: true, blocked: false, remaining: 9, resetMs: 0, retryAfterMs: 0, at: 42, ...(c.key === 'skip' ? { skipped: true } : {}) }))),
      refund: (r) => void refunds.push(...r),
      reset: () => undefined,
      stats: () => ({ keys: 0, evictions: 0, protectedEvictions: 0, expired: 0 }),
      close: async () => undefined,
    };
    const { engine } = setup(`
rules:
  - { name: boxed, match: /d, limit: { rate: 1/min } }
  - { name: taken, match: /d, key: global, limit: { rate: 10/min } }
  - { name: skipped, match: /d, key: header:x-s, limit: { rate: 10/min } }
`, { store: skew });
    const d = await engine.decide(req('GET', '/d', { headers: { 'x-s': 'skip' } }));
    assert.equal(d.action, 'throttle');
    assert.deepEqual(refunds.map((r) => [r.table.id, r.consumedAt]), [['taken', 42]]);
  });

  it('turns a throwing signal into an error decision instead of an exception', async () => {
    const boom: Signal = { name: 'test.boom', weight: 10, detect: () => { throw new Error('bug'); } };
    const { engine } = setup(`
rules:
  - { name: r, when: [{ signal: test.boom }], action: deny }
`, { signals: [boom] });
    const d = await engine.decide(req('GET', '/'));
    assert.equal(d.action, 'allow');
    assert.equal(d.error?.code, 'RAMPART_ERR_SIGNAL');
    const closed = setup(`
on_error: deny
rules:
  - { name: r, when: [{ signal: test.boom }], action: deny }
`, { signals: [boom] }).engine;
    assert.equal((await closed.decide(req('GET', '/'))).action, 'deny');
  });

  it('never throws, whatever the request looks like', async () => {
    const { engine } = setup(`
client_ip: { trusted_proxies: [10.0.0.0/8] }
rules:
  - { name: a, match: /api/**, key: [ip_prefix, header:x-k, body:u.v, query:q], limit: { rate: 5/min } }
  - { name: b, when: [{ header: { name: x, matches: 'a+b' } }], action: deny }
`);
    await fc.assert(
      fc.asyncProperty(
        fc.string(), fc.string(), fc.dictionary(fc.string(), fc.oneof(fc.string(), fc.array(fc.string()))), fc.string(), fc.anything(),
        async (method, url, headers, ip, body) => {
          const d = await engine.decide({ method, url, headers, ip, body });
          assert.ok(['allow', 'deny', 'throttle'].includes(d.action));
        },
      ),
      { numRuns: 300 },
    );
  });
});

describe('engine: client IP', () => {
  const POLICY = `
client_ip: { trusted_proxies: [10.0.0.0/8] }
rules:
  - { name: r, limit: { rate: 1/min } }
`;
  it('ignores X-Forwarded-For from a peer that is not a trusted proxy', async () => {
    const { engine } = setup(POLICY);
    await engine.decide(req('GET', '/', { ip: '198.51.100.9', headers: { 'x-forwarded-for': '192.0.2.1' } }));
    const d = await engine.decide(req('GET', '/', { ip: '198.51.100.9', headers: { 'x-forwarded-for': '192.0.2.2' } }));
    assert.equal(d.action, 'throttle');
    assert.equal(d.context.clientIp, '198.51.100.9');
  });

  it('takes the right-most untrusted address behind a trusted proxy', async () => {
    const { engine } = setup(POLICY);
    const d = await engine.decide(req('GET', '/', { ip: '10.1.1.1', headers: { 'x-forwarded-for': '6.6.6.6, 192.0.2.1, 10.2.2.2' } }));
    assert.equal(d.context.clientIp, '192.0.2.1');
  });
});

describe('engine: reload', () => {
  it('keeps counters across a reload and keeps the old policy when the new one is invalid', async () => {
    const { engine } = setup(LOGIN);
    await run(engine, req('POST', '/api/auth/login'), 5);
    engine.reload(parsePolicy(LOGIN + '  - { name: extra, match: /x, action: deny }\n'));
    assert.equal((await engine.decide(req('POST', '/api/auth/login'))).action, 'throttle');
    assert.throws(() => engine.reload(parsePolicy('rules:\n  - { name: bad, match: "/a/**/b", action: deny }\n')), /rules\[0\]\.match/);
    assert.equal((await engine.decide(req('GET', '/x'))).action, 'deny');
  });
});

describe('engine: needsBody', () => {
  it('asks for the body only on routes whose rules read it', () => {
    const { engine } = setup(`
rules:
  - { name: u, match: POST /login, key: body:username, limit: { rate: 5/min } }
  - { name: ip, limit: { rate: 100/min } }
`);
    assert.equal(engine.needsBody('POST', '/login'), true);
    assert.equal(engine.needsBody('GET', '/products'), false);
  });
});
