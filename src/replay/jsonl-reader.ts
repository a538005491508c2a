/**
 * Reads one JSON-lines request record: the format of DESIGN.md ("Decision log = replay input"),
 * which the gateway's decision log writes, so that log replays as it is.
 *
 * ```json
 * {"ts":"2026-11-23T10:00:00.123Z","ip":"203.0.113.7","method":"POST","url":"/api/auth/login",
 *  "headers":{"user-agent":"curl/8"},"body":{"username":"alice"},"status":401}
 * ```
 *
 * Little more than `JSON.parse` and type checks: replay reads millions of lines, and the parsed
 * headers object is handed on as it is unless a name needs lower-casing or a value joining.
 */
import { isTruncatedLine } from './read-lines.ts';
import type { ParsedLine, ReplayRecord } from './replay-record.ts';

/** ISO-8601 with a date, a time and a zone; without a zone, Date.parse would use the machine's. */
const ISO = /^\d{4}-\d\d-\d\dT\d\d:\d\d(?::\d\d(?:\.\d{1,9})?)?(?:Z|[+-]\d\d:?\d\d)$/i;

// The gateway writes `2026-11-23T10:00:00.123Z` and many lines share a second: the last
// `…T10:00:00` prefix and its value are kept so that such a line costs a comparison and three digits.
let lastSecond = '';
let lastSecondMs = 0;

/**
 * Parses one line of a JSON-lines request log. `ts` is ISO-8601 (with a zone) or epoch ms;
 * `ip`, `method` and `url` are required strings; `headers` (names lower-cased, repeated values
 * joined with `, `) and `body` are optional. The recorded response is `upstream_status` when the
 * line has that key (the gateway's log, where `status` may be the gateway's own 429 and
 * `upstream_status` is null for a request the upstream never saw), else `status`; null when neither.
 *
 * @example
 * parseJsonlLine('{"ts":1795428000123,"ip":"203.0.113.7","method":"GET","url":"/","status":200}')
 * // { ok: true, record: { ts: 1795428000123, ip: '203.0.113.7', method: 'GET', url: '/', headers: {}, status: 200 } }
 */
