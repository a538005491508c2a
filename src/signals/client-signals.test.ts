import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { VirtualClock } from '../engine/clock.ts';
import { createEngine } from '../engine/engine.ts';
import type { Decision } from '../engine/decision.ts';
import type { RampartRequest, RequestHeaders } from '../engine/request-context.ts';
import { silentLogger } from '../logger.ts';
import { parsePolicy } from '../policy/load-policy.ts';
import { headerFingerprint } from './fingerprint/header-fingerprint.ts';
import { createMemoryStore } from '../stores/memory/memory-store.ts';
import type { LimitCall } from '../stores/types.ts';

const CHROME_UA = 'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36';
const FIREFOX_UA = 'Mozilla/5.0 (X11; Linux x86_64; rv:133.0) Gecko/20100101 Firefox/133.0';

/** What Chrome 131 sends for a fetch() over HTTPS, in its order. */
const CHROME_FETCH: RequestHeaders = {
  host: 'shop.example',
  connection: 'keep-alive',
  'sec-ch-ua-platform': '"Windows"',
  'user-agent': CHROME_UA,
  'sec-ch-ua': '"Google Chrome";v="131", "Chromium";v="131", "Not_A Brand";v="24"',
  'sec-ch-ua-mobile': '?0',
  accept: 'application/json',
  'sec-fetch-site': 'same-origin',
  'sec-fetch-mode': 'cors',
  'sec-fetch-dest': 'empty',
  referer: 'https://shop.example/',
  'accept-encoding': 'gzip, deflate, br, zstd',
  'accept-language': 'en-GB,en;q=0.9',
};

/** What Firefox 133 sends for a fetch(), in its order. */
const FIREFOX_FETCH: RequestHeaders = {
  host: 'shop.example',
  'user-agent': FIREFOX_UA,
  accept: 'application/json',
  'accept-language': 'en-US,en;q=0.5',
  'accept-encoding': 'gzip, deflate, br, zstd',
  referer: 'https://shop.example/',
  connection: 'keep-alive',
  'sec-fetch-dest': 'empty',
  'sec-fetch-mode': 'cors',
  'sec-fetch-site': 'same-origin',
};

/** python-requests with a copied Chrome user agent: its own header order. */
const REQUESTS_AS_CHROME: RequestHeaders = { host: 'shop.example', 'user-agent': CHROME_UA, 'accept-encoding': 'gzip, deflate', accept: '*/*', connection: 'keep-alive', 'accept-language': 'en' };

const POLICY = `
clients:
  - name: shop-app
    user_agent: '^ShopApp/'
    headers: [x-app-version]
rules:
  - name: app
    match: /api/**
    when: [{ client: shop-app }]
    action: allow
  - name: observe-everything
    match: /**
    limit: { rate: 1000/min }
`;

function decide(headers: RequestHeaders, ip = '203.0.113.7', yaml = POLICY): Decision {
  const engine = createEngine({ policy: parsePolicy(yaml, { env: {} }), clock: new VirtualClock(0), logger: silentLogger });
  const r: RampartRequest = { method: 'GET', url: '/api/products', headers, ip };
  const d = engine.evaluate(r) as Decision;
  d.context.risk();
  return d;
}

/** The signals that fired, with their details. */
function fired(headers: RequestHeaders): Record<string, string> {
  return Object.fromEntries(decide(headers).context.findings().map((f) => [f.signal, f.detail]));
}

