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
import { refusalFor } from '../engine/respond.ts';
import { engineFromOptions } from './engine-from-options.ts';
import type { AdapterOptions } from './engine-from-options.ts';

export type { AdapterOptions } from './engine-from-options.ts';

const decisions = new WeakMap<FastifyRequest, Decision>();

async function plugin(app: FastifyInstance, options: AdapterOptions): Promise<void> {
  const engine = engineFromOptions(options);
  const onDecision = options.onDecision;
  const hook = engine.policy.anyNeedsBody ? 'preHandler' : 'onRequest';

  app.addHook(hook, async (request: FastifyRequest, reply: FastifyReply) => {
    const decision = await engine.decide({
      method: request.method,
      url: request.url,
      headers: request.headers,
      ip: request.raw.socket.remoteAddress ?? '',
      body: request.body,
    });
    onDecision?.(decision);
    const refusal = refusalFor(decision);
    if (refusal !== null) {
      return reply.code(refusal.status).headers(refusal.headers).send(refusal.body);
    }
    if (decision.headers !== undefined) reply.headers(decision.headers);
    if (decision.pending.length > 0 || engine.policy.signals.all.some((s) => s.signal.observe !== undefined)) decisions.set(request, decision);
    return undefined;
  });
  app.addHook('onResponse', async (request: FastifyRequest, reply: FastifyReply) => {
    const decision = decisions.get(request);
    if (decision !== undefined) engine.observe(decision, reply.statusCode);
  });
}

// What fastify-plugin does: tell Fastify not to encapsulate, so the hooks cover every route.
(plugin as unknown as Record<symbol, unknown>)[Symbol.for('skip-override')] = true;
(plugin as unknown as Record<symbol, unknown>)[Symbol.for('fastify.display-name')] = 'rampart';

/** The plugin; register it with the adapter options. */
export const rampart = plugin;
export default plugin;
