import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import {
  MAX_FORWARDED_CHARS,
  MAX_FORWARDED_HOPS,
  parseForwarded,
  parseHopAddress,
  parseXForwardedFor,
  parseXRealIp,
} from './forwarded.ts';

describe('parseHopAddress', () => {
  it('reads addresses with and without ports', () => {
    const cases: [string, string][] = [
      ['1.2.3.4', '1.2.3.4'],
      ['1.2.3.4:5678', '1.2.3.4'],
      [' 1.2.3.4 ', '1.2.3.4'],
      ['[2001:db8::1]', '2001:db8::1'],
      ['[2001:DB8::1]:443', '2001:db8::1'],
      ['2001:db8::1', '2001:db8::1'],
      ['[::ffff:10.0.0.1]:80', '10.0.0.1'],
      ['::ffff:10.0.0.1', '10.0.0.1'],
      ['1.2.3.4:_obfport', '1.2.3.4'],
      ['[fe80::1%25eth0]:8080', 'fe80::1'],
    ];
    for (const [text, ip] of cases) assert.equal(parseHopAddress(text), ip, text);
  });

  it('gives null for anything that is not one address', () => {
    const bad = [
      '', ' ', 'unknown', 'UNKNOWN', '_hidden', '1.2.3', '999.1.1.1', '::::', '1.2.3.4:', '1.2.3.4:65536', '1.2.3.4:http',
      '1.2.3.4:80:80', '[1.2.3.4]', '[2001:db8::1', '[2001:db8::1]x', '[2001:db8::1]:', '2001:db8::1]', 'localhost:80',
      '1.2.3.4 5.6.7.8', '1'.repeat(100_000), '_',
    ];
    for (const text of bad) assert.equal(parseHopAddress(text), null, text);
  });
});

describe('parseXForwardedFor', () => {
  it('lists hops left to right with ports stripped and junk as null', () => {
    assert.deepEqual(parseXForwardedFor('203.0.113.7:5123, unknown, [2001:db8::1]:443'), ['203.0.113.7', null, '2001:db8::1']);
    assert.deepEqual(parseXForwardedFor('1.2.3.4,5.6.7.8'), ['1.2.3.4', '5.6.7.8']);
    assert.deepEqual(parseXForwardedFor('\t1.2.3.4 ,  999.1.1.1'), ['1.2.3.4', null]);
  });

  it('skips empty entries', () => {
    assert.deepEqual(parseXForwardedFor(',1.2.3.4,, ,5.6.7.8,'), ['1.2.3.4', '5.6.7.8']);
    assert.deepEqual(parseXForwardedFor(''), []);
    assert.deepEqual(parseXForwardedFor(undefined), []);
  });

  it('joins repeated headers in order', () => {
    assert.deepEqual(parseXForwardedFor(['198.51.100.1', '10.0.0.2, 10.0.0.3']), ['198.51.100.1', '10.0.0.2', '10.0.0.3']);
    assert.deepEqual(parseXForwardedFor([]), []);
  });

  it('keeps only the right-most hops of a long chain, with one null for the rest', () => {
    const hops = Array.from({ length: 100 }, (_, i) => `10.0.${i >> 8}.${i & 255}`);
    const parsed = parseXForwardedFor(hops.join(', '));
    assert.equal(parsed.length, MAX_FORWARDED_HOPS + 1);
    assert.equal(parsed[0], null);
    assert.deepEqual(parsed.slice(1), hops.slice(-MAX_FORWARDED_HOPS));
  });

  it('reads the right end of a huge header and marks the unread rest with null', () => {
    const junk = 'x'.repeat(1_000_000);
    assert.deepEqual(parseXForwardedFor(`${junk}, 203.0.113.7, 10.0.0.1`), [null, '203.0.113.7', '10.0.0.1']);
    assert.deepEqual(parseXForwardedFor([junk, '203.0.113.7']), [null, '203.0.113.7']);
    assert.deepEqual(parseXForwardedFor(','.repeat(1_000_000) + '1.2.3.4'), [null, '1.2.3.4']);
    assert.deepEqual(parseXForwardedFor('1.2.3.4,' + ' '.repeat(MAX_FORWARDED_CHARS)), [null]);
  });

  it('returns at most the hop limit plus one for any input', () => {
    fc.assert(
      fc.property(fc.string({ unit: fc.constantFrom('1.2.3.4', ',', ' ', '[', ']', ':', '::1', 'x'), maxLength: 400 }), (value) => {
        const hops = parseXForwardedFor(value);
        assert.ok(hops.length <= MAX_FORWARDED_HOPS + 1);
        for (const hop of hops) assert.ok(hop === null || typeof hop === 'string');
      }),
    );
  });
});

