/**
 * Graceful shutdown of the gateway's listener: stop accepting, let in-flight requests finish within a
 * deadline, then cut what is left and release the upstream pool and the observers.
 */
import type { Server as HttpServer } from 'node:http';
import type { Server as HttpsServer } from 'node:https';
import type { Logger } from '../logger.ts';
import type { GatewayHost } from './gateway-host.ts';

/**
 * Shuts the gateway down; resolves when every connection is closed, the pool is closed and every
 * observer's `close()` has settled.
 *
 * @example
 * await shutdown(server, host, 10_000, logger);
 */
export async function shutdown(server: HttpServer | HttpsServer, host: GatewayHost, graceMs: number, logger: Logger): Promise<void> {
  host.closing = true;
  const closed = new Promise<void>((resolve) => {
    if (!server.listening) return resolve();
    server.close(() => resolve());
  });
  server.closeIdleConnections();
  // A keep-alive connection whose response had started before shutdown goes idle when it finishes.
  let sweep: NodeJS.Immediate | null = null;
  host.onExchangeClosedWhileClosing = () => {
    sweep ??= setImmediate(() => {
      sweep = null;
      server.closeIdleConnections();
    });
    if (host.inFlight === 0) host.onIdle?.();
  };
  const idle = new Promise<void>((resolve) => {
    host.onIdle = resolve;
    if (host.inFlight === 0) resolve();
  });
  let timedOut = false;
  let timer: NodeJS.Timeout | null = null;
  await Promise.race([
    idle,
    new Promise<void>((resolve) => {
      timer = setTimeout(() => {
        timedOut = true;
        resolve();
      }, graceMs);
    }),
  ]);
  if (timer !== null) clearTimeout(timer);
  if (timedOut) logger.warn({ inFlight: host.inFlight, graceMs }, 'shutdown deadline reached; closing the remaining connections');
  server.closeAllConnections();
  await closed;
  // Cut exchanges report on their responses' close events, which follow the sockets' closing.
  if (timedOut) await Promise.race([idle, new Promise((resolve) => setTimeout(resolve, 1000).unref())]);
  if (sweep !== null) clearImmediate(sweep);
  await (timedOut ? host.pool.destroy() : host.pool.close()).catch((err: unknown) => host.internalError(err, 'closing the upstream pool failed'));
  await Promise.all(host.observers.map((o) => o.close?.().catch((err: unknown) => host.internalError(err, 'closing an observer failed'))));
}
