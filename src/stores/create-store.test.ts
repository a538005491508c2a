import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { Redis } from 'ioredis';
import { createEngine } from '../engine/engine.ts';
import { silentLogger } from '../logger.ts';
import { createMetrics } from '../observe/metrics.ts';
import { parsePolicy } from '../policy/load-policy.ts';
import { deleteKeys } from '../../test/support/redis-server.ts';

const PREFIX = `rampart-test:${process.pid}:config:`;
const admin = new Redis({ host: '127.0.0.1', port: 6379 });
after(async () => {
  await deleteKeys(admin, `${PREFIX}*`);
  admin.disconnect();
});

describe('state: Redis from the policy file', () => {
  it('reads a redis:// URL as the redis section with its defaults', () => {
    const policy = parsePolicy('state: redis://127.0.0.1:6379/0\n');
    assert.deepEqual(policy.state.redis, {
      url: 'redis://127.0.0.1:6379/0',
      prefix: 'rampart:',
      command_timeout: '50ms',
      connect_timeout: '2s',
      block_cache: { max_keys: 10_000 },
      breaker: { failures: 5, cooldown: '1s' },
    });
    assert.equal(policy.state.memory.max_keys, 1_000_000);
  });

  it('asks for exactly one of url and nodes', () => {
    assert.throws(() => parsePolicy('state: { redis: { prefix: x } }\n'), /exactly one of `url`/);
    assert.throws(() => parsePolicy('state: { redis: { url: "redis://a", nodes: ["redis://b:7000"] } }\n'), /exactly one of `url`/);
    assert.throws(() => parsePolicy('state: http://127.0.0.1\n'), /state/);
  });

  it('decides with Redis when the policy says so, and counts round trips in the metrics', async () => {
    const policy = parsePolicy(`
state: { redis: { url: "redis://127.0.0.1:6379", prefix: "${PREFIX}" } }
rules:
  - { name: three, limit: { rate: 3/min } }
`);
    const engine = createEngine({ policy, logger: silentLogger });
    try {
      assert.equal(engine.store.kind, 'redis');
      await engine.store.ready?.();
      const actions = [];
      for (let i = 0; i < 4; i++) actions.push((await engine.decide({ method: 'GET', url: '/', headers: {}, ip: '192.0.2.44' })).action);
      assert.deepEqual(actions, ['allow', 'allow', 'allow', 'throttle']);
      const text = await createMetrics({ store: engine.store }).render();
      assert.match(text, /rampart_store_round_trips_total \d+/);
      assert.match(text, /rampart_store_up 1/);
    } finally {
      await engine.close();
    }
  });
});
