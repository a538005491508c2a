/**
 * Signals from crawler verification (bot-verifier.ts): `bot.verified` for a crawler whose address
 * checks out, `bot.fake` for a request that claims a verifiable crawler from an address that is not
 * the crawler's. While a check is pending neither fires.
 */
import type { Signal } from '../types.ts';
import { claimedCrawler } from './bot-verifier.ts';
import type { BotVerifier } from './bot-verifier.ts';

/**
 * The two signals, bound to one verifier (and so to one cache of answers).
 *
 * @example
 * const [verified, fake] = createVerifiedBotSignals(createBotVerifier({ resolver }));
 */
export function createVerifiedBotSignals(verifier: BotVerifier): [Signal, Signal] {
  const verified: Signal = {
    name: 'bot.verified',
    weight: 0,
    detect: (ctx) => {
      if (ctx.userAgent().kind !== 'bot') return null;
      const crawler = claimedCrawler(ctx.header('user-agent'));
      return crawler !== null && verifier.status(crawler, ctx.clientIp) === 'verified' ? `verified ${crawler.name}` : null;
    },
  };
  const fake: Signal = {
    name: 'bot.fake',
    weight: 80,
    detect: (ctx) => {
      // Checked whatever the classifier said: a fake Googlebot may dress up as a browser around the token.
      const crawler = claimedCrawler(ctx.header('user-agent'));
      return crawler !== null && verifier.status(crawler, ctx.clientIp) === 'failed' ? `claims ${crawler.name}; ${ctx.clientIp} is not under ${crawler.domains.join(', ')}` : null;
    },
  };
  return [verified, fake];
}
