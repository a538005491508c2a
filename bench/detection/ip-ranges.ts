// Real address ranges for the simulated clients, taken from the ASN table of @ip-location-db/asn
// (an optional dependency) by well-known ASNs: consumer broadband, mobile carriers (whose users sit
// behind carrier-grade NAT), hosting providers and VPN exits. Without the table, a few built-in
// ranges of the same networks keep the bench running.
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import type { Rng } from './prng.ts';

export type PoolKind = 'residential' | 'mobile' | 'hosting' | 'vpn';

/** ASNs per kind: name, for the README and the report. */
export const ASNS: Readonly<Record<PoolKind, Readonly<Record<number, string>>>> = {
  residential: {
    7922: 'Comcast', 20115: 'Charter', 7018: 'AT&T', 701: 'Verizon', 22773: 'Cox', 3320: 'Deutsche Telekom',
    3215: 'Orange', 2856: 'BT', 3209: 'Vodafone DE', 3352: 'Telefonica ES', 12322: 'Free', 5089: 'Virgin Media', 1136: 'KPN',
  },
  mobile: { 21928: 'T-Mobile US', 22394: 'Verizon Wireless', 20057: 'AT&T Mobility', 25135: 'Vodafone UK', 12576: 'EE' },
  hosting: {
    16509: 'Amazon', 14618: 'Amazon', 14061: 'DigitalOcean', 16276: 'OVH', 24940: 'Hetzner', 63949: 'Linode',
    20473: 'Vultr', 396982: 'Google Cloud', 8075: 'Microsoft',
  },
  vpn: { 9009: 'M247', 60068: 'Datacamp', 60781: 'Leaseweb', 212238: 'Datacamp' },
};

/** Used when the ASN table is not installed: a few real ranges of the same networks. */
const FALLBACK: Readonly<Record<PoolKind, readonly string[]>> = {
  residential: ['73.0.0.0/8', '91.0.0.0/10', '86.128.0.0/10', '24.0.0.0/12'],
  mobile: ['172.56.0.0/14', '174.192.0.0/10'],
  hosting: ['3.0.0.0/9', '165.227.0.0/16', '51.68.0.0/16', '95.216.0.0/16', '45.33.0.0/17'],
  vpn: ['146.70.0.0/16', '185.156.172.0/22'],
};

/** Ranges of one kind, to draw addresses from. */
export interface AddressPool {
  readonly kind: PoolKind;
  /** A random address in a random range. */
  address(rng: Rng): string;
  /** A random /24 in the pool: addresses drawn from it share the network (fake sign-ups, offices). */
  block24(rng: Rng): (rng: Rng) => string;
}

export interface AddressPools {
  readonly residential: AddressPool;
  readonly mobile: AddressPool;
  readonly hosting: AddressPool;
  readonly vpn: AddressPool;
  /** Where the ranges came from, for the report. */
  readonly source: string;
}

type Range = readonly [start: number, end: number];

const toInt = (ip: string): number => ip.split('.').reduce((n, part) => n * 256 + Number(part), 0);
const toIp = (n: number): string => `${n >>> 24}.${(n >>> 16) & 255}.${(n >>> 8) & 255}.${n & 255}`;

function cidr(text: string): Range {
  const [base, bits] = text.split('/') as [string, string];
  const size = 2 ** (32 - Number(bits));
  const start = toInt(base);
  return [start, start + size - 1];
}

function createPool(kind: PoolKind, ranges: readonly Range[]): AddressPool {
  // Ranges are drawn in proportion to their size (capped so one /8 does not take everything).
  const weights = ranges.map(([s, e]) => Math.min(e - s + 1, 1 << 20));
  const total = weights.reduce((a, b) => a + b, 0);
  const pickRange = (rng: Rng): Range => {
    let x = rng.next() * total;
    for (let i = 0; i < ranges.length; i++) {
      x -= weights[i]!;
      if (x < 0) return ranges[i]!;
    }
    return ranges[ranges.length - 1]!;
  };
  // Skip .0 and .255 host parts: real clients seldom have them.
  const host = (rng: Rng, start: number, end: number): string => {
    for (;;) {
      const n = start + Math.floor(rng.next() * (end - start + 1));
      if ((n & 255) !== 0 && (n & 255) !== 255) return toIp(n);
    }
  };
  return {
    kind,
    address: (rng) => {
      const [s, e] = pickRange(rng);
      return host(rng, s, e);
    },
    block24: (rng) => {
      const [s, e] = pickRange(rng);
      const base = (s + Math.floor(rng.next() * (e - s + 1))) & ~255;
      return (r) => host(r, base >>> 0, (base >>> 0) + 255);
    },
  };
}

/**
 * Reads the ASN table once and builds the four pools; `file` overrides where the table is read from
 * (tests pass a missing file to check the fallback).
 *
 * @example
 * const pools = loadAddressPools();
 * pools.hosting.address(createRng(1)); // e.g. '3.81.12.7' (Amazon)
 */
export function loadAddressPools(file?: string): AddressPools {
  let text: string | null = null;
  try {
    const path = file ?? createRequire(import.meta.url).resolve('@ip-location-db/asn/asn-ipv4.csv');
    text = readFileSync(path, 'utf8');
  } catch {
    text = null;
  }
  const kinds = Object.keys(ASNS) as PoolKind[];
  const found: Record<PoolKind, Range[]> = { residential: [], mobile: [], hosting: [], vpn: [] };
  if (text !== null) {
    const kindOf = new Map<number, PoolKind>();
    for (const kind of kinds) for (const asn of Object.keys(ASNS[kind])) kindOf.set(Number(asn), kind);
    let lineStart = 0;
    while (lineStart < text.length) {
      let lineEnd = text.indexOf('\n', lineStart);
      if (lineEnd === -1) lineEnd = text.length;
      const c1 = text.indexOf(',', lineStart);
      const c2 = text.indexOf(',', c1 + 1);
      const c3 = text.indexOf(',', c2 + 1);
      if (c3 !== -1 && c3 < lineEnd) {
        const kind = kindOf.get(Number(text.slice(c2 + 1, c3)));
        if (kind !== undefined) found[kind].push([toInt(text.slice(lineStart, c1)), toInt(text.slice(c1 + 1, c2))]);
      }
      lineStart = lineEnd + 1;
    }
  }
  const fromTable = text !== null && kinds.every((k) => found[k].length > 0);
  const pools = Object.fromEntries(kinds.map((k) => [k, createPool(k, fromTable ? found[k] : FALLBACK[k].map(cidr))])) as Record<PoolKind, AddressPool>;
  const source = fromTable
    ? `@ip-location-db/asn (${kinds.map((k) => `${found[k].length.toLocaleString('en-US')} ${k}`).join(', ')} ranges)`
    : 'built-in fallback ranges (@ip-location-db/asn not installed)';
  return { ...pools, source };
}
