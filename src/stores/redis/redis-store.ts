/**
 * The distributed hot-state store: limits and penalty boxes in Redis (or Redis Cluster), shared by
 * every instance, decided by one Lua script (limits-script.ts) per round trip.
 *
 * - **One round trip per request.** All the limit calls of a request go in one EVALSHA. On a
 *   cluster, calls whose keys hash to different slots go as one script per slot, sent together
 *   (ioredis pipelines them), so the request still waits for one round trip.
 * - **Time from Redis.** The script reads `TIME`, so instances with skewed clocks enforce one limit.
 *   Outcomes carry the server time (`at`); the engine hands it back as `consumedAt` for refunds.
 *   `time: 'caller'` uses the `now` passed in instead (the conformance suite and replay need it).
 * - **Keys** are `<prefix><rule>:<algorithm>:{<key>}`: the hash tag puts every limit of one client
 *   key on one slot. Each carries a TTL of what is left of its state (plus `ttlSlackMs`), so dead
 *   keys leave by themselves. A changed algorithm is a new key, as in the memory store.
 * - **Block cache.** A key in a penalty box is answered locally until its box ends (block-cache.ts):
 *   the whole request is then refused without a Redis call, and its other calls come back `skipped`
 *   (nothing taken, so the engine refunds nothing).
 * - **Failures.** A failed round trip rejects (the engine applies each rule's `on_store_error`); a
 *   circuit breaker stops sending after `breaker.failures` failures in a row and tries again after
 *   `breaker.cooldownMs`. A `NOSCRIPT` reply (Redis restarted or failed over) is answered by EVAL of
 *   the script text, which also loads it again; nothing else is needed to recover.
 */
import { ErrorCode, RampartError } from '../../errors.ts';
import type { Logger } from '../../logger.ts';
import { silentLogger } from '../../logger.ts';
import type { AlgorithmName } from '../../limiters/types.ts';
import type { HotStore, LimitCall, LimitOutcome, LimitRefund, LimitTable, StoreStats } from '../types.ts';
import { createBlockCache } from './block-cache.ts';
import { createCircuitBreaker } from './circuit-breaker.ts';
import type { BreakerState } from './circuit-breaker.ts';
import { keySlot } from './key-slot.ts';
import { LIMITS_SCRIPT } from './limits-script.ts';
import { createHash } from 'node:crypto';

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
  stats(): RedisStoreStats;
  ready(): Promise<void>;
}

const ALGORITHM_CODE: Readonly<Record<AlgorithmName, number>> = { 'fixed-window': 1, 'sliding-window': 2, 'token-bucket': 3, gcra: 4 };
const SHA = createHash('sha1').update(LIMITS_SCRIPT).digest('hex');
/** ARGV entries before the per-key groups. */
const HEAD = 3;
const PER_KEY = 6;

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
  const slack = String(ttlSlackMs);
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

  function redisKey(table: LimitTable, key: string): string {
    return `${prefix}${table.id}:${ALGORITHM_CODE[table.algorithm.name]}:{${key}}`;
  }

  async function run(args: (string | number)[], numKeys: number): Promise<unknown> {
    commands++;
    try {
      return await client.evalsha(SHA, numKeys, ...args);
    } catch (err) {
      if (!(err instanceof Error) || !err.message.startsWith('NOSCRIPT')) throw err;
      scriptReloads++;
      commands++;
      logger.info({}, 'redis store: script not loaded (Redis restarted or failed over); sending it again');
      return client.eval(LIMITS_SCRIPT, numKeys, ...args);
    }
  }

  /** Builds one script's arguments: keys, then the header, then 6 numbers per key. */
  function argsFor(keys: string[], mode: string, now: number, fill: (out: (string | number)[]) => void): (string | number)[] {
    const out: (string | number)[] = keys;
    out.push(time === 'server' ? '' : now, mode, slack);
    fill(out);
    return out;
  }

  /**
   * Sends the script for items [0, n): one call on a standalone server; one per slot on a cluster,
   * sent together. Returns each item's reply offset and the replies.
   */
  async function send(
    n: number,
    keyOf: (i: number) => string,
    push: (i: number, out: (string | number)[]) => void,
    mode: string,
    now: number,
  ): Promise<{ replies: number[][]; where: Int32Array }> {
    const where = new Int32Array(2 * n);
    let groups: number[][];
    if (!cluster) {
      groups = [Array.from({ length: n }, (_, i) => i)];
    } else {
      const bySlot = new Map<number, number[]>();
      for (let i = 0; i < n; i++) {
        const slot = keySlot(keyOf(i));
        const g = bySlot.get(slot);
        if (g === undefined) bySlot.set(slot, [i]);
        else g.push(i);
      }
      groups = [...bySlot.values()];
    }
    roundTrips++;
    const pending = groups.map((g, gi) => {
      const keys = g.map(keyOf);
      g.forEach((item, pos) => {
        where[2 * item] = gi;
        where[2 * item + 1] = pos;
      });
      const numKeys = keys.length;
      return run(argsFor(keys, mode, now, (out) => g.forEach((item) => push(item, out))), numKeys) as Promise<number[]>;
    });
    return { replies: await Promise.all(pending), where };
  }

  function unavailable(): RampartError {
    failures++;
    return new RampartError(ErrorCode.STORE, 'redis store: circuit open after repeated failures; not calling Redis until the cooldown ends');
  }

  async function guarded<T>(now: number, body: () => Promise<T>): Promise<T> {
    try {
      const result = await body();
      if (breaker.state !== 'closed') breaker.success();
      return result;
    } catch (err) {
      failures++;
      breaker.failure(now);
      throw new RampartError(ErrorCode.STORE, `redis store: ${err instanceof Error ? err.message : String(err)}`, { cause: err });
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
      return guarded(now, async () => {
        const { replies, where } = await send(
          calls.length,
          (i) => redisKey(calls[i]!.table, calls[i]!.key),
          (i, out) => {
            const c = calls[i]!;
            const t = c.table;
            const s = t.spec;
            out.push(ALGORITHM_CODE[t.algorithm.name], s.limit, s.windowMs, s.burst, t.penaltyMs, c.cost);
          },
          'c',
          now,
        );
        const outcomes = new Array<LimitOutcome>(calls.length);
        for (let i = 0; i < calls.length; i++) {
          const r = replies[where[2 * i]!]!;
          const j = 5 * where[2 * i + 1]!;
          const at = r[r.length - 1]!;
          const o: LimitOutcome = { allowed: r[j] === 1, blocked: r[j + 1] === 1, remaining: r[j + 2]!, resetMs: r[j + 3]!, retryAfterMs: r[j + 4]!, at };
          outcomes[i] = o;
          if (o.blocked && blockCacheMaxKeys > 0) cache.add(`${calls[i]!.table.id}\u0000${calls[i]!.key}`, now + o.retryAfterMs);
        }
        return outcomes;
      });
    },

    refund(refunds, now) {
      if (refunds.length === 0) return Promise.resolve();
      if (!breaker.allow(now)) return Promise.reject(unavailable());
      return guarded(now, async () => {
        await send(
          refunds.length,
          (i) => redisKey(refunds[i]!.table, refunds[i]!.key),
          (i, out) => {
            const r = refunds[i]!;
            const t = r.table;
            const s = t.spec;
            out.push(ALGORITHM_CODE[t.algorithm.name], s.limit, s.windowMs, s.burst, r.consumedAt, r.cost);
          },
          'r',
          now,
        );
      });
    },

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
