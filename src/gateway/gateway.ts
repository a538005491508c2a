/**
 * The reverse proxy: node:http (node:https with `gateway.tls`) in front, one pooled undici
 * connection set to `gateway.upstream` behind, the engine deciding every request in between.
 *
 * ## What is passed on
 * - Method, request target (`req.url` byte for byte, query string untouched) and the client's
 *   header fields in their order and case, and `Host` with the client's value (undici writes that
 *   one name itself, as `host`, first). Removed:
 *   hop-by-hop fields (RFC 9110 §7.6.1: `Connection`, `Keep-Alive`, `Proxy-Connection`, `TE`,
 *   `Trailer`, `Transfer-Encoding`, `Upgrade`, and every field `Connection` names) and `Expect`
 *   (Node has already answered `100-continue`).
 * - `X-Forwarded-For`: the peer address. When the peer is in `client_ip.trusted_proxies`, the peer is
 *   appended to the client's `X-Forwarded-For`; otherwise the client's is replaced (it would be
 *   spoofed). `X-Forwarded-Proto` (`http`/`https` of this listener) and `X-Forwarded-Host` (the
 *   client's `Host`) likewise: a trusted proxy's values are kept, anyone else's replaced.
 *   `Forwarded` and `X-Real-IP` are passed on untouched.
 * - Bodies stream both ways with backpressure. A request body is read into memory only when a rule on
 *   its route reads a body field and the content type is JSON, and then only up to
 *   `limits.max_body_bytes`; the exact bytes read are forwarded.
 * - The response: status (the reason phrase is Node's standard one), header fields minus hop-by-hop
 *   ones (repeated fields such as `Set-Cookie` stay separate), plus the decision's RateLimit headers;
 *   1xx interim responses and trailers are not passed on.
 *
 * ## Statuses the gateway sends itself (all with a short JSON body `{"error":"…"}`)
 * - 400 `bad_request`: Node's parser rejected the request (invalid or duplicate `Content-Length`,
 *   `Content-Length` with `Transfer-Encoding`, bad chunk framing, invalid characters); more than one
 *   `Host`; a target that is neither origin form (`/path`) nor absolute form (`http://host/path`),
 *   e.g. `OPTIONS *`. Never reaches the upstream. (An HTTP/1.1 request without `Host` gets Node's own
 *   400 with an empty body.)
 * - 403 / 429: a rule refused the request (`refusalFor`: `forbidden` / `too_many_requests`, with
 *   RateLimit and `Retry-After` headers).
 * - 408 `request_timeout`: the head did not arrive within `timeouts.headers`, or the whole request
 *   within `timeouts.request` (only while no response has started); the connection is closed.
 * - 413 `payload_too_large`: on a route whose rules read a JSON body field, a body over
 *   `limits.max_body_bytes` (declared: answered before reading; chunked: when it grows past).
 * - 503 `unavailable`: a body rule needs this request's body and reading it would pass
 *   `limits.max_buffered_bytes`, the budget for bodies held at once (each reserves its declared
 *   length, or `max_body_bytes` when chunked, until its exchange ends).
 * - 431 `request_header_fields_too_large`: the head is over `limits.max_header_bytes` or has more than
 *   `limits.max_headers` fields.
 * - 500 `internal`: the engine threw (a bug; the engine reports its own failures as decisions).
 * - 501 `not_implemented`: a WebSocket upgrade. Other `Upgrade` offers (h2c) are ignored, as
 *   RFC 9110 §7.8 allows, and the request is served over HTTP/1.1.
 * - 502 `bad_gateway`: the upstream could not be reached (refused, DNS, connect timeout — at most
 *   10 s or `timeouts.upstream`, whichever is less, but at least 1 s), reset or closed the
 *   connection, or sent a head Node will not relay, before its response head.
 * - 504 `gateway_timeout`: the upstream's response head did not arrive within `timeouts.upstream`
 *   (counted from when the request has been written).
 * - After the response head has been sent, an upstream failure (reset, or no body data for
 *   `timeouts.upstream`) can only be signalled by cutting the client's connection.
 *
 * After a refusal (403, 413, 429, …) a request body the gateway did not read is discarded if its
 * `Content-Length` is at most 64 KiB, keeping the connection; a larger or chunked one closes the
 * connection (`Connection: close`) instead of being read.
 *
 * ## Timeouts
 * `timeouts.headers` → `server.headersTimeout` (slow-loris heads are cut off with 408),
 * `timeouts.request` → `server.requestTimeout`, `timeouts.idle` → `server.keepAliveTimeout`,
 * `timeouts.upstream` → undici `headersTimeout` and `bodyTimeout` (longest silence while the
 * upstream's body streams). Node checks the first two every min(1 s, headers/2) (at least 100 ms);
 * undici checks the upstream timeouts on a coarse timer, so they fire up to about a second late.
 * `timeouts.request` bounds uploads too: a body still arriving after it is cut off.
 *
 * ## Records
 * Every request that reached the request handler gives every observer exactly one
 * {@link RequestRecord}, when its response has finished or its client has gone. Requests the gateway
 * answered itself carry a decision with no rule and the reason `gateway:<why>` (see
 * `gateway-decision.ts`); a client that left before any response is recorded with status 499.
 * Requests Node rejects while parsing the head (400, 408, 431 from the parser) never become requests
 * and are only logged at debug level. `engine.observe(decision, status)` is called with the
 * upstream's status, with 502/504 when the gateway answered for a failed upstream, and with 0 when the
 * client left before the upstream answered.
 *
 * ## Known limits
 * - An upstream that answers before reading a large request body and then closes its connection
 *   (`Connection: close`) can make the write fail first; the client then gets 502 instead of the
 *   upstream's early answer. Upstreams that keep the connection (Node's default) are relayed.
 * - A client still sending a large refused body may see a reset instead of the 413 / 429.
 * - WebSocket and other upgrades, trailers and 1xx interim responses are not proxied.
 *
 * ## Shutdown
 * `close()` stops accepting at once, closes idle keep-alive connections, lets in-flight requests
 * finish (their responses carry `Connection: close`) for up to `timeouts.shutdown`, then cuts what is
 * left, closes the upstream pool and the observers.
 */
