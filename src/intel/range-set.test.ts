import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { RangeSetBuilder } from './range-set-builder.ts';
import { NO_VALUE, RangeSet } from './range-set.ts';

interface Ref {
  start: bigint;
  end: bigint;
  value: number;
  order: number;
}

/** The naive reference: scan every range; most specific wins, then the one added last. */
function naive(ranges: readonly Ref[], ip: bigint): number {
  let best: Ref | null = null;
  for (const r of ranges) {
    if (ip < r.start || ip > r.end) continue;
    const span = r.end - r.start;
    const bestSpan = best === null ? 0n : best.end - best.start;
    if (best === null || span < bestSpan || (span === bestSpan && r.order > best.order)) best = r;
  }
  return best === null ? NO_VALUE : best.value;
}

function v4Text(n: bigint): string {
  const x = Number(n);
  return `${x >>> 24}.${(x >>> 16) & 255}.${(x >>> 8) & 255}.${x & 255}`;
}
function v6Text(n: bigint): string {
  const groups: string[] = [];
  for (let k = 7; k >= 0; k--) groups.push(((n >> BigInt(16 * k)) & 0xffffn).toString(16));
  return groups.join(':');
}

// Small address spaces make overlaps common; the offset puts them anywhere in the real space.
const smallRange = (base: bigint, width: number) =>
  fc.tuple(fc.integer({ min: 0, max: width }), fc.integer({ min: 0, max: width }), fc.integer({ min: 0, max: 5 })).map(([a, b, value]) => ({
    start: base + BigInt(Math.min(a, b)),
    end: base + BigInt(Math.max(a, b)),
    value,
  }));

test('IPv4 lookups agree with a naive scan, overlaps included', () => {
  fc.assert(
    fc.property(
      fc.bigInt({ min: 0n, max: 0xffffffffn - 200n }).chain((base) => fc.tuple(fc.constant(base), fc.array(smallRange(base, 200), { maxLength: 30 }))),
      ([base, list]) => {
        const b = new RangeSetBuilder();
        const refs: Ref[] = list.map((r, order) => ({ ...r, order }));
        for (const r of refs) b.add4(Number(r.start), Number(r.end), r.value);
        const set = b.build();
        for (let off = 0n; off <= 201n; off++) {
          const ip = base + off;
          if (ip > 0xffffffffn) break;
          assert.equal(set.lookup4(Number(ip)), naive(refs, ip), `at ${v4Text(ip)}`);
          assert.equal(set.lookup(v4Text(ip)), naive(refs, ip));
        }
      },
    ),
    { numRuns: 300 },
  );
});

test('IPv6 lookups agree with a naive scan, overlaps included', () => {
  const max = (1n << 128n) - 1n;
  fc.assert(
    fc.property(
      fc.bigInt({ min: 0n, max: max - 200n }).chain((base) => fc.tuple(fc.constant(base), fc.array(smallRange(base, 200), { maxLength: 30 }))),
      ([base, list]) => {
        const b = new RangeSetBuilder();
        const refs: Ref[] = list.map((r, order) => ({ ...r, order }));
        for (const r of refs) b.add6(r.start, r.end, r.value);
        const set = b.build();
        for (let off = 0n; off <= 200n; off += 3n) {
          const ip = base + off;
          const text = v6Text(ip);
          // IPv4-mapped addresses are looked up as IPv4: not this test's business.
          if (ip >> 32n === 0xffffn) continue;
          assert.equal(set.lookup(text), naive(refs, ip), `at ${text}`);
        }
      },
    ),
    { numRuns: 300 },
  );
});

test('CIDRs of any prefix length agree with a naive scan', () => {
  fc.assert(
    fc.property(
      fc.array(fc.tuple(fc.integer({ min: 0, max: 0xffffffff }), fc.integer({ min: 8, max: 32 }), fc.integer({ min: 0, max: 9 })), { maxLength: 40 }),
      fc.array(fc.integer({ min: 0, max: 0xffffffff }), { minLength: 20, maxLength: 20 }),
      (cidrs, probes) => {
        const b = new RangeSetBuilder();
        const refs: Ref[] = [];
        cidrs.forEach(([ip, bits, value], order) => {
          assert.ok(b.addCidr(`${v4Text(BigInt(ip))}/${bits}`, value));
          const size = 2 ** (32 - bits);
          const start = Math.floor(ip / size) * size;
          refs.push({ start: BigInt(start), end: BigInt(start + size - 1), value, order });
        });
        const set = b.build();
        // Probe random addresses and every range's edges.
        const points = [...probes.map(BigInt), ...refs.flatMap((r) => [r.start, r.end, r.start - 1n, r.end + 1n])].filter((p) => p >= 0n && p <= 0xffffffffn);
        for (const p of points) assert.equal(set.lookup4(Number(p)), naive(refs, p));
      },
    ),
    { numRuns: 200 },
  );
});

test('the more specific range wins whichever order they were added in', () => {
  for (const order of [0, 1]) {
    const b = new RangeSetBuilder();
    if (order === 0) {
      b.addCidr('10.0.0.0/8', 1);
      b.addCidr('10.1.0.0/16', 2);
    } else {
      b.addCidr('10.1.0.0/16', 2);
      b.addCidr('10.0.0.0/8', 1);
    }
    const set = b.build();
    assert.equal(set.lookup('10.1.2.3'), 2);
    assert.equal(set.lookup('10.2.0.0'), 1);
    assert.equal(set.lookup('10.0.255.255'), 1);
    assert.equal(set.lookup('11.0.0.0'), NO_VALUE);
    assert.equal(set.size4, 3);
  }
});

test('of two equal ranges the one added last wins', () => {
  const b = new RangeSetBuilder();
  b.addCidr('2001:db8::/32', 1);
  b.addCidr('2001:db8::/32', 2);
  assert.equal(b.build().lookup('2001:db8::1'), 2);
});

test('adjacent pieces with one value are merged, and the edges of the space work', () => {
  const b = new RangeSetBuilder();
  b.addCidr('0.0.0.0/1', 1);
  b.addCidr('128.0.0.0/1', 1);
  b.addCidr('::/0', 3);
  b.addCidr('ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff/128', 4);
  const set = b.build();
  assert.equal(set.size4, 1);
  assert.equal(set.lookup('255.255.255.255'), 1);
  assert.equal(set.lookup('0.0.0.0'), 1);
  assert.equal(set.lookup('::'), 3);
  assert.equal(set.lookup('ffff:ffff:ffff:ffff:ffff:ffff:ffff:fffe'), 3);
  assert.equal(set.lookup('ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff'), 4);
});

test('rejects text that is not a range and looks up nothing for non-addresses', () => {
  const b = new RangeSetBuilder();
  assert.equal(b.addCidr('10.0.0.0/33', 1), false);
  assert.equal(b.addCidr('banana', 1), false);
  assert.equal(b.addRange('10.0.0.9', '10.0.0.1', 1), false);
  assert.equal(b.addRange('10.0.0.1', '::1', 1), false);
  assert.equal(RangeSet.empty().lookup('not an ip'), NO_VALUE);
  assert.equal(b.build().lookup('10.0.0.1'), NO_VALUE);
});
