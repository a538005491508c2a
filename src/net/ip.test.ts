import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { isIP } from 'node:net';
import fc from 'fast-check';
import { canonicalIp, formatIp, parseIp, parseIpInto } from './ip.ts';

/** Eight random 16-bit groups, biased towards zero runs so that compression gets exercised. */
const groupsArb = fc.array(fc.oneof(fc.constant(0), fc.constant(0), fc.integer({ min: 0, max: 0xffff })), {
  minLength: 8,
  maxLength: 8,
});

const isMapped = (g: number[]): boolean => g.slice(0, 5).every((x) => x === 0) && g[5] === 0xffff;

/** What the canonical text must be, computed independently through the WHATWG URL serializer. */
function expectedCanonical(g: number[]): string {
  if (isMapped(g)) return `${g[6] >> 8}.${g[6] & 255}.${g[7] >> 8}.${g[7] & 255}`;
  const text = g.map((x) => x.toString(16)).join(':');
  return new URL(`http://[${text}]/`).hostname.slice(1, -1);
}

/** Any legal spelling of the same address: padding, case, optional `::`, optional dotted tail, zone. */
const spellingArb = groupsArb.chain((g) =>
  fc
    .record({
      pads: fc.array(fc.integer({ min: 0, max: 3 }), { minLength: 8, maxLength: 8 }),
      upper: fc.array(fc.boolean(), { minLength: 8, maxLength: 8 }),
      dottedTail: fc.boolean(),
      compressAt: fc.integer({ min: 0, max: 7 }),
      compressLength: fc.integer({ min: 0, max: 8 }),
      zone: fc.option(fc.constantFrom('eth0', '1', 'en0.5', 'lo'), { nil: undefined }),
    })
    .map(({ pads, upper, dottedTail, compressAt, compressLength, zone }) => {
      const hex = g.map((x, k) => {
        const digits = x.toString(16).padStart(Math.min(4, x.toString(16).length + pads[k]), '0');
        return upper[k] ? digits.toUpperCase() : digits;
      });
      const groupCount = dottedTail ? 6 : 8;
      const parts: string[] = hex.slice(0, groupCount);
      // Compress a run of zeros that starts at compressAt, if there is one.
      let run = 0;
      while (compressAt + run < groupCount && run < compressLength && g[compressAt + run] === 0) run++;
      let text: string;
      if (run > 0) {
        text = parts.slice(0, compressAt).join(':') + '::' + parts.slice(compressAt + run).join(':');
        if (dottedTail) text += (text.endsWith(':') ? '' : ':') + `${g[6] >> 8}.${g[6] & 255}.${g[7] >> 8}.${g[7] & 255}`;
      } else {
        text = parts.join(':');
        if (dottedTail) text += `:${g[6] >> 8}.${g[6] & 255}.${g[7] >> 8}.${g[7] & 255}`;
      }
      return { groups: g, text: zone === undefined ? text : `${text}%${zone}` };
    }),
);

