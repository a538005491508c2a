/**
 * What counts as a secret in a request, and how it is replaced in the decision log: by a keyed
 * hash (`hmac:` + 22 base64url characters of HMAC-SHA256), so that equal credentials stay
 * correlatable (one password tried against many users, one token from many IPs) without being
 * recoverable from the log.
 */
import { createHmac, createSecretKey, randomBytes } from 'node:crypto';
import type { KeyObject } from 'node:crypto';
import { ErrorCode, RampartError } from '../errors.ts';

/** Headers whose values are always replaced by a keyed hash. */
export const SECRET_HEADERS: readonly string[] = ['authorization', 'proxy-authorization', 'cookie', 'set-cookie', 'x-api-key', 'x-auth-token', 'x-csrf-token', 'rampart-solution', 'rampart-pass'];

/** Body fields and query parameters whose values are always replaced by a keyed hash (any depth, any case). */
export const SECRET_FIELDS: readonly string[] = [
  'password', 'passwd', 'pass', 'pwd', 'new_password', 'current_password', 'secret', 'token', 'access_token', 'refresh_token',
  'id_token', 'otp', 'code', 'pin', 'cvv', 'cvc', 'card_number', 'api_key', 'apikey', 'client_secret',
];

// Safety nets for names the lists miss (`x-session-token`, `passwordConfirmation`, `authToken`…).
// Over-redacting costs little: a hash still keys limits and correlates equal values.
const SECRET_HEADER_PATTERN = /authori[sz]ation|token|secret|passw|api[-_]?key|cookie|session|csrf|xsrf|signature|credential/i;
const SECRET_FIELD_PATTERN = /passw|secret|token|apikey|credential|privatekey|cardnumber/;

// Schemes shown in clear before the hash of an authorization header. Anything else is hashed
// whole: a client that sends `authorization: hunter2 x` must not see `hunter2` logged as a "scheme".
const AUTH_SCHEMES = new Set(['basic', 'bearer', 'digest', 'negotiate', 'ntlm', 'hoba', 'mutual', 'dpop', 'token', 'apikey', 'aws4-hmac-sha256', 'scram-sha-1', 'scram-sha-256', 'vapid', 'privatetoken', 'gnap']);

// Headers nearly every request carries and that never hold a credential: skip the pattern for them.
const COMMON_HEADERS = new Set(['host', 'user-agent', 'accept', 'accept-encoding', 'accept-language', 'content-type', 'content-length', 'connection', 'x-forwarded-for', 'x-forwarded-proto', 'x-forwarded-host', 'x-real-ip', 'forwarded', 'referer', 'origin', 'cache-control', 'pragma', 'te', 'transfer-encoding', 'if-none-match', 'if-modified-since', 'sec-fetch-mode', 'sec-fetch-site', 'sec-fetch-dest', 'sec-ch-ua', 'sec-ch-ua-mobile', 'sec-ch-ua-platform', 'x-request-id', 'traceparent', 'dnt', 'priority', 'upgrade-insecure-requests']);

const HASH_CHARS = 22;
const NEEDS_NORMALISING = /[A-Z_-]/;
const SEPARATORS = /[-_]/g;

/**
 * Lower case without `-` and `_`, so `newPassword`, `new-password` and `NEW_PASSWORD` compare equal.
 *
 * @example
 * normaliseFieldName('New_Password'); // 'newpassword'
 */
export function normaliseFieldName(name: string): string {
  return NEEDS_NORMALISING.test(name) ? name.toLowerCase().replace(SEPARATORS, '') : name;
}

export interface RedactorOptions {
  /**
   * Secret for the keyed hashes (at least 16 characters). When absent, 32 random bytes are drawn
   * once per process: hashes then correlate within one run only.
   */
  hashKey?: string | undefined;
  /** More header names to hash (case-insensitive), e.g. the policy's API key header. */
  headers?: readonly string[];
  /** More body field / query parameter names to hash (case-insensitive; `-` and `_` ignored). */
  fields?: readonly string[];
}

