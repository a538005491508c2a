/**
 * A fixed set of IP ranges (trusted proxies, allow and deny lists), validated once and then
 * queried per request without allocating.
 */
import { ErrorCode, RampartError } from '../errors.ts';
import type { ConfigIssue } from '../errors.ts';
import { formatIpv4, formatIpv6, parseIpInto, wordMask } from './ip.ts';
import type { ParsedIp } from './ip.ts';

/**
 * Named ranges accepted in place of a CIDR:
 * - `loopback`: 127.0.0.0/8, ::1/128
 * - `private`: 10.0.0.0/8, 172.16.0.0/12, 192.168.0.0/16 (RFC 1918), fc00::/7 (unique local)
 * - `linklocal`: 169.254.0.0/16, fe80::/10
 */
export const CIDR_PRESETS: Readonly<Record<string, readonly string[]>> = Object.freeze({
  loopback: Object.freeze(['127.0.0.0/8', '::1/128']),
  private: Object.freeze(['10.0.0.0/8', '172.16.0.0/12', '192.168.0.0/16', 'fc00::/7']),
  linklocal: Object.freeze(['169.254.0.0/16', 'fe80::/10']),
});

/** Options for {@link CidrSet}. */
export interface CidrSetOptions {
  /** Names the list in error messages and issue paths, e.g. `trustedProxies`. Default `entries`. */
  label?: string;
}

interface Block {
  /** IPv4: one word; IPv6: four words, most significant first. */
  readonly network: Uint32Array;
  readonly prefix: number;
}

const ALLOWED =
  'use an IPv4 or IPv6 address, a CIDR range such as 10.0.0.0/8 or 2001:db8::/32, ' +
  `or one of: ${Object.keys(CIDR_PRESETS).join(', ')}`;

function parsePrefixLength(text: string, max: number): number {
  if (text.length === 0 || text.length > 3) return -1;
  if (text.length > 1 && text.charCodeAt(0) === 48) return -1;
  let value = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c < 48 || c > 57) return -1;
    value = value * 10 + (c - 48);
  }
  return value <= max ? value : -1;
}

function formatBlock(version: 4 | 6, network: Uint32Array, prefix: number): string {
  const ip = version === 4 ? formatIpv4(network[0]) : formatIpv6(network[0], network[1], network[2], network[3]);
  return `${ip}/${prefix}`;
}

/** Compares two four-word IPv6 values. */
function compare6(a: Uint32Array, aAt: number, b: Uint32Array, bAt: number): number {
  for (let k = 0; k < 4; k++) {
    const x = a[aAt + k];
    const y = b[bAt + k];
    if (x !== y) return x < y ? -1 : 1;
  }
  return 0;
}

/**
 * A set of IPv4 and IPv6 ranges. Entries may be bare addresses, CIDR ranges or the preset names in
 * {@link CIDR_PRESETS}. IPv4-mapped IPv6 ranges (`::ffff:10.0.0.0/104`) are stored as IPv4, matching
 * how addresses are unmapped on lookup; an IPv6 range that contains all of `::ffff:0:0/96`
 * (e.g. `::/0`) therefore also contains every IPv4 address.
 *
 * Ranges are kept sorted with nested ones dropped, so a lookup is a binary search.
 *
 * @example
 * const proxies = new CidrSet(['10.0.0.0/8', '2001:db8::/32', 'loopback'], { label: 'trustedProxies' });
 * proxies.has('10.1.2.3');          // true
 * proxies.has('::ffff:10.1.2.3');   // true (unmapped)
 * proxies.has('203.0.113.7');       // false
 */
export class CidrSet {
  // Parallel sorted arrays of range starts and ends; IPv6 uses four words per value.
  readonly #v4Start: Uint32Array;
  readonly #v4End: Uint32Array;
  readonly #v6Start: Uint32Array;
  readonly #v6End: Uint32Array;
  readonly #cidrs: readonly string[];
  readonly #probe = new Uint32Array(4);

