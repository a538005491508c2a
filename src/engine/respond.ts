/**
 * How a refused request is answered, the same by every front door: a short, generic JSON body that
 * never says which rule fired (that stays in the logs). A challenge is answered with the challenge
 * itself: JSON for API clients, an HTML page that solves it for navigating browsers.
 */
import type { ChallengeOffer } from '../challenge/altcha.ts';
import { interstitialPage } from '../challenge/interstitial.ts';
import type { CloseEmitter, Tarpit, TarpitWhenFull } from '../challenge/tarpit.ts';
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

/** Response header that marks a challenge (value `altcha`). */
export const CHALLENGE_HEADER = 'rampart-challenge';

/**
 * The response for a decision that does not let the request through, or null for allow (and for
 * tarpit, which front doors hold and then let through; see `Tarpit.hold`).
 *
 * @example
 * const refusal = refusalFor(decision);
 * if (refusal) { res.writeHead(refusal.status, refusal.headers); res.end(refusal.body); }
 */
export function refusalFor(decision: Decision): Refusal | null {
  if (decision.action === 'allow' || decision.status === 0) return null;
  const offer = decision.challenge;
  if (decision.action === 'challenge' && offer !== undefined && offer !== null) return challengeRefusal(decision, offer);
  return generic(decision.status, decision.headers);
}

function generic(status: number, extra: Readonly<Record<string, string>>): Refusal {
  const body = BODIES[status] ?? BODIES[403]!;
  return {
    status,
    headers: { ...extra, 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store', 'content-length': String(Buffer.byteLength(body)) },
    body,
  };
}

/**
 * 403 with `Rampart-Challenge: altcha` and the ALTCHA challenge, as JSON
 * (`{"error":"challenge_required","challenge":{…}}`) or, for a request that accepts `text/html`, as
 * the interstitial page.
 */
function challengeRefusal(decision: Decision, offer: ChallengeOffer): Refusal {
  const request = decision.context.request;
  const accept = request.headers['accept'];
  const html = typeof accept === 'string' && accept.includes('text/html');
  const ttl = Math.max(1, offer.expires - Math.floor(decision.context.now / 1000));
  const body = html
    ? interstitialPage(offer, decision.context.method === 'GET' || decision.context.method === 'HEAD', ttl)
    : JSON.stringify({ error: 'challenge_required', challenge: offer.challenge });
  return {
    status: decision.status,
    headers: {
      ...decision.headers,
      [CHALLENGE_HEADER]: 'altcha',
      'content-type': html ? 'text/html; charset=utf-8' : 'application/json; charset=utf-8',
      'cache-control': 'no-store',
      'content-length': String(Buffer.byteLength(body)),
    },
    body,
  };
}

/**
 * The answer for a tarpit request that found the tarpit full: 429 (`throttle`), 403 (`deny`), or null
 * (`allow`: let it through at once).
 *
 * @example
 * if (!engine.tarpit.hold(next, res)) { const r = tarpitFullRefusal(engine.tarpit.whenFull); ... }
 */
export function tarpitFullRefusal(whenFull: TarpitWhenFull): Refusal | null {
  if (whenFull === 'allow') return null;
  return generic(whenFull === 'deny' ? 403 : 429, whenFull === 'deny' ? {} : { 'retry-after': '1' });
}

/**
 * What every node:http-style front door does with a decision: returns the refusal to send, or null
 * after arranging for `proceed` to run: at once for allow, after the delay for tarpit (never, if the
 * client leaves first). A full tarpit answers as `tarpit.when_full` says.
 *
 * @example
 * const refusal = enforce(engine.tarpit, decision, res, () => next());
 * if (refusal) { res.writeHead(refusal.status, refusal.headers); res.end(refusal.body); }
 */
export function enforce(tarpit: Tarpit, decision: Decision, client: CloseEmitter, proceed: () => void): Refusal | null {
  const refusal = refusalFor(decision);
  if (refusal !== null) return refusal;
  if (decision.action !== 'tarpit') {
    proceed();
    return null;
  }
  if (tarpit.hold(proceed, client)) return null;
  const full = tarpitFullRefusal(tarpit.whenFull);
  if (full === null) proceed();
  return full;
}
