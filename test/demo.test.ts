// The demo end to end: the shop behind the gateway, run from examples/shop/rampart.yaml exactly as
// `npm start` runs it (only the ports and the decision log's destination come from the environment).
// The login limits throttle whichever way the login path is spelled: the shop routes leniently and
// answers every spelling, so a spelling the gateway failed to canonicalise would be an unlimited
// login. Each scenario connects from its own loopback address (127.0.0.x), so each is its own client.
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { request } from 'node:http';
import type { IncomingHttpHeaders } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { startShop } from '../examples/shop/server.ts';
import type { RunningShop } from '../examples/shop/server.ts';
import { runGateway } from '../src/gateway/run-gateway.ts';
import type { RunningGateway } from '../src/gateway/run-gateway.ts';
import { silentLogger } from '../src/logger.ts';

const POLICY = fileURLToPath(new URL('../examples/shop/rampart.yaml', import.meta.url));

/** The spellings of `POST /api/auth/login` from the engine issue. */
const SPELLINGS = ['//api//auth/login', '/api/./auth/login', '/API/auth/login', '/api/auth/login/', '/api/auth/%6cogin', '/api/auth/login;x=1'];

/** From the policy: `login-per-user` allows 10 failed logins per username, `login-per-ip` 10 per IP; both then penalise for 15 minutes. */
const PER_USER = 10;
const PER_IP = 10;
/** `login-accounts-per-ip`: failed logins on 10 different accounts per IP an hour, then an hour's penalty. */
const ACCOUNTS_PER_IP = 10;
/** `login-addresses-per-account`: 5 different addresses failing on one account an hour, then an hour's penalty. */
const ADDRESSES_PER_ACCOUNT = 5;
const PENALTY_SECONDS = '900';
const WRONG_PASSWORD = 'not-the-password-7f3a';

interface Reply {
  status: number;
  headers: IncomingHttpHeaders;
  body: string;
}

let shop: RunningShop;
let gateway: RunningGateway;
let port: number;
const logDir = mkdtempSync(join(tmpdir(), 'rampart-demo-'));
const decisionLog = join(logDir, 'decisions.jsonl');

before(async () => {
  shop = await startShop({ port: 0 });
  gateway = await runGateway({
    configFile: POLICY,
    // These tests send dozens of failed logins in a second, which the policy would rightly call an
    // attack (`login.under-attack`, tested in src/signals/logins): here the limits are under test.
    env: { ...process.env, SHOP_PORT: String(shop.port), PORT: '0', ADMIN_PORT: '0', LISTEN_HOST: '127.0.0.1', DECISION_LOG: decisionLog, LOGIN_ATTACK_MIN: '100000' },
    logger: silentLogger,
    watch: false,
  });
  port = Number(new URL(gateway.url).port);
});

after(async () => {
  await gateway?.shutdown();
  await shop?.close();
  rmSync(logDir, { recursive: true, force: true });
});

