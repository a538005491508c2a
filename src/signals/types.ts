/**
 * The extension point for signals: a named, explainable finding about a request with a risk weight.
 * Signals are computed lazily, only when a rule's condition (or the risk score) needs them, and at most
 * once per request.
 */
import type { RequestContext } from '../engine/request-context.ts';
import type { SharedTrackers } from '../stores/types.ts';

/**
 * A detector. `detect` returns a short detail string when the finding applies (it goes into the
 * decision's reasons as `signal:<name>` and into logs), or null when it does not.
 *
 * @example
 * const noUserAgent: Signal = {
 *   name: 'headers.no-user-agent',
 *   weight: 30,
 *   detect: (ctx) => (ctx.header('user-agent') === undefined ? 'no user-agent header' : null),
 * };
 */
export interface Signal {
  /** Dotted, stable name: `headers.no-user-agent`, `ip.datacenter`. Referenced by `signal:` conditions. */
  readonly name: string;
  /** Default contribution to the risk score, 0–100; the policy's `signals.<name>.weight` overrides it. */
  readonly weight: number;
  detect(ctx: RequestContext): string | null;
  /**
   * Optional: sees the upstream's response status (for detectors that count failures). `shared` is
   * the store's state shared between instances (HotStore.trackers), null when the store has none.
   */
  observe?(ctx: RequestContext, status: number, shared: SharedTrackers | null): void;
  /**
   * Optional, for signals that send what they learn to `shared` in the background: resolves once
   * all of it is sent and the store's answer taken in (or the store failed). Never rejects.
   */
  settle?(): Promise<void>;
}

/** A signal that fired for one request. */
export interface Finding {
  readonly signal: string;
  readonly weight: number;
  readonly detail: string;
}
