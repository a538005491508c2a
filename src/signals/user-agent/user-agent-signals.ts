/**
 * Signals from what the user agent claims (see classify-user-agent.ts). None of them fires for a
 * first-party client the policy declares (`clients:`), whatever its user agent says.
 */
import type { RequestContext } from '../../engine/request-context.ts';
import type { Signal } from '../types.ts';
import type { UserAgentClass, UserAgentKind } from './classify-user-agent.ts';

function thirdParty(ctx: RequestContext): UserAgentClass | null {
  const client = ctx.client();
  return client !== null && client.missing === null ? null : ctx.userAgent();
}

/** A signal that fires when the user agent is of one kind; `describe` writes the finding's detail. */
function kindSignal(name: string, weight: number, kind: UserAgentKind, describe: (ua: UserAgentClass) => string): Signal {
  return {
    name,
    weight,
    detect: (ctx) => {
      const ua = thirdParty(ctx);
      return ua !== null && ua.kind === kind ? describe(ua) : null;
    },
  };
}

/** A self-declared bot or crawler (isbot's list), with its category: search, ai, seo, social, monitor, feed, archiver, crawler. */
export const uaBot: Signal = {
  name: 'ua.bot',
  weight: 40,
  detect: (ctx) => {
    const ua = thirdParty(ctx);
    if (ua === null || ua.kind !== 'bot') return null;
    // A crawler whose address checks out by DNS is who it says it is: no risk from its user agent.
    return ctx.finding('bot.verified') !== null ? null : `${ua.category!} bot: ${ua.product}`;
  },
};

/** A vulnerability scanner or password cracker that names itself (sqlmap, nikto, nuclei, hydra…). */
export const uaScanner = kindSignal('ua.scanner', 90, 'scanner', (ua) => `scanner: ${ua.product}`);

/** A browser driven by automation that says so (HeadlessChrome, PhantomJS, Playwright…). */
export const uaHeadless = kindSignal('ua.headless', 60, 'headless', (ua) => `headless browser: ${ua.product}`);

/** An HTTP client library or command-line tool (curl, python-requests, Go-http-client, axios…): integrations use them too, so the weight is low. */
export const uaHttpClient = kindSignal('ua.http-client', 20, 'http-client', (ua) => `http client: ${ua.product}`);

/** The user agent claims a first-party client the policy declares, but a header that client always sends is missing. */
export const clientImpostor: Signal = {
  name: 'client.impostor',
  weight: 60,
  detect: (ctx) => {
    const client = ctx.client();
    return client !== null && client.missing !== null ? `claims ${client.name} without ${client.missing}` : null;
  },
};
