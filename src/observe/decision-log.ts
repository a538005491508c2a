/**
 * The decision log: one JSON line per request (see record-line.ts for the format), written to
 * stdout, stderr or a file through pino's destination (sonic-boom), with credentials replaced by
 * keyed hashes (see redact.ts). Refused and monitored requests are always logged; allowed ones are
 * sampled.
 */
import { closeSync, mkdirSync, openSync } from 'node:fs';
import { dirname } from 'node:path';
import { pino } from 'pino';
import { ErrorCode, RampartError } from '../errors.ts';
import type { Logger } from '../logger.ts';
import type { PolicyDocument } from '../policy/schema.ts';
import { createRedactor } from './redact.ts';
import { RecordLineWriter } from './record-line.ts';
import type { RequestObserver, RequestRecord } from './request-observer.ts';

/** The policy's `log.decisions` section (validated, defaults applied). */
export type DecisionLogConfig = PolicyDocument['log']['decisions'];

/** Where the policy reads API keys from. */
export interface ApiKeySecrets {
  apiKeyHeader?: string | undefined;
  apiKeyQuery?: string | undefined;
}

export interface DecisionLogOptions {
  /** Write here instead of `config.to` (tests). The caller owns it: `close()` does not end it. */
  destination?: NodeJS.WritableStream;
  /** Random source in [0, 1) for sampling allowed requests (tests). Default `Math.random`. */
  random?: () => number;
  /** The policy's API key header (`identities.api_key.header`): its value is hashed too. */
  apiKeyHeader?: string | undefined;
  /** The policy's API key query parameter (`identities.api_key.query`): its value is hashed too. */
  apiKeyQuery?: string | undefined;
  /** Where write failures and dropped lines are reported. Default: nowhere. */
  logger?: Logger;
}

/** A request observer that writes the decision log; `close()` flushes it. */
export interface DecisionLog extends RequestObserver {
  /**
   * Where API keys are read from changed (a policy reload): hash them there from now on. Without it a
   * reload that renames the API-key header would let keys reach the log in clear.
   */
  updateSecrets(secrets: ApiKeySecrets): void;
  close(): Promise<void>;
}

/**
 * Lines waiting for a slow destination (a stalled pipe, a full disk) are capped here; past it,
 * lines are dropped and counted rather than letting the gateway's memory grow.
 */
export const MAX_BUFFERED_BYTES = 16 * 1024 * 1024;

const FILE_MODE = 0o640;

interface Sink {
  write(line: string): void;
  close(): Promise<void>;
}

/**
 * Creates the decision log. Hash key: `config.hash_key`, or else 32 random bytes drawn once per
 * process (hashes then correlate within one run only; set a key to correlate across restarts and
 * instances). `config.enabled: false` gives an observer that does nothing.
 *
 * @example
 * const log = createDecisionLog(policy.log.decisions, { apiKeyHeader: policy.identities.api_key.header });
 * const gateway = createGateway({ engine, config, observers: [log] });
 * // on shutdown:
 * await log.close();
 */
export function createDecisionLog(config: DecisionLogConfig, options: DecisionLogOptions = {}): DecisionLog {
  if (!config.enabled) return { onRequest() {}, updateSecrets() {}, close: () => Promise.resolve() };
  const sample = config.sample_allowed;
  if (typeof sample !== 'number' || !(sample >= 0 && sample <= 1)) {
    throw new RampartError(ErrorCode.INVALID_ARGUMENT, `log.decisions.sample_allowed must be a number from 0 to 1, got ${String(sample)}`);
  }
  const writerFor = (secrets: ApiKeySecrets): RecordLineWriter => {
    const headers = [...config.redact_headers];
    if (secrets.apiKeyHeader !== undefined) headers.push(secrets.apiKeyHeader);
    const fields = [...config.redact_body_fields];
    if (secrets.apiKeyQuery !== undefined) fields.push(secrets.apiKeyQuery);
    return new RecordLineWriter(createRedactor({ hashKey: config.hash_key, headers, fields }));
  };
  let writer = writerFor(options);
  const random = options.random ?? Math.random;
  const logger = options.logger;
  const sink = options.destination === undefined ? openDestination(config.to, logger) : streamSink(options.destination);
  let closed = false;

  return {
    onRequest(record: RequestRecord): void {
      if (closed) return;
      const d = record.decision;
      if (d.action === 'allow' && !d.monitor && sample < 1 && !(random() < sample)) return;
      let line: string;
      try {
        line = writer.line(record);
      } catch (err) {
        // A body the serialiser cannot read (a throwing getter from some middleware) costs its
        // line, never the request.
        logger?.warn({ err }, 'decision log: record could not be serialised');
        return;
      }
      sink.write(line);
    },
    updateSecrets(secrets: ApiKeySecrets): void {
      writer = writerFor(secrets);
    },
    close(): Promise<void> {
      if (closed) return Promise.resolve();
      closed = true;
      return sink.close();
    },
  };
}

/**
 * `stdout` → fd 1, `stderr` → fd 2, anything else is a file path, appended to (directories
 * created; a new file gets mode 0640: the log holds IPs and user names).
 *
 * @example
 * destinationFor('stderr'); // { fd: 2 }
 * destinationFor('/var/log/rampart/decisions.jsonl'); // { file: '/var/log/rampart/decisions.jsonl' }
 */
export function destinationFor(to: string): { fd: 1 | 2 } | { file: string } {
  if (to === 'stdout') return { fd: 1 };
  if (to === 'stderr') return { fd: 2 };
  return { file: to };
}

function openDestination(to: string, logger: Logger | undefined): Sink {
  const where = destinationFor(to);
  // sonic-boom opens files asynchronously; open once here so that an unwritable path fails at
  // start-up (or reload) with a config error instead of silently logging nothing.
  if ('file' in where) {
    try {
      mkdirSync(dirname(where.file), { recursive: true });
      closeSync(openSync(where.file, 'a', FILE_MODE));
    } catch (err) {
      const message = `cannot write the decision log to ${where.file}: ${err instanceof Error ? err.message : String(err)}`;
      throw new RampartError(ErrorCode.INVALID_CONFIG, message, { cause: err, issues: [{ path: 'log.decisions.to', message }] });
    }
  }
  const dest = pino.destination({
    ...('fd' in where ? { dest: where.fd } : { dest: where.file, append: true, mkdir: true, mode: FILE_MODE }),
    sync: false,
    maxLength: MAX_BUFFERED_BYTES,
  });
  let failed = false;
  let dropped = 0;
  dest.on('error', (err: Error) => {
    if (!failed) logger?.error({ err, to }, 'decision log: writing failed; no more lines will be written');
    failed = true;
  });
  dest.on('drop', () => {
    if (dropped++ % 10_000 === 0) logger?.warn({ to, dropped }, 'decision log: destination too slow, lines dropped');
  });
  return {
    write(line) {
      if (!failed) dest.write(line);
    },
    close() {
      return new Promise((resolve) => {
        if (failed) return resolve();
        dest.once('close', () => resolve());
        dest.once('error', () => resolve());
        dest.end();
      });
    },
  };
}

function streamSink(stream: NodeJS.WritableStream): Sink {
  return {
    write(line) {
      stream.write(line);
    },
    close: () => Promise.resolve(),
  };
}
