/**
 * Signals found by name. The engine is given a list; built-ins are registered by default.
 */
import { createBehaviourSignals } from './behaviour/client-behaviour.ts';
import { browserMismatch, headerOrder } from './headers/browser-consistency.ts';
import { noAccept, noUserAgent } from './headers/missing-headers.ts';
import { createLoginAttackSignal } from './logins/login-attack.ts';
import type { Signal } from './types.ts';
import { clientImpostor, uaBot, uaHeadless, uaHttpClient, uaScanner } from './user-agent/user-agent-signals.ts';
import { createBotVerifier } from './verified-bots/bot-verifier.ts';
import type { BotVerifier } from './verified-bots/bot-verifier.ts';
import { createVerifiedBotSignals } from './verified-bots/verified-bot-signals.ts';

export interface BuiltinSignalOptions {
  /** Checks crawlers' addresses by DNS. Default: one verifier per process on the system resolver. */
  botVerifier?: BotVerifier;
}

let defaultVerifier: BotVerifier | null = null;

/** A verifier that starts no lookup until the first request needs one. */
const lazyDefaultVerifier: BotVerifier = {
  status: (crawler, ip) => (defaultVerifier ??= createBotVerifier()).status(crawler, ip),
  stats: () => defaultVerifier?.stats() ?? { cached: 0, inFlight: 0, lookups: 0 },
};

/**
 * The built-in signals, with a chosen crawler verifier (replay passes `offlineBotVerifier`).
 * Default weights are listed in docs/detection.md.
 *
 * @example
 * createEngine({ policy, signals: builtinSignalsWith({ botVerifier: offlineBotVerifier }) });
 */
export function builtinSignalsWith(options: BuiltinSignalOptions = {}): readonly Signal[] {
  return [
    noUserAgent,
    noAccept,
    uaBot,
    uaScanner,
    uaHeadless,
    uaHttpClient,
    clientImpostor,
    browserMismatch,
    headerOrder,
    ...createVerifiedBotSignals(options.botVerifier ?? lazyDefaultVerifier),
    // Stateful: fresh trackers for every list, so every engine learns its own baseline and clients.
    createLoginAttackSignal(),
    ...createBehaviourSignals(),
  ];
}

/**
 * The built-in signals as one shared list (its login-attack tracker is shared by every engine given
 * this list). Engines created without `signals` get a fresh {@link builtinSignalsWith} list each.
 */
export const builtinSignals: readonly Signal[] = builtinSignalsWith();

/** Indexes signals by name; a later signal with the same name replaces an earlier one. */
export function indexSignals(signals: readonly Signal[]): ReadonlyMap<string, Signal> {
  const map = new Map<string, Signal>();
  for (const s of signals) map.set(s.name, s);
  return map;
}
