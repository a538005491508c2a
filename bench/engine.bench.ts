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
// - rampart's own variants: decide() then observe() (what a front door does once the upstream answered:
//   the behaviour tracker learns), and the per-minute rule counting distinct paths (`distinct: path`)
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
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

// Room for every counter and, with `distinct`, every remembered path: nothing is evicted.
const policyText = (distinct: string) => `
state: { memory: { max_keys: ${DISTINCT * 4 + 1000} } }
rules:
  - { name: per-minute, match: GET /api/products/:id, limit: { rate: 1000000000/min${distinct} } }
  - { name: per-hour, match: /api/**, limit: { rate: 1000000000/hour } }
`;
const POLICY = parsePolicy(policyText(''));
const POLICY_DISTINCT = parsePolicy(policyText(', distinct: path'));

interface Case {
  name: string;
  make(): Op;
}

type Variant = 'decide' | 'evaluate' | 'observe' | 'distinct';

const VARIANT_NAMES: Readonly<Record<Variant, string>> = {
  decide: 'rampart decide()',
  evaluate: 'rampart evaluate() (sync)',
  observe: 'rampart decide() + observe(200)',
  distinct: 'rampart decide(), per-minute counting distinct paths',
};

function rampartCase(variant: Variant, key: (i: number) => string, url: (i: number) => string = () => '/api/products/42'): Case {
  return {
    name: VARIANT_NAMES[variant],
    make() {
      const engine = createEngine({ policy: variant === 'distinct' ? POLICY_DISTINCT : POLICY, logger: silentLogger });
      const headers = { 'user-agent': 'bench', accept: '*/*' };
      if (variant === 'evaluate') return (i) => engine.evaluate({ method: 'GET', url: url(i), headers, ip: key(i) });
      if (variant === 'observe') return async (i) => engine.observe(await engine.decide({ method: 'GET', url: url(i), headers, ip: key(i) }), 200);
      return (i) => engine.decide({ method: 'GET', url: url(i), headers, ip: key(i) });
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

type ScenarioName = 'hot' | 'distinct' | 'uncached';

function scenarioCases(name: ScenarioName): Case[] {
  const key = name === 'hot' ? () => '203.0.113.7' : (i: number) => ips[i % DISTINCT]!;
  const url = name === 'uncached' ? (i: number) => `/api/products/${i}` : undefined;
  return [rampartCase('decide', key, url), rampartCase('evaluate', key, url), rlfCase(key), erlCase(key), rampartCase('observe', key, url), rampartCase('distinct', key, url)];
}

/** Child mode: measure one case of one scenario in this fresh process and print the result as JSON. */
async function measureOne(name: ScenarioName, index: number): Promise<void> {
  const c = scenarioCases(name)[index]!;
  const warm = name === 'hot' ? 300_000 : DISTINCT;
  const batches = name === 'hot' ? (quick ? 100 : 300) : quick ? 100 : 500;
  const op = c.make();
  // Warm-up: JIT, and for distinct keys one full pass so every key exists before measuring.
  await measure('warm', op, { batches: Math.ceil(warm / BATCH), batchSize: BATCH });
  globalThis.gc?.();
  const r = await measure(c.name, op, { batches, batchSize: BATCH, offset: warm });
  process.stdout.write(JSON.stringify(r));
}

/**
 * Every case runs in a fresh process: peers keep state alive differently (rate-limiter-flexible holds a
 * timer per key for the whole window), and one case's heap must not slow the next one's GC.
 */
function runScenario(label: string, name: ScenarioName): Result[] {
  const count = scenarioCases(name).length;
  const rounds: Result[][] = Array.from({ length: count }, () => []);
  for (let round = 0; round < ROUNDS; round++) {
    for (let c = 0; c < count; c++) {
      const args = ['--expose-gc', '--max-old-space-size=8192', fileURLToPath(import.meta.url), '--child', name, String(c), ...(quick ? ['--quick'] : [])];
      const out = spawnSync(process.execPath, args, { encoding: 'utf8', maxBuffer: 1 << 20 });
      if (out.status !== 0) throw new Error(`case ${name}/${c} failed: ${out.stderr}`);
      rounds[c]!.push(JSON.parse(out.stdout) as Result);
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

const childAt = process.argv.indexOf('--child');
if (childAt !== -1) {
  await measureOne(process.argv[childAt + 1] as ScenarioName, Number(process.argv[childAt + 2]));
  process.exit(0);
}

const hot = runScenario('1 hot key', 'hot');
const distinct = runScenario(`${DISTINCT.toLocaleString('en')} distinct keys`, 'distinct');
// Worst case for Rampart's (method, URL) lookup cache: no URL ever repeats, so every request
// canonicalises and matches from scratch. Peers do no routing, so only the key matters to them.
const uncached = runScenario(`${DISTINCT.toLocaleString('en')} distinct keys, every URL distinct`, 'uncached');

if (!quick) {
  writeSection(
    'engine',
    `## In-process decision: two limit rules, memory store

Command: \`npm run bench:engine\` (${machine()}). Each case runs in a fresh process (peers keep state
alive differently; one case's heap must not slow another's GC), ${ROUNDS} interleaved rounds; a round is
batches of ${BATCH} sequential decisions after a warm-up (for distinct keys, one full pass over the keys);
median over batches of the mean per decision; throughput over all batches.
The request matches two limit rules (per minute and per hour), limits high enough that every request is allowed.
Peers do the equivalent work: two limiters consumed per request. The last two rows are Rampart alone:
\`observe()\` is what a front door calls once the upstream has answered (refunds for conditional counts,
and the per-client behaviour tracker learns the request); \`distinct: path\` makes the per-minute rule
count distinct paths, which costs a second store entry per (key, path).

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