describe('parseForwarded', () => {
  it('reads the for parameter of each element (RFC 7239 examples)', () => {
    assert.deepEqual(parseForwarded('for="_gazonk"'), [null]);
    assert.deepEqual(parseForwarded('For="[2001:db8:cafe::17]:4711"'), ['2001:db8:cafe::17']);
    assert.deepEqual(parseForwarded('for=192.0.2.60;proto=http;by=203.0.113.43'), ['192.0.2.60']);
    assert.deepEqual(parseForwarded('for=192.0.2.43, for=198.51.100.17'), ['192.0.2.43', '198.51.100.17']);
    assert.deepEqual(parseForwarded('for=192.0.2.60;proto=http;by=203.0.113.43, for="[2001:db8:cafe::17]:4711"'), [
      '192.0.2.60',
      '2001:db8:cafe::17',
    ]);
  });

  it('treats names case-insensitively and values quoted or not', () => {
    assert.deepEqual(parseForwarded('FOR=1.2.3.4, fOr="5.6.7.8:80", proto=https;for=9.9.9.9'), ['1.2.3.4', '5.6.7.8', '9.9.9.9']);
    assert.deepEqual(parseForwarded('for=[2001:db8::1]:80'), ['2001:db8::1']);
  });

  it('gives null for obfuscated, unknown, missing or repeated for', () => {
    assert.deepEqual(parseForwarded('for=unknown, for=_hidden, proto=http, for=1.2.3.4;for=5.6.7.8, for=""'), [null, null, null, null, null]);
  });

  it('does not split on commas or semicolons inside quoted strings', () => {
    assert.deepEqual(parseForwarded('for="a,b;c", for=1.2.3.4'), [null, '1.2.3.4']);
    assert.deepEqual(parseForwarded('by="x\\",y";for=1.2.3.4, for=5.6.7.8'), ['1.2.3.4', '5.6.7.8']);
    assert.deepEqual(parseForwarded('for="\\[::1\\]:80"'), ['::1']);
  });

  it('gives null for malformed elements', () => {
    for (const value of ['for', 'for=', '=1.2.3.4', 'for="1.2.3.4', 'for=1.2.3.4 x', 'fo r=1.2.3.4', 'for="1.2.3.4"x']) {
      assert.deepEqual(parseForwarded(value), [null], value);
    }
  });

  it('reads proxy-appended elements even after an unterminated quote from the client', () => {
    assert.deepEqual(parseForwarded('for="6.6.6.6, for=203.0.113.7'), [null, '203.0.113.7']);
  });

  it('bounds work on huge headers the same way as X-Forwarded-For', () => {
    assert.deepEqual(parseForwarded(`for="${'x'.repeat(1_000_000)}", for=203.0.113.7`), [null, '203.0.113.7']);
    assert.deepEqual(parseForwarded(`${'\\'.repeat(1_000_000)}", for=203.0.113.7`), [null, '203.0.113.7']);
    const many = Array.from({ length: 80 }, () => 'for=10.0.0.1').join(',');
    const parsed = parseForwarded(many);
    assert.equal(parsed.length, MAX_FORWARDED_HOPS + 1);
    assert.equal(parsed[0], null);
  });
});

describe('parseXRealIp', () => {
  it('reads one address and refuses lists or repeats', () => {
    assert.deepEqual(parseXRealIp('203.0.113.7'), ['203.0.113.7']);
    assert.deepEqual(parseXRealIp(' [2001:db8::1]:80 '), ['2001:db8::1']);
    assert.deepEqual(parseXRealIp(['203.0.113.7']), ['203.0.113.7']);
    assert.deepEqual(parseXRealIp(undefined), []);
    assert.deepEqual(parseXRealIp(['1.2.3.4', '5.6.7.8']), [null]);
    assert.deepEqual(parseXRealIp('1.2.3.4, 5.6.7.8'), [null]);
    assert.deepEqual(parseXRealIp('unknown'), [null]);
    assert.deepEqual(parseXRealIp(' '.repeat(1_000_000)), [null]);
  });
});
