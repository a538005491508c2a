/**
 * The distributed hot-state store: limits and penalty boxes in Redis (or Redis Cluster), shared by
 * every instance, decided by one Lua script (limits-script.ts) per round trip.
 *
 * - **One round trip per request.** All the limit calls of a request go in one EVALSHA. On a
 *   cluster, calls whose keys hash to different slots go as one script per slot, sent together
 *   (ioredis pipelines them), so the request still waits for one round trip. Requests made in the
 *   same tick share their scripts (script-batcher.ts): under load, fewer than one script per request.
 * - **Time from Redis.** The script reads `TIME`, so instances with skewed clocks enforce one limit.
 *   Outcomes carry the server time (`at`); the engine hands it back as `consumedAt` for refunds.
 *   `time: 'caller'` uses the `now` passed in instead (the conformance suite and replay need it).
 * - **Keys** are `<prefix><rule>:<algorithm>:{<key>}`: the hash tag puts every limit of one client
 *   key on one slot. Each carries a TTL of what is left of its state (plus `ttlSlackMs`), so dead
 *   keys leave by themselves. A changed algorithm is a new key, as in the memory store.
 * - **Distinct members** (`LimitCall.member`) are keys of their own: the counter key, then
 *   `m:<member>:<length of member>` (`rampart:ids:1:{203.0.113.7}m:alice:5`). They share the
 *   counter's hash tag, so they go in the counter's script; the length at the end keeps every
 *   (key, member) pair on its own Redis key whatever characters either holds. Each is kept for its
 *   window (plus `ttlSlackMs`); a refund deletes it; `reset` leaves it, as in the memory store.
 * - **Block cache.** A key in a penalty box is answered locally until its box ends (block-cache.ts):
 *   the whole request is then refused without a Redis call, and its other calls come back `skipped`
 *   (nothing taken, so the engine refunds nothing).
 * - **Shared trackers** (`trackers`, see SharedTrackers in ../types.ts and redis-trackers.ts): logs
 *   are lists `<prefix>t#{<key>}` of at most `capacity` entries, each with its last writer in
 *   `<prefix>t#{<key>}w`; counters are `<prefix>c#{<key>}`; each with the TTL its call gives (no
 *   slack). The tracker's key is the whole hash tag, so it may not hold `{` or `}`. `#` keeps them apart from limit keys: right after the prefix a limit key
 *   has its table id and `:`, and table ids are rule names (letters, digits, `-`, `_`, `.`; see
 *   policy/schema.ts) or internal ids starting with `~`, none with a `#`. So even a rule named `t`
 *   (`<prefix>t:2:{…}`) never meets a tracker key, nor does a SCAN for `<prefix>t#*`. Each call is
 *   one round trip (one script per slot on a cluster, sent together), through the same breaker and
 *   counters as the limits.
 * - **Failures.** A failed round trip rejects (the engine applies each rule's `on_store_error`); a
 *   circuit breaker stops sending after `breaker.failures` failures in a row and tries again after
 *   `breaker.cooldownMs`. A `NOSCRIPT` reply (Redis restarted or failed over) is answered by EVAL of
 *   the script text, which also loads it again; nothing else is needed to recover.
 */
import { ErrorCode, RampartError } from '../../errors.ts';
import type { Logger } from '../../logger.ts';
import { silentLogger } from '../../logger.ts';
import type { AlgorithmName } from '../../limiters/types.ts';
import type { HotStore, LimitCall, LimitOutcome, LimitRefund, LimitTable, SharedTrackers, StoreStats } from '../types.ts';
import { createBlockCache } from './block-cache.ts';
import { createCircuitBreaker } from './circuit-breaker.ts';
import type { BreakerState } from './circuit-breaker.ts';
import { LIMITS_SCRIPT } from './limits-script.ts';
import { luaScript } from './lua-script.ts';
import type { LuaScript } from './lua-script.ts';
import { createRedisTrackers } from './redis-trackers.ts';
import { createScriptBatcher } from './script-batcher.ts';

/**
 * What the store needs from a Redis client. An ioredis `Redis` or `Cluster` fits; tests wrap one to
 * count or fail calls.
 */
