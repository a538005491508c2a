/**
 * Builds a {@link RangeSet} from any number of ranges, which may overlap: for every address the most
 * specific range that covers it wins (the one spanning fewest addresses), and among equally specific
 * ranges the one added last. Ranges are collected in growable typed arrays; runs of overlapping ranges
 * are resolved by a sweep, everything else is copied, so half a million mostly disjoint ranges (the ASN
 * table) build in well under a second.
 */
import { parseIpInto, wordMask } from '../net/ip.ts';
import { compareAt, RangeSet, toBig } from './range-set.ts';

const MASK32 = 0xffffffffn;

/** A range while building. IPv4 keys are numbers; IPv6 keys are bigints (the build is not per request). */
interface Pending<K> {
  start: K;
  end: K;
  value: number;
  /** Addresses covered (as a float for IPv6: ranking only needs the magnitude). */
  span: number;
  order: number;
}

/** `a` outranks `b` when it is more specific, or as specific and added later. */
function outranks<K>(a: Pending<K>, b: Pending<K>): boolean {
  return a.span < b.span || (a.span === b.span && a.order > b.order);
}

/** A binary max-heap by {@link outranks}; the sweep keeps the ranges covering the current point in it. */
class RankHeap<K> {
  readonly items: Pending<K>[] = [];
  push(p: Pending<K>): void {
    const h = this.items;
    h.push(p);
    let i = h.length - 1;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (!outranks(h[i]!, h[parent]!)) break;
      [h[i], h[parent]] = [h[parent]!, h[i]!];
      i = parent;
    }
  }
  pop(): void {
    const h = this.items;
    const last = h.pop()!;
    if (h.length === 0) return;
    h[0] = last;
    let i = 0;
    for (;;) {
      const l = 2 * i + 1;
      const r = l + 1;
      let best = i;
      if (l < h.length && outranks(h[l]!, h[best]!)) best = l;
      if (r < h.length && outranks(h[r]!, h[best]!)) best = r;
      if (best === i) return;
      [h[i], h[best]] = [h[best]!, h[i]!];
      i = best;
    }
  }
}

/** Disjoint, sorted (start, end, value) triples from a run of overlapping ranges. `next(k)` is k + 1. */
function resolve<K extends number | bigint>(ranges: Pending<K>[], next: (k: K) => K): { start: K; end: K; value: number }[] {
  ranges.sort((a, b) => (a.start < b.start ? -1 : a.start > b.start ? 1 : a.order - b.order));
  // Sweep over the boundaries (every start and every end + 1): between two consecutive boundaries the
  // set of covering ranges is constant, and the heap's top is the winner.
  const bounds: K[] = [];
  for (const r of ranges) bounds.push(r.start, next(r.end));
  bounds.sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  const out: { start: K; end: K; value: number }[] = [];
  const heap = new RankHeap<K>();
  let at = 0;
  for (let b = 0; b < bounds.length; b++) {
    const point = bounds[b]!;
    if (b > 0 && point === bounds[b - 1]) continue;
    while (at < ranges.length && ranges[at]!.start <= point) heap.push(ranges[at++]!);
    while (heap.items.length > 0 && heap.items[0]!.end < point) heap.pop();
    if (heap.items.length === 0) continue;
    const top = heap.items[0]!;
    // The segment runs to the next distinct boundary (there always is one: top.end + 1).
    let n = b + 1;
    while (bounds[n] === point) n++;
    const segEnd = bounds[n]!;
    const last = out[out.length - 1];
    if (last !== undefined && last.value === top.value && next(last.end) === point) last.end = prev(segEnd);
    else out.push({ start: point, end: prev(segEnd), value: top.value });
  }
  return out;

  function prev(k: K): K {
    return (typeof k === 'bigint' ? k - 1n : (k as number) - 1) as K;
  }
}

/**
 * Collects ranges, then {@link RangeSetBuilder.build}s a {@link RangeSet}.
 *
 * @example
 * const b = new RangeSetBuilder();
 * b.addCidr('10.0.0.0/8', 0);
 * b.addRange('192.0.2.0', '192.0.2.127', 1);
 * const set = b.build();
 * set.lookup('10.1.2.3'); // 0
 */
export class RangeSetBuilder {
  // Ranges as added, in growable typed arrays: no object per range, so half a million cost little.
  #s4 = new Uint32Array(1024);
  #e4 = new Uint32Array(1024);
  #v4 = new Int32Array(1024);
  #n4 = 0;
  #s6 = new Uint32Array(4096);
  #e6 = new Uint32Array(4096);
  #v6 = new Int32Array(1024);
  #n6 = 0;
  readonly #a = new Uint32Array(4);
  readonly #b = new Uint32Array(4);

