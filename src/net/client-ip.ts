/**
 * Who is the client? The TCP peer, unless the peer is a proxy we trust, in which case the proxy's
 * forwarding header says who connected to it. Anyone can send a forwarding header, so a header is
 * believed only as far back as a chain of trusted proxies vouches for it.
 */
import { ErrorCode, RampartError } from '../errors.ts';
import { CidrSet } from './cidr.ts';
import { parseForwarded, parseXForwardedFor, parseXRealIp } from './forwarded.ts';
import type { HeaderValue, Hop } from './forwarded.ts';
import { canonicalIp } from './ip.ts';

/** The header a trusted proxy uses to pass on the client address. */
export type ClientIpHeader = 'x-forwarded-for' | 'forwarded' | 'x-real-ip';

/** Request headers with lower-case names, as Node's `req.headers` (or `headersDistinct`) holds them. */
export type RequestHeaders = Readonly<Record<string, string | readonly string[] | undefined>>;

/** Options for {@link createClientIpResolver}. */
export interface ClientIpOptions {
  /**
   * Proxies whose forwarding header is believed: addresses, CIDR ranges, or the presets
   * `loopback`, `private`, `linklocal` (see {@link CidrSet}). Empty means no header is ever read.
   */
  trustedProxies: readonly string[];
  /** Which header the trusted proxies set. Default `x-forwarded-for`. */
  header?: ClientIpHeader;
  /** Names the list in error messages (e.g. the config path `client_ip.trusted_proxies`). Default `trustedProxies`. */
  label?: string;
}

/**
 * Returns the client IP in canonical form for a request that arrived from socket address `peer`
 * (pass `req.socket.remoteAddress` as is). A `peer` that is not an IP address is returned unchanged
 * and no header is read for it; Node reports `undefined` for Unix sockets and closed sockets,
 * which gives `''`.
 */
export type ClientIpResolver = (peer: string | undefined, headers: RequestHeaders) => string;

const HEADER_PARSERS: Readonly<Record<ClientIpHeader, (value: HeaderValue) => Hop[]>> = {
  'x-forwarded-for': parseXForwardedFor,
  forwarded: parseForwarded,
  'x-real-ip': parseXRealIp,
};

/**
 * Builds the resolver. The rules:
 * 1. If the peer is not a trusted proxy, the client is the peer; headers are not looked at, so a
 *    client can never change its own identity by sending them.
 * 2. Otherwise walk the header's hops right to left (nearest proxy's entry first), skipping trusted
 *    proxies; the first untrusted address is the client.
 * 3. If an entry is not an address (`unknown`, `_hidden`, garbage, or beyond the size bounds of
 *    `forwarded.ts`) before an untrusted one is found, the client is the last trusted hop reached.
 *    Whatever is left of a gap was written by someone we cannot vouch for; the last trusted hop is
 *    the nearest address we know is true. It may be a shared proxy, which is safer than a key the
 *    client could choose.
 * 4. If every hop is trusted (or the header is absent), the client is the left-most one reached.
 *
 * Trust only ranges that hold nothing but proxies: a client inside a trusted range (`private`
 * covers office and VPN machines too) can put any address in front of its own and be taken at
 * its word.
 *
 * @throws RampartError `RAMPART_ERR_INVALID_ARGUMENT` for a bad proxy entry or an unknown header.
 * @example
 * const clientIp = createClientIpResolver({ trustedProxies: ['10.0.0.0/8'] });
 * clientIp('10.0.0.2', { 'x-forwarded-for': '6.6.6.6, 203.0.113.7, 10.0.0.9' }); // '203.0.113.7'
 * clientIp('198.51.100.4', { 'x-forwarded-for': '1.2.3.4' });                     // '198.51.100.4'
 */
export function createClientIpResolver(options: ClientIpOptions): ClientIpResolver {
  if (typeof options !== 'object' || options === null) {
    throw new RampartError(
      ErrorCode.INVALID_ARGUMENT,
      'createClientIpResolver needs an options object with trustedProxies',
    );
  }
  const header = options.header ?? 'x-forwarded-for';
  if (!Object.hasOwn(HEADER_PARSERS, header)) {
    throw new RampartError(
      ErrorCode.INVALID_ARGUMENT,
      `header must be one of ${Object.keys(HEADER_PARSERS).join(', ')}; got ${JSON.stringify(header)}`,
    );
  }
  const trusted = new CidrSet(options.trustedProxies, { label: options.label ?? 'trustedProxies' });

  // Consecutive requests mostly share a connection, hence a peer: remember the last one's canonical form.
  let lastPeer = '';
  let lastCanonical: string | null = '';
  const canonicalPeerOf = (peer: string): string | null => {
    if (peer === lastPeer) return lastCanonical;
    lastCanonical = canonicalIp(peer);
    lastPeer = peer;
    return lastCanonical;
  };

  if (trusted.isEmpty) {
    return function clientIpFromPeer(peer: string | undefined): string {
      if (peer === undefined) return '';
      return canonicalPeerOf(peer) ?? peer;
    };
  }

  const parseHops = HEADER_PARSERS[header];
  return function clientIpThroughProxies(peer: string | undefined, headers: RequestHeaders): string {
    if (peer === undefined) return '';
    const canonicalPeer = canonicalPeerOf(peer);
    if (canonicalPeer === null) return peer;
    if (!trusted.has(canonicalPeer)) return canonicalPeer;
    const hops = parseHops(headers[header]);
    let nearestTrusted = canonicalPeer;
    for (let i = hops.length - 1; i >= 0; i--) {
      const hop = hops[i];
      if (hop === null) return nearestTrusted;
      if (!trusted.has(hop)) return hop;
      nearestTrusted = hop;
    }
    return nearestTrusted;
  };
}
