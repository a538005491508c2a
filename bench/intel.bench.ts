// IP intelligence: build time, memory and lookup latency of Rampart's range set over the full ASN table
// (@ip-location-db/asn, IPv4 and IPv6), against the peers a user would reach for, in the same run:
// - a naive CIDR scan with ipaddr.js (`addr.match(range, bits)` over every CIDR),
// - a naive CIDR scan with netmask (`block.contains(ip)` over every CIDR, IPv4 only: netmask has no IPv6),
// - maxmind mmdb lookups (`reader.get(ip)`) in the ip-location-db country database (a binary trie of the
//   same kind of data; no ASN mmdb is installed, and the lookup cost does not depend on the payload).
//
//   npm run bench:intel            (writes the "intel" section of BENCHMARKS.md)
//   npm run bench:intel -- --quick (smaller run, prints only)
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import ipaddr from 'ipaddr.js';
import { Reader } from 'maxmind';
import { Netmask } from 'netmask';
import { Intel } from '../src/intel/intel.ts';
import { parseAsnCsv } from '../src/intel/parsers/asn-csv.ts';
import { readCompiled, writeCompiled } from '../src/intel/compiled-cache.ts';
import type { SourceData } from '../src/intel/source-data.ts';
import { parsePolicy } from '../src/policy/load-policy.ts';
import { formatIpv4, formatIpv6 } from '../src/net/ip.ts';
import { combine, fmtNs, machine, measure, writeSection } from './lib/harness.ts';
import type { Op, Result } from './lib/harness.ts';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const quick = process.argv.includes('--quick');
const ROUNDS = quick ? 2 : 5;
const require = createRequire(import.meta.url);
const v4File = require.resolve('@ip-location-db/asn/asn-ipv4.csv');
const v6File = require.resolve('@ip-location-db/asn/asn-ipv6.csv');
const mmdbFile = require.resolve('@ip-location-db/geo-whois-asn-country-mmdb/geo-whois-asn-country.mmdb');

const gc = (globalThis as { gc?: () => void }).gc ?? (() => {});
function heapUsed(): number {
  gc();
  gc();
  const m = process.memoryUsage();
  return m.heapUsed + m.arrayBuffers;
}

function time<T>(fn: () => T): { value: T; ms: number } {
  const t = performance.now();
  const value = fn();
  return { value, ms: performance.now() - t };
}

// ── Build ────────────────────────────────────────────────────────────────────────────────────────────
const v4Text = readFileSync(v4File, 'utf8');
const v6Text = readFileSync(v6File, 'utf8');
const before = heapUsed();
const builds: number[] = [];
let built: SourceData | null = null;
for (let r = 0; r < ROUNDS; r++) {
  built = null;
  const t = time(() => parseAsnCsv(`${v4Text}\n${v6Text}`));
  builds.push(t.ms);
  built = t.value;
}
const asn = built!;
const tableBytes = heapUsed() - before;
builds.sort((a, b) => a - b);
const buildMs = builds[Math.floor(builds.length / 2)]!;

const dir = mkdtempSync(join(tmpdir(), 'rampart-bench-intel-'));
writeCompiled(join(dir, 'asn.compiled'), 'bench', asn);
const compiledLoads: number[] = [];
for (let r = 0; r < ROUNDS; r++) compiledLoads.push(time(() => readCompiled(join(dir, 'asn.compiled'), 'bench')).ms);
compiledLoads.sort((a, b) => a - b);
rmSync(dir, { recursive: true });

