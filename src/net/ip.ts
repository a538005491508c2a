/**
 * IP address text ⇄ numbers. Strict on purpose: client addresses become rate-limit keys, so every
 * address must have exactly one spelling. Anything a resolver could read two ways (`01.2.3.4`,
 * `1.2.3`, hex octets) is rejected rather than guessed at, and IPv4-mapped IPv6 is unmapped so that
 * `::ffff:1.2.3.4` and `1.2.3.4` are the same client.
 */

/** An IPv4 address as one unsigned 32-bit number (`1.2.3.4` → `0x01020304`). */
export interface ParsedIpv4 {
  readonly version: 4;
  readonly value: number;
}

/** An IPv6 address as four unsigned 32-bit words, most significant first. */
export interface ParsedIpv6 {
  readonly version: 6;
  readonly words: Uint32Array;
}

/** A parsed address; IPv4-mapped IPv6 is always {@link ParsedIpv4}. */
export type ParsedIp = ParsedIpv4 | ParsedIpv6;

/** What {@link parseIpInto} found: `0` for invalid text, otherwise the IP version. */
export type IpVersion = 0 | 4 | 6;

// Longest valid text: 45 characters of address plus `%` and a zone. Longer input is rejected
// before any scanning so that a hostile megabyte costs one length check.
const MAX_ZONE_LENGTH = 64;
const MAX_IP_TEXT = 45 + 1 + MAX_ZONE_LENGTH;

const CH_0 = 48;
const CH_9 = 57;
const CH_DOT = 46;
const CH_COLON = 58;
const CH_PERCENT = 37;

// Scratch space for the sixteen-bit groups of an IPv6 address; safe to share because parsing is
// synchronous and never re-entered.
const groups = new Uint16Array(8);
const scratch = new Uint32Array(4);

/**
 * Parses strict dotted-quad IPv4 in `text[start, end)`; returns the address as a uint32, or -1.
 * Each octet is 1–3 decimal digits, no leading zero, at most 255.
 */
function parseIpv4Range(text: string, start: number, end: number): number {
  let value = 0;
  let octets = 0;
  let i = start;
  while (true) {
    const first = i;
    let octet = 0;
    while (i < end) {
      const c = text.charCodeAt(i);
      if (c < CH_0 || c > CH_9) break;
      octet = octet * 10 + (c - CH_0);
      i++;
    }
    const digits = i - first;
    if (digits === 0 || digits > 3 || octet > 255) return -1;
    if (digits > 1 && text.charCodeAt(first) === CH_0) return -1;
    value = value * 256 + octet;
    octets++;
    if (octets === 4) return i === end ? value : -1;
    if (i >= end || text.charCodeAt(i) !== CH_DOT) return -1;
    i++;
  }
}

// Hex digit values by character code, -1 for anything else: one load per character on the IPv6 path.
const HEX = new Int8Array(128).fill(-1);
for (let c = 0; c < 10; c++) HEX[CH_0 + c] = c;
for (let c = 0; c < 6; c++) HEX[97 + c] = HEX[65 + c] = 10 + c;

function hexValue(c: number): number {
  return c < 128 ? HEX[c]! : -1;
}

/** A zone id is only stripped, never interpreted; require something printable so junk is refused. */
function isValidZone(text: string, start: number, end: number): boolean {
  if (start >= end || end - start > MAX_ZONE_LENGTH) return false;
  for (let i = start; i < end; i++) {
    const c = text.charCodeAt(i);
    if (c <= 0x20 || c >= 0x7f || c === CH_PERCENT) return false;
  }
  return true;
}

