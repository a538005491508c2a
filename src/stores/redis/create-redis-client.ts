/**
 * An ioredis client (one server or a cluster) made from the policy's `state.redis` section, set up
 * so a request never waits on Redis longer than `command_timeout`: no offline queue (a command sent
 * while disconnected fails at once), no retries of a command, reconnection in the background with
 * backoff. Every connect and disconnect is logged once and counted.
 */
import { Cluster, Redis } from 'ioredis';
import type { RedisOptions } from 'ioredis';
import type { Logger } from '../../logger.ts';
import { parseDuration } from '../../policy/duration.ts';
import type { RedisDocument } from '../../policy/schema.ts';
import type { RedisScriptClient } from './redis-store.ts';

export interface RedisConnection {
  readonly client: RedisScriptClient;
  readonly cluster: boolean;
  /** True while the connection (every cluster node's, for a cluster) is ready. */
  readonly connected: boolean;
  /** Times the connection became ready, and times it was lost. */
  readonly connects: number;
  readonly disconnects: number;
  /** Resolves once connected, or after `connect_timeout` (reconnecting continues); never rejects. */
  ready(): Promise<void>;
  quit(): Promise<void>;
}

/** Backoff between reconnect attempts: 50 ms, 100 ms, … up to 1 s. */
function backoff(times: number): number {
  return Math.min(times * 50, 1_000);
}

/** Where a redis:// URL points, for cluster seeds. */
function seed(url: string): { host: string; port: number } {
  const u = new URL(url);
  return { host: u.hostname.replace(/^\[|\]$/g, ''), port: u.port === '' ? 6379 : Number(u.port) };
}

/**
 * @example
 * const conn = connectRedis(policy.state.redis, logger);
 * const store = createRedisStore({ client: conn.client, cluster: conn.cluster, onClose: () => conn.quit() });
 */
export function connectRedis(config: RedisDocument, logger: Logger): RedisConnection {
  const commandTimeout = parseDuration(config.command_timeout) ?? 50;
  const connectTimeout = parseDuration(config.connect_timeout) ?? 2_000;
  const common = { commandTimeout, connectTimeout, maxRetriesPerRequest: 0, enableAutoPipelining: true } as const;
  let client: Redis | Cluster;
  let where: string;
  if (config.nodes !== undefined) {
    const first = new URL(config.nodes[0]!);
    const auth = {
      ...(first.username === '' ? {} : { username: decodeURIComponent(first.username) }),
      ...(first.password === '' ? {} : { password: decodeURIComponent(first.password) }),
      ...(first.protocol === 'rediss:' ? { tls: {} } : {}),
    };
    client = new Cluster(config.nodes.map(seed), {
      redisOptions: { ...common, ...auth },
      enableOfflineQueue: false,
      enableAutoPipelining: true,
      clusterRetryStrategy: backoff,
      slotsRefreshTimeout: connectTimeout,
    });
    where = config.nodes.map((n) => `${seed(n).host}:${seed(n).port}`).join(',');
  } else {
    const options = { ...common, enableOfflineQueue: false, retryStrategy: backoff } satisfies RedisOptions;
    client = new Redis(config.url!, options);
    const s = seed(config.url!);
    where = `${s.host}:${s.port}`;
  }

  let connected = false;
  let connects = 0;
  let disconnects = 0;
  let lastError = '';
  const waiters: (() => void)[] = [];
  client.on('ready', () => {
    connected = true;
    connects++;
    lastError = '';
    logger.info({ redis: where, connects }, 'redis store: connected');
    for (const w of waiters.splice(0)) w();
  });
  client.on('close', () => {
    if (!connected) return;
    connected = false;
    disconnects++;
    logger.warn({ redis: where, disconnects }, 'redis store: connection lost; reconnecting in the background');
  });
  // ioredis emits `error` on every failed reconnect: log each distinct message once (never the URL's password).
  client.on('error', (err: Error) => {
    if (err.message === lastError) return;
    lastError = err.message;
    logger.warn({ redis: where, err: err.message }, 'redis store: connection error');
  });

  return {
    client: client as unknown as RedisScriptClient,
    cluster: config.nodes !== undefined,
    get connected() {
      return connected;
    },
    get connects() {
      return connects;
    },
    get disconnects() {
      return disconnects;
    },
    ready() {
      if (connected) return Promise.resolve();
      return new Promise((resolve) => {
        const timer = setTimeout(resolve, connectTimeout);
        timer.unref();
        waiters.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    },
    async quit() {
      // QUIT lets replies in flight arrive; a server that is down (or never answered) gets a plain disconnect.
      if (connected) {
        const timer = new Promise<void>((resolve) => setTimeout(resolve, connectTimeout).unref());
        await Promise.race([client.quit().catch(() => undefined), timer]);
      }
      client.disconnect();
    },
  };
}
