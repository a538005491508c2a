/**
 * `rampart replay --config <policy> --input <file|->`: what a policy would have done to recorded
 * traffic. Reads the gateway's decision log or an nginx access log (gzip or not), writes one decision
 * per record as JSON lines, and with `--summary` tells a person what happened on stderr.
 */
import { access, stat } from 'node:fs/promises';
import { constants, createWriteStream } from 'node:fs';
import { once } from 'node:events';
import { Writable } from 'node:stream';
import { pino } from 'pino';
import { loadPolicyFile } from '../policy/load-policy.ts';
import { DETECT_LINES, detectFormat } from '../replay/detect-format.ts';
import { parseJsonlLine } from '../replay/jsonl-reader.ts';
import { parseNginxLine } from '../replay/nginx-reader.ts';
import { readLineBatches, readLines } from '../replay/read-lines.ts';
import type { ParsedLine } from '../replay/replay-record.ts';
import { runReplay } from '../replay/replay-runner.ts';
import { formatSummary } from '../replay/replay-summary.ts';
import { ExitCode, parseCommandArgs, UsageError } from './args.ts';
import type { CliIo, Command } from './args.ts';
import { configErrorLines } from './config-report.ts';

const USAGE = 'rampart replay --config <policy> --input <file|-> [--format jsonl|nginx|auto] [--output <file|->] [--summary] [--labels <file>]';
const FORMATS = ['jsonl', 'nginx', 'auto'] as const;
type Format = (typeof FORMATS)[number];
const PARSERS: Readonly<Record<Exclude<Format, 'auto'>, (line: string) => ParsedLine>> = { jsonl: parseJsonlLine, nginx: parseNginxLine };
/** Progress redraws at most this often. */
const PROGRESS_MS = 100;

interface ReplayArgs {
  config: string;
  input: string;
  format: Format;
  output: string;
  summary: boolean;
  labels: string | undefined;
}

function replayArgs(args: readonly string[]): ReplayArgs {
  const { values } = parseCommandArgs(
    'replay',
    args,
    {
      config: { type: 'string', short: 'c' },
      input: { type: 'string', short: 'i' },
      format: { type: 'string', default: 'auto' },
      output: { type: 'string', short: 'o', default: '-' },
      summary: { type: 'boolean', default: false },
      labels: { type: 'string' },
    },
    0,
  );
  if (values.config === undefined || values.config === '') throw new UsageError(`replay needs --config <policy>: ${USAGE}`);
  if (values.input === undefined || values.input === '') throw new UsageError(`replay needs --input <file|->: ${USAGE}`);
  const format = values.format as Format;
  if (!FORMATS.includes(format)) throw new UsageError(`replay: --format must be jsonl, nginx or auto (found ${values.format})`);
  if (values.labels === '-' && values.input === '-') throw new UsageError('replay: --input and --labels cannot both read stdin');
  return { config: values.config, input: values.input, format, output: values.output, summary: values.summary, labels: values.labels };
}

/** Fails early, with one line, for a file that cannot be read: before any output is written. */
async function checkReadable(file: string, what: string): Promise<void> {
  if (file === '-') return;
  try {
    await access(file, constants.R_OK);
    if ((await stat(file)).isDirectory()) throw Object.assign(new Error('is a directory'), { code: 'EISDIR' });
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    const reason = code === 'ENOENT' ? 'no such file' : code === 'EACCES' ? 'permission denied' : code === 'EISDIR' ? 'is a directory' : (err as Error).message;
    throw new Error(`cannot read ${what} ${file}: ${reason}`);
  }
}

/** The first lines, looked at to pick the format, then put back in front of the rest. */
async function detect(batches: AsyncIterable<readonly string[]>): Promise<{ format: Exclude<Format, 'auto'>; lines: AsyncIterable<readonly string[]> }> {
  const iterator = batches[Symbol.asyncIterator]();
  const head: (readonly string[])[] = [];
  let sample = 0;
  let done = false;
  while (sample < DETECT_LINES) {
    const r = await iterator.next();
    if (r.done === true) {
      done = true;
      break;
    }
    head.push(r.value);
    for (const line of r.value) if (line.trim() !== '') sample++;
  }
  const format = detectFormat(head.flat().filter((line) => line.trim() !== '').slice(0, DETECT_LINES));
  // A plain iterator rather than a generator around the rest: a generator layer costs a promise per batch.
  let k = 0;
  const rest: AsyncIterator<readonly string[]> = {
    next: () => (k < head.length ? Promise.resolve({ value: head[k++]!, done: false }) : done ? Promise.resolve({ value: undefined, done: true }) : iterator.next()),
    return: async () => (await iterator.return?.()) ?? { value: undefined, done: true },
  };
  return { format, lines: { [Symbol.asyncIterator]: () => rest } };
}