/** Parses IPv6 in `text[start, end)` (no zone) into `out` as four words; returns false if invalid. */
function parseIpv6Range(text: string, start: number, end: number, out: Uint32Array): boolean {
  let count = 0;
  let gap = -1;
  let i = start;
  if (end - start >= 2 && text.charCodeAt(i) === CH_COLON) {
    if (text.charCodeAt(i + 1) !== CH_COLON) return false;
    gap = 0;
    i += 2;
  }
  while (i < end) {
    const groupStart = i;
    let group = 0;
    while (i < end) {
      const h = hexValue(text.charCodeAt(i));
      if (h < 0) break;
      group = group * 16 + h;
      i++;
    }
    if (i < end && text.charCodeAt(i) === CH_DOT) {
      // Embedded dotted quad: only as the last 32 bits.
      if (count > 6) return false;
      const v4 = parseIpv4Range(text, groupStart, end);
      if (v4 < 0) return false;
      groups[count++] = v4 >>> 16;
      groups[count++] = v4 & 0xffff;
      i = end;
      break;
    }
    const digits = i - groupStart;
    if (digits === 0 || digits > 4 || count === 8) return false;
    groups[count++] = group;
    if (i === end) break;
    if (text.charCodeAt(i) !== CH_COLON) return false;
    i++;
    if (i < end && text.charCodeAt(i) === CH_COLON) {
      if (gap >= 0) return false;
      gap = count;
      i++;
    } else if (i === end) {
      return false;
    }
  }
  if (gap < 0) {
    if (count !== 8) return false;
  } else {
    // `::` stands for at least one zero group (RFC 4291 §2.2).
    if (count > 7) return false;
    const tail = count - gap;
    for (let k = 1; k <= tail; k++) groups[8 - k] = groups[count - k];
    for (let k = gap; k < 8 - tail; k++) groups[k] = 0;
  }
  out[0] = ((groups[0] << 16) | groups[1]) >>> 0;
  out[1] = ((groups[2] << 16) | groups[3]) >>> 0;
  out[2] = ((groups[4] << 16) | groups[5]) >>> 0;
  out[3] = ((groups[6] << 16) | groups[7]) >>> 0;
  return true;
}

/**
 * True when `text` is written as IPv4 (a `.` comes before any `:`). Looks at most at five
 * characters: every IPv6 spelling has a `:` within its first five.
 */
function looksLikeIpv4(text: string): boolean {
  const limit = text.length < 5 ? text.length : 5;
  for (let i = 0; i < limit; i++) {
    const c = text.charCodeAt(i);
    if (c === CH_DOT) return true;
    if (c === CH_COLON) return false;
  }
  return false;
}

/**
 * The allocation-free parser under everything else in `src/net/`: writes the address into `out`
 * and returns its version, or `0` if `text` is not an address. IPv4 goes to `out[0]`; IPv6 fills
 * `out[0..3]`, most significant word first. A zone id (`fe80::1%eth0`) is accepted and dropped.
 * With `unmap` (the default) IPv4-mapped IPv6 comes back as version 4.
 *
 * @example
 * const out = new Uint32Array(4);
 * parseIpInto('::ffff:10.0.0.1', out); // 4, out[0] === 0x0a000001
 */
export function parseIpInto(text: string, out: Uint32Array, unmap = true): IpVersion {
  const length = text.length;
  if (length === 0 || length > MAX_IP_TEXT) return 0;
  if (looksLikeIpv4(text)) {
    const v4 = parseIpv4Range(text, 0, length);
    if (v4 < 0) return 0;
    out[0] = v4;
    return 4;
  }
  let end = text.indexOf('%');
  if (end < 0) end = length;
  else if (!isValidZone(text, end + 1, length)) return 0;
  if (!parseIpv6Range(text, 0, end, out)) return 0;
  if (unmap && out[0] === 0 && out[1] === 0 && out[2] === 0xffff) {
    out[0] = out[3];
    return 4;
  }
  return 6;
}

/**
 * Parses IPv4 or IPv6 text; `null` if it is not exactly one address.
 *
 * @example
 * parseIp('10.0.0.1');        // { version: 4, value: 167772161 }
 * parseIp('::ffff:10.0.0.1'); // { version: 4, value: 167772161 } (unmapped)
 * parseIp('01.0.0.1');        // null: a leading zero could mean octal
 */
export function parseIp(text: string): ParsedIp | null {
  const version = parseIpInto(text, scratch);
  if (version === 4) return { version: 4, value: scratch[0] };
  if (version === 6) return { version: 6, words: scratch.slice() };
  return null;
}

/**
 * The network mask for one 32-bit word when `bits` of the prefix fall in it: all ones from 32 up,
 * zero from 0 down. For word `k` of an IPv6 address pass `prefix - 32 * k`.
 *
 * @example
 * wordMask(24);  // 0xffffff00
 * wordMask(-8);  // 0
 */
export function wordMask(bits: number): number {
  if (bits <= 0) return 0;
  if (bits >= 32) return 0xffffffff;
  return (0xffffffff << (32 - bits)) >>> 0;
}

/**
 * Dotted-quad text of a uint32.
 *
 * @example
 * formatIpv4(0xc0000201); // '192.0.2.1'
 */
