/**
 * Does the request look like what its user agent claims? Scripts copy a browser's user agent but
 * rarely the rest of a browser's request: the headers every such browser sends, and the order it
 * sends them in. Nothing here fires for non-browser user agents or for declared first-party clients.
 *
 * Caveats, documented in docs/detection.md: browsers send client hints (`sec-ch-ua`) and fetch
 * metadata (`sec-fetch-*`) only over HTTPS, so those checks apply only when the request carries
 * fetch metadata; and a proxy in front of Rampart may reorder headers, so `headers.order` can be
 * turned off on its own (`signals: { headers.order: false }`).
 */
import type { RequestContext } from '../../engine/request-context.ts';
import type { Signal } from '../types.ts';
import type { UserAgentClass } from '../user-agent/classify-user-agent.ts';

function claimedBrowser(ctx: RequestContext): UserAgentClass | null {
  const ua = ctx.userAgent();
  if (ua.kind !== 'browser') return null;
  const client = ctx.client();
  return client !== null && client.missing === null ? null : ua;
}

/** A browser user agent without a header every version of that browser in use sends. */
export const browserMismatch: Signal = {
  name: 'headers.browser-mismatch',
  weight: 40,
  detect: (ctx) => {
    const ua = claimedBrowser(ctx);
    if (ua === null) return null;
    const h = ctx.request.headers;
    if (h['accept-language'] === undefined) return `${ua.browser!} without accept-language`;
    if (h['accept-encoding'] === undefined) return `${ua.browser!} without accept-encoding`;
    const chromium = ua.browser === 'chrome' || ua.browser === 'edge';
    // Chromium 89+ sends client hints wherever it sends fetch metadata (secure contexts); Firefox and Safari never send them.
    if (chromium && ua.version >= 90 && h['sec-fetch-mode'] !== undefined && h['sec-ch-ua'] === undefined) return `${ua.browser!} ${ua.version} without sec-ch-ua`;
    if (!chromium && h['sec-ch-ua'] !== undefined) return `${ua.browser!} with chromium client hints`;
    return null;
  },
};

/** Position of `name` among the request's header names, or -1. Headers are in the order received. */
function positionOf(names: readonly string[], name: string): number {
  return names.indexOf(name);
}

/**
 * A browser user agent with headers in an order that browser never uses. Checked: `accept` comes
 * before `accept-encoding` (every browser); `user-agent` before `accept` (Chromium, Firefox);
 * `accept-encoding` before `accept-language` (Chromium) or after it (Firefox). HTTP libraries
 * that copy a browser's user agent usually fail one of these (python-requests writes
 * accept-encoding first; Go sorts header names).
 */
export const headerOrder: Signal = {
  name: 'headers.order',
  weight: 30,
  detect: (ctx) => {
    const ua = claimedBrowser(ctx);
    if (ua === null) return null;
    const names = Object.keys(ctx.request.headers);
    const accept = positionOf(names, 'accept');
    const encoding = positionOf(names, 'accept-encoding');
    const agent = positionOf(names, 'user-agent');
    const language = positionOf(names, 'accept-language');
    if (accept !== -1 && encoding !== -1 && encoding < accept) return 'accept-encoding before accept';
    if (ua.browser === 'safari') return null;
    if (accept !== -1 && agent > accept) return 'user-agent after accept';
    if (encoding !== -1 && language !== -1) {
      if ((ua.browser === 'chrome' || ua.browser === 'edge') && language < encoding) return 'accept-language before accept-encoding';
      if (ua.browser === 'firefox' && encoding < language) return 'accept-encoding before accept-language';
    }
    return null;
  },
};