  /** Adds an IPv4 range of uint32 bounds, inclusive. */
  add4(start: number, end: number, value: number): void {
    if (this.#n4 === this.#v4.length) {
      this.#s4 = grow(this.#s4, this.#s4.length * 2);
      this.#e4 = grow(this.#e4, this.#e4.length * 2);
      this.#v4 = grow(this.#v4, this.#v4.length * 2);
    }
    this.#s4[this.#n4] = start;
    this.#e4[this.#n4] = end;
    this.#v4[this.#n4++] = value;
  }

  /** Adds an IPv6 range of 128-bit bounds, inclusive. */
  add6(start: bigint, end: bigint, value: number): void {
    for (let k = 0; k < 4; k++) {
      const shift = BigInt(96 - 32 * k);
      this.#a[k] = Number((start >> shift) & MASK32);
      this.#b[k] = Number((end >> shift) & MASK32);
    }
    this.#add6Words(this.#a, this.#b, value);
  }

  #add6Words(start: Uint32Array, end: Uint32Array, value: number): void {
    if (this.#n6 === this.#v6.length) {
      this.#s6 = grow(this.#s6, this.#s6.length * 2);
      this.#e6 = grow(this.#e6, this.#e6.length * 2);
      this.#v6 = grow(this.#v6, this.#v6.length * 2);
    }
    this.#s6.set(start, this.#n6 * 4);
    this.#e6.set(end, this.#n6 * 4);
    this.#v6[this.#n6++] = value;
  }

  /**
   * Adds `first`–`last` (address text, inclusive). Returns false, adding nothing, when either is not an
   * address, they are of different versions, or `first` > `last`.
   */
  addRange(first: string, last: string, value: number): boolean {
    const a = this.#a;
    const b = this.#b;
    const va = parseIpInto(first, a, false);
    const vb = parseIpInto(last, b, false);
    if (va === 0 || va !== vb) return false;
    if (va === 4) {
      if (a[0]! > b[0]!) return false;
      this.add4(a[0]!, b[0]!, value);
      return true;
    }
    if (compareAt(a, 0, b[0]!, b[1]!, b[2]!, b[3]!) > 0) return false;
    this.#add6Words(a, b, value);
    return true;
  }

  /**
   * Adds a CIDR range (`10.0.0.0/8`, `2001:db8::/32`) or a single address. Host bits after the prefix
   * are ignored (`10.1.2.3/8` is `10.0.0.0/8`), as feeds are not always tidy. Returns false for text
   * that is neither.
   */
  addCidr(text: string, value: number): boolean {
    const slash = text.indexOf('/');
    const a = this.#a;
    const version = parseIpInto(slash < 0 ? text : text.slice(0, slash), a, false);
    if (version === 0) return false;
    const max = version === 4 ? 32 : 128;
    let bits = max;
    if (slash >= 0) {
      const p = text.slice(slash + 1);
      if (!/^\d{1,3}$/.test(p)) return false;
      bits = Number(p);
      if (bits > max) return false;
    }
    if (version === 4) {
      const size = 2 ** (32 - bits);
      const start = Math.floor(a[0]! / size) * size;
      this.add4(start, start + size - 1, value);
      return true;
    }
    const b = this.#b;
    for (let k = 0; k < 4; k++) {
      const mask = wordMask(bits - 32 * k);
      a[k] = (a[k]! & mask) >>> 0;
      b[k] = (a[k]! | ~mask) >>> 0;
    }
    this.#add6Words(a, b, value);
    return true;
  }

  /** Ranges added so far. */
  get size(): number {
    return this.#n4 + this.#n6;
  }

  /** Resolves overlaps and packs the ranges into typed arrays. The builder can be dropped afterwards. */
  build(): RangeSet {
    const [s4, e4, v4] = this.#build4();
    const [s6, e6, v6] = this.#build6();
    return new RangeSet(s4, e4, v4, s6, e6, v6);
  }

  #build4(): [Uint32Array, Uint32Array, Int32Array] {
    const n = this.#n4;
    const s = this.#s4;
    const e = this.#e4;
    const v = this.#v4;
    const order = sortedOrder(n, (a, b) => s[a]! - s[b]!);
    // n ranges resolve to at most 2n − 1 pieces (each inner range can split an outer one in two).
    const os = new Uint32Array(2 * n + 1);
    const oe = new Uint32Array(2 * n + 1);
    const ov = new Int32Array(2 * n + 1);
    let m = 0;
    const put = (start: number, end: number, value: number): void => {
      // Neighbours with one value that touch are one range.
      if (m > 0 && ov[m - 1] === value && oe[m - 1]! + 1 === start) oe[m - 1] = end;
      else {
        os[m] = start;
        oe[m] = end;
        ov[m++] = value;
      }
    };
    // Ranges that overlap nothing are copied; each run of overlapping ones is resolved on its own, so a
    // table with a handful of overlaps costs little more than one without.
    let i = 0;
    while (i < n) {
      const first = order[i]!;
      let j = i + 1;
      let maxEnd = e[first]!;
      while (j < n && s[order[j]!]! <= maxEnd) maxEnd = Math.max(maxEnd, e[order[j++]!]!);
      if (j === i + 1) put(s[first]!, e[first]!, v[first]!);
      else {
        const pending: Pending<number>[] = [];
        for (let x = i; x < j; x++) {
          const k = order[x]!;
          pending.push({ start: s[k]!, end: e[k]!, value: v[k]!, span: e[k]! - s[k]!, order: k });
        }
        for (const r of resolve(pending, (q) => q + 1)) put(r.start, r.end, r.value);
      }
      i = j;
    }
    return [os.slice(0, m), oe.slice(0, m), ov.slice(0, m)];
  }

  #build6(): [Uint32Array, Uint32Array, Int32Array] {
    const n = this.#n6;
    const s = this.#s6;
    const e = this.#e6;
    const v = this.#v6;
    const order = sortedOrder(n, (a, b) => compareAt(s, a * 4, s[b * 4]!, s[b * 4 + 1]!, s[b * 4 + 2]!, s[b * 4 + 3]!));
    // n ranges resolve to at most 2n − 1 pieces (each inner range can split an outer one in two).
    const s6 = new Uint32Array(n * 8 + 4);
    const e6 = new Uint32Array(n * 8 + 4);
    const v6 = new Int32Array(n * 2 + 1);
    let m = 0;
    const put = (start: Uint32Array, startAt: number, end: Uint32Array, endAt: number, value: number): void => {
      if (m > 0 && v6[m - 1] === value && followsAt(e6, (m - 1) * 4, start, startAt)) {
        e6.set(end.subarray(endAt, endAt + 4), (m - 1) * 4);
        return;
      }
      s6.set(start.subarray(startAt, startAt + 4), m * 4);
      e6.set(end.subarray(endAt, endAt + 4), m * 4);
      v6[m++] = value;
    };
    const maxEnd = new Uint32Array(4);
    let i = 0;
    while (i < n) {
      let j = i + 1;
      maxEnd.set(e.subarray(order[i]! * 4, order[i]! * 4 + 4));
      while (j < n) {
        const k = order[j]! * 4;
        if (compareAt(s, k, maxEnd[0]!, maxEnd[1]!, maxEnd[2]!, maxEnd[3]!) > 0) break;
        if (compareAt(e, k, maxEnd[0]!, maxEnd[1]!, maxEnd[2]!, maxEnd[3]!) > 0) maxEnd.set(e.subarray(k, k + 4));
        j++;
      }
      if (j === i + 1) put(s, order[i]! * 4, e, order[i]! * 4, v[order[i]!]!);
      else {
        const pending: Pending<bigint>[] = [];
        for (let x = i; x < j; x++) {
          const k = order[x]!;
          const start = toBig(s.subarray(k * 4, k * 4 + 4));
          const end = toBig(e.subarray(k * 4, k * 4 + 4));
          pending.push({ start, end, value: v[k]!, span: Number(end - start), order: k });
        }
        const a = new Uint32Array(4);
        const b = new Uint32Array(4);
        for (const r of resolve(pending, (q) => q + 1n)) {
          for (let k = 0; k < 4; k++) {
            const shift = BigInt(96 - 32 * k);
            a[k] = Number((r.start >> shift) & MASK32);
            b[k] = Number((r.end >> shift) & MASK32);
          }
          put(a, 0, b, 0, r.value);
        }
      }
      i = j;
    }
    return [s6.slice(0, m * 4), e6.slice(0, m * 4), v6.slice(0, m)];
  }
}

/** Indices 0..n-1 ordered by `compare`, then by index (insertion order); no sort when already in order. */
function sortedOrder(n: number, compare: (a: number, b: number) => number): Uint32Array {
  const order = new Uint32Array(n);
  for (let i = 0; i < n; i++) order[i] = i;
  let sorted = true;
  for (let i = 1; i < n && sorted; i++) if (compare(i - 1, i) > 0) sorted = false;
  if (!sorted) order.sort((a, b) => compare(a, b) || a - b);
  return order;
}

function grow<T extends Uint32Array | Int32Array>(a: T, size: number): T {
  const b = new (a.constructor as new (n: number) => T)(size);
  b.set(a);
  return b;
}

/** True when the 128-bit value at `b[bAt..]` is the one at `a[aAt..]` plus one. */
function followsAt(a: Uint32Array, aAt: number, b: Uint32Array, bAt: number): boolean {
  let carry = 1;
  for (let k = 3; k >= 0; k--) {
    const sum = a[aAt + k]! + carry;
    const word = sum >>> 0;
    carry = sum > 0xffffffff ? 1 : 0;
    if (word !== b[bAt + k]) return false;
  }
  return carry === 0;
}