  /** @throws RampartError `RAMPART_ERR_INVALID_ARGUMENT` listing every entry that is not allowed. */
  constructor(entries: readonly string[], options: CidrSetOptions = {}) {
    const label = options.label ?? 'entries';
    if (!Array.isArray(entries)) {
      throw new RampartError(ErrorCode.INVALID_ARGUMENT, `${label} must be an array of strings; ${ALLOWED}`);
    }
    const v4: Block[] = [];
    const v6: Block[] = [];
    const issues: ConfigIssue[] = [];
    entries.forEach((entry: unknown, index) => {
      const path = `${label}[${index}]`;
      if (typeof entry !== 'string') {
        issues.push({ path, message: `expected a string, got ${typeof entry}; ${ALLOWED}` });
        return;
      }
      const problem = addEntry(entry.trim(), v4, v6);
      if (problem !== null) issues.push({ path, message: `${JSON.stringify(entry)} ${problem}` });
    });
    if (issues.length > 0) {
      const message = `invalid ${label}: ` + issues.map((i) => `${i.path}: ${i.message}`).join('; ');
      throw new RampartError(ErrorCode.INVALID_ARGUMENT, message, { issues });
    }
    const kept4 = dropNested(v4, 1);
    const kept6 = dropNested(v6, 4);
    this.#v4Start = new Uint32Array(kept4.length);
    this.#v4End = new Uint32Array(kept4.length);
    kept4.forEach((block, i) => {
      this.#v4Start[i] = block.network[0];
      this.#v4End[i] = (block.network[0] | ~wordMask(block.prefix)) >>> 0;
    });
    this.#v6Start = new Uint32Array(kept6.length * 4);
    this.#v6End = new Uint32Array(kept6.length * 4);
    kept6.forEach((block, i) => {
      for (let k = 0; k < 4; k++) {
        this.#v6Start[i * 4 + k] = block.network[k];
        this.#v6End[i * 4 + k] = (block.network[k] | ~wordMask(block.prefix - 32 * k)) >>> 0;
      }
    });
    this.#cidrs = Object.freeze([
      ...kept4.map((b) => formatBlock(4, b.network, b.prefix)),
      ...kept6.map((b) => formatBlock(6, b.network, b.prefix)),
    ]);
  }

  /** True when the set holds no range at all. */
  get isEmpty(): boolean {
    return this.#v4Start.length === 0 && this.#v6Start.length === 0;
  }

  /**
   * The ranges in canonical CIDR form, IPv4 first, nested ranges removed; for logs and diagnostics.
   *
   * @example
   * new CidrSet(['10.0.0.0/8', '10.1.0.0/16', '::ffff:192.168.0.0/112']).cidrs();
   * // ['10.0.0.0/8', '192.168.0.0/16']
   */
  cidrs(): readonly string[] {
    return this.#cidrs;
  }

  /**
   * Whether `ip` (any valid spelling, IPv4-mapped included) falls in the set; false for non-addresses.
   *
   * @example
   * new CidrSet(['private']).has('192.168.1.20'); // true
   */
  has(ip: string): boolean {
    const probe = this.#probe;
    const version = parseIpInto(ip, probe);
    if (version === 4) return this.#hasV4(probe[0]);
    if (version === 6) return this.#hasV6(probe);
    return false;
  }

  /**
   * Whether an already parsed address falls in the set.
   *
   * @example
   * new CidrSet(['2001:db8::/32']).hasParsed(parseIp('2001:db8::1')!); // true
   */
  hasParsed(ip: ParsedIp): boolean {
    return ip.version === 4 ? this.#hasV4(ip.value) : this.#hasV6(ip.words);
  }

  #hasV4(value: number): boolean {
    const starts = this.#v4Start;
    // Last range whose start is <= value; ranges are disjoint, so only that one can hold it.
    let lo = 0;
    let hi = starts.length - 1;
    let found = -1;
    while (lo <= hi) {
      const mid = (lo + hi) >>> 1;
      if (starts[mid] <= value) {
        found = mid;
        lo = mid + 1;
      } else {
        hi = mid - 1;
      }
    }
    return found >= 0 && value <= this.#v4End[found];
  }

  #hasV6(words: Uint32Array): boolean {
    const starts = this.#v6Start;
    let lo = 0;
    let hi = starts.length / 4 - 1;
    let found = -1;
    while (lo <= hi) {
      const mid = (lo + hi) >>> 1;
      if (compare6(starts, mid * 4, words, 0) <= 0) {
        found = mid;
        lo = mid + 1;
      } else {
        hi = mid - 1;
      }
    }
    return found >= 0 && compare6(words, 0, this.#v6End, found * 4) <= 0;
  }
}

