import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { RecordLineWriter } from '../observe/record-line.ts';
import { createRedactor } from '../observe/redact.ts';
import { makeRecord, T0 } from '../observe/test-records.ts';
import { parseJsonlLine } from './jsonl-reader.ts';
import { MAX_LINE_LENGTH, TRUNCATED_LINE_MARKER } from './read-lines.ts';
import type { ReplayRecord } from './replay-record.ts';

function record(line: string): ReplayRecord {
  const parsed = parseJsonlLine(line);
  if (!parsed.ok) assert.fail('expected a record, got error: ' + parsed.error);
  return parsed.record;
}

function error(line: string): string {
  const parsed = parseJsonlLine(line);
  if (parsed.ok) assert.fail('expected an error, got ' + JSON.stringify(parsed.record));
  return parsed.error;
}

const BASE = { ip: '203.0.113.7', method: 'GET', url: '/api/products?page=2' };
const line = (fields: Record<string, unknown>) => JSON.stringify({ ts: '2026-11-23T10:00:00.123Z', ...BASE, ...fields });

// Copied from docs/gateway.md: a request the upstream answered, and one the gateway throttled itself.
const GATEWAY_ALLOWED =
  '{"ts":"2026-11-23T13:58:47.787Z","ip":"127.0.0.1","method":"POST","url":"/api/auth/login","headers":{"host":"127.0.0.1:18502","user-agent":"curl/7.88.1","accept":"*/*","content-type":"application/json","authorization":"Bearer hmac:drFUcGlAQHQY8CKfoYbsfn","content-length":"44"},"body":{"username":"alice","password":"hmac:TZrym2_PZXpeM0kKZjKnic"},"status":200,"upstream_status":200,"decision":{"action":"allow","intended":"allow","rule":null,"reasons":[],"risk":0,"monitor":false},"latency_ms":{"decision":1.528,"upstream":33.522},"route":"POST /api/auth/login"}';
const GATEWAY_THROTTLED =
  '{"ts":"2026-11-23T13:58:48.027Z","ip":"127.0.0.1","method":"POST","url":"/api/auth/login","headers":{"host":"127.0.0.1:18502","user-agent":"curl/7.88.1","accept":"*/*","content-type":"application/json","content-length":"38"},"body":{"username":"bob","password":"hmac:vN-sNdvWYPZWGeZ4kfohV4"},"status":429,"upstream_status":null,"decision":{"action":"throttle","intended":"throttle","rule":"login-per-user","reasons":["penalty:login-per-user"],"risk":0,"monitor":false},"latency_ms":{"decision":0.408,"upstream":null},"route":"POST /api/auth/login"}';

