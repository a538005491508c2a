/**
 * The state every request of one gateway shares (engine, upstream pool, observers, limits) and the
 * bookkeeping shutdown needs (requests in flight).
 */
import type { Pool } from 'undici';
import type { CompiledPolicy } from '../engine/compile-policy.ts';
import type { Engine } from '../engine/engine.ts';
import type { Logger } from '../logger.ts';
import { CidrSet } from '../net/cidr.ts';
import type { RequestObserver, UpstreamFailure } from '../observe/request-observer.ts';
import type { PolicyDocument } from '../policy/schema.ts';
import type { ExchangeHost } from './exchange.ts';
import type { TrustedPeers } from './forwarded-headers.ts';

/** At most one upstream-failure log line per this many ms, with a count of those held back. */
const LOG_INTERVAL_MS = 1000;

/**
 * Shared by every exchange of one gateway.
 *
 * @example
 * const host = new GatewayHost(engine, pool, observers, 'http', policy.gateway!, logger);
 * server.on('request', (req, res) => { host.inFlight++; handleRequest(host, req, res); });
 */
export class GatewayHost implements ExchangeHost {
  readonly engine: Engine;
  readonly pool: Pool;
  readonly observers: readonly RequestObserver[];
  readonly proto: string;
  readonly maxHeaderFields: number;
  readonly maxBodyBytes: number;
  /** `timeouts.upstream` in ms: the deadline for the upstream's head (queueing included) and the longest a client may stall a response. */
  readonly upstreamTimeoutMs: number;
  /** `limits.max_buffered_bytes`: memory all bodies read for body rules may hold at once. */
  readonly maxBufferedBytes: number;
  /** Bytes currently reserved by exchanges reading or holding a body. */
  bufferedBytes = 0;
  readonly logger: Logger;
  closing = false;
  inFlight = 0;
  onIdle: (() => void) | null = null;
  onExchangeClosedWhileClosing: (() => void) | null = null;
  #trustPolicy: CompiledPolicy | null = null;
  #trusted: TrustedPeers = new CidrSet([]);
  #lastLog = 0;
  #suppressed = 0;

  constructor(engine: Engine, pool: Pool, observers: readonly RequestObserver[], proto: string, config: NonNullable<PolicyDocument['gateway']>, logger: Logger, upstreamTimeoutMs: number) {
    this.engine = engine;
    this.pool = pool;
    this.observers = observers;
    this.proto = proto;
    this.maxHeaderFields = config.limits.max_headers;
    this.maxBodyBytes = config.limits.max_body_bytes;
    this.upstreamTimeoutMs = upstreamTimeoutMs;
    this.maxBufferedBytes = config.limits.max_buffered_bytes;
    this.logger = logger;
  }

  /** Built once per policy: a reload may change the trusted proxies. */
  trustedPeers(policy: CompiledPolicy): TrustedPeers {
    if (policy !== this.#trustPolicy) {
      this.#trusted = new CidrSet(policy.document.client_ip.trusted_proxies, { label: 'client_ip.trusted_proxies' });
      this.#trustPolicy = policy;
    }
    return this.#trusted;
  }

  exchangeClosed(): void {
    this.inFlight--;
    if (this.closing) this.onExchangeClosedWhileClosing?.();
  }

  upstreamFailed(failure: UpstreamFailure, err: Error): void {
    const now = Date.now();
    if (now - this.#lastLog < LOG_INTERVAL_MS) {
      this.#suppressed++;
      return;
    }
    this.logger.warn({ failure, code: (err as { code?: unknown }).code, err: err.message, suppressed: this.#suppressed }, 'upstream request failed');
    this.#lastLog = now;
    this.#suppressed = 0;
  }

  internalError(err: unknown, where: string): void {
    this.logger.error({ err: err instanceof Error ? err.message : String(err) }, where);
  }
}