/** Decides what is secret and hashes it. Built once; every method is safe on the per-request path. */
export interface Redactor {
  /** `hmac:<22 base64url chars>` of the value under the configured key. */
  hash(value: string): string;
  /** Whether a header's value must be hashed. */
  isSecretHeader(name: string): boolean;
  /** Whether a body field's or query parameter's value must be hashed. */
  isSecretField(name: string): boolean;
  /** A secret header's logged value: the hash, after the scheme for `authorization` (`Bearer hmac:…`). */
  headerValue(name: string, value: string): string;
  /** The URL with secret query parameter values hashed; every other byte unchanged. */
  url(url: string): string;
}

let processKey: KeyObject | null = null;

/**
 * Builds a redactor. Without `hashKey`, the key is 32 random bytes drawn once per process.
 * Nothing is cached per secret: each value is hashed when logged and then forgotten.
 *
 * @example
 * const r = createRedactor({ hashKey: process.env.LOG_HASH_KEY, headers: ['x-customer-key'] });
 * r.headerValue('authorization', 'Bearer abc'); // 'Bearer hmac:…'
 * r.url('/reset?token=abc&page=2');              // '/reset?token=hmac:…&page=2'
 */
export function createRedactor(options: RedactorOptions = {}): Redactor {
  if (options.hashKey !== undefined && (typeof options.hashKey !== 'string' || options.hashKey.length < 16)) {
    throw new RampartError(ErrorCode.INVALID_ARGUMENT, 'log.decisions.hash_key must be a string of at least 16 characters; generate one with `openssl rand -hex 32`');
  }
  const key = options.hashKey === undefined ? (processKey ??= createSecretKey(randomBytes(32))) : createSecretKey(Buffer.from(options.hashKey, 'utf8'));
  const secretHeaders = new Set(SECRET_HEADERS);
  for (const h of options.headers ?? []) secretHeaders.add(h.toLowerCase());
  const secretFields = new Set<string>();
  for (const f of [...SECRET_FIELDS, ...(options.fields ?? [])]) secretFields.add(normaliseFieldName(f).toLowerCase());

  const hash = (value: string): string => 'hmac:' + createHmac('sha256', key).update(value).digest('base64url').slice(0, HASH_CHARS);

  const isSecretHeader = (name: string): boolean =>
    secretHeaders.has(name) || (!COMMON_HEADERS.has(name) && (SECRET_HEADER_PATTERN.test(name) || secretHeaders.has(name.toLowerCase())));

  const isSecretField = (name: string): boolean => {
    if (secretFields.has(name)) return true;
    const n = normaliseFieldName(name);
    return secretFields.has(n) || SECRET_FIELD_PATTERN.test(n);
  };

  const headerValue = (name: string, value: string): string => {
    if (name === 'authorization' || name === 'proxy-authorization') {
      const space = value.indexOf(' ');
      if (space > 0 && space <= 32) {
        const scheme = value.slice(0, space);
        if (AUTH_SCHEMES.has(scheme.toLowerCase())) return scheme + ' ' + hash(value);
      }
    }
    return hash(value);
  };

  const url = (url: string): string => {
    const q = url.indexOf('?');
    if (q === -1) return url;
    const hashAt = url.indexOf('#', q);
    const end = hashAt === -1 ? url.length : hashAt;
    let out: string | null = null;
    let copied = 0;
    for (let i = q + 1; i < end; ) {
      let amp = url.indexOf('&', i);
      if (amp === -1 || amp > end) amp = end;
      const eq = url.indexOf('=', i);
      if (eq !== -1 && eq < amp && isSecretField(decodeQueryPart(url.slice(i, eq)))) {
        out = (out ?? '') + url.slice(copied, eq + 1) + hash(decodeQueryPart(url.slice(eq + 1, amp)));
        copied = amp;
      }
      i = amp + 1;
    }
    return out === null ? url : out + url.slice(copied);
  };

  return { hash, isSecretHeader, isSecretField, headerValue, url };
}

// Decodes like URLSearchParams (what the engine's `query:` keys read), so a token hashes the same
// whether it arrived in the query, a header or the body.
function decodeQueryPart(raw: string): string {
  if (!raw.includes('%') && !raw.includes('+')) return raw;
  const spaced = raw.replaceAll('+', ' ');
  try {
    return decodeURIComponent(spaced);
  } catch {
    return new URLSearchParams('v=' + raw).get('v') ?? spaced;
  }
}
