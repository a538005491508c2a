/**
 * Streams a log as lines: a file path or `-` for stdin, gzip-compressed or not. Memory stays
 * bounded whatever the file size or line length: one read chunk plus at most one line of
 * {@link MAX_LINE_LENGTH} characters.
 */
import { createReadStream } from 'node:fs';
import { Readable, pipeline } from 'node:stream';
import { StringDecoder } from 'node:string_decoder';
import { createGunzip } from 'node:zlib';

/** Longest line yielded whole, in characters; a longer one is cut here and ends with {@link TRUNCATED_LINE_MARKER}. */
export const MAX_LINE_LENGTH = 1024 * 1024;

/**
 * Ends a line cut at {@link MAX_LINE_LENGTH}. The NUL makes it invalid in every format replay
 * reads, so a parser that misses the marker still rejects the line rather than reading half of it.
 */
export const TRUNCATED_LINE_MARKER = '\u0000[truncated: line longer than 1 MiB]';

/** True for a line {@link readLines} had to cut. */
export function isTruncatedLine(line: string): boolean {
  return line.length > MAX_LINE_LENGTH && line.endsWith(TRUNCATED_LINE_MARKER);
}

// Large reads: a replay log is read front to back once, and fewer chunks mean fewer decoder calls.
const READ_CHUNK = 256 * 1024;

/**
 * The lines of a log file, or of stdin when `input` is `-`. Gzip input (a `.gz` name or the gzip
 * magic bytes) is decompressed on the fly. Lines are split on `\n` with a trailing `\r` removed;
 * empty lines are yielded too, so that line numbers match the input. A final line without `\n`
 * is yielded; a final `\n` does not add an empty line.
 *
 * @param stdin What `-` reads; tests pass their own stream.
 * @example
 * for await (const line of readLines('access.log.gz')) handle(parseNginxLine(line));
 */
export function readLines(input: string, stdin: AsyncIterable<Uint8Array | string> = process.stdin): AsyncIterable<string> {
  return flatten(readLineBatches(input, stdin));
}

/**
 * {@link readLines} a read chunk at a time: the same lines, in arrays. For a consumer that
 * handles each line synchronously, this saves the await per line, a good part of the cost of
 * reading a short line.
 *
 * @example
 * for await (const batch of readLineBatches('-')) for (const line of batch) handle(parseJsonlLine(line));
 */
export function readLineBatches(input: string, stdin: AsyncIterable<Uint8Array | string> = process.stdin): AsyncIterable<string[]> {
  if (input === '-') return split(bytesOf(stdin, false));
  return split(bytesOf(createReadStream(input, { highWaterMark: READ_CHUNK }), input.endsWith('.gz')));
}

/**
 * The lines of a byte stream, decompressing it when it is gzip (by magic bytes, or always when
 * `gzip` is true). {@link readLines} with the source already open.
 *
 * @example
 * for await (const line of linesOf(Readable.from([Buffer.from('a\nb\n')]))) seen.push(line);
 */
export function linesOf(source: AsyncIterable<Uint8Array | string>, gzip = false): AsyncIterable<string> {
  return flatten(split(bytesOf(source, gzip)));
}

// A hand-written iterator rather than an async generator: lines are handed out of the current
// batch without the generator's per-item queue and promise machinery.
function flatten(batches: AsyncIterable<string[]>): AsyncIterable<string> {
  return {
    [Symbol.asyncIterator](): AsyncIterator<string> {
      const source = batches[Symbol.asyncIterator]();
      let batch: string[] = [];
      let i = 0;
      const pull = async (): Promise<IteratorResult<string>> => {
        for (;;) {
          const next = await source.next();
          if (next.done === true) return { done: true, value: undefined };
          batch = next.value;
          i = 0;
          if (batch.length > 0) return { done: false, value: batch[i++]! };
        }
      };
      return {
        next: () => (i < batch.length ? Promise.resolve({ done: false, value: batch[i++]! }) : pull()),
        return: async () => {
          batch = [];
          await source.return?.();
          return { done: true, value: undefined };
        },
      };
    },
  };
}

/** The source's bytes, gunzipped when they are gzip. */
async function* bytesOf(source: AsyncIterable<Uint8Array | string>, gzip: boolean): AsyncGenerator<Buffer> {
  const iterator = source[Symbol.asyncIterator]();
  const first = await iterator.next();
  if (first.done === true) return;
  const head = toBuffer(first.value);
  yield* gzip || isGzip(head) ? gunzip(head, iterator) : rest(head, iterator);
}

