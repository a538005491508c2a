/**
 * Signals found by name. The engine is given a list; built-ins are registered by default.
 */
import { browserMismatch, headerOrder } from './headers/browser-consistency.ts';
import { noAccept, noUserAgent } from './headers/missing-headers.ts';
import type { Signal } from './types.ts';
import { clientImpostor, uaBot, uaHeadless, uaHttpClient, uaScanner } from './user-agent/user-agent-signals.ts';

/** The signals every engine has unless told otherwise. Default weights are listed in docs/detection.md. */
export const builtinSignals: readonly Signal[] = [
  noUserAgent,
  noAccept,
  uaBot,
  uaScanner,
  uaHeadless,
  uaHttpClient,
  clientImpostor,
  browserMismatch,
  headerOrder,
];

/** Indexes signals by name; a later signal with the same name replaces an earlier one. */
export function indexSignals(signals: readonly Signal[]): ReadonlyMap<string, Signal> {
  const map = new Map<string, Signal>();
  for (const s of signals) map.set(s.name, s);
  return map;
}
