import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { ErrorCode, isRampartError } from '../errors.ts';
import { CidrSet } from './cidr.ts';
import { formatIp, parseIp } from './ip.ts';

/** An address as a BigInt in a 128-bit space where IPv4 a.b.c.d is ::ffff:a.b.c.d. */
function toBig(text: string): bigint {
  const parsed = parseIp(text);
  if (parsed === null) throw new Error(`not an address: ${text}`);
  if (parsed.version === 4) return (0xffffn << 32n) | BigInt(parsed.value);
  return parsed.words.reduce((acc, w) => (acc << 32n) | BigInt(w), 0n);
}

/** The naive reference: does any (network, prefix) contain the address? */
function naiveHas(ranges: { network: bigint; prefix: number }[], ip: string): boolean {
  const value = toBig(ip);
  return ranges.some(({ network, prefix }) => (value >> BigInt(128 - prefix)) === (network >> BigInt(128 - prefix)));
}

const v4Arb = fc.integer({ min: 0, max: 0xffffffff }).map((value) => formatIp({ version: 4, value }));
const v6Arb = fc
  .tuple(
    fc.constantFrom(0x20010db8, 0xfe800000, 0, 0x20010db9),
    fc.constantFrom(0, 1, 0xffffffff),
    fc.oneof(fc.constant(0xffff), fc.integer({ min: 0, max: 0xffffffff })),
    fc.integer({ min: 0, max: 0xffffffff }),
  )
  .map(([a, b, c, d]) => formatIp({ version: 6, words: Uint32Array.of(a, b, c, d) }));

/** A CIDR around a random address, written with host bits cleared (the set rejects them otherwise). */
const cidrArb = fc.oneof(
  fc.tuple(v4Arb, fc.integer({ min: 0, max: 32 })).map(([ip, prefix]) => ({ ip, prefix, v6: false })),
  fc.tuple(v6Arb, fc.integer({ min: 0, max: 128 })).map(([ip, prefix]) => ({ ip, prefix, v6: true })),
).map(({ ip, prefix, v6 }) => {
  const bits = v6 ? prefix : prefix + 96;
  const big = toBig(ip);
  const network = (big >> BigInt(128 - bits)) << BigInt(128 - bits);
  const words = Uint32Array.from([96n, 64n, 32n, 0n], (shift) => Number((network >> shift) & 0xffffffffn));
  const text = v6
    ? formatIp({ version: 6, words })
    : formatIp({ version: 4, value: words[3] });
  return { text: `${text}/${prefix}`, network, bits };
});

function thrown(fn: () => unknown): unknown {
  try {
    fn();
  } catch (err) {
    return err;
  }
  assert.fail('expected an error');
}