export function parseJsonlLine(line: string): ParsedLine {
  let value: unknown = withoutDecision(line);
  if (value === undefined) {
    try {
      value = JSON.parse(line);
    } catch (err) {
      if (isTruncatedLine(line)) return fail('line longer than 1 MiB');
      return fail('invalid JSON: ' + (err as Error).message);
    }
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return fail('not a JSON object');
  const obj = value as Record<string, unknown>;

  const ts = timestamp(obj.ts);
  if (typeof ts === 'string') return fail(ts);
  const { ip, method, url } = obj;
  if (typeof ip !== 'string' || ip.length === 0) return fail(missingOrWrong('ip', ip, 'a non-empty string'));
  if (typeof method !== 'string' || method.length === 0) return fail(missingOrWrong('method', method, 'a non-empty string'));
  if (typeof url !== 'string' || url.length === 0) return fail(missingOrWrong('url', url, 'a non-empty string'));

  const headers = headersOf(obj.headers);
  if (typeof headers === 'string') return fail(headers);

  const status = 'upstream_status' in obj ? obj.upstream_status : obj.status;
  if (status !== undefined && status !== null && !isStatus(status)) {
    return fail(('upstream_status' in obj ? 'upstream_status' : 'status') + ' must be an HTTP status code (100-999) or null, got ' + preview(status));
  }

  const record: ReplayRecord =
    obj.body === undefined
      ? { ts, ip, method, url, headers, status: (status as number | null | undefined) ?? null }
      : { ts, ip, method, url, headers, body: obj.body, status: (status as number | null | undefined) ?? null };
  return { ok: true, record };
}

const DECISION_KEY = ',"decision":{"action":"';
const UPSTREAM_KEY = '"upstream_status":';

/**
 * A gateway decision-log line parsed without its tail (`decision`, `latency_ms`, `route`, a
 * third of the line that replay does not read), or undefined to parse the line whole.
 *
 * Safe on any line: inside a JSON string that key text would be escaped (`\"`), so a match is
 * an object key. It is taken only right after a top-level-looking `"upstream_status":<n|null>`,
 * the order RecordLineWriter writes; and if it was in fact a key nested in `body`, cutting there
 * leaves two or more objects open, which the one `}` appended cannot close: the parse fails and
 * the line is parsed whole.
 */
function withoutDecision(line: string): unknown {
  const cut = line.lastIndexOf(DECISION_KEY);
  if (cut === -1) return undefined;
  let v = cut;
  if (line.startsWith('null', cut - 4)) v = cut - 4;
  else while (v > 0 && line.charCodeAt(v - 1) >= 48 && line.charCodeAt(v - 1) <= 57) v--;
  if (v === cut || !line.startsWith(UPSTREAM_KEY, v - UPSTREAM_KEY.length)) return undefined;
  try {
    return JSON.parse(line.slice(0, cut) + '}');
  } catch {
    return undefined;
  }
}

function fail(error: string): ParsedLine {
  return { ok: false, error };
}

function isStatus(v: unknown): boolean {
  return typeof v === 'number' && Number.isInteger(v) && v >= 100 && v <= 999;
}

function missingOrWrong(name: string, v: unknown, expected: string): string {
  return v === undefined ? 'missing "' + name + '"' : '"' + name + '" must be ' + expected + ', got ' + preview(v);
}

function preview(v: unknown): string {
  const text = JSON.stringify(v) ?? String(v);
  return text.length > 60 ? text.slice(0, 60) + '…' : text;
}

/** `ts` as epoch ms, or why it is not a timestamp. */
function timestamp(v: unknown): number | string {
  if (typeof v === 'number') return Number.isFinite(v) ? v : '"ts" must be a finite number of epoch ms';
  if (typeof v !== 'string') return missingOrWrong('ts', v, 'an ISO-8601 string or epoch ms');
  if (v.length === 24 && v.charCodeAt(23) === 90 && v.charCodeAt(19) === 46 && lastSecond.length !== 0 && v.startsWith(lastSecond)) {
    const ms = millis(v);
    if (ms !== -1) return lastSecondMs + ms;
  }
  if (!ISO.test(v)) return '"ts" must be ISO-8601 with a time zone (2026-11-23T10:00:00.123Z) or epoch ms, got ' + preview(v);
  const t = Date.parse(v);
  if (Number.isNaN(t)) return '"ts" is not a valid date: ' + preview(v);
  if (v.length === 24 && v.charCodeAt(23) === 90 && v.charCodeAt(19) === 46) {
    const ms = millis(v);
    if (ms !== -1) {
      lastSecond = v.slice(0, 19);
      lastSecondMs = t - ms;
    }
  }
  return t;
}

/** The three digits before the `Z` of `…:SS.mmmZ`, or -1. */
function millis(v: string): number {
  const a = v.charCodeAt(20) - 48;
  const b = v.charCodeAt(21) - 48;
  const c = v.charCodeAt(22) - 48;
  if (a < 0 || a > 9 || b < 0 || b > 9 || c < 0 || c > 9) return -1;
  return a * 100 + b * 10 + c;
}

/**
 * The headers with lower-case names and string values, or why not. The parsed object itself is
 * returned when it already is that (the gateway's log always is), so the common line copies nothing.
 */
function headersOf(v: unknown): Record<string, string> | string {
  if (v === undefined || v === null) return {};
  if (typeof v !== 'object' || Array.isArray(v)) return '"headers" must be an object of header names to values, got ' + preview(v);
  const h = v as Record<string, unknown>;
  for (const name in h) {
    if (typeof h[name] !== 'string' || hasUpperCase(name)) return normalised(h);
  }
  return h as Record<string, string>;
}

function normalised(h: Record<string, unknown>): Record<string, string> | string {
  const out: Record<string, string> = {};
  for (const name in h) {
    const v = h[name];
    let text: string;
    if (typeof v === 'string') text = v;
    else if (Array.isArray(v) && v.every((item) => typeof item === 'string')) text = v.join(', ');
    else return '"headers.' + name + '" must be a string or an array of strings, got ' + preview(v);
    const lower = name.toLowerCase();
    // Two spellings of one name (`Accept` and `accept`) are one header, as node:http would join them.
    out[lower] = out[lower] === undefined ? text : out[lower] + ', ' + text;
  }
  return out;
}

function hasUpperCase(name: string): boolean {
  for (let i = 0; i < name.length; i++) {
    const c = name.charCodeAt(i);
    if (c >= 65 && c <= 90) return true;
  }
  return false;
}
