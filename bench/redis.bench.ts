// Redis-backed limiting: rampart's Redis store against rate-limiter-flexible's RateLimiterRedis and
// rate-limit-redis (the express-rate-limit store), on the same Redis, the same keys, in one run.
//
//   npm run bench:redis               (writes the "redis" section of BENCHMARKS.md)
//   npm run bench:redis -- --quick    (smaller run, prints only)
//   RAMPART_BENCH_REDIS=redis://host:6379 npm run bench:redis
//
// Every contender gets its own ioredis client with the same options (ioredis defaults plus
// enableAutoPipelining, which rampart turns on for the client it makes from `state.redis`). Keys: 10,000 client
// addresses, taken in turn. Redis commands per decision come from `INFO commandstats` deltas:
// "sent" counts the scripts the client sent (EVALSHA/EVAL), "executed" adds the commands those
// scripts ran inside Redis.
import { Redis } from 'ioredis';
import { RedisStore as RateLimitRedisStore } from 'rate-limit-redis';
import { RateLimiterRedis } from 'rate-limiter-flexible';
import { createEngine } from '../src/engine/engine.ts';
import { fixedWindow } from '../src/limiters/fixed-window.ts';
import { silentLogger } from '../src/logger.ts';
import { parsePolicy } from '../src/policy/load-policy.ts';
import { createRedisStore } from '../src/stores/redis/redis-store.ts';
import type { RedisScriptClient } from '../src/stores/redis/redis-store.ts';
import type { LimitTable } from '../src/stores/types.ts';
import { fmtOps, machine, writeSection } from './lib/harness.ts';

const quick = process.argv.includes('--quick');
const URL = process.env['RAMPART_BENCH_REDIS'] ?? 'redis://127.0.0.1:6379';
const KEYS = 10_000;
const ips = Array.from({ length: KEYS }, (_, i) => `10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}`);
const ROUNDS = quick ? 1 : 4;
const OPS: Record<number, number> = quick ? { 1: 2_000, 64: 10_000, 256: 10_000 } : { 1: 10_000, 64: 60_000, 256: 60_000 };
const FLOOD_OPS = quick ? 10_000 : 50_000;

type Decide = (i: number) => Promise<unknown>;
interface Contender {
  name: string;
  decide: Decide;
  /** Decides with 90% of the traffic on one key whose limit (100/min) is long exceeded. */
  flood?: Decide;
  /** Waits for work the contender does after its decisions (rampart's shared trackers), counted in its run. */
  settle?: () => Promise<void>;
}

const admin = new Redis(URL);
const clients: Redis[] = [];
const client = (): Redis => {
  const c = new Redis(URL, { enableAutoPipelining: true });
  clients.push(c);
  return c;
};

async function commandStats(): Promise<Map<string, number>> {
  const text = await admin.info('commandstats');
  const out = new Map<string, number>();
  for (const m of text.matchAll(/^cmdstat_([^:]+):calls=(\d+)/gm)) out.set(m[1]!, Number(m[2]));
  return out;
}

function delta(before: Map<string, number>, after: Map<string, number>): { sent: number; executed: number } {
  let sent = 0;
  let executed = 0;
  for (const [name, calls] of after) {
    if (name === 'info') continue;
    const d = calls - (before.get(name) ?? 0);
    executed += d;
    if (name === 'evalsha' || name === 'eval' || name === 'evalsha_ro' || name === 'eval_ro') sent += d;
  }
  return { sent, executed };
}

/** Runs `ops` decisions with `concurrency` loops in flight; returns decisions per second. */
async function drive(decide: Decide, ops: number, concurrency: number, offset: number): Promise<number> {
  let next = 0;
  const start = process.hrtime.bigint();
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < ops) await decide(offset + next++);
    }),
  );
  return ops / (Number(process.hrtime.bigint() - start) / 1e9);
}