export interface RedisScriptClient {
  evalsha(sha: string, numKeys: number, ...args: (string | number)[]): Promise<unknown>;
  eval(script: string, numKeys: number, ...args: (string | number)[]): Promise<unknown>;
  del(...keys: string[]): Promise<number>;
}

export interface RedisStoreOptions {
  client: RedisScriptClient;
  /** Prepended to every key. Default `rampart:`. No `{` or `}` (they would change the hash slot). */
  prefix?: string;
  /** True for Redis Cluster: calls are grouped by hash slot. Default false (one script per request). */
  cluster?: boolean;
  /** `server` (default): time from Redis `TIME`. `caller`: the `now` passed to consume/refund. */
  time?: 'server' | 'caller';
  /** Most keys in the local block cache; 0 turns it off. Default 10,000. */
  blockCacheMaxKeys?: number;
  /** Failed round trips in a row that open the breaker (default 5), and how long it stays open (default 1 s). */
  breaker?: { failures?: number; cooldownMs?: number };
  /** Added to every key's TTL (ms). Default 1,000. */
  ttlSlackMs?: number;
  logger?: Logger;
  /** The connection's state, for `stats()` and `ready()` (see create-redis-client.ts). */
  connection?: { readonly connected: boolean; readonly connects: number; readonly disconnects: number; ready(): Promise<void> };
  /** Called by `close()`, e.g. to quit a client the store owns. */
  onClose?: () => Promise<void>;
}

/** Counters of a Redis store, on top of {@link StoreStats}. */
export interface RedisStoreStats extends StoreStats {
  /** Round trips made (a cluster pipeline counts once). */
  roundTrips: number;
  /** Scripts sent (EVALSHA or EVAL). */
  commands: number;
  /** Requests answered from the block cache without a Redis call. */
  blockCacheHits: number;
  /** Times a NOSCRIPT reply made the store send the script text again. */
  scriptReloads: number;
  /** Round trips that failed, and calls refused at once while the breaker was open. */
  failures: number;
  breaker: BreakerState;
  /** Breaker transitions by target state. */
  transitions: Record<BreakerState, number>;
  /** Connection state, when the store was given its connection. */
  connected: boolean;
  connects: number;
  disconnects: number;
}

export interface RedisStore extends HotStore {
  readonly kind: 'redis';
  consume(calls: readonly LimitCall[], now: number): Promise<LimitOutcome[]>;
  refund(refunds: readonly LimitRefund[], now: number): Promise<void>;
  reset(table: LimitTable, key: string): Promise<void>;
  readonly trackers: SharedTrackers;
  stats(): RedisStoreStats;
  ready(): Promise<void>;
}

const ALGORITHM_CODE: Readonly<Record<AlgorithmName, number>> = { 'fixed-window': 1, 'sliding-window': 2, 'token-bucket': 3, gcra: 4 };
const LIMITS = luaScript(LIMITS_SCRIPT);
/** Keys (counter and member keys) in one script call when requests are coalesced (a bigger batch is split between requests). */
const MAX_KEYS_PER_SCRIPT = 256;

/**
 * Creates a Redis-backed store around a client you pass in (see create-redis-client.ts for one made
 * from the config).
 *
 * @example
 * const store = createRedisStore({ client: new Redis('redis://127.0.0.1:6379'), prefix: 'shop:' });
 * const engine = createEngine({ policy, store });
 */
