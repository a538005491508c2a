/**
 * One request through the gateway, from the client's head to the observers' record. The object is
 * also the undici dispatch handler for the upstream request, and node:http listeners reach it through
 * a symbol on the response, so a proxied request allocates this object, the header list, the engine's
 * request and decision, and nothing per request in the way of closures.
 *
 * Steps: head checks (431, 501, 400) → JSON body read into memory only when a rule needs a field
 * (413 past the limit) → engine decision (sync with the memory store) → refusal, or forward with the
 * body streamed → response head (hop-by-hop removed, RateLimit headers added) → body streamed with
 * backpressure both ways → one record to every observer when the response closes.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import type { Pool } from 'undici';
import type { CompiledPolicy } from '../engine/compile-policy.ts';
import type { Engine } from '../engine/engine.ts';
import type { Decision } from '../engine/decision.ts';
import type { RampartRequest } from '../engine/request-context.ts';
import { refusalFor, tarpitFullRefusal } from '../engine/respond.ts';
import type { RequestObserver, UpstreamFailure } from '../observe/request-observer.ts';
import { isJsonContentType, readJsonBody } from './body-buffer.ts';
import type { BodySink } from './body-buffer.ts';
import { peerAddress, upstreamHeaders } from './forwarded-headers.ts';
import type { TrustedPeers } from './forwarded-headers.ts';
import { gatewayDecision } from './gateway-decision.ts';
import type { GatewayReason } from './gateway-decision.ts';
import { GatewayRecord } from './gateway-record.ts';
import { responseHeaders } from './hop-by-hop.ts';
import { gatewayReply } from './replies.ts';
import type { GatewayStatus } from './replies.ts';

/** What an exchange needs from the gateway that runs it. */
export interface ExchangeHost {
  readonly engine: Engine;
  readonly pool: Pool;
  readonly observers: readonly RequestObserver[];
  /** `http` or `https`: how clients reach this listener (for `X-Forwarded-Proto`). */
  readonly proto: string;
  readonly maxHeaderFields: number;
  readonly maxBodyBytes: number;
  /** `timeouts.upstream` in ms (0 = none): deadline for the upstream's head, queueing included, and the longest a client may stall a response. */
  readonly upstreamTimeoutMs: number;
  readonly maxBufferedBytes: number;
  bufferedBytes: number;
  /** True once shutdown has begun: responses close their connection. */
  readonly closing: boolean;
  trustedPeers(policy: CompiledPolicy): TrustedPeers;
  /** Called once per request when its response has closed (finished or abandoned). */
  exchangeClosed(): void;
  upstreamFailed(failure: UpstreamFailure, err: Error): void;
  internalError(err: unknown, where: string): void;
}

/**
 * After a refusal, a request body up to this size is read and discarded so the connection can be
 * reused; a larger or chunked one closes the connection instead of reading megabytes for nothing.
 */
const DRAIN_LIMIT = 64 * 1024;

/** Status recorded for a request whose client left before any response was sent (nginx's convention). */
export const CLIENT_CLOSED_STATUS = 499;

const UNREACHABLE = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'EHOSTUNREACH', 'ENETUNREACH', 'ETIMEDOUT', 'UND_ERR_CONNECT_TIMEOUT']);

/** Shared: aborting the upstream request for a client that left needs no stack trace per request. */
const CLIENT_GONE = Object.assign(new Error('the client closed the connection'), { code: 'RAMPART_CLIENT_GONE' });
const UPSTREAM_LATE = Object.assign(new Error('no response head from the upstream within timeouts.upstream'), { code: 'RAMPART_UPSTREAM_TIMEOUT' });

const Phase = { HEAD: 0, READING: 1, DECIDING: 2, FORWARDED: 3, ANSWERED: 4 } as const;
type Phase = (typeof Phase)[keyof typeof Phase];

const kExchange = Symbol('rampart.exchange');
type Carrier = ServerResponse & { [kExchange]: Exchange };

/**
 * Handles one request on the gateway's server.
 *
 * @example
 * server.on('request', (req, res) => handleRequest(host, req, res));
 */
export function handleRequest(host: ExchangeHost, req: IncomingMessage, res: ServerResponse): void {
  const exchange = new Exchange(host, req, res);
  (res as Carrier)[kExchange] = exchange;
  res.on('close', onResponseClose);
  exchange.start();
}

