/**
 * Basic header hygiene signals: every mainstream browser and HTTP library sends `user-agent`, and
 * browsers send `accept`. Their absence is weak evidence on its own, so the weights are low; richer
 * header analysis builds on these.
 */
import type { Signal } from '../types.ts';

/** No `user-agent` header, or an empty one. */
export const noUserAgent: Signal = {
  name: 'headers.no-user-agent',
  weight: 30,
  detect: (ctx) => {
    const ua = ctx.header('user-agent');
    return ua === undefined || ua.trim() === '' ? 'no user-agent header' : null;
  },
};

/** No `accept` header. */
export const noAccept: Signal = {
  name: 'headers.no-accept',
  weight: 10,
  detect: (ctx) => (ctx.header('accept') === undefined ? 'no accept header' : null),
};
