/**
 * The hot-state store a policy's `state` section asks for: memory (the default) or Redis.
 */
import type { Logger } from '../logger.ts';
import { parseDuration } from '../policy/duration.ts';
import type { StateDocument } from '../policy/schema.ts';
import { createMemoryStore } from './memory/memory-store.ts';
import { connectRedis } from './redis/create-redis-client.ts';
import { createRedisStore } from './redis/redis-store.ts';
import type { HotStore } from './types.ts';

/**
 * Creates the store; a Redis store connects in the background (await `store.ready?.()` to wait).
 *
 * @example
 * const store = createStore(policy.state, logger); await store.ready?.();
 */
export function createStore(state: StateDocument, logger: Logger): HotStore {
  const redis = state.redis;
  if (redis === undefined) return createMemoryStore({ maxKeys: state.memory.max_keys });
  const connection = connectRedis(redis, logger);
  return createRedisStore({
    client: connection.client,
    cluster: connection.cluster,
    prefix: redis.prefix,
    blockCacheMaxKeys: redis.block_cache.max_keys,
    breaker: { failures: redis.breaker.failures, cooldownMs: parseDuration(redis.breaker.cooldown) ?? 1_000 },
    logger,
    connection,
    onClose: () => connection.quit(),
  });
}
