/**
 * Rampart as Hono middleware.
 *
 * @example
 * import { Hono } from 'hono';
 * import { rampart } from 'rampart/hono';
 * const app = new Hono();
 * app.use(rampart({ policy: 'rampart.yaml' }));
 */
import type { Context, MiddlewareHandler } from 'hono';
import type { Engine } from '../engine/engine.ts';
import { refusalFor, tarpitFullRefusal } from '../engine/respond.ts';
import { engineFromOptions } from './engine-from-options.ts';
import type { AdapterOptions } from './engine-from-options.ts';

export interface HonoOptions extends AdapterOptions {
  /**
   * The peer address of the connection. Default: the socket of `@hono/node-server`
   * (`c.env.incoming.socket.remoteAddress`). Other runtimes must provide it (Bun: `server.requestIP`,
   * Deno: `info.remoteAddr`). Never read it from a header here: trusted proxies are handled by the policy.
   */
  peerAddress?: (c: Context) => string | undefined;
}

export type HonoMiddleware = MiddlewareHandler & { readonly engine: Engine };

function nodeServerPeer(c: Context): string | undefined {
  const env = c.env as { incoming?: { socket?: { remoteAddress?: string } } } | undefined;
  return env?.incoming?.socket?.remoteAddress;
}

/** Creates the middleware. */
export function rampart(options: HonoOptions): HonoMiddleware {
  const engine = engineFromOptions(options);
  const onDecision = options.onDecision;
  const peer = options.peerAddress ?? nodeServerPeer;

  const middleware: MiddlewareHandler = async (c, next) => {
    const raw = c.req.raw;
    const headers: Record<string, string> = {};
    raw.headers.forEach((value, name) => {
      headers[name] = value;
    });
    const url = new URL(raw.url);
    const target = url.pathname + url.search;
    let body: unknown;
    if (engine.needsBody(raw.method, target) && (headers['content-type'] ?? '').includes('json')) {
      // Hono caches the parsed body, so the application can still read it.
      body = await c.req.json().catch(() => undefined);
    }
    const decision = await engine.decide({ method: raw.method, url: target, headers, ip: peer(c) ?? '', body });
    onDecision?.(decision);
    let refusal = refusalFor(decision);
    if (refusal === null && decision.action === 'tarpit' && !(await engine.tarpit.wait(raw.signal))) {
      if (raw.signal.aborted) return c.body(null, 499 as 403); // the client left while held; nobody reads this
      refusal = tarpitFullRefusal(engine.tarpit.whenFull);
    }
    if (refusal !== null) return c.body(refusal.body, refusal.status as 403, refusal.headers);
    await next();
    const decided = decision.headers;
    // A pass cookie joins the application's own cookies rather than replacing them.
    for (const name in decided) {
      if (name === 'set-cookie') c.res.headers.append(name, decided[name]!);
      else c.res.headers.set(name, decided[name]!);
    }
    engine.observe(decision, c.res.status);
    return undefined;
  };
  return Object.assign(middleware, { engine });
}