function onResponseClose(this: Carrier): void {
  this[kExchange].closed();
}

function onResponseDrain(this: Carrier): void {
  const exchange = this[kExchange];
  exchange.clearTimer();
  exchange.resumeUpstream?.();
}

/**
 * Before the upstream's head: it is late (undici's own timer starts only once the request is written,
 * so time queued for a pooled connection would otherwise be unbounded). After it: the client has
 * accepted no response data for that long, and is holding an upstream connection hostage.
 */
function onExchangeTimer(exchange: Exchange): void {
  exchange.timer = null;
  if (exchange.upstreamStatus === null) exchange.upstreamLate();
  else exchange.clientStalled();
}

function errorCode(err: Error): string {
  const code = (err as { code?: unknown }).code;
  return typeof code === 'string' ? code : '';
}

class Exchange implements BodySink {
  readonly host: ExchangeHost;
  readonly req: IncomingMessage;
  readonly res: ServerResponse;
  /** Kept because undici detaches `req.socket` when it finishes with a streamed body. */
  readonly socket: Socket;
  readonly startedAt: number;
  readonly request: RampartRequest;
  policy: CompiledPolicy;
  phase: Phase = Phase.HEAD;
  hasBody = false;
  forwardHeaders: string[] | null = null;
  body: Buffer | IncomingMessage | null = null;
  decision: Decision | null = null;
  decisionSeconds = 0;
  upstreamStart = 0n;
  upstreamSeconds: number | null = null;
  upstreamStatus: number | null = null;
  failure: UpstreamFailure | null = null;
  upstreamOpen = false;
  abortUpstream: ((err?: Error) => void) | null = null;
  resumeUpstream: (() => void) | null = null;
  drainHooked = false;
  timer: NodeJS.Timeout | null = null;
  /** Bytes reserved against `maxBufferedBytes`, given back when the exchange ends. */
  reserved = 0;
  clientGone = false;
  isClosed = false;

  constructor(host: ExchangeHost, req: IncomingMessage, res: ServerResponse) {
    this.host = host;
    this.req = req;
    this.res = res;
    this.socket = req.socket;
    this.startedAt = Date.now();
    this.policy = host.engine.policy;
    this.request = { method: req.method ?? 'GET', url: req.url ?? '/', headers: req.headers, ip: req.socket.remoteAddress ?? '', body: undefined };
  }