/** Parses one entry into `v4` / `v6`; returns what is wrong with it, or null. */
function addEntry(entry: string, v4: Block[], v6: Block[]): string | null {
  const preset = Object.hasOwn(CIDR_PRESETS, entry) ? CIDR_PRESETS[entry] : undefined;
  if (preset !== undefined) {
    for (const cidr of preset) addEntry(cidr, v4, v6);
    return null;
  }
  if (entry.includes('%')) return `has a zone id; zones are ignored when matching, so remove it`;
  const slash = entry.indexOf('/');
  const addressText = slash < 0 ? entry : entry.slice(0, slash);
  const network = new Uint32Array(4);
  const version = parseIpInto(addressText, network, false);
  if (version === 0) return `is not an IP address or CIDR range; ${ALLOWED}`;
  const max = version === 4 ? 32 : 128;
  const prefix = slash < 0 ? max : parsePrefixLength(entry.slice(slash + 1), max);
  if (prefix < 0) return `has an invalid prefix length; IPv${version} allows /0 to /${max}`;
  const words = version === 4 ? 1 : 4;
  let hostBitsSet = false;
  for (let k = 0; k < words; k++) {
    const masked = (network[k] & wordMask(prefix - 32 * k)) >>> 0;
    if (masked !== network[k]) hostBitsSet = true;
    network[k] = masked;
  }
  if (hostBitsSet) {
    return `has bits set after the /${prefix} prefix; did you mean ${formatBlock(version, network, prefix)}?`;
  }
  if (version === 4) {
    v4.push({ network: network.subarray(0, 1), prefix });
    return null;
  }
  const isMapped = network[0] === 0 && network[1] === 0 && network[2] === 0xffff;
  if (prefix >= 96 && isMapped) {
    v4.push({ network: Uint32Array.of(network[3]), prefix: prefix - 96 });
    return null;
  }
  // A range wider than /96 that covers ::ffff:0:0/96 covers every mapped, hence every IPv4, address.
  const coversMapped =
    prefix < 96 && network[0] === 0 && network[1] === 0 && ((0xffff & wordMask(prefix - 64)) >>> 0) === network[2];
  if (coversMapped) v4.push({ network: Uint32Array.of(0), prefix: 0 });
  v6.push({ network, prefix });
  return null;
}

/** Sorts blocks by network and removes those inside an earlier one (CIDR blocks nest or are disjoint). */
function dropNested(blocks: Block[], words: number): Block[] {
  blocks.sort((a, b) => {
    const order = words === 1 ? Math.sign(a.network[0] - b.network[0]) : compare6(a.network, 0, b.network, 0);
    return order !== 0 ? order : a.prefix - b.prefix;
  });
  const kept: Block[] = [];
  let last: Block | undefined;
  for (const block of blocks) {
    if (last !== undefined && contains(last, block, words)) continue;
    kept.push(block);
    last = block;
  }
  return kept;
}

function contains(outer: Block, inner: Block, words: number): boolean {
  if (inner.prefix < outer.prefix) return false;
  for (let k = 0; k < words; k++) {
    const mask = wordMask(outer.prefix - 32 * k);
    if (((inner.network[k] & mask) >>> 0) !== outer.network[k]) return false;
  }
  return true;
}
