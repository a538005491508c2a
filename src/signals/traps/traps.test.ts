import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { VirtualClock } from '../../engine/clock.ts';
import { createEngine } from '../../engine/engine.ts';
import type { Engine } from '../../engine/engine.ts';
import type { Decision } from '../../engine/decision.ts';
import type { RequestHeaders } from '../../engine/request-context.ts';
import { silentLogger } from '../../logger.ts';
import { parsePolicy } from '../../policy/load-policy.ts';
import { createMemoryStore } from '../../stores/memory/memory-store.ts';
import type { HotStore } from '../../stores/types.ts';

const POLICY = `
traps:
  routes: [/.env, /wp-login.php, /api/v0/admin/**]
  ban: 10m
rules:
  - name: api
    match: /api/**
    limit: { rate: 100/min }
`;

const SCRIPT: RequestHeaders = { host: 'shop', 'user-agent': 'python-requests/2.32.3', 'accept-encoding': 'gzip, deflate', accept: '*/*', connection: 'keep-alive' };
const CHROME: RequestHeaders = {
  host: 'shop',
  'user-agent': 'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36',
  accept: 'text/html',
  'accept-encoding': 'gzip, deflate, br',
  'accept-language': 'en-US,en;q=0.9',
};

function setup(yaml = POLICY, store?: HotStore, clock = new VirtualClock(0)): { engine: Engine; clock: VirtualClock } {
  return { engine: createEngine({ policy: parsePolicy(yaml, { env: {} }), clock, logger: silentLogger, ...(store ? { store } : {}) }), clock };
}

function get(engine: Engine, url: string, ip: string, headers: RequestHeaders = SCRIPT): Decision {
  return engine.evaluate({ method: 'GET', url, headers, ip }) as Decision;
}

describe('traps', () => {
  it('refuses a trap hit and then every request from that IP, on any route, until the ban ends', () => {
    const { engine, clock } = setup();
    const hit = get(engine, '/.env', '203.0.113.7');
    assert.deepEqual([hit.action, hit.status, hit.rule, hit.reasons], ['deny', 403, 'trap', ['trap:hit']]);
    const after = get(engine, '/api/products', '203.0.113.7', CHROME);
    assert.deepEqual([after.action, after.reasons], ['deny', ['trap:banned']]);
    assert.equal(get(engine, '/api/products', '198.51.100.9', CHROME).action, 'allow');
    clock.advance(10 * 60_000);
    assert.equal(get(engine, '/api/products', '203.0.113.7', CHROME).action, 'allow');
  });

  it('matches trap routes on the canonical path, so other spellings are caught too', () => {
    const { engine } = setup();
    for (const [i, url] of ['/%2eenv', '//WP-LOGIN.php', '/api/v0/admin/users/1', '/api/./v0/admin'].entries()) {
      assert.deepEqual(get(engine, url, `203.0.113.${i + 1}`).reasons, ['trap:hit'], url);
    }
  });

  it('follows a script to its next IP by header fingerprint, but never bans a browser fingerprint', () => {
    const { engine } = setup();
    get(engine, '/wp-login.php', '203.0.113.7', SCRIPT);
    assert.deepEqual(get(engine, '/api/products', '198.51.100.1', SCRIPT).reasons, ['trap:banned']);
    // A browser hitting a trap bans its IP only: other people with the same browser are not affected.
    get(engine, '/wp-login.php', '203.0.113.8', CHROME);
    assert.equal(get(engine, '/api/products', '198.51.100.2', CHROME).action, 'allow');
  });

  it('holds across engines that share a store (instances behind one load balancer)', () => {
    const store = createMemoryStore({ maxKeys: 1000 });
    const clock = new VirtualClock(0);
    const a = setup(POLICY, store, clock).engine;
    const b = setup(POLICY, store, clock).engine;
    get(a, '/.env', '203.0.113.7', CHROME);
    assert.deepEqual(get(b, '/api/products', '203.0.113.7', CHROME).reasons, ['trap:banned']);
  });

  it('in monitor mode records hits and bans and refuses nothing', () => {
    const { engine } = setup(POLICY.replace('ban: 10m', 'ban: 10m\n  monitor: true'));
    const hit = get(engine, '/.env', '203.0.113.7');
    assert.deepEqual([hit.action, hit.intended, hit.reasons], ['allow', 'deny', ['trap:hit', 'monitor:trap']]);
    assert.deepEqual(get(engine, '/api/products', '203.0.113.7').reasons, ['trap:banned', 'monitor:trap']);
  });

  it('names the path of a bad trap route or ban', () => {
    assert.throws(() => setup('traps: { routes: ["/ok", "no-slash"], ban: 500ms }'), (err: Error) => {
      assert.match(err.message, /traps\.ban: a ban lasts at least 1s/);
      assert.match(err.message, /traps\.routes\[1\]: /);
      return true;
    });
  });
});