import { readFileSync } from 'node:fs';
import { createServer as createHttpServer } from 'node:http';
import type { IncomingMessage, Server as HttpServer, ServerResponse } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { Server as HttpsServer } from 'node:https';
import type { AddressInfo, Socket } from 'node:net';
import { Pool } from 'undici';
import type { Engine } from '../engine/engine.ts';
import { ErrorCode, RampartError } from '../errors.ts';
import { defaultLogger } from '../logger.ts';
import type { Logger } from '../logger.ts';
import type { RequestObserver } from '../observe/request-observer.ts';
import { parseDuration } from '../policy/duration.ts';
import type { PolicyDocument } from '../policy/schema.ts';
import { onClientError } from './client-error.ts';
import { handleRequest } from './exchange.ts';
import { GatewayHost } from './gateway-host.ts';
import { shutdown } from './shutdown.ts';

/** The `gateway` section of the policy file. */
export type GatewayConfig = NonNullable<PolicyDocument['gateway']>;

export interface GatewayOptions {
  engine: Engine;
  config: GatewayConfig;
  /** Told about every finished request (decision log, metrics). Closed by `close()`. */
  observers?: readonly RequestObserver[];
  /** Operational log. Default: pino on stderr. */
  logger?: Logger;
}

export interface ListenAddress {
  /** The bound address, e.g. `0.0.0.0` or `127.0.0.1`. */
  host: string;
  port: number;
  /** A URL clients on this machine can use, e.g. `http://127.0.0.1:8080`. */
  url: string;
}

export interface Gateway {
  /** Binds `config.listen`. Rejects with `RAMPART_ERR_LISTEN` when the address is taken or not allowed. */
  listen(): Promise<ListenAddress>;
  /** Graceful: stop accepting, finish in-flight requests within `timeouts.shutdown`, close the rest. */
  close(): Promise<void>;
  readonly server: HttpServer | HttpsServer;
  /** Requests received whose response has not closed yet. */
  inFlight(): number;
}

interface Timeouts {
  headers: number;
  request: number;
  idle: number;
  upstream: number;
  shutdown: number;
}

function durationOf(config: GatewayConfig, key: keyof Timeouts): number {
  const ms = parseDuration(config.timeouts[key]);
  if (ms === null) throw new RampartError(ErrorCode.INVALID_ARGUMENT, `gateway.timeouts.${key}: expected a duration like 30s or 500ms; got ${JSON.stringify(config.timeouts[key])}`);
  return ms;
}

