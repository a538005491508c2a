/**
 * The storage behind the memory store: every tracked key is a numbered slot in a few shared typed
 * arrays, so a key costs no object of its own (the goal is ≤ 120 bytes per key at a million keys,
 * Map entry and key string included). Slots sit on one of two intrusive doubly-linked LRU lists
 * (normal, protected) or on the free list. The arrays grow by doubling up to the configured maximum,
 * so a store sized for millions of keys costs little until it is used.
 *
 * Layout per slot: `num[4s..4s+3]` = state a, b, c and blockedUntil (adjacent, one cache line for
 * two slots); `links[2s]` = prev, `links[2s+1]` = next (next also chains free slots); `tableOf[s]` =
 * table index; `listOf[s]` = which list the slot is on; `keys[s]` = the key, kept so an evicted slot
 * can be removed from its table's Map.
 */

/** `listOf` value of a slot that holds no key. */
export const FREE = 0;
/** The list of keys that may be evicted first. */
export const NORMAL = 1;
/** The list of blocked or over-limit keys: evicted only when no normal key is left. */
export const PROTECTED = 2;
/** A list a live slot can be on. */
export type ListId = typeof NORMAL | typeof PROTECTED;

/** "No slot": end of a list, empty list, or no room left. */
export const NIL = -1;
/** Offset of blockedUntil within a slot's four numbers. */
export const BLOCKED_UNTIL = 3;

const NUMS = 4;
const INITIAL_CAPACITY = 1024;

/**
 * Fixed-layout slot storage with O(1) allocate, release, touch and LRU lookup. Internal to the
 * memory store; not exported from the package.
 *
 * @example
 * const slab = new SlotSlab(100);
 * const s = slab.alloc('203.0.113.7', 0);     // on the normal list, state zeroed
 * slab.touch(s, PROTECTED);                   // now evicted last
 * slab.lru(NORMAL);                           // NIL: no normal key left
 */
export class SlotSlab {
  /** State a, b, c and blockedUntil, four per slot. Replaced when the slab grows: read it each time. */
  num: Float64Array;
  /** prev and next, two per slot. Replaced when the slab grows. */
  links: Int32Array;
  /** Table index per slot. Replaced when the slab grows. */
  tableOf: Uint16Array;
  /** {@link FREE}, {@link NORMAL} or {@link PROTECTED} per slot. Replaced when the slab grows. */
  listOf: Uint8Array;
  /** Key per slot ('' when free). Sized like the typed arrays (no push slack); replaced when the slab grows. */
  keys: string[] = [];
  /** Slots currently allocated in the arrays. */
  capacity = 0;
  /** Slots holding a key. */
  size = 0;
  /** Slots below this index have been handed out at least once; the rest are untouched. */
  highWater = 0;

  readonly #maxSlots: number;
  #freeHead = NIL;
  readonly #head = new Int32Array(3);
  readonly #tail = new Int32Array(3);

  /** `maxSlots` must already be validated (integer, 1 … 2^24). */
  constructor(maxSlots: number) {
    this.#maxSlots = maxSlots;
    this.num = new Float64Array(0);
    this.links = new Int32Array(0);
    this.tableOf = new Uint16Array(0);
    this.listOf = new Uint8Array(0);
    this.clear();
  }

  /**
   * Takes a slot for `key`, zeroes its state and puts it at the most-recently-used end of the normal
   * list. Returns {@link NIL} when all `maxSlots` are in use (the caller evicts, then retries).
   */
  alloc(key: string, table: number): number {
    let slot: number;
    if (this.#freeHead !== NIL) {
      slot = this.#freeHead;
      this.#freeHead = this.links[2 * slot + 1];
    } else {
      if (this.highWater === this.capacity) {
        if (this.capacity === this.#maxSlots) return NIL;
        this.#grow();
      }
      slot = this.highWater++;
    }
    this.keys[slot] = key;
    const n = this.num;
    const i = NUMS * slot;
    n[i] = 0;
    n[i + 1] = 0;
    n[i + 2] = 0;
    n[i + 3] = 0;
    this.tableOf[slot] = table;
    this.#append(slot, NORMAL);
    this.size++;
    return slot;
  }

  /** Returns a live slot to the free list. The caller removes it from its table's Map first. */
  release(slot: number): void {
    this.#unlink(slot);
    this.listOf[slot] = FREE;
    // '' rather than undefined keeps the array's element kind stable and drops the key string.
    this.keys[slot] = '';
    this.links[2 * slot + 1] = this.#freeHead;
    this.#freeHead = slot;
    this.size--;
  }

  /** Marks `slot` most recently used, moving it to `list` if it is on the other one. */
  touch(slot: number, list: ListId): void {
    if (this.listOf[slot] === list && this.#tail[list] === slot) return;
    this.#unlink(slot);
    this.#append(slot, list);
  }

  /** The least recently used slot on `list`, or {@link NIL} if the list is empty. */
  lru(list: ListId): number {
    return this.#head[list];
  }

  /** Drops every key and shrinks back to the initial size. */
  clear(): void {
    this.capacity = Math.min(INITIAL_CAPACITY, this.#maxSlots);
    this.num = new Float64Array(NUMS * this.capacity);
    this.links = new Int32Array(2 * this.capacity);
    this.tableOf = new Uint16Array(this.capacity);
    this.listOf = new Uint8Array(this.capacity);
    this.keys = new Array<string>(this.capacity).fill('');
    this.size = 0;
    this.highWater = 0;
    this.#freeHead = NIL;
    this.#head.fill(NIL);
    this.#tail.fill(NIL);
  }

  #grow(): void {
    const capacity = Math.min(this.capacity * 2, this.#maxSlots);
    const num = new Float64Array(NUMS * capacity);
    num.set(this.num);
    const links = new Int32Array(2 * capacity);
    links.set(this.links);
    const tableOf = new Uint16Array(capacity);
    tableOf.set(this.tableOf);
    const listOf = new Uint8Array(capacity);
    listOf.set(this.listOf);
    // Filled at once so the backing store is exactly `capacity` (push would over-allocate by up to half).
    const keys = new Array<string>(capacity).fill('');
    for (let i = 0; i < this.highWater; i++) keys[i] = this.keys[i];
    this.keys = keys;
    this.num = num;
    this.links = links;
    this.tableOf = tableOf;
    this.listOf = listOf;
    this.capacity = capacity;
  }

  #append(slot: number, list: ListId): void {
    const links = this.links;
    const tail = this.#tail[list];
    links[2 * slot] = tail;
    links[2 * slot + 1] = NIL;
    if (tail === NIL) this.#head[list] = slot;
    else links[2 * tail + 1] = slot;
    this.#tail[list] = slot;
    this.listOf[slot] = list;
  }

  #unlink(slot: number): void {
    const links = this.links;
    const list = this.listOf[slot];
    const prev = links[2 * slot];
    const next = links[2 * slot + 1];
    if (prev === NIL) this.#head[list] = next;
    else links[2 * prev + 1] = next;
    if (next === NIL) this.#tail[list] = prev;
    else links[2 * next] = prev;
  }
}
