/**
 * Reads one nginx access-log line in the `combined` or `common` format (Apache's `combined`,
 * `common` and `vhost_combined` are the same layout, the last with `host:port` in front):
 *
 * ```
 * $remote_addr - $remote_user [$time_local] "$request" $status $body_bytes_sent "$http_referer" "$http_user_agent"
 * ```
 *
 * A hand-written single pass over the line: replay reads millions of them, and a backtracking
 * regular expression over attacker-controlled text is both slow and a denial-of-service risk.
 * Fields after the user agent (a common local addition such as `"$http_x_forwarded_for"`) are
 * ignored.
 */
import { isTruncatedLine } from './read-lines.ts';
import type { ParsedLine, ReplayRecord } from './replay-record.ts';

const QUOTE = 34;
const BACKSLASH = 92;
const SPACE = 32;

const MONTHS: Readonly<Record<string, number>> = { Jan: 0, Feb: 1, Mar: 2, Apr: 3, May: 4, Jun: 5, Jul: 6, Aug: 7, Sep: 8, Oct: 9, Nov: 10, Dec: 11 };

/** `10/Oct/2000:13:55:36 -0700`: nginx's `$time_local` is always this long. */
const TIME_LENGTH = 26;

// Consecutive lines mostly share their second: the last `$time_local` text and its value are
// kept, so a line whose timestamp matches costs one string comparison and no allocation.
let lastTime = '';
let lastTimeMs = 0;

/**
 * Parses one line of an nginx `combined` (or `common`) access log. The user agent and referer
 * become the `user-agent` and `referer` headers (absent when logged as `-`); `\xHH` and `\"`
 * escapes in quoted fields are decoded, one character per byte as node:http reads headers.
 *
 * @example
 * parseNginxLine('203.0.113.7 - - [23/Nov/2026:10:00:00 +0000] "GET /api/products?page=2 HTTP/1.1" 200 512 "-" "curl/8.5"')
 * // { ok: true, record: { ts: 1795428000000, ip: '203.0.113.7', method: 'GET', url: '/api/products?page=2',
 * //                       headers: { 'user-agent': 'curl/8.5' }, status: 200 } }
 */
export function parseNginxLine(line: string): ParsedLine {
  if (isTruncatedLine(line)) return fail('line longer than 1 MiB');
  const n = line.length;

  let ipStart = 0;
  let ipEnd = line.indexOf(' ');
  if (ipEnd <= 0) return fail('not an nginx access-log line (expected "<remote_addr> - <remote_user> [<time_local>] ...")');
  const open = line.indexOf('[', ipEnd);
  if (open === -1) return fail(isAddress(line, 0, ipEnd) ? 'no [time_local] field' : notAnAddress(line, 0, ipEnd));
  // Apache's vhost_combined puts `host:port` first: four fields before the time instead of three.
  if (spacesBetween(line, 0, open) === 4) {
    ipStart = ipEnd + 1;
    ipEnd = line.indexOf(' ', ipStart);
  }
  if (!isAddress(line, ipStart, ipEnd)) return fail(notAnAddress(line, ipStart, ipEnd));

  const timeStart = open + 1;
  if (line.charCodeAt(timeStart + TIME_LENGTH) !== 93) return fail('time_local is not like [10/Oct/2000:13:55:36 -0700]');
  let ts: number;
  if (lastTime.length !== 0 && line.startsWith(lastTime, timeStart)) ts = lastTimeMs;
  else {
    const text = line.slice(timeStart, timeStart + TIME_LENGTH);
    ts = parseTimeLocal(text);
    if (Number.isNaN(ts)) return fail('bad time_local: ' + JSON.stringify(text));
    lastTime = text;
    lastTimeMs = ts;
  }

  let pos = timeStart + TIME_LENGTH + 1;
  if (line.charCodeAt(pos) !== SPACE || line.charCodeAt(pos + 1) !== QUOTE) return fail('no quoted request after time_local');
  const reqStart = pos + 2;
  const reqEnd = closingQuote(line, reqStart);
  if (reqEnd === -1) return fail('unterminated request field (truncated line?)');
  const request = requestLine(line, reqStart, reqEnd);
  if (typeof request === 'string') return fail(request);

  pos = reqEnd + 1;
  if (line.charCodeAt(pos) !== SPACE) return fail('no status after the request');
  const status = statusAt(line, pos + 1);
  if (status === -1) return fail('status is not a 3-digit number');
  pos += 4;
  // $body_bytes_sent: not needed, only skipped.
  if (line.charCodeAt(pos) !== SPACE) return fail('no body_bytes_sent after the status');
  pos++;
  while (pos < n && line.charCodeAt(pos) !== SPACE) pos++;

  const headers: Record<string, string> = {};
  if (pos < n && line.charCodeAt(pos + 1) === QUOTE) {
    const refStart = pos + 2;
    const refEnd = closingQuote(line, refStart);
    if (refEnd === -1) return fail('unterminated referer field (truncated line?)');
    if (line.charCodeAt(refEnd + 1) !== SPACE || line.charCodeAt(refEnd + 2) !== QUOTE) return fail('no quoted user agent after the referer');
    const uaStart = refEnd + 3;
    const uaEnd = closingQuote(line, uaStart);
    if (uaEnd === -1) return fail('unterminated user-agent field (truncated line?)');
    if (!isDash(line, refStart, refEnd)) headers.referer = field(line, refStart, refEnd);
    if (!isDash(line, uaStart, uaEnd)) headers['user-agent'] = field(line, uaStart, uaEnd);
  }

  const record: ReplayRecord = { ts, ip: line.slice(ipStart, ipEnd), method: request.method, url: request.url, headers, status };
  return { ok: true, record };
}

