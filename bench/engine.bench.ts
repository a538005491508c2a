// In-process decision cost: a request that matches two limit rules on the memory store, against the
// limiters a user would pick instead, on the same key pattern, in the same run.
//
//   npm run bench:engine            (writes the "engine" section of BENCHMARKS.md)
//   npm run bench:engine -- --quick (smaller run, prints only)
//
// Cases, each with 1 hot key and with 1,000,000 distinct keys (client IPs):
// - rampart decide(): the full public path (canonical path, route match, two limits, RateLimit headers), awaited
// - rampart evaluate(): the same decision without the promise (what replay uses)
// - rate-limiter-flexible: two RateLimiterMemory.consume() per request, awaited
// - express-rate-limit: two middleware instances (default MemoryStore) called with a minimal req/res
import { rateLimit } from 'express-rate-limit';
import { RateLimiterMemory } from 'rate-limiter-flexible';
import { createEngine } from '../src/engine/engine.ts';
import { silentLogger } from '../src/logger.ts';
import { parsePolicy } from '../src/policy/load-policy.ts';
import { combine, fmtNs, fmtOps, machine, measure, writeSection } from './lib/harness.ts';
import type { Op, Result } from './lib/harness.ts';

const quick = process.argv.includes('--quick');
const DISTINCT = quick ? 100_000 : 1_000_000;
const ROUNDS = quick ? 2 : 3;
const BATCH = 1000;

const ips: string[] = new Array(DISTINCT);
for (let i = 0; i < DISTINCT; i++) ips[i] = `10.${(i >>> 16) & 255}.${(i >>> 8) & 255}.${i & 255}`;

const POLICY = parsePolicy(`
state: { memory: { max_keys: ${DISTINCT * 2 + 1000} } }
rules:
  - { name: per-minute, match: GET /api/products/:id, limit: { rate: 1000000000/min } }
  - { name: per-hour, match: /api/**, limit: { rate: 1000000000/hour } }
`);

interface Case {
  name: string;
  make(): Op;
}

function rampartCase(sync: boolean, key: (i: number) => string, url: (i: number) => string = () => '/api/products/42'): Case {
  return {
    name: sync ? 'rampart evaluate() (sync)' : 'rampart decide()',
    make() {
      const engine = createEngine({ policy: POLICY, logger: silentLogger });
      const headers = { 'user-agent': 'bench', accept: '*/*' };
      return sync
        ? (i) => engine.evaluate({ method: 'GET', url: url(i), headers, ip: key(i) })
        : (i) => engine.decide({ method: 'GET', url: url(i), headers, ip: key(i) });
    },
  };
}

function rlfCase(key: (i: number) => string): Case {
  return {
    name: 'rate-limiter-flexible (2 × RateLimiterMemory)',
    make() {
      const a = new RateLimiterMemory({ points: 1_000_000_000, duration: 60 });
      const b = new RateLimiterMemory({ points: 1_000_000_000, duration: 3600 });
      return async (i) => {
        const k = key(i);
        await a.consume(k);
        await b.consume(k);
      };
    },
  };
}

function erlCase(key: (i: number) => string): Case {
  return {
    name: 'express-rate-limit (2 × middleware, MemoryStore)',
    make() {
      const opts = { windowMs: 60_000, limit: 1_000_000_000, standardHeaders: 'draft-8' as const, legacyHeaders: false, validate: false, keyGenerator: (req: { ip?: string | undefined }) => req.ip! };
      const a = rateLimit(opts);
      const b = rateLimit({ ...opts, windowMs: 3_600_000 });
      const res = { setHeader() {}, getHeader() {}, append() {}, headersSent: false, on() {}, once() {}, status() { return res; }, send() {}, end() {} };
      return (i) =>
        new Promise<void>((resolve, reject) => {
          const req = { ip: key(i), method: 'GET', url: '/api/products/42', headers: {}, app: { get() {} } };
          void a(req as never, res as never, (err?: unknown) => {
            if (err) return reject(err);
            void b(req as never, res as never, (err2?: unknown) => (err2 ? reject(err2) : resolve()));
          });
        });
    },
  };
}

async function runScenario(label: string, key: (i: number) => string, warm: number, batches: number, url?: (i: number) => string): Promise<Result[]> {
  const cases = [rampartCase(false, key, url), rampartCase(true, key, url), rlfCase(key), erlCase(key)];
  const rounds: Result[][] = cases.map(() => []);
  for (let round = 0; round < ROUNDS; round++) {
    for (let c = 0; c < cases.length; c++) {
      const op = cases[c]!.make();
      // Warm-up: JIT, and for distinct keys one full pass so every key exists before measuring.
      await measure('warm', op, { batches: Math.ceil(warm / BATCH), batchSize: BATCH });
      rounds[c]!.push(await measure(cases[c]!.name, op, { batches, batchSize: BATCH, offset: warm }));
      globalThis.gc?.();
    }
  }
  const results = rounds.map(combine);
  console.log(`\n${label}`);
  for (const r of results) console.log(`  ${r.name.padEnd(50)} median ${fmtNs(r.medianNs).padStart(10)}  ${fmtOps(r.opsPerSec).padStart(10)}`);
  return results;
}

function table(results: Result[]): string {
  const base = results[0]!;
  const rows = results.map((r) => `| ${r.name} | ${fmtNs(r.medianNs)} | ${fmtOps(r.opsPerSec)} | ${(base.opsPerSec / r.opsPerSec).toFixed(2)}× |`);
  return ['| case | median per decision | throughput | rampart decide() throughput ÷ this |', '| --- | ---: | ---: | ---: |', ...rows].join('\n');
}

const hot = await runScenario('1 hot key', () => '203.0.113.7', 20_000, quick ? 100 : 300);
const distinct = await runScenario(`${DISTINCT.toLocaleString('en')} distinct keys`, (i) => ips[i % DISTINCT]!, DISTINCT, quick ? 100 : 500);
// Worst case for Rampart's (method, URL) lookup cache: no URL ever repeats, so every request
// canonicalises and matches from scratch. Peers do no routing, so only the key matters to them.
const uncached = await runScenario(`${DISTINCT.toLocaleString('en')} distinct keys, every URL distinct`, (i) => ips[i % DISTINCT]!, DISTINCT, quick ? 100 : 500, (i) => `/api/products/${i}`);

if (!quick) {
  writeSection(
    'engine',
    `## In-process decision: two limit rules, memory store

Command: \`npm run bench:engine\` (${machine()}). Each case: ${ROUNDS} interleaved rounds of batches of ${BATCH}
sequential decisions; median over batches of the mean per decision; throughput over all batches.
The request matches two limit rules (per minute and per hour), limits high enough that every request is allowed.
Peers do the equivalent work: two limiters consumed per request.

### 1 hot key

${table(hot)}

### ${DISTINCT.toLocaleString('en')} distinct keys (each key seen once before measuring)

${table(distinct)}

### ${DISTINCT.toLocaleString('en')} distinct keys, and no URL ever repeats

Rampart caches the canonical path and matched routes per (method, URL), bounded at 4,096 URLs per
method. The rows above hit that cache (one URL); here every request carries a new URL, so every
decision canonicalises and walks the route trie. Real traffic sits between the two.

${table(uncached)}
`,
  );
  console.log('\nwrote the engine section of BENCHMARKS.md');
}
