/**
 * Rampart as a Fastify plugin. Its hooks apply to the whole instance (it is not encapsulated).
 * It decides in `onRequest`, or in `preHandler` (after body parsing) when a rule reads a body field.
 *
 * @example
 * import Fastify from 'fastify';
 * import { rampart } from 'rampart/fastify';
 * const app = Fastify();
 * await app.register(rampart, { policy: 'rampart.yaml' });
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Decision } from '../engine/decision.ts';
import { enforce } from '../engine/respond.ts';
import { engineFromOptions } from './engine-from-options.ts';
import type { AdapterOptions } from './engine-from-options.ts';

export type { AdapterOptions } from './engine-from-options.ts';

async function plugin(app: FastifyInstance, options: AdapterOptions): Promise<void> {
  const engine = engineFromOptions(options);
  const onDecision = options.onDecision;
  const hook = engine.policy.anyNeedsBody ? 'preHandler' : 'onRequest';

  /** Answers a refused request, or calls `done` when it may go on (after the delay, for tarpit). */
  const apply = (decision: Decision, reply: FastifyReply, done: () => void): void => {
    onDecision?.(decision);
    const refusal = enforce(engine.tarpit, decision, reply.raw, () => {
      reply.headers(decision.headers);
      if (decision.pending.length > 0 || engine.policy.observesResponses) {
        const raw = reply.raw;
        raw.once('close', () => engine.observe(decision, raw.writableFinished ? raw.statusCode : 0)); // 0: aborted, no answer
      }
      done();
    });
    if (refusal !== null) void reply.code(refusal.status).headers(refusal.headers).send(refusal.body);
  };

  // Callback-style hook: with the memory store the decision is synchronous, so no promise is made.
  app.addHook(hook, (request: FastifyRequest, reply: FastifyReply, done: (err?: Error) => void) => {
    const result = engine.evaluate({
      method: request.method,
      url: request.url,
      headers: request.headers,
      ip: request.raw.socket.remoteAddress ?? '',
      body: request.body,
    });
    if (result instanceof Promise) result.then((d) => apply(d, reply, done), (err: unknown) => done(err as Error));
    else apply(result, reply, done);
  });
}

// What fastify-plugin does: tell Fastify not to encapsulate, so the hooks cover every route.
(plugin as unknown as Record<symbol, unknown>)[Symbol.for('skip-override')] = true;
(plugin as unknown as Record<symbol, unknown>)[Symbol.for('fastify.display-name')] = 'rampart';

/** The plugin; register it with the adapter options. */
export const rampart = plugin;
export default plugin;
