/**
 * What a parsed source holds: a range set whose values index per-entry labels, plus, for sources that
 * know them, the ASN of each value. Every parser in `parsers/` returns one.
 */
import { RangeSetBuilder } from './range-set-builder.ts';
import type { RangeSet } from './range-set.ts';

/** A parsed source, immutable; swapped as a whole on refresh. */
export interface SourceData {
  readonly set: RangeSet;
  /** Per value: the label shown in lookups (the ASN's organisation, a cloud region, a list name). */
  readonly labels: readonly string[];
  /** Per value: the ASN, or 0 when the source does not give one. Null for sources without ASNs. */
  readonly asns: Uint32Array | null;
  /** Ranges (or addresses) read from the file, before merging. */
  readonly entries: number;
}

/** A line the parser refused, 1-based; a file with any is rejected as a whole (truncated or broken). */
export class ParseError extends Error {
  override readonly name = 'ParseError';
  readonly line: number;
  constructor(line: number, message: string) {
    super(line > 0 ? `line ${line}: ${message}` : message);
    this.line = line;
  }
}

/**
 * Collects ranges with interned labels; `finish` builds the {@link SourceData}.
 *
 * @example
 * const c = new LabelledRanges();
 * c.cidr('192.0.2.0/24', 'example', 1);
 * const data = c.finish();
 */
export class LabelledRanges {
  readonly builder = new RangeSetBuilder();
  readonly #labels: string[] = [];
  readonly #index = new Map<string, number>();
  #entries = 0;

  /** The value for a label, interned. */
  value(label: string): number {
    let v = this.#index.get(label);
    if (v === undefined) {
      v = this.#labels.length;
      this.#labels.push(label);
      this.#index.set(label, v);
    }
    return v;
  }

  /** Adds a CIDR or address; throws {@link ParseError} naming `line` when it is neither. */
  cidr(text: string, label: string, line: number): void {
    if (!this.builder.addCidr(text, this.value(label))) throw new ParseError(line, `not an IP address or CIDR range: ${JSON.stringify(text.slice(0, 80))}`);
    this.#entries++;
  }

  /** Adds `first`–`last`; throws {@link ParseError} when they are not a range. */
  range(first: string, last: string, label: string, line: number): void {
    if (!this.builder.addRange(first, last, this.value(label))) throw new ParseError(line, `not an IP range: ${JSON.stringify(`${first}-${last}`.slice(0, 80))}`);
    this.#entries++;
  }

  finish(asns: Uint32Array | null = null): SourceData {
    return { set: this.builder.build(), labels: this.#labels, asns, entries: this.#entries };
  }
}

/** Calls `each(line, lineNumber)` for every line without its comment (`#`), trimmed, skipping blank ones. */
export function forEachLine(text: string, each: (line: string, n: number) => void): void {
  let n = 0;
  let at = 0;
  while (at <= text.length) {
    let end = text.indexOf('\n', at);
    if (end < 0) end = text.length;
    n++;
    let line = text.slice(at, end);
    const hash = line.indexOf('#');
    if (hash >= 0) line = line.slice(0, hash);
    line = line.trim();
    if (line !== '') each(line, n);
    at = end + 1;
  }
}
