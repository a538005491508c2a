import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { ErrorCode, isRampartError } from '../errors.ts';
import { formatIp } from './ip.ts';
import { createIpPrefixKey, ipPrefixKey } from './prefix.ts';

describe('ipPrefixKey', () => {
  it('keys IPv4 by /24 and IPv6 by /64 by default', () => {
    assert.equal(ipPrefixKey('203.0.113.77'), '203.0.113.0/24');
    assert.equal(ipPrefixKey('2001:db8:1:2:3:4:5:6'), '2001:db8:1:2::/64');
    assert.equal(ipPrefixKey('2001:DB8:0001:0002::9'), '2001:db8:1:2::/64');
  });

  it('keys by other prefix lengths', () => {
    assert.equal(ipPrefixKey('203.0.113.77', 16), '203.0.0.0/16');
    assert.equal(ipPrefixKey('203.0.113.77', 32), '203.0.113.77/32');
    assert.equal(ipPrefixKey('203.0.113.77', 0), '0.0.0.0/0');
    assert.equal(ipPrefixKey('203.0.113.77', 20), '203.0.112.0/20');
    assert.equal(ipPrefixKey('2001:db8:1:2:3:4:5:6', 24, 48), '2001:db8:1::/48');
    assert.equal(ipPrefixKey('2001:db8:1:2:3:4:5:6', 24, 56), '2001:db8:1::/56');
    assert.equal(ipPrefixKey('2001:db8:1:2ff:3:4:5:6', 24, 56), '2001:db8:1:200::/56');
    assert.equal(ipPrefixKey('2001:db8:1:2:3:4:5:6', 24, 128), '2001:db8:1:2:3:4:5:6/128');
    assert.equal(ipPrefixKey('2001:db8:1:2:3:4:5:6', 24, 0), '::/0');
  });

  it('keys IPv4-mapped IPv6 as IPv4', () => {
    assert.equal(ipPrefixKey('::ffff:198.51.100.9'), '198.51.100.0/24');
    assert.equal(ipPrefixKey('::ffff:c633:6409', 16), '198.51.0.0/16');
  });

  it('returns text that is not an address unchanged', () => {
    for (const text of ['', 'unknown', '1.2.3', '::::']) assert.equal(ipPrefixKey(text), text);
  });

  it('rejects prefix lengths out of range', () => {
    for (const [v4, v6] of [[33, 64], [-1, 64], [24, 129], [24.5, 64], [Number.NaN, 64]]) {
      assert.throws(() => ipPrefixKey('1.2.3.4', v4, v6), (err) => isRampartError(err) && err.code === ErrorCode.INVALID_ARGUMENT);
      assert.throws(() => createIpPrefixKey({ v4Bits: v4, v6Bits: v6 }), (err) => isRampartError(err) && err.code === ErrorCode.INVALID_ARGUMENT);
    }
  });

  it('gives every address in one /24 the same key and addresses in different /24s different keys', () => {
    const key = createIpPrefixKey();
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 0xffffffff }), fc.integer({ min: 0, max: 0xffffffff }), fc.boolean(), (a, other, sameNetwork) => {
        const b = sameNetwork ? ((a & 0xffffff00) | (other & 0xff)) >>> 0 : other;
        const same = a >>> 8 === b >>> 8;
        assert.equal(key(formatIp({ version: 4, value: a })) === key(formatIp({ version: 4, value: b })), same);
      }),
    );
  });

  it('gives addresses that share their first bits the same IPv6 key, in every spelling', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 128 }),
        fc.uint32Array({ minLength: 4, maxLength: 4 }),
        fc.uint32Array({ minLength: 4, maxLength: 4 }),
        (bits, a, b) => {
          // b shares a's first `bits` bits.
          for (let k = 0; k < 4; k++) {
            const keep = Math.max(0, Math.min(32, bits - 32 * k));
            const mask = keep === 0 ? 0 : keep === 32 ? 0xffffffff : (0xffffffff << (32 - keep)) >>> 0;
            b[k] = ((a[k] & mask) | (b[k] & ~mask)) >>> 0;
          }
          // Keep clear of the mapped block, which is keyed as IPv4.
          a[0] = b[0] = (a[0] | 0x20000000) >>> 0;
          const key = createIpPrefixKey({ v6Bits: bits });
          const ka = key(formatIp({ version: 6, words: a }));
          assert.equal(key(formatIp({ version: 6, words: b })), ka);
          assert.equal(key(formatIp({ version: 6, words: a }).toUpperCase()), ka);
          assert.ok(ka.endsWith(`/${bits}`));
        },
      ),
    );
  });
});
