/**
 * The embedded hot-state store: counters, windows and penalty boxes for one process, in bounded memory.
 *
 * ## Bounds and eviction
 *
 * - **Bounded by configuration.** The store tracks at most `maxKeys` keys in total, across all limit
 *   tables. Each key costs a slot in shared typed arrays (no object per key), one entry in its table's
 *   Map and the key string; the arrays grow by doubling and never past `maxKeys`.
 * - **Expiry is lazy plus incremental.** A key whose algorithm state has expired and whose penalty box
 *   (if any) has ended is equivalent to a fresh key: it is answered as fresh when next seen. Each insert
 *   of a new key also moves a clock hand over up to `sweepBatch` slots (default 8) and frees the expired
 *   ones; a host may call `sweep(now, budget)` from one unref'd interval timer for the rest. No timer
 *   per key. Removals of expired keys are counted in `stats().expired`, never as evictions.
 * - **Eviction when full.** When a new key arrives, no slot is free and the sweep found nothing, the
 *   store evicts one key. Keys sit on two LRU lists: *protected* keys (blocked in the penalty box, or
 *   over their limit: their last consume was refused) and *normal* keys (everything else). The least
 *   recently used normal key goes first; a protected key goes only when no normal key is left.
 *   So an attacker cannot reset their own counter or escape a block by flooding the store with fresh
 *   keys: the flood evicts itself. Every eviction is counted in `stats().evictions`, and evictions of
 *   protected keys also in `stats().protectedEvictions`, because each of those may have let an abuser
 *   start over. If that counter moves, raise `maxKeys`. (A protected key stays protected until its
 *   next admitted request or its expiry, so the count errs on the side of reporting.)
 * - **Distinct members** (`LimitCall.member`) are remembered as keys of their own, in a companion
 *   table per limit table (`<id>\u0000members`, key `<key>\u0000<member>\u0000<member length>`): a GCRA of one unit per
 *   window, which refuses a second count until the window has passed since the first. They take slots
 *   like any key and are evicted like normal ones; an evicted member only counts again (never in the
 *   client's favour).
 * - **Policy reloads.** State is kept per (table id, key). A reload that keeps a table's id and
 *   algorithm keeps its counters even if the limit changed; one that changes the algorithm drops that
 *   table's state (the numbers would mean something else). Distinct table ids are limited to 65,535
 *   per store lifetime.
 */
import { ErrorCode, RampartError } from '../../errors.ts';
import { gcra } from '../../limiters/gcra.ts';
import { newState } from '../../limiters/types.ts';
import type { HotStore, LimitCall, LimitOutcome, LimitRefund, LimitTable, StoreStats } from '../types.ts';
import { BLOCKED_UNTIL, FREE, NIL, NORMAL, PROTECTED, SlotSlab } from './slot-slab.ts';

/** Options for {@link createMemoryStore}. */
export interface MemoryStoreOptions {
  /** Most keys tracked at once, over all tables. Integer, 1 … 16,777,216 (a JS Map's practical limit). */
  maxKeys: number;
  /** Slots the clock hand examines on each insert of a new key. Integer ≥ 0; default 8; 0 = only lazy expiry and `sweep()`. */
  sweepBatch?: number;
  /**
   * Called after a key was evicted to make room (not for expired keys), e.g. to log it. Runs inside
   * `consume`, so it must be fast and must not throw (the store is consistent again when it runs,
   * but a throw would reach the caller of `consume`).
   */
  onEvict?: (tableId: string, key: string, wasProtected: boolean) => void;
}

/** A {@link HotStore} that answers synchronously. */
export interface MemoryStore extends HotStore {
  readonly kind: 'memory';
  /**
   * Applies every call at `now`. Returns a new array of new outcome objects: the caller owns them and
   * the store never touches them again (safe to keep across later calls).
   */
  consume(calls: readonly LimitCall[], now: number): LimitOutcome[];
  refund(refunds: readonly LimitRefund[], now: number): void;
  reset(table: LimitTable, key: string): void;
  /** Examines up to `budget` slots (at most one full turn) and frees the expired ones. Returns how many it freed. */
  sweep(now: number, budget: number): number;
  /** Slots allocated right now (grows by doubling up to `maxKeys`); for capacity planning and benchmarks. */
  readonly capacity: number;
}

