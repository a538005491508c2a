/**
 * Serialises a {@link RequestRecord} into one decision-log line (JSON + `\n`), redacting as it goes.
 * Hand-written rather than `JSON.stringify` of an intermediate object: the line is built straight
 * from the record, and only a request that carries a credential header pays for a redacted copy
 * of its headers.
 *
 * The line is the replay input of DESIGN.md ("Decision log = replay input") plus the decision:
 *
 * ```json
 * {"ts":"2026-11-23T10:00:00.123Z","ip":"203.0.113.7","method":"POST","url":"/api/auth/login",
 *  "headers":{"user-agent":"curl/8","authorization":"Bearer hmac:…"},"body":{"username":"alice","password":"hmac:…"},
 *  "status":401,"upstream_status":401,
 *  "decision":{"action":"allow","intended":"allow","rule":null,"reasons":[],"risk":0,"monitor":false},
 *  "latency_ms":{"decision":0.004,"upstream":12.3},"route":"POST /api/auth/login"}
 * ```
 */
import type { RequestHeaders } from '../engine/request-context.ts';
import type { RequestRecord } from './request-observer.ts';
import type { Redactor } from './redact.ts';

/** Most body entries (object fields and array items, all levels together) written per line. */
export const MAX_BODY_FIELDS = 32;
/** Deepest body nesting written; deeper objects and arrays become {@link TRUNCATED}. */
export const MAX_BODY_DEPTH = 3;
/** Longest body string (or field name) written; longer ones are cut and end with {@link TRUNCATED_SUFFIX}. */
export const MAX_BODY_STRING = 256;
/** Stands in for what the bounds left out: a too-deep value, an array's remaining items, an object's remaining fields (under the key `…`). */
export const TRUNCATED = '[truncated]';
export const TRUNCATED_SUFFIX = '…' + TRUNCATED;

const TRUNCATED_JSON = JSON.stringify(TRUNCATED);
const MORE_FIELDS_JSON = JSON.stringify('…') + ':' + TRUNCATED_JSON;

/**
 * Writes record lines with one redactor. Not re-entrant (it keeps the body budget in a field),
 * which the single-threaded, synchronous `line()` makes safe.
 *
 * @example
 * const writer = new RecordLineWriter(createRedactor());
 * stream.write(writer.line(record));
 */
export class RecordLineWriter {
  readonly #redact: Redactor;
  #fieldsLeft = 0;
  #second = Number.NaN;
  #secondPrefix = '';

  constructor(redactor: Redactor) {
    this.#redact = redactor;
  }

  /** The record as one JSON line, terminated by `\n`. */
  line(record: RequestRecord): string {
    const d = record.decision;
    const ctx = d.context;
    const req = ctx.request;
    let out = '{"ts":"' + this.#iso(record.startedAt) + '","ip":' + quote(ctx.clientIp) + ',"method":' + quote(req.method) + ',"url":' + quote(this.#redact.url(req.url)) + ',"headers":' + this.#headers(req.headers);
    if (req.body !== undefined) {
      this.#fieldsLeft = MAX_BODY_FIELDS;
      out += ',"body":' + this.#value(req.body, 0);
    }
    return (
      out +
      ',"status":' + num(record.status) +
      ',"upstream_status":' + (record.upstreamStatus === null ? 'null' : num(record.upstreamStatus)) +
      ',"decision":{"action":"' + d.action + '","intended":"' + d.intended + '","rule":' + (d.rule === null ? 'null' : quote(d.rule)) +
      ',"reasons":' + (d.reasons.length === 0 ? '[]' : JSON.stringify(d.reasons)) + ',"risk":' + num(d.risk) + ',"monitor":' + (d.monitor ? 'true' : 'false') +
      '},"latency_ms":{"decision":' + ms(record.decisionSeconds) + ',"upstream":' + (record.upstreamSeconds === null ? 'null' : ms(record.upstreamSeconds)) +
      '},"route":' + (record.route === null ? 'null' : quote(record.route)) + '}\n'
    );
  }

