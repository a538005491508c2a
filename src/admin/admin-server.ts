/**
 * The admin listener: liveness, readiness and Prometheus metrics, on its own address (loopback by
 * default) so that none of it is reachable through the gateway.
 *
 * - `GET /health` → 200 `{"status":"ok"}` while the process serves at all.
 * - `GET /ready` → 200 `{"status":"ready"}` when `ready()` is true, else 503 `{"status":"starting"}`.
 * - `GET /metrics` → 200, Prometheus text (404 when metrics are off).
 * - Other paths → 404; other methods → 405 with `Allow: GET, HEAD`. `HEAD` answers like `GET`, without a body.
 */
import { createServer } from 'node:http';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Logger } from '../logger.ts';

export interface AdminServerOptions {
  host: string;
  /** 0 picks a free port. */
  port: number;
  /** What `/metrics` serves; null turns the endpoint off (404). */
  metrics: { render(): Promise<string>; contentType: string } | null;
  /** Readiness: true once the gateway serves traffic (and false again while it shuts down). */
  ready: () => boolean;
  logger?: Logger;
}

export interface AdminServer {
  /** Binds `host:port`; resolves with the bound address. Rejects on bind errors (EADDRINUSE…). */
  listen(): Promise<{ host: string; port: number; url: string }>;
  /** Stops accepting, closes idle keep-alive connections, resolves when the server is closed. */
  close(): Promise<void>;
}

const JSON_HEADERS = { 'content-type': 'application/json', 'cache-control': 'no-store' };
const OK = '{"status":"ok"}';
const READY = '{"status":"ready"}';
const STARTING = '{"status":"starting"}';

/**
 * Creates (but does not start) the admin listener.
 *
 * @example
 * const admin = createAdminServer({ host: '127.0.0.1', port: 9090, metrics, ready: () => gatewayUp });
 * const { url } = await admin.listen(); // http://127.0.0.1:9090
 * // curl $url/metrics
 * await admin.close();
 */
export function createAdminServer(options: AdminServerOptions): AdminServer {
  const { host, port, metrics, ready, logger } = options;

  const server = createServer({ headersTimeout: 5_000, requestTimeout: 10_000, keepAliveTimeout: 5_000, maxHeaderSize: 8_192 }, (req, res) => {
    handle(req, res);
  });
  // Admin connections must never hold the process open on shutdown.
  server.on('connection', (socket) => socket.unref());

  let closing = false;

  function send(res: ServerResponse, status: number, headers: Record<string, string>, body: string): void {
    // A keep-alive connection answering during close() would otherwise keep close() waiting.
    if (closing) res.shouldKeepAlive = false;
    res.writeHead(status, headers);
    res.end(body);
  }

  function handle(req: IncomingMessage, res: ServerResponse): void {
    const url = req.url ?? '/';
    const q = url.indexOf('?');
    const path = q === -1 ? url : url.slice(0, q);
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      return send(res, 405, { ...JSON_HEADERS, allow: 'GET, HEAD' }, '{"error":"method_not_allowed"}');
    }
    switch (path) {
      case '/health':
        return send(res, 200, JSON_HEADERS, OK);
      case '/ready':
        return ready() ? send(res, 200, JSON_HEADERS, READY) : send(res, 503, JSON_HEADERS, STARTING);
      case '/metrics':
        if (metrics !== null) {
          metrics.render().then(
            (text) => send(res, 200, { 'content-type': metrics.contentType, 'cache-control': 'no-store' }, text),
            (err: unknown) => {
              logger?.error({ err }, 'admin: rendering metrics failed');
              send(res, 500, JSON_HEADERS, '{"error":"internal"}');
            },
          );
          return;
        }
        break;
    }
    send(res, 404, JSON_HEADERS, '{"error":"not_found"}');
  }

  return {
    listen() {
      return new Promise((resolve, reject) => {
        const onError = (err: Error): void => reject(err);
        server.once('error', onError);
        server.listen(port, host, () => {
          server.off('error', onError);
          server.on('error', (err) => logger?.error({ err }, 'admin: server error'));
          const address = server.address() as AddressInfo;
          const shown = address.family === 'IPv6' ? `[${address.address}]` : address.address;
          logger?.info({ url: `http://${shown}:${address.port}` }, 'admin listener started');
          resolve({ host: address.address, port: address.port, url: `http://${shown}:${address.port}` });
        });
      });
    },
    close() {
      return new Promise((resolve) => {
        if (!server.listening) return resolve();
        closing = true;
        server.close(() => resolve());
        server.closeIdleConnections();
      });
    },
  };
}
