/**
 * The header fingerprint a challenge and its pass are bound to. Independent of the IP address (mobile
 * clients change address; a pass bound to one fails them, a common complaint about IP-bound tokens),
 * and stable across the kinds of request one client makes (a page navigation, then `fetch` calls), so
 * a pass earned on one keeps working for the others.
 *
 * It covers exactly:
 * - the `user-agent` value,
 * - the `accept-language` value,
 * - which of these headers are present: `accept-encoding`, `sec-ch-ua`, `sec-ch-ua-mobile`,
 *   `sec-ch-ua-platform`, `sec-fetch-site`.
 *
 * Hashed with a key (HMAC-SHA-256, first 64 bits, hex), so it means nothing outside this deployment.
 * A stolen pass works only with the same values; a bot that copies them all still paid for the work
 * once per pass lifetime and group. Swap this one function for a richer fingerprint (issue 7).
 */
import type { HmacSha256 } from './sha256.ts';

/** Reads one request header (lower-case name), as `RequestContext.header` does. */
export type HeaderReader = (name: string) => string | undefined;

const PRESENCE = ['accept-encoding', 'sec-ch-ua', 'sec-ch-ua-mobile', 'sec-ch-ua-platform', 'sec-fetch-site'] as const;

/**
 * @example
 * headerFingerprint((n) => req.headers[n], new HmacSha256(key)) // '3f1c9a0b7e2d4c55'
 */
export function headerFingerprint(header: HeaderReader, mac: HmacSha256): string {
  let flags = '';
  for (const name of PRESENCE) flags += header(name) === undefined ? '0' : '1';
  return Buffer.from(mac.digest(`${header('user-agent') ?? ''}\n${header('accept-language') ?? ''}\n${flags}`).buffer, 0, 8).toString('hex');
}