const prefix = `bench:${process.pid}:`;
const big = { limit: 1_000_000_000, windowMs: 60_000, burst: 1_000_000_000 };
const perIp: LimitTable = { id: 'per-ip', algorithm: fixedWindow, spec: big, penaltyMs: 0 };
const floodTable: LimitTable = { id: 'flood', algorithm: fixedWindow, spec: { limit: 100, windowMs: 60_000, burst: 100 }, penaltyMs: 60_000 };
const floodKey = (i: number): string => (i % 10 === 0 ? ips[i % KEYS]! : '203.0.113.66');

function rampartStore(name: string, blockCacheMaxKeys: number): Contender {
  const store = createRedisStore({ client: client() as unknown as RedisScriptClient, prefix: `${prefix}${name}:`, blockCacheMaxKeys });
  return {
    name: blockCacheMaxKeys > 0 ? 'rampart Redis store' : 'rampart Redis store, block cache off',
    decide: (i) => store.consume([{ table: perIp, key: ips[i % KEYS]!, cost: 1 }], 0),
    flood: (i) => store.consume([{ table: floodTable, key: floodKey(i), cost: 1 }], Date.now()),
  };
}

let engineErrors = 0;
/** The engine with three limits; `observe`: it also reports each answer, which the behaviour trackers share through Redis. */
function rampartEngine(observe: boolean): Contender {
  const policy = parsePolicy(`
rules:
  - { name: per-ip, limit: { rate: 1000000000/min, algorithm: fixed-window } }
  - { name: per-prefix, key: ip_prefix, limit: { rate: 1000000000/min } }
  - { name: global, key: global, limit: { rate: 1000000000/min, algorithm: gcra } }
`);
  // The same client as the others (the store made from `state.redis` adds a 50 ms command timeout,
  // which a saturated benchmark machine would hit).
  const store = createRedisStore({ client: client() as unknown as RedisScriptClient, prefix: `${prefix}engine${observe ? 'o' : ''}:` });
  const engine = createEngine({ policy, store, logger: silentLogger });
  const requests = ips.map((ip, i) => ({ method: 'GET', url: `/api/items/${i}`, headers: {}, ip }));
  return {
    name: observe ? 'rampart engine, 3 limits + observe (shared trackers)' : 'rampart engine, 3 limits per request',
    decide: (i) =>
      engine.decide(requests[i % KEYS]!).then((d) => {
        if (d.error !== null) engineErrors++;
        else if (observe) engine.observe(d, 200);
      }),
    settle: () => engine.settle(),
  };
}

function flexible(blockCache: boolean): Contender {
  const options = { storeClient: client(), keyPrefix: `${prefix}rlf${blockCache ? 'b' : ''}`, points: 1_000_000_000, duration: 60 };
  const limiter = new RateLimiterRedis(options);
  const flood = new RateLimiterRedis({ ...options, keyPrefix: `${options.keyPrefix}f`, points: 100, blockDuration: 60, ...(blockCache ? { inMemoryBlockOnConsumed: 100 } : {}) });
  return {
    name: blockCache ? 'rate-limiter-flexible, inMemoryBlockOnConsumed' : 'rate-limiter-flexible RateLimiterRedis',
    decide: (i) => limiter.consume(ips[i % KEYS]!),
    // Refusals reject with a RateLimiterRes.
    flood: (i) => flood.consume(floodKey(i)).catch(() => undefined),
  };
}

async function rateLimitRedis(): Promise<Contender> {
  const c = client();
  const make = async (p: string): Promise<RateLimitRedisStore> => {
    const store = new RateLimitRedisStore({ sendCommand: (...args: string[]) => c.call(args[0]!, ...args.slice(1)) as never, prefix: p });
    store.init({ windowMs: 60_000 } as never);
    await store.incrementScriptSha;
    return store;
  };
  const store = await make(`${prefix}rlr:`);
  const flood = await make(`${prefix}rlrf:`);
  return {
    name: 'rate-limit-redis (express-rate-limit store)',
    decide: (i) => store.increment(ips[i % KEYS]!),
    flood: (i) => flood.increment(floodKey(i)),
  };
}

