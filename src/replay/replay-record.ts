/**
 * One recorded request, whatever log it came from: what replay feeds the engine. Log readers
 * (jsonl-reader.ts, nginx-reader.ts) turn a line into one of these or into an error.
 */

export interface ReplayRecord {
  /** When the request arrived, ms since the epoch: replay's clock. */
  readonly ts: number;
  /** The address that sent it (the gateway's log holds the resolved client IP). */
  readonly ip: string;
  readonly method: string;
  /** Path and query as sent. */
  readonly url: string;
  /** Lower-case header names. */
  readonly headers: Readonly<Record<string, string>>;
  /** Parsed JSON body, when the log has one. */
  readonly body?: unknown;
  /** What the upstream answered; null when the log does not say. */
  readonly status: number | null;
}

/** A line read: a record, or why it could not be read. */
export type ParsedLine = { readonly ok: true; readonly record: ReplayRecord } | { readonly ok: false; readonly error: string };
