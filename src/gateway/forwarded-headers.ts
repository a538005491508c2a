/**
 * The header fields the gateway sends upstream: the client's end-to-end fields as it sent them
 * (names' case, order and repeats kept, `Host` unchanged), plus `X-Forwarded-For`,
 * `X-Forwarded-Proto` and `X-Forwarded-Host`.
 *
 * Forwarding headers from the client are believed only when the peer is a trusted proxy
 * (`client_ip.trusted_proxies`), the same rule the engine uses to find the client IP: a trusted
 * proxy's `X-Forwarded-For` gets the peer appended and its `-Proto`/`-Host` are kept; anyone else's
 * are replaced, since a client that writes them itself is lying about where it came from.
 */
import { connectionOptions, headerKind, HeaderKind, removeNamed } from './hop-by-hop.ts';

/** Anything that can say whether a peer address is a trusted proxy (a {@link CidrSet}). */
export interface TrustedPeers {
  has(ip: string): boolean;
}

/** The IPv4 address inside an IPv4-mapped IPv6 peer (`::ffff:10.0.0.1`), as proxies write it. */
export function peerAddress(remoteAddress: string | undefined): string {
  if (remoteAddress === undefined) return '';
  return remoteAddress.startsWith('::ffff:') && remoteAddress.includes('.', 7) ? remoteAddress.slice(7) : remoteAddress;
}

/**
 * Builds the upstream request's header list from the client's `rawHeaders`. Returns null when the
 * request carries more than one `Host` field (RFC 9112 §3.2: answer 400).
 *
 * @param peer the connection's peer address (see {@link peerAddress}); '' when unknown.
 * @param proto `http` or `https`: how the client reached the gateway.
 * @example
 * upstreamHeaders(['Host', 'api.example', 'X-Forwarded-For', '6.6.6.6', 'Connection', 'keep-alive'], '203.0.113.7', 'http', untrusted)
 * // ['Host', 'api.example', 'x-forwarded-for', '203.0.113.7', 'x-forwarded-proto', 'http', 'x-forwarded-host', 'api.example']
 */
export function upstreamHeaders(raw: readonly string[], peer: string, proto: string, trusted: TrustedPeers): string[] | null {
  const out: string[] = [];
  let host: string | undefined;
  let xff: string | undefined;
  let xfProto: string | undefined;
  let xfHost: string | undefined;
  let extra: string[] | null = null;
  for (let i = 0; i < raw.length; i += 2) {
    const name = raw[i]!;
    const value = raw[i + 1]!;
    switch (headerKind(name)) {
      case HeaderKind.PASS:
        out.push(name, value);
        break;
      case HeaderKind.HOST:
        if (host !== undefined) return null;
        host = value;
        out.push(name, value);
        break;
      case HeaderKind.CONNECTION: {
        const named = connectionOptions(value);
        if (named !== null) (extra ??= []).push(...named);
        break;
      }
      case HeaderKind.X_FORWARDED_FOR:
        xff = xff === undefined ? value : `${xff}, ${value}`;
        break;
      case HeaderKind.X_FORWARDED_PROTO:
        xfProto ??= value;
        break;
      case HeaderKind.X_FORWARDED_HOST:
        xfHost ??= value;
        break;
      default: // hop-by-hop, Expect
    }
  }
  if (extra !== null) removeNamed(out, extra);
  // The trust lookup parses the peer address, so it is done only when the client sent something to trust.
  const believe = (xff !== undefined || xfProto !== undefined || xfHost !== undefined) && peer !== '' && trusted.has(peer);
  if (believe && xff !== undefined) out.push('x-forwarded-for', `${xff}, ${peer}`);
  else if (peer !== '') out.push('x-forwarded-for', peer);
  out.push('x-forwarded-proto', believe && xfProto !== undefined ? xfProto : proto);
  const forwardedHost = believe && xfHost !== undefined ? xfHost : host;
  if (forwardedHost !== undefined) out.push('x-forwarded-host', forwardedHost);
  return out;
}