  start(): void {
    const { req, host, request } = this;
    const raw = req.rawHeaders;
    const headers = req.headers;
    const length = headers['content-length'];
    this.hasBody = headers['transfer-encoding'] !== undefined || (length !== undefined && length !== '0');
    // Node's parser already answers 431 past maxHeadersCount; this holds if that limit is ever raised.
    if (raw.length > host.maxHeaderFields * 2) return this.refuse(431, 'too_many_headers');
    const upgrade = headers['upgrade'];
    if (upgrade !== undefined && /websocket/i.test(upgrade)) return this.refuse(501, 'upgrade_not_supported');
    const url = request.url;
    // Origin form (/path) or absolute form (http://host/path); undici cannot send `*`, and nothing else is HTTP.
    if (url.charCodeAt(0) !== 47 && !/^https?:\/\//i.test(url)) return this.refuse(400, 'bad_request');
    const forward = upstreamHeaders(raw, peerAddress(request.ip), host.proto, host.trustedPeers(this.policy));
    if (forward === null) return this.refuse(400, 'bad_request'); // more than one Host
    this.forwardHeaders = forward;

    if (this.hasBody && host.engine.needsBody(request.method, url) && isJsonContentType(headers['content-type'])) {
      if (length !== undefined && Number(length) > host.maxBodyBytes) return this.refuse(413, 'payload_too_large');
      // Reserve what the body may take (its declared length, or the per-body limit when chunked) against
      // the budget for all buffered bodies, so that many slow uploads at once cannot exhaust memory.
      const reserve = length !== undefined ? Number(length) : host.maxBodyBytes;
      if (host.bufferedBytes + reserve > host.maxBufferedBytes) return this.refuse(503, 'body_budget_exhausted');
      host.bufferedBytes += reserve;
      this.reserved = reserve;
      this.phase = Phase.READING;
      readJsonBody(req, host.maxBodyBytes, this);
      return;
    }
    if (this.hasBody) this.body = req;
    this.decide();
  }

  bodyRead(bytes: Buffer, parsed: unknown): void {
    if (this.clientGone) return;
    this.body = bytes.length === 0 ? null : bytes;
    this.request.body = parsed;
    this.decide();
  }

  bodyTooLarge(): void {
    if (this.clientGone) return;
    this.refuse(413, 'payload_too_large');
  }

  decide(): void {
    this.phase = Phase.DECIDING;
    const t0 = process.hrtime.bigint();
    let result: Decision | Promise<Decision>;
    try {
      result = this.host.engine.evaluate(this.request);
    } catch (err) {
      // The engine turns its own failures into decisions; this is the last guard against a bug.
      return this.failedToDecide(err);
    }
    if (result instanceof Promise) {
      result.then(
        (decision) => this.decided(decision, t0),
        (err: unknown) => this.failedToDecide(err),
      );
      return;
    }
    this.decided(result, t0);
  }

  failedToDecide(err: unknown): void {
    this.host.internalError(err, 'the engine failed to decide');
    this.decision = gatewayDecision(this.host.engine, this.request, 500, 'internal_error');
    if (this.clientGone) {
      this.phase = Phase.ANSWERED;
      if (this.isClosed) this.report();
      return;
    }
    this.reply(500);
  }

  decided(decision: Decision, t0: bigint): void {
    this.decisionSeconds = Number(process.hrtime.bigint() - t0) / 1e9;
    this.decision = decision;
    if (this.clientGone) {
      this.phase = Phase.ANSWERED;
      if (this.isClosed) this.report();
      return;
    }
    let refusal = refusalFor(decision);
    if (refusal === null) {
      if (decision.action !== 'tarpit') return this.forward();
      // Forwarded after the delay (unless the client leaves first), or answered at once when the tarpit is full.
      const tarpit = this.host.engine.tarpit;
      if (tarpit.hold(() => this.forward(), this.res)) return;
      refusal = tarpitFullRefusal(tarpit.whenFull);
      if (refusal === null) return this.forward();
    }
    this.phase = Phase.ANSWERED;
    if (this.mustClose()) refusal.headers['connection'] = 'close';
    this.send(refusal.status, refusal.headers, refusal.body);
  }

  forward(): void {
    if (this.clientGone) return;
    this.phase = Phase.FORWARDED;
    this.upstreamOpen = true;
    if (this.body === null && this.hasBody) this.body = this.req;
    this.upstreamStart = process.hrtime.bigint();
    const ms = this.host.upstreamTimeoutMs;
    if (ms > 0) this.timer = setTimeout(onExchangeTimer, ms, this);
    const request = this.request;
    this.host.pool.dispatch({ method: request.method, path: request.url, headers: this.forwardHeaders, body: this.body }, this);
  }

  /** The gateway answers on its own, before or instead of the engine. */
  refuse(status: GatewayStatus, reason: GatewayReason): void {
    this.decision ??= gatewayDecision(this.host.engine, this.request, status, reason);
    this.reply(status);
  }

  reply(status: GatewayStatus): void {
    const close = this.mustClose();
    this.phase = Phase.ANSWERED;
    const { headers, body } = gatewayReply(status, close);
    this.send(status, headers, body);
  }

  send(status: number, headers: Record<string, string>, body: string): void {
    const res = this.res;
    if (this.host.closing) res.shouldKeepAlive = false;
    res.writeHead(status, headers);
    res.end(body);
  }

  /** True when the client is still sending a body nobody will read: closing beats reading it all. */
  mustClose(): boolean {
    if (!this.hasBody || this.req.complete) return false;
    const length = this.req.headers['content-length'];
    return length === undefined || Number(length) > DRAIN_LIMIT || this.phase === Phase.READING;
  }

  observe(status: number): void {
    const decision = this.decision!;
    if (decision.pending.length > 0 || this.policy.observesResponses) this.host.engine.observe(decision, status);
  }

  // undici dispatch handler ------------------------------------------------------------------------

  onConnect(abort: (err?: Error) => void): void {
    this.abortUpstream = abort;
    if (this.clientGone) abort(CLIENT_GONE);
    else if (this.failure === 'timeout') abort(UPSTREAM_LATE); // answered 504 while still queued
  }

  clearTimer(): void {
    if (this.timer !== null) {
      clearTimeout(this.timer);
      this.timer = null;
    }
  }

  /** No response head within `timeouts.upstream` of forwarding, queueing included: 504. */
  upstreamLate(): void {
    if (this.phase !== Phase.FORWARDED || this.clientGone) return;
    this.failure = 'timeout';
    this.host.upstreamFailed('timeout', UPSTREAM_LATE);
    this.observe(504);
    this.reply(504);
    // Connected: abort now (onError sees the reply already sent). Still queued: onConnect aborts.
    this.abortUpstream?.(UPSTREAM_LATE);
  }

  /** The client stopped reading the response: cut it, which frees the upstream connection. */
  clientStalled(): void {
    this.failure ??= 'aborted';
    this.socket.destroy();
  }

  onHeaders(statusCode: number, rawHeaders: Buffer[], resume: () => void): boolean {
    if (statusCode < 200) return true; // 1xx (103 Early Hints…) are not passed on
    if (this.phase !== Phase.FORWARDED) return false; // already answered 504: drop the late head
    this.clearTimer();
    this.upstreamSeconds = Number(process.hrtime.bigint() - this.upstreamStart) / 1e9;
    this.upstreamStatus = statusCode;
    this.resumeUpstream = resume;
    const headers = responseHeaders(rawHeaders);
    const extra = this.decision!.headers;
    for (const name in extra) headers.push(name, extra[name]!);
    const res = this.res;
    if (this.host.closing) res.shouldKeepAlive = false;
    // Throws on a head Node will not write (invalid characters); undici then aborts and calls onError → 502.
    res.writeHead(statusCode, headers);
    this.observe(statusCode);
    return true;
  }

  onData(chunk: Buffer): boolean {
    if (this.res.write(chunk)) return true;
    const ms = this.host.upstreamTimeoutMs;
    if (ms > 0 && this.timer === null) this.timer = setTimeout(onExchangeTimer, ms, this);
    if (!this.drainHooked) {
      this.drainHooked = true;
      this.res.on('drain', onResponseDrain);
    }
    return false;
  }

  onComplete(): void {
    this.clearTimer();
    this.upstreamOpen = false;
    this.res.end();
  }

  onError(err: Error): void {
    this.clearTimer();
    this.upstreamOpen = false;
    if (this.phase === Phase.ANSWERED && this.failure === 'timeout') return; // upstreamLate answered
    if (this.clientGone || this.socket.destroyed) {
      this.failure ??= 'aborted';
      return;
    }
    if (this.res.headersSent) {
      // Mid-body: the only honest signal left is to cut the client's connection.
      this.failure = 'error';
      this.host.upstreamFailed('error', err);
      this.res.destroy();
      return;
    }
    const code = errorCode(err);
    const timeout = code === 'UND_ERR_HEADERS_TIMEOUT';
    const failure: UpstreamFailure = timeout ? 'timeout' : UNREACHABLE.has(code) ? 'unreachable' : 'error';
    this.failure = failure;
    this.upstreamStatus = null;
    this.host.upstreamFailed(failure, err);
    const status = timeout ? 504 : 502;
    this.observe(status);
    this.reply(status);
  }

  // end of the exchange ----------------------------------------------------------------------------

  closed(): void {
    this.clearTimer();
    if (this.reserved > 0) {
      this.host.bufferedBytes -= this.reserved;
      this.reserved = 0;
    }
    this.isClosed = true;
    if (!this.res.writableFinished) {
      this.clientGone = true;
      if (this.upstreamOpen) {
        if (this.upstreamStatus === null) {
          this.failure ??= 'aborted';
          this.observe(0); // no answer: limits that count only some statuses give the units back
        }
        this.abortUpstream?.(CLIENT_GONE); // not yet connected: onConnect aborts
      }
    }
    this.host.exchangeClosed();
    if (this.decision === null) {
      if (this.phase === Phase.DECIDING) return; // reported when the decision arrives
      this.decision = gatewayDecision(this.host.engine, this.request, 0, 'client_closed');
    }
    this.report();
  }

  report(): void {
    const observers = this.host.observers;
    if (observers.length === 0) return;
    const res = this.res;
    const status = res.headersSent ? res.statusCode : CLIENT_CLOSED_STATUS;
    const record = new GatewayRecord(this.startedAt, this.decision!, this.policy, status, this.upstreamStatus, this.failure, this.decisionSeconds, this.upstreamSeconds);
    for (const observer of observers) {
      try {
        observer.onRequest(record);
      } catch (err) {
        this.host.internalError(err, 'request observer threw');
      }
    }
  }
}
