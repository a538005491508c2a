/**
 * Rampart as Express middleware. Mount it after `express.json()` when a rule reads a body field.
 *
 * @example
 * import express from 'express';
 * import { rampart } from 'rampart/express';
 * const app = express();
 * app.use(express.json());
 * app.use(rampart({ policy: 'rampart.yaml' }));
 */
import type { NextFunction, Request, RequestHandler, Response } from 'express';
import type { Decision } from '../engine/decision.ts';
import type { Engine } from '../engine/engine.ts';
import { enforce } from '../engine/respond.ts';
import { engineFromOptions } from './engine-from-options.ts';
import type { AdapterOptions } from './engine-from-options.ts';

export type { AdapterOptions } from './engine-from-options.ts';

export type ExpressMiddleware = RequestHandler & { readonly engine: Engine };

/** Creates the middleware. The client IP comes from the socket and the policy's trusted proxies, not Express's `trust proxy`. */
export function rampart(options: AdapterOptions): ExpressMiddleware {
  const engine = engineFromOptions(options);
  const onDecision = options.onDecision;

  const apply = (decision: Decision, res: Response, next: NextFunction): void => {
    onDecision?.(decision);
    const refusal = enforce(engine.tarpit, decision, res, () => proceed(decision, res, next));
    if (refusal !== null) {
      res.writeHead(refusal.status, refusal.headers);
      res.end(refusal.body);
    }
  };

  const proceed = (decision: Decision, res: Response, next: NextFunction): void => {
    const headers = decision.headers;
    for (const name in headers) res.setHeader(name, headers[name]!);
    if (decision.pending.length > 0 || engine.policy.observesResponses) res.once('close', () => engine.observe(decision, res.writableFinished ? res.statusCode : 0)); // 0: aborted, no answer
    next();
  };

  const middleware = (req: Request, res: Response, next: NextFunction): void => {
    // evaluate() answers synchronously with the memory store: no promise, no extra tick.
    const result = engine.evaluate({ method: req.method, url: req.originalUrl, headers: req.headers, ip: req.socket.remoteAddress ?? '', body: req.body });
    if (result instanceof Promise) result.then((d) => apply(d, res, next), next);
    else apply(result, res, next);
  };
  return Object.assign(middleware, { engine });
}
