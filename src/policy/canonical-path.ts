/**
 * Request-target canonicalisation. Route rules match on the canonical path, so an attacker who
 * spells `/api/auth/login` as `//api/./AUTH/%6cogin;x=1/` still hits the login limit.
 *
 * The steps, in this order:
 * 1. Take the path: drop `?query` and `#fragment`; an absolute-form target (`http://host/p`) gives
 *    its path; `*` and an empty target give `/`.
 * 2. Treat `\` as `/`. Some backends (IIS and other Windows stacks, some path-normalising
 *    frameworks) do, so `/api\auth\login` reaches the login handler; treating it as a separator here
 *    means the limit on `/api/auth/login` applies to it as well.
 * 3. Strip matrix parameters: `;` and the rest of its segment. This also defeats the Tomcat-style
 *    `/api/..;/admin`, which becomes `/api/../admin` and then `/admin`.
 * 4. Percent-decode the unreserved characters (RFC 3986 §2.3) and upper-case the hex digits of every
 *    other escape. `%2F` stays encoded: it is data, not a separator. Malformed escapes stay as sent.
 * 5. Collapse `//`, resolve `.` and `..` (RFC 3986 §5.2.4; never above the root). Decoding comes
 *    first so `/%2e%2e/` counts as `..`.
 * 6. Apply the trailing-slash policy, then the case policy (ASCII letters only).
 *
 * Known limit: backends that decode `%2F` or `%5C` into a separator see a different path than
 * the rules do; reject such requests upstream if your backend does that.
 */
import { ErrorCode, RampartError } from '../errors.ts';

/** How request paths are canonicalised; the same options apply to route templates. */
export interface CanonicalPathOptions {
  /** `strip`: `/a/` becomes `/a` (the root stays `/`). `keep`: a trailing slash is significant. */
  readonly trailingSlash: 'strip' | 'keep';
  /** When false the canonical path is lower-cased (ASCII letters only). */
  readonly caseSensitive: boolean;
}

/** Turns a request target (path and optional query, as sent) into the canonical path. */
export type PathCanonicalizer = (url: string) => string;

const SLASH = 0x2f;
const BACKSLASH = 0x5c;
const DOT = 0x2e;
const PERCENT = 0x25;
const SEMICOLON = 0x3b;
const QUESTION = 0x3f;
const HASH = 0x23;
const HEX_DIGITS = '0123456789ABCDEF';

/**
 * Builds a canonicaliser. Options are checked here, once; the returned function never throws.
 *
 * @example
 * const canonical = createPathCanonicalizer({ trailingSlash: 'strip', caseSensitive: false });
 * canonical('//API/auth/./%6cogin;jsessionid=1?next=/') // '/api/auth/login'
 */
export function createPathCanonicalizer(options: CanonicalPathOptions): PathCanonicalizer {
  const trailingSlash: unknown = options?.trailingSlash;
  if (trailingSlash !== 'strip' && trailingSlash !== 'keep') {
    throw new RampartError(
      ErrorCode.INVALID_ARGUMENT,
      `trailingSlash must be 'strip' or 'keep', got ${JSON.stringify(trailingSlash)}`,
    );
  }
  const caseSensitive: unknown = options.caseSensitive;
  if (typeof caseSensitive !== 'boolean') {
    throw new RampartError(
      ErrorCode.INVALID_ARGUMENT,
      `caseSensitive must be true or false, got ${JSON.stringify(caseSensitive)}`,
    );
  }
  const strip = trailingSlash === 'strip';
  const lower = !caseSensitive;

  return function canonicalizePath(url: string): string {
    const start = pathStart(url);
    if (start === -1) return '/';
    // One scan finds the end of the path and whether anything needs fixing; almost every real
    // request needs nothing, and then the answer is the input or one slice of it.
    let needsWork = url.charCodeAt(start) !== SLASH;
    let hasUpper = false;
    let hasNonAscii = false;
    let end = url.length;
    for (let i = start; i < end && !needsWork; i++) {
      const c = url.charCodeAt(i);
      if (c === QUESTION || c === HASH) {
        end = i;
      } else if (c === SLASH) {
        const next = url.charCodeAt(i + 1);
        needsWork = next === SLASH || (next === DOT && isDotSegment(url, i + 1));
      } else if (c === PERCENT || c === SEMICOLON || c === BACKSLASH) {
        needsWork = true;
      } else if (c >= 0x41 && c <= 0x5a) {
        hasUpper = true;
      } else if (c > 0x7f) {
        hasNonAscii = true;
      }
    }
    if (!needsWork && strip && end - start > 1 && url.charCodeAt(end - 1) === SLASH) needsWork = true;
    if (needsWork) return canonicalizeSlowly(url, start, strip, lower);
    const path = start === 0 && end === url.length ? url : url.slice(start, end);
    if (!lower || !hasUpper) return path;
    return hasNonAscii ? toLowerAscii(path) : path.toLowerCase();
  };
}

/**
 * Lower-cases ASCII letters only; `toLowerCase` would also fold letters such as `İ` and `Σ`,
 * which no HTTP stack treats as equal to their lower-case forms in a path.
 *
 * @example
 * toLowerAscii('/API/Ärger') // '/api/Ärger'
 */
