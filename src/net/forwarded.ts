/**
 * Parsers for the headers proxies use to pass on the client address: `X-Forwarded-For`, RFC 7239
 * `Forwarded` and `X-Real-IP`. Each returns the hops left to right (client first, nearest proxy
 * last), every hop either a canonical IP or `null` for anything that is not one (`unknown`,
 * obfuscated `_hidden`, garbage).
 *
 * These headers are attacker-controlled text, so work is bounded and reading starts from the right,
 * where trusted proxies append:
 * - at most {@link MAX_FORWARDED_CHARS} characters are read, counted from the right end across
 *   all instances of the header;
 * - at most {@link MAX_FORWARDED_HOPS} hops are returned, the right-most ones.
 * Whatever lies beyond either bound becomes a single leading `null`. A resolver stops at a `null`,
 * so an oversized header can never let a client pick its identity, and the hops that trusted proxies
 * appended are still read however much junk a client put in front of them.
 *
 * No regular expressions: every scan is a single linear pass over bounded input.
 */
import { canonicalIp } from './ip.ts';

/** Hops kept from the right end of a forwarding header. */
export const MAX_FORWARDED_HOPS = 64;
/** Characters read from the right end of a forwarding header. */
export const MAX_FORWARDED_CHARS = 8192;

/** A header as Node presents it: absent, one value, or one value per repeated header line. */
export type HeaderValue = string | readonly string[] | undefined;

/** One hop: a canonical IP address, or `null` when the entry is not one. */
export type Hop = string | null;

const CH_TAB = 9;
const CH_SPACE = 32;
const CH_QUOTE = 34;
const CH_COMMA = 44;
const CH_SEMICOLON = 59;
const CH_EQUALS = 61;
const CH_BACKSLASH = 92;
const CH_COLON = 58;
const CH_OPEN_BRACKET = 91;
const CH_CLOSE_BRACKET = 93;
const CH_UNDERSCORE = 95;

// Longer than any address with brackets, zone and port; refused before slicing.
const MAX_HOP_TEXT = 128;

/** Like `indexOf` but never looks at or past `end`, so a scan stays inside its element. */
function indexIn(text: string, code: number, start: number, end: number): number {
  for (let i = start; i < end; i++) if (text.charCodeAt(i) === code) return i;
  return -1;
}

function isOws(c: number): boolean {
  return c === CH_SPACE || c === CH_TAB;
}

/** RFC 9110 tchar. */
function isTokenChar(c: number): boolean {
  if ((c >= 48 && c <= 57) || ((c | 0x20) >= 97 && (c | 0x20) <= 122)) return true;
  // ! # $ % & ' * + - . ^ _ ` | ~
  return (
    c === 33 || (c >= 35 && c <= 39) || c === 42 || c === 43 || c === 45 || c === 46 ||
    c === 94 || c === 95 || c === 96 || c === 124 || c === 126
  );
}

/** `port` (1–5 digits, at most 65535) or RFC 7239 `obfport` (`_` then ALPHA / DIGIT / `.` / `_` / `-`). */
function isPort(text: string, start: number, end: number): boolean {
  const length = end - start;
  if (length === 0) return false;
  if (text.charCodeAt(start) === CH_UNDERSCORE) {
    if (length === 1) return false;
    for (let i = start + 1; i < end; i++) {
      const c = text.charCodeAt(i);
      const alnum = (c >= 48 && c <= 57) || ((c | 0x20) >= 97 && (c | 0x20) <= 122);
      if (!alnum && c !== 46 && c !== 95 && c !== 45) return false;
    }
    return true;
  }
  if (length > 5) return false;
  let value = 0;
  for (let i = start; i < end; i++) {
    const c = text.charCodeAt(i);
    if (c < 48 || c > 57) return false;
    value = value * 10 + (c - 48);
  }
  return value <= 65535;
}

/**
 * Reads one hop address in `text[start, end)`: `1.2.3.4`, `1.2.3.4:80`, `[2001:db8::1]`,
 * `[2001:db8::1]:443` or bare `2001:db8::1`, with optional surrounding spaces.
 *
 * @example
 * parseHopAddress(' [2001:DB8::1]:443 '); // '2001:db8::1'
 * parseHopAddress('unknown');             // null
 */