function fail(error: string): ParsedLine {
  return { ok: false, error };
}

// IPv4 or IPv6 (with a zone): only the characters are checked, enough to reject junk and
// misaligned lines; the engine's own address parsing judges the rest.
function notAnAddress(line: string, start: number, end: number): string {
  return 'remote address is not an IP address: ' + JSON.stringify(line.slice(start, Math.min(end, start + 64)));
}

function spacesBetween(line: string, start: number, end: number): number {
  let n = 0;
  for (let i = start; i < end; i++) if (line.charCodeAt(i) === SPACE) n++;
  return n;
}

function isAddress(line: string, start: number, end: number): boolean {
  if (end <= start) return false;
  for (let i = start; i < end; i++) {
    const c = line.charCodeAt(i);
    if ((c >= 48 && c <= 58) || (c >= 97 && c <= 122) || (c >= 65 && c <= 90) || c === 46 || c === 37 || c === 95 || c === 45) continue;
    return false;
  }
  return true;
}

/**
 * `$time_local` (`10/Oct/2000:13:55:36 -0700`) as epoch ms, or NaN. Parsed by position, not with
 * Date.parse, which does not accept this layout and would need the text rebuilt.
 */
export function parseTimeLocal(text: string): number {
  if (text.length !== TIME_LENGTH || text[2] !== '/' || text[6] !== '/' || text[11] !== ':' || text[14] !== ':' || text[17] !== ':' || text[20] !== ' ') return Number.NaN;
  const month = MONTHS[text.slice(3, 6)];
  if (month === undefined) return Number.NaN;
  const day = digits(text, 0, 2);
  const year = digits(text, 7, 4);
  const hour = digits(text, 12, 2);
  const minute = digits(text, 15, 2);
  const second = digits(text, 18, 2);
  const sign = text[21] === '+' ? 1 : text[21] === '-' ? -1 : 0;
  const offH = digits(text, 22, 2);
  const offM = digits(text, 24, 2);
  if (day < 1 || hour > 23 || minute > 59 || second > 60 || sign === 0 || offH > 14 || offM > 59 || year < 0) return Number.NaN;
  const utc = Date.UTC(year, month, day, hour, minute, second);
  // Date.UTC rolls 31 Feb over into March; a day the month does not have is a bad date.
  if (new Date(utc).getUTCDate() !== day) return Number.NaN;
  return utc - sign * (offH * 60 + offM) * 60_000;
}

