/**
 * Network prefixes as rate-limit keys. One IPv6 customer usually holds a whole /64 (often a /56 or
 * /48), and one IPv4 abuser often a /24, so limiting per address alone is easy to walk around.
 */
import { ErrorCode, RampartError } from '../errors.ts';
import { formatIpv4, formatIpv6, parseIpInto, wordMask } from './ip.ts';

/** Prefix lengths for {@link createIpPrefixKey}. */
export interface IpPrefixOptions {
  /** Bits kept of an IPv4 address, 0–32. Default 24. */
  v4Bits?: number;
  /** Bits kept of an IPv6 address, 0–128. Default 64. */
  v6Bits?: number;
}

/** Maps a client IP to the text key of its network. */
export type IpPrefixKey = (ip: string) => string;

const scratch = new Uint32Array(4);

function checkBits(name: string, bits: number, max: number): void {
  if (!Number.isInteger(bits) || bits < 0 || bits > max) {
    const message = `${name} must be an integer from 0 to ${max}, got ${String(bits)}`;
    throw new RampartError(ErrorCode.INVALID_ARGUMENT, message);
  }
}

function keyOf(ip: string, v4Bits: number, v6Bits: number): string {
  const version = parseIpInto(ip, scratch);
  if (version === 4) return formatIpv4((scratch[0] & wordMask(v4Bits)) >>> 0) + '/' + v4Bits;
  if (version === 6) {
    const w0 = (scratch[0] & wordMask(v6Bits)) >>> 0;
    const w1 = (scratch[1] & wordMask(v6Bits - 32)) >>> 0;
    const w2 = (scratch[2] & wordMask(v6Bits - 64)) >>> 0;
    const w3 = (scratch[3] & wordMask(v6Bits - 96)) >>> 0;
    return formatIpv6(w0, w1, w2, w3) + '/' + v6Bits;
  }
  return ip;
}

/**
 * Builds a key function for fixed prefix lengths, validated once here rather than per call.
 *
 * The key is the network address in canonical text followed by `/bits`. IPv4-mapped IPv6 is keyed
 * as IPv4. Text that is not an IP address is returned unchanged: the client-IP resolver only emits
 * canonical addresses or, when the socket reported none, the peer text itself, so such input is
 * never attacker-chosen, and keeping it distinct is better than lumping unrelated requests together.
 *
 * @throws RampartError `RAMPART_ERR_INVALID_ARGUMENT` when a prefix length is out of range.
 * @example
 * const key = createIpPrefixKey({ v4Bits: 24, v6Bits: 48 });
 * key('203.0.113.77');        // '203.0.113.0/24'
 * key('2001:db8:1:2:3::9');   // '2001:db8:1::/48'
 */
export function createIpPrefixKey(options: IpPrefixOptions = {}): IpPrefixKey {
  const v4Bits = options.v4Bits ?? 24;
  const v6Bits = options.v6Bits ?? 64;
  checkBits('v4Bits', v4Bits, 32);
  checkBits('v6Bits', v6Bits, 128);
  return function ipPrefixKeyOf(ip: string): string {
    return keyOf(ip, v4Bits, v6Bits);
  };
}

/**
 * The network of `ip` as `address/bits`, with the rules of {@link createIpPrefixKey}.
 *
 * @throws RampartError `RAMPART_ERR_INVALID_ARGUMENT` when a prefix length is out of range.
 * @example
 * ipPrefixKey('203.0.113.77');             // '203.0.113.0/24'
 * ipPrefixKey('203.0.113.77', 16);         // '203.0.0.0/16'
 * ipPrefixKey('2001:db8:1:2:3:4:5:6');     // '2001:db8:1:2::/64'
 * ipPrefixKey('::ffff:198.51.100.9');      // '198.51.100.0/24'
 */
export function ipPrefixKey(ip: string, v4Bits = 24, v6Bits = 64): string {
  // Two integer comparisons: cheap enough to keep this convenience form safe on any path.
  checkBits('v4Bits', v4Bits, 32);
  checkBits('v6Bits', v6Bits, 128);
  return keyOf(ip, v4Bits, v6Bits);
}
