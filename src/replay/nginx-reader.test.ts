import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { MAX_LINE_LENGTH, TRUNCATED_LINE_MARKER } from './read-lines.ts';
import { parseNginxLine, parseTimeLocal } from './nginx-reader.ts';
import type { ReplayRecord } from './replay-record.ts';

function record(line: string): ReplayRecord {
  const parsed = parseNginxLine(line);
  if (!parsed.ok) assert.fail('expected a record, got error: ' + parsed.error);
  return parsed.record;
}

function error(line: string): string {
  const parsed = parseNginxLine(line);
  if (parsed.ok) assert.fail('expected an error, got ' + JSON.stringify(parsed.record));
  return parsed.error;
}

describe('parseNginxLine', () => {
  it('reads a combined line', () => {
    const r = record('203.0.113.7 - - [10/Oct/2000:13:55:36 -0700] "GET /apache_pb.gif?x=1 HTTP/1.0" 200 2326 "http://www.example.com/start.html" "Mozilla/4.08 [en] (Win98; I ;Nav)"');
    assert.deepEqual(r, {
      ts: Date.parse('2000-10-10T13:55:36-07:00'),
      ip: '203.0.113.7',
      method: 'GET',
      url: '/apache_pb.gif?x=1',
      headers: { referer: 'http://www.example.com/start.html', 'user-agent': 'Mozilla/4.08 [en] (Win98; I ;Nav)' },
      status: 200,
    });
  });

  it('reads a common line, which has no referer or user agent', () => {
    const r = record('127.0.0.1 - frank [10/Oct/2000:13:55:36 +0000] "POST /api/auth/login HTTP/1.1" 401 -');
    assert.deepEqual(r, { ts: Date.parse('2000-10-10T13:55:36Z'), ip: '127.0.0.1', method: 'POST', url: '/api/auth/login', headers: {}, status: 401 });
  });

  it('reads Apache vhost_combined, taking the client address, not the virtual host', () => {
    const r = record('www.example.com:443 203.0.113.7 - - [23/Nov/2026:10:00:00 +0000] "GET /wp-login.php HTTP/1.1" 404 196 "-" "Mozilla/5.0"');
    assert.deepEqual([r.ip, r.url, r.status], ['203.0.113.7', '/wp-login.php', 404]);
  });

  it('reads an IPv6 remote address', () => {
    const r = record('2001:db8::1 - - [23/Nov/2026:10:00:00 +0000] "GET / HTTP/2.0" 200 5 "-" "curl/8.5.0"');
    assert.equal(r.ip, '2001:db8::1');
    const mapped = record('::ffff:192.0.2.1 - - [23/Nov/2026:10:00:00 +0000] "GET / HTTP/1.1" 200 5 "-" "curl/8.5.0"');
    assert.equal(mapped.ip, '::ffff:192.0.2.1');
  });

  it('leaves out a referer or user agent logged as "-"', () => {
    const r = record('198.51.100.4 - - [23/Nov/2026:10:00:00 +0000] "GET / HTTP/1.1" 200 5 "-" "-"');
    assert.deepEqual(r.headers, {});
  });

  it('keeps an empty user agent ("" means the header was sent empty)', () => {
    const r = record('198.51.100.4 - - [23/Nov/2026:10:00:00 +0000] "GET / HTTP/1.1" 200 5 "-" ""');
    assert.deepEqual(r.headers, { 'user-agent': '' });
  });

  it('decodes nginx \\x22 escapes in the user agent', () => {
    const r = record('198.51.100.4 - - [23/Nov/2026:10:00:00 +0000] "GET / HTTP/1.1" 200 5 "-" "Mozilla/5.0 \\x22quoted\\x22 \\x5Cslash"');
    assert.equal(r.headers['user-agent'], 'Mozilla/5.0 "quoted" \\slash');
  });

  it('decodes backslash-escaped quotes in the user agent (older nginx, Apache)', () => {
    const r = record('198.51.100.4 - - [23/Nov/2026:10:00:00 +0000] "GET / HTTP/1.1" 200 5 "-" "sqlmap \\"1.7\\" (x\\\\)"');
    assert.equal(r.headers['user-agent'], 'sqlmap "1.7" (x\\)');
  });

  it('treats a quote after an escaped backslash as the end of the field', () => {
    const r = record('198.51.100.4 - - [23/Nov/2026:10:00:00 +0000] "GET / HTTP/1.1" 200 5 "ref\\\\" "ua"');
    assert.deepEqual(r.headers, { referer: 'ref\\', 'user-agent': 'ua' });
  });

  it('decodes \\xHH bytes one character per byte, as node:http reads headers', () => {
    const r = record('198.51.100.4 - - [23/Nov/2026:10:00:00 +0000] "GET /caf\\xC3\\xA9 HTTP/1.1" 200 5 "-" "ua\\xFF"');
    assert.equal(r.url, '/caf\u00c3\u00a9');
    assert.equal(r.headers['user-agent'], 'ua\u00ff');
  });

  it('keeps spaces in the URL of a request line', () => {
    const r = record('198.51.100.4 - - [23/Nov/2026:10:00:00 +0000] "GET /search?q=a b c HTTP/1.1" 200 5 "-" "ua"');
    assert.equal(r.method, 'GET');
    assert.equal(r.url, '/search?q=a b c');
  });

  it('reads a request line without a protocol (HTTP/0.9)', () => {
    const r = record('198.51.100.4 - - [23/Nov/2026:10:00:00 +0000] "GET /index.html" 200 5 "-" "-"');
    assert.equal(r.url, '/index.html');
  });

  it('ignores fields after the user agent', () => {
    const r = record('198.51.100.4 - - [23/Nov/2026:10:00:00 +0000] "GET / HTTP/1.1" 200 5 "-" "ua" "10.0.0.1, 10.0.0.2" 0.012');
    assert.deepEqual(r.headers, { 'user-agent': 'ua' });
  });

  it('reads a status the server gave itself (444, 499)', () => {
    assert.equal(record('198.51.100.4 - - [23/Nov/2026:10:00:00 +0000] "GET / HTTP/1.1" 499 0 "-" "ua"').status, 499);
  });

  it('rejects the "-" request nginx logs for a 400', () => {
    assert.match(error('198.51.100.4 - - [23/Nov/2026:10:00:00 +0000] "-" 400 0 "-" "-"'), /no request line/);
  });

  it('rejects a binary (TLS handshake) request line', () => {
    assert.match(error('198.51.100.4 - - [23/Nov/2026:10:00:00 +0000] "\\x16\\x03\\x01\\x02\\x00\\x01\\x00\\x01\\xFC\\x03\\x03" 400 157 "-" "-"'), /malformed request line/);
  });

  it('rejects a request line with only a method', () => {
    assert.match(error('198.51.100.4 - - [23/Nov/2026:10:00:00 +0000] "GET" 400 0 "-" "-"'), /malformed request line/);
  });

  it('rejects truncated lines', () => {
    const full = '198.51.100.4 - - [23/Nov/2026:10:00:00 +0000] "GET / HTTP/1.1" 200 5 "http://ref/" "Mozilla/5.0"';
    for (const cut of [10, 20, 40, 50, 62, 70, 85]) assert.equal(parseNginxLine(full.slice(0, cut)).ok, false, full.slice(0, cut));
  });

  it('rejects a bad date', () => {
    assert.match(error('198.51.100.4 - - [31/Feb/2026:10:00:00 +0000] "GET / HTTP/1.1" 200 5 "-" "-"'), /bad time_local/);
    assert.match(error('198.51.100.4 - - [23/Foo/2026:10:00:00 +0000] "GET / HTTP/1.1" 200 5 "-" "-"'), /bad time_local/);
    assert.match(error('198.51.100.4 - - [23/Nov/2026:25:00:00 +0000] "GET / HTTP/1.1" 200 5 "-" "-"'), /bad time_local/);
    assert.match(error('198.51.100.4 - - [2026-11-23T10:00:00Z] "GET / HTTP/1.1" 200 5 "-" "-"'), /time_local/);
  });

  it('rejects a status that is not three digits', () => {
    assert.match(error('198.51.100.4 - - [23/Nov/2026:10:00:00 +0000] "GET / HTTP/1.1" abc 5 "-" "-"'), /status/);
  });

  it('rejects a line that is not an access-log line', () => {
    assert.match(error('{"ts":1}'), /not an nginx access-log line/);
    assert.match(error('{"ts": 1}'), /not an IP/);
    assert.match(error(''), /not an nginx access-log line/);
    assert.match(error('2026/11/23 10:00:00 [error] 123#0: *1 open() failed'), /not an IP|time_local/);
  });

  it('reports a line cut by readLines as too long', () => {
    const long = '198.51.100.4 - - [23/Nov/2026:10:00:00 +0000] "GET /' + 'a'.repeat(MAX_LINE_LENGTH);
    assert.match(error(long.slice(0, MAX_LINE_LENGTH) + TRUNCATED_LINE_MARKER), /longer than 1 MiB/);
  });

  it('gives the same time for consecutive lines sharing a second, and a new one after', () => {
    const a = record('198.51.100.4 - - [23/Nov/2026:10:00:00 +0100] "GET / HTTP/1.1" 200 5 "-" "-"');
    const b = record('198.51.100.5 - - [23/Nov/2026:10:00:00 +0100] "GET / HTTP/1.1" 200 5 "-" "-"');
    const c = record('198.51.100.5 - - [23/Nov/2026:10:00:01 +0100] "GET / HTTP/1.1" 200 5 "-" "-"');
    assert.equal(a.ts, Date.parse('2026-11-23T09:00:00Z'));
    assert.equal(b.ts, a.ts);
    assert.equal(c.ts, a.ts + 1000);
  });

  it('never throws, whatever the line', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary', maxLength: 200 }), (s) => {
        const parsed = parseNginxLine(s);
        assert.equal(typeof parsed.ok, 'boolean');
      }),
    );
  });

  it('reads back any user agent written with nginx escaping', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary', maxLength: 80 }), (ua) => {
        const latin1 = Buffer.from(ua, 'utf8').toString('latin1');
        const escaped = latin1.replace(/[\x00-\x1f"\\\x7f-\xff]/g, (c) => '\\x' + c.charCodeAt(0).toString(16).toUpperCase().padStart(2, '0'));
        const r = record('198.51.100.4 - - [23/Nov/2026:10:00:00 +0000] "GET / HTTP/1.1" 200 5 "-" "' + escaped + '"');
        assert.equal(r.headers['user-agent'], latin1 === '-' ? undefined : latin1);
      }),
    );
  });
});

