/**
 * What a front door reports about each finished request, for the decision log and metrics.
 * The gateway calls every observer once per request, after the response has been sent (or the
 * connection ended). Observers must not throw and must not block.
 */
import type { Decision } from '../engine/decision.ts';

/** How a request that reached the proxy stage ended, when it did not end with an upstream answer. */
export type UpstreamFailure = 'unreachable' | 'timeout' | 'aborted' | 'error';

export interface RequestRecord {
  /** Wall-clock time the request arrived (ms since epoch). */
  readonly startedAt: number;
  readonly decision: Decision;
  /** Status sent to the client (the upstream's, or Rampart's own: 429, 403, 413, 502, 504…). */
  readonly status: number;
  /** The upstream's status when the request was forwarded and answered; null otherwise. */
  readonly upstreamStatus: number | null;
  /** Why the upstream gave no answer, if it did not. */
  readonly upstreamFailure: UpstreamFailure | null;
  /** Time spent deciding, in seconds (for the latency histogram). */
  readonly decisionSeconds: number;
  /** Time from forwarding to the upstream's response headers, in seconds; null when not forwarded. */
  readonly upstreamSeconds: number | null;
  /** The route template of the rule that decided, or of the first matching rule; null if none matched. */
  readonly route: string | null;
}

/** A consumer of request records: the decision log, metrics, and later the dashboard. */
export interface RequestObserver {
  onRequest(record: RequestRecord): void;
  /** Flushes and releases resources (called on shutdown). */
  close?(): Promise<void>;
}
