/**
 * The most frequent keys of a stream in fixed memory (the Space-Saving algorithm, Metwally et al.
 * 2005). Replay counts mitigated IPs and networks with it: a log of a botnet can hold millions of
 * addresses, and a Map of all of them would make memory grow with the file.
 */
import { ErrorCode, RampartError } from '../errors.ts';

/** One of the most frequent keys. */
export interface TopEntry {
  readonly key: string;
  /** Times seen: exact when `overestimate` is 0, else at most this many. */
  readonly count: number;
  /** How much `count` may exceed the true count (it inherited an evicted key's count). */
  readonly overestimate: number;
}

interface Slot {
  key: string;
  count: number;
  overestimate: number;
  index: number;
}

/**
 * Counts keys with at most `capacity` counters. Any key seen more than `total / capacity` times is
 * guaranteed to be among them; counts are exact while fewer than `capacity` distinct keys were seen.
 *
 * @example
 * const top = new TopCounter(1000);
 * for (const ip of ips) top.add(ip);
 * top.top(10); // [{ key: '203.0.113.7', count: 1234, overestimate: 0 }, …]
 */
export class TopCounter {
  readonly #capacity: number;
  readonly #slots = new Map<string, Slot>();
  /** A min-heap on count: the root is the counter Space-Saving evicts. */
  readonly #heap: Slot[] = [];

  constructor(capacity: number) {
    if (!Number.isInteger(capacity) || capacity < 1) throw new RampartError(ErrorCode.INVALID_ARGUMENT, `capacity must be a positive integer, got ${String(capacity)}`);
    this.#capacity = capacity;
  }

  /** Counts one occurrence of `key`. */
  add(key: string): void {
    const heap = this.#heap;
    let slot = this.#slots.get(key);
    if (slot !== undefined) {
      slot.count++;
    } else if (heap.length < this.#capacity) {
      slot = { key, count: 1, overestimate: 0, index: heap.length };
      heap.push(slot);
      this.#slots.set(key, slot);
      this.#up(slot.index);
      return;
    } else {
      slot = heap[0]!;
      this.#slots.delete(slot.key);
      slot.key = key;
      slot.overestimate = slot.count;
      slot.count++;
      this.#slots.set(key, slot);
    }
    this.#down(slot.index);
  }

  /** The `n` most frequent keys, most frequent first (ties by key, for stable output). */
  top(n: number): TopEntry[] {
    return [...this.#heap]
      .sort((a, b) => b.count - a.count || (a.key < b.key ? -1 : a.key > b.key ? 1 : 0))
      .slice(0, n)
      .map(({ key, count, overestimate }) => ({ key, count, overestimate }));
  }

  #up(i: number): void {
    const heap = this.#heap;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (heap[parent]!.count <= heap[i]!.count) return;
      this.#swap(i, parent);
      i = parent;
    }
  }

  #down(i: number): void {
    const heap = this.#heap;
    const n = heap.length;
    for (;;) {
      const l = 2 * i + 1;
      if (l >= n) return;
      const r = l + 1;
      const child = r < n && heap[r]!.count < heap[l]!.count ? r : l;
      if (heap[i]!.count <= heap[child]!.count) return;
      this.#swap(i, child);
      i = child;
    }
  }

  #swap(a: number, b: number): void {
    const heap = this.#heap;
    const x = heap[a]!;
    const y = heap[b]!;
    heap[a] = y;
    heap[b] = x;
    x.index = b;
    y.index = a;
  }
}
