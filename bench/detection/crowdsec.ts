// The CrowdSec hub's access-log tests (../shared/corpora/crowdsec-hub, read-only) replayed through
// examples/crowdsec-equivalent.yaml: for each test folder, does Rampart mitigate the same source
// addresses the hub test expects to be flagged? Logs that Rampart's readers cannot read (formats
// other than nginx/apache combined) are reported as unsupported, not guessed at.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { PolicyDocument } from '../../src/policy/schema.ts';
import { parseNginxLine } from '../../src/replay/nginx-reader.ts';
import { runReplay } from '../../src/replay/replay-runner.ts';
import { Writable } from 'node:stream';

/** Where the corpus sits beside the repository (see /work/shared/corpora/README.md, section 1). */
export const CORPUS_DIR = fileURLToPath(new URL('../../../shared/corpora/crowdsec-hub', import.meta.url));

/** Log types whose lines are nginx/apache `combined` (optionally behind a syslog prefix). */
const COMBINED = new Set(['nginx', 'apache2', 'nginx-proxy-manager']);
/** `Sep 15 16:13:46 host nginx[2869]: ` */
const SYSLOG_PREFIX = /^[A-Z][a-z]{2} +\d{1,2} \d\d:\d\d:\d\d \S+ [^:\s]+: /;

export type Verdict = 'match' | 'missed' | 'extra' | 'missed+extra' | 'unsupported';

export interface CorpusTest {
  readonly test: string;
  readonly log_type: string;
  readonly log_file: string;
  readonly scenarios: readonly string[];
  readonly alerts: readonly { readonly scenario: string; readonly sources: readonly { readonly ip: string; readonly value: string; readonly scope: string }[] }[];
}

export interface TestResult {
  readonly test: string;
  readonly logType: string;
  readonly scenarios: readonly string[];
  readonly expected: readonly string[];
  readonly mitigated: readonly string[];
  /** Rules that mitigated something. */
  readonly rules: readonly string[];
  readonly lines: number;
  readonly unparsable: number;
  readonly verdict: Verdict;
  /** Why a test is unsupported. */
  readonly note?: string;
}

/** One spelling per address: IPv6 compressed and lower-case. */
export function normalizeIp(ip: string): string {
  if (!ip.includes(':')) return ip;
  try {
    return new URL(`http://[${ip}]/`).hostname.slice(1, -1);
  } catch {
    return ip.toLowerCase();
  }
}

/** The verdict for one folder from the expected and the mitigated addresses. */
export function verdictOf(expected: ReadonlySet<string>, mitigated: ReadonlySet<string>): Verdict {
  const missed = [...expected].some((ip) => !mitigated.has(ip));
  const extra = [...mitigated].some((ip) => !expected.has(ip));
  return missed && extra ? 'missed+extra' : missed ? 'missed' : extra ? 'extra' : 'match';
}