describe('parseTimeLocal', () => {
  it('applies the zone offset', () => {
    assert.equal(parseTimeLocal('10/Oct/2000:13:55:36 -0700'), Date.parse('2000-10-10T20:55:36Z'));
    assert.equal(parseTimeLocal('01/Jan/2026:00:30:00 +0530'), Date.parse('2025-12-31T19:00:00Z'));
  });

  it('accepts 29 February only in a leap year', () => {
    assert.equal(parseTimeLocal('29/Feb/2024:00:00:00 +0000'), Date.parse('2024-02-29T00:00:00Z'));
    assert.ok(Number.isNaN(parseTimeLocal('29/Feb/2026:00:00:00 +0000')));
  });

  it('agrees with Date.parse on any valid time', () => {
    const months = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
    fc.assert(
      fc.property(fc.date({ min: new Date('1971-01-01'), max: new Date('2099-12-31'), noInvalidDate: true }), fc.integer({ min: -12 * 60, max: 14 * 60 }), (date, offsetMin) => {
        const t = Math.floor(date.getTime() / 1000) * 1000;
        const local = new Date(t + offsetMin * 60_000);
        const p = (n: number) => String(n).padStart(2, '0');
        const off = Math.abs(offsetMin);
        const text = `${p(local.getUTCDate())}/${months[local.getUTCMonth()]}/${local.getUTCFullYear()}:${p(local.getUTCHours())}:${p(local.getUTCMinutes())}:${p(local.getUTCSeconds())} ${offsetMin < 0 ? '-' : '+'}${p(Math.floor(off / 60))}${p(off % 60)}`;
        assert.equal(parseTimeLocal(text), t);
      }),
    );
  });
});
