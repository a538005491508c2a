/**
 * Rampart for plain node:http servers.
 *
 * @example
 * import { createServer } from 'node:http';
 * import { rampart } from 'rampart/node';
 * const guard = rampart({ policy: 'rampart.yaml' });
 * createServer(async (req, res) => {
 *   if (!(await guard(req, res))) return; // Rampart answered (429, 403…)
 *   res.end('hello');
 * }).listen(8080);
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Engine } from '../engine/engine.ts';
import { enforce } from '../engine/respond.ts';
import { engineFromOptions } from './engine-from-options.ts';
import type { AdapterOptions } from './engine-from-options.ts';

export type { AdapterOptions } from './engine-from-options.ts';

/** Resolves true when the request may go on to the handler, false when Rampart has answered it. */
export interface NodeGuard {
  (req: IncomingMessage, res: ServerResponse): Promise<boolean>;
  readonly engine: Engine;
}

class BodyTooLarge extends Error {}

/** Reads a JSON body up to `max` bytes; undefined when it is not JSON. */
function readJson(req: IncomingMessage, max: number): Promise<unknown> {
  return new Promise((resolve, reject) => {
    const declared = Number(req.headers['content-length'] ?? 0);
    if (declared > max) return reject(new BodyTooLarge());
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > max) {
        req.removeAllListeners('data');
        req.resume();
        reject(new BodyTooLarge());
      } else chunks.push(chunk);
    });
    req.once('error', reject);
    req.once('end', () => {
      try {
        resolve(size === 0 ? undefined : JSON.parse(Buffer.concat(chunks).toString('utf8')));
      } catch {
        resolve(undefined);
      }
    });
  });
}

/**
 * Creates a guard for node:http handlers. When a rule reads a JSON body field, the guard reads the
 * body (up to `maxBodyBytes`, else 413) and leaves the parsed value on `req.body` for the handler.
 */
export function rampart(options: AdapterOptions): NodeGuard {
  const engine = engineFromOptions(options);
  const onDecision = options.onDecision;
  const maxBody = options.maxBodyBytes ?? 64 * 1024;

  const guard = async (req: IncomingMessage, res: ServerResponse): Promise<boolean> => {
    const method = req.method ?? 'GET';
    const url = req.url ?? '/';
    let body: unknown;
    if (engine.needsBody(method, url) && (req.headers['content-type'] ?? '').includes('json')) {
      try {
        body = await readJson(req, maxBody);
        (req as IncomingMessage & { body?: unknown }).body = body;
      } catch (err) {
        res.writeHead(err instanceof BodyTooLarge ? 413 : 400, { 'content-type': 'application/json', connection: 'close' });
        res.end(err instanceof BodyTooLarge ? '{"error":"payload_too_large"}' : '{"error":"bad_request"}');
        return false;
      }
    }
    const decision = await engine.decide({ method, url, headers: req.headers, ip: req.socket.remoteAddress ?? '', body });
    onDecision?.(decision);
    return new Promise<boolean>((resolve) => {
      const refusal = enforce(engine.tarpit, decision, res, () => {
        const headers = decision.headers;
        for (const name in headers) res.setHeader(name, headers[name]!);
        if (decision.pending.length > 0 || engine.policy.observesResponses) res.once('close', () => engine.observe(decision, res.writableFinished ? res.statusCode : 0)); // 0: aborted, no answer
        resolve(true);
      });
      if (refusal !== null) {
        res.writeHead(refusal.status, refusal.headers);
        res.end(refusal.body);
        resolve(false);
      } else if (decision.action === 'tarpit') res.once('close', () => resolve(false)); // left while held: never resolved true
    });
  };
  return Object.assign(guard, { engine });
}
