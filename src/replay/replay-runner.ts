/**
 * Runs a policy over recorded requests at the speed of the CPU: the log's timestamps drive a
 * VirtualClock, counters live in a memory store, and every record is decided, then the recorded
 * status is observed, exactly as the gateway does live. One output line per record, in order.
 *
 * No I/O of its own: lines come in, output lines go to the Writable it is given, with backpressure,
 * so memory stays flat whatever the size of the log.
 */
import { builtinSignalsWith } from '../signals/registry.ts';
import { offlineBotVerifier } from '../signals/verified-bots/bot-verifier.ts';
import type { Writable } from 'node:stream';
import { createEngine } from '../engine/engine.ts';
import { VirtualClock } from '../engine/clock.ts';
import type { Action, Decision } from '../engine/decision.ts';
import { ErrorCode, RampartError } from '../errors.ts';
import { silentLogger } from '../logger.ts';
import type { Logger } from '../logger.ts';
import { createIpPrefixKey } from '../net/prefix.ts';
import type { PolicyDocument } from '../policy/schema.ts';
import { asEnforced } from './as-enforced.ts';
import type { ParsedLine } from './replay-record.ts';
import { TopCounter } from './top-counter.ts';
import type { TopEntry } from './top-counter.ts';

export interface ReplayOptions {
  /** The policy as loaded; replay enforces it whatever its monitor flags say (see as-enforced.ts). */
  readonly policy: PolicyDocument;
  /** The input, one line each or in batches (`readLineBatches`); blank lines are skipped and are not records. */
  readonly lines: AsyncIterable<string | readonly string[]> | Iterable<string>;
  /** Turns a line into a record or an error (jsonl-reader.ts, nginx-reader.ts). */
  readonly parse: (line: string) => ParsedLine;
  /** Where the output lines go. Not ended: the caller owns it. */
  readonly output: Writable;
  /** One `{"malicious":true|false}` per record, in lockstep with `lines` (blank lines skipped). */
  readonly labels?: AsyncIterable<string> | Iterable<string>;
  /** The labels' name in error messages. Default `labels`. */
  readonly labelsName?: string;
  /** The engine's logger (store or signal failures). Default: silent. */
  readonly logger?: Logger;
  /** The policy file: relative intel paths are relative to its directory. */
  readonly source?: string;
  /** Told once, before the first record, about what replay does differently from the policy file. */
  readonly notice?: (message: string) => void;
  /** Called every {@link PROGRESS_EVERY} records with the count so far; the caller throttles drawing. */
  readonly onProgress?: (records: number) => void;
}

/** How the mitigated decisions compare with labels. Ratios are null when their denominator is 0. */
export interface LabelScore {
  readonly truePositives: number;
  readonly falsePositives: number;
  readonly trueNegatives: number;
  readonly falseNegatives: number;
  /** Of the mitigated records, the share labelled malicious. */
  readonly precision: number | null;
  /** Of the malicious records, the share mitigated. */
  readonly recall: number | null;
  /** Of the benign records, the share mitigated. */
  readonly falsePositiveRate: number | null;
}

/** What a run did, for the summary. */
export interface ReplayStats {
  /** Records read (non-blank lines), including those that could not be parsed. */
  readonly records: number;
  /** Records that could not be parsed (each gave an `error` output line). */
  readonly errors: number;
  /** The first unparsable record, to show what went wrong. */
  readonly firstError: { readonly i: number; readonly error: string } | null;
  readonly actions: Readonly<Record<Action, number>>;
  /** Decisions per deciding rule. */
  readonly rules: ReadonlyMap<string, number>;
  /** Decisions whose rule is monitored in the policy file (reported with `"monitor":true`). */
  readonly monitored: number;
  /** The rules in `rules` that are monitored in the policy file. */
  readonly monitoredRules: ReadonlySet<string>;
  /** Most mitigated client IPs and networks (`ip_prefix`), at most {@link TOP_N}. */
  readonly topIps: readonly TopEntry[];
  readonly topPrefixes: readonly TopEntry[];
  /** Most mitigated ASNs (`AS16509 Amazon.com, Inc.`); null when the policy has no ASN source. */
  readonly topAsns: readonly TopEntry[] | null;
  readonly elapsedMs: number;
  readonly recordsPerSecond: number;
  /** Null without labels. */
  readonly labels: LabelScore | null;
}

/** Progress callbacks come this often, in records. */
export const PROGRESS_EVERY = 4096;
/** Identities listed in the summary. */
export const TOP_N = 10;
/** Counters per identity kind: memory is fixed; any identity with more than 1/1000 of the mitigated records is listed exactly enough. */
const TOP_CAPACITY = 1000;
/** Output is written in chunks of about this many characters. */
const CHUNK = 64 * 1024;

