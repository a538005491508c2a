/**
 * Reading a JSON request body into memory, for the routes whose rules read a body field. Bounded:
 * the first byte past the limit stops the reading (the caller answers 413), so a client can never
 * make the gateway hold more than `max_body_bytes` of one body.
 *
 * Listeners are module functions that find their state on the request, not closures made per request.
 */
import type { IncomingMessage } from 'node:http';

/** Receives the outcome of {@link readJsonBody}; exactly one method is called, at most once. */
export interface BodySink {
  /** The whole body; `parsed` is its JSON value, or undefined when it is empty or not valid JSON. */
  bodyRead(bytes: Buffer, parsed: unknown): void;
  /** The body grew past the limit; reading has stopped and the request stream is paused. */
  bodyTooLarge(): void;
}

const kReader = Symbol('rampart.bodyReader');

class BodyReader {
  readonly sink: BodySink;
  readonly max: number;
  chunks: Buffer[] = [];
  size = 0;

  constructor(sink: BodySink, max: number) {
    this.sink = sink;
    this.max = max;
  }
}

type Carrier = IncomingMessage & { [kReader]: BodyReader };

const EMPTY = Buffer.alloc(0);

/**
 * True for JSON media types (`application/json`, `application/vnd.api+json`, `text/json`…).
 *
 * @example
 * isJsonContentType('application/json; charset=utf-8') // true
 */
export function isJsonContentType(value: string | undefined): boolean {
  return value !== undefined && (value.includes('json') || value.toLowerCase().includes('json'));
}

/**
 * Parses JSON bytes; undefined when empty or invalid (the request still proceeds, and rules that
 * read a body field see it as missing). A UTF-8 byte-order mark is skipped.
 *
 * @example
 * parseJsonBody(Buffer.from('{"username":"alice"}')) // { username: 'alice' }
 * parseJsonBody(Buffer.from('{oops'))                // undefined
 */
export function parseJsonBody(bytes: Buffer): unknown {
  if (bytes.length === 0) return undefined;
  const start = bytes.length >= 3 && bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf ? 3 : 0;
  try {
    return JSON.parse(bytes.toString('utf8', start));
  } catch {
    return undefined;
  }
}

/**
 * Reads `req`'s body up to `max` bytes and reports to `sink`. The caller checks a declared
 * `Content-Length` against `max` first (413 without reading a byte); this catches chunked bodies.
 * If the client goes away mid-body, neither sink method is called (the response's `close` event
 * tells the caller).
 *
 * @example
 * readJsonBody(req, 1_048_576, { bodyRead: (bytes, json) => decide(json), bodyTooLarge: () => reply413() });
 */
export function readJsonBody(req: IncomingMessage, max: number, sink: BodySink): void {
  (req as Carrier)[kReader] = new BodyReader(sink, max);
  req.on('data', onData);
  req.on('end', onEnd);
}

function onData(this: Carrier, chunk: Buffer): void {
  const reader = this[kReader];
  reader.size += chunk.length;
  if (reader.size > reader.max) {
    this.off('data', onData);
    this.off('end', onEnd);
    this.pause();
    reader.chunks = [];
    reader.sink.bodyTooLarge();
    return;
  }
  reader.chunks.push(chunk);
}

function onEnd(this: Carrier): void {
  const reader = this[kReader];
  const chunks = reader.chunks;
  const bytes = chunks.length === 0 ? EMPTY : chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks, reader.size);
  reader.chunks = [];
  reader.sink.bodyRead(bytes, parseJsonBody(bytes));
}