export function parseHopAddress(text: string, start = 0, end = text.length): Hop {
  while (start < end && isOws(text.charCodeAt(start))) start++;
  while (end > start && isOws(text.charCodeAt(end - 1))) end--;
  if (start === end || end - start > MAX_HOP_TEXT) return null;
  if (text.charCodeAt(start) === CH_OPEN_BRACKET) {
    const close = indexIn(text, CH_CLOSE_BRACKET, start, end);
    if (close < 0) return null;
    const after = close + 1;
    if (after !== end && !(text.charCodeAt(after) === CH_COLON && isPort(text, after + 1, end))) return null;
    const inside = text.slice(start + 1, close);
    // Brackets are for IPv6 only; `[1.2.3.4]` is malformed.
    return inside.includes(':') ? canonicalIp(inside) : null;
  }
  const colon = indexIn(text, CH_COLON, start, end);
  if (colon < 0) return canonicalIp(text.slice(start, end));
  if (indexIn(text, CH_COLON, colon + 1, end) >= 0) return canonicalIp(text.slice(start, end));
  // Exactly one colon: IPv4 with a port.
  if (!isPort(text, colon + 1, end)) return null;
  const host = text.slice(start, colon);
  return host.includes('.') ? canonicalIp(host) : null;
}

/** Number of backslashes immediately before `at`, not looking left of `floor`. */
function backslashesBefore(text: string, at: number, floor: number): number {
  let i = at - 1;
  while (i >= floor && text.charCodeAt(i) === CH_BACKSLASH) i--;
  return at - 1 - i;
}

/**
 * Where the list element ending at `end` starts, scanning right to left; -1 when the element would
 * exceed `budget` characters. With `quoted`, commas inside quoted strings do not split.
 */
function elementStart(text: string, end: number, budget: number, quoted: boolean): number {
  const floor = end - budget;
  let inQuote = false;
  for (let i = end - 1; i >= 0; i--) {
    if (i < floor) return -1;
    const c = text.charCodeAt(i);
    if (c === CH_COMMA && !inQuote) return i + 1;
    if (quoted && c === CH_QUOTE) {
      // From the right, an unescaped quote opens or closes; a quote after an odd run of
      // backslashes is a quoted-pair inside the string.
      if (!inQuote) inQuote = true;
      else if (backslashesBefore(text, i, floor) % 2 === 0) inQuote = false;
    }
  }
  return 0;
}

/** Parses one list element; `undefined` means an empty element, which lists ignore (RFC 9110 §5.6.1). */
type ElementParser = (text: string, start: number, end: number) => Hop | undefined;

function parseListFromRight(value: HeaderValue, quoted: boolean, parseElement: ElementParser): Hop[] {
  const hops: Hop[] = [];
  if (value === undefined) return hops;
  const single = typeof value === 'string';
  let budget = MAX_FORWARDED_CHARS;
  let truncated = false;
  outer: for (let part = single ? 0 : value.length - 1; part >= 0; part--) {
    const text: unknown = single ? value : value[part];
    if (typeof text !== 'string') continue;
    let end = text.length;
    while (true) {
      const start = elementStart(text, end, budget, quoted);
      if (start < 0) {
        truncated = true;
        break outer;
      }
      budget -= end - start + 1;
      const hop = parseElement(text, start, end);
      if (hop !== undefined) {
        if (hops.length === MAX_FORWARDED_HOPS) {
          truncated = true;
          break outer;
        }
        hops.push(hop);
      }
      if (start === 0) break;
      end = start - 1;
    }
  }
  if (truncated) hops.push(null);
  return hops.reverse();
}

function parseXffElement(text: string, start: number, end: number): Hop | undefined {
  while (start < end && isOws(text.charCodeAt(start))) start++;
  if (start === end) return undefined;
  return parseHopAddress(text, start, end);
}

/**
 * Parses `X-Forwarded-For`: comma-separated addresses, optionally with ports; repeated headers are
 * read as one list in order. Empty entries are skipped.
 *
 * @example
 * parseXForwardedFor('203.0.113.7:5123, unknown, [2001:db8::1]:443');
 * // ['203.0.113.7', null, '2001:db8::1']
 * parseXForwardedFor(['198.51.100.1', '10.0.0.2, 10.0.0.3']);
 * // ['198.51.100.1', '10.0.0.2', '10.0.0.3']
 */
export function parseXForwardedFor(value: HeaderValue): Hop[] {
  return parseListFromRight(value, false, parseXffElement);
}

