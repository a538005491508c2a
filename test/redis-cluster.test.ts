// The store conformance suite against a real 3-master Redis Cluster started here on spare ports:
// calls of one request land on different slots, so this also checks the per-slot pipeline.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { Cluster } from 'ioredis';
import { fixedWindow } from '../src/limiters/fixed-window.ts';
import { algorithms } from '../src/limiters/registry.ts';
import { runStoreConformance } from '../src/stores/conformance.ts';
import { keySlot } from '../src/stores/redis/key-slot.ts';
import { createRedisStore } from '../src/stores/redis/redis-store.ts';
import type { RedisScriptClient, RedisStore } from '../src/stores/redis/redis-store.ts';
import type { HotStore, LimitTable } from '../src/stores/types.ts';
import { countKeys } from './support/redis-server.ts';
import type { RedisProcess } from './support/redis-server.ts';
import { startRedis } from './support/redis-server.ts';

const nodes: RedisProcess[] = [];
let cluster: Cluster;
let stores = 0;
const prefixes = new WeakMap<HotStore, string>();

before(async () => {
  for (let i = 0; i < 3; i++) nodes.push(await startRedis(['--cluster-enabled', 'yes', '--cluster-config-file', `nodes-${i}.conf`, '--cluster-node-timeout', '2000']));
  const create = spawnSync('redis-cli', ['--cluster', 'create', ...nodes.map((n) => `127.0.0.1:${n.port}`), '--cluster-replicas', '0', '--cluster-yes'], { encoding: 'utf8' });
  assert.equal(create.status, 0, create.stdout + create.stderr);
  // Every node must agree that all slots are served before the suite starts.
  for (const n of nodes) {
    for (let i = 0; ; i++) {
      const info = spawnSync('redis-cli', ['-p', String(n.port), 'cluster', 'info'], { encoding: 'utf8' }).stdout;
      if (info.includes('cluster_state:ok')) break;
      assert.ok(i < 200, `cluster on ${n.port} never became ok`);
      await new Promise((r) => setTimeout(r, 50));
    }
  }
  cluster = new Cluster(nodes.map((n) => ({ host: '127.0.0.1', port: n.port })), { enableAutoPipelining: true });
  await new Promise<void>((resolve, reject) => {
    cluster.once('ready', resolve);
    cluster.once('error', reject);
  });
});

after(async () => {
  cluster?.disconnect();
  for (const n of nodes) await n.stop();
});

async function clusterKeys(pattern: string): Promise<number> {
  let total = 0;
  for (const node of cluster.nodes('master')) total += await countKeys(node, pattern);
  return total;
}

function clusterStore(client: RedisScriptClient = cluster as unknown as RedisScriptClient): RedisStore {
  const prefix = `cl${++stores}:`;
  const store = createRedisStore({ client, cluster: true, prefix, time: 'caller', ttlSlackMs: 600_000 });
  prefixes.set(store, prefix);
  return store;
}

runStoreConformance('redis cluster', () => clusterStore(), Object.values(algorithms), { countKeys: (store) => clusterKeys(`${prefixes.get(store)!}*`), trackers: true });

describe('redis cluster store', () => {
  /** A cluster client that counts the scripts sent. */
  function counting(): { client: RedisScriptClient; scripts: () => number } {
    let scripts = 0;
    const client: RedisScriptClient = {
      evalsha: (sha, n, ...args) => (scripts++, cluster.evalsha(sha, n, ...args)),
      eval: (s, n, ...args) => (scripts++, cluster.eval(s, n, ...args)),
      del: (...keys) => cluster.del(...keys),
    };
    return { client, scripts: () => scripts };
  }
  const keys = ['a', 'b', 'c', 'a'];

  it('sends the calls of one request as one script per slot, in one round trip', async () => {
    const c = counting();
    const store = clusterStore(c.client);
    const t: LimitTable = { id: 'spread', algorithm: fixedWindow, spec: { limit: 5, windowMs: 60_000, burst: 5 }, penaltyMs: 0 };
    const slots = new Set(keys.map((k) => keySlot(`x{${k}}`)));
    assert.equal(slots.size, 3);
    const outcomes = await store.consume(keys.map((key) => ({ table: t, key, cost: 1 })), 0);
    assert.deepEqual(outcomes.map((o) => o.remaining), [4, 4, 4, 3]);
    assert.equal(c.scripts(), 3);
    assert.equal(store.stats().roundTrips, 1);
  });

  it('sends tracker appends and adds on several slots as one script per slot, in one round trip each', async () => {
    const c = counting();
    const store = clusterStore(c.client);
    const logs = await store.trackers.append(keys.map((key, i) => ({ key, entries: [String(i)], capacity: 5, ttlMs: 60_000 })));
    assert.deepEqual(logs, [['0'], ['1'], ['2'], ['0', '3']]);
    assert.deepEqual([c.scripts(), store.stats().roundTrips], [3, 1]);
    const totals = await store.trackers.add(keys.map((key, i) => ({ key, amount: i + 1, ttlMs: 60_000 })));
    assert.deepEqual(totals, [1, 2, 3, 5]);
    assert.deepEqual([c.scripts(), store.stats().roundTrips], [6, 2]);
    assert.equal(await clusterKeys(`${prefixes.get(store)!}*`), 6);
  });

  it('computes the same slot as Redis', async () => {
    for (const key of ['rampart:login:1:{203.0.113.7}', 'plain', 'a{}b', '{user1000}.following', 'ü{ß}']) {
      assert.equal(keySlot(key), await cluster.cluster('KEYSLOT', key), key);
    }
  });
});
