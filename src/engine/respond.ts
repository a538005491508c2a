/**
 * How a refused request is answered, the same by every front door: a short, generic JSON body that
 * never says which rule fired (that stays in the logs).
 */
import type { Decision } from './decision.ts';

export interface Refusal {
  status: number;
  headers: Record<string, string>;
  body: string;
}

const BODIES: Readonly<Record<number, string>> = {
  403: '{"error":"forbidden"}',
  429: '{"error":"too_many_requests"}',
  503: '{"error":"unavailable"}',
};

/**
 * The response for a decision that does not let the request through, or null for allow.
 *
 * @example
 * const refusal = refusalFor(decision);
 * if (refusal) { res.writeHead(refusal.status, refusal.headers); res.end(refusal.body); }
 */
export function refusalFor(decision: Decision): Refusal | null {
  if (decision.action === 'allow' || decision.status === 0) return null;
  const body = BODIES[decision.status] ?? BODIES[403]!;
  return {
    status: decision.status,
    headers: { ...decision.headers, 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store', 'content-length': String(Buffer.byteLength(body)) },
    body,
  };
}
