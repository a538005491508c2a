/**
 * Plain lists of addresses and ranges, one per line: `203.0.113.7`, `198.51.100.0/24`,
 * `2001:db8::/32`, or `first-last` (`192.0.2.10 - 192.0.2.20`). `#` starts a comment, anywhere on
 * the line; blank lines are ignored. Used for VPN and proxy lists and the operator's own lists.
 */
import { forEachLine, LabelledRanges } from '../source-data.ts';
import type { SourceData } from '../source-data.ts';

/**
 * @example
 * parseIpList('# office\n198.51.100.0/24\n10.0.0.1-10.0.0.9\n', 'office').entries; // 2
 */
export function parseIpList(text: string, label: string): SourceData {
  const out = new LabelledRanges();
  forEachLine(text, (line, n) => {
    const dash = line.indexOf('-');
    if (dash > 0) out.range(line.slice(0, dash).trim(), line.slice(dash + 1).trim(), label, n);
    else out.cidr(line, label, n);
  });
  return out.finish();
}