const contenders: Contender[] = [rampartStore('store', 10_000), rampartEngine(false), flexible(false), await rateLimitRedis(), rampartEngine(true)];
const floodContenders: Contender[] = [contenders[0]!, rampartStore('nocache', 0), contenders[2]!, flexible(true), contenders[3]!];

// Warm-up: connections, script loads, JIT.
for (const c of contenders) await drive(c.decide, 2_000, 16, 0);

interface Row {
  opsPerSec: number[];
  sent: number;
  executed: number;
  ops: number;
}
const table = new Map<string, Row>();
let offset = 0;
for (const concurrency of [1, 64, 256]) {
  for (let round = 0; round < ROUNDS; round++) {
    // Each round starts with a different contender: the first after a pause runs on a colder machine.
    for (let k = 0; k < contenders.length; k++) {
      const c = contenders[(k + round) % contenders.length]!;
      const ops = OPS[concurrency]!;
      const before = await commandStats();
      const rate = await drive(c.decide, ops, concurrency, offset);
      await c.settle?.();
      const d = delta(before, await commandStats());
      offset += ops;
      const key = `${c.name}@${concurrency}`;
      const row = table.get(key) ?? { opsPerSec: [], sent: 0, executed: 0, ops: 0 };
      row.opsPerSec.push(rate);
      row.sent += d.sent;
      row.executed += d.executed;
      row.ops += ops;
      table.set(key, row);
      console.log(`${c.name.padEnd(48)} c=${String(concurrency).padStart(3)}  ${fmtOps(rate).padStart(12)}/s  sent ${(d.sent / ops).toFixed(3)}  executed ${(d.executed / ops).toFixed(3)}`);
    }
  }
}

const floods: { name: string; sent: number; executed: number; ops: number }[] = [];
for (const c of floodContenders) {
  const before = await commandStats();
  await drive(c.flood!, FLOOD_OPS, 64, 0);
  const d = delta(before, await commandStats());
  floods.push({ name: c.name, sent: d.sent, executed: d.executed, ops: FLOOD_OPS });
  console.log(`flood: ${c.name.padEnd(48)} scripts sent ${d.sent}, commands executed ${d.executed}`);
}

const mean = (xs: number[]): number => xs.reduce((s, x) => s + x, 0) / xs.length;
const rateOf = (name: string, c: number): number => mean(table.get(`${name}@${c}`)!.opsPerSec);
const flexName = contenders[2]!.name;
const rows = contenders.map((c) => {
  const r1 = table.get(`${c.name}@1`)!;
  const all = [1, 64, 256].map((k) => table.get(`${c.name}@${k}`)!);
  const sent = all.reduce((s, r) => s + r.sent, 0) / all.reduce((s, r) => s + r.ops, 0);
  const executed = all.reduce((s, r) => s + r.executed, 0) / all.reduce((s, r) => s + r.ops, 0);
  void r1;
  return `| ${c.name} | ${fmtOps(rateOf(c.name, 1))} | ${fmtOps(rateOf(c.name, 64))} | ${fmtOps(rateOf(c.name, 256))} | ${(rateOf(c.name, 256) / rateOf(flexName, 256)).toFixed(2)}× | ${sent.toFixed(2)} | ${executed.toFixed(2)} |`;
});
const noCache = floods.find((f) => f.name === 'rate-limiter-flexible RateLimiterRedis')!;
const floodRows = floods.map((f) => `| ${f.name} | ${(f.sent / f.ops).toFixed(4)} | ${(f.executed / f.ops).toFixed(3)} | ${(noCache.sent / f.sent).toFixed(0)}× | ${(noCache.executed / f.executed).toFixed(1)}× |`);
const ours = rateOf(contenders[0]!.name, 256) / rateOf(flexName, 256);
const sentAt = (name: string, c: number): number => {
  const r = table.get(`${name}@${c}`)!;
  return r.sent / r.ops;
};
const engineName = contenders[1]!.name;
const ourFlood = floods[0]!;