// Peers: every range of the table as CIDR blocks (ranges need not be aligned, so one range can be several).
function rangeToCidrs4(start: number, end: number, out: [number, number][]): void {
  let s = start;
  while (s <= end) {
    let bits = 32;
    while (bits > 0) {
      const size = 2 ** (32 - bits + 1);
      if (s % size !== 0 || s + size - 1 > end) break;
      bits--;
    }
    out.push([s, bits]);
    s += 2 ** (32 - bits);
  }
}
const cidrs4: [number, number][] = [];
const cidrs6: [bigint, number][] = [];
for (const r of asn.set.entries()) {
  if (r.version === 4) rangeToCidrs4(Number(r.start), Number(r.end), cidrs4);
  else {
    // IPv6 ranges in the table are CIDR-aligned in practice; take the largest aligned block at start.
    let s = r.start;
    while (s <= r.end) {
      let host = 0n;
      while (host < 128n && (s & ((1n << (host + 1n)) - 1n)) === 0n && s + (1n << (host + 1n)) - 1n <= r.end) host++;
      cidrs6.push([s, 128 - Number(host)]);
      s += 1n << host;
    }
  }
}
const v6Text4 = (n: bigint) => {
  const w = [0, 1, 2, 3].map((k) => Number((n >> BigInt(96 - 32 * k)) & 0xffffffffn));
  return formatIpv6(w[0]!, w[1]!, w[2]!, w[3]!);
};

const peerBuild = {
  ipaddr4: time(() => cidrs4.map(([s, bits]) => [ipaddr.parse(formatIpv4(s)), bits] as const)),
  ipaddr6: time(() => cidrs6.map(([s, bits]) => [ipaddr.parse(v6Text4(s)), bits] as const)),
  netmask: time(() => cidrs4.map(([s, bits]) => new Netmask(`${formatIpv4(s)}/${bits}`))),
  mmdb: time(() => new Reader<Record<string, unknown>>(readFileSync(mmdbFile))),
};
const ipaddrList4 = peerBuild.ipaddr4.value;
const ipaddrList6 = peerBuild.ipaddr6.value;
const netmaskList = peerBuild.netmask.value;
const mmdb = peerBuild.mmdb.value;

// ── Lookups ──────────────────────────────────────────────────────────────────────────────────────────
// Random addresses: IPv4 anywhere; IPv6 in 2000::/4 (where the table's ranges are), so most hit a range.
const N = 65_536;
let seed = 42;
const rand32 = () => {
  seed = (Math.imul(seed, 1_103_515_245) + 12_345) >>> 0;
  return seed;
};
const ips4 = Array.from({ length: N }, () => formatIpv4(rand32()));
const ips6 = Array.from({ length: N }, () => formatIpv6((0x20000000 | (rand32() & 0x0fffffff)) >>> 0, rand32(), rand32(), rand32()));

const intel = new Intel(parsePolicy(`intel: { sources: [{ name: asn, kind: asn-csv }] }`).intel!, { baseDir: tmpdir() });

interface Case {
  name: string;
  op: Op;
  /** Slow peers get fewer operations. */
  scale: number;
}
const cases = (ips: string[], v6: boolean): Case[] => [
  { name: 'rampart range set `lookup(text)`', op: (i) => asn.set.lookup(ips[i & (N - 1)]!), scale: 1 },
  { name: 'rampart `intel.lookup(text)` (answer, hosting check)', op: (i) => intel.lookup(ips[i & (N - 1)]!), scale: 1 },
  { name: 'maxmind mmdb `reader.get(text)`', op: (i) => mmdb.get(ips[i & (N - 1)]!), scale: 1 },
  v6
    ? { name: 'ipaddr.js naive scan over every CIDR', op: (i) => { const a = ipaddr.parse(ips[i & (N - 1)]!); return ipaddrList6.find(([r, b]) => a.kind() === r.kind() && a.match(r, b)); }, scale: 1000 }
    : { name: 'ipaddr.js naive scan over every CIDR', op: (i) => { const a = ipaddr.parse(ips[i & (N - 1)]!); return ipaddrList4.find(([r, b]) => a.kind() === r.kind() && a.match(r, b)); }, scale: 1000 },
  ...(v6 ? [] : [{ name: 'netmask naive scan over every CIDR', op: (i: number) => { const ip = ips[i & (N - 1)]!; return netmaskList.find((m) => m.contains(ip)); }, scale: 1000 }]),
];