  // Requests arrive many to a second: the date part is formatted once per second.
  #iso(epochMs: number): string {
    const second = Math.floor(epochMs / 1000);
    if (second !== this.#second) {
      this.#secondPrefix = new Date(second * 1000).toISOString().slice(0, 20);
      this.#second = second;
    }
    const msPart = Math.floor(epochMs) - second * 1000;
    return this.#secondPrefix + (msPart < 10 ? '00' : msPart < 100 ? '0' : '') + msPart + 'Z';
  }

  // Most requests carry no credential: their headers object is serialised as is, in one native
  // call. Header sizes are bounded by the front door (431 past its limit), so values are logged
  // whole and replay sees exactly what the engine saw.
  #headers(headers: RequestHeaders): string {
    const redact = this.#redact;
    let secret = false;
    for (const name in headers) {
      if (redact.isSecretHeader(name)) {
        secret = true;
        break;
      }
    }
    if (!secret) return JSON.stringify(headers);
    const copy: Record<string, string | readonly string[]> = {};
    for (const name in headers) {
      const v = headers[name];
      if (v === undefined) continue;
      if (!redact.isSecretHeader(name)) copy[name] = v;
      else if (typeof v === 'string') copy[name] = redact.headerValue(name, v);
      else copy[name] = v.map((item) => redact.headerValue(name, item));
    }
    return JSON.stringify(copy);
  }

  #value(v: unknown, depth: number): string {
    switch (typeof v) {
      case 'string':
        return quote(v.length > MAX_BODY_STRING ? v.slice(0, MAX_BODY_STRING) + TRUNCATED_SUFFIX : v);
      case 'number':
        return num(v);
      case 'boolean':
        return v ? 'true' : 'false';
      case 'bigint':
        return JSON.stringify(String(v));
      case 'object':
        if (v === null) return 'null';
        if (depth >= MAX_BODY_DEPTH) return TRUNCATED_JSON;
        return Array.isArray(v) ? this.#array(v, depth) : this.#object(v as Record<string, unknown>, depth);
      default:
        return 'null';
    }
  }

  #array(items: readonly unknown[], depth: number): string {
    let out = '[';
    for (let i = 0; i < items.length; i++) {
      if (i > 0) out += ',';
      if (this.#fieldsLeft === 0) return out + TRUNCATED_JSON + ']';
      this.#fieldsLeft--;
      out += this.#value(items[i], depth + 1);
    }
    return out + ']';
  }

  #object(obj: Record<string, unknown>, depth: number): string {
    let out = '{';
    for (const key of Object.keys(obj)) {
      const v = obj[key];
      if (v === undefined || typeof v === 'function' || typeof v === 'symbol') continue;
      if (out.length > 1) out += ',';
      if (this.#fieldsLeft === 0) return out + MORE_FIELDS_JSON + '}';
      this.#fieldsLeft--;
      out += quote(key.length > MAX_BODY_STRING ? key.slice(0, MAX_BODY_STRING) + TRUNCATED_SUFFIX : key) + ':';
      out += this.#redact.isSecretField(key) ? this.#secret(v) : this.#value(v, depth + 1);
    }
    return out + '}';
  }

  // Every non-null value under a secret name is hashed, whatever its type: `"pin": 1234` is as
  // secret as `"pin": "1234"`, and a structured secret is hashed as its JSON text.
  #secret(v: unknown): string {
    if (v === null) return 'null';
    let text: string;
    if (typeof v === 'string') text = v;
    else if (typeof v === 'object') {
      try {
        text = JSON.stringify(v) ?? '';
      } catch {
        text = Object.prototype.toString.call(v);
      }
    } else text = String(v);
    return '"' + this.#redact.hash(text) + '"';
  }
}

const NEEDS_ESCAPING = /[\u0000-\u001f"\\\ud800-\udfff]/;

/** A JSON string literal; skips JSON.stringify for the common string that needs no escaping. */
function quote(s: string): string {
  return NEEDS_ESCAPING.test(s) ? JSON.stringify(s) : '"' + s + '"';
}

function num(n: number): string {
  return Number.isFinite(n) ? String(n) : 'null';
}

/** Seconds to milliseconds at microsecond resolution (keeps lines short; finer is noise). */
function ms(seconds: number): string {
  return Number.isFinite(seconds) ? String(Math.round(seconds * 1e6) / 1e3) : 'null';
}