describe('client identity and header signals', () => {
  it('finds nothing wrong with real Chrome and Firefox requests', () => {
    assert.deepEqual(fired(CHROME_FETCH), {});
    assert.deepEqual(fired(FIREFOX_FETCH), {});
  });

  it('flags a script that copies a browser user agent but not its header order', () => {
    assert.deepEqual(fired(REQUESTS_AS_CHROME), { 'headers.order': 'accept-encoding before accept' });
    // Go's client writes header names sorted: accept before user-agent.
    assert.deepEqual(fired({ host: 'x', accept: '*/*', 'accept-encoding': 'gzip', 'accept-language': 'en', 'user-agent': CHROME_UA }), { 'headers.order': 'user-agent after accept' });
  });

  it('flags a browser user agent without the headers that browser always sends', () => {
    const { 'accept-language': _, ...noLanguage } = CHROME_FETCH;
    assert.equal(fired(noLanguage)['headers.browser-mismatch'], 'chrome without accept-language');
    const { 'sec-ch-ua': __, ...noHints } = CHROME_FETCH;
    assert.equal(fired(noHints)['headers.browser-mismatch'], 'chrome 131 without sec-ch-ua');
    assert.equal(fired({ ...FIREFOX_FETCH, 'sec-ch-ua': '"Chromium";v="131"' })['headers.browser-mismatch'], 'firefox with chromium client hints');
  });

  it('reports HTTP clients, bots, scanners and headless browsers as findings with their weights in the risk', () => {
    assert.deepEqual(fired({ 'user-agent': 'curl/8.10.1', accept: '*/*' }), { 'ua.http-client': 'http client: curl' });
    assert.deepEqual(fired({ 'user-agent': 'Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)', accept: '*/*' }), { 'ua.bot': 'search bot: googlebot' });
    const scan = decide({ 'user-agent': 'sqlmap/1.8.11#stable (https://sqlmap.org)', accept: '*/*' });
    assert.equal(scan.context.risk(), 90);
  });

  it('recognises a declared first-party client: no findings, and `client:` conditions match it', () => {
    const app = decide({ 'user-agent': 'ShopApp/3.2 okhttp/4.12.0', 'x-app-version': '3.2', accept: 'application/json' });
    assert.deepEqual(app.context.findings(), []);
    assert.equal(app.rule, null); // the allow rule ended evaluation before the limit
    assert.equal(app.headers['ratelimit'], undefined);
  });

  it('flags an impostor: the first-party user agent without the header the app always sends', () => {
    const d = decide({ 'user-agent': 'ShopApp/3.2 okhttp/4.12.0', accept: 'application/json' });
    assert.deepEqual(Object.fromEntries(d.context.findings().map((f) => [f.signal, f.detail])), {
      'client.impostor': 'claims shop-app without x-app-version',
      'ua.http-client': 'http client: okhttp',
    });
    assert.equal(d.headers['ratelimit-policy'], '"observe-everything";q=1000;w=60');
  });

  it('rejects a `client:` condition naming an undeclared client, listing the declared ones', () => {
    assert.throws(
      () => createEngine({ policy: parsePolicy('clients: [{ name: shop-app, user_agent: "^ShopApp/" }]\nrules: [{ name: r, when: [{ client: shop-ap }], action: deny }]', { env: {} }), logger: silentLogger }),
      /rules\[0\]\.when\[0\]\.client: no client `shop-ap` is declared under `clients`; declared: shop-app/,
    );
  });
});

describe('header fingerprint', () => {
  it('reads method, cookie, referer, header count and language, then hashes names and values', () => {
    const fp = headerFingerprint('GET', { ...CHROME_FETCH, cookie: 'sid=1' });
    assert.match(fp, /^gecr12engb_[0-9a-f]{12}_[0-9a-f]{12}$/);
    assert.match(headerFingerprint('POST', { 'user-agent': 'curl/8' }), /^ponn010000_/);
  });

  it('follows a client across IPs and cookies, and changes with the header order', () => {
    const a = headerFingerprint('GET', CHROME_FETCH);
    assert.equal(headerFingerprint('GET', { ...CHROME_FETCH, cookie: 'x' }).slice(4), a.slice(4));
    const reordered = Object.fromEntries(Object.entries(CHROME_FETCH).reverse());
    assert.notEqual(headerFingerprint('GET', reordered).split('_')[1], a.split('_')[1]);
  });

  it('keys a limit: one client rotating IPs keeps one counter', () => {
    const yaml = 'rules: [{ name: per-client, key: fingerprint, limit: { rate: 2/min } }]';
    const engine = createEngine({ policy: parsePolicy(yaml, { env: {} }), clock: new VirtualClock(0), logger: silentLogger });
    const actions = ['198.51.100.1', '198.51.100.2', '198.51.100.3'].map((ip) => (engine.evaluate({ method: 'GET', url: '/', headers: REQUESTS_AS_CHROME, ip }) as Decision).action);
    assert.deepEqual(actions, ['allow', 'allow', 'throttle']);
    assert.equal((engine.evaluate({ method: 'GET', url: '/', headers: CHROME_FETCH, ip: '198.51.100.1' }) as Decision).action, 'allow');
  });
});

describe('hmac: key parts (password spraying)', () => {
  const yaml = `
identities: { hash_key: "0123456789abcdef0123456789abcdef" }
rules:
  - name: failures-per-password
    match: POST /api/auth/login
    key: hmac:body:password
    limit: { rate: 3/10min, count: { status: [401] } }
`;
  it('counts failures per password across usernames and addresses, exactly, without the password in the key', () => {
    const store = createMemoryStore({ maxKeys: 100 });
    const keys: string[] = [];
    const spy = { ...store, consume: (calls: readonly LimitCall[], now: number) => (calls.forEach((c) => keys.push(c.key)), store.consume(calls, now)) };
    const engine = createEngine({ policy: parsePolicy(yaml, { env: {} }), clock: new VirtualClock(0), logger: silentLogger, store: spy });
    const attempt = (n: number, password: string) => {
      const d = engine.evaluate({ method: 'POST', url: '/api/auth/login', headers: {}, ip: `198.51.100.${n}`, body: { username: `user${n}`, password } }) as Decision;
      if (d.action === 'allow') engine.observe(d, 401);
      return d.action;
    };
    assert.deepEqual([1, 2, 3, 4].map((n) => attempt(n, 'Summer2026!')), ['allow', 'allow', 'allow', 'throttle']);
    // Another password, even one differing only in case, has its own count.
    assert.equal(attempt(5, 'summer2026!'), 'allow');
    assert.ok(keys.every((k) => /^h:[\w-]{22}$/.test(k) && !k.includes('ummer')), keys.join(' '));
  });
});