/** process.stdout keeps its backpressure; a test's buffer gets a plain Writable in front of it. */
function stdoutStream(io: CliIo): Writable {
  if (io.stdout instanceof Writable) return io.stdout;
  return new Writable({
    write(chunk: Buffer | string, _encoding, callback) {
      io.stdout.write(String(chunk));
      callback();
    },
  });
}

async function openOutput(file: string): Promise<Writable> {
  const stream = createWriteStream(file);
  try {
    await once(stream, 'open');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new Error(`cannot write output file ${file}: ${code === 'ENOENT' ? 'no such directory' : code === 'EACCES' ? 'permission denied' : (err as Error).message}`);
  }
  return stream;
}

/** A one-line counter redrawn in place, when stderr is a terminal. */
function progress(io: CliIo): { update(records: number): void; clear(): void } | null {
  if ((io.stderr as { isTTY?: boolean }).isTTY !== true) return null;
  const started = performance.now();
  let last = 0;
  let drawn = false;
  return {
    update(records) {
      const now = performance.now();
      if (now - last < PROGRESS_MS) return;
      last = now;
      drawn = true;
      const rate = Math.round((records * 1000) / Math.max(1, now - started));
      io.stderr.write(`\r\x1b[Kreplay: ${records.toLocaleString('en-US')} records, ${rate.toLocaleString('en-US')} records/s`);
    },
    clear() {
      if (drawn) io.stderr.write('\r\x1b[K');
    },
  };
}

/**
 * Replays a log through a policy. Exit 0 when the run finished, even if some lines could not be
 * parsed (they get `error` output lines and one line on stderr); 1 for an unreadable or invalid
 * config, input, output or labels file; 2 for a usage error.
 *
 * @example
 * // rampart replay --config rampart.yaml --input access.log.gz --summary > decisions.jsonl
 */
export const replayCommand: Command = async (args, io) => {
  const options = replayArgs(args);
  let policy;
  try {
    policy = loadPolicyFile(options.config, { env: io.env });
  } catch (err) {
    const lines = configErrorLines(options.config, err);
    if (lines === null) throw err;
    io.stderr.write(`${lines.join('\n')}\n`);
    return ExitCode.FAILURE;
  }
  await checkReadable(options.input, 'input file');
  if (options.labels !== undefined) await checkReadable(options.labels, 'labels file');

  let lines: AsyncIterable<readonly string[]> = readLineBatches(options.input);
  let format = options.format;
  if (format === 'auto') ({ format, lines } = await detect(lines));
  const output = options.output === '-' ? stdoutStream(io) : await openOutput(options.output);
  // A reader that goes away (`| head`) ends the run; without a listener the EPIPE would crash it.
  let closedEarly = false;
  output.on('error', (err: NodeJS.ErrnoException) => {
    if (err.code === 'EPIPE') closedEarly = true;
  });
  const bar = progress(io);
  let stats;
  try {
    stats = await runReplay({
      policy,
      source: options.config,
      lines,
      parse: PARSERS[format],
      output,
      ...(options.labels === undefined ? {} : { labels: readLines(options.labels), labelsName: options.labels }),
      logger: pino({ level: 'warn', base: { name: 'rampart' } }, pino.destination({ fd: 2, sync: true })),
      notice: (message) => io.stderr.write(`rampart: ${message}\n`),
      ...(bar === null ? {} : { onProgress: bar.update }),
    });
  } catch (err) {
    if (closedEarly) return ExitCode.OK;
    // The policy loaded but does not compile (a bad route template, a duplicate name…).
    const problems = configErrorLines(options.config, err);
    if (problems === null) throw err;
    io.stderr.write(`${problems.join('\n')}\n`);
    return ExitCode.FAILURE;
  } finally {
    bar?.clear();
    if (options.output !== '-') {
      output.end();
      await once(output, 'finish').catch(() => undefined);
    }
  }
  if (stats.errors > 0) {
    const first = stats.firstError!;
    io.stderr.write(`rampart: ${stats.errors.toLocaleString('en-US')} line${stats.errors === 1 ? '' : 's'} could not be parsed (first, record ${first.i}: ${first.error})\n`);
  }
  if (options.summary) io.stderr.write(formatSummary(stats));
  return ExitCode.OK;
};