/** The most keys one store may hold: V8 Maps refuse more than 2^24 entries. */
export const MAX_KEYS = 16_777_216;
/** The most distinct table ids one store may see (the slab keeps a 16-bit table index per key). */
export const MAX_TABLES = 65_535;
const DEFAULT_SWEEP_BATCH = 8;

interface TableEntry {
  readonly index: number;
  /** The table object seen last for this id: its algorithm and spec apply to every key of the table. */
  table: LimitTable;
  readonly slots: Map<string, number>;
}

/**
 * Creates a bounded in-memory hot-state store (see the eviction notes at the top of this file).
 *
 * @example
 * const store = createMemoryStore({ maxKeys: 100_000 });
 * const table = { id: 'login-per-ip', algorithm: fixedWindow, spec: { limit: 5, windowMs: 60_000, burst: 5 }, penaltyMs: 300_000 };
 * const [outcome] = store.consume([{ table, key: '203.0.113.7', cost: 1 }], clock.now());
 * if (!outcome.allowed) reply429(outcome.retryAfterMs);
 * setInterval(() => store.sweep(clock.now(), 10_000), 1_000).unref();
 */
export function createMemoryStore(options: MemoryStoreOptions): MemoryStore {
  const { maxKeys, sweepBatch = DEFAULT_SWEEP_BATCH, onEvict } = options;
  if (!Number.isInteger(maxKeys) || maxKeys < 1 || maxKeys > MAX_KEYS) {
    throw new RampartError(
      ErrorCode.INVALID_ARGUMENT,
      `memory store: maxKeys must be an integer from 1 to ${MAX_KEYS}, got ${String(maxKeys)}`,
    );
  }
  if (!Number.isInteger(sweepBatch) || sweepBatch < 0) {
    throw new RampartError(
      ErrorCode.INVALID_ARGUMENT,
      `memory store: sweepBatch must be an integer ≥ 0, got ${String(sweepBatch)}`,
    );
  }

  const slab = new SlotSlab(maxKeys);
  const entries: TableEntry[] = [];
  const entriesById = new Map<string, TableEntry>();
  // Consecutive calls usually name the same table object; this skips the id lookup for them.
  let lastTable: LimitTable | undefined;
  let lastEntry: TableEntry | undefined;
  // The only state record: slots are copied into it around each algorithm call.
  const scratch = newState();
  let hand = 0;
  let evictions = 0;
  let protectedEvictions = 0;
  let expired = 0;

  function entryFor(table: LimitTable): TableEntry {
    if (table === lastTable) return lastEntry as TableEntry;
    let entry = entriesById.get(table.id);
    if (entry === undefined) {
      if (entries.length === MAX_TABLES) {
        throw new RampartError(
          ErrorCode.INVALID_ARGUMENT,
          `memory store: more than ${MAX_TABLES} distinct limit tables; table ids must be stable, not per key`,
        );
      }
      entry = { index: entries.length, table, slots: new Map() };
      entries.push(entry);
      entriesById.set(table.id, entry);
    } else if (entry.table !== table) {
      if (entry.table.algorithm.name !== table.algorithm.name) dropAll(entry);
      entry.table = table;
    }
    lastTable = table;
    lastEntry = entry;
    return entry;
  }

  function dropAll(entry: TableEntry): void {
    for (const slot of entry.slots.values()) slab.release(slot);
    entry.slots.clear();
  }

  function drop(slot: number, entry: TableEntry): void {
    entry.slots.delete(slab.keys[slot]);
    slab.release(slot);
  }

  function load(slot: number): void {
    const n = slab.num;
    const i = 4 * slot;
    scratch.a = n[i];
    scratch.b = n[i + 1];
    scratch.c = n[i + 2];
  }

  function save(slot: number): void {
    const n = slab.num;
    const i = 4 * slot;
    n[i] = scratch.a;
    n[i + 1] = scratch.b;
    n[i + 2] = scratch.c;
  }

  /** Loads the slot's state into `scratch` as a side effect. */
  function isExpired(slot: number, entry: TableEntry, now: number): boolean {
    load(slot);
    if (slab.num[4 * slot + BLOCKED_UNTIL] > now) return false;
    const table = entry.table;
    return table.algorithm.expiresAt(scratch, table.spec) <= now;
  }

  function sweep(now: number, budget: number): number {
    const end = slab.highWater;
    const steps = Math.min(budget, end);
    let freed = 0;
    for (let i = 0; i < steps; i++) {
      if (hand >= end) hand = 0;
      const slot = hand++;
      if (slab.listOf[slot] === FREE) continue;
      const entry = entries[slab.tableOf[slot]];
      if (isExpired(slot, entry, now)) {
        drop(slot, entry);
        expired++;
        freed++;
      }
    }
    return freed;
  }

  function evictOne(now: number): void {
    let victim = slab.lru(NORMAL);
    const wasProtected = victim === NIL;
    if (wasProtected) victim = slab.lru(PROTECTED);
    const entry = entries[slab.tableOf[victim]];
    if (isExpired(victim, entry, now)) {
      drop(victim, entry);
      expired++;
      return;
    }
    const key = slab.keys[victim];
    drop(victim, entry);
    evictions++;
    if (wasProtected) protectedEvictions++;
    if (onEvict !== undefined) onEvict(entry.table.id, key, wasProtected);
  }

  function insert(entry: TableEntry, key: string, now: number): number {
    if (sweepBatch > 0) sweep(now, sweepBatch);
    let slot = slab.alloc(key, entry.index);
    if (slot === NIL) {
      evictOne(now);
      slot = slab.alloc(key, entry.index);
    }
    entry.slots.set(key, slot);
    return slot;
  }

  /** Ends with the member's length, so no two (key, member) pairs share a string, whatever they hold. */
  const memberKeyOf = (key: string, member: string): string => `${key}\u0000${member}\u0000${member.length}`;
  // The companion table that remembers each limit table's counted members (see the notes at the top).
  const memberTables = new WeakMap<LimitTable, LimitTable>();
  function membersOf(table: LimitTable): LimitTable {
    let members = memberTables.get(table);
    if (members === undefined) {
      const windowMs = table.spec.windowMs;
      members = { id: `${table.id}\u0000members`, algorithm: gcra, spec: { limit: 1, windowMs, burst: 1 }, penaltyMs: 0 };
      memberTables.set(table, members);
    }
    return members;
  }

  /** A call with a `member`: see {@link LimitCall}. */
  function consumeMember(call: LimitCall, member: string, now: number): LimitOutcome {
    const members = membersOf(call.table);
    const memberKey = memberKeyOf(call.key, member);
    if (!consumeOne({ table: members, key: memberKey, cost: 0 }, now).allowed) {
      // Counted within the window: takes nothing, and goes through unless the key is boxed.
      const out = consumeOne({ table: call.table, key: call.key, cost: 0 }, now);
      if (!out.blocked) {
        out.allowed = true;
        out.retryAfterMs = 0;
        out.skipped = true;
      }
      return out;
    }
    const out = consumeOne(call, now);
    if (out.allowed && call.cost > 0) consumeOne({ table: members, key: memberKey, cost: 1 }, now);
    return out;
  }

  function consumeOne(call: LimitCall, now: number): LimitOutcome {
    // The outcome doubles as the algorithm's Verdict (it has every Verdict field), so nothing is copied.
    const out: LimitOutcome = { allowed: true, blocked: false, remaining: 0, resetMs: 0, retryAfterMs: 0 };
    const table = call.table;
    const cost = call.cost;
    const entry = entryFor(table);
    const algorithm = table.algorithm;
    let slot = entry.slots.get(call.key);
    if (slot !== undefined) {
      load(slot);
      const blockedUntil = slab.num[4 * slot + BLOCKED_UNTIL];
      if (blockedUntil > now) {
        // A peek on a scratch copy gives the algorithm's reset time; the stored state stays untouched.
        algorithm.consume(scratch, now, 0, table.spec, out);
        const wait = blockedUntil - now;
        out.allowed = false;
        out.blocked = true;
        out.remaining = 0;
        out.retryAfterMs = wait;
        if (out.resetMs < wait) out.resetMs = wait;
        slab.touch(slot, PROTECTED);
        return out;
      }
      if (algorithm.expiresAt(scratch, table.spec) <= now) {
        if (cost === 0) {
          drop(slot, entry);
          expired++;
          slot = undefined;
        } else {
          scratch.a = 0;
          scratch.b = 0;
          scratch.c = 0;
          slab.num[4 * slot + BLOCKED_UNTIL] = 0;
        }
      }
    }
    if (slot === undefined) {
      // A peek at an unknown key is answered as fresh without taking a slot, so peeks cannot flood the store.
      if (cost > 0) slot = insert(entry, call.key, now);
      // Zeroed only now: the sweep and eviction inside insert() load other slots into scratch.
      scratch.a = 0;
      scratch.b = 0;
      scratch.c = 0;
      if (slot === undefined) {
        algorithm.consume(scratch, now, 0, table.spec, out);
        return out;
      }
    }
    const allowed = algorithm.consume(scratch, now, cost, table.spec, out);
    save(slot);
    if (cost === 0) {
      slab.touch(slot, slab.listOf[slot] === PROTECTED ? PROTECTED : NORMAL);
    } else if (allowed) {
      slab.touch(slot, NORMAL);
    } else {
      const penaltyMs = table.penaltyMs;
      if (penaltyMs > 0) {
        slab.num[4 * slot + BLOCKED_UNTIL] = now + penaltyMs;
        out.blocked = true;
        out.remaining = 0;
        out.retryAfterMs = penaltyMs;
        if (out.resetMs < penaltyMs) out.resetMs = penaltyMs;
      }
      slab.touch(slot, PROTECTED);
    }
    return out;
  }

  return {
    kind: 'memory',

    consume(calls: readonly LimitCall[], now: number): LimitOutcome[] {
      const n = calls.length;
      const results = new Array<LimitOutcome>(n);
      for (let i = 0; i < n; i++) {
        const call = calls[i];
        const member = call.member;
        results[i] = member === undefined ? consumeOne(call, now) : consumeMember(call, member, now);
      }
      return results;
    },

    refund(refunds: readonly LimitRefund[], now: number): void {
      for (let i = 0; i < refunds.length; i++) {
        const r = refunds[i];
        const table = r.table;
        if (r.member !== undefined) {
          const members = entryFor(membersOf(table));
          const slot = members.slots.get(memberKeyOf(r.key, r.member));
          if (slot !== undefined) drop(slot, members);
        }
        const slot = entryFor(table).slots.get(r.key);
        if (slot === undefined) continue;
        load(slot);
        // Expired state is a fresh key: there is nothing left to give back.
        if (table.algorithm.expiresAt(scratch, table.spec) <= now) continue;
        table.algorithm.refund(scratch, now, r.cost, r.consumedAt, table.spec);
        save(slot);
      }
    },

    reset(table: LimitTable, key: string): void {
      const entry = entryFor(table);
      const slot = entry.slots.get(key);
      if (slot !== undefined) drop(slot, entry);
    },

    sweep,

    stats(): StoreStats {
      return { keys: slab.size, evictions, protectedEvictions, expired };
    },

    get capacity(): number {
      return slab.capacity;
    },

    close(): Promise<void> {
      for (const entry of entries) entry.slots.clear();
      entries.length = 0;
      entriesById.clear();
      lastTable = undefined;
      lastEntry = undefined;
      slab.clear();
      hand = 0;
      evictions = 0;
      protectedEvictions = 0;
      expired = 0;
      return Promise.resolve();
    },
  };
}
