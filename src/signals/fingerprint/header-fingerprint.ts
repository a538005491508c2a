/**
 * A fingerprint of how a client writes its requests, independent of its IP: which headers it sends,
 * in which order, and the values that differ between HTTP stacks. Modelled on JA4H
 * (FoxIO, https://github.com/FoxIO-LLC/ja4): a readable prefix plus two hashes.
 *
 *   `ge` `c` `r` `12` `enus` _ `<12 hex: header names in order>` _ `<12 hex: a few values>`
 *
 * - method: first two letters, lower case (`ge`, `po`, `pu`, `de`, `pa`, `he`, `op`);
 * - `c`/`n`: a cookie header is present or not; `r`/`n`: a referer is present or not;
 * - the number of other headers, two digits (capped at 99);
 * - the first four letters of accept-language, lower case, `0000` without one;
 * - SHA-256 of the header names in the order received, without cookie and referer, first 12 hex;
 * - SHA-256 of user-agent, accept, accept-encoding and accept-language values, first 12 hex.
 *
 * Every client of one app version on one platform shares a fingerprint, and a script that rotates
 * IPs and user agents keeps its header layout; so this is a key for limits (`key: fingerprint`) and
 * for bans that follow a client across addresses. It is not secret and not unique per person.
 */
import { createHash } from 'node:crypto';
import type { RequestHeaders } from '../../engine/request-context.ts';

const VALUE_HEADERS = ['user-agent', 'accept', 'accept-encoding', 'accept-language'] as const;
/** At most this many header names go into the hash; a request with more is hashed on its first 100. */
const MAX_NAMES = 100;

function valueOf(headers: RequestHeaders, name: string): string {
  const v = headers[name];
  return v === undefined ? '' : typeof v === 'string' ? v : v.join(', ');
}

function hash12(text: string): string {
  return createHash('sha256').update(text).digest('hex').slice(0, 12);
}

/**
 * Computes the fingerprint of a request's headers (lower-case names, in the order received).
 *
 * @example
 * headerFingerprint('GET', { host: 'shop', 'user-agent': 'curl/8.10.1', accept: '*\/*' })
 * // 'genn030000_' + 12 hex digits (the names) + '_' + 12 hex digits (the values)
 */
export function headerFingerprint(method: string, headers: RequestHeaders): string {
  let names = '';
  let count = 0;
  let cookie = 'n';
  let referer = 'n';
  for (const name in headers) {
    if (headers[name] === undefined) continue;
    if (name === 'cookie') {
      cookie = 'c';
      continue;
    }
    if (name === 'referer') {
      referer = 'r';
      continue;
    }
    if (count < MAX_NAMES) names += count === 0 ? name : `,${name}`;
    count++;
  }
  const lang = valueOf(headers, 'accept-language').replace(/[^a-zA-Z]/g, '').slice(0, 4).toLowerCase().padEnd(4, '0');
  let values = '';
  for (const name of VALUE_HEADERS) values += `${valueOf(headers, name).slice(0, 512)}\n`;
  const m = method.slice(0, 2).toLowerCase().padEnd(2, '-');
  return `${m}${cookie}${referer}${String(Math.min(count, 99)).padStart(2, '0')}${lang}_${hash12(names)}_${hash12(values)}`;
}
