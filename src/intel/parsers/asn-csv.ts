/**
 * The ASN table of `@ip-location-db/asn` (and any file in its format): one range per line,
 * `first,last,asn,organisation`, addresses as text (`1.0.0.0,1.0.0.255,13335,"Cloudflare, Inc."`) or,
 * in the `-num` variants, as decimal numbers. The organisation may be quoted CSV (`""` for a quote).
 */
import { ParseError } from '../source-data.ts';
import type { SourceData } from '../source-data.ts';
import { RangeSetBuilder } from '../range-set-builder.ts';

function unquote(field: string): string {
  if (field.length >= 2 && field.charCodeAt(0) === 34 && field.charCodeAt(field.length - 1) === 34) return field.slice(1, -1).replaceAll('""', '"');
  return field;
}

const DECIMAL = /^\d+$/;

/**
 * Parses the whole file; any line that is not a range throws {@link ParseError} (a truncated download
 * must not replace a good table).
 *
 * @example
 * const data = parseAsnCsv('1.0.0.0,1.0.0.255,13335,"Cloudflare, Inc."\n');
 * data.asns![data.set.lookup('1.0.0.1')]; // 13335
 */
export function parseAsnCsv(text: string): SourceData {
  const builder = new RangeSetBuilder();
  const index = new Map<string, number>();
  const labels: string[] = [];
  const asns: number[] = [];
  let entries = 0;
  let n = 0;
  let at = 0;
  const length = text.length;
  while (at < length) {
    let end = text.indexOf('\n', at);
    if (end < 0) end = length;
    n++;
    let lineEnd = end;
    if (lineEnd > at && text.charCodeAt(lineEnd - 1) === 13) lineEnd--;
    if (lineEnd > at) {
      const c1 = text.indexOf(',', at);
      const c2 = c1 < 0 || c1 >= lineEnd ? -1 : text.indexOf(',', c1 + 1);
      const c3 = c2 < 0 || c2 >= lineEnd ? -1 : text.indexOf(',', c2 + 1);
      if (c3 < 0 || c3 >= lineEnd) throw new ParseError(n, 'expected first,last,asn,organisation');
      const first = text.slice(at, c1);
      const last = text.slice(c1 + 1, c2);
      // `asn,organisation` as written is the key: one slice per line, parsed only when new.
      const key = text.slice(c2 + 1, lineEnd);
      let value = index.get(key);
      if (value === undefined) {
        const asnText = text.slice(c2 + 1, c3);
        if (!DECIMAL.test(asnText)) throw new ParseError(n, `not an ASN: ${JSON.stringify(asnText.slice(0, 20))}`);
        value = labels.length;
        labels.push(unquote(text.slice(c3 + 1, lineEnd)));
        asns.push(Number(asnText));
        index.set(key, value);
      }
      let ok: boolean;
      if (DECIMAL.test(first) && DECIMAL.test(last)) ok = addNumeric(builder, first, last, value);
      else ok = builder.addRange(first, last, value);
      if (!ok) throw new ParseError(n, `not an IP range: ${JSON.stringify(`${first},${last}`.slice(0, 100))}`);
      entries++;
    }
    at = end + 1;
  }
  // Labels are slices of `text`, which V8 would keep whole (30 MB) for their sake: copy them out.
  return { set: builder.build(), labels: JSON.parse(JSON.stringify(labels)) as string[], asns: Uint32Array.from(asns), entries };
}

/** The `-num` variants: decimal bounds; below 2^32 is IPv4 (the files are split by version). */
function addNumeric(builder: RangeSetBuilder, first: string, last: string, value: number): boolean {
  const a = BigInt(first);
  const b = BigInt(last);
  if (a > b || b >= 1n << 128n) return false;
  if (b <= 0xffffffffn && first.length <= 10) builder.add4(Number(a), Number(b), value);
  else builder.add6(a, b, value);
  return true;
}
