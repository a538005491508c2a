/**
 * The `--summary` text of `rampart replay`: what the policy would have done to the log, for a person
 * reading a terminal (the per-record output is for tools).
 */
import type { Action } from '../engine/decision.ts';
import type { LabelScore, ReplayStats } from './replay-runner.ts';
import type { TopEntry } from './top-counter.ts';

const ACTIONS: readonly Action[] = ['allow', 'deny', 'throttle', 'challenge', 'tarpit'];
const n = new Intl.NumberFormat('en-US');

function share(count: number, total: number): string {
  return total === 0 ? '' : ` (${((count * 100) / total).toFixed(count * 1000 < total && count > 0 ? 2 : 1)}%)`;
}

function ratio(r: number | null): string {
  return r === null ? 'n/a' : r.toFixed(3);
}

function table(rows: readonly (readonly [string, string])[], indent = '  '): string[] {
  const width = Math.max(0, ...rows.map(([a]) => a.length));
  return rows.map(([a, b]) => `${indent}${a.padEnd(width)}  ${b}`);
}

function topLines(title: string, entries: readonly TopEntry[]): string[] {
  if (entries.length === 0) return [`${title}: none`];
  // Space-Saving counts are upper bounds once more identities were seen than it keeps counters for.
  return [`${title}:`, ...table(entries.map((e) => [e.key, e.overestimate === 0 ? n.format(e.count) : `≤ ${n.format(e.count)}`]))];
}

function labelLines(s: LabelScore): string[] {
  return [
    `labels (mitigated = any action but allow): precision ${ratio(s.precision)}, recall ${ratio(s.recall)}, false-positive rate ${ratio(s.falsePositiveRate)}`,
    `  true positives ${n.format(s.truePositives)}, false positives ${n.format(s.falsePositives)}, true negatives ${n.format(s.trueNegatives)}, false negatives ${n.format(s.falseNegatives)}`,
  ];
}

/**
 * The summary as lines of text ending in `\n`.
 *
 * @example
 * process.stderr.write(formatSummary(await runReplay(options)));
 * // replay: 1,000,000 records in 5.21 s (191,939 records/s)
 * // actions: allow 990,112 (99.0%), deny 812 (0.08%), throttle 9,076 (0.9%), …
 */
export function formatSummary(stats: ReplayStats): string {
  const total = stats.records;
  const decided = total - stats.errors;
  const lines = [
    `replay: ${n.format(total)} record${total === 1 ? '' : 's'} in ${(stats.elapsedMs / 1000).toFixed(2)} s (${n.format(Math.round(stats.recordsPerSecond))} records/s)`,
  ];
  if (stats.errors > 0) lines.push(`errors: ${n.format(stats.errors)} could not be parsed${share(stats.errors, total)}`);
  lines.push(`actions: ${ACTIONS.map((a) => `${a} ${n.format(stats.actions[a])}${share(stats.actions[a], decided)}`).join(', ')}`);
  const rules = [...stats.rules].sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1));
  if (rules.length === 0) lines.push('rules: none fired');
  else {
    lines.push('decisions by rule:');
    lines.push(...table(rules.map(([rule, count]) => [rule, `${n.format(count)}${stats.monitoredRules.has(rule) ? ' (monitored in the policy: enforced here, output has "monitor":true)' : ''}`])));
  }
  lines.push(...topLines('top mitigated IPs', stats.topIps));
  lines.push(...topLines('top mitigated networks (ip_prefix)', stats.topPrefixes));
  if (stats.topAsns === null) lines.push('top mitigated ASNs: needs an ASN source in the policy\'s `intel` section');
  else lines.push(...topLines('top mitigated ASNs', stats.topAsns));
  if (stats.labels !== null) lines.push(...labelLines(stats.labels));
  return `${lines.join('\n')}\n`;
}