describe('parseIp / formatIp', () => {
  it('reads canonical IPv4 as one 32-bit number', () => {
    assert.deepEqual(parseIp('1.2.3.4'), { version: 4, value: 0x01020304 });
    assert.deepEqual(parseIp('255.255.255.255'), { version: 4, value: 0xffffffff });
    assert.deepEqual(parseIp('0.0.0.0'), { version: 4, value: 0 });
  });

  it('rejects IPv4 that other parsers would read differently or not at all', () => {
    const bad = [
      '1.2.3', '999.1.1.1', '256.0.0.0', '01.2.3.4', '1.2.3.04', '00.0.0.0', '0x1.2.3.4', '1.2.3.4.5',
      '1..2.3', '.1.2.3', '1.2.3.', '1.2.3.-1', '+1.2.3.4', ' 1.2.3.4', '1.2.3.4 ', '1.2.3.4%eth0', '1234.1.1.1',
      '', '1', '1.2.3.4/32',
    ];
    for (const text of bad) assert.equal(parseIp(text), null, text);
  });

  it('formats IPv6 in RFC 5952 form', () => {
    const cases: [string, string][] = [
      ['2001:db8:0:0:1:0:0:1', '2001:db8::1:0:0:1'],
      ['2001:0DB8:0000:0000:0000:0000:0000:0001', '2001:db8::1'],
      ['2001:db8:0:1:1:1:1:1', '2001:db8:0:1:1:1:1:1'],
      ['2001:db8:0:0:1:0:0:0', '2001:db8:0:0:1::'],
      ['0:0:0:0:0:0:0:0', '::'],
      ['0:0:0:0:0:0:0:1', '::1'],
      ['1:0:0:0:0:0:0:0', '1::'],
      ['1:2:3:4:5:6:7::', '1:2:3:4:5:6:7:0'],
      ['FE80::ABCD%eth0', 'fe80::abcd'],
      ['::1.2.3.4', '::102:304'],
      ['64:ff9b::192.0.2.33', '64:ff9b::c000:221'],
    ];
    for (const [input, canonical] of cases) {
      const parsed = parseIp(input);
      assert.ok(parsed !== null, input);
      assert.equal(formatIp(parsed), canonical, input);
    }
  });

  it('rejects malformed IPv6', () => {
    const bad = [
      '::::', ':::', '1:2:3:4:5:6:7:8:9', '1::2::3', '12345::', ':1::', '1::2:', ':1:2:3:4:5:6:7:8', '1:2:3:4:5:6:7:8:',
      'g::', '1:2:3:4:5:6:7', '::1.2.3', '::1.2.3.4:5', '::1.2.3.4.5', '1:2:3:4:5:6:7:1.2.3.4', '::01.2.3.4',
      'fe80::1%', 'fe80::1%a%b', 'fe80::1% x', '[::1]', '::1 ', ' ::1', ':', '1:2', '::ffff:1.2.3.256',
    ];
    for (const text of bad) assert.equal(parseIp(text), null, text);
  });

  it('unmaps IPv4-mapped IPv6 to IPv4', () => {
    for (const text of ['::ffff:1.2.3.4', '::FFFF:1.2.3.4', '::ffff:0102:0304', '0:0:0:0:0:ffff:1.2.3.4', '::ffff:102:304%eth0']) {
      assert.deepEqual(parseIp(text), { version: 4, value: 0x01020304 }, text);
    }
  });

  it('rejects text longer than any address, however long', () => {
    assert.equal(parseIp('1'.repeat(1_000_000)), null);
    assert.equal(parseIp('::' + 'a'.repeat(200)), null);
    assert.equal(parseIp(`fe80::1%${'x'.repeat(65)}`), null);
  });

  it('leaves mapped addresses as IPv6 when asked not to unmap', () => {
    const out = new Uint32Array(4);
    assert.equal(parseIpInto('::ffff:1.2.3.4', out, false), 6);
    assert.deepEqual([...out], [0, 0, 0xffff, 0x01020304]);
  });

  it('gives every spelling of an address the same parse and one canonical text', () => {
    fc.assert(
      fc.property(spellingArb, ({ groups, text }) => {
        const expected = expectedCanonical(groups);
        const parsed = parseIp(text);
        assert.ok(parsed !== null, text);
        assert.equal(formatIp(parsed), expected);
        assert.deepEqual(parseIp(expected), parsed);
        assert.equal(canonicalIp(text), expected);
        assert.equal(canonicalIp(expected), expected);
      }),
      { numRuns: 3000 },
    );
  });

  it('round-trips every IPv4 address through its dotted quad', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 0xffffffff }), (value) => {
        const text = formatIp({ version: 4, value });
        assert.deepEqual(parseIp(text), { version: 4, value });
        assert.equal(canonicalIp(text), text);
        assert.equal(canonicalIp(`::ffff:${text}`), text);
      }),
    );
  });

  it('agrees with node:net on which strings are addresses', () => {
    const out = new Uint32Array(4);
    const piece = fc.constantFrom(...'0123456789abcdefABCDEF:.'.split(''), '::', '1.2.3.4', 'ffff', '00', '255');
    fc.assert(
      fc.property(fc.string({ unit: piece, maxLength: 20 }), (text) => {
        assert.equal(parseIpInto(text, out, false) !== 0, isIP(text) !== 0, text);
      }),
      { numRuns: 20000 },
    );
  });
});

describe('canonicalIp', () => {
  it('returns canonical dotted quads unchanged and null for non-addresses', () => {
    assert.equal(canonicalIp('203.0.113.7'), '203.0.113.7');
    assert.equal(canonicalIp('::ffff:203.0.113.7'), '203.0.113.7');
    assert.equal(canonicalIp('2001:0DB8::0001'), '2001:db8::1');
    for (const text of ['unknown', '_hidden', '', '1.2.3', 'localhost']) assert.equal(canonicalIp(text), null, text);
  });
});