export function formatIpv4(value: number): string {
  return (value >>> 24) + '.' + ((value >>> 16) & 255) + '.' + ((value >>> 8) & 255) + '.' + (value & 255);
}

// Canonical IPv6 text is at most 39 characters (eight groups of four and seven colons).
const chars = new Uint16Array(39);
const HEX_DIGITS = Uint16Array.from('0123456789abcdef', (c) => c.charCodeAt(0));

/**
 * Writes the RFC 5952 text of four words into `chars` and returns its length. Character codes
 * rather than `toString(16)` and concatenation: about twice as fast, and it lets
 * {@link canonicalIp} compare with its input before building any string.
 */
function writeIpv6(w0: number, w1: number, w2: number, w3: number): number {
  groups[0] = w0 >>> 16;
  groups[1] = w0 & 0xffff;
  groups[2] = w1 >>> 16;
  groups[3] = w1 & 0xffff;
  groups[4] = w2 >>> 16;
  groups[5] = w2 & 0xffff;
  groups[6] = w3 >>> 16;
  groups[7] = w3 & 0xffff;
  let bestStart = -1;
  let bestLength = 1;
  let runStart = -1;
  for (let k = 0; k <= 8; k++) {
    if (k < 8 && groups[k] === 0) {
      if (runStart < 0) runStart = k;
    } else if (runStart >= 0) {
      if (k - runStart > bestLength) {
        bestStart = runStart;
        bestLength = k - runStart;
      }
      runStart = -1;
    }
  }
  let n = 0;
  for (let k = 0; k < 8; k++) {
    if (k === bestStart) {
      chars[n++] = CH_COLON;
      chars[n++] = CH_COLON;
      k += bestLength - 1;
      continue;
    }
    if (n > 0 && chars[n - 1] !== CH_COLON) chars[n++] = CH_COLON;
    const g = groups[k];
    if (g >= 0x1000) chars[n++] = HEX_DIGITS[g >>> 12];
    if (g >= 0x100) chars[n++] = HEX_DIGITS[(g >>> 8) & 15];
    if (g >= 0x10) chars[n++] = HEX_DIGITS[(g >>> 4) & 15];
    chars[n++] = HEX_DIGITS[g & 15];
  }
  return n;
}

function charsToString(length: number): string {
  return String.fromCharCode.apply(null, chars.subarray(0, length) as unknown as number[]);
}

/**
 * RFC 5952 text of four words: lower-case hex without leading zeros, the longest run of two or
 * more zero groups (the first, on a tie) written as `::`.
 *
 * @example
 * formatIpv6(0x20010db8, 0, 0, 1); // '2001:db8::1'
 */
export function formatIpv6(w0: number, w1: number, w2: number, w3: number): string {
  return charsToString(writeIpv6(w0, w1, w2, w3));
}

/**
 * Canonical text of a parsed address: dotted quad for IPv4, RFC 5952 for IPv6.
 *
 * @example
 * formatIp(parseIp('2001:DB8:0:0:0:0:0:1')!); // '2001:db8::1'
 */
export function formatIp(ip: ParsedIp): string {
  if (ip.version === 4) return formatIpv4(ip.value);
  const w = ip.words;
  return formatIpv6(w[0], w[1], w[2], w[3]);
}

/**
 * `formatIp(parseIp(text))`, or `null` for anything that is not an address. Text that is already
 * canonical (what Node reports for sockets, apart from IPv4-mapped ones) is returned as the very
 * same string, with no allocation.
 *
 * @example
 * canonicalIp('203.0.113.7');        // '203.0.113.7' (unchanged)
 * canonicalIp('::ffff:203.0.113.7'); // '203.0.113.7'
 * canonicalIp('2001:0DB8::0001');    // '2001:db8::1'
 * canonicalIp('unknown');            // null
 */
export function canonicalIp(text: string): string | null {
  const version = parseIpInto(text, scratch);
  if (version === 0) return null;
  if (version === 4) return looksLikeIpv4(text) ? text : formatIpv4(scratch[0]);
  const length = writeIpv6(scratch[0], scratch[1], scratch[2], scratch[3]);
  if (text.length === length) {
    let same = true;
    for (let i = 0; i < length && same; i++) same = text.charCodeAt(i) === chars[i];
    if (same) return text;
  }
  return charsToString(length);
}
