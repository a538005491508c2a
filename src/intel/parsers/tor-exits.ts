/**
 * Tor exit lists, in either format the Tor Project publishes:
 * - the bulk exit list (`https://check.torproject.org/torbulkexitlist`): one address per line;
 * - TorDNSEL (`https://check.torproject.org/exit-addresses`): records of `ExitNode`, `Published`,
 *   `LastStatus` and one or more `ExitAddress <ip> <date> <time>` lines.
 * The format is recognised from the content.
 */
import { forEachLine, LabelledRanges, ParseError } from '../source-data.ts';
import type { SourceData } from '../source-data.ts';

const DNSEL_KEYS = new Set(['ExitNode', 'Published', 'LastStatus', 'ExitAddress']);

/**
 * @example
 * parseTorExits('ExitNode ABC\nExitAddress 192.0.2.9 2026-11-23 10:00:00\n').entries; // 1
 */
export function parseTorExits(text: string, label = 'tor exit'): SourceData {
  const out = new LabelledRanges();
  const dnsel = /^(ExitNode|ExitAddress) /m.test(text);
  forEachLine(text, (line, n) => {
    if (!dnsel) {
      out.cidr(line, label, n);
      return;
    }
    const space = line.indexOf(' ');
    const key = space < 0 ? line : line.slice(0, space);
    if (!DNSEL_KEYS.has(key)) throw new ParseError(n, `unexpected TorDNSEL line starting ${JSON.stringify(key.slice(0, 30))}`);
    if (key !== 'ExitAddress') return;
    const rest = line.slice(space + 1);
    const end = rest.indexOf(' ');
    out.cidr(end < 0 ? rest : rest.slice(0, end), label, n);
  });
  return out.finish();
}
