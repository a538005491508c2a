/**
 * `rampart intel lookup <ip>` and `rampart intel stats`: what the IP intelligence of a policy (or, without
 * `--config`, of the installed ip-location-db packages and the bundled hosting list) says, and the state
 * of each source. Nothing is fetched unless `stats --refresh` asks for it.
 */
import { formatIp, parseIp } from '../net/ip.ts';
import { Intel } from '../intel/intel.ts';
import type { SourceStats } from '../intel/intel.ts';
import { refreshAll } from '../intel/feed-refresh.ts';
import { intelBaseDir } from '../intel/shared-intel.ts';
import { loadPolicyFile, parsePolicy } from '../policy/load-policy.ts';
import type { IntelDocument } from '../policy/schema.ts';
import { ExitCode, parseCommandArgs, UsageError } from './args.ts';
import type { CliIo, Command } from './args.ts';
import { configErrorLines } from './config-report.ts';

const USAGE = 'rampart intel lookup <ip> [--config <file>] [--json] | rampart intel stats [--config <file>] [--refresh]';

/** Without a policy: whatever ASN table and country database are installed, and the bundled hosting list. */
const DEFAULT_INTEL = `
intel:
  sources:
    - { name: asn, kind: asn-csv, optional: true }
    - { name: country, kind: mmdb-country, optional: true }
`;

function loadIntel(config: string | undefined, io: CliIo): Intel | null {
  try {
    if (config === undefined) return new Intel(parsePolicy(DEFAULT_INTEL).intel as IntelDocument);
    const doc = loadPolicyFile(config, { env: io.env }).intel;
    if (doc === undefined) throw new UsageError(`intel: ${config} has no \`intel\` section (see docs/intel.md)`);
    return new Intel(doc, { baseDir: intelBaseDir(config) });
  } catch (err) {
    if (err instanceof UsageError) throw err;
    const lines = configErrorLines(config ?? 'intel', err);
    if (lines === null) throw err;
    io.stderr.write(`${lines.join('\n')}\n`);
    return null;
  }
}

const n = new Intl.NumberFormat('en-US');

function age(ms: number | null, now: number): string {
  if (ms === null) return '-';
  const s = Math.max(0, Math.round((now - ms) / 1000));
  if (s < 120) return `${s}s`;
  if (s < 7200) return `${Math.round(s / 60)}m`;
  if (s < 172_800) return `${Math.round(s / 3600)}h`;
  return `${Math.round(s / 86_400)}d`;
}

function bytes(b: number): string {
  return b < 1024 * 1024 ? `${(b / 1024).toFixed(1)} KiB` : `${(b / 1024 / 1024).toFixed(1)} MiB`;
}

function columns(rows: readonly (readonly string[])[]): string {
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => r[i]!.length)));
  return rows.map((r) => r.map((c, i) => (i === r.length - 1 ? c : c.padEnd(widths[i]!))).join('  ')).join('\n') + '\n';
}

function lastRefresh(s: SourceStats, now: number): string {
  if (s.lastAttempt === null) return '-';
  const when = `${age(s.lastAttempt, now)} ago`;
  return s.lastError === null ? `${when}, ok` : `${when}, failed: ${s.lastError}`;
}

function lookup(intel: Intel, text: string, json: boolean, io: CliIo): number {
  const parsed = parseIp(text);
  if (parsed === null) throw new UsageError(`intel lookup: not an IP address: ${text}`);
  const ip = formatIp(parsed);
  const a = intel.lookup(ip)!;
  const country = a.country;
  if (json) {
    io.stdout.write(`${JSON.stringify({ ip, categories: a.categories(), asn: a.asn === 0 ? null : a.asn, org: a.org, country, countrySource: a.countrySource, matches: a.matches })}\n`);
    return ExitCode.OK;
  }
  const asnSource = a.matches.find((m) => m.category === null)?.source;
  const rows: string[][] = [
    ['ip', ip],
    ['categories', a.categories().join(', ') || 'none'],
    ['asn', a.asn === 0 ? 'unknown' : `AS${a.asn} ${a.org ?? ''} (${asnSource})`],
    ['organisation', a.org ?? 'unknown'],
    ['country', country === null ? 'unknown' : `${country} (${a.countrySource})`],
  ];
  a.matches.forEach((m, i) => rows.push([i === 0 ? 'sources' : '', `${m.source}: ${m.category === null ? `AS${a.asn} ` : `${m.category}: `}${m.label}`]));
  if (a.matches.length === 0) rows.push(['sources', 'no source knows this address']);
  io.stdout.write(columns(rows));
  return ExitCode.OK;
}

async function stats(intel: Intel, refresh: boolean, io: CliIo): Promise<number> {
  if (refresh) {
    const results = await refreshAll(intel);
    for (const [name, result] of results) io.stderr.write(`rampart: ${name}: ${result}\n`);
  }
  const now = intel.clock.now();
  const rows: string[][] = [['source', 'kind', 'category', 'entries', 'ranges', 'memory', 'age', 'last refresh', 'from']];
  for (const s of intel.stats()) {
    rows.push([s.name, s.kind, s.category ?? '-', n.format(s.entries), n.format(s.ranges), bytes(s.bytes), age(s.loadedAt, now), lastRefresh(s, now), s.origin]);
  }
  rows.push(['hosting-asns', 'bundled', 'datacenter', n.format(intel.hosting.size), '-', '-', '-', '-', 'src/intel/data/hosting-asns.json + policy']);
  io.stdout.write(columns(rows));
  const failed = intel.stats().filter((s) => s.lastError !== null).length;
  return refresh && failed > 0 ? ExitCode.FAILURE : ExitCode.OK;
}

/**
 * @example
 * // rampart intel lookup 5.9.1.1 --config rampart.yaml
 * // rampart intel stats --config rampart.yaml --refresh
 */
export const intelCommand: Command = async (args, io) => {
  const { values, positionals } = parseCommandArgs(
    'intel',
    args,
    { config: { type: 'string', short: 'c' }, json: { type: 'boolean', default: false }, refresh: { type: 'boolean', default: false } },
    2,
  );
  const [sub, ip] = positionals;
  if (sub === 'lookup') {
    if (ip === undefined) throw new UsageError(`intel lookup needs an address: ${USAGE}`);
    if (values.refresh) throw new UsageError('intel lookup: --refresh belongs to intel stats');
  } else if (sub === 'stats') {
    if (ip !== undefined) throw new UsageError(`intel stats: unexpected argument ${ip}`);
    if (values.json) throw new UsageError('intel stats: --json belongs to intel lookup');
  } else throw new UsageError(sub === undefined ? `intel needs a subcommand: ${USAGE}` : `intel: unknown subcommand ${sub}: ${USAGE}`);
  const intel = loadIntel(values.config, io);
  if (intel === null) return ExitCode.FAILURE;
  if (values.config === undefined && intel.sources.every((s) => s.data === null && s.mmdb === null)) {
    io.stderr.write('rampart: no ASN table or country database installed (npm install @ip-location-db/asn); only the hosting list is used\n');
  }
  return sub === 'lookup' ? lookup(intel, ip!, values.json, io) : stats(intel, values.refresh, io);
};