describe('parseJsonlLine', () => {
  it('reads the DESIGN.md record', () => {
    const r = record('{"ts":"2026-11-23T10:00:00.123Z","ip":"203.0.113.7","method":"POST","url":"/api/auth/login","headers":{"user-agent":"curl/8","accept":"application/json"},"body":{"username":"alice"},"status":401}');
    assert.deepEqual(r, {
      ts: Date.parse('2026-11-23T10:00:00.123Z'),
      ip: '203.0.113.7',
      method: 'POST',
      url: '/api/auth/login',
      headers: { 'user-agent': 'curl/8', accept: 'application/json' },
      body: { username: 'alice' },
      status: 401,
    });
  });

  it('reads ts as epoch milliseconds', () => {
    assert.equal(record(line({ ts: 1795428000123 })).ts, 1795428000123);
  });

  it('reads ts as ISO-8601 with any zone form', () => {
    const t = Date.parse('2026-11-23T10:00:00Z');
    assert.equal(record(line({ ts: '2026-11-23T10:00:00Z' })).ts, t);
    assert.equal(record(line({ ts: '2026-11-23T11:00:00+01:00' })).ts, t);
    assert.equal(record(line({ ts: '2026-11-23T11:00:00.000+0100' })).ts, t);
    assert.equal(record(line({ ts: '2026-11-23T10:00:00.123456Z' })).ts, t + 123);
  });

  it('gives each line its own time when consecutive lines share a second', () => {
    const a = record(line({ ts: '2026-11-23T10:00:00.123Z' })).ts;
    const b = record(line({ ts: '2026-11-23T10:00:00.999Z' })).ts;
    const c = record(line({ ts: '2026-11-23T10:00:01.000Z' })).ts;
    assert.deepEqual([b - a, c - a], [876, 877]);
  });

  it('defaults missing optional fields: headers empty, no body, status null', () => {
    const r = record(JSON.stringify({ ts: 0, ...BASE }));
    assert.deepEqual(r, { ts: 0, ...BASE, headers: {}, status: null });
    assert.equal('body' in r, false);
  });

  it('lower-cases header names and joins repeated values', () => {
    const r = record(line({ headers: { 'User-Agent': 'curl/8', 'x-forwarded-for': ['10.0.0.1', '10.0.0.2'], Accept: 'a', accept: 'b' } }));
    assert.deepEqual(r.headers, { 'user-agent': 'curl/8', 'x-forwarded-for': '10.0.0.1, 10.0.0.2', accept: 'a, b' });
  });

  it('replays a gateway decision-log line as it is, taking upstream_status as the response', () => {
    const r = record(GATEWAY_ALLOWED);
    assert.equal(r.ts, Date.parse('2026-11-23T13:58:47.787Z'));
    assert.equal(r.ip, '127.0.0.1');
    assert.equal(r.headers.authorization, 'Bearer hmac:drFUcGlAQHQY8CKfoYbsfn');
    assert.deepEqual(r.body, { username: 'alice', password: 'hmac:TZrym2_PZXpeM0kKZjKnic' });
    assert.equal(r.status, 200);
  });

  it('gives status null for a request the gateway refused itself (upstream_status null, status 429)', () => {
    assert.equal(record(GATEWAY_THROTTLED).status, null);
  });

  it('reads what RecordLineWriter writes', () => {
    const writer = new RecordLineWriter(createRedactor({ hashKey: 'k'.repeat(32) }));
    const r = record(writer.line(makeRecord({ request: { headers: { 'user-agent': 'curl/8.5', accept: 'application/json' }, body: { username: 'alice' } } })).trimEnd());
    assert.deepEqual(r, { ts: T0, ip: '203.0.113.7', method: 'POST', url: '/api/auth/login', headers: { 'user-agent': 'curl/8.5', accept: 'application/json' }, body: { username: 'alice' }, status: 401 });
    const refused = record(writer.line(makeRecord({ record: { status: 429, upstreamStatus: null } })).trimEnd());
    assert.equal(refused.status, null);
  });

  it('reads the fields whatever the order, when a decision key comes first', () => {
    const r = record('{"decision":{"action":"deny"},"ts":0,"ip":"203.0.113.7","method":"GET","url":"/","upstream_status":503}');
    assert.equal(r.status, 503);
  });

  it('reads a body that itself holds upstream_status and a decision object', () => {
    const body = { upstream_status: 200, decision: { action: 'x' }, tail: [1] };
    const r = record('{"ts":0,"ip":"203.0.113.7","method":"POST","url":"/","body":' + JSON.stringify(body) + ',"upstream_status":201}');
    assert.deepEqual(r.body, body);
    assert.equal(r.status, 201);
  });

  it('reads a gateway line with fields added after the decision', () => {
    assert.equal(record(GATEWAY_ALLOWED.slice(0, -1) + ',"extra":{"a":[1,2]}}').status, 200);
  });

  it('rejects invalid JSON, saying so', () => {
    assert.match(error('{"ts":1,'), /^invalid JSON: /);
    assert.match(error(''), /^invalid JSON: /);
  });

  it('rejects JSON that is not an object', () => {
    assert.equal(error('[1,2]'), 'not a JSON object');
    assert.equal(error('null'), 'not a JSON object');
    assert.equal(error('"GET /"'), 'not a JSON object');
  });

  it('names a missing required field', () => {
    assert.equal(error(JSON.stringify(BASE)), 'missing "ts"');
    assert.equal(error(JSON.stringify({ ts: 0, method: 'GET', url: '/' })), 'missing "ip"');
    assert.equal(error(JSON.stringify({ ts: 0, ip: '203.0.113.7', url: '/' })), 'missing "method"');
    assert.equal(error(JSON.stringify({ ts: 0, ip: '203.0.113.7', method: 'GET' })), 'missing "url"');
  });

  it('names a field of the wrong type and shows its value', () => {
    assert.equal(error(line({ ip: 17 })), '"ip" must be a non-empty string, got 17');
    assert.equal(error(line({ url: '' })), '"url" must be a non-empty string, got ""');
    assert.match(error(line({ ts: true })), /^"ts" must be an ISO-8601 string or epoch ms, got true$/);
    assert.match(error(line({ headers: 'curl/8' })), /^"headers" must be an object/);
    assert.match(error(line({ headers: { 'user-agent': 8 } })), /^"headers.user-agent" must be a string or an array of strings, got 8$/);
    assert.match(error(line({ status: '200' })), /^status must be an HTTP status code \(100-999\) or null, got "200"$/);
    assert.match(error(line({ status: 200, upstream_status: 20.5 })), /^upstream_status must be/);
  });

  it('rejects a ts without a zone, a date only, or an impossible date', () => {
    assert.match(error(line({ ts: '2026-11-23T10:00:00' })), /with a time zone/);
    assert.match(error(line({ ts: '2026-11-23' })), /with a time zone/);
    assert.match(error(line({ ts: '23/Nov/2026:10:00:00 +0000' })), /ISO-8601/);
    assert.match(error(line({ ts: '2026-13-45T10:00:00Z' })), /not a valid date/);
  });

  it('reports a line cut by readLines as too long', () => {
    const long = line({ body: 'x'.repeat(MAX_LINE_LENGTH) });
    assert.equal(error(long.slice(0, MAX_LINE_LENGTH) + TRUNCATED_LINE_MARKER), 'line longer than 1 MiB');
  });

  it('never throws, whatever the line', () => {
    fc.assert(
      fc.property(fc.oneof(fc.string({ maxLength: 100 }), fc.json(), fc.dictionary(fc.constantFrom('ts', 'ip', 'method', 'url', 'headers', 'status', 'upstream_status', 'body'), fc.jsonValue()).map((o) => JSON.stringify(o))), (s) => {
        const parsed = parseJsonlLine(s);
        assert.equal(typeof parsed.ok, 'boolean');
      }),
    );
  });
});
