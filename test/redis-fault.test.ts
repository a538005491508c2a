// Fault injection: a private redis-server is SIGKILLed while load goes through the gateway, then
// started again (empty, so its script cache is gone too). Nothing crashes or hangs, each rule
// behaves as its on_store_error says, and the gateway recovers by itself.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { request } from 'undici';
import { runGateway } from '../src/gateway/run-gateway.ts';
import type { RunningGateway } from '../src/gateway/run-gateway.ts';
import type { Logger } from '../src/logger.ts';
import type { RedisStoreStats } from '../src/stores/redis/redis-store.ts';
import { startUpstream, until } from './gateway/helpers.ts';
import type { Upstream } from './gateway/helpers.ts';
import { startRedis } from './support/redis-server.ts';
import type { RedisProcess } from './support/redis-server.ts';

let redis: RedisProcess;
let upstream: Upstream;
let gateway: RunningGateway;
let dir: string;
const logged: string[] = [];
const logger: Logger = {
  debug: () => undefined,
  info: (_o, msg) => void logged.push(msg ?? ''),
  warn: (_o, msg) => void logged.push(msg ?? ''),
  error: (_o, msg) => void logged.push(msg ?? ''),
};

before(async () => {
  redis = await startRedis();
  upstream = await startUpstream((_req, res) => res.end('ok'));
  dir = mkdtempSync(join(tmpdir(), 'rampart-fault-'));
  const config = join(dir, 'rampart.yaml');
  writeFileSync(config, `
state:
  redis: { url: "${redis.url}", command_timeout: 500ms, connect_timeout: 500ms, breaker: { failures: 3, cooldown: 200ms } }
rules:
  - { name: open, match: /open/**, key: header:x-client, limit: { rate: 1000/min }, on_store_error: allow }
  - { name: closed, match: /closed/**, key: header:x-client, limit: { rate: 1000/min }, on_store_error: deny }
  - { name: local, match: /local/**, key: header:x-client, limit: { rate: 3/min }, on_store_error: local }
gateway: { upstream: "${upstream.url}", listen: { host: 127.0.0.1, port: 0 } }
admin: { enabled: false }
log: { decisions: { enabled: false } }
`);
  gateway = await runGateway({ configFile: config, logger, watch: false });
});

after(async () => {
  await gateway?.shutdown();
  await upstream?.close();
  await redis?.stop();
  if (dir !== undefined) rmSync(dir, { recursive: true, force: true });
});

async function get(path: string, client: string): Promise<number> {
  const res = await request(`${gateway.url}${path}`, { headers: { 'x-client': client }, headersTimeout: 5_000, bodyTimeout: 5_000 });
  await res.body.dump();
  return res.statusCode;
}

const stats = (): RedisStoreStats => gateway.engine.store.stats() as RedisStoreStats;

describe('redis fault injection', () => {
  it('survives SIGKILL of Redis under load and recovers without a restart', async () => {
    assert.equal(await get('/closed/a', 'c0'), 200);

    // Load from 16 clients for the whole test; a request that hangs fails on undici's timeout.
    let stop = false;
    const results: (number | Error)[] = [];
    const load = Promise.all(
      Array.from({ length: 16 }, async (_, w) => {
        for (let i = 0; !stop; i++) {
          try {
            results.push(await get(i % 2 === 0 ? '/open/x' : '/closed/x', `load-${w}-${i}`));
          } catch (err) {
            results.push(err as Error);
          }
        }
      }),
    );
    await until(() => results.length >= 200, 'load before the kill');
    await redis.kill('SIGKILL');
    await until(() => stats().breaker === 'open', 'the breaker to open');

    // Redis is down: each rule as configured.
    assert.equal(await get('/open/y', 'down-1'), 200);
    assert.equal(await get('/closed/y', 'down-1'), 429);
    const local = [];
    for (let i = 0; i < 4; i++) local.push(await get('/local/y', 'down-1'));
    assert.deepEqual(local, [200, 200, 200, 429]);

    const seenBeforeRestart = results.length;
    await until(() => results.length >= seenBeforeRestart + 200, 'load while Redis is down');
    await redis.restart();

    // Back without a restart of the gateway; the empty Redis answers NOSCRIPT once.
    await until(() => stats().connected && stats().breaker === 'closed', 'the store to recover');
    // A loaded machine may still time one out right after the restart: ask until Redis answers.
    let after = await gateway.engine.decide({ method: 'GET', url: '/closed/z', headers: { 'x-client': 'after' }, ip: '127.0.0.1' });
    for (let i = 0; after.error !== null && i < 100; i++) {
      await new Promise((r) => setTimeout(r, 20));
      after = await gateway.engine.decide({ method: 'GET', url: '/closed/z', headers: { 'x-client': `after-${i}` }, ip: '127.0.0.1' });
    }
    assert.equal(after.error, null);
    assert.equal(after.action, 'allow');
    assert.ok(stats().scriptReloads >= 1, 'the script was sent again');
    assert.equal(await get('/closed/z', 'after-2'), 200);

    stop = true;
    await load;
    const errors = results.filter((r) => r instanceof Error);
    assert.deepEqual(errors, [], 'every request was answered');
    assert.ok(results.every((r) => r === 200 || r === 429));
    // Refused only while Redis was away, and only on the fail-closed route.
    assert.ok(results.includes(429));

    for (const msg of ['redis store: connection lost; reconnecting in the background', 'redis store: circuit open, limits fall back as their on_store_error says', 'redis store: connected', 'redis store: circuit closed, Redis answers again']) {
      assert.ok(logged.includes(msg), `logged: ${msg}`);
    }
    assert.ok(stats().disconnects >= 1 && stats().connects >= 2);
  });
});
