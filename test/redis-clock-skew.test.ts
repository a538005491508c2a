// Two engines whose clocks disagree by 5 s share one Redis: the limit is enforced once, exactly,
// because time comes from Redis; refunds use the server time the units were taken at.
import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { Redis } from 'ioredis';
import { VirtualClock } from '../src/engine/clock.ts';
import { createEngine } from '../src/engine/engine.ts';
import { silentLogger } from '../src/logger.ts';
import { parsePolicy } from '../src/policy/load-policy.ts';
import { createRedisStore } from '../src/stores/redis/redis-store.ts';
import type { RedisScriptClient } from '../src/stores/redis/redis-store.ts';
import { deleteKeys } from './support/redis-server.ts';

const PREFIX = `rampart-test:${process.pid}:skew:`;
const client = new Redis({ host: '127.0.0.1', port: 6379 });
after(async () => {
  await deleteKeys(client, `${PREFIX}*`);
  client.disconnect();
});

function engineAt(offsetMs: number, yaml: string) {
  const store = createRedisStore({ client: client as unknown as RedisScriptClient, prefix: PREFIX });
  return createEngine({ policy: parsePolicy(yaml), store, clock: new VirtualClock(Date.now() + offsetMs), logger: silentLogger });
}

describe('distributed time', () => {
  it('enforces one limit across engines whose clocks differ by 5 s', async () => {
    const yaml = `
rules:
  - { name: skewed, key: global, limit: { rate: 10/min, algorithm: token-bucket } }
`;
    const engines = [engineAt(0, yaml), engineAt(5_000, yaml)];
    const actions: string[] = [];
    for (let i = 0; i < 30; i++) actions.push((await engines[i % 2]!.decide({ method: 'GET', url: '/', headers: {}, ip: '192.0.2.1' })).action);
    // A full bucket of 10, then nothing: the 5 s ahead engine must not see 5 s of refill.
    assert.equal(actions.filter((a) => a === 'allow').length, 10);
    assert.deepEqual(actions.slice(0, 10), Array(10).fill('allow'));
  });

  it('gives back units at the server time they were taken, whatever the local clock says', async () => {
    const yaml = `
rules:
  - { name: failures-only, key: global, limit: { rate: 3/min, algorithm: gcra, count: { status: [401] } } }
`;
    const [early, late] = [engineAt(-5_000, yaml), engineAt(5_000, yaml)];
    // Forty successful requests alternate between the engines: each is refunded in full, so none is refused.
    for (let i = 0; i < 40; i++) {
      const engine = i % 2 === 0 ? early : late;
      const d = await engine.decide({ method: 'POST', url: '/login', headers: {}, ip: '192.0.2.2' });
      assert.equal(d.action, 'allow', `request ${i}`);
      engine.observe(d, 200);
      await new Promise((r) => setImmediate(r));
      // Let the refund's round trip finish before the next request.
      await client.ping();
    }
  });
});