/** One request on its own connection from `client` (a loopback address), with the path sent exactly as given. */
function send(client: string, method: string, path: string, options: { json?: unknown; headers?: Record<string, string> } = {}): Promise<Reply> {
  const body = options.json === undefined ? undefined : JSON.stringify(options.json);
  return new Promise((resolve, reject) => {
    const req = request(
      {
        host: '127.0.0.1',
        port,
        localAddress: client,
        method,
        path,
        agent: false,
        // A person's browser, in Firefox's header order: the policy's detection signals leave it alone.
        headers: {
          'user-agent': 'Mozilla/5.0 (X11; Linux x86_64; rv:133.0) Gecko/20100101 Firefox/133.0',
          accept: 'application/json',
          'accept-language': 'en-GB,en;q=0.5',
          'accept-encoding': 'gzip, deflate, br',
          ...(body === undefined ? {} : { 'content-type': 'application/json', 'content-length': String(Buffer.byteLength(body)) }),
          ...options.headers,
        },
      },
      (res) => {
        let text = '';
        res.setEncoding('utf8').on('data', (s: string) => (text += s));
        res.once('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: text }));
        res.once('error', reject);
      },
    );
    req.once('error', reject);
    req.end(body);
  });
}

// People get their own password wrong in their own ways: each failure a different guess, so only the
// limits under test count them (one password failing for many accounts is spraying: login-per-password).
let guesses = 0;
const login = (client: string, path: string, username: string, password = `${WRONG_PASSWORD}-${guesses++}`) => send(client, 'POST', path, { json: { username, password } });

function assertThrottled(reply: Reply, rule: string, quota: string): void {
  assert.equal(reply.status, 429);
  assert.deepEqual(JSON.parse(reply.body), { error: 'too_many_requests' });
  assert.equal(reply.headers['retry-after'], PENALTY_SECONDS);
  assert.ok(String(reply.headers['ratelimit-policy']).includes(`"${rule}";${quota}`), `ratelimit-policy: ${reply.headers['ratelimit-policy']}`);
  assert.match(String(reply.headers['ratelimit']), new RegExp(`"${rule}";r=0;t=\\d+`));
}

describe('the demo policy in front of the demo shop', { timeout: 60_000 }, () => {
  for (const [i, path] of SPELLINGS.entries()) {
    it(`refuses the 11th failed login for one username sent to ${path}`, async () => {
      const client = `127.0.0.${10 + i}`;
      for (let n = 1; n <= PER_USER; n++) {
        const reply = await login(client, path, `victim-${i}`);
        assert.equal(reply.status, 401, `attempt ${n} reaches the shop, which answers ${path} as the login`);
      }
      assertThrottled(await login(client, path, `victim-${i}`), 'login-per-user', `q=${PER_USER};w=900`);
    });
  }

  it('counts failed logins for one username across every spelling, from rotating clients', async () => {
    // Two clients taking turns: more addresses would meet `login-addresses-per-account` first.
    for (let n = 0; n < PER_USER; n++) assert.equal((await login(`127.0.0.${20 + (n % 2)}`, SPELLINGS[n % SPELLINGS.length]!, ' Target ')).status, 401);
    // Another spelling, another client, another case of the username: still the same counter.
    assertThrottled(await login('127.0.0.30', SPELLINGS[5]!, 'target'), 'login-per-user', `q=${PER_USER};w=900`);
  });

  it('counts failed logins from one client across every spelling and username', async () => {
    const client = '127.0.0.40';
    // Three accounts only: `login-accounts-per-ip` (different accounts per address) stays out of it.
    for (let n = 0; n < PER_IP; n++) assert.equal((await login(client, SPELLINGS[n % SPELLINGS.length]!, `someone-${n % 3}`)).status, 401);
    assertThrottled(await login(client, '/api/auth/login', 'someone-1'), 'login-per-ip', `q=${PER_IP};w=60`);
  });

  it('refuses the 6th address failing on one account within the hour, for an hour', async () => {
    for (let n = 0; n < ADDRESSES_PER_ACCOUNT; n++) assert.equal((await login(`127.0.0.${200 + n}`, '/api/auth/login', 'much-wanted')).status, 401);
    const refused = await login('127.0.0.210', '/api/auth/login', 'much-wanted');
    assert.equal(refused.status, 429);
    assert.equal(refused.headers['retry-after'], '3600');
    assert.match(String(refused.headers['ratelimit']), /"login-addresses-per-account";r=0;/);
  });

  it('locks out for an hour a client that fails on more than 10 different accounts', async () => {
    const client = '127.0.0.41';
    for (let n = 0; n < ACCOUNTS_PER_IP; n++) assert.equal((await login(client, '/api/auth/login', `account-${n}`)).status, 401);
    const refused = await login(client, '/api/auth/login', 'account-new');
    assert.equal(refused.status, 429);
    assert.equal(refused.headers['retry-after'], '3600');
    assert.match(String(refused.headers['ratelimit']), /"login-accounts-per-ip";r=0;/);
  });

  it('follows a script across addresses by its header fingerprint: 5 failed logins, then an hour of 429', async () => {
    // python-requests' own headers, different usernames, a new address every time.
    const script = { 'user-agent': 'python-requests/2.32.3', 'accept-encoding': 'gzip, deflate', accept: '*/*', connection: 'keep-alive' };
    const attempt = (n: number) => send(`127.0.0.${80 + n}`, 'POST', '/api/auth/login', { json: { username: `scripted-target-${n}`, password: WRONG_PASSWORD }, headers: script });
    for (let n = 0; n < 5; n++) assert.equal((await attempt(n)).status, 401);
    const refused = await attempt(5);
    assert.equal(refused.status, 429);
    assert.equal(refused.headers['retry-after'], '3600');
    assert.ok(String(refused.headers['ratelimit-policy']).includes('"login-scripted";q=5;w=600'));
  });

  it('counts failed logins per password across accounts and addresses: spraying', async () => {
    const spray = (n: number) => send(`127.0.0.${100 + n}`, 'POST', '/api/auth/login', { json: { username: `sprayed-${n}`, password: 'Autumn2026!' } });
    for (let n = 0; n < 20; n++) assert.equal((await spray(n)).status, 401);
    const refused = await spray(20);
    assert.equal(refused.status, 429);
    assert.ok(String(refused.headers['ratelimit-policy']).includes('"login-per-password";q=20;w=600'));
  });

  it('forwards a right password and returns a token that the shop accepts', async () => {
    const reply = await login('127.0.0.50', '/api/auth/login', 'bob', 'builder');
    assert.equal(reply.status, 200);
    const { token } = JSON.parse(reply.body) as { token: string };
    assert.equal(typeof token, 'string');
    const me = await send('127.0.0.50', 'GET', '/api/me', { headers: { authorization: `Bearer ${token}` } });
    assert.equal(me.status, 200);
    assert.equal((JSON.parse(me.body) as { username: string }).username, 'bob');
  });

  it('passes the shop\'s 404 for an unknown product through, with the catalogue limit\'s headers', async () => {
    const reply = await send('127.0.0.60', 'GET', '/api/products/5001');
    assert.equal(reply.status, 404);
    assert.deepEqual(JSON.parse(reply.body), { error: 'not_found' });
    assert.ok(String(reply.headers['ratelimit-policy']).includes('"catalogue-per-ip";q=30'));
    assert.equal((await send('127.0.0.60', 'GET', '/api/products/42')).status, 200);
  });

  it('denies scanners\' probes with 403 however they are spelled', async () => {
    for (const path of ['/.env', '/wp-login.php', '/ADMIN//users/', '/admin', '/.git/config', '/%2e%65nv']) {
      const reply = await send('127.0.0.70', 'GET', path);
      assert.equal(reply.status, 403, path);
      assert.deepEqual(JSON.parse(reply.body), { error: 'forbidden' });
      assert.equal(reply.headers['retry-after'], undefined);
    }
  });

  it('logs the refusals, and never a password (checked after shutdown, which flushes the log)', async () => {
    await gateway.shutdown();
    const lines = readFileSync(decisionLog, 'utf8').trimEnd().split('\n');
    assert.ok(lines.length > 0);
    const text = lines.join('\n');
    assert.ok(text.includes('login-per-user'), 'the throttled logins name their rule');
    assert.ok(text.includes('"trap:hit"'), 'the probes of trap routes are logged as trap hits');
    assert.ok(!text.includes(WRONG_PASSWORD), 'no password in the decision log');
    assert.ok(!text.includes('builder'), 'no password in the decision log');
  });
});
