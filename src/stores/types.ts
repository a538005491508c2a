/**
 * The hot-state store contract: counters, windows and penalty boxes for every limit rule.
 * The memory store implements it synchronously; remote stores (Redis) return promises and decide
 * a whole batch in one round trip. Every backend passes the same conformance suite
 * (src/stores/conformance.ts).
 */
import type { Algorithm, LimitSpec } from '../limiters/types.ts';

/** A named limit: one per limit rule. Built once at policy load. */
export interface LimitTable {
  /** Stable id; state is kept per (id, key). Rules keep their counters across a reload while the id is unchanged. */
  readonly id: string;
  readonly algorithm: Algorithm;
  readonly spec: LimitSpec;
  /** Once the limit is exceeded, block the key for this long (ms). 0 = no penalty box. */
  readonly penaltyMs: number;
  /**
   * The rule only monitors (refuses nothing). A store with a local block cache must not refuse a
   * whole request because this table's key is blocked: the other limits must still count it.
   */
  readonly monitor?: boolean;
}

/**
 * One limit to apply to one key.
 *
 * With a `member`, the call counts distinct members: it takes `cost` units only for a member not
 * counted for this key within the last `table.spec.windowMs`, and then remembers it for that long.
 * A member counted within that time takes nothing and is allowed even when the quota is used up
 * (the outcome is `skipped`), unless the key sits in the penalty box. A refused member is not
 * remembered. Remembered members are state like any other: bounded, evictable, shared through the
 * store; each key holds at most as many as its limit admitted within the window.
 */
export interface LimitCall {
  readonly table: LimitTable;
  readonly key: string;
  /** Units to take; 0 = only report (peek). */
  readonly cost: number;
  /** Counts distinct values of this (a resource id, a username…) per key, see above. At most 64 characters. */
  readonly member?: string | undefined;
}

/** The store's answer for one {@link LimitCall}. */
export interface LimitOutcome {
  allowed: boolean;
  /** True when refused because the key sits in the penalty box (or was just put there). */
  blocked: boolean;
  remaining: number;
  resetMs: number;
  retryAfterMs: number;
  /**
   * The store's time when it applied the call (a Redis store's server time), to pass back as
   * `consumedAt` in a refund. Absent: the `now` given to `consume`.
   */
  at?: number;
  /**
   * True when the store took nothing for this call, so there is nothing to refund: another call of
   * the batch was refused without a round trip (a cached penalty box), or the call's `member` had
   * already been counted within the window.
   */
  skipped?: boolean;
}

/** A refund of units taken earlier by a {@link LimitCall} at `consumedAt`. */
export interface LimitRefund {
  readonly table: LimitTable;
  readonly key: string;
  readonly cost: number;
  readonly consumedAt: number;
  /** The call's member: it is forgotten too, so it counts again when next seen. */
  readonly member?: string | undefined;
}

/** Counters a store exposes for metrics. */
export interface StoreStats {
  /** Keys currently tracked. */
  keys: number;
  /** Keys dropped to make room while still holding state (never includes expired keys). */
  evictions: number;
  /** Of those, keys that were blocked or over their limit: each one may have let an abuser start over. */
  protectedEvictions: number;
  /** Keys removed because their state expired. */
  expired: number;
}

export type MaybePromise<T> = T | Promise<T>;

/**
 * Appends entries to one shared log: the newest `capacity` entries under `key`, kept `ttlMs` after
 * the last append. Behaviour trackers keep a client's recent requests this way, so that every
 * instance reads what all of them saw.
 */
export interface LogAppend {
  /** The tracker's key (the store namespaces it): `b:203.0.113.7`. At most 128 characters. */
  readonly key: string;
  /** Entries in the order they happened; each at most 256 characters. May be empty (only reads). */
  readonly entries: readonly string[];
  /** Entries kept (1 – 1,024): the oldest go first. */
  readonly capacity: number;
  /** The log is dropped this long after its last append (ms, ≥ 1,000). */
  readonly ttlMs: number;
  /**
   * Who appends (an instance's tag, at most 64 characters). The store remembers the last writer of
   * each log; when an append's writer also made the append before it, nothing was added since that
   * writer last read the log, and the answer is null instead of the log. An append without a writer
   * forgets the last one. A read (no entries) always answers the log.
   */
  readonly writer?: string | undefined;
}

/** Adds `amount` (an integer, may be 0 to read) to one shared counter kept `ttlMs` after its last add. */
export interface CounterAdd {
  /** The tracker's key (the store namespaces it): `logins:1732355940000`. At most 128 characters. */
  readonly key: string;
  readonly amount: number;
  readonly ttlMs: number;
}

/**
 * State that detectors share between instances (the `trackers` of a {@link HotStore}). Unlike limit
 * calls it is off the request's path: a tracker sends what it learnt in batches after answers and
 * reads back, in the same round trip, what every instance has sent, for the requests that follow.
 *
 * Logs and counters live in their own key space (they never meet limit tables), expire on their own
 * and are bounded by `capacity` and `ttlMs`. Each call is one round trip (one script per hash slot on
 * a cluster) and applies its items in order; items for one key see each other's effect.
 */
export interface SharedTrackers {
  /**
   * Appends each item's entries and answers each item with its log after the append, oldest first,
   * or null when its writer has seen the rest already (see {@link LogAppend.writer}).
   */
  append(appends: readonly LogAppend[]): Promise<(string[] | null)[]>;
  /** Adds to each counter and answers each item with the counter's total after the add. */
  add(adds: readonly CounterAdd[]): Promise<number[]>;
}

export interface HotStore {
  /** `memory` stores answer synchronously; others return promises. */
  readonly kind: string;
  /**
   * Applies every call at `now` and returns one outcome per call, in order. Remote stores do this
   * in one round trip and may take `now` from the server instead.
   */
  consume(calls: readonly LimitCall[], now: number): MaybePromise<LimitOutcome[]>;
  /** Gives units back (see {@link Algorithm.refund}). */
  refund(refunds: readonly LimitRefund[], now: number): MaybePromise<void>;
  /** Drops all state for `key` in `table` (unblocks it). */
  reset(table: LimitTable, key: string): MaybePromise<void>;
  stats(): StoreStats;
  /**
   * Shared tracker state, in stores shared by several processes (Redis). Absent in the memory store:
   * one process keeps its trackers in its own memory.
   */
  readonly trackers?: SharedTrackers;
  /** Remote stores: resolves once connected, or after the connect timeout; never rejects. */
  ready?(): Promise<void>;
  close(): Promise<void>;
}
