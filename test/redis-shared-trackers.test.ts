// Two and three engines over one real Redis (127.0.0.1:6379), as instances behind a load balancer:
// the behaviour signals and the login-attack baseline judge what all of them saw, through the Redis
// store's shared trackers. Fails, never skips, without Redis.
import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { Redis } from 'ioredis';
import { VirtualClock } from '../src/engine/clock.ts';
import { createEngine } from '../src/engine/engine.ts';
import type { Engine } from '../src/engine/engine.ts';
import { silentLogger } from '../src/logger.ts';
import { parsePolicy } from '../src/policy/load-policy.ts';
import { createRedisStore } from '../src/stores/redis/redis-store.ts';
import { deleteKeys, listKeys } from './support/redis-server.ts';

const client = new Redis({ host: '127.0.0.1', port: 6379, maxRetriesPerRequest: 1 });
const ROOT = `rampart-test:${process.pid}:shared:`;
let runs = 0;

after(async () => {
  await deleteKeys(client, `${ROOT}*`);
  client.disconnect();
});

const POLICY = parsePolicy(
  `
logins:
  routes: [POST /api/auth/login]
  failure: [401]
  attack: { window: 1m, baseline: 1h, factor: 4, min_failures: 30, cooldown: 15m }
rules:
  - name: id-walkers
    match: GET /api/users/:id
    when:
      - any: [{ signal: ids.sequential }, { signal: responses.misses }]
    action: challenge
  - name: logins-under-attack
    match: POST /api/auth/login
    when:
      - signal: login.under-attack
    action: challenge
`,
  { env: {} },
);

/** `n` engines, each with its own Redis store (as on its own machine), sharing one prefix and one clock. */
function instances(n: number): { engines: Engine[]; clock: VirtualClock; prefix: string } {
  const prefix = `${ROOT}${++runs}:`;
  const clock = new VirtualClock(Date.parse('2026-11-23T10:00:00Z'));
  const engines = Array.from({ length: n }, () => createEngine({ policy: POLICY, clock, logger: silentLogger, store: createRedisStore({ client, prefix, time: 'caller' }) }));
  return { engines, clock, prefix };
}

describe('shared trackers through Redis', () => {
  it('sees an id walk that round-robin balancing splits between two instances, and keeps one log per client', async () => {
    const { engines, clock, prefix } = instances(2);
    const actions: string[] = [];
    for (let id = 1; id <= 14; id++) {
      const engine = engines[id % 2]!;
      const d = await engine.decide({ method: 'GET', url: `/api/users/${id}`, headers: {}, ip: '198.51.100.23' });
      actions.push(d.action);
      if (d.action === 'allow') engine.observe(d, 403);
      await engine.settle();
      clock.advance(1_500 + (id % 3) * 2_000);
    }
    // Ten ids in a row (five on each instance) are known once the 10th is answered, by the instance
    // that answered it; the other learns them with its own next answer. Neither alone sees a run.
    assert.deepEqual(actions.slice(0, 11), Array(11).fill('allow'));
    assert.deepEqual(actions.slice(11), ['challenge', 'challenge', 'challenge']);
    const log = `${prefix}t#{b:198.51.100.23}`;
    assert.deepEqual((await listKeys(client, `${prefix}t#*`)).sort(), [log, `${log}w`]);
    assert.equal(await client.llen(log), 11); // the answered requests; challenged ones teach nothing
  });

  it('raises login.under-attack on every instance from failures none of them sees enough of alone', async () => {
    const { engines, clock } = instances(3);
    for (let i = 0; i < 36; i++) {
      const engine = engines[i % 3]!;
      const d = await engine.decide({ method: 'POST', url: '/api/auth/login', headers: {}, ip: `203.0.113.${i}` });
      engine.observe(d, 401);
      await engine.settle();
      clock.advance(1_500);
    }
    for (const engine of engines) {
      const d = await engine.decide({ method: 'POST', url: '/api/auth/login', headers: {}, ip: '192.0.2.77' });
      assert.equal(d.action, 'challenge');
    }
  });
});