async function run(ips: string[], v6: boolean): Promise<Result[]> {
  const list = cases(ips, v6);
  const rounds: Result[][] = list.map(() => []);
  for (let r = 0; r < ROUNDS; r++) {
    for (const [k, c] of list.entries()) {
      const batches = c.scale === 1 ? (quick ? 200 : 1000) : quick ? 3 : 6;
      const batchSize = c.scale === 1 ? 1000 : 4;
      await measure(c.name, c.op, { batches: Math.max(2, batches / 10), batchSize, offset: 0 }); // warm-up
      rounds[k]!.push(await measure(c.name, c.op, { batches, batchSize, offset: r * 7919 }));
    }
  }
  return rounds.map(combine);
}

const res4 = await run(ips4, false);
const res6 = await run(ips6, true);

function resultTable(results: Result[]): string {
  const base = results[0]!;
  return [
    '| case | median per lookup | lookups/s | ÷ rampart range set |',
    '| --- | ---: | ---: | ---: |',
    ...results.map((r) => `| ${r.name} | ${fmtNs(r.medianNs)} | ${r.opsPerSec >= 1e6 ? `${(r.opsPerSec / 1e6).toFixed(2)} M` : r.opsPerSec >= 1e3 ? `${(r.opsPerSec / 1e3).toFixed(1)} k` : r.opsPerSec.toFixed(0)} | ${(r.medianNs / base.medianNs).toFixed(1)}× |`),
  ].join('\n');
}

const mib = (b: number) => `${(b / 1024 / 1024).toFixed(1)} MiB`;
const n = (x: number) => x.toLocaleString('en-US');
const section = `## IP intelligence: the full ASN table

Command: \`npm run bench:intel\` (${machine()}). The ASN table of \`@ip-location-db/asn\`:
${n(asn.entries)} ranges (${n(asn.set.size4)} IPv4, ${n(asn.set.size6)} IPv6), ${n(asn.labels.length)} distinct (ASN, organisation) pairs.
Lookups of ${n(N)} pseudo-random addresses per version (IPv4 anywhere, IPv6 in 2000::/4), ${ROUNDS} interleaved rounds,
batches of 1,000 (naive scans: 4) sequential lookups; median over batches of the mean per lookup.
The peers' lists are the same table as ${n(cidrs4.length)} IPv4 and ${n(cidrs6.length)} IPv6 CIDR blocks; the mmdb is the
ip-location-db country database (${n(mmdb.metadata.nodeCount)} trie nodes), as no ASN mmdb is installed.

### Build and memory

| | time | memory |
| --- | ---: | ---: |
| rampart: parse both CSV files and build the range set (median of ${ROUNDS}) | ${buildMs.toFixed(0)} ms | ${mib(asn.set.bytes)} typed arrays; ${mib(tableBytes)} with labels (heap + array buffers) |
| rampart: load the compiled copy from \`cache_dir\` (later starts) | ${compiledLoads[Math.floor(compiledLoads.length / 2)]!.toFixed(0)} ms | same |
| ipaddr.js: parse every CIDR (IPv4 + IPv6) | ${(peerBuild.ipaddr4.ms + peerBuild.ipaddr6.ms).toFixed(0)} ms | |
| netmask: one \`Netmask\` per IPv4 CIDR | ${peerBuild.netmask.ms.toFixed(0)} ms | |
| maxmind: open the mmdb (read into memory) | ${peerBuild.mmdb.ms.toFixed(0)} ms | |

### IPv4 lookups

${resultTable(res4)}

### IPv6 lookups

${resultTable(res6)}
`;
console.log(section);
if (!quick) {
  writeSection('intel', section);
  console.log('\nwrote the intel section of BENCHMARKS.md');
}