/**
 * Runs `policy` over `lines`, writing one JSON line per record to `output`:
 * `{"i":0,"action":"allow","rule":null,"reasons":[],"risk":0}`, with `"monitor":true` when the
 * deciding rule is monitored in the policy file, or `{"i":3,"error":"…"}` for a line that does not parse.
 *
 * @throws RampartError INVALID_ARGUMENT when a label line is malformed or the labels and the records
 *   differ in number (the output written so far stays written).
 * @example
 * const stats = await runReplay({ policy, lines: readLines('access.log.gz'), parse: parseNginxLine, output: process.stdout });
 * process.stderr.write(formatSummary(stats));
 */
export async function runReplay(options: ReplayOptions): Promise<ReplayStats> {
  const started = performance.now();
  const { policy, monitored, ignoredStores } = asEnforced(options.policy);
  if (ignoredStores.length > 0) {
    options.notice?.(`replay uses the memory store with the log's timestamps as the clock, not the policy's state.${ignoredStores.join(', state.')} (never a production store)`);
  }
  const clock = new VirtualClock();
  // Replay contacts nothing: crawler claims are not checked by DNS (bot.verified and bot.fake stay silent).
  const signals = builtinSignalsWith({ botVerifier: offlineBotVerifier });
  const engine = createEngine({ policy, clock, logger: options.logger ?? silentLogger, signals, ...(options.source === undefined ? {} : { source: options.source }) });
  const intel = engine.intel;
  // Replay never fetches: URL sources answer from their disk cache, or not at all.
  const feeds = intel?.sources.filter((s) => s.url !== null) ?? [];
  if (feeds.length > 0) {
    const state = feeds.map((s) => `${s.name} (${s.loadedAt === null ? 'no cached copy: unused' : `cached ${new Date(s.loadedAt).toISOString()}`})`);
    options.notice?.(`replay does not fetch intel feeds; it uses the disk cache of ${state.join(', ')}`);
  }
  const topAsns = intel?.hasAsnSource === true ? new TopCounter(TOP_CAPACITY) : null;
  const prefixOf = createIpPrefixKey({ v4Bits: policy.client_ip.ipv4_prefix, v6Bits: policy.client_ip.ipv6_prefix });
  const parse = options.parse;
  const onProgress = options.onProgress;
  const out = new ChunkedWriter(options.output);
  const labels = options.labels === undefined ? null : new LabelReader(options.labels, options.labelsName ?? 'labels');

  const actions: Record<Action, number> = { allow: 0, deny: 0, throttle: 0, challenge: 0, tarpit: 0 };
  const rules = new Map<string, number>();
  const topIps = new TopCounter(TOP_CAPACITY);
  const topPrefixes = new TopCounter(TOP_CAPACITY);
  const score = { tp: 0, fp: 0, tn: 0, fn: 0 };
  let records = 0;
  let errors = 0;
  let firstError: { i: number; error: string } | null = null;
  let monitoredCount = 0;

  /** Decides one non-blank line and returns its output line. Synchronous: replay's store is memory. */
  const decideLine = (line: string, malicious: boolean | null): string => {
    const i = records++;
    if (onProgress !== undefined && records % PROGRESS_EVERY === 0) onProgress(records);
    const parsed = parse(line);
    if (!parsed.ok) {
      errors++;
      firstError ??= { i, error: parsed.error };
      return '{"i":' + i + ',"error":' + JSON.stringify(parsed.error) + '}\n';
    }
    const record = parsed.record;
    // The clock never goes back: a record older than the one before it (logs from several
    // workers interleave by a few ms) is decided at the latest time seen.
    clock.set(record.ts);
    const decision = engine.evaluate(record);
    if (decision instanceof Promise) throw new RampartError(ErrorCode.INTERNAL, 'replay needs a synchronous store');
    const action = decision.action;
    if (action === 'allow') {
      if (record.status !== null) engine.observe(decision, record.status);
    } else {
      const ip = decision.context.clientIp;
      topIps.add(ip);
      topPrefixes.add(prefixOf(ip));
      if (topAsns !== null) {
        const answer = decision.context.intel();
        topAsns.add(answer === null || answer.asn === 0 ? 'unknown' : `AS${answer.asn} ${answer.org ?? ''}`.trimEnd());
      }
    }
    actions[action]++;
    const rule = decision.rule;
    let monitor = false;
    if (rule !== null) {
      rules.set(rule, (rules.get(rule) ?? 0) + 1);
      monitor = monitored(rule);
      if (monitor) monitoredCount++;
    }
    if (malicious !== null) {
      const mitigated = action !== 'allow';
      if (malicious && mitigated) score.tp++;
      else if (malicious) score.fn++;
      else if (mitigated) score.fp++;
      else score.tn++;
    }
    // Rule names are [A-Za-z0-9_.-] (the schema says so): they need no escaping.
    return (
      '{"i":' + i + ',"action":"' + action + '","rule":' + (rule === null ? 'null' : '"' + rule + '"') +
      ',"reasons":' + (decision.reasons.length === 0 ? '[]' : JSON.stringify(decision.reasons)) +
      ',"risk":' + decision.risk + (monitor ? ',"monitor":true}\n' : '}\n')
    );
  };

  for await (const item of options.lines) {
    // Readers hand out batches of lines (readLineBatches): a batch is decided without an await per
    // line; only labels and a full output buffer are waited for.
    const batch: readonly string[] = typeof item === 'string' ? [item] : item;
    for (const line of batch) {
      if (line.length === 0 || (line.charCodeAt(0) <= 32 && line.trim() === '')) continue;
      const malicious = labels === null ? null : await labels.next(records);
      const waiting = out.write(decideLine(line, malicious));
      if (waiting !== undefined) await waiting;
    }
  }
  if (labels !== null) await labels.end(records);
  await out.flush();
  await engine.close();

  const elapsedMs = performance.now() - started;
  return {
    records,
    errors,
    firstError,
    actions,
    rules,
    monitored: monitoredCount,
    monitoredRules: new Set([...rules.keys()].filter(monitored)),
    topIps: topIps.top(TOP_N),
    topPrefixes: topPrefixes.top(TOP_N),
    topAsns: topAsns === null ? null : topAsns.top(TOP_N),
    elapsedMs,
    recordsPerSecond: elapsedMs > 0 ? (records * 1000) / elapsedMs : 0,
    labels: labels === null ? null : labelScore(score),
  };
}