class Collect extends Writable {
  readonly lines: string[] = [];
  #rest = '';
  override _write(chunk: Buffer | string, _e: BufferEncoding, cb: () => void): void {
    const parts = (this.#rest + chunk.toString()).split('\n');
    this.#rest = parts.pop()!;
    this.lines.push(...parts);
    cb();
  }
}

/** A line as nginx/apache `combined`, without a syslog prefix (the reader takes vhost_combined as it is). */
export function toCombined(line: string): string {
  return line.replace(SYSLOG_PREFIX, '');
}

/** Replays one test folder's log through `policy` and compares the mitigated addresses with the expected ones. */
export async function runCorpusTest(dir: string, t: CorpusTest, policy: PolicyDocument): Promise<TestResult> {
  const expected = new Set(t.alerts.flatMap((a) => a.sources.map((s) => normalizeIp(s.ip || s.value))));
  const scenarios = t.scenarios.map((s) => s.replace(/^\.\/scenarios\//, '').replace(/\.yaml$/, ''));
  const base = { test: t.test, logType: t.log_type, scenarios, expected: [...expected].sort() };
  const text = readFileSync(join(dir, t.test, t.log_file), 'utf8');
  const raw = text.split('\n').filter((l) => l.trim() !== '');
  if (!COMBINED.has(t.log_type)) {
    return { ...base, mitigated: [], rules: [], lines: raw.length, unparsable: raw.length, verdict: 'unsupported', note: `format not supported (${t.log_type})` };
  }
  const lines = raw.map(toCombined);
  const output = new Collect();
  const stats = await runReplay({ policy, lines, parse: parseNginxLine, output });
  const mitigated = new Set<string>();
  output.lines.forEach((out, i) => {
    if (out.includes('"error"') || out.includes('"action":"allow"')) return;
    const parsed = parseNginxLine(lines[i]!);
    if (parsed.ok) mitigated.add(normalizeIp(parsed.record.ip));
  });
  const result = { ...base, mitigated: [...mitigated].sort(), rules: [...stats.rules.keys()].sort(), lines: lines.length, unparsable: stats.errors };
  if (stats.errors === lines.length) return { ...result, verdict: 'unsupported', note: `no line parses: ${stats.firstError?.error ?? ''}` };
  return { ...result, verdict: verdictOf(expected, mitigated) };
}

/** Every folder of the corpus, in index order; null when the corpus is not there. */
export async function runCrowdsecCorpus(dir: string, policy: PolicyDocument): Promise<TestResult[] | null> {
  const index = join(dir, 'index.json');
  if (!existsSync(index)) return null;
  const tests = JSON.parse(readFileSync(index, 'utf8')) as CorpusTest[];
  const results: TestResult[] = [];
  for (const t of tests) results.push(await runCorpusTest(dir, t, policy));
  return results;
}

/** The markdown of the `crowdsec` section. */
export function crowdsecMarkdown(results: readonly TestResult[] | null, machine: string): string {
  const head = `## CrowdSec hub access-log tests through \`examples/crowdsec-equivalent.yaml\`

Command: \`npm run bench:detection\` (${machine}).`;
  if (results === null) return `${head}\n\nThe corpus (\`../shared/corpora/crowdsec-hub\`) was not found: nothing measured.`;
  const count = (v: Verdict) => results.filter((r) => r.verdict === v).length;
  const supported = results.filter((r) => r.verdict !== 'unsupported');
  const expectedIps = supported.reduce((s, r) => s + r.expected.length, 0);
  const caught = supported.reduce((s, r) => s + r.expected.filter((ip) => r.mitigated.includes(ip)).length, 0);
  const extra = supported.reduce((s, r) => s + r.mitigated.filter((ip) => !r.expected.includes(ip)).length, 0);
  const list = (ips: readonly string[]) => (ips.length === 0 ? '—' : ips.length > 4 ? `${ips.slice(0, 3).join(', ')} +${ips.length - 3}` : ips.join(', '));
  const rows = results.map((r) => {
    const verdict = r.verdict === 'match' ? 'match' : r.verdict === 'unsupported' ? `unsupported: ${r.note ?? ''}` : `**${r.verdict}**`;
    const parse = r.unparsable > 0 && r.verdict !== 'unsupported' ? ` (${r.unparsable} unparsable)` : '';
    return `| ${r.test} | ${r.logType} | ${r.lines}${parse} | ${r.scenarios.join(', ')} | ${list(r.expected)} | ${list(r.mitigated)} | ${verdict} | ${r.rules.join(', ') || '—'} |`;
  });
  return `${head} Each of the ${results.length} hub test folders (read-only; see
\`../shared/corpora/README.md\` §1) has its log replayed on the log's own timestamps with Rampart's nginx
reader (nginx, apache2 and nginx-proxy-manager logs are the \`combined\` format, Apache's \`vhost_combined\`
included; a syslog prefix is cut off),
through a policy that states the hub scenarios' intent with today's rules (\`examples/crowdsec-equivalent.yaml\`,
whose comments say how each scenario maps and what cannot be said yet). An address is *mitigated* when any of
its requests is not allowed; *expected* are the sources of the test's asserted alerts. Verdicts: **match**
(the same set), **missed** (an expected address not mitigated), **extra** (an address mitigated that the test
does not flag), unsupported (a log format Rampart does not read).

Totals: ${count('match')} match, ${count('missed')} missed, ${count('extra')} extra, ${count('missed+extra')} missed and extra, ${count('unsupported')} unsupported
(of ${results.length}). Over the ${supported.length} supported folders, ${caught} of ${expectedIps} expected addresses mitigated; ${extra} addresses mitigated that were not expected.

| test | log | lines | hub scenarios | expected | mitigated | verdict | rules that fired |
| --- | --- | ---: | --- | --- | --- | --- | --- |
${rows.join('\n')}`;
}