function readPem(file: string, key: 'cert' | 'key'): Buffer {
  try {
    return readFileSync(file);
  } catch (err) {
    const reason = (err as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (err as Error).message;
    throw new RampartError(ErrorCode.INVALID_ARGUMENT, `gateway.tls.${key}: cannot read ${file}: ${reason}`, { cause: err });
  }
}

/**
 * Creates the gateway. Reads the TLS files (if any) and validates the config now; listens only on
 * {@link Gateway.listen}.
 *
 * @throws RampartError `RAMPART_ERR_INVALID_ARGUMENT` for an unreadable TLS file, invalid PEM or a bad
 *   upstream URL.
 * @example
 * const engine = createEngine({ policy });
 * const gateway = createGateway({ engine, config: policy.gateway!, observers: [decisionLog] });
 * const { url } = await gateway.listen();
 * process.once('SIGTERM', () => void gateway.close());
 */
export function createGateway(options: GatewayOptions): Gateway {
  const { engine, config } = options;
  const observers = options.observers ?? [];
  const logger = options.logger ?? defaultLogger();
  const t: Timeouts = {
    headers: durationOf(config, 'headers'),
    request: durationOf(config, 'request'),
    idle: durationOf(config, 'idle'),
    upstream: durationOf(config, 'upstream'),
    shutdown: durationOf(config, 'shutdown'),
  };
  // Node refuses a headers timeout longer than the request timeout.
  const headersTimeout = t.request > 0 ? Math.min(t.headers, t.request) : t.headers;
  const checkEvery = Math.max(100, Math.min(1000, Math.floor(Math.min(headersTimeout || 1000, t.request || 1000) / 2)));
  const serverOptions = {
    maxHeaderSize: config.limits.max_header_bytes,
    headersTimeout,
    requestTimeout: t.request,
    keepAliveTimeout: t.idle,
    connectionsCheckingInterval: checkEvery,
    requireHostHeader: true,
    // Requests without Content-Length or Transfer-Encoding skip the body stream's life cycle; the
    // gateway never reads a body those requests do not have. (Node ≥ 24.12; older versions ignore it.)
    optimizeEmptyRequests: true,
  };

  let server: HttpServer | HttpsServer;
  if (config.tls !== undefined) {
    const cert = readPem(config.tls.cert, 'cert');
    const key = readPem(config.tls.key, 'key');
    try {
      server = createHttpsServer({ ...serverOptions, cert, key });
    } catch (err) {
      throw new RampartError(ErrorCode.INVALID_ARGUMENT, `gateway.tls: ${(err as Error).message}`, { cause: err });
    }
  } else {
    server = createHttpServer(serverOptions);
  }
  let pool: Pool;
  try {
    pool = new Pool(config.upstream, {
      connections: config.upstream_connections,
      pipelining: 1,
      headersTimeout: t.upstream,
      bodyTimeout: t.upstream,
      connectTimeout: Math.min(10_000, Math.max(1000, t.upstream)),
    });
  } catch (err) {
    throw new RampartError(ErrorCode.INVALID_ARGUMENT, `gateway.upstream: ${(err as Error).message}`, { cause: err });
  }

  // Past this count Node's parser fails with HPE_HEADER_OVERFLOW, answered 431 by onClientError.
  server.maxHeadersCount = config.limits.max_headers;
  // Every open connection costs memory and a descriptor: beyond the cap Node closes new ones at once.
  server.maxConnections = config.limits.max_connections;

  const host = new GatewayHost(engine, pool, observers, config.tls === undefined ? 'http' : 'https', config, logger, t.upstream);
  server.on('request', (req: IncomingMessage, res: ServerResponse) => {
    host.inFlight++;
    handleRequest(host, req, res);
  });
  server.on('clientError', (err: Error & { code?: string }, socket: Socket) => onClientError(err, socket, logger));

  let closing: Promise<void> | null = null;
  return {
    server,
    inFlight: () => host.inFlight,
    listen: () => listen(server, config, host.proto, logger),
    close() {
      closing ??= shutdown(server, host, t.shutdown, logger);
      return closing;
    },
  };
}

function listen(server: HttpServer | HttpsServer, config: GatewayConfig, proto: string, logger: Logger): Promise<ListenAddress> {
  const { host, port } = config.listen;
  return new Promise((resolve, reject) => {
    const onError = (err: NodeJS.ErrnoException): void => {
      const reason = err.code === 'EADDRINUSE' ? 'address already in use' : err.code === 'EACCES' ? 'permission denied' : err.message;
      reject(new RampartError(ErrorCode.LISTEN, `gateway.listen: cannot listen on ${host}:${port}: ${reason}`, { cause: err }));
    };
    server.once('error', onError);
    server.listen(port, host, () => {
      server.off('error', onError);
      // Once listening, an error (e.g. EMFILE on accept) must be logged, not crash the process.
      server.on('error', (err: NodeJS.ErrnoException) => logger.error({ err: err.message, code: err.code }, 'gateway listener error'));
      const address = server.address() as AddressInfo;
      resolve({ host: address.address, port: address.port, url: `${proto}://${urlHost(address.address)}:${address.port}` });
    });
  });
}

/** A host for URLs: the wildcard addresses become loopback, IPv6 gets brackets. */
function urlHost(address: string): string {
  if (address === '0.0.0.0') return '127.0.0.1';
  if (address === '::') return '[::1]';
  return address.includes(':') ? `[${address}]` : address;
}