describe('CidrSet', () => {
  it('matches addresses inside IPv4 and IPv6 ranges and bare addresses', () => {
    const set = new CidrSet(['10.0.0.0/8', '192.0.2.7', '2001:db8::/32', '2001:db8:ffff::1']);
    assert.equal(set.has('10.255.1.2'), true);
    assert.equal(set.has('11.0.0.0'), false);
    assert.equal(set.has('192.0.2.7'), true);
    assert.equal(set.has('192.0.2.8'), false);
    assert.equal(set.has('2001:db8:1::9'), true);
    assert.equal(set.has('2001:0DB8:0::1'), true);
    assert.equal(set.has('2001:db9::'), false);
    assert.equal(set.has('not an ip'), false);
  });

  it('treats an IPv4-mapped client as the IPv4 address', () => {
    const set = new CidrSet(['10.0.0.0/8']);
    assert.equal(set.has('::ffff:10.0.0.1'), true);
    assert.equal(set.has('::ffff:a00:1'), true);
    assert.equal(set.hasParsed(parseIp('::ffff:10.0.0.1')!), true);
  });

  it('stores IPv4-mapped ranges as IPv4', () => {
    const set = new CidrSet(['::ffff:10.0.0.0/104', '::ffff:192.168.1.1']);
    assert.deepEqual(set.cidrs(), ['10.0.0.0/8', '192.168.1.1/32']);
    assert.equal(set.has('10.9.9.9'), true);
    assert.equal(set.has('192.168.1.1'), true);
  });

  it('counts every IPv4 address as inside an IPv6 range that covers the mapped block', () => {
    assert.equal(new CidrSet(['::/0']).has('203.0.113.9'), true);
    assert.equal(new CidrSet(['::ffff:0:0/96']).has('203.0.113.9'), true);
    assert.equal(new CidrSet(['2001:db8::/32']).has('203.0.113.9'), false);
  });

  it('expands the loopback, private and linklocal presets', () => {
    const set = new CidrSet(['loopback', 'private', 'linklocal']);
    for (const ip of ['127.0.0.1', '::1', '10.1.1.1', '172.16.0.1', '172.31.255.255', '192.168.0.1', 'fd00::1', 'fc00::', '169.254.1.1', 'fe80::1%eth0']) {
      assert.equal(set.has(ip), true, ip);
    }
    for (const ip of ['8.8.8.8', '172.32.0.1', '::2', '2001:db8::1', 'fec0::1']) assert.equal(set.has(ip), false, ip);
  });

  it('drops ranges nested in others', () => {
    assert.deepEqual(new CidrSet(['10.1.0.0/16', '10.0.0.0/8', '10.1.2.3', '2001:db8:1::/48', '2001:db8::/32']).cidrs(), [
      '10.0.0.0/8',
      '2001:db8::/32',
    ]);
  });

  it('is empty for an empty list', () => {
    const set = new CidrSet([]);
    assert.equal(set.isEmpty, true);
    assert.equal(set.has('1.2.3.4'), false);
  });

  it('rejects bad entries naming each one, its index and what is allowed', () => {
    const err = thrown(() => new CidrSet(['10.0.0.0/8', '10.0.0.1/8', 'proxy.local', '1.2.3.4/33', '::/129', 'fe80::1%eth0', '10.0.0.0/08', ''], { label: 'trustedProxies' }));
    assert.ok(isRampartError(err));
    assert.equal(err.code, ErrorCode.INVALID_ARGUMENT);
    assert.deepEqual(
      err.issues.map((i) => i.path),
      ['trustedProxies[1]', 'trustedProxies[2]', 'trustedProxies[3]', 'trustedProxies[4]', 'trustedProxies[5]', 'trustedProxies[6]', 'trustedProxies[7]'],
    );
    assert.match(err.message, /"10\.0\.0\.1\/8".*did you mean 10\.0\.0\.0\/8/);
    assert.match(err.message, /"proxy\.local" is not an IP address.*loopback, private, linklocal/);
    assert.match(err.message, /"1\.2\.3\.4\/33".*\/0 to \/32/);
  });

  it('rejects a list that is not an array of strings', () => {
    for (const bad of [undefined, '10.0.0.0/8', [42]]) {
      const err = thrown(() => new CidrSet(bad as unknown as string[]));
      assert.ok(isRampartError(err) && err.code === ErrorCode.INVALID_ARGUMENT);
    }
  });

  it('agrees with a naive range check on random ranges and addresses', () => {
    fc.assert(
      fc.property(fc.array(cidrArb, { maxLength: 12 }), fc.array(fc.oneof(v4Arb, v6Arb), { minLength: 1, maxLength: 20 }), (cidrs, ips) => {
        const set = new CidrSet(cidrs.map((c) => c.text));
        const ranges = cidrs.map((c) => ({ network: c.network, prefix: c.bits }));
        // Probe the range boundaries too, where off-by-one errors live.
        const probes = [...ips];
        for (const { network, bits } of cidrs) {
          const last = network | ((1n << BigInt(128 - bits)) - 1n);
          for (const value of [network, last, last + 1n, network - 1n]) {
            if (value < 0n || value >= 1n << 128n) continue;
            const words = Uint32Array.from([96n, 64n, 32n, 0n], (shift) => Number((value >> shift) & 0xffffffffn));
            probes.push(formatIp({ version: 6, words }));
          }
        }
        for (const ip of probes) assert.equal(set.has(ip), naiveHas(ranges, ip), `${ip} in ${cidrs.map((c) => c.text)}`);
      }),
      { numRuns: 500 },
    );
  });
});
