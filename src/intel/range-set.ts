/**
 * A set of IP ranges, each mapped to a small integer value, answering "which value covers this
 * address?" by binary search over typed arrays. Built once from any number of (possibly overlapping)
 * ranges by `RangeSetBuilder` (range-set-builder.ts); queried per request without allocating.
 *
 * Layout: IPv4 as three parallel Uint32Arrays (start, end, value); IPv6 the same with four words per
 * address (most significant first). Ranges are disjoint and sorted after building, so a lookup is one
 * binary search for the last start ≤ the address and one comparison with that range's end.
 *
 * Overlaps are resolved when building: for every address, the most specific range that covers it
 * wins (the one spanning fewest addresses), and among equally specific ranges the one added last wins.
 * So `10.0.0.0/8 → a` then `10.1.0.0/16 → b` answers b inside 10.1/16 and a elsewhere in 10/8, in
 * whatever order they were added.
 */
import { parseIpInto } from '../net/ip.ts';

/** No range covers the address. */
export const NO_VALUE = -1;

/** The 128-bit value of four words, most significant first. */
export function toBig(w: Uint32Array): bigint {
  return (BigInt(w[0]!) << 96n) | (BigInt(w[1]!) << 64n) | (BigInt(w[2]!) << 32n) | BigInt(w[3]!);
}

/**
 * Disjoint, sorted ranges over typed arrays. See the file comment for layout and overlap rules.
 *
 * @example
 * const set = RangeSet.empty();
 * set.lookup('203.0.113.7'); // NO_VALUE
 */
export class RangeSet {
  readonly #s4: Uint32Array;
  readonly #e4: Uint32Array;
  readonly #v4: Int32Array;
  readonly #s6: Uint32Array;
  readonly #e6: Uint32Array;
  readonly #v6: Int32Array;
  readonly #probe = new Uint32Array(4);

  /** IPv4 starts by their top 16 bits: `#top4[h]` ranges start below `h << 16`, so a search looks only between two entries. */
  readonly #top4 = new Uint32Array(65537);

  constructor(s4: Uint32Array, e4: Uint32Array, v4: Int32Array, s6: Uint32Array, e6: Uint32Array, v6: Int32Array) {
    let at = 0;
    for (let h = 0; h <= 65536; h++) {
      while (at < s4.length && s4[at]! < h * 65536) at++;
      this.#top4[h] = at;
    }
    this.#s4 = s4;
    this.#e4 = e4;
    this.#v4 = v4;
    this.#s6 = s6;
    this.#e6 = e6;
    this.#v6 = v6;
  }

  /** A set that holds nothing. */
  static empty(): RangeSet {
    return new RangeSet(new Uint32Array(0), new Uint32Array(0), new Int32Array(0), new Uint32Array(0), new Uint32Array(0), new Int32Array(0));
  }

  /** The typed arrays, in constructor order (for the compiled disk cache). */
  arrays(): [Uint32Array, Uint32Array, Int32Array, Uint32Array, Uint32Array, Int32Array] {
    return [this.#s4, this.#e4, this.#v4, this.#s6, this.#e6, this.#v6];
  }

  /** Disjoint IPv4 ranges held (after merging). */
  get size4(): number {
    return this.#v4.length;
  }

  /** Disjoint IPv6 ranges held (after merging). */
  get size6(): number {
    return this.#v6.length;
  }

  /** Bytes of the typed arrays (the ranges and the IPv4 index). */
  get bytes(): number {
    return this.#top4.byteLength + this.#s4.byteLength + this.#e4.byteLength + this.#v4.byteLength + this.#s6.byteLength + this.#e6.byteLength + this.#v6.byteLength;
  }

  /** The value covering an address given as text, or {@link NO_VALUE} (also for text that is not an address). */
  lookup(ip: string): number {
    const probe = this.#probe;
    const version = parseIpInto(ip, probe);
    if (version === 4) return this.lookup4(probe[0]!);
    if (version === 6) return this.lookup6(probe[0]!, probe[1]!, probe[2]!, probe[3]!);
    return NO_VALUE;
  }

  /** The value covering an IPv4 address given as a uint32. */
  lookup4(ip: number): number {
    const starts = this.#s4;
    const h = ip >>> 16;
    // The answer is the last range starting at or below ip: one before the first starting in this /16, or one of those.
    let lo = this.#top4[h]!;
    let hi = this.#top4[h + 1]! - 1;
    if (lo > 0) lo--;
    // The last range whose start is ≤ ip.
    while (lo <= hi) {
      const mid = (lo + hi) >>> 1;
      if (starts[mid]! <= ip) lo = mid + 1;
      else hi = mid - 1;
    }
    return hi >= 0 && ip <= this.#e4[hi]! ? this.#v4[hi]! : NO_VALUE;
  }

  /** The value covering an IPv6 address given as four words, most significant first. */
  lookup6(w0: number, w1: number, w2: number, w3: number): number {
    const s = this.#s6;
    let lo = 0;
    let hi = this.#v6.length - 1;
    while (lo <= hi) {
      const mid = (lo + hi) >>> 1;
      const at = mid * 4;
      if (compareAt(s, at, w0, w1, w2, w3) <= 0) lo = mid + 1;
      else hi = mid - 1;
    }
    if (hi < 0) return NO_VALUE;
    return compareAt(this.#e6, hi * 4, w0, w1, w2, w3) >= 0 ? this.#v6[hi]! : NO_VALUE;
  }

  /** Every range as `[first, last, value]` with bounds as bigints (IPv4 below 2^32); for tests and tools. */
  *entries(): Generator<{ version: 4 | 6; start: bigint; end: bigint; value: number }> {
    for (let i = 0; i < this.#v4.length; i++) yield { version: 4, start: BigInt(this.#s4[i]!), end: BigInt(this.#e4[i]!), value: this.#v4[i]! };
    for (let i = 0; i < this.#v6.length; i++) {
      yield { version: 6, start: toBig(this.#s6.subarray(i * 4, i * 4 + 4)), end: toBig(this.#e6.subarray(i * 4, i * 4 + 4)), value: this.#v6[i]! };
    }
  }
}

/** Compares the four-word value at `a[at..]` with (w0..w3): negative, zero or positive. */
export function compareAt(a: Uint32Array, at: number, w0: number, w1: number, w2: number, w3: number): number {
  let x = a[at]!;
  if (x !== w0) return x - w0;
  x = a[at + 1]!;
  if (x !== w1) return x - w1;
  x = a[at + 2]!;
  if (x !== w2) return x - w2;
  return a[at + 3]! - w3;
}