export function toLowerAscii(value: string): string {
  return /[A-Z]/.test(value) ? value.replace(/[A-Z]+/g, (letters) => letters.toLowerCase()) : value;
}

/** Index where the path begins, or -1 when the target has no path (`*`, empty, `http://host?q`). */
function pathStart(url: string): number {
  if (url.length === 0) return -1;
  const first = url.charCodeAt(0);
  if (first === SLASH) return 0;
  if (first === QUESTION || first === HASH || url === '*') return -1;
  const authority = absoluteFormAuthority(url);
  if (authority === -1) return 0;
  for (let i = authority; i < url.length; i++) {
    const c = url.charCodeAt(i);
    if (c === SLASH || c === BACKSLASH) return i;
    if (c === QUESTION || c === HASH) return -1;
  }
  return -1;
}

/** For `scheme://…`, the index just after `://`; otherwise -1. */
function absoluteFormAuthority(url: string): number {
  for (let i = 0; i < url.length; i++) {
    const c = url.charCodeAt(i);
    const isAlpha = (c | 0x20) >= 0x61 && (c | 0x20) <= 0x7a;
    if (isAlpha || (i > 0 && ((c >= 0x30 && c <= 0x39) || c === 0x2b || c === 0x2d || c === DOT))) continue;
    return i > 0 && url.startsWith('://', i) ? i + 3 : -1;
  }
  return -1;
}

/** True when the `.` at `i` starts a `.` or `..` segment. */
function isDotSegment(url: string, i: number): boolean {
  let j = i + 1;
  if (url.charCodeAt(j) === DOT) j++;
  return j >= url.length || endsSegment(url.charCodeAt(j));
}

function endsSegment(c: number): boolean {
  return c === SLASH || c === BACKSLASH || c === QUESTION || c === HASH || c === SEMICOLON;
}

function canonicalizeSlowly(url: string, start: number, strip: boolean, lower: boolean): string {
  let end = url.length;
  for (let i = start; i < end; i++) {
    const c = url.charCodeAt(i);
    if (c === QUESTION || c === HASH) end = i;
  }
  const segments: string[] = [];
  // RFC 3986 §5.2.4 keeps a trailing `/` after a final empty, `.` or `..` segment.
  let trailing = false;
  let segmentStart = start;
  while (segmentStart <= end) {
    let segmentEnd = segmentStart;
    while (segmentEnd < end) {
      const c = url.charCodeAt(segmentEnd);
      if (c === SLASH || c === BACKSLASH) break;
      segmentEnd++;
    }
    const segment = decodeSegment(url, segmentStart, segmentEnd);
    trailing = segment === '' || segment === '.' || segment === '..';
    if (segment === '..') segments.pop();
    else if (!trailing) segments.push(segment);
    segmentStart = segmentEnd + 1;
  }
  if (segments.length === 0) return '/';
  const path = '/' + segments.join('/') + (trailing && !strip ? '/' : '');
  return lower ? toLowerAscii(path) : path;
}

/** Strips the matrix part and normalises escapes of `url[from, to)`, which holds no separator. */
function decodeSegment(url: string, from: number, to: number): string {
  let out = '';
  let copyFrom = from;
  // Output index of the last malformed `%`, kept as sent. Decoding a hex digit right after it
  // (`%6%36` → `%66`) would forge a new escape and make canonicalisation non-idempotent.
  let malformedPercent = -3;
  for (let i = from; i < to; i++) {
    const c = url.charCodeAt(i);
    if (c === SEMICOLON) {
      to = i;
      break;
    }
    if (c !== PERCENT) continue;
    const high = i + 2 < to ? hexValue(url.charCodeAt(i + 1)) : -1;
    const low = high === -1 ? -1 : hexValue(url.charCodeAt(i + 2));
    if (low === -1) {
      out += url.slice(copyFrom, i + 1);
      malformedPercent = out.length - 1;
      copyFrom = i + 1;
      continue;
    }
    out += url.slice(copyFrom, i);
    const byte = high * 16 + low;
    const forgesEscape =
      hexValue(byte) !== -1 &&
      (malformedPercent === out.length - 1 ||
        (malformedPercent === out.length - 2 && hexValue(out.charCodeAt(out.length - 1)) !== -1));
    out +=
      isUnreserved(byte) && !forgesEscape ? String.fromCharCode(byte) : '%' + HEX_DIGITS[high] + HEX_DIGITS[low];
    copyFrom = i + 3;
    i += 2;
  }
  return out + url.slice(copyFrom, to);
}

function hexValue(c: number): number {
  if (c >= 0x30 && c <= 0x39) return c - 0x30;
  const folded = c | 0x20;
  if (folded >= 0x61 && folded <= 0x66) return folded - 0x61 + 10;
  return -1;
}

/** RFC 3986 §2.3: ALPHA / DIGIT / "-" / "." / "_" / "~". */
function isUnreserved(c: number): boolean {
  const folded = c | 0x20;
  return (
    (folded >= 0x61 && folded <= 0x7a) || (c >= 0x30 && c <= 0x39) || c === 0x2d || c === DOT || c === 0x5f || c === 0x7e
  );
}