/** A run of decimal digits as a number, or -1 if any character is not a digit. */
function digits(text: string, start: number, count: number): number {
  let value = 0;
  for (let i = start; i < start + count; i++) {
    const d = text.charCodeAt(i) - 48;
    if (d < 0 || d > 9) return -1;
    value = value * 10 + d;
  }
  return value;
}

function statusAt(line: string, start: number): number {
  const value = digits(line, start, 3);
  return value >= 100 ? value : -1;
}

/** Index of the quote that closes a field starting at `start`, skipping `\"`; -1 if none. */
function closingQuote(line: string, start: number): number {
  let q = line.indexOf('"', start);
  while (q !== -1 && line.charCodeAt(q - 1) === BACKSLASH && q > start) {
    // An even run of backslashes is escaped backslashes (`\\"`): the quote is real.
    let run = 1;
    while (q - run - 1 >= start && line.charCodeAt(q - run - 1) === BACKSLASH) run++;
    if (run % 2 === 0) return q;
    q = line.indexOf('"', q + 1);
  }
  return q;
}

function isDash(line: string, start: number, end: number): boolean {
  return end === start + 1 && line.charCodeAt(start) === 45;
}

/** A quoted field's text with nginx (`\xHH`) and Apache (`\"`, `\\`) escapes decoded. */
function field(line: string, start: number, end: number): string {
  const text = line.slice(start, end);
  return text.indexOf('\\') === -1 ? text : unescape(text);
}

function unescape(text: string): string {
  let out = '';
  let from = 0;
  for (let i = text.indexOf('\\'); i !== -1 && i < text.length - 1; i = text.indexOf('\\', from)) {
    const next = text[i + 1];
    if (next === 'x' && i + 3 < text.length && isHex(text.charCodeAt(i + 2)) && isHex(text.charCodeAt(i + 3))) {
      out += text.slice(from, i) + String.fromCharCode(Number.parseInt(text.slice(i + 2, i + 4), 16));
      from = i + 4;
    } else if (next === '"' || next === '\\') {
      out += text.slice(from, i) + next;
      from = i + 2;
    } else {
      out += text.slice(from, i + 1);
      from = i + 1;
    }
  }
  return out + text.slice(from);
}

function isHex(c: number): boolean {
  return (c >= 48 && c <= 57) || (c >= 97 && c <= 102) || (c >= 65 && c <= 70);
}

/**
 * `METHOD URL PROTOCOL` from the raw request field. The URL is everything between the method
 * and the protocol, so a URL nginx logged with spaces in it survives; without a protocol
 * (HTTP/0.9) the URL is the rest. Returns why, when the field is not a request line.
 */
function requestLine(line: string, start: number, end: number): { method: string; url: string } | string {
  if (end === start + 1 && line.charCodeAt(start) === 45) return 'no request line ("-": the client sent none, e.g. a 400 or 408 logged by nginx)';
  let m = start;
  while (m < end) {
    const c = line.charCodeAt(m);
    if (c === SPACE) break;
    // nginx's method token: upper-case letters, `_` and `-`.
    if (!((c >= 65 && c <= 90) || c === 95 || c === 45)) return 'malformed request line: ' + preview(line, start, end);
    m++;
  }
  if (m === start || m === end || m - start > 32) return 'malformed request line: ' + preview(line, start, end);
  let urlEnd = end;
  const lastSpace = line.lastIndexOf(' ', end - 1);
  if (lastSpace > m && line.startsWith('HTTP/', lastSpace + 1)) urlEnd = lastSpace;
  const urlStart = m + 1;
  if (urlEnd <= urlStart) return 'malformed request line: ' + preview(line, start, end);
  return { method: line.slice(start, m), url: field(line, urlStart, urlEnd) };
}

function preview(line: string, start: number, end: number): string {
  return JSON.stringify(end - start > 80 ? line.slice(start, start + 80) + '…' : line.slice(start, end));
}