export function createRedisStore(options: RedisStoreOptions): RedisStore {
  const { client, cluster = false, time = 'server', blockCacheMaxKeys = 10_000, ttlSlackMs = 1_000, connection, onClose } = options;
  const prefix = options.prefix ?? 'rampart:';
  if (/[{}]/.test(prefix)) throw new RampartError(ErrorCode.INVALID_ARGUMENT, `redis store: prefix ${JSON.stringify(prefix)} must not contain { or } (they change the hash slot)`);
  const logger = options.logger ?? silentLogger;
  const cache = createBlockCache(blockCacheMaxKeys);
  const transitions: Record<BreakerState, number> = { closed: 0, open: 0, 'half-open': 0 };
  const breaker = createCircuitBreaker({
    failures: options.breaker?.failures ?? 5,
    cooldownMs: options.breaker?.cooldownMs ?? 1_000,
    onChange(to, from) {
      transitions[to]++;
      if (to === 'open') logger.warn({ from, to }, 'redis store: circuit open, limits fall back as their on_store_error says');
      else logger.info({ from, to }, to === 'closed' ? 'redis store: circuit closed, Redis answers again' : 'redis store: circuit half-open, trying Redis');
    },
  });
  let roundTrips = 0;
  let commands = 0;
  let blockCacheHits = 0;
  let scriptReloads = 0;
  let failures = 0;

  /** What a table contributes to every script call, worked out once per table object. */
  interface TableArgs {
    readonly keyHead: string;
    readonly code: number;
    readonly limit: number;
    readonly windowMs: number;
    readonly burst: number;
    readonly penaltyMs: number;
  }
  const tableArgs = new WeakMap<LimitTable, TableArgs>();
  function argsOf(t: LimitTable): TableArgs {
    let m = tableArgs.get(t);
    if (m === undefined) {
      const code = ALGORITHM_CODE[t.algorithm.name];
      m = { keyHead: `${prefix}${t.id}:${code}:{`, code, limit: t.spec.limit, windowMs: t.spec.windowMs, burst: t.spec.burst, penaltyMs: t.penaltyMs };
      tableArgs.set(t, m);
    }
    return m;
  }

  function redisKey(table: LimitTable, key: string): string {
    return `${argsOf(table).keyHead}${key}}`;
  }

  function reloadScript(script: LuaScript, args: (string | number)[], numKeys: number): (err: unknown) => Promise<unknown> {
    return (err) => {
      if (!(err instanceof Error) || !err.message.startsWith('NOSCRIPT')) throw err;
      scriptReloads++;
      commands++;
      logger.info({}, 'redis store: script not loaded (Redis restarted or failed over); sending it again');
      return client.eval(script.text, numKeys, ...args);
    };
  }

  /** Sends one script: EVALSHA, then EVAL of the text if Redis answers NOSCRIPT. */
  function runScript(script: LuaScript, args: (string | number)[], numKeys: number): Promise<unknown> {
    commands++;
    try {
      return client.evalsha(script.sha, numKeys, ...args).then(undefined, reloadScript(script, args, numKeys));
    } catch (err) {
      // A client that throws instead of rejecting must not leave requests waiting forever.
      return Promise.reject(err instanceof Error ? err : new Error(String(err)));
    }
  }

  /** Counts a failed round trip against the breaker and names it as a store error. */
  function storeError(err: unknown, now: number): RampartError {
    failures++;
    breaker.failure(now);
    return new RampartError(ErrorCode.STORE, `redis store: ${err instanceof Error ? err.message : String(err)}`, { cause: err });
  }

  const batcher = createScriptBatcher({
    cluster,
    maxKeys: MAX_KEYS_PER_SCRIPT,
    timeArg: time === 'server' ? () => '' : (now) => now,
    slack: String(ttlSlackMs),
    redisKey: (item) => `${argsOf(item.table).keyHead}${item.key}}`,
    // Members are at most 64 characters (LimitCall.member), so member keys stay short.
    memberKey: (counterKey, member) => `${counterKey}m:${member}:${member.length}`,
    encode(item, refund, args, j) {
      const m = argsOf(item.table);
      args[j] = m.code;
      args[j + 1] = m.limit;
      args[j + 2] = m.windowMs;
      args[j + 3] = m.burst;
      args[j + 4] = refund ? (item as LimitRefund).consumedAt : m.penaltyMs;
      args[j + 5] = item.cost;
    },
    run: (args, numKeys) => runScript(LIMITS, args, numKeys) as Promise<number[]>,
    onRoundTrip: () => void roundTrips++,
    onScriptOk: () => breaker.success(),
    onScriptError: storeError,
  });

  function unavailable(): RampartError {
    failures++;
    return new RampartError(ErrorCode.STORE, 'redis store: circuit open after repeated failures; not calling Redis until the cooldown ends');
  }

  /**
   * One round trip of the shared trackers, guarded and counted like the limits'. Trackers are given
   * no `now` (they are off the request path), so the breaker gets the wall clock.
   */
  async function roundTrip<T>(send: () => Promise<T>): Promise<T> {
    const now = Date.now();
    if (!breaker.allow(now)) throw unavailable();
    roundTrips++;
    try {
      const reply = await send();
      breaker.success();
      return reply;
    } catch (err) {
      throw storeError(err, now);
    }
  }

  /** Answers the whole request locally when one of its calls is in a cached penalty box, or returns null. */
  function fromCache(calls: readonly LimitCall[], now: number): LimitOutcome[] | null {
    if (cache.size === 0) return null;
    let hit = -1;
    let until = 0;
    for (let i = 0; i < calls.length; i++) {
      const c = calls[i]!;
      if (c.table.monitor === true) continue; // a monitored box refuses nothing: the other limits must still count
      until = cache.blockedUntil(`${c.table.id}\u0000${c.key}`, now);
      if (until > 0) {
        hit = i;
        break;
      }
    }
    if (hit === -1) return null;
    blockCacheHits++;
    const out = new Array<LimitOutcome>(calls.length);
    for (let i = 0; i < calls.length; i++) {
      const c = calls[i]!;
      const u = i === hit ? until : cache.blockedUntil(`${c.table.id}\u0000${c.key}`, now);
      if (u > 0) out[i] = { allowed: false, blocked: true, remaining: 0, resetMs: u - now, retryAfterMs: u - now, at: now };
      else out[i] = { allowed: true, blocked: false, remaining: 0, resetMs: 0, retryAfterMs: 0, at: now, skipped: true };
    }
    return out;
  }

  return {
    kind: 'redis',

    consume(calls, now) {
      const cached = fromCache(calls, now);
      if (cached !== null) return Promise.resolve(cached);
      if (!breaker.allow(now)) return Promise.reject(unavailable());
      return new Promise<LimitOutcome[]>((resolve, reject) => {
        const outcomes = new Array<LimitOutcome>(calls.length);
        batcher.submit(
          {
            items: calls,
            now,
            left: 0,
            failed: false,
            onItem(i, r, j) {
              // The script's `blocked` slot: 1 = penalty box, 2 = a member seen within its window (nothing taken).
              const o: LimitOutcome = { allowed: r[j] === 1, blocked: r[j + 1] === 1, remaining: r[j + 2]!, resetMs: r[j + 3]!, retryAfterMs: r[j + 4]!, at: r[r.length - 1]! };
              if (r[j + 1] === 2) o.skipped = true;
              outcomes[i] = o;
              if (o.blocked && blockCacheMaxKeys > 0) cache.add(`${calls[i]!.table.id}\u0000${calls[i]!.key}`, now + o.retryAfterMs);
            },
            onDone: () => resolve(outcomes),
            onError: reject,
          },
          false,
        );
      });
    },

    refund(refunds, now) {
      if (refunds.length === 0) return Promise.resolve();
      if (!breaker.allow(now)) return Promise.reject(unavailable());
      return new Promise<void>((resolve, reject) => {
        batcher.submit({ items: refunds, now, left: 0, failed: false, onItem() {}, onDone: resolve, onError: reject }, true);
      });
    },

    trackers: createRedisTrackers({ prefix, cluster, run: runScript, roundTrip }),

    async reset(table, key) {
      cache.delete(`${table.id}\u0000${key}`);
      commands++;
      roundTrips++;
      await client.del(redisKey(table, key));
    },

    stats() {
      return {
        keys: 0, // not counted: Redis holds them, with TTLs
        evictions: 0,
        protectedEvictions: 0,
        expired: 0,
        roundTrips,
        commands,
        blockCacheHits,
        scriptReloads,
        failures,
        breaker: breaker.state,
        transitions: { ...transitions },
        connected: connection?.connected ?? true,
        connects: connection?.connects ?? 0,
        disconnects: connection?.disconnects ?? 0,
      };
    },

    ready() {
      return connection === undefined ? Promise.resolve() : connection.ready();
    },

    async close() {
      cache.clear();
      if (onClose !== undefined) await onClose();
    },
  };
}