const markdown = `## Redis store

Command: \`npm run bench:redis\` (${machine()}; Redis ${(await admin.info('server')).match(/redis_version:(\S+)/)?.[1] ?? '?'} on 127.0.0.1, same machine).
Every contender has its own ioredis client with the same options (defaults plus \`enableAutoPipelining\`,
which rampart sets on the client it makes from \`state.redis\`), on the same Redis, with the same
keys (10,000 client addresses in turn) and a limit that is never reached; ${ROUNDS} interleaved
round(s) per concurrency, each starting with a different contender, mean shown. "Scripts sent" and "commands executed" per decision are
\`INFO commandstats\` deltas over all runs: sent = EVALSHA/EVAL from the client (one round trip
each), executed = those plus the commands the scripts ran inside Redis. The last row also reports
every answer (\`observe\`, each request to its own \`/api/items/<n>\`): the behaviour trackers then add
an entry to each client's shared log in Redis, in batches off the request path (docs/detection.md,
"Shared trackers"); its scripts and commands count in that row, and the run waits for them to finish.

| contender | decisions/s c=1 | c=64 | c=256 | vs rate-limiter-flexible at c=256 | scripts sent per decision | commands executed per decision |
| --- | ---: | ---: | ---: | ---: | ---: | ---: |
${rows.join('\n')}

**Flood:** ${FLOOD_OPS.toLocaleString('en-US')} requests at concurrency 64, 90% of them from one key whose
limit (100/min, then a 60 s penalty / \`blockDuration\`) is long exceeded; the other 10% spread over
10,000 keys. rampart's store coalesces the requests of one tick into one script per round trip, so
even without its block cache it sends far fewer scripts; the block cache also keeps the flood's
requests from reaching Redis at all (compare the commands executed).

| limiter | scripts sent per request | commands executed per request | fewer scripts than rate-limiter-flexible without block cache | fewer commands executed |
| --- | ---: | ---: | ---: | ---: |
${floodRows.join('\n')}

Goals (issue 4):

| goal | result |
| --- | --- |
| ≤ 1 round trip and ≤ 1 Redis command sent per decision, for up to 3 limits | a request with 3 limits: one EVALSHA, one round trip; ${sentAt(engineName, 1).toFixed(2)} scripts sent per decision at concurrency 1, ${sentAt(engineName, 256).toFixed(3)} at 256 (requests of one tick share a script) |
| ≥ 1.2× rate-limiter-flexible's throughput at concurrency 256 | ${ours.toFixed(2)}× |
| under the flood, ≥ 10× fewer Redis calls than a limiter without a local block cache | ${(noCache.sent / ourFlood.sent).toFixed(0)}× fewer scripts and ${(noCache.executed / ourFlood.executed).toFixed(1)}× fewer commands executed than rate-limiter-flexible without its block cache; ${(floods[1]!.sent / ourFlood.sent).toFixed(1)}× fewer scripts and ${(floods[1]!.executed / ourFlood.executed).toFixed(1)}× fewer commands than rampart with \`block_cache.max_keys: 0\` |
`;

if (engineErrors > 0) console.log(`WARNING: ${engineErrors} engine decisions failed`);
console.log(`\n${markdown}`);
if (!quick) {
  writeSection('redis', markdown);
  console.log('wrote the redis section of BENCHMARKS.md');
}

// Clean up the keys of this run.
let cursor = '0';
do {
  const [nextCursor, keys] = await admin.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 1000);
  cursor = nextCursor;
  if (keys.length > 0) await admin.del(...keys);
} while (cursor !== '0');
for (const c of clients) c.disconnect();
admin.disconnect();