function ratio(a: number, b: number): number | null {
  return b === 0 ? null : a / b;
}

function labelScore(s: { tp: number; fp: number; tn: number; fn: number }): LabelScore {
  return {
    truePositives: s.tp,
    falsePositives: s.fp,
    trueNegatives: s.tn,
    falseNegatives: s.fn,
    precision: ratio(s.tp, s.tp + s.fp),
    recall: ratio(s.tp, s.tp + s.fn),
    falsePositiveRate: ratio(s.fp, s.fp + s.tn),
  };
}

/** Batches output lines into chunks and waits for `drain` when the stream's buffer is full. */
class ChunkedWriter {
  readonly #stream: Writable;
  #pending = '';

  constructor(stream: Writable) {
    this.#stream = stream;
  }

  /** Resolves at once unless a chunk went out and the stream asked us to wait. */
  write(text: string): Promise<void> | undefined {
    this.#pending += text;
    return this.#pending.length >= CHUNK ? this.flush() : undefined;
  }

  flush(): Promise<void> | undefined {
    if (this.#pending.length === 0) return undefined;
    const chunk = this.#pending;
    this.#pending = '';
    return this.#stream.write(chunk) ? undefined : drained(this.#stream);
  }
}

/** Waits for `drain`; a stream that fails or closes instead (a closed pipe) ends the run with its error. */
function drained(stream: Writable): Promise<void> {
  // Already failed or closed: no `drain` will ever come.
  if (stream.destroyed) return Promise.reject(stream.errored ?? new Error('output closed before replay finished'));
  return new Promise((resolve, reject) => {
    const done = (err?: unknown) => {
      stream.off('drain', onDrain);
      stream.off('error', onError);
      stream.off('close', onClose);
      if (err === undefined) resolve();
      else reject(err instanceof Error ? err : new Error(String(err)));
    };
    const onDrain = () => done();
    const onError = (err: unknown) => done(err);
    const onClose = () => done(new Error('output closed before replay finished'));
    stream.once('drain', onDrain);
    stream.once('error', onError);
    stream.once('close', onClose);
  });
}

/** Reads one label per record, in lockstep, and says clearly where the labels and records disagree. */
class LabelReader {
  readonly #lines: AsyncIterator<string>;
  readonly #name: string;
  #lineNo = 0;

  constructor(lines: AsyncIterable<string> | Iterable<string>, name: string) {
    this.#lines = (async function* () {
      yield* lines;
    })();
    this.#name = name;
  }

  async next(record: number): Promise<boolean> {
    const line = await this.#nextLine();
    if (line === null) throw this.#error(`${this.#name} ended after ${record} labels, but the input has more records; give one label per record`);
    let value: unknown;
    try {
      value = JSON.parse(line);
    } catch {
      value = undefined;
    }
    const malicious = typeof value === 'object' && value !== null ? (value as { malicious?: unknown }).malicious : undefined;
    if (typeof malicious !== 'boolean') throw this.#error(`${this.#name}: line ${this.#lineNo}: expected {"malicious":true} or {"malicious":false}`);
    return malicious;
  }

  async end(records: number): Promise<void> {
    if ((await this.#nextLine()) !== null) throw this.#error(`${this.#name} has more labels than the input has records (${records}); give one label per record`);
  }

  async #nextLine(): Promise<string | null> {
    for (;;) {
      const r = await this.#lines.next();
      if (r.done === true) return null;
      this.#lineNo++;
      if (r.value.trim() !== '') return r.value;
    }
  }

  #error(message: string): RampartError {
    return new RampartError(ErrorCode.INVALID_ARGUMENT, message);
  }
}