/** End of the quoted string whose opening quote is at `open`: index after the closing quote, or -1. */
function quotedStringEnd(text: string, open: number, end: number): number {
  for (let i = open + 1; i < end; i++) {
    const c = text.charCodeAt(i);
    if (c === CH_BACKSLASH) i++;
    else if (c === CH_QUOTE) return i + 1;
  }
  return -1;
}

function unquote(text: string, start: number, end: number): string {
  const inner = text.slice(start + 1, end - 1);
  if (!inner.includes('\\')) return inner;
  let out = '';
  for (let i = 0; i < inner.length; i++) {
    if (inner.charCodeAt(i) === CH_BACKSLASH) i++;
    out += inner[i];
  }
  return out;
}

function isForName(text: string, start: number, end: number): boolean {
  return (
    end - start === 3 &&
    (text.charCodeAt(start) | 0x20) === 102 &&
    (text.charCodeAt(start + 1) | 0x20) === 111 &&
    (text.charCodeAt(start + 2) | 0x20) === 114
  );
}

/**
 * One `Forwarded` element: `pair *( ";" pair )`. The hop is its `for` parameter; an element without
 * exactly one `for`, or one that does not parse, is `null`.
 */
function parseForwardedElement(text: string, start: number, end: number): Hop | undefined {
  while (start < end && isOws(text.charCodeAt(start))) start++;
  while (end > start && isOws(text.charCodeAt(end - 1))) end--;
  if (start === end) return undefined;
  let hop: Hop | undefined;
  let i = start;
  while (i < end) {
    while (i < end && isOws(text.charCodeAt(i))) i++;
    if (i < end && text.charCodeAt(i) === CH_SEMICOLON) {
      i++;
      continue;
    }
    const nameStart = i;
    while (i < end && isTokenChar(text.charCodeAt(i))) i++;
    if (i === nameStart || i >= end || text.charCodeAt(i) !== CH_EQUALS) return null;
    const isFor = isForName(text, nameStart, i);
    const valueStart = ++i;
    if (i < end && text.charCodeAt(i) === CH_QUOTE) {
      i = quotedStringEnd(text, i, end);
      if (i < 0) return null;
    } else {
      // Lenient: unquoted `for=[2001:db8::1]:80` is common even though `[` and `:` are not tchars.
      while (i < end) {
        const c = text.charCodeAt(i);
        if (c === CH_SEMICOLON || c === CH_QUOTE || isOws(c)) break;
        i++;
      }
    }
    const valueEnd = i;
    while (i < end && isOws(text.charCodeAt(i))) i++;
    if (i < end && text.charCodeAt(i) !== CH_SEMICOLON) return null;
    if (isFor) {
      // A repeated `for` (RFC 7239 §4 forbids it) leaves the hop ambiguous.
      if (hop !== undefined) return null;
      if (valueEnd - valueStart > MAX_HOP_TEXT + 2) return null;
      hop = text.charCodeAt(valueStart) === CH_QUOTE
        ? parseHopAddress(unquote(text, valueStart, valueEnd))
        : parseHopAddress(text, valueStart, valueEnd);
    }
  }
  return hop ?? null;
}

/**
 * Parses RFC 7239 `Forwarded`: one hop per comma-separated element, taken from its `for`
 * parameter (names are case-insensitive, values tokens or quoted strings).
 *
 * @example
 * parseForwarded('for=192.0.2.60;proto=http;by=203.0.113.43, For="[2001:db8:cafe::17]:4711"');
 * // ['192.0.2.60', '2001:db8:cafe::17']
 * parseForwarded('for=_hidden, for=unknown'); // [null, null]
 */
export function parseForwarded(value: HeaderValue): Hop[] {
  return parseListFromRight(value, true, parseForwardedElement);
}

/**
 * Parses `X-Real-IP`, a single address set by the proxy. More than one instance, or a list, is
 * ambiguous and gives `[null]`; an absent header gives `[]`.
 *
 * @example
 * parseXRealIp('203.0.113.7'); // ['203.0.113.7']
 */
export function parseXRealIp(value: HeaderValue): Hop[] {
  if (value === undefined) return [];
  let text: unknown = value;
  if (typeof value !== 'string') {
    if (value.length === 0) return [];
    text = value.length === 1 ? value[0] : undefined;
  }
  if (typeof text !== 'string' || text.length > MAX_FORWARDED_CHARS || text.includes(',')) return [null];
  return [parseHopAddress(text)];
}
