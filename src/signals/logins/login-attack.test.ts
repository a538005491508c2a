import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { VirtualClock } from '../../engine/clock.ts';
import { createEngine } from '../../engine/engine.ts';
import type { Engine } from '../../engine/engine.ts';
import type { Decision } from '../../engine/decision.ts';
import { silentLogger } from '../../logger.ts';
import { parsePolicy } from '../../policy/load-policy.ts';
import type { HotStore } from '../../stores/types.ts';
import { inProcessTrackers, memoryStoreSharing } from '../../../test/support/shared-trackers.ts';

const POLICY = `
logins:
  routes: [POST /api/auth/login]
  failure: [401]
  attack: { window: 1m, baseline: 1h, factor: 4, min_failures: 30, cooldown: 15m }
rules:
  - name: challenge-logins-under-attack
    match: POST /api/auth/login
    when:
      - signal: login.under-attack
    action: challenge
`;

function setup(clock = new VirtualClock(Date.parse('2026-11-23T10:00:00Z')), store?: HotStore): { engine: Engine; clock: VirtualClock } {
  return { engine: createEngine({ policy: parsePolicy(POLICY, { env: {} }), clock, logger: silentLogger, ...(store && { store }) }), clock };
}

let ip = 0;
/** One login from a fresh address, answered `status` by the application. */
function login(engine: Engine, status: number, url = '/api/auth/login'): Decision {
  const d = engine.evaluate({ method: 'POST', url, headers: {}, ip: `198.51.${(ip >> 8) & 255}.${ip++ & 255}` }) as Decision;
  if (d.action === 'allow') engine.observe(d, status);
  return d;
}

/** `n` failed logins spread over one minute, starting now. */
function failuresOverAMinute(engine: Engine, clock: VirtualClock, n: number): void {
  for (let i = 0; i < n; i++) {
    login(engine, 401);
    clock.advance(Math.floor(60_000 / n));
  }
}

describe('login.under-attack', () => {
  it('rises when a minute has the minimum of failures on a cold start, and falls a cooldown later', () => {
    const { engine, clock } = setup();
    failuresOverAMinute(engine, clock, 29);
    assert.equal(login(engine, 401).action, 'allow'); // the 30th failure raises the state ...
    const next = login(engine, 200);
    assert.equal(next.action, 'challenge'); // ... so the next login is challenged
    assert.ok(next.reasons.includes('signal:login.under-attack'));
    assert.match(next.context.finding('login.under-attack')!.detail, /^login failures: 30 in one 60s window against a usual \d/);
    clock.advance(15 * 60_000);
    assert.equal(login(engine, 200).action, 'allow');
  });

  it('learns the usual failure rate and rises only at `factor` times it', () => {
    const { engine, clock } = setup();
    for (let m = 0; m < 90; m++) failuresOverAMinute(engine, clock, 12); // a busy site: 12 failures a minute
    failuresOverAMinute(engine, clock, 40); // 40 < 4 × 12
    assert.equal(login(engine, 200).action, 'allow');
    failuresOverAMinute(engine, clock, 60); // 60 ≥ 4 × 12
    assert.equal(login(engine, 200).action, 'challenge');
  });

  it('does not learn an attack as the usual rate', () => {
    const { engine, clock } = setup();
    for (let m = 0; m < 30; m++) failuresOverAMinute(engine, clock, 5);
    for (let m = 0; m < 20; m++) failuresOverAMinute(engine, clock, 200); // a long attack
    clock.advance(20 * 60_000);
    assert.equal(login(engine, 200).action, 'allow'); // the cooldown ended
    failuresOverAMinute(engine, clock, 40); // still far above the 5 a minute learnt before the attack
    assert.equal(login(engine, 200).action, 'challenge');
  });

  it('adds up the failures of every instance through the shared store', async () => {
    const clock = new VirtualClock(Date.parse('2026-11-23T10:00:00Z'));
    const run = async (engines: Engine[]): Promise<Decision> => {
      // 36 failures in a minute, a third on each instance: 12 each stays under the 30 of a cold start.
      for (let i = 0; i < 36; i++) {
        login(engines[i % 3]!, 401);
        await engines[i % 3]!.settle();
        clock.advance(1_500);
      }
      return login(engines[0]!, 200);
    };
    const shared = inProcessTrackers();
    const pooled = [0, 1, 2].map(() => setup(clock, memoryStoreSharing(shared)).engine);
    assert.equal((await run(pooled)).action, 'challenge');

    clock.advance(3_600_000);
    const alone = [0, 1, 2].map(() => setup(clock).engine);
    assert.equal((await run(alone)).action, 'allow');
  });

  it('counts only failures on login routes', () => {
    const { engine, clock } = setup();
    for (let i = 0; i < 100; i++) {
      login(engine, 200);
      login(engine, 401, '/api/auth/otp');
      clock.advance(100);
    }
    assert.equal(login(engine, 200).action, 'allow');
  });

  it('names the path of a bad login route or window', () => {
    assert.throws(() => parsePolicy('logins: { routes: [], attack: { factor: 1 } }', { env: {} }), /logins\.routes: .*\n.*logins\.attack\.factor/s);
    assert.throws(
      () => createEngine({ policy: parsePolicy('logins: { routes: ["POST api"], attack: { window: 500ms, baseline: 800ms } }', { env: {} }), logger: silentLogger }),
      (err: Error) => /logins\.routes\[0\]/.test(err.message) && /logins\.attack\.window/.test(err.message) && /logins\.attack\.baseline/.test(err.message),
    );
  });
});