function toBuffer(chunk: Uint8Array | string): Buffer {
  return typeof chunk === 'string' ? Buffer.from(chunk, 'utf8') : Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
}

// A first chunk of one byte can only be checked on that byte; a gzip stream's first read is
// never that short in practice, and a one-byte plain file is one character either way.
function isGzip(head: Buffer): boolean {
  return head.length >= 2 && head[0] === 0x1f && head[1] === 0x8b;
}

// Closes the source when the reader stops early, so an abandoned file does not keep its descriptor.
async function* rest(head: Buffer, iterator: AsyncIterator<Uint8Array | string>): AsyncGenerator<Buffer> {
  let done = false;
  try {
    yield head;
    for (let next = await iterator.next(); next.done !== true; next = await iterator.next()) yield toBuffer(next.value);
    done = true;
  } finally {
    if (!done) await iterator.return?.();
  }
}

// Node's gunzip reads concatenated members too, so logrotate's appended archives come out whole.
function gunzip(head: Buffer, iterator: AsyncIterator<Uint8Array | string>): AsyncIterable<Buffer> {
  // pipeline, not pipe: a read error in the source must reach the gunzip stream being iterated.
  return pipeline(Readable.from(rest(head, iterator), { objectMode: false }), createGunzip(), noop);
}

// pipeline wants a callback; the error itself surfaces through the iterated stream.
function noop(): void {}

// V8 puts a string of 128 KiB or more in large-object space, where making one costs far more per byte
// than a smaller one. So a read chunk is decoded in slices below that size (replay went from ~100k to
// ~200k records/s with this: `npm run bench:replay`, BENCHMARKS.md).
const DECODE_SLICE = 64 * 1024;

async function* split(bytes: AsyncIterable<Buffer>): AsyncGenerator<string[]> {
  const decoder = new StringDecoder('utf8');
  const state: SplitState = { pending: '', cut: false, first: true };
  for await (const chunk of bytes) {
    const batch: string[] = [];
    for (let at = 0; at < chunk.length; at += DECODE_SLICE) {
      splitText(decoder.write(at === 0 && chunk.length <= DECODE_SLICE ? chunk : chunk.subarray(at, at + DECODE_SLICE)), state, batch);
    }
    if (batch.length > 0) yield batch;
  }
  const pending = state.pending + decoder.end();
  if (state.cut) yield [pending];
  else if (pending.length > 0) yield [pending.length > MAX_LINE_LENGTH ? truncate(pending) : stripCr(pending)];
}

interface SplitState {
  /** The start of a line whose `\n` has not come yet. */
  pending: string;
  /** Once a line is past the limit, the rest of it is dropped until its `\n`. */
  cut: boolean;
  first: boolean;
}

/** Appends the lines `text` completes to `batch`, keeping an unfinished last line in `state`. */
function splitText(text: string, state: SplitState, batch: string[]): void {
  if (state.first && text.length > 0) {
    state.first = false;
    if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
  }
  let pending = state.pending;
  let cut = state.cut;
  let start = 0;
  let nl = text.indexOf('\n');
  while (nl !== -1) {
    if (cut) {
      batch.push(pending);
      cut = false;
    } else if (pending.length === 0) {
      batch.push(nl - start > MAX_LINE_LENGTH ? truncate(text.slice(start, nl)) : withoutCr(text, start, nl));
    } else {
      const line = pending + text.slice(start, nl);
      batch.push(line.length > MAX_LINE_LENGTH ? truncate(line) : stripCr(line));
    }
    pending = '';
    start = nl + 1;
    nl = text.indexOf('\n', start);
  }
  if (!cut && start < text.length) {
    pending = start === 0 ? pending + text : pending + text.slice(start);
    if (pending.length > MAX_LINE_LENGTH) {
      pending = truncate(pending);
      cut = true;
    }
  }
  state.pending = pending;
  state.cut = cut;
}

function withoutCr(text: string, start: number, end: number): string {
  if (end > start && text.charCodeAt(end - 1) === 13) end--;
  return text.slice(start, end);
}

function stripCr(line: string): string {
  return line.length > 0 && line.charCodeAt(line.length - 1) === 13 ? line.slice(0, -1) : line;
}

function truncate(line: string): string {
  return line.slice(0, MAX_LINE_LENGTH) + TRUNCATED_LINE_MARKER;
}
