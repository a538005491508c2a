/**
 * `rampart/client`: a fetch wrapper for apps behind Rampart. When a response is a challenge (403 with
 * `Rampart-Challenge`), it solves it (in a worker) and sends the request again with the solution;
 * the pass the server returns is sent with later requests to that origin, so they are not challenged
 * again while it lasts. Runs in Node (≥ 18) and browsers.
 *
 * @example
 * import { withRampart } from 'rampart/client';
 * const fetch = withRampart(globalThis.fetch);
 * const res = await fetch('https://shop.example/api/auth/register', { method: 'POST', body });
 */
import { solveChallenge } from './solve.ts';
import type { Challenge, SolveOptions } from './solve.ts';

export { solveChallenge } from './solve.ts';
export type { Challenge, SolveOptions } from './solve.ts';

export interface RampartClientOptions extends SolveOptions {
  /** Called before a challenge is solved (e.g. to show "verifying…"). */
  onChallenge?: (challenge: Challenge) => void;
}

/** Origins whose pass is remembered at once; more and the memory starts over. */
const MAX_ORIGINS = 64;

/**
 * Wraps a fetch function. Bodies are buffered once (`Request.clone`) so a challenged request can be sent again.
 *
 * @example
 * const fetch = withRampart(globalThis.fetch, { onChallenge: () => showSpinner() });
 */
export function withRampart(fetchFn: typeof fetch = globalThis.fetch, options: RampartClientOptions = {}): typeof fetch {
  const passes = new Map<string, string>();
  const remember = (origin: string, response: Response): Response => {
    const pass = response.headers.get('rampart-pass');
    if (pass !== null) {
      if (passes.size >= MAX_ORIGINS && !passes.has(origin)) passes.clear();
      passes.set(origin, pass);
    }
    return response;
  };

  return async (input: Request | string | URL, init?: RequestInit): Promise<Response> => {
    const request = new Request(input, init);
    const origin = new URL(request.url).origin;
    const pass = passes.get(origin);
    if (pass !== undefined && !request.headers.has('rampart-pass')) request.headers.set('rampart-pass', pass);
    const again = request.clone();
    const response = await fetchFn(request);
    if (response.status !== 403 || response.headers.get('rampart-challenge') === null) return remember(origin, response);
    let challenge: Challenge;
    try {
      challenge = ((await response.clone().json()) as { challenge: Challenge }).challenge;
    } catch {
      return response;
    }
    options.onChallenge?.(challenge);
    again.headers.set('rampart-solution', await solveChallenge(challenge, options));
    void response.body?.cancel();
    return remember(origin, await fetchFn(again));
  };
}
